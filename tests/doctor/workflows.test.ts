/**
 * The deployment pipeline (.github/workflows/preview.yml, deploy.yml and drift.yml): valid YAML, accepted by
 * GitHub's own workflow parser (@actions/workflow-parser, ESM-only, run in a child node process), and
 * shaped as README promises. A deliberately broken workflow must be reported by the same parser, so
 * the lint check can fail.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const WF = path.join(ROOT, ".github/workflows");

interface LintResult {
    name: string;
    errors: string[];
    jobs: string[];
}

/**
 * Runs GitHub's workflow parser on each file in a child `node --input-type=module` process. The
 * package imports its JSON schema without an import attribute, which Node 20 refuses; a tiny load hook
 * serves those two JSON files as modules.
 */
function lintWorkflows(files: Array<{ name: string; content: string }>): LintResult[] {
    const script = `
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
import { readFile } from "node:fs/promises";
export async function load(url, context, nextLoad) {
  if (url.endsWith(".json") && url.includes("/@actions/workflow-parser/")) {
    return { format: "module", source: "export default " + (await readFile(new URL(url), "utf8")) + ";", shortCircuit: true };
  }
  return nextLoad(url, context);
}\`));
const { parseWorkflow, NoOperationTraceWriter, convertWorkflowTemplate } = await import("@actions/workflow-parser");
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const f of JSON.parse(input)) {
  const r = parseWorkflow(f, new NoOperationTraceWriter());
  const errors = r.context.errors.getErrors().map((e) => e.message);
  let jobs = [];
  if (r.value) {
    const t = await convertWorkflowTemplate(r.context, r.value);
    for (const e of t.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
    jobs = (t.jobs ?? []).map((j) => j.id?.value);
  }
  out.push({ name: f.name, errors, jobs });
}
process.stdout.write(JSON.stringify(out));
`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
        cwd: ROOT,
        input: JSON.stringify(files),
        encoding: "utf8",
        timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`workflow parser child failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as LintResult[];
}

const names = ["preview.yml", "deploy.yml", "drift.yml"];
const texts: Record<string, string> = {};
const docs: Record<string, any> = {};
let lint: LintResult[];

beforeAll(() => {
    for (const n of names) {
        texts[n] = fs.readFileSync(path.join(WF, n), "utf8");
        docs[n] = YAML.parse(texts[n]);
    }
    lint = lintWorkflows([
        ...names.map((n) => ({ name: n, content: texts[n] })),
        // Broken on purpose: an unknown job key, `with` that is not a mapping, and no runs-on.
        {
            name: "broken.yml",
            content:
                "on: push\njobs:\n  x:\n    runz-on: self-hosted\n    steps:\n      - uses: pulumi/actions@v6\n        with: 3\n",
        },
        // Valid YAML, wrong shape: jobs is a list.
        { name: "broken2.yml", content: "on: pull_request\njobs:\n  - build\n" },
        // Our own preview.yml with one job key misspelt.
        {
            name: "preview-mutated.yml",
            content: fs
                .readFileSync(path.join(WF, "preview.yml"), "utf8")
                .replace(
                    "    runs-on: [self-hosted, linux]\n    strategy:",
                    "    runs-on: [self-hosted, linux]\n    strategie:",
                ),
        },
    ]);
});

describe("workflow files", () => {
    test.each(names)("%s is valid YAML without duplicate keys", (n) => {
        const doc = YAML.parseDocument(texts[n], { uniqueKeys: true });
        expect(doc.errors.map((e) => e.message)).toEqual([]);
        expect(typeof docs[n].jobs).toBe("object");
    });

    test.each(names)("%s passes GitHub's workflow parser with no error", (n) => {
        const r = lint.find((l) => l.name === n)!;
        expect(r.errors).toEqual([]);
        expect(r.jobs.length).toBeGreaterThan(0);
    });

    test("the parser does report broken workflows (the lint can fail)", () => {
        const b = lint.find((l) => l.name === "broken.yml")!;
        expect(b.errors.join("\n")).toMatch(/runz-on/);
        expect(b.errors.join("\n")).toMatch(/Unexpected value '3'|with/);
        const b2 = lint.find((l) => l.name === "broken2.yml")!;
        expect(b2.errors.length).toBeGreaterThan(0);
        const m = lint.find((l) => l.name === "preview-mutated.yml")!;
        expect(m.errors.join("\n")).toMatch(/strategie/);
    });
});

function pulumiStep(job: any): any {
    const steps = (job.steps as any[]).filter(
        (s) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@"),
    );
    expect(steps).toHaveLength(1);
    return steps[0];
}

describe("preview.yml", () => {
    const doc = () => docs["preview.yml"];

    test("runs on pull requests; every job but the rehearsal on self-hosted runners", () => {
        expect(Object.keys(doc().on)).toEqual(["pull_request"]);
        for (const [id, job] of Object.entries<any>(doc().jobs)) {
            if (id === "rehearse") continue;
            expect([id, [].concat(job["runs-on"])]).toEqual([id, expect.arrayContaining(["self-hosted"])]);
        }
    });

    test("rehearses the whole homelab on a GitHub-hosted runner, with no secret and the toolchain cached by its pins", () => {
        const job = doc().jobs.rehearse;
        expect(job["runs-on"]).toBe("ubuntu-latest");
        expect(job.needs).toBeUndefined();
        expect(JSON.stringify(job)).not.toMatch(/secrets\./);
        const runs = (job.steps as any[]).map((s) => s.run).filter(Boolean);
        expect(runs).toEqual(["npm ci", "npm run rehearse"]);
        const cache = (job.steps as any[]).find((s) => s.uses?.startsWith("actions/cache@"));
        expect(cache.with.path).toBe("~/.cache/homelab/toolchain");
        for (const pinned of ["e2e/toolchain/**", "third_party/**", "e2e/talos-node/**"])
            expect(cache.with.key).toContain(pinned);
        const go = (job.steps as any[]).find((s) => s.uses?.startsWith("actions/setup-go@"));
        expect(go.with["go-version"]).toMatch(/^1\.26/);
    });

    test("never runs code from forks on the LAN runner", () => {
        expect(doc().jobs.stacks.if).toMatch(/head\.repo\.full_name == github\.repository/);
        // Every other job depends on it, so it gates them all.
        expect(doc().jobs.test.needs).toBe("stacks");
        expect(doc().jobs.preview.needs).toEqual(["stacks", "test"]);
    });

    test("installs and tests before previewing", () => {
        const runs = (doc().jobs.test.steps as any[]).map((s) => s.run).filter(Boolean);
        expect(runs).toEqual(expect.arrayContaining(["npm ci", "npm test"]));
        expect(runs.indexOf("npm ci")).toBeLessThan(runs.indexOf("npm test"));
    });

    test("previews each stack with the official action and comments on the PR", () => {
        const job = doc().jobs.preview;
        expect(job.strategy.matrix.stack).toBe("${{ fromJSON(needs.stacks.outputs.stacks) }}");
        const step = pulumiStep(job);
        expect(step.uses).toMatch(/^pulumi\/actions@v\d+$/);
        expect(step.with.command).toBe("preview");
        expect(step.with["stack-name"]).toContain("matrix.stack");
        expect(step.with["comment-on-pr"]).toBe(true);
        expect(step.with["github-token"]).toBe("${{ secrets.GITHUB_TOKEN }}");
        expect(doc().permissions["pull-requests"]).toBe("write");
    });
});

describe("deploy.yml", () => {
    const doc = () => docs["deploy.yml"];

    test("runs on pushes to main, one stack at a time, behind a per-stack environment", () => {
        expect(doc().on.push.branches).toEqual(["main"]);
        const job = doc().jobs.up;
        expect([].concat(job["runs-on"])).toContain("self-hosted");
        expect(job.environment.name).toBe("${{ matrix.stack }}");
        expect(job.strategy["max-parallel"]).toBe(1);
        expect(job.concurrency["cancel-in-progress"]).toBe(false);
        const step = pulumiStep(job);
        expect(step.with.command).toBe("up");
        expect(step.with["stack-name"]).toContain("matrix.stack");
    });
});

describe("backend and secrets come from repository secrets", () => {
    test.each([
        ["preview.yml", "preview"],
        ["deploy.yml", "up"],
    ])("%s", (file, jobId) => {
        const job = docs[file].jobs[jobId];
        expect(job.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        expect(job.env.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
        expect(pulumiStep(job).with["cloud-url"]).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
        // No secret value is written into the files themselves.
        expect(texts[file]).not.toMatch(/pul-[0-9a-f]{20,}/);
    });
});

describe("the stack-listing step", () => {
    /** Runs the workflow's own shell snippet in a directory holding the given files. */
    function listStacks(file: string, present: string[]): { status: number | null; output: string; stderr: string } {
        const step = (docs[file].jobs.stacks.steps as any[]).find((s) => s.id === "list");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wf-stacks-"));
        try {
            for (const f of present) fs.writeFileSync(path.join(dir, f), "");
            const out = path.join(dir, "github_output");
            const r = spawnSync("bash", ["-e", "-c", step.run], {
                cwd: dir,
                env: { ...process.env, GITHUB_OUTPUT: out },
                encoding: "utf8",
            });
            return {
                status: r.status,
                output: fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "",
                stderr: r.stderr,
            };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    test.each(names)("%s makes a JSON matrix from the Pulumi.<stack>.yaml files", (file) => {
        const r = listStacks(file, ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "README.md"]);
        expect(r.status).toBe(0);
        const m = /^stacks=(.*)$/m.exec(r.output);
        expect(JSON.parse(m![1])).toEqual(["dev", "prod"]);
    });

    test.each(names)("%s fails clearly when there is no stack file", (file) => {
        const r = listStacks(file, ["Pulumi.yaml"]);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/no Pulumi.<stack>.yaml/);
    });

    test("this repository's own stacks would be picked up", () => {
        const own = fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
        expect(own.length).toBeGreaterThan(0);
        const out = execFileSync("bash", ["-c", "ls Pulumi.*.yaml"], { cwd: ROOT, encoding: "utf8" });
        expect(out.trim().split("\n").sort()).toEqual(own.sort());
    });
});

/** What `pulumi refresh --preview-only --diff` printed for two nodes changed by hand (e2e/scenarios/drift.e2e.ts). */
const DRIFTED_OUTPUT = `Previewing refresh (dev):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:dev::homelab::pulumi:pulumi:Stack::homelab-dev]
        ~ pulumi-nodejs:dynamic/homelab:TalosNodeState: (update)
            [id=w-1-state]
            [urn=urn:pulumi:dev::homelab::homelab:talos:TalosCluster$pulumi-nodejs:dynamic/homelab:TalosNodeState::talos-w-1-state]
            applyMode       : "auto"
          ~ observedDigest  : "sha256:2430bc0ac33e221d23f9598a5695145ae7c8a4ebcae79d525a629bf31e81d67e" => "sha256:91cf69b7937bf25894c3bdbb49392acbe2f3ae2d71e68a9874b3170f76094dda"
            observedTag     : "v1.12.0"
        ~ pulumi-nodejs:dynamic/synology:Tftp: (update)
            [id=tftp]
            [urn=urn:pulumi:dev::homelab::homelab:synology:SynologyPxe$pulumi-nodejs:dynamic/synology:Tftp::nas-tftp]
          ~ actual: {
              ~ root_path: "/volume1/pxe" => "/volume1/elsewhere"
            }
