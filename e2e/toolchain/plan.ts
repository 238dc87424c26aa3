/**
 * The real-engine toolchain as a plan (pure): which Go builds to run, from where, with which flags, and
 * under which cache key. `build.ts` runs the plan; tests/e2e/toolchain-plan.test.ts checks it.
 *
 * A piece is cached in `<cacheRoot>/<name>-<version>-<key>/` where `key` hashes everything that decides its
 * bytes: the pin from versions.json, the Go version, the build environment, and the files it builds from (a
 * wrapper's go.mod, go.sum and Go sources, every file of a third_party folder, or every Go source file of a
 * project module, plus the Go modules of ours its `generate` commands run).
 * Change a pin and only that piece is rebuilt; Go's own module and build caches make even that quick.
 *
 * A piece with `generate` is built from a copy of its source in `<its cache folder>/.build/` (the checkout may
 * be read-only): the generate commands write into the copy, then `go build` runs there; the copy is removed
 * once the binaries are in place.
 */
import { createHash } from "crypto";
import * as path from "path";

/** One entry of versions.json. */
/** What a piece is for: who needs it built (see {@link piecesFor}). */
export type ToolRole = "engine" | "stand-in" | "tool";
export const TOOL_ROLES: readonly ToolRole[] = ["engine", "stand-in", "tool"];

export interface ToolPin {
    version: string;
    /**
     * `engine`: the Pulumi CLI, its language host and the provider plugins (not built for a user's own CLI);
     * `stand-in`: what plays the LAN (the Talos node stand-in, Kubernetes' control plane); `tool`: what the program
     * and the scenarios run beside the engine (talosctl).
     */
    role: ToolRole;
    /**
     * `wrapper`: a Go module of ours in e2e/toolchain/<dir>; `third_party`: upstream source the Go module proxy
     * does not serve, committed in <repo>/third_party/<dir> (see its ORIGIN); `project`: <repo>/<dir>.
     */
    from: "wrapper" | "third_party" | "project";
    dir: string;
    /** Go package to build, relative to the module (`.`, `./cmd/x`) or a full import path. */
    package?: string;
    /**
     * Several Go packages built by ONE `go build -o <dir>/ a b c` (instead of `package`): the packages they
     * share compile once, and each main package gives a binary named after its last path element.
     */
    packages?: string[];
    tags?: string[];
    /** `{version}` is replaced by the pin's version. */
    ldflags: string;
    binaries: string[];
    /** Installed into PULUMI_HOME with `pulumi plugin install <kind> <name> <version> --file`. */
    plugin?: { kind: "resource"; name: string };
    /**
     * `go` commands that write files the build needs (a generated schema, embed files) before `go build`, in
     * order, into a copy of the source folder (only for `third_party` pieces).
     */
    generate?: GenerateCommand[];
}

/** One `go` command of a pin's `generate` list. */
export interface GenerateCommand {
    /** Runs in the Go module of ours e2e/toolchain/<module>, e.g. a generator (its files join the cache key)... */
    module?: string;
    /** ...or, without `module`, in this folder of the build copy, relative to the pin's module folder (default `.`). */
    dir?: string;
    /** `go` arguments. `{build}`: the build copy's module folder (absolute); `{version}`: the pin's version. */
    args: string[];
    /** Extra environment; `{version}` and `{build}` are replaced as in `args`. */
    env?: Record<string, string>;
}

export type Versions = Record<string, ToolPin>;

/** Where things are. */
export interface Layout {
    repoRoot: string;
    /** The cache root (default ~/.cache/homelab/toolchain). */
    cacheRoot: string;
}

/** One `go` command, ready to run. */
export interface GoCommand {
    cwd: string;
    args: string[];
    env: Record<string, string>;
}

/** One build step, ready to run. */
export interface BuildStep {
    name: string;
    version: string;
    /** Module folder `go build` runs in. */
    cwd: string;
    args: string[];
    env: Record<string, string>;
    /** Folder the binaries land in (`-o <outDir>/`). */
    outDir: string;
    binaries: string[];
    key: string;
    /** What to name in messages: module path and version, and the folder built from. */
    describe: string;
    plugin?: ToolPin["plugin"];
    /** For a piece with `generate`: the source folder to copy into `to` (inside outDir) before anything runs. */
    copy?: { from: string; to: string };
    /** Commands to run, in order, before `go build` (empty for most pieces). */
    generate: GoCommand[];
}

/** The Go packages a pin builds. */
export function pinPackages(pin: ToolPin): string[] {
    return pin.packages ?? (pin.package !== undefined ? [pin.package] : []);
}

/** The folder a pin builds from. */
export function sourceDir(pin: ToolPin, layout: Layout): string {
    switch (pin.from) {
        case "wrapper":
            return path.join(layout.repoRoot, "e2e", "toolchain", pin.dir);
        case "third_party":
            return path.join(layout.repoRoot, "third_party", pin.dir);
        case "project":
            return path.join(layout.repoRoot, pin.dir);
    }
}

