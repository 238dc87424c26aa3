/**
 * From the stack config to the six DSM resources' inputs (pure), and a small runner that drives the
 * providers the way the engine does (check → create / read → diff → update / delete) without Pulumi.
 * The SynologyPxe component uses `synologyResourceInputs`; tests and the benchmark (issue 8) use the runner,
 * e.g. `refreshAndDiff` to show that a no-op apply makes no writes.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DhcpConfig, NodeConfig, SynologyConfig } from "../../config";
import { desiredReservations } from "../reservations";
import { bootFileProvider, BootFileInputs } from "./bootfile";
import type { DsmConnectionArgs } from "./common";
import { dhcpServerProvider, DhcpServerInputs } from "./dhcp";
import { pxeProvider, PxeInputs } from "./pxe";
import { reservationsProvider, ReservationsInputs } from "./reservations";
import { shareProvider, ShareInputs } from "./share";
import { tftpProvider, TftpInputs } from "./tftp";

/** The image facts the boot file needs (from the TalosImage component). */
export interface BootImage {
    ukiUrl: string;
    /** `metal-<arch>-uki.efi`. */
    ukiFileName: string;
    schematicId: string;
    talosVersion: string;
    arch: string;
}

/** What the Synology resources are computed from. */
export interface SynologySpec {
    synology: SynologyConfig;
    dhcp: DhcpConfig;
    nodes: Array<Pick<NodeConfig, "hostname" | "mac" | "ip">>;
    image: BootImage;
}

type NoPassword<T> = Omit<T, "password">;

/** Every resource's inputs except the password (which stays a secret Output in the component). */
export interface SynologyResourceInputs {
    share: NoPassword<ShareInputs>;
    tftp: NoPassword<TftpInputs>;
    bootFile: NoPassword<BootFileInputs>;
    dhcp: NoPassword<DhcpServerInputs>;
    reservations: NoPassword<ReservationsInputs>;
    pxe: NoPassword<PxeInputs>;
}

/** The connection part of every resource's inputs. */
export function connectionArgs(s: SynologyConfig): DsmConnectionArgs {
    const c: DsmConnectionArgs = { url: s.url, username: s.username, allowHttp: s.allowHttp === true };
    const tls: NonNullable<DsmConnectionArgs["tls"]> = {};
    if (s.tls?.caCertPem) {
        tls.caCertPem = s.tls.caCertPem;
    }
    if (s.tls?.fingerprintSha256) {
        tls.fingerprintSha256 = s.tls.fingerprintSha256;
    }
    if (s.tls?.insecureSkipVerify) {
        tls.insecureSkipVerify = true;
    }
    if (Object.keys(tls).length > 0) {
        c.tls = tls;
    }
    if (s.deviceId) {
        c.deviceId = s.deviceId;
    }
    return c;
}

/** The six resources' inputs, in apply order (pure). Throws on duplicate/malformed reservations. */
export function synologyResourceInputs(spec: SynologySpec): SynologyResourceInputs {
    const connection = connectionArgs(spec.synology);
    const { synology: s, dhcp, image } = spec;
    const volume = s.volume.replace(/\/+$/, "");
    const dhcpSettings = {
        subnet: dhcp.subnet, rangeStart: dhcp.rangeStart, rangeEnd: dhcp.rangeEnd, gateway: dhcp.gateway,
        dns: [...dhcp.dns], leaseTime: dhcp.leaseTime, ...(dhcp.domain ? { domain: dhcp.domain } : {}),
    };
    return {
        share: { connection, name: s.share, volume, desc: "Talos PXE boot files (managed by Pulumi)" },
        tftp: { connection, rootPath: `${volume}/${s.share}`, permission: "r", startIp: "0.0.0.0", endIp: "255.255.255.255" },
        bootFile: {
            connection, ukiUrl: image.ukiUrl, schematicId: image.schematicId, talosVersion: image.talosVersion, arch: image.arch,
            share: s.share, fileName: image.ukiFileName,
        },
        dhcp: { connection, ifname: s.interface, manage: dhcp.manageServer === true, settings: dhcpSettings },
        reservations: { connection, ifname: s.interface, entries: desiredReservations(spec.nodes, dhcp.extraReservations ?? []) },
        pxe: { connection, bootloader: image.ukiFileName },
    };
}

/** The resource keys in apply order (1 → 6). */
export const RESOURCE_ORDER: Array<keyof SynologyResourceInputs> = ["share", "tftp", "bootFile", "dhcp", "reservations", "pxe"];

/** The provider of each resource. */
export const PROVIDERS: Record<keyof SynologyResourceInputs, pulumi.dynamic.ResourceProvider> = {
    share: shareProvider, tftp: tftpProvider, bootFile: bootFileProvider, dhcp: dhcpServerProvider,
    reservations: reservationsProvider, pxe: pxeProvider,
};

/** One resource's stored state, as the engine would keep it. */
export interface StoredResource {
    key: keyof SynologyResourceInputs;
    id: string;
    outs: Record<string, unknown>;
}

/** One resource's diff after a read. */
export interface RefreshDiff {
    key: keyof SynologyResourceInputs;
    changes: boolean;
    replaces: string[];
}

function withPassword(spec: SynologySpec, password: string): Record<keyof SynologyResourceInputs, Record<string, unknown>> {
    const inputs = synologyResourceInputs(spec);
    const out = {} as Record<keyof SynologyResourceInputs, Record<string, unknown>>;
    for (const k of RESOURCE_ORDER) {
        out[k] = { ...inputs[k], password };
    }
    return out;
}

async function checked(key: keyof SynologyResourceInputs, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const p = PROVIDERS[key];
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
        const r = await PROVIDERS[key].create(inputs);
        stored.push({ key, id: r.id, outs: r.outs ?? {} });
    }
    return stored;
}

/**
 * `pulumi up` after `pulumi refresh`: read every resource, diff against the config; no create/update.
 * With nothing changed this makes only read calls (and downloads nothing). Returns the refreshed state and
 * each resource's diff.
 */
export async function refreshAndDiff(spec: SynologySpec, password: string, state: StoredResource[]):
    Promise<{ state: StoredResource[]; diffs: RefreshDiff[] }> {
    const all = withPassword(spec, password);
    const next: StoredResource[] = [];
    const diffs: RefreshDiff[] = [];
    for (const s of state) {
        const p = PROVIDERS[s.key];
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
 * then delete the old) those that changed. Returns the new state and what was done.
 */
export async function upSynology(spec: SynologySpec, password: string, state: StoredResource[]):
    Promise<{ state: StoredResource[]; actions: Array<{ key: keyof SynologyResourceInputs; action: "same" | "update" | "replace" }> }> {
    const all = withPassword(spec, password);
    const { state: refreshed, diffs } = await refreshAndDiff(spec, password, state);
    const next: StoredResource[] = [];
    const actions: Array<{ key: keyof SynologyResourceInputs; action: "same" | "update" | "replace" }> = [];
    for (let i = 0; i < refreshed.length; i++) {
        const s = refreshed[i];
        const d = diffs[i];
        const p = PROVIDERS[s.key];
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
        const p = PROVIDERS[s.key];
        if (p.delete) {
            await p.delete(s.id, s.outs);
        }
    }
}