Resources:
    ~ 2 to update
    23 unchanged

error: no changes were expected for refresh but changes were proposed
`;

describe("drift.yml", () => {
    const doc = () => docs["drift.yml"];
    const step = () => (doc().jobs.drift.steps as any[]).find((s) => s.id === "check");

    test("runs daily and by hand, every stack on the LAN runner, never beside a deploy of the same stack", () => {
        expect(Object.keys(doc().on).sort()).toEqual(["schedule", "workflow_dispatch"]);
        expect(doc().on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
        const job = doc().jobs.drift;
        expect([].concat(job["runs-on"])).toContain("self-hosted");
        expect(job.strategy.matrix.stack).toBe("${{ fromJSON(needs.stacks.outputs.stacks) }}");
        expect(job.strategy["fail-fast"]).toBe(false);
        // the same group as deploy.yml's job, so a check never reads a stack an up is changing
        expect(job.concurrency.group).toBe(docs["deploy.yml"].jobs.up.concurrency.group);
        expect(job.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        expect(job.env.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
        expect(job.env.PULUMI_BACKEND_URL).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
        expect(job.env.PULUMI_SKIP_CONFIRMATIONS).toBeUndefined();
    });

    test("checks with a refresh that changes nothing: --preview-only --expect-no-changes, never --yes", () => {
        expect(step().run).toMatch(/pulumi refresh --preview-only --expect-no-changes .*--stack "\$STACK"/);
        const commands = (step().run as string).split("\n").filter((l) => /^\s*pulumi /.test(l));
        expect(commands).toHaveLength(1);
        expect(commands[0]).not.toMatch(/--yes|--skip-preview/);
    });

    /** Runs the check step's own shell with a `pulumi` that prints `output` and exits `code`. */
    function runCheck(output: string, code: number) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wf-drift-"));
        try {
            fs.writeFileSync(path.join(dir, "out.txt"), output);
            fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\ncat "${dir}/out.txt"\nexit ${code}\n`, {
                mode: 0o755,
            });
            const summary = path.join(dir, "summary.md");
            const r = spawnSync("bash", ["-e", "-c", step().run], {
                cwd: dir,
                env: {
                    ...process.env,
                    PATH: `${dir}${path.delimiter}${process.env.PATH}`,
                    STACK: "dev",
                    GITHUB_STEP_SUMMARY: summary,
                },
                encoding: "utf8",
            });
            return {
                status: r.status,
                out: r.stdout,
                err: r.stderr,
                summary: fs.existsSync(summary) ? fs.readFileSync(summary, "utf8") : "",
            };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    test("drift: the job fails, naming each drifted resource (annotation, summary, log)", () => {
        const r = runCheck(DRIFTED_OUTPUT, 255);
        expect(r.status).toBe(255);
        expect(
            r.out
                .split("\n")
                .filter((l) => l.startsWith("::error"))
                .sort(),
        ).toEqual([
            "::error title=drift in dev::nas-tftp (pulumi-nodejs:dynamic/synology:Tftp) is not what the last up left",
            "::error title=drift in dev::talos-w-1-state (pulumi-nodejs:dynamic/homelab:TalosNodeState) is not what the last up left",
        ]);
        expect(r.summary).toContain("### Drift in stack dev");
        expect(r.summary).toContain("- pulumi-nodejs:dynamic/homelab:TalosNodeState talos-w-1-state");
        expect(r.err).toMatch(/drifted in dev: talos-w-1-state,nas-tftp\. Run the deploy/);
    });

    test("no drift: the job passes and names nothing; another failure says so without naming resources", () => {
        const clean = runCheck("Previewing refresh (dev):\nResources:\n    25 unchanged\n", 0);
        expect({ status: clean.status, errors: clean.out.includes("::error"), summary: clean.summary }).toEqual({
            status: 0,
            errors: false,
            summary: "",
        });
        const broken = runCheck("error: failed to decrypt: incorrect passphrase\n", 255);
        expect(broken.status).toBe(255);
        expect(broken.out).toContain("::error title=drift check failed in dev::pulumi refresh exited 255");
    });
});
