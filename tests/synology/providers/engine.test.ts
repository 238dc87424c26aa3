/**
 * Every DSM resource run the engine's way: the text its state stores (`__provider`, the shim) loaded with
 * require-from-string in a fresh node process in the project folder, `.handler()` (which loads the provider from
 * the project's code), then check/create/read/diff/update/delete against the DSM simulator (and the local factory
 * for the boot file).
 */
import { SynologyBootFile } from "../../../components/synology/providers/bootfile";
import { SynologyDhcpServer } from "../../../components/synology/providers/dhcp";
import { SynologyPxeSettings } from "../../../components/synology/providers/pxe";
import { SynologyReservations } from "../../../components/synology/providers/reservations";
import { SynologyShare } from "../../../components/synology/providers/share";
import { SynologyTftp } from "../../../components/synology/providers/tftp";
import { synologyResourceInputs } from "../../../components/synology/pxe";
import { ChildRun, lifecycle, runStoredText } from "../../support/provider-host";
import { dhcpConfig, Env, PASSWORD, snapshot, spec, startEnv } from "./harness";
import { simShare } from "../../support/dsm-simulator";

jest.setTimeout(60_000);

let env: Env;
afterEach(async () => {
    await env?.close();
});

function inputs(e: Env) {
    const all = synologyResourceInputs(spec(e, { dhcp: dhcpConfig({ manageServer: true }) }));
    const withPw = <T extends object>(o: T) => ({ ...o, password: PASSWORD });
    return {
        share: withPw(all.share),
        tftp: withPw(all.tftp),
        bootFile: withPw(all.bootFile),
        dhcp: withPw(all.dhcp),
        reservations: withPw(all.reservations),
        pxe: withPw(all.pxe),
    };
}

function ops(run: ChildRun): string[] {
    return run.results.map((r) => `${r.op}:${r.ok ? "ok" : r.error}`);
}

/** Every step of the lifecycle ran, in order, without an error. */
function expectEveryStepOk(run: ChildRun, steps: { op: string }[]): void {
    expect(ops(run)).toEqual(steps.map((s) => `${s.op}:ok`));
}

function diffs(run: ChildRun): boolean[] {
    return run.results.filter((r) => r.op === "diff").map((r) => (r.result as { changes: boolean }).changes);
}

function noSecrets(run: ChildRun): void {
    const text = JSON.stringify(run.results.map((r) => ({ ...r, result: stripPassword(r.result) })));
    expect(text).not.toContain(PASSWORD);
}

/** Drop the password from the places it belongs (check's inputs, create/update outs, read props). */
function stripPassword(v: unknown): unknown {
    if (!v || typeof v !== "object") {
        return v;
    }
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const k of ["inputs", "outs", "props"]) {
        if (out[k] && typeof out[k] === "object") {
            const bag = { ...(out[k] as Record<string, unknown>) };
            expect(bag.password).toBe(PASSWORD); // the one property it lives in, marked secret on the resource
            delete bag.password;
            out[k] = bag;
        }
    }
    return out;
}

