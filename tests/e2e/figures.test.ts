/**
 * The e2e run's figures (e2e/support/figures.ts): scenarios in two jest workers record into files of their own,
 * and the run's line holds what every worker recorded.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readRunFigures, recordFigures } from "../../e2e/support/figures";

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "figures-test-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("each worker writes its own file, and the run reads them all", () => {
    const file = path.join(dir, "figures.json");
    fs.writeFileSync(file, JSON.stringify({ toolchainSeconds: 0.1 }));
    recordFigures({ applies: 5 }, file, "1");
    recordFigures({ stateBytes: 213399 }, file, "2");
    recordFigures({ csiPodsReady: 6 }, file, "1");
    expect(fs.readdirSync(dir).sort()).toEqual(["figures.json", "figures.json.1", "figures.json.2"]);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ toolchainSeconds: 0.1 });
    expect(readRunFigures(file)).toEqual({ toolchainSeconds: 0.1, applies: 5, csiPodsReady: 6, stateBytes: 213399 });
});

test("outside a worker the one file is written, and no file set records nothing", () => {
    const file = path.join(dir, "figures.json");
    recordFigures({ nodes: 1 }, file, null);
    recordFigures({ nodes: 3 }, undefined, "1");
    expect(fs.readdirSync(dir)).toEqual(["figures.json"]);
    expect(readRunFigures(file)).toEqual({ nodes: 1 });
});

test("files that only look alike are not read", () => {
    const file = path.join(dir, "figures.json");
    fs.writeFileSync(`${file}.bak`, JSON.stringify({ stale: true }));
    fs.writeFileSync(path.join(dir, "other.json.1"), JSON.stringify({ other: true }));
    recordFigures({ applies: 1 }, file, "2");
    expect(readRunFigures(file)).toEqual({ applies: 1 });
});
