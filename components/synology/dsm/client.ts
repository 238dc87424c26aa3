/**
 * The DSM Web API client: File Station (folders, listings, the streamed upload, rename, delete, MD5, download) on
 * top of the transport (./transport.ts: discovery, login, sessions, retries). One instance per NAS and user per
 * process: use `getDsmClient` from ./registry.ts.
 *
 * The client speaks DSM, not the settings: a DSM object's reads and writes live with its resource
 * (../providers/<name>.ts), which passes its API use (./apis.ts) with each `call`.
 */
import type { AxiosResponse } from "axios";
import FormData from "form-data";
import { Readable, Transform } from "stream";
import { DsmError, DsmTransportError, isDsmError, SESSION_CODES } from "./errors";
import { decodeFileInfo, scalarText } from "./shapes";
import { FILE_APIS } from "./apis";
import { ApiInfo, DsmClientOptions, DsmTransport, Outcome, Session, sleep } from "./transport";
import type { DsmApi, DsmConnection, FileInfo, UploadOptions } from "./types";

/** The DSM client of the program, the probe and the commands (./types.ts `DsmApi`). */
export class DsmClient extends DsmTransport implements DsmApi {
    // Written out: Pulumi's function serialiser (a state from before the stored-provider shim, ../../dynamic.ts)
    // passes no arguments through the constructor a subclass gets implicitly.
    constructor(conn: DsmConnection, options: DsmClientOptions = {}) {
        super(conn, options);
    }

    async createFolder(parentPath: string, name: string, forceParent = false): Promise<void> {
        await this.request(FILE_APIS.createFolder, "create", {
            folder_path: [parentPath],
            name: [name],
            force_parent: forceParent,
        });
    }

    async getInfo(paths: string[]): Promise<Array<FileInfo | undefined>> {
        if (!paths.length) return [];
        const data = await this.request<{ files?: unknown[] }>(FILE_APIS.list, "getinfo", {
            path: paths,
            additional: ["real_path", "size", "time"],
        });
        const files = Array.isArray(data?.files) ? data.files : [];
        return paths.map((p, i) => {
            const byPath = files.find((f) => (f as { path?: unknown })?.path === p);
            return decodeFileInfo(byPath ?? files[i]);
        });
    }

    async list(folderPath: string): Promise<FileInfo[]> {
        const out: FileInfo[] = [];
        for (;;) {
            const data = await this.request<{ files?: unknown[]; total?: unknown }>(FILE_APIS.list, "list", {
                folder_path: folderPath,
                offset: out.length,
                limit: 1000,
                additional: ["size", "time"],
            });
            const files = Array.isArray(data?.files) ? data.files : [];
            for (const f of files) {
                const info = decodeFileInfo(f);
                if (info) out.push(info);
            }
            const total = Number(data?.total);
            if (files.length === 0 || !Number.isFinite(total) || out.length >= total) return out;
        }
    }

    async upload(dir: string, filename: string, body: Readable, size: number, opts: UploadOptions): Promise<void> {
        const api = "SYNO.FileStation.Upload";
        const { info, version } = await this.apiInfo(api, "upload");
        let stream: Readable | undefined = body;
        const data = await this.withRetries<unknown>(
            api,
            "upload",
            async (session) => {
                const next = stream ?? (await opts.reopen!()); // a retry happens only with reopen
                stream = undefined; // consumed
                return this.uploadOnce(info, version, session!, dir, filename, next, size, opts);
            },
            {
                retries: this.opts.retries,
                auth: true,
                cannotRetry: opts.reopen
                    ? undefined
                    : "not retried: the body stream is consumed (pass UploadOptions.reopen to allow retries)",
            },
        );
        const d = (data ?? {}) as Record<string, unknown>;
        if (d.blSkip === true || d.blSkip === 1 || d.blSkip === "true") {
            throw new DsmError(
                api,
                "upload",
                414,
                { blSkip: true },
                this.secrets(),
                `DSM skipped the upload of ${dir}/${filename} (blSkip): the file already exists and was not replaced`,
            );
        }
    }

    private async uploadOnce(
        info: ApiInfo,
        version: number,
        session: Session,
        dir: string,
        filename: string,
        body: Readable,
        size: number,
        opts: UploadOptions,
    ): Promise<Outcome<unknown>> {
        const api = "SYNO.FileStation.Upload";
        const http = await this.axiosInstance();
        let sent = 0;
        const counter = new Transform({
            transform(chunk: Buffer, _enc, cb) {
                sent += chunk.length;
                if (sent > size) {
                    cb(new Error(`the upload stream gave more than the announced ${size} bytes`));
                    return;
                }
                opts.onProgress?.(sent, size);
                cb(null, chunk);
            },
            flush(cb) {
                cb(
                    sent === size
                        ? null
                        : new Error(`the upload stream ended after ${sent} of the announced ${size} bytes`),
                );
            },
        });
        body.on("error", (e) => counter.destroy(e));
        body.pipe(counter);
        const form = new FormData();
        // Text fields first, the file part strictly last: DSM reads the stream in order.
        form.append("api", api);
        form.append("version", String(version));
        form.append("method", "upload");
        form.append("path", dir); // raw, not JSON
        form.append("create_parents", "true");
        form.append("overwrite", opts.overwrite ? "true" : "false");
        form.append("file", counter, { filename, knownLength: size, contentType: "application/octet-stream" });
        const length = form.getLengthSync();
        const query = new URLSearchParams({ api, version: String(version), method: "upload", _sid: session.sid });
        if (session.token) query.set("SynoToken", session.token);
        const headers: Record<string, string> = {
            ...form.getHeaders(),
            "Content-Length": String(length),
            Cookie: `id=${session.sid}`,
        };
        if (session.token) headers["X-SYNO-TOKEN"] = session.token;
        let res: AxiosResponse<string>;
        try {
            res = await http.post<string>(`/webapi/${info.path}?${query.toString()}`, form, {
                headers,
                timeout: this.opts.uploadTimeoutMs,
            });
        } catch (e) {
            // The attempt failed: release the caller's source (e.g. a download feeding this upload).
            body.unpipe(counter);
            body.destroy();
            const local = (e as Error)?.message ?? "";
            if (/announced \d+ bytes/.test(local))
                throw new DsmTransportError(api, "upload", "UPLOAD_SIZE_MISMATCH", local, this.secrets());
            throw await this.withCertificateHint(this.transportError(api, "upload", e));
        }
        return this.parseEnvelope(api, "upload", res);
    }

