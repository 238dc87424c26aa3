/**
 * Reference data (tests/support/reference.ts): pinned by source and sha256, taken from the shared folder or
 * the cache, else downloaded, checked and cached. The downloads here go to a stand-in for
 * raw.githubusercontent.com on 127.0.0.1 (same layout, `<owner>/<repo>/<ref>/<path>`, same 404 text), which
 * counts requests and can misbehave.
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { DEFAULT_TALOS_SCHEMA_URL_TEMPLATE } from "../../components/talos/config";
import {
    BASE_URL_ENV,
    ensureReferenceFiles,
    readReferenceText,
    REFERENCE_FILES,
    ReferenceDataError,
    ReferenceFile,
    referenceFile,
    referenceSettings,
    ReferenceSettings,
    referenceUrl,
    sha256Hex,
    UPSTREAM_BASE_URL,
} from "../support/reference";
import { repoRoot } from "../support/shared";

type Fault = "none" | "wrong-bytes" | "truncated" | "hang" | "500";

interface RawServer {
    baseUrl: string;
    requests: string[];
    /** The Authorization header of each request ("" when none). */
    authorizations: string[];
    fault: Fault;
    close(): Promise<void>;
}

/** Serves `files` (URL path → bytes) the way raw.githubusercontent.com does; `fault` makes it misbehave. */
async function startRawServer(files: Map<string, Buffer>): Promise<RawServer> {
    const hanging = new Set<http.ServerResponse>();
    const server = http.createServer((req, res) => {
        const url = req.url ?? "/";
        raw.requests.push(url);
        raw.authorizations.push(req.headers.authorization ?? "");
        const body = files.get(url);
        if (raw.fault === "hang") {
            hanging.add(res);
        } else if (raw.fault === "500") {
            res.writeHead(500, { "content-type": "text/plain" }).end("Internal Server Error");
        } else if (!body) {
            res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404: Not Found");
        } else {
            const sent = raw.fault === "wrong-bytes" ? Buffer.concat([body, Buffer.from("\n")]) : body;
            res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": String(sent.length) });
            // Truncated: half the promised bytes, then the connection drops.
            if (raw.fault === "truncated")
                res.write(sent.subarray(0, Math.floor(sent.length / 2)), () => req.socket.destroy());
            else res.end(sent);
        }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const raw: RawServer = {
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: [],
        authorizations: [],
        fault: "none",
        close: async () => {
            hanging.forEach((res) => res.destroy());
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
    return raw;
}

/** Two files shaped like real pins, with their own content and sums. */
function sampleFiles(): { files: ReferenceFile[]; bytes: Map<string, Buffer> } {
    const contents: [Omit<ReferenceFile, "sha256">, string][] = [
        [
            { name: "a-schema.json", repo: "example/upstream", ref: "v1.2.3", path: "schemas/a.json" },
            `{"title":"A","n":${Math.random()}}`,
        ],
        [
            {
                name: "b-schema.json",
                repo: "example/other",
                ref: "0123456789abcdef0123456789abcdef01234567",
                path: "deep/dir/b.json",
            },
            `{"title":"B"}`,
        ],
    ];
    const bytes = new Map<string, Buffer>();
    const files = contents.map(([f, text]) => {
        bytes.set(f.name, Buffer.from(text));
        return { ...f, sha256: sha256Hex(Buffer.from(text)) };
    });
    return { files, bytes };
}

let tmp: string;
let settings: ReferenceSettings;
let server: RawServer;
let files: ReferenceFile[];
let bytes: Map<string, Buffer>;

beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "reference-"));
    ({ files, bytes } = sampleFiles());
    server = await startRawServer(
        new Map(files.map((f) => [`/${f.repo}/${f.ref}/${f.path}`, bytes.get(f.name) as Buffer])),
    );
    settings = { sharedDir: path.join(tmp, "shared"), cacheDir: path.join(tmp, "cache"), baseUrl: server.baseUrl };
});

afterEach(async () => {
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
});

const ensure = (extra: { timeoutMs?: number; log?: (m: string) => void } = {}) =>
    ensureReferenceFiles({ settings, files, timeoutMs: 5_000, ...extra });

