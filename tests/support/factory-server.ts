/**
 * A local Talos Image Factory for tests, on 127.0.0.1, behaving like factory.talos.dev's HTTP frontend.
 *
 * ```ts
 * const f = await startFactoryServer({ redirect: true });
 * // f.url            "http://127.0.0.1:<port>"
 * // f.cdnUrl         the second server GET /image answers 302 to (when `redirect`)
 * f.setAssetSize("metal-amd64-uki.efi", 256 * 1024 * 1024);   // bodies are generated and streamed
 * f.faults.failNext("imageGet", 2, 503);                       // next 2 GET /image answer 503
 * f.faults.cutAfter(1_000_000);                                // next body download is cut after 1 MB
 * const md5 = expectedAssetDigest(id, "v1.12.1", "metal-amd64-uki.efi", size);  // what a full download hashes to
 * const id = f.register({ customization: { systemExtensions: { officialExtensions: ["siderolabs/i915"] } } });
 * f.calls.postSchematic; f.bytesServed;  await f.close();
 * ```
 *
 * Routes (errors are plain text with a trailing newline, like the factory):
 * - `POST /schematics`: YAML/JSON body parsed strictly (unknown field → 400); 201 `{"id","schematic"}` with
 *   the canonical YAML and the real ID (components/factory/schematic.ts); idempotent. With `owner` set the
 *   server adds `owner:` first like an Enterprise factory does, which changes the ID.
 * - `GET /schematics/:id`: 200 application/yaml canonical text; 404 `schematic not found`.
 * - `GET /versions`: JSON array of versions; `?broken=true` gives `brokenVersions`.
 * - `GET /version/:v/extensions/official`: `[{name, ref, digest, author, description}]`; `:v` with or
 *   without `v`; valid-semver unknown → 404 `version X is not available`; malformed → 500.
 * - `GET /version/:v/overlays/official`: `[]`.
 * - `HEAD|GET /image/:id/:v/:asset`: Content-Length, `application/octet-stream`, Content-Disposition.
 *   Unknown schematic → 404, bad version → 404/500, unknown asset name or arch → 400, an official
 *   extension of the schematic not offered for `:v` → 400, `.sha256`/`.sha512` suffix → 402.
 *   With `redirect`, GET answers 302 to `<cdnUrl>/blob/:id/:v/:asset` (HEAD is always direct).
 * - `GET /pxe/:id/:v/metal-:arch`: an iPXE script.
 * - The registry frontend, as the factory's (internal/frontend/http/registry_routes.go and registry.go at
 *   siderolabs/image-factory 26b95cac): `GET|HEAD /v2` answers 200; `GET|HEAD /v2/<image>/<id>/manifests/<ref>`
 *   serves the installer images `installer` and `installer-secureboot` (the metal ones) and
 *   `<platform>-installer[-secureboot]`; another image name → 400 `invalid image: <name>`; an unknown schematic
 *   → 404; `<ref>` `latest` is the newest version without a pre-release, a `v…` tag must be an offered version (404
 *   otherwise), a digest is taken as it is. The answer is a small OCI image index (amd64 and arm64) with its
 *   `Docker-Content-Digest`, where the factory redirects to its backing registry. Any other `/v2/…` path → 404
 *   `unknown registry path`. Every manifest request is in `installerPulls`.
 *
 * Bodies are a deterministic function of (id, version, asset, size), produced in 64 KiB chunks and
 * written with backpressure, so 1 GiB assets stream with flat memory. Route names for counters and
 * faults: postSchematic, getSchematic, versions, extensions, overlays, imageHead, imageGet, cdnGet, pxe,
 * notFound.
 */
import type { OfficialExtension } from "../../components/factory/client";
import * as http from "http";
import { createHash } from "crypto";
import { AddressInfo } from "net";
import { canonicalSchematicYaml, parseSchematic, SchematicError, Schematic } from "../../components/factory/schematic";

export type FactoryRoute =
    | "postSchematic"
    | "getSchematic"
    | "versions"
    | "extensions"
    | "overlays"
    | "imageHead"
    | "imageGet"
    | "cdnGet"
    | "pxe"
    | "registry"
    | "notFound";

export type { OfficialExtension };

