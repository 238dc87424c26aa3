/**
 * The seed's stack (Pulumi.dev.yaml: one control plane) on the real Pulumi engine, the real Talos and command
 * providers, the DSM simulator, the Image Factory stand-in and a Talos node stand-in — every address on
 * loopback. The scenarios run in order on one stack, as a user's runs would:
 *   1 preview of a fresh stack = the mock tests' graph · 2 first up · 3 nothing changed: no writes, no bytes ·
 *   4 what a node IP or Talos version change would do · 5 no secret in clear at rest · 6 an up killed mid-upload,
 *   then the README's recovery · 7 destroy puts the NAS back as it was.
 */
import * as YAML from "yaml";
import { installerImage, schematicFromImage, schematicId } from "../../components/factory/schematic";
import { expectedAssetDigest } from "../../tests/support/factory-server";
import { changeCounts, changingSteps, diagnostics, steps, urnName, urnTypeChain } from "../support/events";
import { recordFigures } from "../support/figures";
import { NasSnapshot, snapshotNas, strayFiles } from "../support/nas";
import { listProcesses } from "../support/processes";
import { defaultLoopbackBase, loopbackTwin } from "../support/loopback";
import { Harness, mockGraph, seedNasStackValues } from "../support/scenario";

const DSM_PASSWORD = "dsm-e2e-Pa55word-7f3a";
const UPS_PASSWORD = "ups-e2e-Pa55word-91c2";
const UKI = "metal-amd64-uki.efi";
const UKI_BYTES = 8 * 1024 * 1024;
const NODE_MAC = "52:54:00:12:34:56";
/** Where a LAN address of the dev stack (192.168.0.0/24) lands on loopback in this run. */
const lan = (ip: string) => loopbackTwin(ip, "192.168.0.0/24", defaultLoopbackBase());
const PRINTER = { clid: "AA:BB:CC:00:00:01", ip: lan("192.168.0.50"), hostname: "printer" };

let h: Harness;
let before: NasSnapshot;
let firstUpState: string;

const NAS_TYPES = /^pulumi-nodejs:dynamic\/synology:/;
const nasSteps = (events: Parameters<typeof steps>[0]) => changingSteps(events).filter((s) => NAS_TYPES.test(s.type));

beforeAll(async () => {
    h = await Harness.start({
        values: seedNasStackValues(NODE_MAC),
        secrets: { synologyPassword: DSM_PASSWORD, upsPassword: UPS_PASSWORD },
        servers: { dsm: { users: { admin: DSM_PASSWORD } } },
    });
    const { dsm, factory } = h.servers;
    factory.setAssetSize(UKI, UKI_BYTES);
    // The NAS as its owner left it: DHCP server on, a printer's reservation, TFTP off.
    dsm.state.dhcpServers.eth0 = { ...dsm.state.dhcpServers.eth0, enable: true };
    dsm.state.reservations.eth0 = [{ ...PRINTER }];
    before = snapshotNas(dsm);
}, 300_000);

afterAll(async () => {
    await h?.close();
});

const image = () => h.values.image as { factoryUrl: string; extensions: string[]; extraKernelArgs?: string[] };
const cluster = () => h.values.cluster as { talosVersion: string };
const nodeIp = () => (h.values.nodes as { ip: string }[])[0].ip;
const id = () =>
    schematicId(schematicFromImage({ extensions: image().extensions, extraKernelArgs: image().extraKernelArgs ?? [] }));

