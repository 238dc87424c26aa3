/**
 * The end-to-end toolchain's plan (e2e/toolchain/plan.ts): pins, cache keys and build commands, without
 * building anything. The builds themselves run in `npm run toolchain` / `npm run e2e`.
 */
import * as fs from "fs";
import * as path from "path";
import {
    binDirFor,
    cacheKey,
    goBuildArgs,
    planBuild,
    ToolPin,
    Versions,
    versionsProblems,
} from "../../e2e/toolchain/plan";
import { TALOS_PROVIDER_VERSION } from "../../components/talos/sdk";
import { repoRoot } from "../support/shared";

const versions = JSON.parse(
    fs.readFileSync(path.join(repoRoot, "e2e", "toolchain", "versions.json"), "utf8"),
) as Versions;
const layout = { repoRoot: "/repo", cacheRoot: "/cache" };
const pin: ToolPin = {
    version: "v1.0.0",
    from: "wrapper",
    dir: "x",
    package: "example.com/x/cmd/x",
    ldflags: "-X v={version}",
    binaries: ["x"],
};

describe("versions.json", () => {
    test("is well formed", () => {
        expect(versionsProblems(versions)).toEqual([]);
    });

    test("pins the plugins the program binds: the Talos provider and the command provider of package.json", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
        };
        expect(versions["pulumi-resource-talos"].version).toBe(TALOS_PROVIDER_VERSION);
        expect(versions["pulumi-resource-command"].version).toBe(pkg.dependencies["@pulumi/command"]);
        expect(versions["pulumi-resource-talos"].plugin).toEqual({ kind: "resource", name: "talos" });
        expect(versions["pulumi-resource-command"].plugin).toEqual({ kind: "resource", name: "command" });
    });

    test("every wrapper module it names has a committed go.mod and go.sum", () => {
        for (const [name, p] of Object.entries(versions).filter(([, p]) => p.from === "wrapper")) {
            for (const f of ["go.mod", "go.sum"]) {
                expect({ name, f, exists: fs.existsSync(path.join(repoRoot, "e2e", "toolchain", p.dir, f)) }).toEqual({
                    name,
                    f,
                    exists: true,
                });
            }
            // The wrapper requires the pinned module at the pinned version.
            const gomod = fs.readFileSync(path.join(repoRoot, "e2e", "toolchain", p.dir, "go.mod"), "utf8");
            expect(gomod).toContain(` ${p.version}`);
        }
    });

    test("every third_party piece is committed with its licence and an ORIGIN naming its version", () => {
        const pieces = Object.entries(versions).filter(([, p]) => p.from === "third_party");
        expect(pieces.length).toBeGreaterThan(0);
        for (const [name, p] of pieces) {
            const top = path.join(repoRoot, "third_party", p.dir.split("/")[0]);
            const origin = fs.readFileSync(path.join(top, "ORIGIN"), "utf8");
            expect({ name, namesVersion: origin.includes(p.version.replace(/^v/, "")) }).toEqual({
                name,
                namesVersion: true,
            });
            expect({ name, module: fs.existsSync(path.join(repoRoot, "third_party", p.dir, "go.mod")) }).toEqual({
                name,
                module: true,
            });
            const licences = fs.readdirSync(top, { recursive: true }).filter((f) => /(^|\/)LICENSE$/.test(String(f)));
            expect({ name, licences: licences.length > 0 }).toEqual({ name, licences: true });
        }
    });

    test("bad pins are reported, each naming the piece and the field", () => {
        expect(versionsProblems([])).toEqual(["versions.json must be an object of pins"]);
        expect(
            versionsProblems({ a: { version: "", from: "git", dir: "../x", package: "", ldflags: 1, binaries: [] } }),
        ).toEqual([
            "versions.json a.version: must be a non-empty string",
            "versions.json a.from: must be wrapper, third_party or project",
            "versions.json a.dir: must be a relative folder without ..",
            "versions.json a.package: must name the Go package to build",
            "versions.json a.ldflags: must be a string (may be empty)",
            "versions.json a.binaries: must list the binaries the build writes",
        ]);
    });
});

describe("cache keys", () => {
    const files = [
        { path: "go.mod", bytes: "module x" },
        { path: "go.sum", bytes: "sum" },
    ];

    test("change with the pin, the Go version and the module files, not with the order files are read in", () => {
        const k = cacheKey("x", pin, "go1.26.8", files);
        expect(k).toMatch(/^[0-9a-f]{12}$/);
        expect(cacheKey("x", pin, "go1.26.8", [...files].reverse())).toBe(k);
        expect(cacheKey("x", { ...pin, version: "v1.0.1" }, "go1.26.8", files)).not.toBe(k);
        expect(cacheKey("x", pin, "go1.26.9", files)).not.toBe(k);
        expect(cacheKey("x", pin, "go1.26.8", [files[0], { path: "go.sum", bytes: "sum2" }])).not.toBe(k);
    });
});

describe("build steps", () => {
    test("go build with -trimpath and no VCS stamp, tags, the version in ldflags, and the cache folder as output", () => {
        expect(goBuildArgs({ ...pin, tags: ["grpcnotrace"] }, "/out")).toEqual([
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-tags",
            "grpcnotrace",
            "-ldflags",
            "-X v=v1.0.0",
            "-o",
            "/out/",
            "example.com/x/cmd/x",
        ]);
        expect(goBuildArgs({ ...pin, ldflags: "" }, "/out")).not.toContain("-ldflags");
    });

    test("each piece builds from its own folder into <cache>/<name>-<version>-<key>, offline-safe env", () => {
        const steps = planBuild(
            { cli: pin, host: { ...pin, from: "third_party", dir: "v/host", package: "." } },
            layout,
            {
                cli: "aaa",
                host: "bbb",
            },
        );
        expect(steps.map((s) => [s.cwd, s.outDir])).toEqual([
            ["/repo/e2e/toolchain/x", "/cache/cli-v1.0.0-aaa"],
            ["/repo/third_party/v/host", "/cache/host-v1.0.0-bbb"],
        ]);
        expect(steps[0].env).toEqual({ GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" });
        expect(steps[1].describe).toBe("host v1.0.0 (go build . in /repo/third_party/v/host)");
        expect(() => planBuild({ cli: pin }, layout, {})).toThrow(/no cache key for cli/);
    });

    test("the bin folder changes when any piece's key does", () => {
        const a = planBuild({ cli: pin }, layout, { cli: "aaa" });
        const b = planBuild({ cli: pin }, layout, { cli: "bbb" });
        expect(binDirFor(layout, a)).not.toBe(binDirFor(layout, b));
        expect(binDirFor(layout, a)).toBe(binDirFor(layout, planBuild({ cli: pin }, layout, { cli: "aaa" })));
    });
});