export interface FactoryServerOptions {
    /** Offered Talos versions. Default DEFAULT_VERSIONS (includes v1.12.1). */
    versions?: string[];
    /** Answer of `/versions?broken=true`. Default `["v1.2.0"]`. */
    brokenVersions?: string[];
    /** Official extension names offered for every version. Default DEFAULT_EXTENSIONS. */
    extensions?: string[];
    /** Per-version override of the offered extension names. */
    extensionsByVersion?: Record<string, string[]>;
    /** Start a second ("CDN") server and answer GET /image with a 302 to it. Default false. */
    redirect?: boolean;
    /** Enterprise-style owner added to every posted schematic (changes its ID). */
    owner?: string;
    /** Size of an asset when no setAssetSize applies. Default: 1 MiB plus a per-asset offset < 4 KiB. */
    defaultAssetSize?: (id: string, version: string, asset: string) => number;
}

export interface FactoryFaults {
    /** The next `count` requests to `route` ("*" = any) answer `status` (default 503) with a text body. */
    failNext(route: FactoryRoute | "*", count: number, status?: number): void;
    /** The next `times` (default 1) asset bodies (direct or CDN) are cut after `bytes` by destroying the socket. */
    cutAfter(bytes: number, times?: number): void;
    /** Delay before answering any request (ms). 0 = none. */
    delayMs: number;
    /** Pause between body chunks (ms). 0 = none. */
    chunkDelayMs: number;
    /** Clear all faults. */
    reset(): void;
}

export interface FactoryServer {
    /** `http://127.0.0.1:<port>`, no trailing slash. */
    url: string;
    /** The second server's URL when `redirect` is on. */
    cdnUrl?: string;
    /** Requests per route (including faulted ones). */
    calls: Record<FactoryRoute, number>;
    /** Every request, in order. */
    log: { method: string; path: string; route: FactoryRoute; status: number }[];
    /** Installer manifests asked for at the registry frontend, as `<image>/<id>:<ref>`, with the answer's status. */
    installerPulls: { reference: string; status: number }[];
    /** Asset body bytes written (both servers), counting partial bodies. */
    readonly bytesServed: number;
    /** Schematics registered so far: id → canonical YAML. */
    schematics: Map<string, string>;
    /** Register a schematic directly (as if POSTed, not counted); returns its ID. */
    register(s: Schematic): string;
    /** Size of `asset` (a file name such as `metal-amd64-uki.efi`, or "*" for all) from now on. */
    setAssetSize(asset: string, size: number): void;
    /** The size the server will report/serve for this asset. */
    assetSize(id: string, version: string, asset: string): number;
    /** Turn redirecting of GET /image on or off (needs the server started with `redirect: true`). */
    setRedirect(on: boolean): void;
    faults: FactoryFaults;
    close(): Promise<void>;
}

export const DEFAULT_VERSIONS = ["v1.10.6", "v1.11.0", "v1.11.5", "v1.12.0", "v1.12.1"];
export const DEFAULT_EXTENSIONS = [
    "siderolabs/i915",
    "siderolabs/nut-client",
    "siderolabs/btrfs",
    "siderolabs/iscsi-tools",
    "siderolabs/util-linux-tools",
    "siderolabs/intel-ucode",
    "siderolabs/amd-ucode",
    "siderolabs/qemu-guest-agent",
    "siderolabs/tailscale",
    "siderolabs/zfs",
];

export const CHUNK_SIZE = 64 * 1024;

function seedOf(id: string, version: string, asset: string): Buffer {
    return createHash("sha256").update(`${id}/${version}/${asset}`).digest();
}

/** Deterministic default size: 1 MiB + (seed mod 4096). */
export function defaultAssetSize(id: string, version: string, asset: string): number {
    return 1024 * 1024 + (seedOf(id, version, asset).readUInt16BE(0) % 4096);
}

/**
 * The asset's bytes in chunks of at most CHUNK_SIZE. Chunk i is a 64 KiB block derived from the
 * seed with the chunk index written into its first 8 bytes, so every chunk differs and a shifted,
 * dropped or repeated chunk changes the digest.
 */
