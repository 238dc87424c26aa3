/**
 * The DSM Web API client. `getDsmClient(conn)` returns the one client per NAS URL and user in this process,
 * shared through `globalThis`: the provider host loads this module once for all the DSM resources, but a state from
 * before the stored-provider shim (../../dynamic.ts) runs its own serialised copy of it until its next update.
 */
import * as crypto from "crypto";
import { DsmClient, DsmClientOptions } from "./client";
import type { DsmApi, DsmConnection } from "./types";

export * from "./types";
export { DsmClient } from "./client";
export type { DsmClientOptions } from "./client";
export {
    DsmError,
    DsmTransportError,
    DsmShapeError,
    DsmVerifyError,
    DsmConfigError,
    isDsmError,
    meaningOf,
    redact,
} from "./errors";
export { toBool, TFTP_ALL_CLIENTS, PXE_FIELDS, DHCP_SERVER_KNOWN_FIELDS } from "./shapes";
export { normaliseFingerprint, fetchPeerCertificate } from "./tls";

interface Registry {
    [key: string]: { fingerprint: string; client: DsmApi };
}

/**
 * The registry's name carries the client's contract: a copy serialised into a state from before the stored-provider
 * shim has clients of an older contract (objects' get/set as client methods, APIs named by strings), so it keeps
 * them under its own name and neither side is handed a client it cannot call. Change the suffix with the contract.
 */
export const REGISTRY_KEY = "__homelabDsmClients/api-uses";

function registry(): Registry {
    const g = globalThis as unknown as Record<string, Registry | undefined>;
    let r = g[REGISTRY_KEY];
    if (!r) {
        r = {};
        g[REGISTRY_KEY] = r;
    }
    return r;
}

/**
 * The shared client for this NAS and user: one discovery and one login per process. A call with different
 * connection settings (password, TLS, 2FA) for the same NAS and user replaces the client.
 * `options` only apply when the client is created.
 */
export function getDsmClient(conn: DsmConnection, options?: DsmClientOptions): DsmApi {
    const key = `${conn.url.replace(/\/+$/, "")}|${conn.username}`;
    const fingerprint = crypto
        .createHash("sha256")
        .update(
            JSON.stringify([
                conn.url,
                conn.username,
                conn.password,
                conn.tls ?? {},
                conn.allowHttp ?? false,
                conn.otpCode ?? "",
                conn.deviceId ?? "",
            ]),
        )
        .digest("hex");
    const reg = registry();
    const hit = reg[key];
    if (hit && hit.fingerprint === fingerprint) return hit.client;
    const client = new DsmClient(conn, options);
    reg[key] = { fingerprint, client };
    return client;
}

/** Log out every shared client of this process (call when done). */
export async function logoutAll(): Promise<void> {
    const reg = registry();
    await Promise.all(Object.values(reg).map((e) => e.client.logout().catch(() => undefined)));
}

/** Forget every shared client without logging out (tests). */
export function resetDsmClients(): void {
    const reg = registry();
    for (const k of Object.keys(reg)) delete reg[k];
}