    async rename(path: string, newName: string): Promise<void> {
        await this.request(FILE_APIS.rename, "rename", { path: [path], name: [newName] });
    }

    async deletePaths(paths: string[]): Promise<void> {
        if (!paths.length) return;
        try {
            await this.request(FILE_APIS.delete, "delete", { path: paths, recursive: true });
        } catch (e) {
            if (!isDsmError(e, 408)) throw e;
            // Some are already gone: delete the rest (deleting is idempotent).
            const infos = await this.getInfo(paths);
            const left = paths.filter((_, i) => infos[i] !== undefined);
            if (left.length) await this.request(FILE_APIS.delete, "delete", { path: left, recursive: true });
        }
    }

    async md5(path: string): Promise<string> {
        const api = "SYNO.FileStation.MD5";
        const start = await this.request<{ taskid?: unknown }>(api, "start", { file_path: path });
        const taskid = scalarText(start?.taskid, "");
        if (!taskid) throw new DsmTransportError(api, "start", "NO_TASKID", "the MD5 start answer has no taskid");
        const deadline = Date.now() + this.opts.md5TimeoutMs;
        try {
            for (;;) {
                const st = await this.request<{ finished?: unknown; md5?: unknown }>(api, "status", { taskid });
                if (
                    st &&
                    (st.finished === true || st.finished === 1 || st.finished === "true") &&
                    typeof st.md5 === "string"
                )
                    return st.md5.toLowerCase();
                if (Date.now() > deadline)
                    throw new DsmTransportError(
                        api,
                        "status",
                        "ETIMEDOUT",
                        `MD5 of ${path} did not finish within ${this.opts.md5TimeoutMs} ms`,
                    );
                await sleep(this.opts.md5PollMs);
            }
        } finally {
            await this.request(api, "stop", { taskid }, { retries: 0 }).catch(() => undefined);
        }
    }

    async download(path: string): Promise<Readable> {
        const api = "SYNO.FileStation.Download";
        const { info, version } = await this.apiInfo(api, "download");
        let relogged = false;
        for (;;) {
            const session = await this.ensureSession();
            const http = await this.axiosInstance();
            // A GET with the path raw (as DSM's own clients send it); the session as for uploads.
            const query = new URLSearchParams({
                api,
                version: String(version),
                method: "download",
                path,
                mode: "download",
                _sid: session.sid,
            });
            const headers: Record<string, string> = { Cookie: `id=${session.sid}` };
            if (session.token) {
                query.set("SynoToken", session.token);
                headers["X-SYNO-TOKEN"] = session.token;
            }
            let res: AxiosResponse<Readable>;
            try {
                res = await http.get<Readable>(`/webapi/${info.path}?${query.toString()}`, {
                    headers,
                    responseType: "stream",
                    timeout: this.opts.timeoutMs,
                });
            } catch (e) {
                throw await this.withCertificateHint(this.transportError(api, "download", e));
            }
            if (res.status === 200 && !/json|text\//i.test(String(res.headers["content-type"] ?? ""))) return res.data;
            // Not the file: DSM answers an envelope (or an error page).
            const text = await readAtMost(res.data, 64 * 1024);
            const outcome = this.parseEnvelope<unknown>(api, "download", {
                ...res,
                data: text,
            } as AxiosResponse<string>);
            if (outcome.kind === "ok") {
                throw new DsmTransportError(
                    api,
                    "download",
                    "NOT_A_FILE",
                    `the NAS answered ${path} with a JSON envelope instead of the file`,
                    this.secrets(),
                );
            }
            if (SESSION_CODES.includes(outcome.code) && !relogged) {
                relogged = true;
                if (this.session === session) this.session = undefined;
                continue;
            }
            throw new DsmError(api, "download", outcome.code, outcome.details, this.secrets());
        }
    }
}

/** The first `limit` bytes of a stream as text (the rest is discarded). */
async function readAtMost(stream: Readable, limit: number): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of stream) {
        if (size < limit) chunks.push((c as Buffer).subarray(0, limit - size));
        size += (c as Buffer).length;
    }
    return Buffer.concat(chunks).toString("utf8");
}