/** The ReferenceDataError of a run that must fail. */
async function failure(run: Promise<unknown>): Promise<ReferenceDataError> {
    const e = await run.then(
        () => undefined,
        (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ReferenceDataError);
    return e as ReferenceDataError;
}

const cacheListing = (): string[] => (fs.existsSync(settings.cacheDir) ? fs.readdirSync(settings.cacheDir).sort() : []);

describe("the pinned manifest", () => {
    test("pins each file once, by a tag or a full commit, with a sha256", () => {
        const names = REFERENCE_FILES.map((f) => f.name);
        expect(new Set(names).size).toBe(names.length);
        for (const f of REFERENCE_FILES) {
            expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
            expect(f.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
            expect(f.ref).toMatch(/^(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
            expect(f.path).not.toMatch(/^\/|\.\./);
            for (const v of f.localVariants ?? []) {
                expect(v.sha256).toMatch(/^[0-9a-f]{64}$/);
                expect(v.sha256).not.toBe(f.sha256);
                expect(v.why.length).toBeGreaterThan(10);
            }
        }
    });

    test("holds exactly the files the tests read, no more", () => {
        const read = new Set<string>();
        const walk = (dir: string): void => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, entry.name);
                if (entry.isDirectory()) walk(p);
                else if (p.endsWith(".ts") && p !== __filename) {
                    for (const m of fs
                        .readFileSync(p, "utf8")
                        .matchAll(/readReference(?:Text|Json)(?:<[^>]*>)?\("([^"]+)"\)/g))
                        read.add(m[1]);
                }
            }
        };
        walk(path.join(repoRoot, "tests"));
        expect([...read].sort()).toEqual(REFERENCE_FILES.map((f) => f.name).sort());
    });

    test("every file the tests read is accepted by its pin", () => {
        for (const f of REFERENCE_FILES) {
            const sum = sha256Hex(Buffer.from(readReferenceText(f.name), "utf8"));
            expect([f.sha256, ...(f.localVariants ?? []).map((v) => v.sha256)]).toContain(sum);
        }
    });

    test("reading a file nobody pinned says where to pin it", () => {
        expect(() => readReferenceText("dsm-api.md")).toThrow(
            /dsm-api\.md is not pinned: add it to REFERENCE_FILES in tests\/support\/reference\.ts/,
        );
    });
});

describe("where a file is downloaded from", () => {
    test("<base>/<owner>/<repo>/<ref>/<path>, the layout of raw.githubusercontent.com", () => {
        const talos = referenceFile("talos-config-schema-v1.12.1.json");
        // The same URL the program itself uses for the Talos config schema.
        expect(referenceUrl(talos)).toBe(DEFAULT_TALOS_SCHEMA_URL_TEMPLATE.replace("{version}", "v1.12.1"));
        expect(referenceUrl(talos, "http://127.0.0.1:8080")).toBe(
            "http://127.0.0.1:8080/siderolabs/talos/v1.12.1/pkg/machinery/config/schemas/config.schema.json",
        );
    });

    test("a mirror base may carry a path; trailing slashes do not double", () => {
        const [a] = files;
        expect(referenceUrl(a, "https://mirror.example/github-raw/")).toBe(
            "https://mirror.example/github-raw/example/upstream/v1.2.3/schemas/a.json",
        );
        expect(referenceUrl(a, "https://mirror.example//")).toBe(
            "https://mirror.example/example/upstream/v1.2.3/schemas/a.json",
        );
    });

    test("a base that is not an http(s) URL is refused, naming the variable and the fix", () => {
        const [a] = files;
        expect(() => referenceUrl(a, "mirror.example")).toThrow(`${BASE_URL_ENV}=mirror.example is not a URL`);
        expect(() => referenceUrl(a, "ftp://mirror.example")).toThrow(
            `${BASE_URL_ENV} must be an http(s) URL, not ftp:`,
        );
        expect(() => referenceUrl(a, "https://mirror.example/?token=x")).toThrow(/must not carry a query/);
    });

    test("settings come from SHARED_DIR and HOMELAB_REFERENCE_BASE_URL; the cache is .cache/reference", () => {
        expect(referenceSettings({})).toEqual({
            sharedDir: path.resolve(repoRoot, "..", "shared"),
            cacheDir: path.join(repoRoot, ".cache", "reference"),
            baseUrl: UPSTREAM_BASE_URL,
        });
        expect(referenceSettings({ SHARED_DIR: "/srv/ref", [BASE_URL_ENV]: "http://127.0.0.1:9" })).toMatchObject({
            sharedDir: "/srv/ref",
            baseUrl: "http://127.0.0.1:9",
        });
        expect(referenceSettings({ SHARED_DIR: "", [BASE_URL_ENV]: "" }).baseUrl).toBe(UPSTREAM_BASE_URL);
    });
});

describe("ensureReferenceFiles", () => {
    test("downloads what is missing, checks it and caches it", async () => {
        const logs: string[] = [];
        const got = await ensure({ log: (m) => logs.push(m) });
        expect(got.map((g) => [g.name, g.source])).toEqual(files.map((f) => [f.name, "downloaded"]));
        expect(server.requests.sort()).toEqual(files.map((f) => `/${f.repo}/${f.ref}/${f.path}`).sort());
        for (const f of files) {
            expect(fs.readFileSync(path.join(settings.cacheDir, f.name))).toEqual(bytes.get(f.name));
        }
        expect(cacheListing()).toEqual(files.map((f) => f.name).sort()); // no temporary file left behind
        expect(logs).toHaveLength(files.length);
        expect(logs[0]).toMatch(
            /^reference data: downloaded a-schema\.json \(\d+ bytes\) from http:\/\/127\.0\.0\.1:\d+\/example\/upstream\/v1\.2\.3\/schemas\/a\.json into /,
        );
    });

    test("a second run takes the cache and sends no request", async () => {
        await ensure();
        server.requests.length = 0;
        const again = await ensure();
        expect(again.map((g) => g.source)).toEqual(["cache", "cache"]);
        expect(server.requests).toEqual([]);
    });

    test("the shared folder comes first: no request, no cache write", async () => {
        fs.mkdirSync(path.join(settings.sharedDir, "reference"), { recursive: true });
        for (const f of files)
            fs.writeFileSync(path.join(settings.sharedDir, "reference", f.name), bytes.get(f.name) as Buffer);
        const got = await ensure();
        expect(got.map((g) => g.source)).toEqual(["shared", "shared"]);
        expect(server.requests).toEqual([]);
        expect(cacheListing()).toEqual([]);
    });

    test("a local copy with other bytes is ignored and replaced by a checked download", async () => {
        fs.mkdirSync(path.join(settings.sharedDir, "reference"), { recursive: true });
        fs.mkdirSync(settings.cacheDir, { recursive: true });
        const [a, b] = files;
        fs.writeFileSync(path.join(settings.sharedDir, "reference", a.name), "{}");
        fs.writeFileSync(path.join(settings.cacheDir, a.name), bytes.get(a.name)?.subarray(0, 5) as Buffer);
        fs.writeFileSync(path.join(settings.sharedDir, "reference", b.name), bytes.get(b.name) as Buffer);
        const logs: string[] = [];
        const got = await ensure({ log: (m) => logs.push(m) });
        expect(got.map((g) => [g.name, g.source])).toEqual([
            [a.name, "downloaded"],
            [b.name, "shared"],
        ]);
        expect(fs.readFileSync(path.join(settings.cacheDir, a.name))).toEqual(bytes.get(a.name));
        expect(logs.filter((l) => l.includes("ignored"))).toHaveLength(2);
    });

    test("a local copy matching a listed variant is taken; a download with the variant's sum is not", async () => {
        const [a] = files;
        const variant = Buffer.from('{ "title": "A" }');
        const pinned = { ...a, localVariants: [{ sha256: sha256Hex(variant), why: "the same JSON, re-indented" }] };
        fs.mkdirSync(path.join(settings.sharedDir, "reference"), { recursive: true });
        fs.writeFileSync(path.join(settings.sharedDir, "reference", a.name), variant);
        expect(await ensureReferenceFiles({ settings, files: [pinned] })).toEqual([
            expect.objectContaining({ source: "shared" }),
        ]);

        fs.rmSync(path.join(settings.sharedDir, "reference", a.name));
        await server.close();
        server = await startRawServer(new Map([[`/${a.repo}/${a.ref}/${a.path}`, variant]]));
        settings.baseUrl = server.baseUrl;
        const e = await failure(ensureReferenceFiles({ settings, files: [pinned] }));
        expect(e.message).toContain(`sha256 mismatch: expected ${a.sha256}, got ${sha256Hex(variant)}`);
        expect(cacheListing()).toEqual([]);
    });

    test("a download with the wrong sha256 is refused, named with both sums, and not cached", async () => {
        server.fault = "wrong-bytes";
        const e = await failure(ensure());
        expect(e.missing).toEqual(files.map((f) => f.name));
        for (const f of files) {
            const served = Buffer.concat([bytes.get(f.name) as Buffer, Buffer.from("\n")]);
            expect(e.message).toContain(`  - ${f.name} (sha256 ${f.sha256})`);
            expect(e.message).toContain(
                `sha256 mismatch: expected ${f.sha256}, got ${sha256Hex(served)} (${served.length} bytes); not cached`,
            );
        }
        expect(cacheListing()).toEqual([]);
    });

    test("a server that is down gives one message: what is missing and every way to get it", async () => {
        await server.close();
        const e = await failure(ensure());
        expect(e.missing).toEqual(["a-schema.json", "b-schema.json"]);
        const lines = e.message.split("\n");
        expect(lines[0]).toBe(
            `The tests need 2 pinned reference file(s) that are in neither ${path.join(settings.sharedDir, "reference")} ` +
                `nor ${settings.cacheDir}, and downloading them failed:`,
        );
        expect(e.message).toContain(
            `${server.baseUrl}/example/upstream/v1.2.3/schemas/a.json: fetch failed: ECONNREFUSED`,
        );
        expect(e.message).toContain("allow outbound HTTPS to raw.githubusercontent.com once");
        expect(e.message).toContain(
            `set ${BASE_URL_ENV} to a mirror laid out like raw.githubusercontent.com, <base>/<owner>/<repo>/<ref>/<path> (now ${BASE_URL_ENV}=${server.baseUrl})`,
        );
        expect(e.message).toContain("set SHARED_DIR to a folder holding reference/<name>");
        expect(e.message).toContain(`put the files into ${path.join(settings.cacheDir, "<name>")} yourself`);
        expect(cacheListing()).toEqual([]);
    });

    test("a download cut off half-way leaves nothing in the cache", async () => {
        server.fault = "truncated";
        const e = await failure(ensure());
        expect(e.message).toMatch(/a\.json: terminated/);
        expect(cacheListing()).toEqual([]);
        server.fault = "none";
        expect((await ensure()).map((g) => g.source)).toEqual(["downloaded", "downloaded"]);
    });

    test("a server that never answers is given up after the timeout, leaving nothing behind", async () => {
        server.fault = "hang";
        const e = await failure(ensure({ timeoutMs: 300 }));
        expect(e.message).toContain("no complete answer within 300 ms");
        expect(cacheListing()).toEqual([]);
    });

    test("an HTTP error or a missing file is reported with its status", async () => {
        const gone = { ...files[0], ref: "v9.9.9" };
        const e = await failure(ensureReferenceFiles({ settings, files: [gone, files[1]] }));
        expect(e.missing).toEqual([gone.name]);
        expect(e.message).toContain(`${server.baseUrl}/example/upstream/v9.9.9/schemas/a.json: HTTP 404 Not Found`);
        expect(cacheListing()).toEqual([files[1].name]);
        server.fault = "500";
        fs.rmSync(settings.cacheDir, { recursive: true });
        expect((await failure(ensure())).message).toContain("HTTP 500 Internal Server Error");
    });

    test("a mirror's credentials go in an Authorization header and never reach a message or a log", async () => {
        const withCredentials = server.baseUrl.replace("http://", "http://user:s3cret-token@");
        settings.baseUrl = withCredentials;
        const logs: string[] = [];
        await ensure({ log: (m) => logs.push(m) });
        expect(server.authorizations).toEqual(
            files.map(() => `Basic ${Buffer.from("user:s3cret-token").toString("base64")}`),
        );
        expect(logs.join("\n")).not.toContain("s3cret-token");

        fs.rmSync(settings.cacheDir, { recursive: true });
        await server.close();
        const e = await failure(ensure());
        expect(e.message).not.toContain("s3cret-token");
        expect(e.message).toContain("http://…@127.0.0.1:");
    });

    test("concurrent runs each end with a whole, checked file", async () => {
        await Promise.all([ensure(), ensure(), ensure()]);
        expect(cacheListing()).toEqual(files.map((f) => f.name).sort());
        for (const f of files) expect(sha256Hex(fs.readFileSync(path.join(settings.cacheDir, f.name)))).toBe(f.sha256);
    });
});
