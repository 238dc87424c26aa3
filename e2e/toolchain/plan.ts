/**
 * The real-engine toolchain as a plan (pure): which Go builds to run, from where, with which flags, and
 * under which cache key. `build.ts` runs the plan; tests/e2e/toolchain-plan.test.ts checks it.
 *
 * A piece is cached in `<cacheRoot>/<name>-<version>-<key>/` where `key` hashes everything that decides its
 * bytes: the pin from versions.json, the Go version, and the files it builds from (the wrapper's go.mod/go.sum,
 * every file of a third_party folder, or every Go source file of a project module).
 * Change a pin and only that piece is rebuilt; Go's own module and build caches make even that quick.
 */
import { createHash } from "crypto";
import * as path from "path";

/** One entry of versions.json. */
export interface ToolPin {
    version: string;
    /**
     * `wrapper`: a Go module of ours in e2e/toolchain/<dir>; `third_party`: upstream source the Go module proxy
     * does not serve, committed in <repo>/third_party/<dir> (see its ORIGIN); `project`: <repo>/<dir>.
     */
    from: "wrapper" | "third_party" | "project";
    dir: string;
    /** Go package to build, relative to the module (`.`, `./cmd/x`) or a full import path. */
    package: string;
    tags?: string[];
    /** `{version}` is replaced by the pin's version. */
    ldflags: string;
    binaries: string[];
    /** Installed into PULUMI_HOME with `pulumi plugin install <kind> <name> <version> --file`. */
    plugin?: { kind: "resource"; name: string };
}

export type Versions = Record<string, ToolPin>;

/** Where things are. */
export interface Layout {
    repoRoot: string;
    /** The cache root (default ~/.cache/homelab/toolchain). */
    cacheRoot: string;
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

/**
 * Files whose bytes decide the build (relative to the source folder), for the cache key: a wrapper's module
 * files; every file of a third_party folder (sources, embedded files, ORIGIN); every Go source of a project module.
 */
export function keyFiles(pin: ToolPin): string[] | "all-files" | "all-go-sources" {
    switch (pin.from) {
        case "wrapper":
            return ["go.mod", "go.sum"];
        case "third_party":
            return "all-files";
        case "project":
            return "all-go-sources";
    }
}

/** The cache key of a piece: sha256 over the pin, the Go version and the key files' contents (12 hex digits). */
export function cacheKey(
    name: string,
    pin: ToolPin,
    goVersion: string,
    files: ReadonlyArray<{ path: string; bytes: Buffer | string }>,
): string {
    const h = createHash("sha256");
    h.update(JSON.stringify({ name, pin, goVersion, flags: GO_BUILD_FLAGS }));
    for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
        h.update(`\0${f.path}\0`);
        h.update(f.bytes);
    }
    return h.digest("hex").slice(0, 12);
}

/**
 * Flags of every build: no file paths in the binary (-trimpath), and no VCS stamp (-buildvcs=false): third_party
 * source lives in this repository's git tree, and a stamp of its commit would make every commit build other bytes.
 */
export const GO_BUILD_FLAGS: readonly string[] = ["-trimpath", "-buildvcs=false"];

/** The `go build` arguments of a pin. */
export function goBuildArgs(pin: ToolPin, outDir: string): string[] {
    const args = ["build", ...GO_BUILD_FLAGS];
    if (pin.tags && pin.tags.length > 0) args.push("-tags", pin.tags.join(","));
    const ldflags = pin.ldflags.split("{version}").join(pin.version);
    if (ldflags) args.push("-ldflags", ldflags);
    args.push("-o", outDir + path.sep, pin.package);
    return args;
}

/** The environment every build runs with (on top of the caller's): offline-reproducible Go settings. */
export const GO_BUILD_ENV: Readonly<Record<string, string>> = {
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
    // The third_party folders' go.sum are complete; never let go rewrite module files (the checkout may be read-only).
    GOFLAGS: "-mod=readonly",
};

/** The build steps, in versions.json order. `keys` gives each piece's cache key (see {@link cacheKey}). */
export function planBuild(versions: Versions, layout: Layout, keys: Readonly<Record<string, string>>): BuildStep[] {
    return Object.entries(versions)
        .filter(([name]) => !name.startsWith("$"))
        .map(([name, pin]) => {
            const key = keys[name];
            if (!key) throw new Error(`toolchain: no cache key for ${name}`);
            const outDir = path.join(layout.cacheRoot, `${name}-${pin.version}-${key}`);
            const cwd = sourceDir(pin, layout);
            return {
                name,
                version: pin.version,
                cwd,
                args: goBuildArgs(pin, outDir),
                env: { ...GO_BUILD_ENV },
                outDir,
                binaries: pin.binaries,
                key,
                describe: `${name} ${pin.version} (go build ${pin.package} in ${cwd})`,
                ...(pin.plugin ? { plugin: pin.plugin } : {}),
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
        if (p.from !== "wrapper" && p.from !== "third_party" && p.from !== "project")
            problems.push(`${where}.from: must be wrapper, third_party or project`);
        if (typeof p.dir !== "string" || p.dir === "" || p.dir.includes(".."))
            problems.push(`${where}.dir: must be a relative folder without ..`);
        if (typeof p.package !== "string" || p.package === "")
            problems.push(`${where}.package: must name the Go package to build`);
        if (typeof p.ldflags !== "string") problems.push(`${where}.ldflags: must be a string (may be empty)`);
        if (!Array.isArray(p.binaries) || p.binaries.length === 0)
            problems.push(`${where}.binaries: must list the binaries the build writes`);
    }
    return problems;
}
