/**
 * A disk cache of what ts-node compiles, so a run transpiles only the files that changed since the last one.
 *
 * Every `pulumi preview` and `pulumi up` starts two Node.js processes that load this program's TypeScript through
 * ts-node: the program itself (Pulumi's language host registers ts-node) and the dynamic-provider host (the shim a
 * resource stores registers it, components/dynamic.ts). ts-node has no cache of its own: each process transpiled
 * every module it loaded, every run, about a second of CPU for the program's modules. tsconfig.json's
 * `"ts-node": { "require": [...] }` loads this module in both, right after ts-node registers.
 *
 * Plain CommonJS, not TypeScript: ts-node would have to transpile this file itself before it could be cached, and
 * the first transpile of a process pays for TypeScript's warm-up (about 100 ms, in each of the two processes).
 * With every other file a hit, a run now calls the compiler for nothing. tests/meta/compile-cache.test.ts tests it.
 *
 * What it caches: ts-node's own output for a file (the JavaScript with its inline source map), for the file's text,
 * path, TypeScript and ts-node versions, compiler options, transpiler and this cache's format. One cache file per
 * source file and set of options (a changed file replaces its entry), in `node_modules/.cache/homelab-ts` of the
 * checkout (`npm ci` empties it). A hit hands the same text to Node.js and to the source-map support ts-node
 * installed, so stack traces still point into the TypeScript. Only when ts-node transpiles without type-checking:
 * with type-checking on (PULUMI_NODEJS_TRANSPILE_ONLY=false), ts-node sees every file, as before. Nothing here can
 * fail a run: a cache that cannot be read or written is a miss.
 *
 * The same preload tells that source-map support that installed packages have no source maps
 * ({@link skipPackageSourceMaps}): their stack frames keep the positions of the JavaScript that ran.
 */
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded by ts-node before any TypeScript */
const { createHash } = require("crypto");
const fs = require("fs");
const { createRequire } = require("module");
const path = require("path");

/** Bumped when what a cache file holds changes. */
const FORMAT = 1;

/** Where the cache lives: the checkout's node_modules/.cache (this file is components/compile-cache.js). */
const COMPILE_CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "homelab-ts");

const INSTALLED = Symbol.for("homelab.compile-cache");

/** ts-node's and source-map-support's form of a path. */
const slashes = (p) => p.replace(/\\/g, "/");

/** The version of the ts-node that registered (its output's shape is its own), or "" when it cannot be read. */
function tsNodeVersion() {
    try {
        return createRequire(__filename)("ts-node/package.json").version ?? "";
    } catch {
        return "";
    }
}

/**
 * The cache file of one source file compiled one way (`service`: ts-node's, or its `ts`, `config` and `options`): a
 * hash of the file's path, the TypeScript and ts-node versions, the compiler options, the transpiler and the
 * format. The program and the dynamic-provider host register ts-node with slightly different options, so each has
 * its own slot and neither evicts the other's.
 */
function cacheFileOf(service, fileName, dir, tsNode = tsNodeVersion()) {
    const transpiler = [service.options.transpiler ?? null, service.options.swc ?? null];
    const slot = createHash("sha256")
        .update(JSON.stringify([FORMAT, service.ts.version, tsNode, service.config.options, transpiler, fileName]))
        .digest("hex");
    return path.join(dir, `${slot.slice(0, 40)}.json`);
}

/** What a slot's entry must match: the file's text. */
function textKey(code) {
    return createHash("sha256").update(code).digest("hex");
}

/** The cached output for `key`, or undefined (no entry, another text's, or not an entry at all). */
function read(file, key) {
    try {
        const entry = JSON.parse(fs.readFileSync(file, "utf8"));
        return entry.key === key && typeof entry.output === "string" ? entry.output : undefined;
    } catch {
        return undefined;
    }
}

/** Via a temporary file and a rename: a reader in another process never sees half an entry. */
function write(file, entry) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(tmp, JSON.stringify(entry));
        fs.renameSync(tmp, file);
    } catch {
        try {
            fs.unlinkSync(tmp);
        } catch {
            /* never written */
        }
    }
}

/**
 * Wraps `service.compile` (what ts-node's require hook calls for each file) with the cache, for the files under
 * `roots` (this checkout, and the folder the process runs in: the Pulumi project's) outside node_modules; returns
 * false (and changes nothing) when ts-node type-checks. Throws (changing nothing) only when ts-node's source-map
 * support cannot be loaded.
 */
function installCompileCache(
    service,
    { dir = COMPILE_CACHE_DIR, roots = [path.resolve(__dirname, ".."), process.cwd()] } = {},
) {
    if (service.options.transpileOnly !== true || service.options.typeCheck === true) return false;
    // Resolved first: if ts-node's source-map support cannot be found, ts-node is left as it was.
    const sourceMapSupport = createRequire(require.resolve("ts-node"))("@cspotcode/source-map-support");
    const prefixes = roots.map((r) => path.resolve(r) + path.sep);
    const ownFile = (f) => prefixes.some((p) => f.startsWith(p)) && !f.includes(`${path.sep}node_modules${path.sep}`);
    const hits = new Map();
    const tsNode = tsNodeVersion();
    const compile = service.compile.bind(service);
    service.compile = (code, fileName, lineOffset) => {
        if (!ownFile(path.resolve(fileName)) || lineOffset) return compile(code, fileName, lineOffset);
        const key = textKey(code);
        const file = cacheFileOf(service, fileName, dir, tsNode);
        const cached = read(file, key);
        if (cached !== undefined) {
            hits.set(slashes(fileName), cached);
            return cached;
        }
        const output = compile(code, fileName);
        write(file, { key, output });
        return output;
    };
    // ts-node's source-map support reads a file's JavaScript from ts-node's memory, which a hit bypassed: a handler
    // of its own, asked first, gives it the cached text (with its inline map) so stack traces name TypeScript lines.
    sourceMapSupport.install({ retrieveFile: (p) => hits.get(slashes(p)) ?? null });
    return true;
}

/** A source map that maps nothing: the positions of a stack frame stay those of the JavaScript that ran. */
const NO_MAP = JSON.stringify({ version: 3, sources: [], names: [], mappings: "" });

/**
 * Stack frames in installed packages (under node_modules) keep the positions of the JavaScript that ran: ts-node's
 * source-map support is told they have no source map, so it neither reads each package file to look for one nor
 * parses the `.js.map` files @pulumi/pulumi ships (whose sources are not installed anyway). The Pulumi SDK formats
 * a stack trace for every resource and most of its promises, mostly of its own frames: in a preview's profile that
 * mapping was a tenth of the program's CPU. The program's own files are mapped as before (their maps are inline).
 */
function skipPackageSourceMaps() {
    const sourceMapSupport = createRequire(require.resolve("ts-node"))("@cspotcode/source-map-support");
    const inPackage = (source) => /[\\/]node_modules[\\/]/.test(source);
    sourceMapSupport.install({
        retrieveSourceMap: (source) => (inPackage(source) ? { url: source, map: NO_MAP } : null),
    });
}

module.exports = { COMPILE_CACHE_DIR, cacheFileOf, installCompileCache, skipPackageSourceMaps, textKey };

// Loaded by ts-node's `require` option (tsconfig.json): once per process, with the service that loaded it.
const registered = process[Symbol.for("ts-node.register.instance")];
if (registered && !process[INSTALLED]) {
    process[INSTALLED] = true;
    try {
        installCompileCache(registered);
    } catch {
        // No cache: ts-node transpiles every file, as it would without this module.
    }
    try {
        skipPackageSourceMaps();
    } catch {
        // Every frame is mapped, as without this module.
    }
}
