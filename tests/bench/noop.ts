/**
 * No-op apply: the seed's stack (Pulumi.dev.yaml), pointed at a local DSM simulator (HTTPS, certificate
 * pinned by fingerprint, as the stack file suggests) and a local Image Factory, is applied once with the
 * engine emulation (tests/support/synology-engine.ts); then a fresh "process" (new DSM session) does what `pulumi up --refresh` does with
 * nothing changed: read + diff of every Synology resource. Counted on the simulator: calls by API and method,
 * writes, logins, upload bytes; on the factory: image bytes served.
 */
import { parseStackConfig } from "../../components/config";
import { schematicFromImage, schematicId, ukiFileName, ukiUrl } from "../../components/factory/schematic";
import type { SynologySpec } from "../../components/synology/pxe";
import { startDsmSimulator } from "../support/dsm-simulator";
import { startFactoryServer } from "../support/factory-server";
import {
    applySynology,
    quickRuntime,
    refreshAndDiff,
    resetDsmClients,
    RESOURCE_ORDER,
    useDsmRuntime,
} from "../support/synology-engine";
import { assertOnlyLoopbackUrls, BENCH_DSM_PASSWORD, localisedSeedValues } from "./lib";

const WRITE_METHODS = new Set(["set", "create", "delete", "upload", "rename", "start_delete"]);

export interface NoopResult {
    noopCalls: Record<string, number>;
    noopCallsTotal: number;
    noopWrites: number;
    noopLogins: number;
    noopImageBytes: number;
    noopChanged: string[];
    noopFirstApplyCalls: number;
    noopResources: number;
}

export async function runNoopBench(log: (m: string) => void): Promise<NoopResult> {
    const sim = await startDsmSimulator({ https: true, users: { admin: BENCH_DSM_PASSWORD } });
    const factory = await startFactoryServer();
    useDsmRuntime(quickRuntime());
    try {
        const values = localisedSeedValues({
            dsmUrl: sim.url,
            tls: { fingerprintSha256: sim.fingerprintSha256 },
            factoryUrl: factory.url,
        });
        const cfg = parseStackConfig(values);
        assertOnlyLoopbackUrls([cfg.synology.url, cfg.image.factoryUrl], "no-op apply config");
        // A homelab NAS already runs its DHCP server on the interface (dhcp.manageServer is off in the seed).
        sim.state.dhcpServers[cfg.synology.interface].enable = true;

        const schematic = schematicFromImage(cfg.image);
        const id = factory.register(schematic);
        if (id !== schematicId(schematic)) throw new Error(`factory ID ${id} differs from the offline schematic ID`);
        const spec: SynologySpec = {
            synology: cfg.synology,
            dhcp: cfg.dhcp,
            nodes: cfg.nodes,
            image: {
                ukiUrl: ukiUrl(cfg.image.factoryUrl, id, cfg.cluster.talosVersion, cfg.image.arch),
                ukiFileName: ukiFileName(cfg.image.arch),
                schematicId: id,
                talosVersion: cfg.cluster.talosVersion,
                arch: cfg.image.arch,
            },
            backupShare: cfg.backups.share,
        };

        resetDsmClients();
        const state = await applySynology(spec, cfg.synologyPassword);
        const firstApplyCalls = Object.values(sim.counters.calls).reduce((a, b) => a + b, 0);

        // A new `pulumi up`: a new provider process, so a new session.
        resetDsmClients();
        sim.resetCounters();
        const factoryBytesBefore = factory.bytesServed;
        const factoryImageGetsBefore = factory.calls.imageGet + factory.calls.cdnGet;
        const { diffs } = await refreshAndDiff(spec, cfg.synologyPassword, state);

        const calls = Object.fromEntries(Object.entries(sim.counters.calls).sort(([a], [b]) => a.localeCompare(b)));
        const writeByMethod = Object.entries(calls).filter(([k]) => WRITE_METHODS.has(k.slice(k.lastIndexOf(".") + 1)));
        const noopWrites = Math.max(
            sim.counters.writes,
            writeByMethod.reduce((a, [, n]) => a + n, 0),
        );
        const imageBytes = factory.bytesServed - factoryBytesBefore + sim.counters.uploadBytes;
        const changed = diffs
            .filter((d) => d.changes)
            .map((d) => `${d.key}${d.replaces.length ? ` (replace: ${d.replaces.join(", ")})` : ""}`);
        const total = Object.values(calls).reduce((a, b) => a + b, 0);
        log(
            `  ${RESOURCE_ORDER.length} resources (first apply: ${firstApplyCalls} DSM calls); no-op read+diff: ${total} DSM calls, ` +
                `${noopWrites} writes, ${sim.counters.logins} login(s), ${imageBytes} image bytes ` +
                `(${factory.calls.imageGet + factory.calls.cdnGet - factoryImageGetsBefore} image GETs), diffs with changes: ${changed.length ? changed.join("; ") : "none"}`,
        );
        for (const [k, n] of Object.entries(calls)) log(`    ${k}: ${n}`);
        return {
            noopCalls: calls,
            noopCallsTotal: total,
            noopWrites,
            noopLogins: sim.counters.logins,
            noopImageBytes: imageBytes,
            noopChanged: changed,
            noopFirstApplyCalls: firstApplyCalls,
            noopResources: state.length,
        };
    } finally {
        resetDsmClients();
        useDsmRuntime(undefined);
        await sim.close();
        await factory.close();
    }
}
