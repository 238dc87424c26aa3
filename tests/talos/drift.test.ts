/**
 * Drift of a node (components/talos/drift.ts, components/talos/node-state.ts): the digest of a machine config is the
 * same for the config the stack declares and the one talosctl prints the node running, when they are the same;
 * refresh reads only; diff sees drift; up repairs only what drifted, never with a secret on a command line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { configDigest, nodeDifferences, repairApplyMode, runningConfigOf } from "../../components/talos/drift";
import { serverTag, talosctlError } from "../../components/talos/talosctl";
import {
    describeCall,
    diffNodeState,
    NodeStateInputs,
    NodeStateOutputs,
    observeNode,
    refreshNode,
    repairNode,
    TALOSCTL,
    TalosctlRunner,
} from "../../components/talos/node-state";

/** A control plane's config as the Talos provider renders it (shortened), with a document appended. */
const CONFIG = `version: v1alpha1
debug: false
persist: true
machine:
    type: controlplane
    token: abc123.0123456789abcdef
    ca:
        crt: LS0tLS1CRUdJTi1DRVJU
        key: LS0tLS1CRUdJTi1LRVk=
    install:
        disk: /dev/nvme0n1
        image: factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.12.0
        wipe: false
    kubelet:
        image: ghcr.io/siderolabs/kubelet:v1.35.0
cluster:
    clusterName: home
    controlPlane:
        endpoint: https://192.168.0.11:6443
---
apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: nut-client
configFiles:
    - content: MONITOR ups@192.168.0.6 1 monuser "pw" secondary
      mountPath: /usr/local/etc/nut/upsmon.conf
`;

/** The same config as another encoder would print it: keys in another order, other quoting, comments. */
const SAME_REENCODED = `# re-encoded
machine:
  kubelet: { image: "ghcr.io/siderolabs/kubelet:v1.35.0" }
  install: { wipe: false, image: "factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.12.0", disk: "/dev/nvme0n1" }
  ca: { key: "LS0tLS1CRUdJTi1LRVk=", crt: LS0tLS1CRUdJTi1DRVJU }
  token: 'abc123.0123456789abcdef'
  type: controlplane
cluster: { controlPlane: { endpoint: "https://192.168.0.11:6443" }, clusterName: home }
persist: true
debug: false
version: v1alpha1
---
---
kind: ExtensionServiceConfig
apiVersion: v1alpha1
name: nut-client
configFiles: [{ mountPath: /usr/local/etc/nut/upsmon.conf, content: 'MONITOR ups@192.168.0.6 1 monuser "pw" secondary' }]
`;

/** `talosctl get machineconfig v1alpha1 -o json` as talosctl v1.13 prints it (output/json.go: spec a YAML string). */
function talosctlJson(config: string, node = "192.168.0.11"): string {
    return `${JSON.stringify(
        {
            metadata: {
                namespace: "config",
                type: "MachineConfigs.config.talos.dev",
                id: "v1alpha1",
                version: 2,
                owner: "",
                phase: "running",
                created: "2026-12-08T00:00:00Z",
                updated: "2026-12-08T00:00:00Z",
                annotations: { "talos.dev/yaml-spec": "1" },
            },
            spec: config,
            node,
        },
        null,
        4,
    )}\n`;
}

const VERSION_OUT = (tag: string) => `Client:
	Tag:         v1.13.0
	SHA:         undefined
	OS/Arch:     linux/amd64
Server:
	NODE:        192.168.0.11
	Tag:         ${tag}
	SHA:         0a1b2c3d
	Enabled:     RBAC
`;

