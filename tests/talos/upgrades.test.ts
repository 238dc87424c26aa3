/**
 * Rolling upgrades: the pure pre-flight and ordering, and the generated scripts run for real with
 * /bin/sh against a fake `talosctl` on PATH that records its arguments and the talosconfig file it
 * was given (mode and content) — then checks the file is gone afterwards. The fake answers `version`
 * like talosctl does (a Client and a Server section) with the Talos version in $STATE/tag, and
 * `get extensions -o jsonpath=…` like talosctl does (each result on a line: a name, then its version) with the
 * Image Factory schematic in $STATE/schematic; an `upgrade` sets both from the image (as a node reports its
 * new version and schematic after the upgrade).
 * Whether the engine runs create or update is decided by the real engine: e2e/ covers that.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import {
    assertTalosctlAvailable,
    findOnPath,
    imageSchematic,
    kubernetesCreateScript,
    kubernetesUpgradeScript,
    nodeCreateScript,
    nodeUpgradeScript,
    shellQuote,
    TALOSCONFIG_ENV,
    upgradeEndpoints,
    upgradeOrder,
    UpgradeTarget,
} from "../../components/talos/upgrades";
import { schematicOfQuery } from "../../components/talos/talosctl";

const IMAGE = "factory.talos.dev/metal-installer/abc123:v1.12.1";
const TARGET: UpgradeTarget = {
    hostname: "cp-1",
    ip: "192.168.0.2",
    endpoints: ["192.168.0.2"],
    image: IMAGE,
    timeout: "15m",
};
const WORKER: UpgradeTarget = {
    hostname: "w-1",
    ip: "192.168.0.5",
    endpoints: ["192.168.0.2", "192.168.0.3"],
    image: IMAGE,
    timeout: "15m",
};
const TALOSCONFIG = "context: homelab\ncontexts:\n  homelab:\n    key: SECRET-KEY-d00d\n";

let dir: string;
let bin: string;
let log: string;
let tagFile: string;
let schematicFile: string;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "talos-upgrades-"));
    bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    log = path.join(dir, "calls.log");
    tagFile = path.join(dir, "tag");
    schematicFile = path.join(dir, "schematic");
    // Fake talosctl: records argv, the --talosconfig file's mode and content, and its path; answers
    // `version` from the tag file (nothing when it is missing: the node does not answer) and sets it on
    // `upgrade` from the image's tag.
    fs.writeFileSync(
        path.join(bin, "talosctl"),
        `#!/bin/sh
cfg=""
prev=""
verb=""
image=""
for a in "$@"; do
  if [ "$prev" = "--talosconfig" ]; then cfg="$a"; fi
  if [ "$prev" = "--image" ]; then image="$a"; fi
  case "$a" in version|upgrade|upgrade-k8s|get) [ -z "$verb" ] && verb="$a";; esac
  prev="$a"
done
{
  echo "ARGS $*"
  echo "MODE $(stat -c %a "$cfg")"
  echo "FILE $cfg"
  echo "CONTENT_BEGIN"; cat "$cfg"; echo; echo "CONTENT_END"
} >> "${log}"
case "$verb" in
  version)
    [ -f "${tagFile}" ] || { echo "rpc error: connection refused" >&2; exit 1; }
    printf 'Client:\n\tTag:         v1.13.0\nServer:\n\tNODE:        x\n\tTag:         %s\n' "$(cat "${tagFile}")";;
  get)
    [ -f "${tagFile}" ] || { echo "rpc error: connection refused" >&2; exit 1; }
    printf 'iscsi-tools\nv0.2.0\n'
    [ -f "${schematicFile}" ] && printf 'schematic\n%s\n' "$(cat "${schematicFile}")";;
  upgrade)
    ${"${FAKE_FAIL:-}"}
    [ -n "\${FAKE_NO_VERSION_CHANGE:-}" ] || printf '%s' "\${image##*:}" > "${tagFile}"
    repo="\${image%:*}"; printf '%s' "\${repo##*/}" > "${schematicFile}";;
  *) ${"${FAKE_FAIL:-}"} ;;