test("1. preview of a fresh stack lists every resource the mock tests expect, with the same URNs and parents", async () => {
    const r = await h.engine.run(["preview", ...h.engine.stackArgs()]);
    expect(r.code).toBe(0);
    // The program starts the dynamic-provider host early with an invoke the host does not have
    // (components/program-start.ts): its "unknown function" answer is the program's alone, never said to the user
    // (the SDK's debug lines, shown with --debug only, name every invoke).
    expect(
        diagnostics(r.events).filter((d) => d.severity !== "debug" && /unknown function|startHost/.test(d.message)),
    ).toEqual([]);
    const engine = steps(r.events)
        .filter((s) => !/^pulumi:(pulumi:Stack|providers:)/.test(s.type))
        .map((s) => {
            const chain = urnTypeChain(s.urn).split("$");
            const parentUrn = s.new?.parent;
            return {
                type: s.type,
                name: urnName(s.urn),
                ...(chain.length > 1 && parentUrn
                    ? { parentType: chain[chain.length - 2], parentName: urnName(parentUrn) }
                    : {}),
            };
        });
    const mocks = await mockGraph({ ...h.values, synologyPassword: DSM_PASSWORD, upsPassword: UPS_PASSWORD });
    const key = (e: { type: string; name: string }) => `${e.type}::${e.name}`;
    expect([...engine].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
        [...mocks].sort((a, b) => key(a).localeCompare(key(b))),
    );
    expect(
        engine.every(
            (s) => s.type === undefined || steps(r.events).find((x) => urnName(x.urn) === s.name)?.op === "create",
        ),
    ).toBe(true);
});

test("2. up: the NAS serves the factory's image over PXE, and the node got the config the real provider rendered", async () => {
    const { dsm, factory } = h.servers;
    const r = await h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: r.code, errors: diagnostics(r.events, "error").map((d) => d.message) }).toEqual({
        code: 0,
        errors: [],
    });

    // NAS: share, TFTP root, boot file = the factory's bytes, reservations merged with the printer's, PXE.
    expect(dsm.state.shares.pxe).toBeDefined();
    expect(dsm.state.tftp).toMatchObject({ enable: true, root_path: "/volume1/pxe" });
    const boot = dsm.getFile(`/pxe/${UKI}`);
    expect(boot).toMatchObject({
        size: UKI_BYTES,
        md5: expectedAssetDigest(id(), cluster().talosVersion, UKI, UKI_BYTES),
    });
    expect(dsm.state.reservations.eth0.map((x) => [x.clid.toLowerCase(), x.ip]).sort()).toEqual(
        [
            [PRINTER.clid.toLowerCase(), PRINTER.ip],
            [NODE_MAC, nodeIp()],
        ].sort(),
    );
    expect(dsm.state.pxe).toMatchObject({ enable: true, local_bootloader: UKI });
    expect(factory.bytesServed).toBe(UKI_BYTES);

    // Talos: one apply, in maintenance mode, of the config the real provider rendered.
    const nodes = h.nodes!;
    const applies = nodes.okCalls("ApplyConfiguration", nodeIp());
    expect(applies).toHaveLength(1);
    expect(applies[0].mode).toBe("maintenance");
    const docs = YAML.parseAllDocuments(await nodes.config(nodeIp())).map((d) => d.toJS() as Record<string, any>);
    const main = docs.find((d) => d.version === "v1alpha1")!;
    expect(main.machine.type).toBe("controlplane");
    expect(main.machine.install).toMatchObject({
        disk: "/dev/nvme0n1",
        image: installerImage(image().factoryUrl, id(), cluster().talosVersion),
        wipe: false,
    });
    expect(main.machine.kubelet.image).toMatch(/:v1\.35\.\d+$/);
    expect(docs.find((d) => d.kind === "HostnameConfig")).toMatchObject({ hostname: "talos-cp-1", auto: "off" });
    const nut = docs.find((d) => d.kind === "ExtensionServiceConfig" && d.name === "nut-client")!;
    expect(nut.configFiles[0].content).toContain(
        `MONITOR ups@${lan("192.168.0.6")} 1 monuser ${UPS_PASSWORD} secondary`,
    );
    expect(nodes.okCalls("Bootstrap")).toHaveLength(1);
    expect((await nodes.node(nodeIp())).mode).toBe("configured");

    const state = await h.engine.exportState();
    firstUpState = state.text;
    const resources = state.deployment.deployment.resources ?? [];
    const providerBytes = resources.map(
        (x) => String((x.inputs as Record<string, unknown> | undefined)?.__provider ?? "").length,
    );
    recordFigures({ stateBytes: state.text.length, providerCodeBytesPerResource: Math.max(...providerBytes) });
});