describe("configDigest", () => {
    test("the config and what the node prints of it give one digest, also re-encoded", () => {
        const d = configDigest(CONFIG);
        expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(configDigest(runningConfigOf(talosctlJson(CONFIG)))).toBe(d);
        expect(configDigest(SAME_REENCODED)).toBe(d);
    });

    test("any value, a document more or the documents' order change it", () => {
        const d = configDigest(CONFIG);
        expect(configDigest(CONFIG.replace("wipe: false", "wipe: true"))).not.toBe(d);
        expect(configDigest(CONFIG.replace("debug: false", 'debug: "false"'))).not.toBe(d);
        expect(configDigest(`${CONFIG}---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: cp-1\n`)).not.toBe(d);
        const [v1, ext] = CONFIG.split("---\n");
        expect(configDigest(`${ext}---\n${v1}`)).not.toBe(d);
    });

    test("a Talos that prints the spec as one document (no yaml-spec annotation): the object's digest", () => {
        const v1 = CONFIG.split("---\n")[0];
        const legacy = JSON.stringify({ metadata: { id: "v1alpha1" }, spec: YAML.parse(v1) as unknown });
        expect(configDigest(runningConfigOf(legacy))).toBe(configDigest(v1));
    });

    test("not YAML, no JSON, no spec: errors saying so", () => {
        expect(() => configDigest("machine: [unclosed")).toThrow(/machine config is not YAML/);
        expect(() => runningConfigOf("error: rpc error")).toThrow(/printed no JSON resource/);
        expect(() => runningConfigOf('{"metadata":{}}')).toThrow(/without a machine config \(spec\)/);
    });
});

test("serverTag reads the server's tag, not the client's; talosctlError the error line", () => {
    expect(serverTag(VERSION_OUT("v1.12.1"))).toBe("v1.12.1");
    expect(serverTag("Client:\n\tTag: v1.13.0\n")).toBe("");
    expect(talosctlError("Usage:\n  talosctl version\nerror: rpc error: code = Unavailable\n")).toBe(
        "error: rpc error: code = Unavailable",
    );
});

test("nodeDifferences names the node and each half that drifted", () => {
    const declared = { hostname: "w-1", ip: "192.168.0.21", tag: "v1.12.0", digest: `sha256:${"a".repeat(64)}` };
    expect(nodeDifferences(declared, { tag: "v1.12.0", digest: declared.digest })).toEqual([]);
    expect(nodeDifferences(declared, { tag: "v1.12.1", digest: `sha256:${"b".repeat(64)}` })).toEqual([
        "w-1 (192.168.0.21): runs Talos v1.12.1, declared v1.12.0",
        "w-1 (192.168.0.21): runs another machine config than the one declared (digest sha256:bbbbbbbbbbbb, " +
            "declared sha256:aaaaaaaaaaaa): changed by hand (talosctl apply-config, edit or patch)",
    ]);
});

test("a repair applies in the node's apply mode, and never reboots a node whose mode stages", () => {
    expect(["auto", "reboot", "no_reboot", "staged", "staged_if_needing_reboot"].map(repairApplyMode)).toEqual([
        "auto",
        "reboot",
        "no-reboot",
        "staged",
        "staged",
    ]);
});

/** A node talosctl talks to, in memory: what it runs, and every call (args, files) made to it. */
class FakeNode implements TalosctlRunner {
    calls: { args: string[]; files: Record<string, string>; talosconfig: string }[] = [];
    constructor(
        public tag: string,
        public config: string,
        /** Whether an apply or upgrade takes (a node that keeps drifting when false). */
        public takes = true,
    ) {}
    run(talosconfig: string, args: string[], files: Record<string, string> = {}): Promise<string> {
        this.calls.push({ args, files, talosconfig });
        const verb = args.find((a) => ["version", "get", "upgrade", "apply-config"].includes(a));
        if (verb === "version") return Promise.resolve(VERSION_OUT(this.tag));
        if (verb === "get") return Promise.resolve(talosctlJson(this.config));
        if (verb === "upgrade" && this.takes) this.tag = args[args.indexOf("--image") + 1].replace(/^.*:/, "");
        if (verb === "apply-config" && this.takes) this.config = files["config.yaml"];
        return Promise.resolve("");
    }
    verbs(): string[] {
        return this.calls.map(
            (c) => c.args.filter((a) => !a.startsWith("192.168.") && a !== "--nodes" && a !== "--endpoints")[0],
        );
    }
}

const IMAGE =
    "factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.12.0";
const TALOSCONFIG = "context: home\ncontexts: {home: {ca: CA, crt: CRT, key: CLIENT-KEY-9d1e}}\n";

function inputs(over: Partial<NodeStateInputs> = {}): NodeStateInputs {
    return {
        hostname: "w-1",
        ip: "192.168.0.21",
        upgradeEndpoints: ["192.168.0.11", "192.168.0.12"],
        tag: "v1.12.0",
        image: IMAGE,
        digest: configDigest(CONFIG),
        config: CONFIG,
        talosconfig: TALOSCONFIG,
        applyMode: "auto",
        timeout: "1s",
        ...over,
    };
}

