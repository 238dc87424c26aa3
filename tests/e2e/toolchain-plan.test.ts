/**
 * The end-to-end toolchain's plan (e2e/toolchain/plan.ts): pins, cache keys and build commands, without
 * building anything. The builds themselves run in `npm run toolchain` / `npm run e2e`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { computeKeys } from "../../e2e/toolchain/build";
import {
    piecesFor,
    binDirFor,
    cacheKey,
    goBuildArgs,
    inTempDir,
    keySources,
    pinPackages,
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
    role: "engine",
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

    test("pins the Kubernetes provider plugin at package.json's @pulumi/kubernetes (the engine warns on a mismatch)", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
        };
        expect(versions["pulumi-resource-kubernetes"].version).toBe(pkg.dependencies["@pulumi/kubernetes"]);
        expect(versions["pulumi-resource-kubernetes"].plugin).toEqual({ kind: "resource", name: "kubernetes" });
        // The committed source is that version's, and its generated schema is not committed (the build makes it).
        const top = path.join(repoRoot, "third_party", versions["pulumi-resource-kubernetes"].dir.split("/")[0]);
        expect(path.basename(top)).toBe(`pulumi-kubernetes-${versions["pulumi-resource-kubernetes"].version}`);
        const cmd = path.join(
            repoRoot,
            "third_party",
            versions["pulumi-resource-kubernetes"].dir,
            "cmd",
            "pulumi-resource-kubernetes",
        );
        expect(
            ["schema.json", "schema-embed.json", "terraform-mapping-embed.json"].filter((f) =>
                fs.existsSync(path.join(cmd, f)),
            ),
        ).toEqual([]);
    });

    test("builds kube-apiserver, kube-controller-manager and kube-scheduler in one go build, stamped like Kubernetes' own", () => {
        const k = versions.kubernetes;
        expect(k.from).toBe("wrapper");
        expect(pinPackages(k)).toEqual([
            "k8s.io/kubernetes/cmd/kube-apiserver",
            "k8s.io/kubernetes/cmd/kube-controller-manager",
            "k8s.io/kubernetes/cmd/kube-scheduler",
        ]);
        // go build -o <dir>/ names each binary after its package's last element.
        expect(k.binaries).toEqual(pinPackages(k).map((p) => p.split("/").pop()));
        const [, major, minor] = /^v(\d+)\.(\d+)\.\d+$/.exec(k.version) ?? [];
        const ldflags = goBuildArgs(k, "/out")[goBuildArgs(k, "/out").indexOf("-ldflags") + 1];
        for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
            expect(ldflags).toContain(`-X ${pkg}.gitVersion=${k.version} `);
            expect(ldflags).toContain(`-X ${pkg}.gitMajor=${major} `);
            expect(ldflags).toContain(`-X ${pkg}.gitMinor=${minor} `);
            expect(ldflags).toContain(`-X ${pkg}.gitTreeState=clean `);
        }
    });

    test("the Kubernetes wrapper replaces every staging module with its release of the same Kubernetes version", () => {
        const k = versions.kubernetes;
        const gomod = fs.readFileSync(path.join(repoRoot, "e2e", "toolchain", k.dir, "go.mod"), "utf8");
        const staging = k.version.replace(/^v1\./, "v0.");
        const replaces = [...gomod.matchAll(/^\s*(k8s\.io\/[\w-]+) => (k8s\.io\/[\w-]+) (\S+)$/gm)];
        expect(replaces).toHaveLength(31);
        for (const [, from, to, version] of replaces)
            expect({ from, to, version }).toEqual({ from, to: from, version: staging });
        expect(gomod).toMatch(new RegExp(`^\\s*k8s\\.io/kubernetes ${k.version.replace(/\./g, "\\.")}\\b`, "m"));
    });

    test("etcd and kwok come from one wrapper module of their own (they need k8s.io/* of another release)", () => {
        expect(versions.etcd.dir).toBe(versions.kwok.dir);
        expect(versions.etcd.dir).not.toBe(versions.kubernetes.dir);
        const gomod = fs.readFileSync(path.join(repoRoot, "e2e", "toolchain", versions.etcd.dir, "go.mod"), "utf8");
        expect(gomod).toMatch(
            new RegExp(`go\\.etcd\\.io/etcd/server/v3 ${versions.etcd.version.replace(/\./g, "\\.")}\\b`),
        );
        expect(gomod).toMatch(new RegExp(`sigs\\.k8s\\.io/kwok ${versions.kwok.version.replace(/\./g, "\\.")}\\b`));
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
            "versions.json a.role: must be engine, stand-in, tool",
            "versions.json a.from: must be wrapper, third_party or project",
            "versions.json a.dir: must be a relative folder without ..",
            "versions.json a.package: must name the Go package to build (or packages: a list of them, not both)",
            "versions.json a.ldflags: must be a string (may be empty)",
            "versions.json a.binaries: must list the binaries the build writes",
        ]);
    });

    test.each([
        ["package and packages", { package: "a", packages: ["b"] }, [".package: must name"]],
        ["neither", { package: undefined }, [".package: must name"]],
        ["an empty packages list", { package: undefined, packages: [] }, [".package: must name"]],
        ["an empty package in the list", { package: undefined, packages: ["a", ""] }, [".package: must name"]],
        ["several packages", { package: undefined, packages: ["a", "b"] }, []],
        ["generate on a wrapper", { generate: [{ args: ["run", "."] }] }, [".generate: only third_party"]],
        ["an empty generate list", { from: "third_party", generate: [] }, [".generate: must be a non-empty list"]],
        [
            "a generate command without args",
            { from: "third_party", generate: [{ module: "g", args: [] }] },
            [".generate[0].args"],
        ],
        [
            "module and dir",
            { from: "third_party", generate: [{ module: "g", dir: "d", args: ["x"] }] },
            [".generate[0]: module or dir"],
        ],
        [
            "a dir leaving the copy",
            { from: "third_party", generate: [{ dir: "../d", args: ["x"] }] },
            [".generate[0]: module and dir must"],
        ],
        [
            "a good generate list",
            {
                from: "third_party",
                generate: [
                    { module: "g", args: ["run", "."] },
                    { dir: "cmd/x", args: ["run", "generate.go"] },
                ],
            },
            [],
        ],
    ])("pin with %s", (_what, change, expected) => {
        const problems = versionsProblems({ a: { ...pin, ...change } });
        expect(problems).toHaveLength(expected.length);
        expected.forEach((e, i) => expect(problems[i]).toContain(`versions.json a${e}`));
    });
});

describe("roles: what a run needs built", () => {
    test("a user's own CLI needs no engine piece: the stand-ins and talosctl are built, not the CLI or the plugins", () => {
        const standIns = Object.keys(piecesFor(versions, ["stand-in", "tool"])).filter((n) => !n.startsWith("$"));
        expect(standIns.sort()).toEqual(["etcd", "kubernetes", "kwok", "talos-node", "talosctl"]);
        const engine = Object.keys(piecesFor(versions, ["engine"])).filter((n) => !n.startsWith("$"));
        expect(engine.sort()).toEqual([
            "pulumi",
            "pulumi-language-nodejs",
            "pulumi-resource-command",
            "pulumi-resource-kubernetes",
            "pulumi-resource-talos",
        ]);
        expect(Object.keys(piecesFor(versions))).toEqual(Object.keys(versions));
    });

    test("the role is not part of the cache key (it says who needs a piece, not what its bytes are)", () => {
        const files = [{ path: "go.mod", bytes: "module x" }];
        expect(cacheKey("x", { ...pin, role: "tool" }, "go1.26.8", files)).toBe(cacheKey("x", pin, "go1.26.8", files));
    });
});

describe("cache keys", () => {
    const files = [
        { path: "go.mod", bytes: "module x" },
        { path: "go.sum", bytes: "sum" },
    ];

    test("change with the pin, the Go version, the build env and the module files, not with the order files are read in", () => {
        const k = cacheKey("x", pin, "go1.26.8", files);
        expect(k).toMatch(/^[0-9a-f]{12}$/);
        expect(cacheKey("x", pin, "go1.26.8", [...files].reverse())).toBe(k);
        expect(cacheKey("x", { ...pin, version: "v1.0.1" }, "go1.26.8", files)).not.toBe(k);
        expect(cacheKey("x", pin, "go1.26.9", files)).not.toBe(k);
        expect(cacheKey("x", pin, "go1.26.8", files, { GOFLAGS: "-mod=readonly" })).not.toBe(k);
        expect(cacheKey("x", pin, "go1.26.8", [files[0], { path: "go.sum", bytes: "sum2" }])).not.toBe(k);
    });
});

describe("build steps", () => {
    test("go build with -trimpath, tags, the version in ldflags, and the cache folder as output", () => {
        expect(goBuildArgs({ ...pin, tags: ["grpcnotrace"] }, "/out")).toEqual([
            "build",
            "-trimpath",
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

    test("several packages go to one go build -o <dir>/, in the pinned order", () => {
        const several = { ...pin, package: undefined, packages: ["k8s.io/k/cmd/a", "k8s.io/k/cmd/b", "./cmd/c"] };
        expect(goBuildArgs(several, "/out").slice(-5)).toEqual([
            "-o",
            "/out/",
            "k8s.io/k/cmd/a",
            "k8s.io/k/cmd/b",
            "./cmd/c",
        ]);
        expect(planBuild({ k: several }, layout, { k: "kkk" })[0].describe).toBe(
            "k v1.0.0 (go build k8s.io/k/cmd/a k8s.io/k/cmd/b ./cmd/c in /repo/e2e/toolchain/x)",
        );
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
        expect(steps[0].env).toEqual({
            GOTOOLCHAIN: "local",
            CGO_ENABLED: "0",
            GOFLAGS: "-mod=readonly -buildvcs=false",
        });
        expect(steps.map((s) => [s.copy, s.generate])).toEqual([
            [undefined, []],
            [undefined, []],
        ]);
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

describe("pieces that generate files first (the Kubernetes provider's schema)", () => {
    const provider: ToolPin = {
        version: "4.32.0",
        role: "engine",
        from: "third_party",
        dir: "pk-4.32.0/provider",
        package: "./cmd/p",
        ldflags: "-X v={version}",
        binaries: ["p"],
        generate: [
            { module: "schema-gen", args: ["run", ".", "-out", "{build}/cmd/p/schema.json"] },
            { dir: "cmd/p", args: ["run", "generate.go"], env: { VERSION: "{version}" } },
        ],
    };
    const env = { GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-mod=readonly -buildvcs=false" };

    test("build from a copy of the third_party folder inside the piece's cache folder, generators first", () => {
        const [step] = planBuild({ p: provider }, layout, { p: "ppp" });
        const copy = "/cache/p-4.32.0-ppp/.build/pk-4.32.0";
        expect(step.copy).toEqual({ from: "/repo/third_party/pk-4.32.0", to: copy });
        expect(step.cwd).toBe(`${copy}/provider`);
        expect(step.generate).toEqual([
            {
                cwd: "/repo/e2e/toolchain/schema-gen",
                args: ["run", ".", "-out", `${copy}/provider/cmd/p/schema.json`],
                env,
            },
            { cwd: `${copy}/provider/cmd/p`, args: ["run", "generate.go"], env: { ...env, VERSION: "4.32.0" } },
        ]);
        expect(step.args).toEqual([
            "build",
            "-trimpath",
            "-ldflags",
            "-X v=4.32.0",
            "-o",
            "/cache/p-4.32.0-ppp/",
            "./cmd/p",
        ]);
    });

    test("aimed at a temporary folder, every path inside the piece's folder moves with it, the checkout's do not", () => {
        const [step] = planBuild({ p: provider }, layout, { p: "ppp" });
        const tmp = inTempDir(step, ".tmp-42");
        const copy = "/cache/p-4.32.0-ppp.tmp-42/.build/pk-4.32.0";
        expect(tmp.outDir).toBe("/cache/p-4.32.0-ppp.tmp-42");
        expect(tmp.copy).toEqual({ from: "/repo/third_party/pk-4.32.0", to: copy });
        expect(tmp.cwd).toBe(`${copy}/provider`);
        expect(tmp.args).toContain("/cache/p-4.32.0-ppp.tmp-42/");
        expect(tmp.generate.map((g) => [g.cwd, g.args.at(-1)])).toEqual([
            ["/repo/e2e/toolchain/schema-gen", `${copy}/provider/cmd/p/schema.json`],
            [`${copy}/provider/cmd/p`, "generate.go"],
        ]);
        // The step itself is unchanged (pure); a step without generate moves only its output.
        expect(step.outDir).toBe("/cache/p-4.32.0-ppp");
        const [plain] = planBuild({ cli: pin }, layout, { cli: "aaa" });
        const plainTmp = inTempDir(plain, ".tmp-1");
        expect([plainTmp.cwd, plainTmp.args.at(-2), plainTmp.copy]).toEqual([
            "/repo/e2e/toolchain/x",
            "/cache/cli-v1.0.0-aaa.tmp-1/",
            undefined,
        ]);
    });

    test("the cache key covers the whole third_party folder and every Go source of the generator module", () => {
        expect(keySources(provider, layout)).toEqual([
            { dir: "/repo/third_party/pk-4.32.0", files: "all-files", label: "" },
            { dir: "/repo/e2e/toolchain/schema-gen", files: "all-go-sources", label: "e2e/toolchain/schema-gen/" },
        ]);
        expect(keySources(pin, layout)).toEqual([{ dir: "/repo/e2e/toolchain/x", files: "all-go-sources", label: "" }]);
    });

    test("the key changes with a generator source or any third_party file, not with a generator's test", () => {
        const repo = fs.mkdtempSync(path.join(os.tmpdir(), "toolchain-keys-"));
        try {
            const write = (rel: string, text: string) => {
                fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
                fs.writeFileSync(path.join(repo, rel), text);
            };
            write("third_party/pk-4.32.0/provider/go.mod", "module p");
            write("third_party/pk-4.32.0/provider/cmd/p/terraform-mapping.json", "{}");
            write("third_party/pk-4.32.0/ORIGIN", "v4.32.0");
            write("e2e/toolchain/schema-gen/go.mod", "module g");
            write("e2e/toolchain/schema-gen/main.go", "package main");
            write("e2e/toolchain/x/go.mod", "module x");
            const pins = { p: provider, cli: pin };
            const at = { repoRoot: repo, cacheRoot: "/cache" };
            const before = computeKeys(pins, at, "go1.26.8");
            const after = (rel: string, text: string) => {
                const old = fs.readFileSync(path.join(repo, rel), "utf8");
                write(rel, text);
                const keys = computeKeys(pins, at, "go1.26.8");
                write(rel, old);
                return keys;
            };
            expect(after("e2e/toolchain/schema-gen/main.go", "package main // changed").p).not.toBe(before.p);
            expect(after("third_party/pk-4.32.0/provider/cmd/p/terraform-mapping.json", "[]").p).not.toBe(before.p);
            expect(after("third_party/pk-4.32.0/ORIGIN", "v4.32.0, edited").p).not.toBe(before.p);
            write("e2e/toolchain/schema-gen/main_test.go", "package main");
            expect(computeKeys(pins, at, "go1.26.8")).toEqual(before);
            // A wrapper's key: its module files and Go sources (a main of ours changes it).
            write("e2e/toolchain/x/cmd/x/main.go", "package main");
            expect(computeKeys(pins, at, "go1.26.8").cli).not.toBe(before.cli);
        } finally {
            fs.rmSync(repo, { recursive: true, force: true });
        }
    });
});
