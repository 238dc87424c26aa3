/**
 * A fresh clone stands alone: nothing the build, the tests, the tools or the docs use may point at a folder
 * beside the checkout (`../shared`, `$SHARED_DIR`), which a user of the published repository never has.
 * `.ci/run` proves the same by running everything from a copy with nothing beside it (it is the one file that
 * names them: to unset SHARED_DIR).
 */
import * as fs from "fs";
import * as path from "path";
import { filesUnder, repoRoot } from "../support/shared";

const SKIP = new Set(["node_modules", ".git", ".cache", "coverage", "third_party"]);
const TEXT = /\.(ts|js|mjs|json|ya?ml|md|go|mod|sh)$|^run$|^\.gitignore$/;

function textFiles(): string[] {
    return filesUnder(repoRoot, (name) => TEXT.test(name), SKIP).filter(
        (p) => p !== __filename && path.relative(repoRoot, p) !== path.join(".ci", "run"),
    );
}

test("no file of the repository points at ../shared or SHARED_DIR", () => {
    const offenders = textFiles().flatMap((file) =>
        fs
            .readFileSync(file, "utf8")
            .split("\n")
            .map((line, i) => ({ line, n: i + 1 }))
            .filter(({ line }) => /\.\.\/shared\b|SHARED_DIR|shared\/(vendor|reference)\b/.test(line))
            .map(({ n, line }) => `${path.relative(repoRoot, file)}:${n}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
});
