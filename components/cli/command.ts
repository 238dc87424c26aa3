/**
 * What the program's commands (`npm run doctor`, `npm run etcd-snapshot`, `npm run dsm`) share: their flags, each
 * with its help, read by one reader with one wording for a missing value or an unknown flag, and rendered as the
 * usage's `options:` block; and the runner of a command's `main`.
 */

/** A flag: it takes a value (`--stack <name>`, or `--stack=<name>`), or it is a switch; and its line of help. */
export type FlagSpec = { kind: "value"; arg: string; help: string } | { kind: "switch"; help: string };

/** A flag that takes a value, shown as `<flag> <arg>` in the usage. */
export function valueFlag(arg: string, help: string): FlagSpec & { kind: "value" } {
    return { kind: "value", arg, help };
}

/** A switch. */
export function switchFlag(help: string): FlagSpec & { kind: "switch" } {
    return { kind: "switch", help };
}

/** What `readFlags` found: the value of each value flag given (the last one wins), the switches, the positionals. */
export interface Flags<K extends string> {
    value(flag: K): string | undefined;
    has(flag: K): boolean;
    /** The arguments that are not flags, in order (always empty unless `positional` was allowed). */
    positional: string[];
}

/** What `readFlags` throws: the problem and the usage, or (`helpAsked`) the usage alone. */
export class FlagError extends Error {
    constructor(
        message: string,
        readonly helpAsked = false,
    ) {
        super(message);
        this.name = "FlagError";
    }
}

/**
 * Reads `argv` against `table`. Throws a FlagError, with `usage` appended, on a flag it does not know, a value flag
 * without a value (none, or another flag next) or a switch given a value; `-h`/`--help` throws the usage alone.
 * Arguments that do not start with `--` are refused too, unless `positional` allows them. Pure.
 */
export function readFlags<K extends string>(
    argv: string[],
    table: Record<K, FlagSpec>,
    usage: string,
    { positional = false }: { positional?: boolean } = {},
): Flags<K> {
    const values = new Map<K, string>();
    const switches = new Set<K>();
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "-h" || a === "--help") throw new FlagError(usage, true);
        if (positional && !a.startsWith("--")) {
            rest.push(a);
            continue;
        }
        const eq = a.startsWith("--") ? a.indexOf("=") : -1;
        const name = eq > 0 ? a.slice(0, eq) : a;
        const inline = eq > 0 ? a.slice(eq + 1) : undefined;
        if (!Object.prototype.hasOwnProperty.call(table, name)) {
            throw new FlagError(`unknown argument "${a}"\n\n${usage}`);
        }
        const flag = name as K;
        if (table[flag].kind === "switch") {
            if (inline !== undefined) throw new FlagError(`${flag} takes no value\n\n${usage}`);
            switches.add(flag);
            continue;
        }
        const v = inline ?? argv[i + 1];
        if (v === undefined || (inline === undefined && v.startsWith("--"))) {
            throw new FlagError(`${flag} needs a value\n\n${usage}`);
        }
        values.set(flag, v);
        if (inline === undefined) i++;
    }
    return {
        value: (flag) => values.get(flag),
        has: (flag) => switches.has(flag) || values.has(flag),
        positional: rest,
    };
}

/** The `options:` block of a usage text: a line a flag, in the table's order, the help texts in one column. Pure. */
export function renderOptions(table: Record<string, FlagSpec>): string {
    const rows = Object.entries(table).map(([flag, s]) => [s.kind === "value" ? `${flag} ${s.arg}` : flag, s.help]);
    const width = Math.max(...rows.map(([left]) => left.length)) + 4;
    return `options:\n${rows.map(([left, help]) => `  ${left.padEnd(width)}${help}\n`).join("")}`;
}

/** A flag's value as a positive whole number, or an error naming the flag. */
export function positiveInt(value: string, flag: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got "${value}"`);
    return n;
}

/**
 * Runs a command's `main` as the process: its result becomes the exit code; a throw (a bug: a `main` reports its
 * own failures) is printed and exits 2. For `if (require.main === module) runMain(() => main(...))`.
 */
export async function runMain(
    main: () => Promise<number>,
    proc: { exitCode?: NodeJS.Process["exitCode"] } = process,
    report: (e: unknown) => void = (e) => console.error(e),
): Promise<void> {
    try {
        proc.exitCode = await main();
    } catch (e) {
        report(e);
        proc.exitCode = 2;
    }
}
