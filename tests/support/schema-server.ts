/**
 * A local stand-in for raw.githubusercontent.com serving Talos config schemas, on 127.0.0.1 only.
 *
 * Serves `/siderolabs/talos/<tag>/pkg/machinery/config/schemas/config.schema.json` for the versions it was
 * given (404 "404: Not Found" like GitHub for other tags or paths), counts requests per path, and can be
 * told to misbehave: answer 503, answer an HTML page with 200, answer JSON that is not a schema, cut the
 * connection, or never answer.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { readReferenceText } from "./reference";

export type SchemaServerFault = "none" | "503" | "html" | "not-a-schema" | "truncated" | "reset" | "hang";

export interface SchemaServer {
    /** e.g. `http://127.0.0.1:40123` */
    baseUrl: string;
    /** URL template with `{version}`, in the shape of the real default. */
    urlTemplate: string;
    /** Requests seen, all paths. */
    requests: string[];
    /** Requests for one tag's schema file. */
    countFor(tag: string): number;
    fault: SchemaServerFault;
    close(): Promise<void>;
}

export const SCHEMA_FILE_PATH = "pkg/machinery/config/schemas/config.schema.json";

/** The real v1.12.1 schema text, pinned reference data (tests/support/reference.ts; never copied into the repo). */
export function referenceSchemaText(): string {
    return readReferenceText("talos-config-schema-v1.12.1.json");
}

/**
 * The pinned schema of a Talos release's minor (third_party/reference): v1.12.1 for 1.12.x, v1.13.9 for 1.13.x,
 * v1.14.0-rc.1 for 1.14.x; undefined for a minor none is pinned for.
 */
export function referenceSchemaTextFor(talosVersion: string): string | undefined {
    const minor = /^v?1\.(\d+)\./.exec(talosVersion)?.[1];
    switch (minor) {
        case "12":
            return readReferenceText("talos-config-schema-v1.12.1.json");
        case "13":
            return readReferenceText("talos-config-schema-v1.13.9.json");
        case "14":
            return readReferenceText("talos-config-schema-v1.14.0-rc.1.json");
        default:
            return undefined;
    }
}

/** Starts the server; `schemas` maps a release tag (e.g. `v1.12.1`) to the schema text served for it. */
export async function startSchemaServer(schemas: Record<string, string>): Promise<SchemaServer> {
    const requests: string[] = [];
    const hanging = new Set<http.ServerResponse>();
    const state: { fault: SchemaServerFault } = { fault: "none" };
    const server = http.createServer((req, res) => {
        const url = req.url ?? "/";
        requests.push(url);
        switch (state.fault) {
            case "503":
                res.writeHead(503, { "content-type": "text/plain" });
                res.end("Service Unavailable");
                return;
            case "html":
                res.writeHead(200, { "content-type": "text/html" });
                res.end("<!doctype html><html><body>Sign in to your network</body></html>");
                return;
            case "not-a-schema":
                res.writeHead(200, { "content-type": "application/json" });
                res.end(JSON.stringify({ message: "API rate limit exceeded" }));
                return;
            case "reset":
                req.socket.destroy();
                return;
            case "hang":
                hanging.add(res);
                return;
            default:
                break;
        }
        const m = /^\/siderolabs\/talos\/([^/]+)\/(.+)$/.exec(url);
        const text = m && m[2] === SCHEMA_FILE_PATH ? schemas[decodeURIComponent(m[1])] : undefined;
        if (text === undefined) {
            res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
            res.end("404: Not Found");
            return;
        }
        const body = state.fault === "truncated" ? text.slice(0, Math.floor(text.length / 2)) : text;
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const baseUrl = `http://127.0.0.1:${port}`;
    return {
        baseUrl,
        urlTemplate: `${baseUrl}/siderolabs/talos/{version}/${SCHEMA_FILE_PATH}`,
        requests,
        countFor: (tag) => requests.filter((r) => r === `/siderolabs/talos/${tag}/${SCHEMA_FILE_PATH}`).length,
        get fault() {
            return state.fault;
        },
        set fault(f: SchemaServerFault) {
            state.fault = f;
        },
        close: async () => {
            for (const res of hanging) res.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

/** A 127.0.0.1 URL template on a port nothing listens on (bound, then released). */
export async function deadUrlTemplate(): Promise<string> {
    const s = http.createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return `http://127.0.0.1:${port}/siderolabs/talos/{version}/${SCHEMA_FILE_PATH}`;
}