/** A folder whose files join a piece's cache key: `all-files`, or only Go sources (go.mod, go.sum, non-test .go). */
export interface KeySource {
    dir: string;
    files: "all-files" | "all-go-sources";
    /** Prefix of its files' paths in the key ("" for the piece's own folder). */
    label: string;
}

/**
 * Folders whose files decide the build, for the cache key: a wrapper's module (go.mod, go.sum, its Go sources);
 * every file of a third_party folder (sources, embedded files, ORIGIN) — the whole upstream folder
 * third_party/<first segment of dir>, since a module there may replace into its siblings; every Go source of a
 * project module; and every Go module of ours a `generate` command runs.
 */
export function keySources(pin: ToolPin, layout: Layout): KeySource[] {
    const own: KeySource =
        pin.from === "third_party"
            ? { dir: sourceDir({ ...pin, dir: pin.dir.split("/")[0] }, layout), files: "all-files", label: "" }
            : { dir: sourceDir(pin, layout), files: "all-go-sources", label: "" };
    const modules = [...new Set((pin.generate ?? []).flatMap((g) => (g.module ? [g.module] : [])))];
    return [
        own,
        ...modules.map((m) => ({
            dir: path.join(layout.repoRoot, "e2e", "toolchain", m),
            files: "all-go-sources" as const,
            label: `e2e/toolchain/${m}/`,
        })),
    ];
}

/**
 * The cache key of a piece: sha256 over the pin, the Go version, the build environment (GOFLAGS decide bytes too)
 * and the key files' contents (12 hex digits).
 */
export function cacheKey(
    name: string,
    pin: ToolPin,
    goVersion: string,
    files: ReadonlyArray<{ path: string; bytes: Buffer | string }>,
    env: Readonly<Record<string, string>> = GO_BUILD_ENV,
): string {
    const h = createHash("sha256");
    // The role says who needs the piece, not what its bytes are: it stays out of the key.
    const { role: _role, ...bytesDecidingPin } = pin;
    h.update(JSON.stringify({ name, pin: bytesDecidingPin, goVersion, flags: GO_BUILD_FLAGS, env }));
    for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
        h.update(`\0${f.path}\0`);
        h.update(f.bytes);
    }
    return h.digest("hex").slice(0, 12);
}

/** Flags of every build: no file paths in the binary (the VCS stamp is off for every go command: GO_BUILD_ENV). */
export const GO_BUILD_FLAGS: readonly string[] = ["-trimpath"];

/** The `go build` arguments of a pin. */
export function goBuildArgs(pin: ToolPin, outDir: string): string[] {
    const args = ["build", ...GO_BUILD_FLAGS];
    if (pin.tags && pin.tags.length > 0) args.push("-tags", pin.tags.join(","));
    const ldflags = pin.ldflags.split("{version}").join(pin.version);
    if (ldflags) args.push("-ldflags", ldflags);
    args.push("-o", outDir + path.sep, ...pinPackages(pin));
    return args;
}

/** `{version}` and `{build}` filled in. */
function fill(text: string, version: string, build: string): string {
    return text.split("{version}").join(version).split("{build}").join(build);
}

/** The `generate` commands of a pin, for a build copy whose module folder is `build`. */
export function generateCommands(pin: ToolPin, layout: Layout, build: string): GoCommand[] {
    return (pin.generate ?? []).map((g) => ({
        cwd: g.module ? path.join(layout.repoRoot, "e2e", "toolchain", g.module) : path.join(build, g.dir ?? "."),
        args: g.args.map((a) => fill(a, pin.version, build)),
        env: {
            ...GO_BUILD_ENV,
            ...Object.fromEntries(Object.entries(g.env ?? {}).map(([k, v]) => [k, fill(v, pin.version, build)])),
        },
    }));
}

/** The environment every build runs with (on top of the caller's): offline-reproducible Go settings. */
export const GO_BUILD_ENV: Readonly<Record<string, string>> = {
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
    // The third_party folders' go.sum are complete; never let go rewrite module files (the checkout may be read-only).
    // No VCS stamp: a binary built from a module inside the checkout must not depend on the checkout's git state.
    GOFLAGS: "-mod=readonly -buildvcs=false",
};

/** The folder inside a piece's cache folder that holds the build copy (removed once built). */
export const BUILD_COPY = ".build";

/**
 * The same step aimed at a temporary folder `<outDir><suffix>` (the runner builds there and renames it into place
 * when complete): every path under outDir (the `-o` argument, the build copy, generate arguments) moves with it.
 */
export function inTempDir(step: BuildStep, suffix: string): BuildStep {
    const tmp = step.outDir + suffix;
    const move = (p: string) =>
        p === step.outDir || p.startsWith(step.outDir + path.sep) ? tmp + p.slice(step.outDir.length) : p;
    const moveCommand = (c: GoCommand): GoCommand => ({
        cwd: move(c.cwd),
        args: c.args.map(move),
        env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, move(v)])),
    });
    const build = moveCommand(step);
    return {
        ...step,
        ...build,
        outDir: tmp,
        ...(step.copy ? { copy: { from: step.copy.from, to: move(step.copy.to) } } : {}),
        generate: step.generate.map(moveCommand),
    };
}