describe("TalosNodeState", () => {
    test("refresh reads the node with two read-only calls, and sees a hand change", async () => {
        const node = new FakeNode("v1.12.1", CONFIG.replace("wipe: false", "wipe: true"));
        const o = await observeNode(node, inputs());
        expect(o).toEqual({ tag: "v1.12.1", digest: configDigest(CONFIG.replace("wipe: false", "wipe: true")) });
        expect(node.calls.map((c) => c.args)).toEqual([
            ["--nodes", "192.168.0.21", "--endpoints", "192.168.0.21", "version"],
            [
                "--nodes",
                "192.168.0.21",
                "--endpoints",
                "192.168.0.21",
                "get",
                "machineconfig",
                "v1alpha1",
                "-o",
                "json",
            ],
        ]);
    });

    test("refresh of a node that does not answer keeps what was last seen and warns naming it; a refusal fails", async () => {
        const seen: NodeStateOutputs = { ...inputs(), observedTag: "v1.12.0", observedDigest: configDigest(CONFIG) };
        const failing = (message: string): TalosctlRunner => ({ run: () => Promise.reject(new Error(message)) });
        const warnings: string[] = [];
        const off = failing(
            "error: rpc error: code = Unavailable desc = connection error: dial tcp 192.168.0.21:50000: connect: connection refused",
        );
        expect(await refreshNode(off, seen, (m) => warnings.push(m))).toEqual(seen);
        expect(warnings).toEqual([
            expect.stringMatching(
                /^reading what w-1 \(192\.168\.0\.21\) runs .*connection refused.*Kept what was last seen \(Talos v1\.12\.0\)/,
            ),
        ]);
        const refused = failing("error: rpc error: code = PermissionDenied desc = not authorized");
        await expect(refreshNode(refused, seen, () => undefined)).rejects.toThrow(
            /w-1 \(192\.168\.0\.21\).*not authorized/,
        );
        const node = new FakeNode("v1.12.1", CONFIG);
        expect(await refreshNode(node, seen, () => undefined)).toEqual({ ...seen, observedTag: "v1.12.1" });
        const older = failing(
            'error: failed to unmarshal: error decoding document v1alpha1/SecurityProfileConfig/ (line 1): "SecurityProfileConfig" "v1alpha1": not registered',
        );
        await expect(refreshNode(older, seen, () => undefined)).rejects.toThrow(
            /not registered\. The node's config holds a document this talosctl does not know: use the talosctl of the nodes' Talos release$/,
        );
    });

    test("diff: no change while the node runs what is declared; a change when it drifted or the declaration moved", () => {
        const same: NodeStateOutputs = { ...inputs(), observedTag: "v1.12.0", observedDigest: configDigest(CONFIG) };
        expect(diffNodeState(same, inputs()).changes).toBe(false);
        expect(diffNodeState({ ...same, observedTag: "v1.12.1" }, inputs()).changed).toEqual(["observedTag"]);
        expect(diffNodeState({ ...same, observedDigest: "sha256:00" }, inputs()).changed).toEqual(["observedDigest"]);
        const declaredAnew = inputs({ tag: "v1.12.1", image: IMAGE.replace(":v1.12.0", ":v1.12.1") });
        expect(diffNodeState(same, declaredAnew).changed).toEqual(["tag", "image", "observedTag"]);
        // a new talosconfig reaches the state (the next refresh reads with it)
        expect(diffNodeState(same, inputs({ talosconfig: "context: other\n" })).changed).toEqual(["talosconfig"]);
    });

    test("up on a node that runs what is declared (its apply or upgrade did the work): reads only", async () => {
        const node = new FakeNode("v1.12.0", CONFIG);
        const out = await repairNode(node, inputs(), undefined, 1);
        expect(node.verbs()).toEqual(["version", "get"]);
        expect(out).toMatchObject({ observedTag: "v1.12.0", observedDigest: configDigest(CONFIG) });
    });

    test("up on a drifted worker: upgrades it through the control planes, applies the declared config, reads back", async () => {
        const node = new FakeNode("v1.12.1", CONFIG.replace("wipe: false", "wipe: true"));
        const logs: string[] = [];
        const out = await repairNode(node, inputs({ applyMode: "no_reboot" }), (m) => logs.push(m), 1);
        expect(node.verbs()).toEqual(["version", "get", "upgrade", "version", "get", "apply-config", "version", "get"]);
        const upgrade = node.calls.find((c) => c.args.includes("upgrade"))!;
        expect(upgrade.args).toEqual([
            "--nodes",
            "192.168.0.21",
            "--endpoints",
            "192.168.0.11,192.168.0.12",
            "upgrade",
            "--image",
            IMAGE,
            "--preserve",
            "--wait",
            "--timeout",
            "1s",
        ]);
        const apply = node.calls.find((c) => c.args.includes("apply-config"))!;
        expect(apply.args).toEqual([
            "--nodes",
            "192.168.0.21",
            "--endpoints",
            "192.168.0.21",
            "apply-config",
            "--file",
            "@config.yaml",
            "--mode",
            "no-reboot",
        ]);
        expect(apply.files).toEqual({ "config.yaml": CONFIG });
        expect(out).toMatchObject({ observedTag: "v1.12.0", observedDigest: configDigest(CONFIG) });
        expect(logs.join("\n")).toContain("w-1 (192.168.0.21): runs Talos v1.12.1, declared v1.12.0: upgrading it to");
        // the secrets only as the talosconfig and file contents, never in an argument or a message
        for (const c of node.calls) expect(c.args.join(" ")).not.toMatch(/CLIENT-KEY|LS0tLS1CRUdJTi1LRVk/);
        expect(logs.join("\n")).not.toMatch(/CLIENT-KEY|LS0tLS1CRUdJTi1LRVk/);
    });

    test("a node that does not take the repair: up fails naming the node and what still differs", async () => {
        const node = new FakeNode("v1.12.0", CONFIG.replace("wipe: false", "wipe: true"), false);
        const err = (await repairNode(node, inputs(), undefined, 1).catch((e: Error) => e)) as Error;
        expect(err.message).toMatch(
            /^w-1 \(192\.168\.0\.21\) still does not run what the stack declares after the repair, within 1s \(cluster\.upgradeTimeout\): w-1 \(192\.168\.0\.21\): runs another machine config/,
        );
        expect(err.message).not.toMatch(/CLIENT-KEY|LS0tLS1CRUdJTi1LRVk/);
    });

    test("a staged repair is made and left for the next reboot, not waited for", async () => {
        const node = new FakeNode("v1.12.0", CONFIG.replace("wipe: false", "wipe: true"), false);
        const out = await repairNode(node, inputs({ applyMode: "staged_if_needing_reboot" }), undefined, 1);
        expect(node.calls.find((c) => c.args.includes("apply-config"))!.args).toContain("staged");
        expect(out.observedDigest).not.toBe(out.digest);
    });
});

