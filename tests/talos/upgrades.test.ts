/**
 * Rolling upgrades: the pure pre-flight and ordering, and the generated scripts run for real with
 * /bin/sh against a fake `talosctl` on PATH that records its arguments and the talosconfig file it
 * was given (mode and content) — then checks the file is gone afterwards.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import {
    assertTalosctlAvailable, findOnPath, kubernetesUpgradeScript, nodeUpgradeScript, recordScript, shellQuote,
    TALOSCONFIG_ENV, upgradeOrder,
} from "../../components/talos/upgrades";

const IMAGE = "factory.talos.dev/metal-installer/abc123:v1.12.1";
const TALOSCONFIG = "context: homelab\ncontexts:\n  homelab:\n    key: SECRET-KEY-d00d\n";

let dir: string;
let bin: string;
let log: string;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "talos-upgrades-"));
    bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    log = path.join(dir, "calls.log");
    // Fake talosctl: records argv, the --talosconfig file's mode and content, and its path.
    fs.writeFileSync(path.join(bin, "talosctl"), `#!/bin/sh
cfg=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--talosconfig" ]; then cfg="$a"; fi
  prev="$a"
done
{
  echo "ARGS $*"
  echo "MODE $(stat -c %a "$cfg")"
  echo "FILE $cfg"
  echo "CONTENT_BEGIN"; cat "$cfg"; echo; echo "CONTENT_END"
} >> "${log}"
${"${FAKE_FAIL:-}"}
`, { mode: 0o755 });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => { if (fs.existsSync(log)) fs.rmSync(log); });

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
        expect(() => assertTalosctlAvailable({ upgrades: true, pathEnv: PATH_WITHOUT, isExecutable: () => false }))
            .toThrow(/talosctl was not found on PATH.*install talosctl.*set cluster\.upgrades to false/);
        // Real filesystem check against the fake binary.
        expect(assertTalosctlAvailable({ upgrades: true, pathEnv: PATH_WITH() })).toBe(path.join(bin, "talosctl"));
    });

    test("upgradeOrder: control planes first, config order within each group", () => {
        const nodes = [
            { hostname: "w1", role: "worker" as const }, { hostname: "c1", role: "controlplane" as const },
            { hostname: "w2", role: "worker" as const }, { hostname: "c2", role: "controlplane" as const },
        ];
        expect(upgradeOrder(nodes).map((x) => x.hostname)).toEqual(["c1", "c2", "w1", "w2"]);
    });

    test("shellQuote survives quotes", async () => {
        const r = await run(`printf '%s' ${shellQuote("it's \"x\" $HOME")}`, { PATH: PATH_WITHOUT });
        expect(r.stdout).toBe("it's \"x\" $HOME");
    });
});

describe("scripts, run with /bin/sh", () => {
    test("scripts contain no secret: the talosconfig is referenced only by variable name", () => {
        for (const s of [nodeUpgradeScript("192.168.0.2", IMAGE), kubernetesUpgradeScript("192.168.0.2", "1.35.0")]) {
            expect(s).not.toContain("SECRET-KEY");
            expect(s).toContain(`$${TALOSCONFIG_ENV}`);
        }
    });

    test("node upgrade: talosctl upgrade with the image and --preserve, talosconfig in a 0600 file removed afterwards", async () => {
        const r = await run(nodeUpgradeScript("192.168.0.2", IMAGE), {
            PATH: PATH_WITH(), [TALOSCONFIG_ENV]: TALOSCONFIG, PULUMI_COMMAND_STDOUT: "image=factory.talos.dev/metal-installer/old:v1.12.0\n",
        });
        expect(r.code).toBe(0);
        const calls = fs.readFileSync(log, "utf8");
        expect(calls).toMatch(/ARGS --talosconfig \S+ upgrade --nodes 192\.168\.0\.2 --image factory\.talos\.dev\/metal-installer\/abc123:v1\.12\.1 --preserve --wait/);
        expect(calls).toContain("MODE 600");
        expect(calls).toContain(`CONTENT_BEGIN\n${TALOSCONFIG}\nCONTENT_END`);
        const file = /FILE (\S+)/.exec(calls)![1];
        expect(fs.existsSync(file)).toBe(false);
        // The new image is recorded for the next run; the secret is not echoed.
        expect(r.stdout.trim().split("\n").pop()).toBe(`image=${IMAGE}`);
        expect(r.stdout + r.stderr).not.toContain("SECRET-KEY");
    });

    test("no upgrade when the recorded image is already the target", async () => {
        const r = await run(nodeUpgradeScript("192.168.0.2", IMAGE), {
            PATH: PATH_WITH(), [TALOSCONFIG_ENV]: TALOSCONFIG, PULUMI_COMMAND_STDOUT: `talosctl output\nimage=${IMAGE}\n`,
        });
        expect(r.code).toBe(0);
        expect(fs.existsSync(log)).toBe(false);
        expect(r.stdout).toContain("image unchanged, nothing to do");
    });

    test("a failing talosctl fails the command and still removes the temp file", async () => {
        const r = await run(nodeUpgradeScript("192.168.0.2", IMAGE), {
            PATH: PATH_WITH(), [TALOSCONFIG_ENV]: TALOSCONFIG, FAKE_FAIL: "exit 3",
        });
        expect(r.code).toBe(3);
        const file = /FILE (\S+)/.exec(fs.readFileSync(log, "utf8"))![1];
        expect(fs.existsSync(file)).toBe(false);
    });

    test("kubernetes upgrade: upgrade-k8s --to the version through the first control plane", async () => {
        const r = await run(kubernetesUpgradeScript("192.168.0.11", "1.35.0"), {
            PATH: PATH_WITH(), [TALOSCONFIG_ENV]: TALOSCONFIG, PULUMI_COMMAND_STDOUT: "kubernetes=1.34.1",
        });
        expect(r.code).toBe(0);
        expect(fs.readFileSync(log, "utf8")).toMatch(/ARGS --talosconfig \S+ upgrade-k8s --nodes 192\.168\.0\.11 --to 1\.35\.0/);
    });

    test("talosctl missing: clear error, exit 127, nothing written", async () => {
        for (const s of [nodeUpgradeScript("192.168.0.2", IMAGE), recordScript("image", IMAGE)]) {
            const r = await run(s, { PATH: PATH_WITHOUT, [TALOSCONFIG_ENV]: TALOSCONFIG, TMPDIR: dir });
            expect(r.code).toBe(127);
            expect(r.stderr).toMatch(/talosctl was not found on PATH/);
        }
        expect(fs.readdirSync(dir).filter((f) => f.startsWith("tmp."))).toEqual([]);
    });

    test("create only records (a fresh install already runs the image)", async () => {
        const r = await run(recordScript("image", IMAGE), { PATH: PATH_WITH() });
        expect(r.code).toBe(0);
        expect(r.stdout.trim()).toBe(`image=${IMAGE}`);
        expect(fs.existsSync(log)).toBe(false);
    });
});
