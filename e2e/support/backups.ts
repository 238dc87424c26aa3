/**
 * What the etcd snapshot scenarios (e2e/scenarios/backups*.e2e.ts) share: a stack with the NAS's TFTP service, the
 * cluster of a stack that upgrades with a snapshot first, `npm run etcd-snapshot` run as a user runs it, and a read
 * over TFTP as any machine on the LAN makes.
 */
import { execFile } from "child_process";
import { tftpGet, TftpError } from "../../components/doctor/tftp";
import { NasTftp, startNasTftp } from "../../tests/support/nas-tftp";
import { Harness, HarnessOptions } from "./scenario";

/** A stack on a NAS whose DHCP server is on (as a homelab's is), with the NAS's TFTP service listening. */
export async function startSnapshotStack(o: HarnessOptions): Promise<{ h: Harness; tftp: NasTftp }> {
    const h = await Harness.start(o);
    try {
        h.servers.dsm.state.dhcpServers.eth0 = { ...h.servers.dsm.state.dhcpServers.eth0, enable: true };
        return { h, tftp: await startNasTftp(h.servers.dsm) };
    } catch (e) {
        await h.close();
        throw e;
    }
}

/** `homelab:cluster` of a one-control-plane stack named `name` at 192.168.0.11, upgrades on, timeouts for stand-ins. */
export function upgradingCluster(name: string): Record<string, unknown> {
    return {
        name,
        endpoint: "https://192.168.0.11:6443",
        talosVersion: "v1.12.0",
        kubernetesVersion: "1.35.0",
        upgrades: true,
        applyTimeout: "30s",
        bootstrapTimeout: "2m",
        healthTimeout: "30s",
        upgradeTimeout: "2m",
        healthChecks: { kubernetes: false },
    };
}

/** `npm run etcd-snapshot -- <args>` in the stack's project folder, with the engine's environment (as a user runs it). */
export function etcdSnapshotCli(h: Harness, args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        execFile(
            "npm",
            ["run", "--silent", "etcd-snapshot", "--", "--stack", h.engine.stack, ...args],
            { cwd: h.engine.projectDir, env: h.engine.env(), timeout: 180_000 },
            (err, stdout, stderr) =>
                resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, out: `${stdout}${stderr}` }),
        );
    });
}

/** A read of `file` over TFTP from the NAS: its size and MD5, or the server's refusal. */
export function overTftp(tftp: NasTftp, file: string): Promise<{ size: number; md5: string } | { refused: string }> {
    return tftpGet(file, { host: tftp.host, port: tftp.port, timeoutMs: 500, retries: 2 }).then(
        (r) => ({ size: r.size, md5: r.md5 }),
        (e: TftpError) => ({ refused: e.message }),
    );
}
