/**
 * Image stream: the boot-file provider's create (factory GET → MD5/byte meter → DSM client multipart upload →
 * verify → rename into place) against a raw `stream.pipeline()` copy of the same bytes between the same two
 * servers (factory GET → multipart framing → POST to the simulator's File Station upload).
 *
 * The servers run in their own child process (servers.ts); the copy under test runs in this process. Peak
 * RSS of the provider is measured in a fresh child per size (rss-child.ts).
 */
import type { ChildProcess } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as http from "http";
import { Transform } from "stream";
import { pipeline } from "stream/promises";
import { schematicFromImage, ukiFileName, ukiUrl } from "../../components/factory/schematic";
import { quickRuntime, resetDsmClients } from "../support/synology-engine";
import { BootFileInputs, SynologyBootFile } from "../../components/synology/providers/bootfile";
import { BENCH_DSM_PASSWORD, median, MiB, round, runChildForResult, spawnTs } from "./lib";

export const VERSION = "v1.12.1";
export const FILE_NAME = ukiFileName("amd64");

/** The servers child, with a typed RPC. */
export interface Servers {
    simUrl: string;
    factoryUrl: string;
    call<T>(op: string, ...args: unknown[]): Promise<T>;
    child: ChildProcess;
}

export function startServers(): Promise<Servers> {
    return new Promise((resolve, reject) => {
        const child = spawnTs("servers.ts");
        let seq = 0;
        const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
        child.on("error", reject);
        child.on("exit", (code) => {
            for (const p of pending.values()) p.reject(new Error(`servers child exited (${code})`));
            pending.clear();
        });
        child.on("message", (raw: unknown) => {
            const m = raw as {
                ready?: boolean;
                simUrl: string;
                factoryUrl: string;
                id: number;
                ok: boolean;
                value: unknown;
                error: string;
            };
            if (m.ready) {
                resolve({
                    simUrl: m.simUrl,
                    factoryUrl: m.factoryUrl,
                    child,
                    call<T>(op: string, ...args: unknown[]) {
                        const id = ++seq;
                        return new Promise<T>((res, rej) => {
                            pending.set(id, { resolve: res, reject: rej });
                            child.send({ id, op, args });
                        });
                    },
                });
                return;
            }
            const p = pending.get(m.id);
            if (!p) return;
            pending.delete(m.id);
            if (m.ok) p.resolve(m.value);
            else p.reject(new Error(m.error));
        });
    });
}

/** The boot file inputs for the servers child's factory and NAS. */
export function bootInputs(s: { simUrl: string; factoryUrl: string }, schematicId: string): BootFileInputs {
    return {
        connection: { url: s.simUrl, username: "admin", allowHttp: true },
        password: BENCH_DSM_PASSWORD,
        ukiUrl: ukiUrl(s.factoryUrl, schematicId, VERSION, "amd64"),
        schematicId,
        talosVersion: VERSION,
        arch: "amd64",
        share: "pxe",
        fileName: FILE_NAME,
    };
}

/** One provider create; returns seconds and the MD5 the provider verified. */
export async function providerCopy(
    inputs: BootFileInputs,
): Promise<{ seconds: number; md5: string; size: number; cpuMs: number }> {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = await SynologyBootFile.providerWith(quickRuntime()).create(inputs);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const outs = r.outs as { md5: string; size: number };
    return { seconds, md5: outs.md5, size: outs.size, cpuMs: cpuMsSince(c0) };
}

function cpuMsSince(c0: NodeJS.CpuUsage): number {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
}

/** CPU ms this process spends on MD5 of `size` bytes in 64 KiB chunks (what the provider's meter does). */
export function md5CpuMs(size: number): number {
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const c0 = process.cpuUsage();
    const h = createHash("md5");
    for (let off = 0; off < size; off += chunk.length) h.update(chunk);
    h.digest();
    return cpuMsSince(c0);
}

function getJson(url: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => {
                try {
                    resolve(JSON.parse(body) as Record<string, unknown>);
                } catch (e) {
                    reject(e instanceof Error ? e : new Error("the answer is not JSON"));
                }
            });
        }).on("error", reject);
    });
}

/** A plain session on the simulator for the raw copy (sid + SynoToken). */
export async function rawLogin(simUrl: string): Promise<{ sid: string; token: string }> {
    const q = new URLSearchParams({
        api: "SYNO.API.Auth",
        version: "6",
        method: "login",
        account: "admin",
        passwd: BENCH_DSM_PASSWORD,
        enable_syno_token: "yes",
        format: "sid",
    });
    const r = await getJson(`${simUrl}/webapi/auth.cgi?${q.toString()}`);
    const data = r.data as { sid: string; synotoken: string } | undefined;
    if (!r.success || !data) throw new Error(`raw login failed: ${JSON.stringify(r)}`);
    return { sid: data.sid, token: data.synotoken };
}

/**
 * The baseline: GET the asset and `pipeline()` it, framed as multipart/form-data, into a POST to File
 * Station's upload on the same simulator (same fields as the DSM client sends). Nothing else: no hashing,
 * no verification, no rename.
 */
