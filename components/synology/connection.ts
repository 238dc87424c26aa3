/**
 * The connection to the stack's NAS, built in one place from `homelab:synology`: what every DSM resource stores as
 * its `connection` (no password; `connectionArgs`), and, with the password, the DSM client of a stack command
 * (`npm run doctor`, `npm run etcd-snapshot`). The pre-flight and the resources' providers add the password to the
 * same `connectionArgs`.
 */
import type { SynologyConfig } from "./config";
import { getDsmClient } from "./dsm/registry";
import type { DsmApi, DsmConnectionArgs } from "./dsm/types";

/** The connection part of every DSM resource's inputs: only the settings that are set. */
export function connectionArgs(s: SynologyConfig): DsmConnectionArgs {
    const c: DsmConnectionArgs = { url: s.url, username: s.username, allowHttp: s.allowHttp === true };
    const tls: NonNullable<DsmConnectionArgs["tls"]> = {};
    if (s.tls?.caCertPem) {
        tls.caCertPem = s.tls.caCertPem;
    }
    if (s.tls?.fingerprintSha256) {
        tls.fingerprintSha256 = s.tls.fingerprintSha256;
    }
    if (s.tls?.insecureSkipVerify) {
        tls.insecureSkipVerify = true;
    }
    if (Object.keys(tls).length > 0) {
        c.tls = tls;
    }
    if (s.deviceId) {
        c.deviceId = s.deviceId;
    }
    return c;
}

/** The shared DSM client for a stack command; a reason instead when it cannot be built from the config. */
export function stackDsmClient(s: SynologyConfig, password: string, otp?: string): { dsm?: DsmApi; reason?: string } {
    try {
        return { dsm: getDsmClient({ ...connectionArgs(s), password, otpCode: otp, deviceName: "homelab-doctor" }) };
    } catch (e) {
        return { reason: `the DSM client cannot be set up: ${(e as Error).message.split("\n")[0]}` };
    }
}