export function* assetChunks(id: string, version: string, asset: string, size: number): Generator<Buffer> {
    const seed = seedOf(id, version, asset);
    const block = Buffer.alloc(CHUNK_SIZE);
    for (let off = 0; off < CHUNK_SIZE; off += 32) {
        createHash("sha256").update(seed).update(String(off)).digest().copy(block, off);
    }
    let index = 0;
    for (let sent = 0; sent < size; index++) {
        const n = Math.min(CHUNK_SIZE, size - sent);
        const chunk = Buffer.from(block.subarray(0, n));
        const idx = Buffer.alloc(8);
        idx.writeBigUInt64BE(BigInt(index));
        idx.copy(chunk, 0, 0, Math.min(8, n));
        yield chunk;
        sent += n;
    }
}

/** Hex digest (default md5) of the whole asset, as a complete download would hash. */
export function expectedAssetDigest(
    id: string,
    version: string,
    asset: string,
    size: number,
    algorithm = "md5",
): string {
    const h = createHash(algorithm);
    for (const c of assetChunks(id, version, asset, size)) h.update(c);
    return h.digest("hex");
}

/** The whole asset in memory (small sizes only). */
export function expectedAssetBytes(id: string, version: string, asset: string, size: number): Buffer {
    return Buffer.concat([...assetChunks(id, version, asset, size)]);
}

/** Deterministic fake metadata of an official extension. */
export function extensionInfo(name: string, version: string): OfficialExtension {
    const digest = createHash("sha256").update(`${name}@${version}`).digest("hex");
    const short = name.split("/")[1] ?? name;
    return {
        name,
        ref: `ghcr.io/${name}:${version.replace(/^v/, "")}-${version}`,
        digest: `sha256:${digest}`,
        author: "Sidero Labs",
        description: `${short} system extension`,
    };
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const ASSET =
    /^(kernel-(amd64|arm64)|initramfs-(amd64|arm64)\.xz|cmdline-[a-z0-9-]+?-(amd64|arm64)(-secureboot)?|[a-z0-9-]+?-(amd64|arm64)(-secureboot)?(-uki\.efi|\.iso|\.raw|\.raw\.xz|\.raw\.zst|\.raw\.gz|\.qcow2|\.vhd|\.ova)|(?:[a-z0-9-]+-)?installer-(amd64|arm64)(-secureboot)?\.tar)$/;

interface FailRule {
    route: FactoryRoute | "*";
    remaining: number;
    status: number;
}

// unref: a slow-answer fault must not keep the test process alive after the server is closed.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

function listen(server: http.Server): Promise<string> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const a = server.address() as AddressInfo;
            resolve(`http://127.0.0.1:${a.port}`);
        });
    });
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        req.on("data", (c: Buffer) => parts.push(c));
        req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
        req.on("error", reject);
    });
}

