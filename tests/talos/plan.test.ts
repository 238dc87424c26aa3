/** planCluster: what TalosCluster decides from plain config before registering anything (pure). */
import type { NodeConfig } from "../../components/talos/config";
import { planCluster } from "../../components/talos/cluster";
import { clusterConfig } from "../support/fixtures";

const cluster = clusterConfig({ configSchemaUrl: "http://127.0.0.1/{version}" });
const node = (hostname: string, ip: string, role: NodeConfig["role"]): NodeConfig => ({
    hostname,
    ip,
    role,
    mac: `02:00:00:00:00:${ip.split(".")[3].padStart(2, "0")}`,
    installDisk: "/dev/sda",
    patches: [],
    wakeOnLan: false,
});
const ups = { monitor: "ups@192.168.0.6", username: "monuser" };

test("bootstraps the first control plane in config order, whatever comes before it", () => {
    const plan = planCluster(cluster, [
        node("w-1", "192.168.0.21", "worker"),
        node("cp-2", "192.168.0.12", "controlplane"),
        node("cp-1", "192.168.0.11", "controlplane"),
    ]);
    expect(plan.bootstrapNode.hostname).toBe("cp-2");
    expect(plan.controlPlanes.map((n) => n.hostname)).toEqual(["cp-2", "cp-1"]);
    expect(plan.workers.map((n) => n.hostname)).toEqual(["w-1"]);
    expect(plan.talosVersionContract).toBe("v1.12");
});

test("a lone control plane is reset without a graceful etcd leave; others leave gracefully", () => {
    const one = planCluster({ ...cluster, resetOnDestroy: true }, [
        node("cp-1", "192.168.0.11", "controlplane"),
        node("w-1", "192.168.0.21", "worker"),
    ]);
    expect(one.onDestroy["cp-1"]).toEqual({ reset: true, graceful: false, reboot: false });
    expect(one.onDestroy["w-1"]).toEqual({ reset: true, graceful: true, reboot: false });
    expect(planCluster(cluster, [node("cp-1", "192.168.0.11", "controlplane")]).onDestroy["cp-1"].reset).toBe(false);
});

test("chains the control planes' applies in config order, each after the one before; workers wait for none", () => {
    const plan = planCluster(cluster, [
        node("w-1", "192.168.0.21", "worker"),
        node("cp-2", "192.168.0.12", "controlplane"),
        node("cp-1", "192.168.0.11", "controlplane"),
        node("cp-3", "192.168.0.13", "controlplane"),
    ]);
    expect(plan.applyAfter).toEqual({ "w-1": undefined, "cp-2": undefined, "cp-1": "cp-2", "cp-3": "cp-1" });
});

test("asserts what it relies on before anything is registered: a release version, a control plane, the UPS password", () => {
    // parseStackConfig explains each to the user under its key (tests/config); here only the short refusal.
    expect(() =>
        planCluster({ ...cluster, talosVersion: "latest" }, [node("cp-1", "192.168.0.11", "controlplane")]),
    ).toThrow(/"latest" is not a Talos release version/);
    expect(() => planCluster(cluster, [node("w-1", "192.168.0.21", "worker")])).toThrow(
        /no node has role controlplane/,
    );
    expect(() => planCluster(cluster, [node("cp-1", "192.168.0.11", "controlplane")], ups, false)).toThrow(
        /ups is set but no upsPassword/,
    );
    expect(planCluster(cluster, [node("cp-1", "192.168.0.11", "controlplane")], ups, true).bootstrapNode.hostname).toBe(
        "cp-1",
    );
});
