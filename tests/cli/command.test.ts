/**
 * What every command shares (components/cli/command.ts), as `npm run doctor`, `npm run etcd-snapshot` and
 * `npm run dsm` read their arguments:
 * - a flag the command does not know, or a value flag without its value, is refused with the usage;
 * - a value flag takes the next argument unless that is another flag, or its value after `=`; the last one wins;
 * - arguments that are not flags are refused, unless the command takes positional arguments;
 * - the usage's `options:` block is the flag table's help, a line a flag, in one column;
 * - a command's `main` decides the exit code; a `main` that throws exits 2.
 */
import {
    FlagError,
    positiveInt,
    readFlags,
    renderOptions,
    runMain,
    switchFlag,
    valueFlag,
} from "../../components/cli/command";

const USAGE = "usage: test-command --stack <name>";
const TABLE = {
    "--stack": valueFlag("<name>", "the stack"),
    "--otp": valueFlag("<code>", "DSM 2-factor code"),
    "--no-pulumi": switchFlag("no pulumi CLI"),
    "--mac": valueFlag("<mac>", "client MAC"),
    "--no-dhcp": switchFlag("skip the DHCP probe"),
};

describe("reading flags", () => {
    test("values and switches are read; an absent flag is undefined and not set", () => {
        const f = readFlags(["--stack", "dev", "--no-dhcp", "--mac", "02:00:00:00:00:01"], TABLE, USAGE);
        expect(f.value("--stack")).toBe("dev");
        expect(f.value("--mac")).toBe("02:00:00:00:00:01");
        expect(f.has("--no-dhcp")).toBe(true);
        expect(f.has("--no-pulumi")).toBe(false);
        expect(f.value("--otp")).toBeUndefined();
        expect(f.positional).toEqual([]);
    });

    test("the last of a repeated value flag wins", () => {
        expect(readFlags(["--stack", "a", "--stack", "b"], TABLE, USAGE).value("--stack")).toBe("b");
    });

    test("--flag=value is the same as --flag value, and its value may start with -- or hold a =", () => {
        const f = readFlags(["--stack=dev", "--mac=--odd=yes", "--otp="], TABLE, USAGE);
        expect(f.value("--stack")).toBe("dev");
        expect(f.value("--mac")).toBe("--odd=yes");
        expect(f.value("--otp")).toBe("");
        expect(f.has("--otp")).toBe(true);
    });

    test.each([
        [["--frobnicate"], /^unknown argument "--frobnicate"\n\nusage: test-command/],
        [["--frobnicate=1"], /^unknown argument "--frobnicate=1"\n\nusage: test-command/],
        [["dev"], /^unknown argument "dev"/],
        [["--stack"], /^--stack needs a value\n\nusage: test-command/],
        [["--stack", "--no-dhcp"], /^--stack needs a value/],
        [["--no-dhcp=yes"], /^--no-dhcp takes no value\n\nusage: test-command/],
    ])("%j is refused: %s", (argv, message) => {
        expect(() => readFlags(argv, TABLE, USAGE)).toThrow(message);
        expect(() => readFlags(argv, TABLE, USAGE)).toThrow(FlagError);
    });

    test.each([["--help"], ["-h"]])("%s throws the usage alone, marked as asked for", (flag) => {
        let thrown: unknown;
        try {
            readFlags(["--stack", "dev", flag, "--frobnicate"], TABLE, USAGE);
        } catch (e) {
            thrown = e;
        }
        expect(thrown).toBeInstanceOf(FlagError);
        expect((thrown as FlagError).message).toBe(USAGE);
        expect((thrown as FlagError).helpAsked).toBe(true);
        let refused: unknown;
        try {
            readFlags(["--frobnicate"], TABLE, USAGE);
        } catch (e) {
            refused = e;
        }
        expect((refused as FlagError).helpAsked).toBe(false);
    });

    test("a value that only looks like a short option is a value (e.g. a negative number or '-')", () => {
        expect(readFlags(["--mac", "-"], TABLE, USAGE).value("--mac")).toBe("-");
    });

    test("a command that takes positional arguments gets them in order, between and after the flags", () => {
        const f = readFlags(
            ["SYNO.API.Info", "--stack", "dev", "query", "query=all", "--no-dhcp", "-x"],
            TABLE,
            USAGE,
            { positional: true },
        );
        expect(f.positional).toEqual(["SYNO.API.Info", "query", "query=all", "-x"]);
        expect(f.value("--stack")).toBe("dev");
        expect(f.has("--no-dhcp")).toBe(true);
        expect(() => readFlags(["x", "--frobnicate"], TABLE, USAGE, { positional: true })).toThrow(
            /^unknown argument "--frobnicate"/,
        );
    });
});

describe("the options block of a usage", () => {
    test("a line a flag in the table's order, value flags with their argument, the help in one column", () => {
        expect(
            renderOptions({
                "--stack": valueFlag("<name>", "the stack"),
                "--no-pulumi": switchFlag("do not call the pulumi CLI"),
                "--dhcp-target": valueFlag("<addr>", "where to send the DISCOVER"),
            }),
        ).toBe(
            "options:\n" +
                "  --stack <name>          the stack\n" +
                "  --no-pulumi             do not call the pulumi CLI\n" +
                "  --dhcp-target <addr>    where to send the DISCOVER\n",
        );
    });

    test("the column follows the longest flag", () => {
        expect(renderOptions({ "--x": switchFlag("x"), "--yy": switchFlag("y") })).toBe(
            "options:\n  --x     x\n  --yy    y\n",
        );
    });
});

describe("a positive whole number", () => {
    test.each(["1", "69", "4000"])("%s is read", (v) => expect(positiveInt(v, "--tftp-port")).toBe(Number(v)));
    test.each(["0", "-1", "1.5", "sixty", ""])("%j is refused naming the flag and the value", (v) => {
        expect(() => positiveInt(v, "--tftp-port")).toThrow(`--tftp-port must be a positive integer, got "${v}"`);
    });
});

describe("running a command's main", () => {
    test.each([0, 1, 2])("main's %i is the exit code, nothing reported", async (code) => {
        const proc: { exitCode?: number | string } = {};
        const reported: unknown[] = [];
        await runMain(
            () => Promise.resolve(code),
            proc,
            (e) => reported.push(e),
        );
        expect(proc.exitCode).toBe(code);
        expect(reported).toEqual([]);
    });

    test("a main that throws (a bug) is reported and exits 2", async () => {
        const proc: { exitCode?: number | string } = {};
        const reported: unknown[] = [];
        const bug = new Error("boom");
        await runMain(
            () => Promise.reject(bug),
            proc,
            (e) => reported.push(e),
        );
        expect(proc.exitCode).toBe(2);
        expect(reported).toEqual([bug]);
    });
});
