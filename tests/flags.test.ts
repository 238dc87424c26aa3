/**
 * Command-line flags (components/flags.ts), as `npm run doctor` and `npm run etcd-snapshot` read them:
 * - a flag the command does not know, or a value flag without its value, is refused with the usage;
 * - a value flag takes the next argument unless that is another flag; the last one given wins;
 * - every command that reads a stack needs --stack (or --config-file), said beside the command's own problems.
 */
import { positiveInt, readFlags, STACK_FLAGS, stackOptions } from "../components/flags";

const USAGE = "usage: test-command --stack <name>";
const KINDS = { ...STACK_FLAGS, "--mac": "value", "--no-dhcp": "switch" } as const;

describe("reading flags", () => {
    test("values and switches are read; an absent flag is undefined and not set", () => {
        const f = readFlags(["--stack", "dev", "--no-dhcp", "--mac", "02:00:00:00:00:01"], KINDS, USAGE);
        expect(f.value("--stack")).toBe("dev");
        expect(f.value("--mac")).toBe("02:00:00:00:00:01");
        expect(f.has("--no-dhcp")).toBe(true);
        expect(f.has("--no-pulumi")).toBe(false);
        expect(f.value("--otp")).toBeUndefined();
    });

    test("the last of a repeated value flag wins", () => {
        expect(readFlags(["--stack", "a", "--stack", "b"], KINDS, USAGE).value("--stack")).toBe("b");
    });

    test.each([
        [["--frobnicate"], /^unknown argument "--frobnicate"\n\nusage: test-command/],
        [["dev"], /^unknown argument "dev"/],
        [["--stack"], /^--stack needs a value\n\nusage: test-command/],
        [["--stack", "--no-dhcp"], /^--stack needs a value/],
        [["--help"], /^usage: test-command/],
        [["-h"], /^usage: test-command/],
    ])("%j is refused: %s", (argv, message) => {
        expect(() => readFlags(argv as string[], KINDS, USAGE)).toThrow(message as RegExp);
    });

    test("a value that only looks like a short option is a value (e.g. a negative number or '-')", () => {
        expect(readFlags(["--mac", "-"], KINDS, USAGE).value("--mac")).toBe("-");
    });
});

describe("a positive whole number", () => {
    test.each(["1", "69", "4000"])("%s is read", (v) => expect(positiveInt(v, "--tftp-port")).toBe(Number(v)));
    test.each(["0", "-1", "1.5", "sixty", ""])("%j is refused naming the flag and the value", (v) => {
        expect(() => positiveInt(v, "--tftp-port")).toThrow(`--tftp-port must be a positive integer, got "${v}"`);
    });
});

describe("the stack flags", () => {
    test("--stack or --config-file is required: the problem joins the command's own", () => {
        const problems: string[] = [];
        stackOptions(readFlags([], KINDS, USAGE), "/w", problems);
        expect(problems).toEqual(["--stack is required"]);
        const fine: string[] = [];
        expect(stackOptions(readFlags(["--config-file", "P.yaml"], KINDS, USAGE), "/w", fine)).toEqual({
            stack: "",
            cwd: "/w",
            configFile: "P.yaml",
            usePulumi: true,
            otp: undefined,
        });
        expect(fine).toEqual([]);
    });

    test("--no-pulumi and --otp reach the options", () => {
        const o = stackOptions(readFlags(["--stack", "dev", "--no-pulumi", "--otp", "123456"], KINDS, USAGE), "/w", []);
        expect(o).toMatchObject({ stack: "dev", usePulumi: false, otp: "123456" });
    });
});
