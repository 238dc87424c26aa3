/**
 * Reading the stack's `homelab:*` config for index.ts. The only place that knows how Pulumi hands
 * config to a program: structured values arrive as JSON text, secrets as plain text (they are
 * wrapped in `pulumi.secret` by index.ts before anything else sees them).
 */
import * as pulumi from "@pulumi/pulumi";

import { ConfigError } from "./checker";
import { CONFIG_NAMESPACE, parseStackConfig, STACK_KEYS, StackConfig } from "./config";

/** The stack's values as parseStackConfig wants them; `get` is `pulumi.runtime.getConfig` by default. */
export function readStackValues(
    get: (key: string) => string | undefined = pulumi.runtime.getConfig,
): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const key of STACK_KEYS) {
        const raw = get(`${CONFIG_NAMESPACE}:${key}`);
        if (raw === undefined) continue;
        values[key] = parseJsonOrText(raw);
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
export function loadStackConfig(get?: (key: string) => string | undefined): StackConfig {
    try {
        return parseStackConfig(readStackValues(get));
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