export async function rawCopy(
    simUrl: string,
    url: string,
    session: { sid: string; token: string },
    name: string,
): Promise<{ seconds: number; size: number; cpuMs: number }> {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get(url, resolve).on("error", reject),
    );
    if (res.statusCode !== 200) throw new Error(`raw GET ${url}: HTTP ${res.statusCode}`);
    const size = Number(res.headers["content-length"]);
    const boundary = `----bench${randomBytes(12).toString("hex")}`;
    const fields: Record<string, string> = {
        api: "SYNO.FileStation.Upload",
        version: "2",
        method: "upload",
        path: "/pxe",
        create_parents: "true",
        overwrite: "true",
    };
    let head = "";
    for (const [k, v] of Object.entries(fields))
        head += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
    head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const headBuf = Buffer.from(head);
    const tailBuf = Buffer.from(`\r\n--${boundary}--\r\n`);
    const framer = new Transform({
        transform(chunk: Buffer, _enc, cb) {
            cb(null, chunk);
        },
        flush(cb) {
            cb(null, tailBuf);
        },
    });
    framer.push(headBuf);
    const q = new URLSearchParams({
        api: "SYNO.FileStation.Upload",
        version: "2",
        method: "upload",
        _sid: session.sid,
        SynoToken: session.token,
    });
    const req = http.request(`${simUrl}/webapi/entry.cgi?${q.toString()}`, {
        method: "POST",
        headers: {
            "Content-Type": `multipart/form-data; boundary=${boundary}`,
            "Content-Length": String(headBuf.length + size + tailBuf.length),
            Cookie: `id=${session.sid}`,
            "X-SYNO-TOKEN": session.token,
        },
    });
    const answer = new Promise<string>((resolve, reject) => {
        req.on("response", (r: http.IncomingMessage) => {
            let body = "";
            r.setEncoding("utf8");
            r.on("data", (c: string) => (body += c));
            r.on("end", () => resolve(body));
        });
        req.on("error", reject);
    });
    await pipeline(res, framer, req);
    const body = await answer;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!(JSON.parse(body) as { success: boolean }).success) throw new Error(`raw upload failed: ${body}`);
    return { seconds, size, cpuMs: cpuMsSince(c0) };
}

export interface StreamResult {
    streamMiBps: number;
    rawMiBps: number;
    streamRatio: number;
    runs: Array<{ provider: number; raw: number }>;
    /** CPU ms of this process per copy (medians): what each costs the machine running Pulumi. */
    providerCpuMs: number;
    rawCpuMs: number;
    /** CPU ms of MD5 alone over the same number of bytes (the provider's verification hash). */
    md5CpuMs: number;
    sameBytes: boolean;
    rssGrowthMiB256: number;
    rssGrowthMiB1024: number;
    /** The raw pipeline copy's growth for 256 MiB (the floor). */
    rawRssGrowthMiB256: number;
    rss: Array<Record<string, number>>;
    serversRssMiB: number;
}

export interface RssChildResult {
    size: number;
    baselineMiB: number;
    peakMiB: number;
    growthMiB: number;
    samples: number;
    seconds: number;
    md5: string;
    heapPeakMiB: number;
    externalPeakMiB: number;
    arrayBuffersPeakMiB: number;
}

