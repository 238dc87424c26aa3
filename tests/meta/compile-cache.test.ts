/**
 * components/compile-cache.js: what ts-node transpiled once is read from disk afterwards, a changed file is
 * transpiled again, files outside the checkout and type-checking runs are left to ts-node, and, through the real
 * ts-node in fresh processes, a second run transpiles nothing and its stack traces still name TypeScript lines.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../support/shared";

/** What components/compile-cache.js (CommonJS, loaded by ts-node before any TypeScript) exports. */
interface CompileCache {
    cacheFileOf: (service: object, fileName: string, dir: string, tsNode?: string) => string;
    installCompileCache: (service: object, opts?: { dir?: string; roots?: string[] }) => boolean;
    skipPackageSourceMaps: () => void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a .js module without type declarations
const { cacheFileOf, installCompileCache } = require("../../components/compile-cache.js") as CompileCache;

/** A stand-in for ts-node's registered service: "transpiles" by prefixing, and counts what it transpiled. */
function fakeService(opts: { transpileOnly?: boolean; options?: object } = {}) {
    const service = {
        ts: { version: "5.9.3" },
        config: { options: opts.options ?? { module: 1, target: 7 } },
        options: { transpileOnly: opts.transpileOnly ?? true },
        transpiled: [] as string[],
        compile(code: string, fileName: string): string {
            service.transpiled.push(fileName);
            return `/* js of ${fileName} */ ${code}`;
        },
    };
    return service;
}

let dir: string;
let root: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "compile-cache-"));
    root = path.join(dir, "project");
    fs.mkdirSync(root);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const cacheDir = () => path.join(dir, "cache");

test("a file is transpiled once: a later process reads ts-node's output from the cache", () => {
    const file = path.join(root, "components", "a.ts");
    const first = fakeService();
    expect(installCompileCache(first, { dir: cacheDir(), roots: [root] })).toBe(true);
    const output = first.compile("export const a = 1;", file);
    expect(first.transpiled).toEqual([file]);

    const second = fakeService();
    installCompileCache(second, { dir: cacheDir(), roots: [root] });
    expect(second.compile("export const a = 1;", file)).toBe(output);
    expect(second.transpiled).toEqual([]);
});

test("a changed file is transpiled again and replaces its entry; other compiler options have their own", () => {
    const file = path.join(root, "a.ts");
    const s = fakeService();
    installCompileCache(s, { dir: cacheDir(), roots: [root] });
    s.compile("export const a = 1;", file);
    expect(s.compile("export const a = 2;", file)).toContain("a = 2");
    expect(s.transpiled).toEqual([file, file]);
    expect(fs.readdirSync(cacheDir())).toHaveLength(1);

    const other = fakeService({ options: { module: 1, target: 7, sourceMap: true } });
    installCompileCache(other, { dir: cacheDir(), roots: [root] });
    other.compile("export const a = 2;", file);
    expect(other.transpiled).toEqual([file]);
    expect(fs.readdirSync(cacheDir())).toHaveLength(2);
    expect(cacheFileOf(other, file, cacheDir())).not.toBe(cacheFileOf(s, file, cacheDir()));
});

test("another TypeScript, ts-node or transpiler, or another path, is another slot: nothing compiled otherwise is reused", () => {
    const file = path.join(root, "a.ts");
    const s = fakeService();
    const slot = cacheFileOf(s, file, cacheDir(), "10.9.2");
    expect(cacheFileOf(s, file, cacheDir(), "10.9.2")).toBe(slot);
    const others = [
        cacheFileOf({ ...s, ts: { version: "5.8.0" } }, file, cacheDir(), "10.9.2"),
        cacheFileOf(s, file, cacheDir(), "10.9.1"),
        cacheFileOf(
            { ...s, options: { ...s.options, transpiler: "ts-node/transpilers/swc" } },
            file,
            cacheDir(),
            "10.9.2",
        ),
        cacheFileOf(s, path.join(root, "b.ts"), cacheDir(), "10.9.2"),
    ];
    expect(new Set([slot, ...others]).size).toBe(5);
});

test("a cache file that is not an entry is a miss, and is replaced", () => {
    const file = path.join(root, "a.ts");
    const s = fakeService();
    installCompileCache(s, { dir: cacheDir(), roots: [root] });
    fs.mkdirSync(cacheDir(), { recursive: true });
    fs.writeFileSync(cacheFileOf(s, file, cacheDir()), "{ half an entr");
    expect(s.compile("export const a = 1;", file)).toContain("a = 1");
    expect(s.transpiled).toEqual([file]);
    expect(JSON.parse(fs.readFileSync(cacheFileOf(s, file, cacheDir()), "utf8"))).toMatchObject({
        output: expect.stringContaining("a = 1"),
    });
});

test("files outside the checkout and the project folder, or under node_modules, go to ts-node every time, and nothing is stored", () => {
    const s = fakeService();
    installCompileCache(s, { dir: cacheDir(), roots: [root] });
    const outside = path.join(dir, "elsewhere.ts");
    const pkg = path.join(root, "node_modules", "pkg", "index.ts");
    for (let i = 0; i < 2; i++) {
        s.compile("export {};", outside);
        s.compile("export {};", pkg);
    }
    expect(s.transpiled).toEqual([outside, pkg, outside, pkg]);
    expect(fs.existsSync(cacheDir())).toBe(false);
});