test("3. nothing changed: preview and refresh see no change, and a second up makes no DSM write and moves no image byte", async () => {
    const { dsm, factory } = h.servers;
    const preview = await h.engine.run(["preview", "--expect-no-changes", ...h.engine.stackArgs()]);
    expect({
        code: preview.code,
        changes: changingSteps(preview.events).map((s) => `${s.op} ${urnName(s.urn)}`),
    }).toEqual({ code: 0, changes: [] });
    const refresh = await h.engine.run(["refresh", "--yes", "--expect-no-changes", ...h.engine.stackArgs()]);
    expect({
        code: refresh.code,
        changes: changingSteps(refresh.events).map((s) => `${s.op} ${urnName(s.urn)}`),
    }).toEqual({ code: 0, changes: [] });

    dsm.resetCounters();
    const bytesBefore = factory.bytesServed;
    const appliesBefore = h.nodes!.okCalls("ApplyConfiguration").length;
    const up = await h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect(up.code).toBe(0);
    expect(changeCounts(up.events)).toEqual({ same: expect.any(Number) });
    const calls = Object.values(dsm.counters.calls).reduce((a, b) => a + b, 0);
    expect({
        writes: dsm.counters.writes,
        uploadBytes: dsm.counters.uploadBytes,
        factoryBytes: factory.bytesServed - bytesBefore,
    }).toEqual({ writes: 0, uploadBytes: 0, factoryBytes: 0 });
    expect(h.nodes!.okCalls("ApplyConfiguration").length).toBe(appliesBefore);
    recordFigures({
        noopDsmCalls: calls,
        noopDsmWrites: dsm.counters.writes,
        noopImageBytes: dsm.counters.uploadBytes,
    });
});

test("4. a node's IP change rewrites only the reservations on the NAS; a Talos version change replaces the boot file and changes the config", async () => {
    const base = h.values;
    const moved = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    moved.nodes[0].ip = lan("192.168.0.3");
    h.setValues(moved);
    const ip = await h.engine.run(["preview", "--diff", ...h.engine.stackArgs()]);
    expect(ip.code).toBe(0);
    expect(nasSteps(ip.events).map((s) => `${s.op} ${urnName(s.urn)}`)).toEqual(["update nas-reservations"]);

    const newer = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    newer.cluster.talosVersion = "v1.12.0";
    h.setValues(newer);
    const version = await h.engine.run(["preview", ...h.engine.stackArgs()]);
    expect(version.code).toBe(0);
    const ops = changingSteps(version.events).map((s) => `${s.op} ${urnName(s.urn)}`);
    expect(ops).toEqual(expect.arrayContaining(["create-replacement nas-bootfile", "update talos-talos-cp-1-apply"]));
    expect(nasSteps(version.events).every((s) => urnName(s.urn) === "nas-bootfile")).toBe(true);
    h.setValues(base);
});

