/**
 * `pulumi preview` names the nodes whose machine-config change needs a reboot (./reboot-changes.ts), from the
 * digests the previous `up` left, with what each node's apply mode does with it; and publishes the new digests in
 * clear. Mocks in preview mode, set before import; each node's rendered config depends on its patches.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NodeConfig } from "../../components/talos/config";
import { rebootDigest } from "../../components/talos/reboot-changes";
import { installMocks, valueOf } from "../support/pulumi-mocks";
import { clusterConfig } from "../support/fixtures";

/** A rendered config: the v1alpha1 document (with `env` when the node's patches ask for a proxy) and a hostname. */
function rendered(hostname: string, proxy: boolean, labels = false): string {
    return [
        "version: v1alpha1",
        "machine:",
        "    type: worker",
        "    token: abcdef.0123456789abcdef",
        ...(proxy ? ["    env:", "        https_proxy: http://proxy:3128"] : []),
        ...(labels ? ["    nodeLabels:", "        zone: a"] : []),
        "    kubelet:",
        "        image: ghcr.io/siderolabs/kubelet:v1.35.0",
        "cluster:",
        "    secret: Y2x1c3Rlci1zZWNyZXQ=",
        "---",
        "apiVersion: v1alpha1",
        "kind: HostnameConfig",
        `hostname: ${hostname}`,
    ].join("\n");
}

let mod: typeof import("../../components/talos/cluster");

beforeAll(async () => {
    await installMocks({
        preview: true,
        onResource: (type) =>
            type === "talos:machine/secrets:Secrets"
                ? {
                      clientConfiguration: { caCertificate: "CA", clientCertificate: "CRT", clientKey: "K" },
                      machineSecrets: {},
                  }
                : undefined,
        onCall: (token, inputs) => {
            if (token === "talos:client/getConfiguration:getConfiguration") return { talosConfig: "TC" };
            if (token !== "talos:machine/getConfiguration:getConfiguration") return undefined;
            const patches = JSON.stringify(inputs.configPatches);
            const host = /hostname: (\S+?)\\n/.exec(patches)?.[1] ?? "?";
            return {
                machineConfiguration: rendered(host, patches.includes("https_proxy"), patches.includes("zone")),
            };
        },
    });
    mod = await import("../../components/talos/cluster");
});

function node(hostname: string, ip: string, patches: string[], over: Partial<NodeConfig> = {}): NodeConfig {
    return {
        hostname,
        mac: `aa:bb:cc:dd:ee:${ip.split(".")[3]}`,
        ip,
        role: hostname.startsWith("cp") ? "controlplane" : "worker",
        installDisk: "/dev/sda",
        patches,
        wakeOnLan: false,
        ...over,
    };
}

const PROXY = "machine:\n  env:\n    https_proxy: http://proxy:3128\n";
const LABEL = "machine:\n  nodeLabels:\n    zone: a\n";

async function preview(
    name: string,
    nodes: NodeConfig[],
    previous: Record<string, string> | undefined,
    talos = "v1.13.9",
) {
    const info = jest.spyOn(pulumi.log, "info").mockImplementation(() => Promise.resolve());
    try {
        const c = new mod.TalosCluster(name, {
            cluster: clusterConfig({ applyMode: "staged_if_needing_reboot" }),
            nodes,
            installerImage: "factory.talos.dev/metal-installer/abc:v1.13.9",
            schematicId: "abc",
            pxeReady: true,
            installedNodes: nodes.map((n) => n.hostname),
            previousConfigs: { talosVersion: talos, rebootDigests: previous },
        });
        const digests = await valueOf(c.rebootDigests);
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        const notes = info.mock.calls.map((call) => String(call[0])).filter((m) => m.includes("need a reboot"));
        return { c, digests, notes };
    } finally {
        info.mockRestore();
    }
}

const before = {
    "cp-1": rebootDigest(rendered("cp-1", false)),
    "w-1": rebootDigest(rendered("w-1", false)),
    "w-2": rebootDigest(rendered("w-2", false)),
};

test("names, once, the node whose change needs a reboot, with its apply mode's consequence", async () => {
    const nodes = [
        node("cp-1", "192.168.0.11", [], { applyMode: "auto" }),
        node("w-1", "192.168.0.21", [PROXY]), // machine.env: not applied live
        node("w-2", "192.168.0.22", [LABEL]), // machine.nodeLabels: applied live
    ];
    const { notes, digests } = await preview("rb", nodes, before);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(
        "w-1: the change needs a reboot; applyMode staged_if_needing_reboot: staged until its next reboot",
    );
    expect(notes[0]).not.toMatch(/cp-1|w-2/);
    expect(digests["w-1"]).not.toBe(before["w-1"]);
    expect(digests["w-2"]).toBe(before["w-2"]);
});

test("the digests are in clear and hold nothing of the config", async () => {
    const { c, digests } = await preview("clear", [node("cp-1", "192.168.0.11", [])], undefined);
    expect(await pulumi.isSecret(c.rebootDigests)).toBe(false);
    expect(digests).toEqual({ "cp-1": before["cp-1"] });
});

test("names nothing on a stack's first up or one made before the digests, nor for nodes on Talos 1.14", async () => {
    const nodes = [node("cp-1", "192.168.0.11", [PROXY])];
    expect((await preview("named", nodes, before)).notes).toHaveLength(1); // the same change, named on 1.13
    expect((await preview("first", nodes, undefined)).notes).toEqual([]);
    expect((await preview("t114", nodes, before, "v1.14.0")).notes).toEqual([]);
});
