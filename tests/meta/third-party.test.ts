/**
 * Third-party source the project builds from carries its licence and its origin: every folder with an ORIGIN file
 * (third_party/, and the copies the stand-ins compile, e.g. Talos' bootstrap templates and kwok's stages) holds
 * the upstream licence beside it or in its module folders, and the ORIGIN names the upstream tag and commit.
 */
import * as fs from "fs";
import * as path from "path";
import { filesUnder, repoRoot } from "../support/shared";

const SKIP = new Set(["node_modules", ".git", ".cache", "coverage"]);

const origins = filesUnder(repoRoot, (name) => name === "ORIGIN", SKIP).map((f) => path.dirname(f));

test("each copy of third-party source says where it came from", () => {
    const named = origins.map((d) => path.relative(repoRoot, d)).sort();
    // The copies the build compiles: a folder without its ORIGIN would not be listed at all.
    for (const d of fs.readdirSync(path.join(repoRoot, "third_party"))) expect(named).toContain(`third_party/${d}`);
    expect(named).toEqual(
        expect.arrayContaining([
            "e2e/talos-node/internal/kwok/stages",
            "e2e/talos-node/internal/talosk8s/k8stemplates",
        ]),
    );
});

test.each(origins.map((d) => [path.relative(repoRoot, d), d]))("%s carries its upstream licence", (_name, dir) => {
    expect(filesUnder(dir, (name) => /^LICEN[CS]E/.test(name), SKIP).length).toBeGreaterThan(0);
    // A tag or version and a commit (or a pinned digest): the copy can be compared with upstream.
    const origin = fs.readFileSync(path.join(dir, "ORIGIN"), "utf8");
    expect(origin).toMatch(/\bv?\d+\.\d+\.\d+\b/);
    expect(origin).toMatch(/\b[0-9a-f]{12,64}\b/);
});
