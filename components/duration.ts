/**
 * Go durations (`30m`, `1h30m`, `1.5h`, `300ms`): the form of every timeout setting, as Pulumi's custom
 * timeouts, the Talos provider and talosctl's --timeout take them. Pure. The one parser: the config layer
 * checks the settings with it, the components convert with it.
 */

const UNIT_MS: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "\u00b5s": 1e-3,
    "\u03bcs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
};

/**
 * Milliseconds of a Go duration (Go's time.ParseDuration grammar: an optional sign, then one or more
 * decimal numbers each with a unit ns, us, µs, ms, s, m or h, e.g. `1h30m`, `1.5h`, `300ms`; or `0`).
 * Undefined when Go would not parse it.
 */
export function parseGoDuration(text: string): number | undefined {
    let s = String(text).trim();
    let sign = 1;
    if (s.startsWith("-") || s.startsWith("+")) {
        if (s.startsWith("-")) sign = -1;
        s = s.slice(1);
    }
    if (s === "0") return 0;
    if (s === "") return undefined;
    const part = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
    let total = 0;
    for (let at = 0; at < s.length; at = part.lastIndex) {
        part.lastIndex = at;
        const m = part.exec(s);
        if (!m) return undefined;
        total += Number(m[1]) * UNIT_MS[m[2]];
    }
    return sign * total;
}

/** Whole seconds of a Go duration, rounded up; throws on text that is not one (the config layer checked it). */
export function durationSeconds(text: string): number {
    const ms = parseGoDuration(text);
    if (ms === undefined) throw new Error(`"${text}" is not a duration like 15m or 1h30m`);
    return Math.ceil(ms / 1000);
}