esac
`,
        { mode: 0o755 },
    );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
    for (const f of [log, tagFile, schematicFile]) if (fs.existsSync(f)) fs.rmSync(f);
});
const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "");
const upgradeCalls = () =>
    calls()
        .split("\n")
        .filter((l) => /^ARGS .* upgrade /.test(l));

function run(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile("/bin/sh", ["-c", script], { env: { ...env } }, (err, stdout, stderr) => {
            resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
        });
    });
}
const PATH_WITH = () => `${bin}:/usr/bin:/bin`;
const PATH_WITHOUT = "/usr/bin:/bin";

describe("pre-flight", () => {
    test("findOnPath walks PATH in order with an injected check", () => {
        const exists = new Set(["/b/talosctl", "/c/talosctl"]);
        expect(findOnPath("talosctl", "/a::/b:/c", (f) => exists.has(f), ":")).toBe("/b/talosctl");
        expect(findOnPath("talosctl", "/a", (f) => exists.has(f), ":")).toBeUndefined();
        expect(findOnPath("talosctl", undefined, () => true, ":")).toBeUndefined();
    });

    test("assertTalosctlAvailable: nothing to check when upgrades are off; clear error when missing", () => {
        expect(assertTalosctlAvailable({ upgrades: false, pathEnv: "" })).toBeUndefined();
        expect(() =>
            assertTalosctlAvailable({ upgrades: true, pathEnv: PATH_WITHOUT, isExecutable: () => false }),
        ).toThrow(/talosctl was not found on PATH.*install talosctl.*set cluster\.upgrades to false/);
        // Real filesystem check against the fake binary.
        expect(assertTalosctlAvailable({ upgrades: true, pathEnv: PATH_WITH() })).toBe(path.join(bin, "talosctl"));
    });

    test("upgradeOrder: control planes first, config order within each group", () => {
        const nodes = [
            { hostname: "w1", role: "worker" as const },
            { hostname: "c1", role: "controlplane" as const },
            { hostname: "w2", role: "worker" as const },
            { hostname: "c2", role: "controlplane" as const },
        ];
        expect(upgradeOrder(nodes).map((x) => x.hostname)).toEqual(["c1", "c2", "w1", "w2"]);
    });

    test("imageSchematic: the schematic of an installer reference, either form", () => {
        expect(imageSchematic("factory.talos.dev/metal-installer/abc123:v1.14.0")).toBe("abc123");
        expect(imageSchematic("factory.example:5000/installer/def456:v1.9.0")).toBe("def456");
        expect(() => imageSchematic("factory.talos.dev/metal-installer/abc123")).toThrow(/has no tag/);
    });

    test("schematicOfQuery: the version of the extension named schematic, none when the image has none", () => {
        expect(schematicOfQuery("iscsi-tools\nv0.2.0\nschematic\nabc123\nutil-linux-tools\n2.41\n")).toBe("abc123");
        expect(schematicOfQuery("iscsi-tools\nv0.2.0\n")).toBe("");
        expect(schematicOfQuery("")).toBe("");
    });

    test("upgradeEndpoints: a control plane goes through itself, a worker through every control plane", () => {
        const nodes = [
            { ip: "10.0.0.5", role: "worker" as const },
            { ip: "10.0.0.2", role: "controlplane" as const },
            { ip: "10.0.0.3", role: "controlplane" as const },
        ];
        expect(upgradeEndpoints(nodes[1], nodes)).toEqual(["10.0.0.2"]);
        expect(upgradeEndpoints(nodes[0], nodes)).toEqual(["10.0.0.2", "10.0.0.3"]);
    });

    test("shellQuote survives quotes", async () => {
        const r = await run(`printf '%s' ${shellQuote('it\'s "x" $HOME')}`, { PATH: PATH_WITHOUT });
        expect(r.stdout).toBe('it\'s "x" $HOME');
    });
});

describe("scripts, run with /bin/sh", () => {
    const env = (extra: Record<string, string> = {}) => ({
        PATH: PATH_WITH(),
        [TALOSCONFIG_ENV]: TALOSCONFIG,
        ...extra,
    });

    test("scripts contain no secret: the talosconfig is referenced only by variable name", () => {
        for (const s of [
            nodeUpgradeScript(TARGET),
            nodeCreateScript(TARGET),
            kubernetesUpgradeScript("192.168.0.2", "1.35.0"),
        ]) {
            expect(s).not.toContain("SECRET-KEY");
            expect(s).toContain(`$${TALOSCONFIG_ENV}`);
        }
    });

    test("update: upgrades the node with the image and --preserve --wait, talosconfig in a 0600 file removed afterwards", async () => {
        fs.writeFileSync(tagFile, "v1.12.0");
        const r = await run(nodeUpgradeScript(TARGET), env());
        expect(r.code).toBe(0);
        expect(upgradeCalls()).toEqual([
            expect.stringMatching(
                /^ARGS --talosconfig \S+ --nodes 192\.168\.0\.2 --endpoints 192\.168\.0\.2 upgrade --image factory\.talos\.dev\/metal-installer\/abc123:v1\.12\.1 --preserve --wait --timeout 15m$/,
            ),
        ]);
        expect(calls()).toContain("MODE 600");
        expect(calls()).toContain(`CONTENT_BEGIN\n${TALOSCONFIG}\nCONTENT_END`);
        for (const [, file] of calls().matchAll(/FILE (\S+)/g)) expect(fs.existsSync(file)).toBe(false);
        expect(r.stdout).toContain("cp-1 (192.168.0.2) runs v1.12.1");
        expect(r.stdout.trim().split("\n").pop()).toBe(`image=${IMAGE}`);
        expect(r.stdout + r.stderr).not.toContain("SECRET-KEY");
    });

    test("update fails when the node does not report the image's version afterwards", async () => {
        fs.writeFileSync(tagFile, "v1.12.0");
        const r = await run(nodeUpgradeScript(TARGET), env({ FAKE_NO_VERSION_CHANGE: "1" }));
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
            "cp-1 (192.168.0.2) reports Talos 'v1.12.0' with schematic 'abc123' after the upgrade, expected v1.12.1 with schematic abc123",
        );
    });

    test("update: a node that already runs the image (version and schematic) is not upgraded: nothing reboots", async () => {
        fs.writeFileSync(tagFile, "v1.12.1");
        fs.writeFileSync(schematicFile, "abc123");
        const r = await run(nodeUpgradeScript(TARGET), env());
        expect(r.code).toBe(0);
        expect(upgradeCalls()).toEqual([]);
        expect(r.stdout).toContain(`cp-1 (192.168.0.2) already runs ${IMAGE}: nothing to upgrade`);
        expect(r.stdout.trim().split("\n").pop()).toBe(`image=${IMAGE}`);
    });

    test("update: the same Talos version with another schematic (extensions changed) is upgraded", async () => {
        fs.writeFileSync(tagFile, "v1.12.1");
        fs.writeFileSync(schematicFile, "0ld5chema");
        const r = await run(nodeUpgradeScript(TARGET), env());
        expect(r.code).toBe(0);
        expect(upgradeCalls()).toHaveLength(1);
        expect(fs.readFileSync(schematicFile, "utf8")).toBe("abc123");
    });

    test("a worker is upgraded through the control planes (talosctl 1.13+ drains it with their kubeconfig)", async () => {
        fs.writeFileSync(tagFile, "v1.12.0");
        const r = await run(nodeUpgradeScript(WORKER), env());
        expect(r.code).toBe(0);
        expect(upgradeCalls()).toEqual([
            expect.stringMatching(/--nodes 192\.168\.0\.5 --endpoints 192\.168\.0\.2,192\.168\.0\.3 upgrade --image /),
        ]);
        // What it reads back it asks the worker itself: version and extensions answer on every node.
        expect(calls()).toMatch(/ARGS --talosconfig \S+ --nodes 192\.168\.0\.5 --endpoints 192\.168\.0\.5 version/);
        expect(calls()).toMatch(
            /ARGS --talosconfig \S+ --nodes 192\.168\.0\.5 --endpoints 192\.168\.0\.5 get extensions/,
        );
    });

    test("create: a node already on the image (version and schematic) is not upgraded", async () => {
        fs.writeFileSync(tagFile, "v1.12.1");
        fs.writeFileSync(schematicFile, "abc123");
        const r = await run(nodeCreateScript(TARGET), env());
        expect(r.code).toBe(0);
        expect(upgradeCalls()).toEqual([]);
        expect(r.stdout).toContain(`cp-1 (192.168.0.2) already runs ${IMAGE}: nothing to upgrade`);
    });

    test("create: a node on another version is upgraded (upgrades turned on together with a version change)", async () => {
        fs.writeFileSync(tagFile, "v1.12.0");
        const r = await run(nodeCreateScript(TARGET), env());
        expect(r.code).toBe(0);
        expect(upgradeCalls()).toHaveLength(1);
        expect(fs.readFileSync(tagFile, "utf8")).toBe("v1.12.1");
    });

    test("create: a node that never answers fails after the timeout, naming the node and the setting", async () => {
        const r = await run(nodeCreateScript({ ...TARGET, timeout: "1s" }), env());
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
            "cp-1 (192.168.0.2) did not answer `talosctl version` within 1s (cluster.upgradeTimeout)",
        );
        expect(upgradeCalls()).toEqual([]);
    }, 20_000);

    test("a failing talosctl upgrade fails the command and still removes the temp file", async () => {
        fs.writeFileSync(tagFile, "v1.12.0");
        const r = await run(nodeUpgradeScript(TARGET), env({ FAKE_FAIL: "exit 3" }));
        expect(r.code).toBe(3);
        for (const [, file] of calls().matchAll(/FILE (\S+)/g)) expect(fs.existsSync(file)).toBe(false);
    });

    test("kubernetes: update runs upgrade-k8s --to the version through the first control plane; create only records", async () => {
        const r = await run(kubernetesUpgradeScript("192.168.0.11", "1.35.0"), env());
        expect(r.code).toBe(0);
        expect(calls()).toMatch(
            /ARGS --talosconfig \S+ --nodes 192\.168\.0\.11 --endpoints 192\.168\.0\.11 upgrade-k8s --to 1\.35\.0/,
        );
        fs.rmSync(log);
        const c = await run(kubernetesCreateScript("1.35.0"), env());
        expect(c.code).toBe(0);
        expect(c.stdout.trim()).toBe("kubernetes=1.35.0");
        expect(calls()).toBe("");
    });

    test("talosctl missing: clear error, exit 127, nothing written", async () => {
        for (const s of [nodeUpgradeScript(TARGET), nodeCreateScript(TARGET), kubernetesCreateScript("1.35.0")]) {
            const r = await run(s, { PATH: PATH_WITHOUT, [TALOSCONFIG_ENV]: TALOSCONFIG, TMPDIR: dir });
            expect(r.code).toBe(127);
            expect(r.stderr).toMatch(/talosctl was not found on PATH/);
        }
        expect(fs.readdirSync(dir).filter((f) => f.startsWith("tmp."))).toEqual([]);
    });
});