/** The build steps, in versions.json order. `keys` gives each piece's cache key (see {@link cacheKey}). */
export function planBuild(versions: Versions, layout: Layout, keys: Readonly<Record<string, string>>): BuildStep[] {
    return Object.entries(versions)
        .filter(([name]) => !name.startsWith("$"))
        .map(([name, pin]) => {
            const key = keys[name];
            if (!key) throw new Error(`toolchain: no cache key for ${name}`);
            const outDir = path.join(layout.cacheRoot, `${name}-${pin.version}-${key}`);
            let cwd = sourceDir(pin, layout);
            let copy: BuildStep["copy"];
            if (pin.generate && pin.generate.length > 0) {
                // Build from a copy: third_party/<top> -> <outDir>/.build/<top>, the module folder inside it.
                const [top, ...rest] = pin.dir.split("/");
                copy = { from: path.join(layout.repoRoot, "third_party", top), to: path.join(outDir, BUILD_COPY, top) };
                cwd = path.join(copy.to, ...rest);
            }
            return {
                name,
                version: pin.version,
                cwd,
                args: goBuildArgs(pin, outDir),
                env: { ...GO_BUILD_ENV },
                outDir,
                binaries: pin.binaries,
                key,
                describe: `${name} ${pin.version} (go build ${pinPackages(pin).join(" ")} in ${cwd})`,
                ...(pin.plugin ? { plugin: pin.plugin } : {}),
                ...(copy ? { copy } : {}),
                generate: generateCommands(pin, layout, cwd),
            };
        });
}

/** The folder that gathers every binary of one toolchain (links into the pieces' folders). */
export function binDirFor(layout: Layout, steps: readonly BuildStep[]): string {
    const combined = createHash("sha256")
        .update(steps.map((s) => `${s.name}@${s.key}`).join("\n"))
        .digest("hex")
        .slice(0, 12);
    return path.join(layout.cacheRoot, `bin-${combined}`);
}

/** The pins of the given roles, in versions.json order (all of them without `roles`). */
export function piecesFor(versions: Versions, roles?: readonly ToolRole[]): Versions {
    return Object.fromEntries(
        Object.entries(versions).filter(([name, pin]) => name.startsWith("$") || !roles || roles.includes(pin.role)),
    );
}

/** Checks versions.json's shape; returns every problem (empty when fine). */
export function versionsProblems(versions: unknown): string[] {
    const problems: string[] = [];
    if (!versions || typeof versions !== "object" || Array.isArray(versions))
        return ["versions.json must be an object of pins"];
    for (const [name, pin] of Object.entries(versions as Record<string, unknown>)) {
        if (name.startsWith("$")) continue;
        const p = pin as Partial<ToolPin> | undefined;
        const where = `versions.json ${name}`;
        if (!p || typeof p !== "object") {
            problems.push(`${where}: must be an object`);
            continue;
        }
        if (typeof p.version !== "string" || p.version === "")
            problems.push(`${where}.version: must be a non-empty string`);
        if (!TOOL_ROLES.includes(p.role as ToolRole)) problems.push(`${where}.role: must be ${TOOL_ROLES.join(", ")}`);
        if (p.from !== "wrapper" && p.from !== "third_party" && p.from !== "project")
            problems.push(`${where}.from: must be wrapper, third_party or project`);
        if (typeof p.dir !== "string" || p.dir === "" || p.dir.includes(".."))
            problems.push(`${where}.dir: must be a relative folder without ..`);
        const hasPackage = typeof p.package === "string" && p.package !== "";
        const hasPackages =
            Array.isArray(p.packages) &&
            p.packages.length > 0 &&
            p.packages.every((x) => typeof x === "string" && x !== "");
        if (hasPackage === hasPackages || (p.package !== undefined && p.packages !== undefined))
            problems.push(
                `${where}.package: must name the Go package to build (or packages: a list of them, not both)`,
            );
        if (typeof p.ldflags !== "string") problems.push(`${where}.ldflags: must be a string (may be empty)`);
        if (!Array.isArray(p.binaries) || p.binaries.length === 0)
            problems.push(`${where}.binaries: must list the binaries the build writes`);
        if (p.generate !== undefined) {
            if (p.from !== "third_party") problems.push(`${where}.generate: only third_party pieces generate files`);
            if (!Array.isArray(p.generate) || p.generate.length === 0)
                problems.push(`${where}.generate: must be a non-empty list of go commands`);
            else
                p.generate.forEach((g, i) => {
                    if (!g || !Array.isArray(g.args) || g.args.length === 0)
                        problems.push(`${where}.generate[${i}].args: must list the go arguments`);
                    if (g?.module !== undefined && g?.dir !== undefined)
                        problems.push(`${where}.generate[${i}]: module or dir, not both`);
                    for (const d of [g?.module, g?.dir])
                        if (d !== undefined && (typeof d !== "string" || d === "" || d.includes("..")))
                            problems.push(
                                `${where}.generate[${i}]: module and dir must be relative folders without ..`,
                            );
                });
        }
    }
    return problems;
}
