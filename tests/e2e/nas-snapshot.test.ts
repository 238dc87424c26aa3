/**
 * e2e's picture of the NAS (e2e/support/nas.ts `snapshotNas`): every object of the simulator's state is in it but
 * the few it leaves out on purpose, so an object the simulator gains for a new setting is compared without anyone
 * remembering to list it.
 */
import { snapshotNas } from "../../e2e/support/nas";
import { DsmSimulator, simShare, startDsmSimulator } from "../support/dsm-simulator";

let sim: DsmSimulator;
beforeEach(async () => {
    sim = await startDsmSimulator({ users: { admin: "pw-snapshot-1" }, state: { shares: { pxe: simShare("pxe") } } });
});
afterEach(() => sim.close());

test("holds every object of the simulator's state but leases, groups and volumes, and the files without bytes", () => {
    const snap = snapshotNas(sim) as unknown as Record<string, unknown>;
    const kept = Object.keys(sim.state).filter((k) => !["leases", "groups", "volumes"].includes(k));
    expect(Object.keys(snap).sort()).toEqual(kept.sort());
    expect(snap.tftp).toEqual(sim.state.tftp);
    expect(snap.files).toEqual({ "/pxe": { isdir: true, size: 0, md5: "" } });
});

test("an object the simulator gains (a new DSM setting) is in it at once, as a copy", () => {
    (sim.state as unknown as Record<string, unknown>).upsServer = { enable: false, permitted: ["127.0.0.2"] };
    const snap = snapshotNas(sim) as unknown as Record<string, { enable: boolean }>;
    expect(snap.upsServer).toEqual({ enable: false, permitted: ["127.0.0.2"] });
    (sim.state as unknown as Record<string, { enable: boolean }>).upsServer.enable = true;
    expect(snap.upsServer.enable).toBe(false);
});
