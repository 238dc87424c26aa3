/**
 * The one DSM client per NAS URL and user in this process (`getDsmClient`), shared through `globalThis`: the
 * provider host loads this module once for all the DSM resources, but a state from before the stored-provider shim
 * (../../dynamic.ts) runs its own serialised copy of it until its next update. The client is ./client.ts, its
 * contract ./types.ts.
 */
import * as crypto from "crypto";
import { DsmClient } from "./client";
import type { DsmClientOptions } from "./transport";
import type { DsmApi, DsmConnection } from "./types";

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
