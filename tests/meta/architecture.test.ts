/**
 * Where code lives, checked: the import graph of components/ (every `import`, `import type` and `export … from`)
 * has no cycle, a domain imports another domain only through the arrows below, and no production file is
 * longer than {@link MAX_LINES} lines.
 *
 * The arrows (README "Where things live"): the root helpers (checker, keys, net, version, duration, words, errors,
 * dynamic) import no domain and every file may import them; the root config (config.ts, stack.ts) composes the
 * domains' config.ts files and nothing imports a domain's type back through it; a domain reaches another only
 * through what that domain offers it, listed in {@link ARROWS}; an arrow that is not listed fails here.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { filesUnder, repoRoot } from "../support/shared";

const COMPONENTS = path.join(repoRoot, "components");

/** The longest a production file may be. */
const MAX_LINES = 600;

/** Root modules every file may import; they import no domain. */
const NEUTRAL = ["checker", "keys", "net", "version", "duration", "words", "errors", "dynamic"];

/**
 * What each domain may import of another (modules relative to components/, a folder meaning every module in it).
 * `root` is components/config.ts and components/stack.ts, which compose the domains' config.
 */
const ARROWS: Record<string, readonly string[]> = {
    root: ["factory/config", "synology/config", "talos/config", "workloads/config", "backups/config"],
    factory: [],
    talos: [],
    synology: ["factory/config", "factory/client", "factory/schematic", "cli/command"],
    workloads: ["synology/config"],
    backups: [
        "synology/config",
        "synology/kit",
        "synology/dsm",
        "synology/connection",
        "talos/talosctl",
        "talos/upgrades",
        "cli/command",
        "cli/stack",
    ],
    cli: ["config"],
    doctor: [
        "config",
        "cli/command",
        "cli/stack",
        "factory/config",
        "factory/schematic",
        "synology/connection",
        "synology/dsm",
        "synology/pxe",
        "synology/providers/tftp",
        "talos/config",
        "talos/node-wait",
    ],
};

/** Every .ts file under `dir`, as paths relative to components/ without the extension. */
function modules(): string[] {
    return filesUnder(COMPONENTS, (name) => name.endsWith(".ts")).map((p) =>
        path.relative(COMPONENTS, p).replace(/\.ts$/, "").split(path.sep).join("/"),
    );
}

/** The modules of components/ that `mod` imports (type-only imports included). */
function importsOf(mod: string, known: ReadonlySet<string>): string[] {
    const file = path.join(COMPONENTS, `${mod}.ts`);
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    return info.importedFiles
        .map((f) => f.fileName)
        .filter((name) => name.startsWith("."))
        .map((name) => path.posix.normalize(path.posix.join(path.posix.dirname(mod), name)))
        .map((target) => (known.has(target) ? target : `${target}/index`))
        .filter((target) => known.has(target));
}

const ALL = modules();
const KNOWN = new Set(ALL);
const GRAPH = new Map(ALL.map((m) => [m, importsOf(m, KNOWN)]));

/** The import cycles of the graph, each as the list of its modules (Tarjan's strongly connected components). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const out: string[][] = [];
    const visit = (v: string): void => {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
        if (low.get(v) === index.get(v)) {
            const scc: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                scc.push(w);
            } while (w !== v);
            if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
        }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    return out;
}

/** `synology/dsm/client` → `synology`; a root module → `root` (config, stack) or `neutral` (the helpers). */
function domainOf(mod: string): string {
    if (mod.includes("/")) return mod.split("/")[0];
    return NEUTRAL.includes(mod) ? "neutral" : "root";
}

function allowed(from: string, to: string): boolean {
    const [a, b] = [domainOf(from), domainOf(to)];
    if (a === b || b === "neutral") return true;
    if (a === "neutral") return false;
    return (ARROWS[a] ?? []).some((entry) => to === entry || to.startsWith(`${entry}/`));
}

describe("the import graph of components/", () => {
    test("is read: every module and the imports of a few known ones", () => {
        expect(ALL.length).toBeGreaterThan(40);
        expect(GRAPH.get("config")).toContain("synology/config");
    });

    test("has no cycle, type-only imports included", () => {
        expect(cycles(GRAPH)).toEqual([]);
    });

    test("finds a cycle when there is one (the check itself)", () => {
        const g = new Map([
            ["a", ["b"]],
            ["b", ["c"]],
            ["c", ["a"]],
            ["d", ["a"]],
        ]);
        expect(cycles(g)).toEqual([["a", "b", "c"]]);
    });

    test("crosses from one domain to another only along the listed arrows", () => {
        const crossings = [...GRAPH].flatMap(([from, tos]) =>
            tos.filter((to) => !allowed(from, to)).map((to) => `${from} → ${to}`),
        );
        expect(crossings).toEqual([]);
    });

    test("lists only arrows that are used (a stale arrow would let a new one in unnoticed)", () => {
        const used = (domain: string, entry: string) =>
            [...GRAPH].some(
                ([from, tos]) =>
                    domainOf(from) === domain && tos.some((to) => to === entry || to.startsWith(`${entry}/`)),
            );
        const stale = Object.entries(ARROWS).flatMap(([domain, entries]) =>
            entries.filter((e) => !used(domain, e)).map((e) => `${domain} → ${e}`),
        );
        expect(stale).toEqual([]);
    });
});

test(`no production file is longer than ${MAX_LINES} lines`, () => {
    const long = [...ALL.map((m) => `components/${m}.ts`), "index.ts"]
        .map((f) => ({ f, lines: fs.readFileSync(path.join(repoRoot, f), "utf8").split("\n").length - 1 }))
        .filter(({ lines }) => lines > MAX_LINES)
        .map(({ f, lines }) => `${f}: ${lines}`);
    expect(long).toEqual([]);
});