test("the real runner: talosctl gets the talosconfig and files as 0600 files, removed after the call", async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-talosctl-"));
    const script = path.join(bin, "talosctl");
    // prints its arguments, and the mode and text of each file it was given
    fs.writeFileSync(
        script,
        '#!/bin/sh\nfor a in "$@"; do echo "arg $a"; if [ -f "$a" ]; then echo "file $(stat -c %a "$a") $(cat "$a")"; fi; done\n',
        { mode: 0o755 },
    );
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${saved ?? ""}`;
    try {
        const out = await TALOSCTL.run("TC-TEXT", ["apply-config", "--file", "@config.yaml"], { "config.yaml": "CFG" });
        expect(out).toMatch(/file 600 TC-TEXT/);
        expect(out).toMatch(/file 600 CFG/);
        const files = out.split("\n").filter((l) => l.startsWith("arg /"));
        expect(files).toHaveLength(2);
        for (const f of files) expect(fs.existsSync(f.slice(4))).toBe(false);
        expect(out).not.toContain("arg @config.yaml");
        fs.writeFileSync(script, "#!/bin/sh\necho 'error: rpc error: code = Unavailable' >&2\nexit 1\n");
        await expect(TALOSCTL.run("TC-TEXT", ["--nodes", "10.0.0.2", "version"])).rejects.toThrow(
            "talosctl version on 10.0.0.2: error: rpc error: code = Unavailable",
        );
        expect(
            describeCall(["--nodes", "10.0.0.2", "--endpoints", "10.0.0.1", "upgrade", "--image", "i:v1", "--wait"]),
        ).toBe("talosctl upgrade on 10.0.0.2");
    } finally {
        process.env.PATH = saved;
        fs.rmSync(bin, { recursive: true, force: true });
    }
});
