/** What the config tests share: the dev stack's values made valid, and the problems parseStackConfig finds in values. */
import { ConfigError } from "../../components/checker";
import { parseStackConfig } from "../../components/config";
import { stackValues } from "../support/shared";

export const SECRETS = { synologyPassword: "dsm-pass-123", upsPassword: "ups-pass-456" };

/** A MAC a real network card could carry (unicast, no placeholder), standing in for the one a user writes in. */
export const REAL_MAC = "d8:3a:dd:5e:a0:01";

/** The dev stack's values with the placeholder MAC replaced, as a user does first: a valid config to break one piece at a time. */
export function devValues(): Record<string, any> {
    const v = stackValues("dev", SECRETS) as Record<string, any>;
    v.nodes[0].mac = REAL_MAC;
    return v;
}

/** The problems parseStackConfig reports for `values` (fails the test when it accepts them). */
export function problemsOf(values: Record<string, unknown>): string[] {
    try {
        parseStackConfig(values);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
    }
    throw new Error("expected a ConfigError");
}