/** Start the local factory (and its CDN when `redirect`). */
export async function startFactoryServer(opts: FactoryServerOptions = {}): Promise<FactoryServer> {
    const versions = opts.versions ?? DEFAULT_VERSIONS;
    const brokenVersions = opts.brokenVersions ?? ["v1.2.0"];
    const extensionsFor = (v: string): string[] =>
        opts.extensionsByVersion?.[v] ?? opts.extensions ?? DEFAULT_EXTENSIONS;
    const sizes = new Map<string, number>();
    const schematics = new Map<string, string>();
    const parsed = new Map<string, Schematic>();
    const calls = Object.fromEntries(
        [
            "postSchematic",
            "getSchematic",
            "versions",
            "extensions",
            "overlays",
            "imageHead",
            "imageGet",
            "cdnGet",
            "pxe",
            "registry",
            "notFound",
        ].map((r) => [r, 0]),
    ) as Record<FactoryRoute, number>;
    const log: FactoryServer["log"] = [];
    const installerPulls: FactoryServer["installerPulls"] = [];
    let bytesServed = 0;
    let redirect = !!opts.redirect;
    let failRules: FailRule[] = [];
    let cuts: { bytes: number; remaining: number }[] = [];
    let requestSeq = 0;

    const faults: FactoryFaults = {
        failNext(route, count, status = 503) {
            failRules.push({ route, remaining: count, status });
        },
        cutAfter(bytes, times = 1) {
            cuts.push({ bytes, remaining: times });
        },
        delayMs: 0,
        chunkDelayMs: 0,
        reset() {
            failRules = [];
            cuts = [];
            faults.delayMs = 0;
            faults.chunkDelayMs = 0;
        },
    };

    const assetSize = (id: string, version: string, asset: string): number =>
        sizes.get(asset) ?? sizes.get("*") ?? (opts.defaultAssetSize ?? defaultAssetSize)(id, version, asset);

    function takeFault(route: FactoryRoute): number | undefined {
        const rule = failRules.find((r) => r.remaining > 0 && (r.route === "*" || r.route === route));
        if (!rule) return undefined;
        rule.remaining--;
        return rule.status;
    }

    function takeCut(): number | undefined {
        const c = cuts.find((x) => x.remaining > 0);
        if (!c) return undefined;
        c.remaining--;
        return c.bytes;
    }

    function send(
        res: http.ServerResponse,
        status: number,
        body: string,
        type = "text/plain; charset=utf-8",
        extra: http.OutgoingHttpHeaders = {},
    ) {
        const buf = Buffer.from(body, "utf8");
        res.writeHead(status, { "Content-Type": type, "Content-Length": buf.length, ...extra });
        res.end(buf);
    }
    const text = (res: http.ServerResponse, status: number, msg: string) =>
        send(res, status, msg.endsWith("\n") ? msg : msg + "\n");
    const json = (res: http.ServerResponse, status: number, v: unknown) =>
        send(res, status, JSON.stringify(v), "application/json");

    /** Resolve the `:version` segment: returns the canonical `vX.Y.Z` or writes the error. */
    function resolveVersion(res: http.ServerResponse, seg: string): string | undefined {
        if (!SEMVER.test(seg)) {
            text(res, 500, `error parsing version "${seg}": Invalid Semantic Version`);
            return undefined;
        }
        const v = seg.startsWith("v") ? seg : `v${seg}`;
        if (!versions.includes(v)) {
            text(res, 404, `version ${v} is not available`);
            return undefined;
        }
        return v;
    }

    async function streamAsset(
        req: http.IncomingMessage,
        res: http.ServerResponse,
        id: string,
        version: string,
        asset: string,
        headOnly: boolean,
    ) {
        const size = assetSize(id, version, asset);
        res.writeHead(200, {
            "Content-Type": "application/octet-stream",
            "Content-Length": size,
            "Content-Disposition": `attachment; filename="${asset}"`,
        });
        if (headOnly) {
            res.end();
            return;
        }
        const cut = takeCut();
        let sent = 0;
        for (const chunk of assetChunks(id, version, asset, size)) {
            if (res.destroyed || req.socket.destroyed) return;
            let piece = chunk;
            if (cut !== undefined && sent + piece.length > cut) piece = piece.subarray(0, Math.max(0, cut - sent));
            if (piece.length > 0) {
                const ok = res.write(piece);
                sent += piece.length;
                bytesServed += piece.length;
                if (!ok)
                    await new Promise<void>((r) => {
                        const done = () => {
                            res.off("drain", done);
                            res.off("close", done);
                            r();
                        };
                        res.once("drain", done);
                        res.once("close", done);
                    });
            }
            if (cut !== undefined && sent >= cut) {
                // Let what was written reach the client, then kill the connection mid-body.
                await new Promise<void>((r) => (res.socket ? res.socket.write("", () => r()) : r()));
                res.socket?.destroy();
                return;
            }
            if (faults.chunkDelayMs > 0) await sleep(faults.chunkDelayMs);
        }
        res.end();
    }

    function validateImage(res: http.ServerResponse, id: string, vseg: string, asset: string): string | undefined {
        const canonical = schematics.get(id);
        if (!canonical) {
            text(res, 404, "schematic not found");
            return undefined;
        }
        const version = resolveVersion(res, vseg);
        if (!version) return undefined;
        if (/\.(sha256|sha512|sigstore\.json)$/.test(asset)) {
            text(res, 402, "checksums are available only in Enterprise edition");
            return undefined;
        }
        if (!ASSET.test(asset)) {
            text(res, 400, `invalid profile path: ${asset}`);
            return undefined;
        }
        const offered = extensionsFor(version);
        for (const e of parsed.get(id)?.customization?.systemExtensions?.officialExtensions ?? []) {
            if (!offered.includes(e)) {
                text(res, 400, `official extension "${e}" is not available for Talos version ${version}`);
                return undefined;
            }
        }
        return version;
    }

    async function handle(req: http.IncomingMessage, res: http.ServerResponse, cdn: boolean): Promise<FactoryRoute> {
        const u = new URL(req.url ?? "/", "http://127.0.0.1");
        const parts = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
        const method = req.method ?? "GET";
        let route: FactoryRoute = "notFound";
        if (cdn) {
            if (method === "GET" && parts[0] === "blob" && parts.length === 4) route = "cdnGet";
        } else if (method === "POST" && u.pathname === "/schematics") route = "postSchematic";
        else if (method === "GET" && parts[0] === "schematics" && parts.length === 2) route = "getSchematic";
        else if (method === "GET" && u.pathname === "/versions") route = "versions";
        else if (
            method === "GET" &&
            parts[0] === "version" &&
            parts.length === 4 &&
            parts[2] === "extensions" &&
            parts[3] === "official"
        )
            route = "extensions";
        else if (
            method === "GET" &&
            parts[0] === "version" &&
            parts.length === 4 &&
            parts[2] === "overlays" &&
            parts[3] === "official"
        )
            route = "overlays";
        else if (method === "HEAD" && parts[0] === "image" && parts.length === 4) route = "imageHead";
        else if (method === "GET" && parts[0] === "image" && parts.length === 4) route = "imageGet";
        else if (method === "GET" && parts[0] === "pxe" && parts.length === 4) route = "pxe";
        else if ((method === "GET" || method === "HEAD") && parts[0] === "v2") route = "registry";
        calls[route]++;

        if (faults.delayMs > 0) await sleep(faults.delayMs);
        const injected = takeFault(route);
        if (injected !== undefined) {
            if (route === "postSchematic") await readBody(req);
            text(res, injected, `injected failure ${injected}`);
            return route;
        }

        switch (route) {
            case "postSchematic": {
                const body = await readBody(req);
                let s: Schematic;
                try {
                    s = parseSchematic(body);
                } catch (e) {
                    text(res, 400, e instanceof SchematicError ? e.message : String(e));
                    return route;
                }
                let canonical = canonicalSchematicYaml(s);
                if (opts.owner) canonical = `owner: ${opts.owner}\n` + canonical;
                const id = createHash("sha256").update(canonical).digest("hex");
                schematics.set(id, canonical);
                parsed.set(id, s);
                json(res, 201, { id, schematic: canonical });
                return route;
            }
            case "getSchematic": {
                const c = schematics.get(parts[1]);
                if (!c) text(res, 404, "schematic not found");
                else send(res, 200, c, "application/yaml");
                return route;
            }
            case "versions":
                json(res, 200, u.searchParams.get("broken") === "true" ? brokenVersions : versions);
                return route;
            case "extensions": {
                const v = resolveVersion(res, parts[1]);
                if (v)
                    json(
                        res,
                        200,
                        extensionsFor(v).map((n) => extensionInfo(n, v)),
                    );
                return route;
            }
            case "overlays": {
                const v = resolveVersion(res, parts[1]);
                if (v) json(res, 200, []);
                return route;
            }
            case "imageHead":
            case "imageGet": {
                const [, id, vseg, asset] = parts;
                const version = validateImage(res, id, vseg, asset);
                if (!version) return route;
                if (route === "imageGet" && redirect && cdnUrl) {
                    res.writeHead(302, {
                        Location: `${cdnUrl}/blob/${id}/${version}/${encodeURIComponent(asset)}`,
                        "Content-Length": 0,
                    });
                    res.end();
                    return route;
                }
                await streamAsset(req, res, id, version, asset, route === "imageHead");
                return route;
            }
            case "cdnGet": {
                const [, id, version, asset] = parts;
                if (!schematics.has(id)) text(res, 404, "NoSuchKey");
                else await streamAsset(req, res, id, version, asset, false);
                return route;
            }
            case "pxe": {
                const [, id, vseg, prof] = parts;
                const m = /^([a-z0-9-]+?)-(amd64|arm64)(-secureboot)?$/.exec(prof);
                if (!schematics.has(id)) return (text(res, 404, "schematic not found"), route);
                const version = resolveVersion(res, vseg);
                if (!version) return route;
                if (!m) return (text(res, 400, `invalid profile path: ${prof}`), route);
                const [, platform, arch, sb] = m;
                const base = `${url}/image/${id}/${version}`;
                const args = (parsed.get(id)?.customization?.extraKernelArgs ?? []).join(" ");
                const cmdline =
                    `talos.platform=${platform} console=tty0 init_on_alloc=1 slab_nomerge pti=on ${args}`.trim();
                const script = sb
                    ? `#!ipxe\n\nimgfree\nkernel ${base}/${platform}-${arch}-secureboot-uki.efi ${cmdline}\nboot\n`
                    : `#!ipxe\n\nimgfree\nkernel ${base}/kernel-${arch} ${cmdline}\ninitrd ${base}/initramfs-${arch}.xz\nboot\n`;
                send(res, 200, script, "text/plain; charset=utf-8");
                return route;
            }
            case "registry":
                registry(res, parts.slice(1), method === "HEAD");
                return route;
            default:
                text(res, 404, "404 page not found");
                return route;
        }
    }

    /** The registry frontend (`/v2/...`, `parts` without the `v2`). */
    function registry(res: http.ServerResponse, parts: string[], headOnly: boolean): void {
        if (parts.length === 0) return send(res, 200, "", "application/json");
        const [image, id, resource, ref] = parts;
        if (parts.length !== 4 || resource !== "manifests" || !ref)
            return text(res, 404, `unknown registry path: "${parts.join("/")}"`);
        const answer = (status: number, body: string, type = "text/plain; charset=utf-8") => {
            installerPulls.push({ reference: `${image}/${id}:${ref}`, status });
            if (status !== 200) return text(res, status, body);
            const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
            res.writeHead(200, {
                "Content-Type": type,
                "Content-Length": Buffer.byteLength(body),
                "Docker-Content-Digest": digest,
            });
            res.end(headOnly ? undefined : body);
        };
        if (!schematics.has(id)) return answer(404, "schematic not found");
        if (!/^(installer|installer-secureboot|[a-z0-9-]+-installer|[a-z0-9-]+-installer-secureboot)$/.test(image))
            return answer(400, `invalid image: ${image}`);
        let version = ref;
        if (ref === "latest") version = [...versions].reverse().find((v) => !v.includes("-")) ?? ref;
        else if (!ref.startsWith("sha256:") && ref.startsWith("v") && !versions.includes(ref))
            return answer(404, `version ${ref} is not available`);
        const platform = (a: string) => ({
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: `sha256:${createHash("sha256").update(`${image}/${id}/${version}/${a}`).digest("hex")}`,
            size: 1024,
            platform: { architecture: a, os: "linux" },
        });
        const index = JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.index.v1+json",
            manifests: [platform("amd64"), platform("arm64")],
        });
        answer(200, index, "application/vnd.oci.image.index.v1+json");
    }

    function makeServer(cdn: boolean): http.Server {
        return http.createServer((req, res) => {
            res.setHeader("Server", cdn ? "local-cdn" : "image-factory-sim");
            res.setHeader("X-Request-ID", `req-${++requestSeq}`);
            handle(req, res, cdn)
                .then((route) =>
                    log.push({ method: req.method ?? "", path: req.url ?? "", route, status: res.statusCode }),
                )
                .catch((e) => {
                    if (!res.headersSent) text(res, 500, `internal error: ${(e as Error).message}`);
                    else res.destroy();
                });
        });
    }

    const main = makeServer(false);
    const url = await listen(main);
    let cdnServer: http.Server | undefined;
    let cdnUrl: string | undefined;
    if (opts.redirect) {
        cdnServer = makeServer(true);
        cdnUrl = await listen(cdnServer);
    }

    const closeServer = (s: http.Server) =>
        new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
        });

    return {
        url,
        cdnUrl,
        calls,
        log,
        installerPulls,
        get bytesServed() {
            return bytesServed;
        },
        schematics,
        register(s) {
            let canonical = canonicalSchematicYaml(s);
            if (opts.owner) canonical = `owner: ${opts.owner}\n` + canonical;
            const id = createHash("sha256").update(canonical).digest("hex");
            schematics.set(id, canonical);
            parsed.set(id, s);
            return id;
        },
        setAssetSize(asset, size) {
            sizes.set(asset, size);
        },
        assetSize,
        setRedirect(on) {
            redirect = on;
        },
        faults,
        async close() {
            await Promise.all([closeServer(main), cdnServer ? closeServer(cdnServer) : Promise.resolve()]);
        },
    };
}
