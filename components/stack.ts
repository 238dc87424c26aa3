/**
 * Reading the stack's `homelab:*` config for index.ts. The only place that knows how Pulumi hands
 * config to a program: structured values arrive as JSON text, secrets as plain text (they are
 * wrapped in `pulumi.secret` by index.ts before anything else sees them).
 */
import * as pulumi from "@pulumi/pulumi";

import { ConfigError } from "./checker";
import { CONFIG_NAMESPACE, parseStackConfig, SECRET_KEYS, StackConfig } from "./config";

/**
 * The stack's values as parseStackConfig wants them, from the whole config (`pulumi.runtime.allConfig()` by default:
 * `<namespace>:<key>` → text). Every `homelab:` key is taken, so a misspelt one (a secret's too) is named by the
 * parser rather than silently missing; a secret is taken exactly as typed, never parsed.
 */
export function readStackValues(config: Record<string, string> = pulumi.runtime.allConfig()): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [name, raw] of Object.entries(config)) {
        if (!name.startsWith(prefix)) continue;
        const key = name.slice(prefix.length);
        values[key] = (SECRET_KEYS as readonly string[]).includes(key) ? raw : parseJsonOrText(raw);
    }
    return values;
}

function parseJsonOrText(raw: string): unknown {
    const trimmed = raw.trim();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return raw;
    try {
        return JSON.parse(trimmed);
    } catch {
        return raw;
    }
}

/**
 * parseStackConfig on the stack's values; a ConfigError becomes a RunError, so `pulumi preview`
 * prints the list of problems without a stack trace.
 */
export function loadStackConfig(config?: Record<string, string>): StackConfig {
    try {
        return parseStackConfig(readStackValues(config));
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
