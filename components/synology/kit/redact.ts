/**
 * Keeping secrets out of what the NAS code says: the DSM password (and anything else secret) redacted from a text,
 * and an error rewrapped with nothing of the original attached. Used by the DSM resources (./resource.ts), the
 * etcd snapshot (components/backups) and the pre-flight.
 */

/** Replace every occurrence of each secret in `text` with `[redacted]`. */
export function redactText(text: string, secrets: Array<string | undefined>): string {
    let out = text;
    for (const s of secrets) {
        if (s && s.length >= 1) {
            out = out.split(s).join("[redacted]");
            const enc = encodeURIComponent(s);
            if (enc !== s) {
                out = out.split(enc).join("[redacted]");
            }
        }
    }
    return out;
}

/**
 * A fresh Error with `what: <message>`, secrets redacted, and nothing else of the original attached
 * (axios errors carry the request, which carries the password or session).
 */
export function wrapError(what: string, err: unknown, secrets: Array<string | undefined>): Error {
    // Not `instanceof Error`: errors from serialised code may come from another realm or a serialised subclass.
    const m = (err as { message?: unknown } | undefined)?.message;
    const message = typeof m === "string" ? m : String(err);
    const e = new Error(redactText(`${what}: ${message}`, secrets));
    e.name = "DsmResourceError";
    return e;
}
