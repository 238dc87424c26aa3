/**
 * The Pulumi engine's part in a run of the DSM resources, without Pulumi: resource order and the apply /
 * refresh / up / destroy drivers (check → create; read → check → diff → update or replace; delete in reverse).
 * The providers are the resource classes' own, built with the runtime {@link useDsmRuntime} sets (the host's
 * otherwise: what `SynologyShare.provider`, … run), in the order of `SYNOLOGY_RESOURCES` (components/synology/pxe.ts).
 * Used by the provider tests and the benchmark, e.g. `refreshAndDiff` to show that a no-op apply makes no writes.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DsmClientOptions } from "../../components/synology/dsm/transport";
import { getDsmClient, REGISTRY_KEY } from "../../components/synology/dsm/registry";
import { DsmRuntime, HOST_RUNTIME } from "../../components/synology/kit/resource";
import {
    SYNOLOGY_RESOURCES,
    synologyResourceInputs,
    SynologyResourceInputs,
    SynologySpec,
} from "../../components/synology/pxe";

export type ResourceKey = keyof SynologyResourceInputs;

/** The resource keys in apply order, as the component's dependsOn chain orders them. */
export const RESOURCE_ORDER = Object.keys(SYNOLOGY_RESOURCES) as ResourceKey[];

/** The client tuning of tests and the benchmark: MD5 polled every 5 ms instead of every second, quick retries. */
export const QUICK_CLIENT: DsmClientOptions = { md5PollMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 20 };

/** The host's runtime with a quick client, its messages (and the client's warnings) going to `log`. */
export function quickRuntime(log: (message: string) => void = () => undefined): DsmRuntime {
    return { client: (conn) => getDsmClient(conn, { ...QUICK_CLIENT, log }), log };
}

/** Forget every shared DSM client of this process, without logging out: the next call makes a new one. */
export function resetDsmClients(): void {
    delete (globalThis as Record<string, unknown>)[REGISTRY_KEY];
}

let runtime: DsmRuntime = HOST_RUNTIME;

/** The runtime the drivers below build the providers with, until the next call; none: the host's. */
export function useDsmRuntime(r: DsmRuntime | undefined): void {
    runtime = r ?? HOST_RUNTIME;
}

/** The provider of a resource, with the runtime in use. */
function providerOf(key: ResourceKey): pulumi.dynamic.ResourceProvider {
    return SYNOLOGY_RESOURCES[key].providerWith(runtime);
}

/** One resource's stored state, as the engine would keep it. */
export interface StoredResource {
    key: ResourceKey;
    id: string;
    outs: Record<string, unknown>;
}

/** One resource's diff after a read. */
export interface RefreshDiff {
    key: ResourceKey;
    changes: boolean;
    replaces: string[];
}

function withPassword(spec: SynologySpec, password: string): Record<ResourceKey, Record<string, unknown>> {
    const inputs = synologyResourceInputs(spec);
    const out = {} as Record<ResourceKey, Record<string, unknown>>;
    for (const k of RESOURCE_ORDER) {
        out[k] = { ...inputs[k], password };
    }
    return out;
}

/** The engine's check: the provider's (defaults filled in), failures as one error. */
async function checked(
    key: ResourceKey,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<Record<string, unknown>> {
    const p = providerOf(key);
    const r = p.check ? await p.check(olds, news) : { inputs: news };
    if (r.failures && r.failures.length > 0) {
        throw new Error(`${key}: ${r.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
    return r.inputs ?? news;
}

/** First apply: check + create each resource in order. Returns the stored state. */
export async function applySynology(spec: SynologySpec, password: string): Promise<StoredResource[]> {
    const all = withPassword(spec, password);
    const stored: StoredResource[] = [];
    for (const key of RESOURCE_ORDER) {
        const inputs = await checked(key, {}, all[key]);
        const r = await providerOf(key).create(inputs);
        stored.push({ key, id: r.id, outs: r.outs ?? {} });
    }
    return stored;
}

/**
 * `pulumi up` after `pulumi refresh`: read every resource, diff against the config; no create/update.
 * With nothing changed this makes only read calls (and downloads nothing). Returns the refreshed state and
 * each resource's diff.
 */
export async function refreshAndDiff(
    spec: SynologySpec,
    password: string,
    state: StoredResource[],
): Promise<{ state: StoredResource[]; diffs: RefreshDiff[] }> {
    const all = withPassword(spec, password);
    const next: StoredResource[] = [];
    const diffs: RefreshDiff[] = [];
    for (const s of state) {
        const p = providerOf(s.key);
        const read = p.read ? await p.read(s.id, s.outs) : { id: s.id, props: s.outs };
        const outs = (read.props ?? s.outs) as Record<string, unknown>;
        next.push({ key: s.key, id: read.id ?? s.id, outs });
        const news = await checked(s.key, outs, all[s.key]);
        const d = p.diff ? await p.diff(s.id, outs, news) : { changes: true };
        diffs.push({ key: s.key, changes: d.changes === true, replaces: d.replaces ?? [] });
    }
    return { state: next, diffs };
}

/**
 * `pulumi up` with the engine's decisions: read + diff each resource, update (or replace: create the new,
 * then delete the old; or the other way round with deleteBeforeReplace) those that changed. Returns the new
 * state and what was done.
 */
export async function upSynology(
    spec: SynologySpec,
    password: string,
    state: StoredResource[],
): Promise<{ state: StoredResource[]; actions: Array<{ key: ResourceKey; action: "same" | "update" | "replace" }> }> {
    const all = withPassword(spec, password);
    const { state: refreshed, diffs } = await refreshAndDiff(spec, password, state);
    const next: StoredResource[] = [];
    const actions: Array<{ key: ResourceKey; action: "same" | "update" | "replace" }> = [];
    for (let i = 0; i < refreshed.length; i++) {
        const s = refreshed[i];
        const d = diffs[i];
        const p = providerOf(s.key);
        const news = await checked(s.key, s.outs, all[s.key]);
        if (!d.changes) {
            next.push(s);
            actions.push({ key: s.key, action: "same" });
        } else if (d.replaces.length > 0) {
            const full = await (p.diff ? p.diff(s.id, s.outs, news) : Promise.resolve({ deleteBeforeReplace: false }));
            if (full.deleteBeforeReplace && p.delete) {
                await p.delete(s.id, s.outs);
            }
            const r = await p.create(news);
            if (!full.deleteBeforeReplace && p.delete) {
                await p.delete(s.id, s.outs);
            }
            next.push({ key: s.key, id: r.id, outs: r.outs ?? {} });
            actions.push({ key: s.key, action: "replace" });
        } else {
            const r = p.update ? await p.update(s.id, s.outs, news) : { outs: news };
            next.push({ key: s.key, id: s.id, outs: (r.outs ?? news) as Record<string, unknown> });
            actions.push({ key: s.key, action: "update" });
        }
    }
    return { state: next, actions };
}

/** `pulumi destroy`: delete in reverse order. */
export async function destroySynology(state: StoredResource[]): Promise<void> {
    for (const s of [...state].reverse()) {
        const p = providerOf(s.key);
        if (p.delete) {
            await p.delete(s.id, s.outs);
        }
    }
}
