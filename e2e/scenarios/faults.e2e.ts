/**
 * Faults in the middle of a real `up` (issue 24): the seed's stack (Pulumi.dev.yaml, one control plane, Synology CSI
 * off) on the real Pulumi engine, the DSM simulator with its faults, the Image Factory stand-in and a Talos node
 * stand-in, every address on loopback. One stack, runs in order, as a user's would:
 *   1 the DSM session ends between two writes of the first up: the client logs in again once and the up goes on;
 *   2 DSM answers busy for a while: retried with backoff, the up completes;
 *   3 DSM answers 5xx beyond the retries: the up fails naming the call, the NAS holds the old settings, a re-run
 *     converges;
 *   4 the NAS presents another certificate than the pinned one: the next run is refused before any request, naming
 *     both fingerprints; with the pin updated, a re-run converges.
 * After each: the simulator's state is the old settings or the new ones (never a mix), and a later `preview` sees
 * nothing left to change. Asserted on the simulator's state and counters and on the engine's event log.
 */
import { changingSteps, diagnostics, EngineEvent, failedSteps, urnName } from "../support/events";
import { recordFigures } from "../support/figures";
import { defaultLoopbackBase, loopbackTwin } from "../support/loopback";
import { NasSnapshot, snapshotNas } from "../support/nas";
import { Harness, seedNasStackValues } from "../support/scenario";

const DSM_PASSWORD = "dsm-faults-Pa55word-3c1d";
const UPS_PASSWORD = "ups-faults-Pa55word-8e02";
const UKI = "metal-amd64-uki.efi";
const NODE_MAC = "52:54:00:12:34:57";
const lan = (ip: string) => loopbackTwin(ip, "192.168.0.0/24", defaultLoopbackBase());
const RESERVATION_SET = "SYNO.Network.DHCPServer.Reservation.set";

let h: Harness;

beforeAll(async () => {
    h = await Harness.start({
        values: seedNasStackValues(NODE_MAC),
        secrets: { synologyPassword: DSM_PASSWORD, upsPassword: UPS_PASSWORD },
        servers: { dsm: { users: { admin: DSM_PASSWORD } } },
        stack: "faults",
    });
    h.servers.factory.setAssetSize(UKI, 2 * 1024 * 1024);
    // The NAS as its owner left it: the DHCP server on, TFTP off, no reservation.
    h.servers.dsm.state.dhcpServers.eth0 = { ...h.servers.dsm.state.dhcpServers.eth0, enable: true };
}, 300_000);

afterAll(async () => {
    await h?.close();
});

const up = () => h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
const errorsOf = (events: EngineEvent[]) => diagnostics(events, "error").map((d) => d.message);

/** The stack's values with `dhcp.extraReservations` set (a change that writes the NAS's reservation list only). */
function withReservations(reservations: { mac: string; ip: string; hostname: string }[]): Record<string, unknown> {
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.dhcp.extraReservations = reservations.map((r) => ({ ...r, ip: lan(r.ip) }));
    return v;
}

/** The reservations on the NAS, as `mac ip hostname` lines (sorted). */
function reservationsOnNas(snapshot: NasSnapshot = snapshotNas(h.servers.dsm)): string[] {
    return snapshot.reservations.eth0.map((r) => `${r.clid.toLowerCase()} ${r.ip} ${r.hostname}`).sort();
}

/** A later run finds nothing to change: what the NAS holds is what the stack says, and the state knows it. */
async function expectConverged(): Promise<void> {
    const preview = await h.engine.run(["preview", "--expect-no-changes", ...h.engine.stackArgs()]);
    expect({
        code: preview.code,
        changes: changingSteps(preview.events).map((s) => `${s.op} ${urnName(s.urn)}`),
    }).toEqual({ code: 0, changes: [] });
}

const PRINTER = { mac: "d8:3a:dd:5e:c0:01", ip: "192.168.0.50", hostname: "printer" };
const SCANNER = { mac: "d8:3a:dd:5e:c0:02", ip: "192.168.0.51", hostname: "scanner" };

test("1. the DSM session ends between two writes of the first up: one re-login, and the up completes", async () => {
    const { dsm } = h.servers;
    // DSM ends every session right after it created the shared folder: the TFTP settings are the next write.
    dsm.faults.expireSessionsAfter("SYNO.Core.Share.create", 106);
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r.events), failed: failedSteps(r.events) }).toEqual({
        code: 0,
        errors: [],
        failed: [],
    });
    // The pre-flight's login, the provider host's, and one more after DSM ended the session: no loop, no second one.
    expect({ sessionErrors: dsm.counters.sessionErrors, logins: dsm.counters.logins }).toEqual({
        sessionErrors: 1,
        logins: 3,
    });
    const nas = snapshotNas(dsm);
    expect(nas.shares.pxe).toMatchObject({ vol_path: "/volume1" });
    expect(nas.tftp).toMatchObject({ enable: true, root_path: "/volume1/pxe" });
    expect(nas.files[`/pxe/${UKI}`]).toMatchObject({ size: 2 * 1024 * 1024 });
    expect(nas.pxe).toMatchObject({ enable: true, local_bootloader: UKI });
    expect(reservationsOnNas(nas)).toEqual([`${NODE_MAC} ${lan("192.168.0.2")} talos-cp-1`]);
    recordFigures({ faultSessionRelogins: dsm.counters.logins - 2 });
    await expectConverged();
});