/** The whole stream section. `rounds` alternating provider/raw runs of `size` bytes after one warm-up each. */
export async function runStreamBench(log: (m: string) => void, size = 256 * MiB, rounds = 5): Promise<StreamResult> {
    const servers = await startServers();
    try {
        resetDsmClients();
        const schematicId = await servers.call<string>(
            "register",
            schematicFromImage({ extensions: ["siderolabs/i915"], extraKernelArgs: [] }),
        );
        const inputs = bootInputs(servers, schematicId);
        const session = await rawLogin(servers.simUrl);

        // Warm-up (JIT, login, discovery, sockets) with a smaller body.
        await servers.call("setAssetSize", FILE_NAME, 16 * MiB);
        await providerCopy(inputs);
        await rawCopy(servers.simUrl, inputs.ukiUrl, session, "raw-copy.bin");

        await servers.call("setAssetSize", FILE_NAME, size);
        const runs: Array<{ provider: number; raw: number; providerCpuMs: number; rawCpuMs: number }> = [];
        let providerMd5 = "";
        for (let i = 0; i < rounds; i++) {
            // Alternate which goes first, so drift in machine load hits both alike.
            const order = i % 2 === 0 ? ["provider", "raw"] : ["raw", "provider"];
            const run = { provider: 0, raw: 0, providerCpuMs: 0, rawCpuMs: 0 };
            for (const which of order) {
                if (which === "provider") {
                    const r = await providerCopy(inputs);
                    if (r.size !== size) throw new Error(`provider uploaded ${r.size} bytes, expected ${size}`);
                    providerMd5 = r.md5;
                    run.provider = size / MiB / r.seconds;
                    run.providerCpuMs = r.cpuMs;
                } else {
                    const r = await rawCopy(servers.simUrl, inputs.ukiUrl, session, "raw-copy.bin");
                    if (r.size !== size) throw new Error(`raw copy moved ${r.size} bytes, expected ${size}`);
                    run.raw = size / MiB / r.seconds;
                    run.rawCpuMs = r.cpuMs;
                }
            }
            log(
                `  round ${i + 1}: provider ${run.provider.toFixed(0)} MiB/s, raw pipeline ${run.raw.toFixed(0)} MiB/s, ratio ${(run.provider / run.raw).toFixed(2)}; ` +
                    `CPU of this process: provider ${run.providerCpuMs.toFixed(0)} ms, raw ${run.rawCpuMs.toFixed(0)} ms`,
            );
            runs.push(run);
        }
        const rawFile = await servers.call<{ size: number; md5: string } | null>("getFile", "/pxe/raw-copy.bin");
        const bootFile = await servers.call<{ size: number; md5: string } | null>("getFile", `/pxe/${FILE_NAME}`);
        const sameBytes =
            !!rawFile &&
            !!bootFile &&
            rawFile.md5 === bootFile.md5 &&
            bootFile.md5 === providerMd5 &&
            rawFile.size === size;
        if (!sameBytes)
            throw new Error(
                `the two copies differ: raw ${JSON.stringify(rawFile)}, provider ${JSON.stringify(bootFile)} (verified md5 ${providerMd5})`,
            );

        const streamMiBps = median(runs.map((r) => r.provider));
        const rawMiBps = median(runs.map((r) => r.raw));
        const streamRatio = median(runs.map((r) => r.provider / r.raw));
        const providerCpuMs = median(runs.map((r) => r.providerCpuMs));
        const rawCpuMs = median(runs.map((r) => r.rawCpuMs));
        const md5Ms = median([md5CpuMs(size), md5CpuMs(size), md5CpuMs(size)]);
        log(
            `  CPU per ${size / MiB} MiB in this process (medians): provider ${providerCpuMs.toFixed(0)} ms, raw ${rawCpuMs.toFixed(0)} ms; ` +
                `MD5 alone over the same bytes ${md5Ms.toFixed(0)} ms (${(size / MiB / (md5Ms / 1000)).toFixed(0)} MiB/s) = ` +
                `${((100 * md5Ms) / Math.max(1, providerCpuMs - rawCpuMs)).toFixed(0)}% of the provider's extra CPU`,
        );

        // Peak RSS of the provider, in a fresh child per size.
        const rss: RssChildResult[] = [];
        for (const s of [256 * MiB, 1024 * MiB]) {
            await servers.call("setAssetSize", FILE_NAME, s);
            const r = await runChildForResult<RssChildResult>("rss-child.ts", [
                servers.simUrl,
                servers.factoryUrl,
                schematicId,
                String(s),
            ]);
            if (r.md5 !== (await servers.call<{ md5: string }>("getFile", `/pxe/${FILE_NAME}`)).md5)
                throw new Error("rss child: md5 mismatch with the NAS");
            log(
                `  provider create of ${s / MiB} MiB in a fresh process: RSS ${r.baselineMiB.toFixed(1)} → peak ${r.peakMiB.toFixed(1)} MiB ` +
                    `(+${r.growthMiB.toFixed(1)} MiB; heap peak ${r.heapPeakMiB.toFixed(1)}, external peak ${r.externalPeakMiB.toFixed(1)}), ` +
                    `${(s / MiB / r.seconds).toFixed(0)} MiB/s, ${r.samples} samples`,
            );
            rss.push(r);
        }
        // The floor: the raw pipeline copy's RSS growth for 256 MiB in a fresh process.
        await servers.call("setAssetSize", FILE_NAME, 256 * MiB);
        const raw = await runChildForResult<RssChildResult>("rss-child.ts", [
            servers.simUrl,
            servers.factoryUrl,
            schematicId,
            String(256 * MiB),
            "raw",
        ]);
        log(
            `  raw pipeline copy of 256 MiB in a fresh process: RSS ${raw.baselineMiB.toFixed(1)} → peak ${raw.peakMiB.toFixed(1)} MiB (+${raw.growthMiB.toFixed(1)} MiB)`,
        );
        const counters = await servers.call<{ rssMiB: number }>("counters");
        return {
            streamMiBps: round(streamMiBps, 1),
            rawMiBps: round(rawMiBps, 1),
            streamRatio: round(streamRatio, 3),
            runs: runs.map((r) => ({ provider: round(r.provider, 1), raw: round(r.raw, 1) })),
            providerCpuMs: round(providerCpuMs, 0),
            rawCpuMs: round(rawCpuMs, 0),
            md5CpuMs: round(md5Ms, 0),
            sameBytes,
            rssGrowthMiB256: round(rss[0].growthMiB, 1),
            rssGrowthMiB1024: round(rss[1].growthMiB, 1),
            rawRssGrowthMiB256: round(raw.growthMiB, 1),
            rss: rss.map((r) => ({
                sizeMiB: r.size / MiB,
                baselineMiB: round(r.baselineMiB, 1),
                peakMiB: round(r.peakMiB, 1),
                growthMiB: round(r.growthMiB, 1),
            })),
            serversRssMiB: round(counters.rssMiB, 1),
        };
    } finally {
        resetDsmClients();
        await servers.call("close").catch(() => undefined);
    }
}