test("4b. preview announces a newer Talos patch the factory offers, on the image, and asks nothing when the version is pinned", async () => {
    const { factory } = h.servers;
    const base = h.values;
    const said = (events: Parameters<typeof diagnostics>[0]) =>
        diagnostics(events, "info").filter((d) => d.message.includes("is out: the Image Factory"));
    // v1.12.1 is the newest 1.12 the stand-in offers (DEFAULT_VERSIONS): nothing to say, one GET /versions.
    let asked = factory.calls.versions;
    const current = await h.engine.run(["preview", ...h.engine.stackArgs()]);
    expect({ code: current.code, said: said(current.events), asked: factory.calls.versions - asked }).toEqual({
        code: 0,
        said: [],
        asked: 1,
    });

    const older = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    older.cluster.talosVersion = "v1.12.0";
    h.setValues(older);
    asked = factory.calls.versions;
    const behind = await h.engine.run(["preview", ...h.engine.stackArgs()]);
    expect(behind.code).toBe(0);
    expect(factory.calls.versions - asked).toBe(1);
    const notes = said(behind.events);
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toContain("Talos v1.12.1 is out");
    expect(notes[0].message).toContain("than v1.12.0 (cluster.talosVersion)");
    expect(urnTypeChain(notes[0].urn ?? "")).toMatch(/homelab:factory:TalosImage$/);

    older.cluster.talosVersionPinned = true;
    h.setValues(older);
    asked = factory.calls.versions;
    const pinned = await h.engine.run(["preview", ...h.engine.stackArgs()]);
    expect({ code: pinned.code, said: said(pinned.events), asked: factory.calls.versions - asked }).toEqual({
        code: 0,
        said: [],
        asked: 0,
    });
    h.setValues(base);
});

test("4c. preview names the node whose config change needs a reboot (Talos 1.12), and not one Talos applies live", async () => {
    const base = h.values;
    const reboots = (events: Parameters<typeof diagnostics>[0]) =>
        diagnostics(events, "info").filter((d) => d.message.includes("need a reboot"));
    const live = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    live.nodes[0].patches = ["machine:\n  nodeLabels:\n    zone: rack-1\n"];
    h.setValues(live);
    const labels = await h.engine.run(["preview", ...h.engine.stackArgs()]);
    expect({ code: labels.code, said: reboots(labels.events) }).toEqual({ code: 0, said: [] });

    const env = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    env.nodes[0].patches = ["machine:\n  env:\n    https_proxy: http://127.0.0.1:3128\n"];
    h.setValues(env);
    const proxy = await h.engine.run(["preview", ...h.engine.stackArgs()]);
    expect(proxy.code).toBe(0);
    const said = reboots(proxy.events).map((d) => d.message);
    expect(said).toEqual([expect.stringContaining(": the change needs a reboot; applyMode auto reboots it now")]);
    expect(said[0]).toContain(`${(base.nodes as { hostname: string }[])[0].hostname}: the change needs a reboot`);
    h.setValues(base);
});

/** A value of `pulumi stack export --show-secrets` with its secrets opened (`{<sig>: …, plaintext: "<json>"}`). */
function reveal(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(reveal);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o["4dabf18193072939515e22adb298388d"] !== undefined && typeof o.plaintext === "string")
            return reveal(JSON.parse(o.plaintext));
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

test("5. at rest, the state holds no secret in clear: DSM and UPS passwords, machine secrets, talosconfig, kubeconfig", async () => {
    const clear = await h.engine.exportState(false);
    const revealed = await h.engine.exportState(true);
    const outputs = reveal(
        (revealed.deployment.deployment.resources ?? []).find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {},
    ) as Record<string, unknown>;
    const secretsRes = (revealed.deployment.deployment.resources ?? []).find(
        (r) => r.type === "talos:machine/secrets:Secrets",
    )!;
    const ms = reveal(secretsRes.outputs!.machineSecrets) as {
        cluster: { secret: string };
        secrets: { bootstrapToken: string };
        certs: { os: { key: string } };
    };
    const secrets: Record<string, string> = {
        dsmPassword: DSM_PASSWORD,
        upsPassword: UPS_PASSWORD,
        clusterSecret: ms.cluster.secret,
        bootstrapToken: ms.secrets.bootstrapToken,
        osCaKey: ms.certs.os.key,
        kubeconfig: String(outputs.kubeconfig),
        talosconfig: String(outputs.talosconfig),
    };
    for (const [k, v] of Object.entries(secrets)) expect({ k, long: v.length > 16 }).toEqual({ k, long: true });
    // What the secret values look like when a dump leaks them: the value itself, or a distinctive line of it.
    const needles = Object.entries(secrets).flatMap(([k, v]) => [
        [k, v],
        ...v
            .split("\n")
            .filter((l) => l.length > 40)
            .slice(0, 3)
            .map((l) => [k, l.trim()]),
    ]);
    const texts = [
        { file: "pulumi stack export", text: clear.text },
        ...h.engine.backendFiles(),
        ...[firstUpState].map((t) => ({ file: "state after up", text: t })),
    ];
    const found = needles.flatMap(([k, n]) => texts.filter((t) => t.text.includes(n)).map((t) => `${k} in ${t.file}`));
    recordFigures({ secretsInState: found.length });
    expect(found).toEqual([]);
});