test("2. DSM busy for a while: the write is retried with backoff and the up completes", async () => {
    const { dsm } = h.servers;
    h.setValues(withReservations([PRINTER]));
    dsm.resetCounters();
    dsm.faults.busy(RESERVATION_SET, 2, 117);
    const started = Date.now();
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r.events) }).toEqual({ code: 0, errors: [] });
    expect(dsm.counters.calls[RESERVATION_SET]).toBe(3);
    // Backoff: at least half the 0.5 s and 1 s delays (they are jittered down to half).
    expect(Date.now() - started).toBeGreaterThan(750);
    // The resources: the reservation list alone changed (a default provider may take the rewritten stack file's config).
    const resourceSteps = changingSteps(r.events).filter((s) => !s.type.startsWith("pulumi:providers:"));
    expect(resourceSteps.map((s) => `${s.op} ${urnName(s.urn)}`)).toEqual(["update nas-reservations"]);
    expect(reservationsOnNas()).toEqual(
        [`${NODE_MAC} ${lan("192.168.0.2")} talos-cp-1`, `${PRINTER.mac} ${lan(PRINTER.ip)} printer`].sort(),
    );
    await expectConverged();
    recordFigures({ faultBusyAttempts: dsm.counters.calls[RESERVATION_SET] });
});

test("3. DSM answering 5xx beyond the retries: the up fails naming the call, the NAS keeps the old settings, a re-run converges", async () => {
    const { dsm } = h.servers;
    const before = snapshotNas(dsm);
    h.setValues(withReservations([PRINTER, SCANNER]));
    dsm.resetCounters();
    dsm.faults.busy(RESERVATION_SET, 100, "http503");
    const failed = await up();
    expect(failed.code).not.toBe(0);
    // Bounded: the first attempt and 5 retries, then a clear error naming the call.
    expect(dsm.counters.calls[RESERVATION_SET]).toBe(6);
    const errors = errorsOf(failed.events).join("\n");
    expect(errors).toMatch(/SYNO\.Network\.DHCPServer\.Reservation set: the NAS answered HTTP 503/);
    expect(errors).toMatch(/gave up after 6 attempts/);
    expect(failedSteps(failed.events).map((s) => urnName(s.urn))).toEqual(["nas-reservations"]);
    // The old settings, all of them: nothing half-written.
    expect(snapshotNas(dsm)).toEqual(before);

    dsm.faults.busy(RESERVATION_SET, 0);
    const again = await up();
    expect({ code: again.code, errors: errorsOf(again.events) }).toEqual({ code: 0, errors: [] });
    expect(reservationsOnNas()).toEqual(
        [
            `${NODE_MAC} ${lan("192.168.0.2")} talos-cp-1`,
            `${PRINTER.mac} ${lan(PRINTER.ip)} printer`,
            `${SCANNER.mac} ${lan(SCANNER.ip)} scanner`,
        ].sort(),
    );
    await expectConverged();
    recordFigures({ faultGaveUpAfterAttempts: 6 });
});

test("4. another certificate than the pinned one: refused before any request, naming both fingerprints; with the pin updated, a re-run converges", async () => {
    const { dsm } = h.servers;
    const pinned = (h.values.synology as { tls: { fingerprintSha256: string } }).tls.fingerprintSha256;
    const before = snapshotNas(dsm);
    const presented = await dsm.rotateCertificate();
    h.setValues(withReservations([SCANNER]));
    dsm.resetCounters();
    const refused = await up();
    expect(refused.code).not.toBe(0);
    const errors = errorsOf(refused.events).join("\n");
    expect(errors).toContain(`has SHA-256 fingerprint ${presented}, not the pinned ${pinned}`);
    expect(errors).toMatch(/Nothing was sent/);
    expect({ requests: dsm.requests.length, writes: dsm.counters.writes }).toEqual({ requests: 0, writes: 0 });
    // Nothing changes but the dynamic-provider host's default provider, which main() starts before the pre-flight
    // (components/program-start.ts) and the engine registers with the stack's config, as any run that got further did.
    expect(
        changingSteps(refused.events)
            .map((s) => `${s.op} ${s.type}::${urnName(s.urn)}`)
            .filter((s) => s !== "update pulumi:providers:pulumi-nodejs::default"),
    ).toEqual([]);
    expect(snapshotNas(dsm)).toEqual(before);

    // The owner checks the new fingerprint in DSM and pins it.
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.synology.tls = { fingerprintSha256: presented };
    h.setValues(v);
    const again = await up();
    expect({ code: again.code, errors: errorsOf(again.events) }).toEqual({ code: 0, errors: [] });
    expect(reservationsOnNas()).toEqual(
        [`${NODE_MAC} ${lan("192.168.0.2")} talos-cp-1`, `${SCANNER.mac} ${lan(SCANNER.ip)} scanner`].sort(),
    );
    // Only the reservation list was written (the other resources stored the new pin and changed nothing).
    expect(dsm.counters.calls[RESERVATION_SET]).toBe(1);
    expect(dsm.counters.calls["SYNO.FileStation.Upload.upload"] ?? 0).toBe(0);
    await expectConverged();
    recordFigures({ faultCertRefusedRequests: 0 });
});
