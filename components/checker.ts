/**
 * What every part of the stack config is checked with (pure; no Pulumi, no I/O): `ConfigError`, the
 * `Checker` that collects problems with their key paths, and the words shared by the domain parsers
 * (components/<domain>/config.ts), so that a user sees every problem of a run at once, each naming the
 * setting and the fix. `parseStackConfig` (components/config.ts) runs them all.
 */
import { parseGoDuration } from "./duration";
import {
    Cidr,
    hostRange,
    intToIp,
    isIpv4,
    isPlaceholderMac,
    macKind,
    normaliseMac,
    placeInCidr,
    specialIpv4,
} from "./net";
import { closest } from "./words";

/** Every problem with the stack config, each naming the key path and the fix. */
export class ConfigError extends Error {
    readonly problems: string[];
    constructor(problems: string[]) {
        super(
            `Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
        this.problems = problems;
    }
}

/** A config value as YAML/JSON gives it. */
export type Json = unknown;
/** A config object as YAML/JSON gives it. */
export type Obj = Record<string, Json>;

/** One DNS label: a hostname, or one part of a domain. */
export const DNS_LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Collects the problems of a run, each with its key path; its readers return undefined for a bad value. */
export class Checker {
    readonly problems: string[] = [];

    add(path: string, message: string): void {
        this.problems.push(`${path}: ${message}`);
    }

    /** The value as an object, or undefined (with a problem unless optional and absent). */
    object(path: string, value: Json, required: boolean): Obj | undefined {
        if (value === undefined || value === null) {
            if (required)
                this.add(
                    path,
                    `is missing; set it with \`pulumi config set --path 'homelab:${path}...'\` (see README, config reference)`,
                );
            return undefined;
        }
        if (typeof value === "string") {
            try {
                return this.object(path, JSON.parse(value), required);
            } catch {
                this.add(path, "must be an object (a YAML mapping), got text that is not JSON");
                return undefined;
            }
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            this.add(path, `must be an object (a YAML mapping), got ${describe(value)}`);
            return undefined;
        }
        return value as Obj;
    }

    /** Reports keys of `obj` that are not in `known`, with a suggestion. */
    knownKeys(path: string, obj: Obj, known: readonly string[]): void {
        for (const key of Object.keys(obj)) {
            if (known.includes(key)) continue;
            const hint = closest(key, known);
            this.add(
                `${path}.${key}`,
                `is not a known setting${hint ? ` — did you mean ${path}.${hint}?` : ` (known: ${known.join(", ")})`}`,
            );
        }
    }

    /** A string, trimmed; blanks only count as missing (a required one says so). */
    string(path: string, value: Json, required: boolean): string | undefined {
        if (value === undefined || value === null || value === "") {
            if (required) this.add(path, "is missing; it must be a non-empty string");
            return undefined;
        }
        if (typeof value !== "string") {
            this.add(path, `must be a string, got ${describe(value)}`);
            return undefined;
        }
        if (value.trim() === "") {
            if (required) this.add(path, "is blank (spaces only); it must be a non-empty string");
            return undefined;
        }
        return value.trim();
    }

    /**
     * A secret (a password; `path` is its `homelab:` key): exactly as typed, never trimmed or otherwise changed, since
     * the NAS or the UPS compares it byte for byte. Missing, empty or blanks only: undefined, and when required a
     * problem (`missing` says why it is needed) with how to set it. Messages never hold the value.
     */
    secret(path: string, value: Json, required: boolean, missing = "is missing"): string | undefined {
        const how = `set it with \`pulumi config set --secret homelab:${path}\``;
        if (value === undefined || value === null || value === "") {
            if (required) this.add(path, `${missing}; ${how}`);
            return undefined;
        }
        if (typeof value !== "string") {
            this.add(
                path,
                `must be a string (a password), got ${Array.isArray(value) ? "a list" : typeof value}; ${how}`,
            );
            return undefined;
        }
        if (value.trim() === "") {
            if (required) this.add(path, `is blank (spaces only), which is no password; ${how}`);
            return undefined;
        }
        return value;
    }

    boolean(path: string, value: Json, fallback: boolean): boolean {
        if (value === undefined || value === null) return fallback;
        if (typeof value === "boolean") return value;
        if (value === "true" || value === "false") return value === "true";
        this.add(path, `must be true or false, got ${describe(value)}`);
        return fallback;
    }

    list(path: string, value: Json, required: boolean): Json[] | undefined {
        if (value === undefined || value === null) {
            if (required) this.add(path, "is missing; it must be a list");
            return undefined;
        }
        if (typeof value === "string") {
            try {
                const parsed = JSON.parse(value) as unknown;
                if (Array.isArray(parsed)) return parsed as Json[];
            } catch {
                /* reported below */
            }
        }
        if (!Array.isArray(value)) {
            this.add(path, `must be a list, got ${describe(value)}`);
            return undefined;
        }
        return value as Json[];
    }

    ipv4(path: string, value: Json, required: boolean): string | undefined {
        const s = this.string(path, value, required);
        if (s === undefined) return undefined;
        if (!isIpv4(s)) {
            this.add(path, `"${s}" is not an IPv4 address; write it as four numbers 0-255, e.g. 192.168.0.10`);
            return undefined;
        }
        return s;
    }

    /** A MAC a network card can carry: not a placeholder, not all zeros or ones, no group bit. */
    mac(path: string, value: Json): string | undefined {
        const s = this.string(path, value, true);
        if (s === undefined) return undefined;
        const mac = normaliseMac(s);
        if (!mac) {
            this.add(path, `"${s}" is not a MAC address; write six hex pairs, e.g. aa:bb:cc:dd:ee:ff`);
            return undefined;
        }
        const fix =
            "put the real MAC address of the machine's network card here (on the card's or the machine's label, " +
            "in its firmware setup, or from `ip link` on a running system)";
        const kind = macKind(mac);
        if (isPlaceholderMac(mac))
            this.add(path, `${mac} is a placeholder, not the address of a real network card; ${fix}`);
        else if (kind === "zero") this.add(path, `${mac} is all zeros, which no network card carries; ${fix}`);
        else if (kind === "broadcast")
            this.add(path, `${mac} is the broadcast address, which no network card carries; ${fix}`);
        else if (kind === "multicast") {
            this.add(
                path,
                `${mac} is a multicast (group) address: the lowest bit of its first byte (${mac.slice(0, 2)}) is set, ` +
                    `which no network card's own address has; check that byte for a typo, or ${fix}`,
            );
        }
        return mac;
    }

    /** A Go duration (`30m`, `1h30m`, `90s`) longer than zero, or the fallback when absent. */
    duration(path: string, value: Json, fallback: string): string {
        const s = this.string(path, value, false) ?? fallback;
        const ms = parseGoDuration(s);
        if (ms === undefined)
            this.add(path, `"${s}" is not a duration; write one like 10m, 1h or 1h30m (units h, m, s, ms)`);
        else if (ms <= 0)
            this.add(path, `"${s}" must be longer than zero: it is how long to wait; e.g. ${fallback} (the default)`);
        return s;
    }

    /** One DNS label, as DHCP hands it out and Talos sets it: lower-case ASCII letters, digits and hyphens. */
    hostname(path: string, value: Json): string | undefined {
        const s = this.string(path, value, true);
        if (s === undefined) return undefined;
        if (DNS_LABEL_RE.test(s)) return s;
        const rule = "use 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen";
        const foreign = [...new Set([...s].filter((ch) => ch.charCodeAt(0) > 0x7f))].join("");
        const first = s.split(".")[0];
        if (foreign) {
            this.add(path, `"${s}" is not ASCII (${foreign}): a hostname on the LAN is plain ASCII; ${rule}`);
        } else if (s.includes(".") && DNS_LABEL_RE.test(first)) {
            this.add(
                path,
                `"${s}" is a fully qualified name; a machine's hostname is its first label alone: ${first} ` +
                    "(the domain comes from dhcp.domain)",
            );
        } else {
            this.add(path, `"${s}" is not a valid hostname; ${rule}`);
        }
        return undefined;
    }

    oneOf<T extends string>(path: string, value: Json, allowed: readonly T[], fallback?: T): T | undefined {
        if ((value === undefined || value === null) && fallback !== undefined) return fallback;
        const s = this.string(path, value, true);
        if (s === undefined) return undefined;
        if (!(allowed as readonly string[]).includes(s)) {
            this.add(path, `must be one of ${allowed.join(", ")}, got "${s}"`);
            return undefined;
        }
        return s as T;
    }
}