test("6. an up killed (SIGKILL) during the boot-file upload: the provider host stops, the README's recovery converges, nothing partial stays", async () => {
    const { dsm, factory } = h.servers;
    const changed = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    changed.cluster.talosVersion = "v1.12.0";
    h.setValues(changed);
    factory.faults.chunkDelayMs = 25; // ~3 s for the 8 MiB image: time to kill it half-way
    dsm.resetCounters();
    let pid = 0;
    const killed = h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()], {
        onStart: (p) => {
            pid = p;
        },
    });
    const deadline = Date.now() + 120_000;
    while (dsm.counters.uploadBytes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(dsm.counters.uploadBytes).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    const k = await killed;
    expect(k.signal).toBe("SIGKILL");
    factory.faults.chunkDelayMs = 0;

    // The dynamic-provider host the engine started must not go on streaming into the NAS.
    const hosts = () =>
        listProcesses().filter((p) => p.cmd.includes("dynamic-provider") && p.cwd === h.engine.projectDir);
    const until = Date.now() + 20_000;
    while (hosts().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    expect(hosts()).toEqual([]);
    const bytesAfterKill = dsm.counters.uploadBytes;
    await new Promise((r) => setTimeout(r, 1000));
    expect(dsm.counters.uploadBytes).toBe(bytesAfterKill);
    // Never a partial boot file under the final name.
    const mid = snapshotNas(dsm);
    expect(mid.files[`/pxe/${UKI}`].size).toBe(UKI_BYTES);

    // The README's recovery: the stack is locked until `pulumi cancel`; then refresh clears the pending operation.
    const locked = await h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect(locked.code).not.toBe(0);
    expect(locked.stdout + locked.stderr).toMatch(/locked/);
    await h.engine.ok(["cancel", "--yes", "--stack", h.engine.stack]);
    await h.engine.ok(["refresh", "--yes", "--clear-pending-creates", ...h.engine.stackArgs()]);
    const up = await h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: up.code, errors: diagnostics(up.events, "error").map((d) => d.message) }).toEqual({
        code: 0,
        errors: [],
    });

    const after = snapshotNas(dsm);
    expect(after.files[`/pxe/${UKI}`]).toMatchObject({
        size: UKI_BYTES,
        md5: expectedAssetDigest(id(), "v1.12.0", UKI, UKI_BYTES),
    });
    expect(strayFiles(after, "pxe", [UKI])).toEqual([]);
    const state = await h.engine.exportState();
    expect(state.deployment.deployment.pending_operations ?? []).toEqual([]);
    const again = await h.engine.run(["preview", "--expect-no-changes", ...h.engine.stackArgs()]);
    expect(again.code).toBe(0);
});

test("7. destroy puts the NAS back exactly as it was before the first up", async () => {
    const r = await h.engine.run(["destroy", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: r.code, errors: diagnostics(r.events, "error").map((d) => d.message) }).toEqual({
        code: 0,
        errors: [],
    });
    const after = snapshotNas(h.servers.dsm);
    expect(strayFiles(after, "pxe", [])).toEqual([]);
    expect(after).toEqual(before);
});
