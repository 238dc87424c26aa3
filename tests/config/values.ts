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

/** Stack values as a test breaks them. */
export type Values = Record<string, any>;

/** `[case, mutate, keyPath, /message/]`: after `mutate`, exactly one problem under `keyPath`, matching the message. */
export type RefusalCase = [string, (v: Values) => void, string, RegExp];

/** A worker at `ip` with a MAC and hostname of its own (from the last octet). */
export const worker = (ip: string, over: Record<string, unknown> = {}) => ({
    hostname: `w-${ip.split(".")[3]}`,
    mac: `d8:3a:dd:5e:b0:${Number(ip.split(".")[3]).toString(16).padStart(2, "0")}`,
    ip,
    role: "worker",
    installDisk: "/dev/sda",
    ...over,
});

/** An extra DHCP reservation (a printer's, unless told otherwise). */
export const reservation = (ip: string, mac = "d8:3a:dd:5e:c0:01", hostname = "printer") => ({ mac, ip, hostname });

/** One test per case: the dev stack broken by it has exactly one problem under its key path, matching its message. */
export function testRefusals(cases: readonly RefusalCase[]): void {
    test.each(cases.map(([what, breakIt, key, pattern]) => [what, key, breakIt, pattern] as const))(
        "%s → %s",
        (_what, key, breakIt, pattern) => {
            const v = devValues();
            breakIt(v);
            const hit = problemsOf(v).filter((p) => p.startsWith(`${key}: `));
            expect(hit).toHaveLength(1);
            expect(hit[0]).toMatch(pattern);
        },
    );
}