/** A value in words for a message (type and JSON). */
export function describe(value: Json): string {
    if (Array.isArray(value)) return "a list";
    if (value === null) return "null";
    if (typeof value === "object") return "an object";
    return `${typeof value} ${JSON.stringify(value)}`;
}

/** Parses a URL; undefined when it is not one. */
export function parseUrl(text: string): URL | undefined {
    try {
        return new URL(text);
    } catch {
        return undefined;
    }
}

/** A URL's parts as written: the URL parser drops a default port (`:443`) and hides a missing scheme's mistake. */
export interface UrlParts {
    scheme: string;
    /** `user:password` before the `@`, when written (never show it: it may hold a password). */
    userinfo?: string;
    host: string;
    /** The port as written, when written. */
    port?: string;
    /** Whatever follows host and port: a path, query or fragment (empty when nothing does). */
    rest: string;
}

/** {@link UrlParts} of `scheme://[userinfo@]host[:port][rest]`; undefined when the text has no `scheme://`. */
export function urlParts(text: string): UrlParts | undefined {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?(\[[^\]/?#]*\]|[^:/?#]*)(?::([^/?#]*))?(.*)$/s.exec(text);
    if (!m) return undefined;
    return {
        scheme: m[1].toLowerCase(),
        ...(m[2] !== undefined ? { userinfo: m[2] } : {}),
        host: m[3],
        ...(m[4] !== undefined ? { port: m[4] } : {}),
        rest: m[5],
    };
}

/** The URL without trailing slashes. */
export function stripSlash(url: string): string {
    return url.replace(/\/+$/, "");
}

/** What a special IPv4 block is, in words. */
export function specialWords(special: NonNullable<ReturnType<typeof specialIpv4>>): string {
    switch (special) {
        case "this-network":
            return 'a "this network" address (0.0.0.0/8)';
        case "loopback":
            return "a loopback address (127.0.0.0/8)";
        case "link-local":
            return "a link-local address (169.254.0.0/16, what a machine gives itself when DHCP failed)";
        case "multicast":
            return "a multicast address (224.0.0.0/4)";
        case "reserved":
            return "a reserved address (240.0.0.0/4)";
        case "limited-broadcast":
            return "the limited broadcast address";
    }
}

/** Why `ip` cannot be a machine's address in `cidr` (its network or broadcast address, or outside), if it cannot. */
export function hostAddressProblem(cidr: Cidr, ip: string): string | undefined {
    const subnet = `${intToIp(cidr.network)}/${cidr.prefix}`;
    const place = placeInCidr(cidr, ip);
    if (place === "host") return undefined;
    if (place === "outside") return `${ip} is not a host address inside dhcp.subnet ${subnet} (${hostRange(cidr)})`;
    return (
        `${ip} is the ${place} address of dhcp.subnet ${subnet}, which no machine can have; ` +
        `use one of its host addresses, ${hostRange(cidr)}`
    );
}
