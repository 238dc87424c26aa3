/**
 * What every command that reads a stack shares (components/cli/stack.ts):
 * - --stack (or --config-file) is required, said beside the command's own problems;
 * - a stack command's main: the arguments (usage and exit 2 when they are wrong, exit 0 for --help), then the
 *   stack's config announced as `<command>: stack <name> (config from <source>)` with its notes, or exit 2 naming
 *   what is wrong with it, before the command's own run, whose result is the exit code.
 * Reading the config itself (pulumi CLI, stack file, secrets from the environment) is in tests/doctor/cli.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { readFlags, valueFlag } from "../../components/cli/command";
import { StackConfig } from "../../components/config";
import { STACK_FLAGS, stackCommand, stackOptions, StackOptions } from "../../components/cli/stack";
import { loopbackStackValues } from "../support/fixtures";

const USAGE = "usage: test-command --stack <name>";
const TABLE = {
    ...STACK_FLAGS,
    "--mac": valueFlag("<mac>", "client MAC"),
};

describe("the stack flags", () => {
    test("--stack or --config-file is required: the problem joins the command's own", () => {
        const problems: string[] = [];
        stackOptions(readFlags([], TABLE, USAGE), "/w", problems);
        expect(problems).toEqual(["--stack is required"]);
        const fine: string[] = [];
        expect(stackOptions(readFlags(["--config-file", "P.yaml"], TABLE, USAGE), "/w", fine)).toEqual({
            stack: "",
            cwd: "/w",
            configFile: "P.yaml",
            usePulumi: true,
            otp: undefined,
        });
        expect(fine).toEqual([]);
    });

    test("--no-pulumi and --otp reach the options", () => {
        const o = stackOptions(readFlags(["--stack", "dev", "--no-pulumi", "--otp", "123456"], TABLE, USAGE), "/w", []);
        expect(o).toMatchObject({ stack: "dev", usePulumi: false, otp: "123456" });
    });
});

describe("a stack command's main", () => {
    let dir: string;
    let lines: string[];
    let ran: { o: StackOptions; cfg: StackConfig }[];
    const out = (l: string) => lines.push(l);
    const parseArgs = (argv: string[]): StackOptions => {
        const problems: string[] = [];
        const o = stackOptions(readFlags(argv, TABLE, USAGE), dir, problems);
        if (problems.length > 0) throw new Error(`${problems.join("; ")}\n\n${USAGE}`);
        return o;
    };
    const main = stackCommand("test-command", parseArgs, (o, cfg, say) => {
        ran.push({ o, cfg });
        say("test-command: ran");
        return Promise.resolve(1);
    });
    const writeStack = (config: Record<string, unknown>) =>
        fs.writeFileSync(path.join(dir, "Pulumi.lab.yaml"), YAML.stringify({ config }));

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-cli-"));
        lines = [];
        ran = [];
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("a good stack: announced with where its config came from, parsed, run; the run's result is the exit code", async () => {
        const values = loopbackStackValues("http://127.0.0.1:5000", "http://127.0.0.1:8080");
        writeStack(Object.fromEntries(Object.entries(values).map(([k, v]) => [`homelab:${k}`, v])));
        expect(await main(["--stack", "lab", "--no-pulumi"], out, { DSM_PASSWORD: "pw" })).toBe(1);
        expect(lines).toEqual(["test-command: stack lab (config from Pulumi.lab.yaml)", "test-command: ran"]);
        expect(ran).toHaveLength(1);
        expect(ran[0].o.stack).toBe("lab");
        expect(ran[0].cfg.synologyPassword).toBe("pw");
    });

    test("bad arguments: the message with the usage, exit 2; --help: the usage alone, exit 0; never run", async () => {
        expect(await main([], out, {})).toBe(2);
        expect(lines).toEqual([`--stack is required\n\n${USAGE}`]);
        lines = [];
        expect(await main(["--help"], out, {})).toBe(0);
        expect(lines).toEqual([USAGE]);
        expect(ran).toEqual([]);
    });

    test("no stack file: exit 2, named after the command, saying how to create the stack; never run", async () => {
        expect(await main(["--stack", "nope", "--no-pulumi"], out, {})).toBe(2);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^test-command: no stack file .*Pulumi\.nope\.yaml: create the stack with/);
        expect(ran).toEqual([]);
    });

    test("a config with problems: the notes, then every problem (not prefixed), exit 2; never run", async () => {
        writeStack({ "homelab:synologyPassword": { secure: "v1:AAAA" }, "homelab:dhcp": { subnet: "x" } });
        expect(await main(["--stack", "lab", "--no-pulumi"], out, {})).toBe(2);
        expect(lines[0]).toBe("test-command: stack lab (config from Pulumi.lab.yaml)");
        expect(lines[1]).toMatch(/^note: homelab:synologyPassword is encrypted in Pulumi.lab.yaml: set DSM_PASSWORD/);
        expect(lines[2]).not.toMatch(/^test-command:/);
        expect(lines[2]).toMatch(/synologyPassword: is missing/);
        expect(ran).toEqual([]);
    });
});
