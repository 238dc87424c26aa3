/**
 * `pulumi preview` of a stack whose nodes may be powered off: TalosCluster must not run the health
 * check (it would wait for the nodes until its timeout). Mocks in preview mode, set before import.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NodeConfig } from "../../components/talos/config";
import { installMocks, Recorder, valueOf } from "../support/pulumi-mocks";
import { clusterConfig } from "../support/fixtures";

let rec: Recorder;
let mod: typeof import("../../components/talos/cluster");

beforeAll(async () => {
    rec = await installMocks({
        preview: true,
        onResource: (type) =>
            type === "talos:cluster/kubeconfig:Kubeconfig"
                ? { kubeconfigRaw: "KC" }
                : type === "talos:machine/secrets:Secrets"
                  ? {
                        clientConfiguration: { caCertificate: "CA", clientCertificate: "CRT", clientKey: "K" },
                        machineSecrets: {},
                    }
                  : undefined,
        onCall: (token) =>
            token === "talos:client/getConfiguration:getConfiguration" ? { talosConfig: "TC" } : undefined,
    });
    mod = await import("../../components/talos/cluster");
});

const cluster = clusterConfig();
const nodes: NodeConfig[] = [
    {
        hostname: "cp-1",
        mac: "aa:bb:cc:dd:ee:01",
        ip: "192.168.0.2",
        role: "controlplane",
        installDisk: "/dev/sda",
        patches: [],
        wakeOnLan: false,
    },
    {
        hostname: "w-1",
        mac: "aa:bb:cc:dd:ee:02",
        ip: "192.168.0.3",
        role: "worker",
        installDisk: "/dev/sda",
        patches: [],
        wakeOnLan: false,
    },
];

test("preview: no getHealth invoke, the rest of the graph is planned, healthy still resolves", async () => {
    expect(pulumi.runtime.isDryRun()).toBe(true);
    const c = new mod.TalosCluster("pv", {
        cluster,
        nodes,
        installerImage: "factory.talos.dev/metal-installer/abc:v1.12.1",
        schematicId: "abc",
        pxeReady: true,
    });
    // Wait for the whole graph to be registered (values may be unknown in a preview; URNs are not).
    await valueOf(
        pulumi.all([c.urn, c.kubeconfigResource.urn, c.bootstrap.urn, ...Object.values(c.applies).map((a) => a.urn)]),
    );
    const healthyKnown = await (c.healthy as unknown as { isKnown: Promise<boolean> }).isKnown;
    expect(rec.invokes.filter((i) => i.token === "talos:cluster/getHealth:getHealth")).toHaveLength(0);
    expect(rec.invokes.filter((i) => i.token === "talos:machine/getConfiguration:getConfiguration")).toHaveLength(2);
    expect(rec.named(/-apply$/)).toHaveLength(2);
    expect(rec.named(/^pv-kubeconfig$/)).toHaveLength(1);
    // The mocks give the kubeconfig an id, so healthy resolves; and it carries the kubeconfig resource as
    // a dependency, so dependants (the CSI workloads) still wait for the cluster.
    expect(healthyKnown).toBe(true);
    expect(await valueOf(c.healthy)).toBe(true);
    const deps = await (c.healthy as unknown as { resources(): Promise<Set<pulumi.Resource>> }).resources();
    expect([...deps]).toContain(c.kubeconfigResource);
    expect(await pulumi.isSecret(c.talosconfig)).toBe(true);
    expect(await pulumi.isSecret(c.kubeconfig)).toBe(true);
});
