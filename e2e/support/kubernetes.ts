/**
 * A small client of the stand-in cluster's real Kubernetes API server, from a kubeconfig (the stack's output):
 * GET/POST/DELETE JSON over HTTPS with the kubeconfig's CA and client certificate. Enough for the scenarios to
 * read what the program applied (pods Ready, objects present) and to try what it must not be able to do.
 */
import * as https from "https";
import * as YAML from "yaml";

interface KubeconfigDoc {
    "current-context"?: string;
    clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string } }[];
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    users?: { name: string; user: { "client-certificate-data"?: string; "client-key-data"?: string } }[];
}

/** What a request needs, read from a kubeconfig (its current context). */
export interface KubeAccess {
    server: string;
    ca: Buffer;
    cert: Buffer;
    key: Buffer;
}

const b64 = (s: string | undefined, what: string): Buffer => {
    if (!s) throw new Error(`kubeconfig has no ${what}`);
    return Buffer.from(s, "base64");
};

/** The current context's server and credentials (pure). */
export function kubeAccess(kubeconfigText: string): KubeAccess {
    const doc = YAML.parse(kubeconfigText) as KubeconfigDoc;
    const ctx = doc.contexts?.find((c) => c.name === doc["current-context"]) ?? doc.contexts?.[0];
    if (!ctx) throw new Error("kubeconfig has no context");
    const cluster = doc.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
    const user = doc.users?.find((u) => u.name === ctx.context.user)?.user;
    if (!cluster || !user) throw new Error(`kubeconfig context ${ctx.name} names no cluster or user`);
    return {
        server: cluster.server,
        ca: b64(cluster["certificate-authority-data"], "certificate-authority-data"),
        cert: b64(user["client-certificate-data"], "client-certificate-data"),
        key: b64(user["client-key-data"], "client-key-data"),
    };
}

export interface KubeResponse<T = unknown> {
    status: number;
    body: T;
}

/** Minimal shapes the scenarios read. */
export interface KubeObject {
    kind?: string;
    metadata: {
        name: string;
        namespace?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        [k: string]: unknown;
    };
    spec?: Record<string, any>;
    status?: Record<string, any>;
}
export interface KubeList<T = KubeObject> {
    items: T[];
}

export class KubeClient {
    private readonly agent: https.Agent;

    constructor(readonly access: KubeAccess) {
        this.agent = new https.Agent({ ca: access.ca, cert: access.cert, key: access.key, keepAlive: false });
    }

    static fromKubeconfig(text: string): KubeClient {
        return new KubeClient(kubeAccess(text));
    }

    request<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<KubeResponse<T>> {
        const url = new URL(path, this.access.server);
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    agent: this.agent,
                    headers: {
                        accept: "application/json",
                        ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
                    },
                    timeout: timeoutMs,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: unknown = text;
                        try {
                            parsed = text ? JSON.parse(text) : undefined;
                        } catch {
                            /* not JSON: keep the text */
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed as T });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${url.href}: no answer within ${timeoutMs} ms`)));
            req.on("error", reject);
            req.end(payload);
        });
    }

    /** GET that must succeed. */
    async get<T = KubeObject>(path: string): Promise<T> {
        const r = await this.request<T>("GET", path);
        if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
        return r.body;
    }

    async list<T = KubeObject>(path: string): Promise<T[]> {
        return (await this.get<KubeList<T>>(path)).items;
    }

    /** Pods of a namespace (optionally by label selector) that are Ready. */
    async readyPods(namespace: string, labelSelector?: string): Promise<KubeObject[]> {
        const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
        const pods = await this.list(`/api/v1/namespaces/${namespace}/pods${q}`);
        return pods.filter((p) => isReady(p));
    }

    close(): void {
        this.agent.destroy();
    }
}

/** Whether an object's `Ready` condition is True (pods, nodes). */
export function isReady(o: KubeObject): boolean {
    const conditions = (o.status?.conditions ?? []) as { type: string; status: string }[];
    return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/** Polls `probe` until it returns a value that is not undefined, or throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline)
            throw new Error(
                `${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ""}`,
            );
        await new Promise((r) => setTimeout(r, 500));
    }
}