describe("providers run the engine's way in a fresh node process", () => {
    test("share: create, read, no-op diff, delete (created here → deleted)", async () => {
        env = await startEnv();
        const before = snapshot(env.sim);
        const run = await runStoredText(SynologyShare.providerText, { A: inputs(env).share }, lifecycle(false));
        expectEveryStepOk(run, lifecycle(false));
        expect(diffs(run)).toEqual([false]);
        expect(run.results[1].result).toMatchObject({ id: "pxe", outs: { created: true, exists: true } });
        expect(snapshot(env.sim)).toEqual(before);
        expect(env.sim.counters.calls["SYNO.Core.Share.create"]).toBe(1);
        expect(env.sim.counters.calls["SYNO.Core.Share.delete"]).toBe(1);
        noSecrets(run);
    });

    test("tftp: create, update to rw, restore on delete", async () => {
        env = await startEnv();
        env.sim.state.shares.pxe = simShare("pxe");
        const before = snapshot(env.sim);
        const i = inputs(env);
        const run = await runStoredText(
            SynologyTftp.providerText,
            { A: i.tftp, B: { ...i.tftp, permission: "rw" } },
            lifecycle(true),
        );
        expectEveryStepOk(run, lifecycle(true));
        expect(diffs(run)).toEqual([false, true, false]);
        expect((run.results[6].result as { props: { actual: unknown } }).props.actual).toEqual({
            enable: true,
            root_path: "/volume1/pxe",
            permission: "rw",
            startip: "0.0.0.0",
            endip: "255.255.255.255",
        });
        expect(snapshot(env.sim)).toEqual(before);
        noSecrets(run);
    });

    test("boot file: streamed upload, read with MD5, no-op diff, URL-only update without download, delete", async () => {
        env = await startEnv();
        env.sim.state.shares.pxe = simShare("pxe");
        env.sim.putFile("/pxe", { size: 0, md5: "" });
        env.sim.state.files.get("/pxe")!.isdir = true;
        const i = inputs(env);
        const run = await runStoredText(
            SynologyBootFile.providerText,
            { A: i.bootFile, B: { ...i.bootFile, ukiUrl: `${i.bootFile.ukiUrl}?mirror=1` } },
            lifecycle(true),
        );
        expectEveryStepOk(run, lifecycle(true));
        expect(diffs(run)).toEqual([false, true, false]);
        const created = run.results[1].result as { outs: { size: number; md5: string } };
        expect(created.outs.size).toBe(env.factory.assetSize(env.schematicId, "v1.12.1", "metal-amd64-uki.efi"));
        expect(env.factory.calls.imageGet).toBe(1); // the update did not download again
        expect(env.sim.counters.calls["SYNO.FileStation.Upload.upload"]).toBe(1);
        expect([...env.sim.state.files.keys()]).toEqual(["/pxe"]);
        noSecrets(run);
    });

    test("dhcp server (managed): create, update the range, restore on delete", async () => {
        env = await startEnv();
        const before = snapshot(env.sim);
        const i = inputs(env);
        const run = await runStoredText(
            SynologyDhcpServer.providerText,
            { A: i.dhcp, B: { ...i.dhcp, settings: { ...i.dhcp.settings, rangeEnd: "192.168.0.150" } } },
            lifecycle(true),
        );
        expectEveryStepOk(run, lifecycle(true));
        expect(diffs(run)).toEqual([false, true, false]);
        expect((run.results[6].result as { props: { actual: { endip: string } } }).props.actual.endip).toBe(
            "192.168.0.150",
        );
        expect(snapshot(env.sim)).toEqual(before);
        noSecrets(run);
    });

    test("reservations: create, change one IP, delete keeps the NAS's own entry; a conflict is a clear error", async () => {
        env = await startEnv();
        env.sim.state.reservations.eth0 = [{ clid: "00:11:22:33:44:55", ip: "192.168.0.50", hostname: "printer" }];
        const before = snapshot(env.sim);
        const i = inputs(env);
        const moved = i.reservations.entries.map((e) => (e.hostname === "w1" ? { ...e, ip: "192.168.0.22" } : e));
        const run = await runStoredText(
            SynologyReservations.providerText,
            { A: i.reservations, B: { ...i.reservations, entries: moved } },
            lifecycle(true),
        );
        expectEveryStepOk(run, lifecycle(true));
        expect(diffs(run)).toEqual([false, true, false]);
        expect((run.results[5].result as { outs: { managed: unknown } }).outs.managed).toEqual(moved);
        expect(snapshot(env.sim)).toEqual(before);
        noSecrets(run);

        env.sim.state.reservations.eth0.push({ clid: "AA:BB:CC:00:00:01", ip: "192.168.0.77", hostname: "someone" });
        const conflict = await runStoredText(SynologyReservations.providerText, { A: i.reservations }, [
            { op: "create", inputs: "A" },
        ]);
        expect(conflict.results[0].ok).toBe(false);
        expect(conflict.results[0].error).toMatch(
            /MAC aa:bb:cc:00:00:01 is already reserved for aa:bb:cc:00:00:01 → 192\.168\.0\.77 \(someone\)/,
        );
    });

    test("pxe: create, change the boot loader, restore on delete", async () => {
        env = await startEnv();
        env.sim.state.pxe = {
            enable: false,
            is_remote_tftp: "true",
            local_bootloader: "",
            remote_bootloader: "x.efi",
            remote_tftp_server_ip: "192.168.0.3",
        };
        const before = snapshot(env.sim);
        const i = inputs(env);
        const run = await runStoredText(
            SynologyPxeSettings.providerText,
            { A: i.pxe, B: { ...i.pxe, bootloader: "metal-arm64-uki.efi" } },
            lifecycle(true),
        );
        expectEveryStepOk(run, lifecycle(true));
        expect(diffs(run)).toEqual([false, true, false]);
        expect((run.results[6].result as { props: { actual: unknown } }).props.actual).toEqual({
            enable: true,
            remoteTftp: false,
            localBootloader: "metal-arm64-uki.efi",
        });
        expect(snapshot(env.sim)).toEqual(before);
        noSecrets(run);
    });

    test("errors from the NAS carry no password (wrong password, redacted)", async () => {
        env = await startEnv();
        const i = inputs(env);
        const run = await runStoredText(
            SynologyTftp.providerText,
            { A: { ...i.tftp, password: `${PASSWORD}-wrong` } },
            [{ op: "create", inputs: "A" }],
        );
        expect(run.results[0].ok).toBe(false);
        expect(run.results[0].error).toMatch(/^TFTP settings: /);
        expect(run.results[0].error).not.toContain(PASSWORD);
        expect(run.stderr).not.toContain(PASSWORD);
    });
});
