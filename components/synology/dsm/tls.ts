/**
 * How the client trusts the NAS: verified by default (system CAs), or pinned (`caCertPem`, or
 * `fingerprintSha256`), or unverified only when `insecureSkipVerify` is set (with a warning).
 */
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as tls from "tls";
import { DsmConfigError, DsmTransportError } from "./errors";
import type { DsmConnection } from "./types";

/** `aa:bb:...` lower case, from any of: 64 hex digits, with or without colons, any case. */
export function normaliseFingerprint(fp: string): string {
    const hex = fp.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
    if (hex.length !== 64)
        throw new DsmConfigError(
            `tls.fingerprintSha256 "${fp}" must be a SHA-256 fingerprint: 64 hex digits, colons optional`,
        );
    return hex.match(/../g)!.join(":");
}

export function fingerprintOfPem(pem: string): string {
    try {
        return new crypto.X509Certificate(pem).fingerprint256.toLowerCase();
    } catch (e) {
        throw new DsmConfigError(`tls.caCertPem is not a readable PEM certificate: ${(e as Error).message}`);
    }
}

function derToPem(der: Buffer): string {
    const b64 = der
        .toString("base64")
        .match(/.{1,64}/g)!
        .join("\n");
    return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Check the TLS settings without any network access. */
export function checkTlsConfig(conn: DsmConnection): void {
    const t = conn.tls ?? {};
    const chosen = [
        t.caCertPem ? "caCertPem" : "",
        t.fingerprintSha256 ? "fingerprintSha256" : "",
        t.insecureSkipVerify ? "insecureSkipVerify" : "",
    ].filter(Boolean);
    if (chosen.length > 1)
        throw new DsmConfigError(
            `tls: set only one of caCertPem, fingerprintSha256 and insecureSkipVerify (got ${chosen.join(", ")})`,
        );
    if (t.fingerprintSha256) normaliseFingerprint(t.fingerprintSha256);
    if (t.caCertPem) fingerprintOfPem(t.caCertPem);
}

/** Read the certificate the server presents, without sending anything over the connection. */
export function fetchPeerCertificate(
    host: string,
    port: number,
    timeoutMs: number,
): Promise<tls.DetailedPeerCertificate> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({
            host,
            port,
            rejectUnauthorized: false,
            servername: net.isIP(host) ? undefined : host,
        });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(
                new DsmTransportError(
                    "TLS",
                    "connect",
                    "ETIMEDOUT",
                    `no TLS answer from ${host}:${port} within ${timeoutMs} ms`,
                ),
            );
        }, timeoutMs);
        socket.once("secureConnect", () => {
            clearTimeout(timer);
            const cert = socket.getPeerCertificate(true);
            socket.destroy();
            resolve(cert);
        });
        socket.once("error", (e: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            reject(
                new DsmTransportError(
                    "TLS",
                    "connect",
                    e.code ?? "ETLS",
                    `cannot open a TLS connection to ${host}:${port}: ${e.message}`,
                ),
            );
        });
    });
}

function pinnedIdentity(pin: string): (host: string, cert: tls.PeerCertificate) => Error | undefined {
    return (host, cert) => {
        // The pinned certificate itself is the leaf: the pin is the identity (a NAS's self-signed certificate
        // names "synology", not its IP). Otherwise a CA was pinned: check the host name as usual.
        if (cert.fingerprint256 && cert.fingerprint256.toLowerCase() === pin) return undefined;
        return tls.checkServerIdentity(host, cert);
    };
}

/** Build the agent for this connection. For a fingerprint pin this opens one TLS connection (no data sent). */
export async function buildAgent(
    conn: DsmConnection,
    warn: (msg: string) => void,
    timeoutMs: number,
): Promise<http.Agent> {
    const u = new URL(conn.url);
    if (u.protocol === "http:") return new http.Agent({ keepAlive: true });
    const t = conn.tls ?? {};
    if (t.insecureSkipVerify) {
        warn(
            `WARNING: TLS verification of ${u.origin} is OFF (tls.insecureSkipVerify): anyone on the network path can read the DSM password. Pin the NAS's certificate with tls.fingerprintSha256 instead.`,
        );
        return new https.Agent({ keepAlive: true, rejectUnauthorized: false });
    }
    if (t.caCertPem) {
        const pin = fingerprintOfPem(t.caCertPem);
        return new https.Agent({ keepAlive: true, ca: t.caCertPem, checkServerIdentity: pinnedIdentity(pin) });
    }
    if (t.fingerprintSha256) {
        const pin = normaliseFingerprint(t.fingerprintSha256);
        const host = u.hostname.replace(/^\[|\]$/g, "");
        const port = Number(u.port || 443);
        const cert = await fetchPeerCertificate(host, port, timeoutMs);
        const seen = (cert.fingerprint256 ?? "").toLowerCase();
        if (seen !== pin) {
            throw new DsmTransportError(
                "TLS",
                "verify",
                "CERT_FINGERPRINT_MISMATCH",
                `the certificate of ${u.origin} has SHA-256 fingerprint ${seen}, not the pinned ${pin} (tls.fingerprintSha256). If the NAS's certificate was renewed on purpose, update the pin; otherwise something is intercepting the connection. Nothing was sent.`,
            );
        }
        return new https.Agent({ keepAlive: true, ca: derToPem(cert.raw), checkServerIdentity: pinnedIdentity(pin) });
    }
    return new https.Agent({ keepAlive: true });
}

/** Node TLS error codes that mean "certificate not trusted". */
export const UNTRUSTED_CERT_CODES = [
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "CERT_HAS_EXPIRED",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "CERT_SIGNATURE_FAILURE",
];
