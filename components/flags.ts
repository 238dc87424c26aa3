/**
 * Command-line flags of the program's commands (`npm run doctor`, `npm run etcd-snapshot`): one reader, one
 * wording for a missing value or an unknown flag, and the flags every command that reads a stack shares.
 */

/** A flag's kind: it takes the next argument as its value, or it is a switch. */
export type FlagKind = "value" | "switch";

/** What `readFlags` found: the value of each value flag given (the last one wins) and the switches given. */
export interface Flags<K extends string> {
    value(flag: K): string | undefined;
    has(flag: K): boolean;
}

/**
 * Reads `argv` against `kinds`. Throws, with `usage` appended, on a flag it does not know or a value flag
 * without a value (none, or another flag next); `-h`/`--help` throws the usage alone. Pure.
 */
export function readFlags<K extends string>(argv: string[], kinds: Record<K, FlagKind>, usage: string): Flags<K> {
    const values = new Map<K, string>();
    const switches = new Set<K>();
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "-h" || a === "--help") throw new Error(usage);
        if (!Object.prototype.hasOwnProperty.call(kinds, a)) throw new Error(`unknown argument "${a}"\n\n${usage}`);
        const flag = a as K;
        if (kinds[flag] === "switch") {
            switches.add(flag);
            continue;
        }
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value\n\n${usage}`);
        values.set(flag, v);
        i++;
    }
    return { value: (flag) => values.get(flag), has: (flag) => switches.has(flag) || values.has(flag) };
}

/** A flag's value as a positive whole number, or an error naming the flag. */
export function positiveInt(value: string, flag: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got "${value}"`);
    return n;
}

/** The flags of every command that reads a stack's config (as `npm run doctor` does) and logs in to the NAS. */
export const STACK_FLAGS = {
    "--stack": "value",
    "--config-file": "value",
    "--no-pulumi": "switch",
    "--otp": "value",
} as const satisfies Record<string, FlagKind>;

/** Where a command reads the stack from, and the DSM 2-factor code. */
export interface StackOptions {
    stack: string;
    cwd: string;
    configFile?: string;
    usePulumi: boolean;
    otp?: string;
}

/**
 * The stack options of the flags read. `--stack` (or `--config-file`) is required: without it the problem goes into
 * `problems`, beside the command's own, so that one message names them all.
 */
export function stackOptions(f: Flags<keyof typeof STACK_FLAGS>, cwd: string, problems: string[]): StackOptions {
    const o: StackOptions = {
        stack: f.value("--stack") ?? "",
        cwd,
        configFile: f.value("--config-file"),
        usePulumi: !f.has("--no-pulumi"),
        otp: f.value("--otp"),
    };
    if (!o.stack && !o.configFile) problems.push("--stack is required");
    return o;
}