test("when ts-node type-checks, nothing is installed: every file still reaches the checker", () => {
    const s = fakeService({ transpileOnly: false });
    expect(installCompileCache(s, { dir: cacheDir(), roots: [root] })).toBe(false);
    const file = path.join(root, "a.ts");
    s.compile("export const a = 1;", file);
    s.compile("export const a = 1;", file);
    expect(s.transpiled).toEqual([file, file]);
    expect(fs.existsSync(cacheDir())).toBe(false);
});

test("tsconfig.json has ts-node load the cache, and transpile without type-checking", () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(repoRoot, "tsconfig.json"), "utf8")) as {
        "ts-node": { transpileOnly: boolean; require: string[] };
    };
    expect(tsconfig["ts-node"]).toEqual({ transpileOnly: true, require: ["./components/compile-cache.js"] });
    const installed = execFileSync(
        process.execPath,
        [
            "-e",
            `require(${JSON.stringify(require.resolve("ts-node"))}).register({ project: ${JSON.stringify(path.join(repoRoot, "tsconfig.json"))} });
             process.stdout.write(String(process[Symbol.for("homelab.compile-cache")] === true));`,
        ],
        { cwd: dir, encoding: "utf8" },
    );
    expect(installed).toBe("true");
});

test("through the real ts-node, in a project folder: a second process transpiles nothing, and its stack traces name TypeScript lines", () => {
    fs.writeFileSync(
        path.join(root, "a.ts"),
        `import { boom } from "./b";\n\nexport function run(): number {\n    return boom();\n}\n`,
    );
    // The throw is on line 2 of b.ts; its JavaScript has it on another line (the CommonJS preamble).
    fs.writeFileSync(path.join(root, "b.ts"), `export function boom(): number {\n    throw new Error("boom");\n}\n`);
    const child = `
        const tsNode = require(${JSON.stringify(require.resolve("ts-node"))});
        const service = tsNode.register({ transpileOnly: true, skipProject: true, compilerOptions: { module: "commonjs", target: "es2020" } });
        const { installCompileCache } = require(${JSON.stringify(path.join(repoRoot, "components", "compile-cache.js"))});
        const compile = service.compile.bind(service);
        let transpiled = 0;
        service.compile = (code, fileName, offset) => { transpiled++; return compile(code, fileName, offset); };
        installCompileCache(service, { dir: ${JSON.stringify(cacheDir())} });
        let frame = "";
        try { require(${JSON.stringify(path.join(root, "a.ts"))}).run(); } catch (e) { frame = e.stack.split("\\n")[1].trim(); }
        process.stdout.write(JSON.stringify({ transpiled, frame }));`;
    const run = () =>
        // Run in the project folder: outside the checkout, its files are cached as the folder the process runs in.
        JSON.parse(execFileSync(process.execPath, ["-e", child], { cwd: root, encoding: "utf8" })) as {
            transpiled: number;
            frame: string;
        };
    const first = run();
    const second = run();
    expect(first.transpiled).toBe(2);
    expect(second.transpiled).toBe(0);
    for (const r of [first, second]) expect(r.frame).toBe(`at boom (${path.join(root, "b.ts")}:2:11)`);
});

test("stack frames in installed packages keep their JavaScript positions; the program's own are still mapped", () => {
    // A package file whose source map says its line 2 is line 40 of a source that is not installed.
    const pkg = path.join(root, "node_modules", "pkg");
    fs.mkdirSync(pkg, { recursive: true });
    const map = { version: 3, file: "index.js", sources: ["../src/index.ts"], names: [], mappings: ";AAuCA" };
    fs.writeFileSync(path.join(pkg, "index.js.map"), JSON.stringify(map));
    fs.writeFileSync(
        path.join(pkg, "index.js"),
        `"use strict";\nexports.fail = () => { throw new Error("pkg"); };\n//# sourceMappingURL=index.js.map\n`,
    );
    fs.writeFileSync(path.join(root, "a.ts"), `\nexport function own(): never {\n    throw new Error("own");\n}\n`);
    const child = (skip: boolean) => `
        const tsNode = require(${JSON.stringify(require.resolve("ts-node"))});
        tsNode.register({ transpileOnly: true, skipProject: true, compilerOptions: { module: "commonjs", target: "es2020" } });
        if (${skip}) require(${JSON.stringify(path.join(repoRoot, "components", "compile-cache.js"))}).skipPackageSourceMaps();
        const frame = (f) => { try { f(); } catch (e) { return e.stack.split("\\n")[1].trim(); } };
        process.stdout.write(JSON.stringify([
            frame(require(${JSON.stringify(path.join(pkg, "index.js"))}).fail),
            frame(require(${JSON.stringify(path.join(root, "a.ts"))}).own),
        ]));`;
    const run = (skip: boolean) =>
        JSON.parse(execFileSync(process.execPath, ["-e", child(skip)], { cwd: root, encoding: "utf8" })) as string[];
    const [mappedPkg, ownBefore] = run(false);
    expect(mappedPkg).toContain(`${path.join(root, "node_modules", "src", "index.ts")}:40:`);
    const [pkgFrame, ownFrame] = run(true);
    expect(pkgFrame).toContain(`${path.join(pkg, "index.js")}:2:`);
    expect(ownFrame).toBe(ownBefore);
    expect(ownFrame).toContain(`${path.join(root, "a.ts")}:3:`);
});
