/**
 * The boot file: the Talos UKI streamed from the Image Factory straight into File Station.
 *
 * No temp file on the machine running Pulumi, no buffering: the download stream goes through an MD5/byte
 * counter into the client's multipart upload, under a temporary name. Then it is verified (bytes received
 * vs Content-Length, size on the NAS, File Station's MD5 vs the one computed while streaming) and only
 * then put in place: the previous file is moved aside, the new one renamed over the final name, the
 * previous one deleted. Any failure removes the temporary file and leaves the previous boot file as it was.
 *
 * A boot file of the user's own found under the same name by the first create is not deleted: it is kept as
 * `<fileName>.before-homelab` beside it and renamed back when the resource is deleted.
 */
import type * as pulumi from "@pulumi/pulumi";
import axios from "axios";
import { createHash, randomBytes } from "crypto";
import { Transform } from "stream";
import type { Readable } from "stream";
import type { DsmApi } from "../dsm/types";
import { dsmResource, DsmResourceProps, DsmSession } from "../kit/resource";
import { whileEngineAlive } from "../kit/engine-watch";
import { bestEffortDelete, progressReporter, verifyUploaded } from "../kit/upload";

export interface BootFileInputs extends DsmResourceProps {
    /** The factory URL of the UKI (`<factory>/image/<id>/<version>/metal-<arch>-uki.efi`). */
    ukiUrl: string;
    schematicId: string;
    talosVersion: string;
    arch: string;
    /** Shared folder (the TFTP root), e.g. `pxe`; the file goes to `/<share>/<fileName>`. */
    share: string;
    /** Boot file name, `metal-<arch>-uki.efi`. */
    fileName: string;
}

export interface BootFileOutputs extends BootFileInputs {
    /** File Station path of the boot file. */
    path: string;
    /** Size and MD5 of what was uploaded and verified. */
    size: number;
    md5: string;
    /** What the NAS had at the last read (or right after the upload). */
    present: boolean;
    actualSize: number;
    actualMd5: string;
    /** A `<fileName>.before-homelab` (the file found there before this program) is to be put back on delete. */
    keptPrevious?: boolean;
}

/** Where a boot file found under the final name before this program is kept. */
export function keptPreviousName(fileName: string): string {
    return `${fileName}.before-homelab`;
}

/** Inputs whose change means a new image: replace. */
export const BOOTFILE_REPLACE_KEYS: Array<keyof BootFileInputs> = [
    "schematicId",
    "talosVersion",
    "arch",
    "share",
    "fileName",
];

/** Pure diff: new image → replace; file changed or deleted on the NAS → update (upload again). */
export function diffBootFile(olds: BootFileOutputs, news: BootFileInputs): pulumi.dynamic.DiffResult {
    const replaces = BOOTFILE_REPLACE_KEYS.filter((k) => olds[k] !== news[k]) as string[];
    if (replaces.length > 0) {
        return { changes: true, replaces, deleteBeforeReplace: false };
    }
    return { changes: bootFileDrift(olds) !== undefined || olds.ukiUrl !== news.ukiUrl };
}

/** Why the NAS's file differs from what was uploaded, or undefined when it matches. */
export function bootFileDrift(o: BootFileOutputs): string | undefined {
    if (!o.present) {
        return `${o.path} is missing on the NAS`;
    }
    if (o.actualSize !== o.size) {
        return `${o.path} is ${o.actualSize} bytes on the NAS, expected ${o.size}`;
    }
    if (o.actualMd5 !== o.md5) {
        return `${o.path} has MD5 ${o.actualMd5} on the NAS, expected ${o.md5}`;
    }
    return undefined;
}

export function checkBootFile(news: Partial<BootFileInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.ukiUrl !== "string" || !/^https?:\/\//.test(news.ukiUrl)) {
        failures.push({
            property: "ukiUrl",
            reason: `ukiUrl "${String(news.ukiUrl)}" must be an http(s) URL of the factory's UKI`,
        });
    }
    for (const k of ["schematicId", "talosVersion", "arch", "share"] as const) {
        if (typeof news[k] !== "string" || news[k] === "") {
            failures.push({ property: k, reason: `${k} is required` });
        }
    }
    if (typeof news.fileName !== "string" || !/^[A-Za-z0-9._-]+$/.test(news.fileName)) {
        failures.push({
            property: "fileName",
            reason: `boot file name "${String(news.fileName)}" must be a plain file name like metal-amd64-uki.efi`,
        });
    }
    return failures;
}

/** One download of the UKI, piped through an MD5/byte counter. */
interface Download {
    /** The counted stream to upload. */
    stream: Readable;
    /** Content-Length. */
    total: number;
    received(): number;
    digest(): string;
    /** Stop it on purpose (not a failure). */
    destroy(): void;
    /** Stop it as a failure with `reason` (the upload fed by it fails with it). */
    abort(reason: Error): void;
}

async function openDownload(
    url: string,
    label: string,
    log: (message: string) => void,
    onFailure: (e: Error) => void,
): Promise<Download> {
    let response;
    try {
        response = await axios.get<Readable>(url, {
            responseType: "stream",
            maxRedirects: 5,
            validateStatus: () => true,
            decompress: false,
            timeout: 120_000,
        });
    } catch (err) {
        throw new Error(`downloading ${url} failed: ${(err as Error).message}`);
    }
    const source = response.data;
    if (response.status !== 200) {
        source.destroy();
        throw new Error(`downloading ${url} failed: the factory answered HTTP ${response.status}`);
    }
    const total = Number(response.headers["content-length"]);
    if (!Number.isSafeInteger(total) || total <= 0) {
        source.destroy();
        throw new Error(
            `downloading ${url} failed: no usable Content-Length (${String(response.headers["content-length"])}); DSM needs the size up front`,
        );
    }
    const hash = createHash("md5");
    let received = 0;
    let stopped = false;
    let failed = false;
    const report = progressReporter(label, total, log);
    const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            received += chunk.length;
            report(received);
            cb(null, chunk);
        },
        flush(cb) {
            if (received === total) {
                cb(null);
                return;
            }
            const err = new Error(`download of ${url} ended after ${received} of ${total} bytes (Content-Length)`);
            failed = true;
            onFailure(err);
            cb(err);
        },
    });
    const fail = (e: Error) => {
        if (stopped || failed) {
            return;
        }
        failed = true;
        const err = new Error(`download of ${url} interrupted after ${received} of ${total} bytes: ${e.message}`);
        meter.destroy(err);
        onFailure(err);
    };
    source.on("error", fail);
    source.on("aborted", () => fail(new Error("connection aborted")));
    meter.on("error", (e: Error) => {
        if (!/^download of /.test(e.message)) {
            fail(e);
        }
    });
    source.pipe(meter);
    return {
        stream: meter,
        total,
        received: () => received,
        digest: () => hash.digest("hex"),
        destroy: () => {
            stopped = true;
            source.destroy();
            meter.destroy();
        },
        abort: (reason: Error) => {
            if (stopped || failed) {
                return;
            }
            failed = true;
            source.destroy();
            meter.destroy(reason);
            onFailure(reason);
        },
    };
}

/** Names this program gives its own transient files beside the boot file: `.part-<hex>` uploads, `.old-<hex>` backups. */
export function isTransientName(fileName: string, candidate: string): boolean {
    const base = fileName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`^${base}\\.(part|old)-[0-9a-f]{8}$`).test(candidate);
}

/**
 * Remove what an interrupted earlier run left beside the boot file: an upload killed mid-way (`.part-*`) or a
 * swap cut between its two renames (`.old-*`). Neither is ever served (PXE names the final file only), but
 * they take space and would pile up.
 */
async function removeStrayFiles({ client, log }: DsmSession, dir: string, fileName: string): Promise<void> {
    const stray = (await client.list(dir))
        .filter((f) => !f.isdir && isTransientName(fileName, f.name))
        .map((f) => f.path);
    if (stray.length > 0) {
        log(
            `boot file: removing ${stray.length} file(s) an interrupted earlier run left in ${dir}: ${stray.join(", ")}`,
        );
        await client.deletePaths(stray);
    }
}

/**
 * Download `ukiUrl` into `/<share>/<fileName>` as described at the top. Returns the verified size and MD5.
 * An upload cut on the NAS side (reset, busy, expired session) is retried by the client with a fresh
 * download (`reopen`); a failed download is not retried.
 */
export async function streamBootFile(
    nas: DsmSession,
    inputs: BootFileInputs,
    keepPrevious = false,
): Promise<{ size: number; md5: string; keptPrevious: boolean }> {
    // If the engine that started this provider goes away, the download (and so the upload) stops with this reason.
    let aborted: Error | undefined;
    let current: Download | undefined;
    return whileEngineAlive(
        (reason) => {
            aborted = reason;
            current?.abort(reason);
        },
        () =>
            streamBootFileOnce(
                nas,
                inputs,
                keepPrevious,
                () => aborted,
                (d) => (current = d),
            ),
    );
}

async function streamBootFileOnce(
    nas: DsmSession,
    inputs: BootFileInputs,
    keepPrevious: boolean,
    aborted: () => Error | undefined,
    downloading: (d: Download) => void,
): Promise<{ size: number; md5: string; keptPrevious: boolean }> {
    const dir = `/${inputs.share}`;
    const finalPath = `${dir}/${inputs.fileName}`;
    const tmpName = `${inputs.fileName}.part-${randomBytes(4).toString("hex")}`;
    const tmpPath = `${dir}/${tmpName}`;
    const label = `uploading ${inputs.fileName}`;

    let downloadError: Error | undefined;
    let rejectDownload: (e: Error) => void = () => undefined;
    const downloadFailed = new Promise<never>((_resolve, reject) => {
        rejectDownload = reject;
    });
    downloadFailed.catch(() => undefined);
    const onFailure = (e: Error) => {
        if (!downloadError) {
            downloadError = e;
            rejectDownload(e);
        }
    };

    const { client, log } = nas;
    await removeStrayFiles(nas, dir, inputs.fileName);
    let current = await openDownload(inputs.ukiUrl, label, log, onFailure);
    downloading(current);
    const stopIfAborted = () => {
        const reason = aborted();
        if (reason) {
            throw reason;
        }
    };
    const total = current.total;
    let attempts = 1;
    const reopen = async (): Promise<Readable> => {
        if (downloadError) {
            throw downloadError;
        }
        current.destroy();
        attempts++;
        log(`${label}: the NAS cut the upload; downloading again (attempt ${attempts})`);
        const next = await openDownload(inputs.ukiUrl, label, log, onFailure);
        if (next.total !== total) {
            next.destroy();
            throw new Error(`the factory now sends ${next.total} bytes for ${inputs.ukiUrl}, before ${total}`);
        }
        current = next;
        downloading(next);
        return next.stream;
    };

    try {
        stopIfAborted();
        log(`uploading ${inputs.ukiUrl} (${total} bytes) to ${tmpPath}`);
        const upload = client.upload(dir, tmpName, current.stream, total, { overwrite: true, reopen });
        try {
            await Promise.race([upload, downloadFailed]);
        } catch (err) {
            // Let the upload settle (the client sees the destroyed stream) before cleaning up.
            await upload.catch(() => undefined);
            if (downloadError) {
                throw downloadError;
            }
            throw new Error(
                `upload of ${tmpPath} failed after ${current.received()} of ${total} bytes` +
                    `${attempts > 1 ? ` (${attempts} attempts)` : ""}: ${(err as Error).message}`,
            );
        }
        if (downloadError) {
            throw downloadError;
        }
        if (current.received() !== total) {
            throw new Error(
                `download of ${inputs.ukiUrl} gave ${current.received()} bytes, Content-Length said ${total}`,
            );
        }
        const md5 = current.digest();
        await verifyUploaded(client, tmpPath, { size: total, md5 }, { sender: "the factory", hasher: "the download" });
        stopIfAborted(); // last point to stop: the swap below is three quick calls, not cut half-way on purpose
        const keptPrevious = await swapIntoPlace(nas, dir, tmpPath, inputs.fileName, finalPath, keepPrevious, {
            size: total,
            md5,
        });
        log(`boot file ${finalPath} in place (${total} bytes, md5 ${md5})`);
        return { size: total, md5, keptPrevious };
    } catch (err) {
        current.destroy();
        await bestEffortDelete(client, tmpPath);
        throw err;
    }
}

/**
 * Move the previous file aside, rename the new one into place, then delete the previous one; with
 * `keepPrevious` and no `<fileName>.before-homelab` yet, the previous file is kept under that name instead.
 * Returns whether a `.before-homelab` file is there (to be put back on delete).
 */
async function swapIntoPlace(
    { client, log }: DsmSession,
    dir: string,
    tmpPath: string,
    fileName: string,
    finalPath: string,
    keepPrevious: boolean,
    uploaded: { size: number; md5: string },
): Promise<boolean> {
    const keptPath = `${dir}/${keptPreviousName(fileName)}`;
    const [existing, kept] = await client.getInfo([finalPath, keptPath]);
    let backupPath: string | undefined;
    let keep = false;
    if (existing) {
        // The very bytes just uploaded are no user's file: an earlier run of this program put them there and
        // was interrupted before the engine recorded it (then the state forgot it, e.g. --clear-pending-creates).
        const ours =
            existing.size === uploaded.size &&
            keepPrevious &&
            !kept &&
            (await client.md5(finalPath)).toLowerCase() === uploaded.md5;
        keep = keepPrevious && !kept && !ours;
        const backupName = keep ? keptPreviousName(fileName) : `${fileName}.old-${randomBytes(4).toString("hex")}`;
        await client.rename(finalPath, backupName);
        backupPath = `${dir}/${backupName}`;
    }
    try {
        await client.rename(tmpPath, fileName);
    } catch (err) {
        if (backupPath) {
            await client.rename(backupPath, fileName).catch(() => undefined);
        }
        throw new Error(`renaming ${tmpPath} to ${fileName} failed: ${(err as Error).message}`);
    }
    if (keep) {
        log(`boot file: the file found at ${finalPath} is kept as ${keptPath} and put back on delete`);
    } else if (backupPath) {
        try {
            await client.deletePaths([backupPath]);
        } catch (err) {
            log(`could not delete the previous boot file ${backupPath}: ${(err as Error).message}`);
        }
    }
    return keepPrevious && (keep || kept !== undefined);
}

async function readActual(
    client: DsmApi,
    props: BootFileOutputs,
): Promise<Pick<BootFileOutputs, "present" | "actualSize" | "actualMd5">> {
    const [info] = await client.getInfo([props.path]);
    if (!info) {
        return { present: false, actualSize: 0, actualMd5: "" };
    }
    // MD5 only when the size matches: a different size is drift already, and MD5 of a big file costs NAS time.
    const actualMd5 = info.size === props.size ? (await client.md5(props.path)).toLowerCase() : "";
    return { present: true, actualSize: info.size, actualMd5 };
}

function outputsOf(inputs: BootFileInputs, r: { size: number; md5: string }, keptPrevious: boolean): BootFileOutputs {
    return {
        ...inputs,
        path: `/${inputs.share}/${inputs.fileName}`,
        size: r.size,
        md5: r.md5,
        present: true,
        actualSize: r.size,
        actualMd5: r.md5,
        keptPrevious,
    };
}

/** Create: upload (keeping a file of the user's found under the name). Update: upload again only on drift. */
async function apply(nas: DsmSession, inputs: BootFileInputs, olds?: BootFileOutputs): Promise<BootFileOutputs> {
    if (!olds) {
        const r = await streamBootFile(nas, inputs, true);
        return outputsOf(inputs, r, r.keptPrevious);
    }
    const drift = bootFileDrift(olds);
    if (drift === undefined) {
        // Only the URL or the connection changed: the bytes on the NAS are the right ones.
        return { ...olds, ...inputs };
    }
    nas.log(`boot file: ${drift}; uploading again`);
    return outputsOf(inputs, await streamBootFile(nas, inputs), olds.keptPrevious === true);
}

/** Delete this resource's file, unless a replacement has put other content there; put a kept file of the user's back. */
async function restore({ client, log }: DsmSession, props: BootFileOutputs): Promise<void> {
    const keptPath = `/${props.share}/${keptPreviousName(props.fileName)}`;
    const [info, kept] = await client.getInfo([props.path, keptPath]);
    const ours = async (f: { size: number } | undefined, path: string) =>
        f !== undefined && f.size === props.size && (await client.md5(path)).toLowerCase() === props.md5;
    if (info && !(await ours(info, props.path))) {
        // A replacement (create-before-delete) has already put a new image under the same name: leave
        // it. If that replacement kept these bytes as the "previous" file (there was no user's file to
        // keep), they are this resource's own: delete them.
        log(`boot file ${props.path} now holds other content; leaving it`);
        if (!props.keptPrevious && (await ours(kept, keptPath))) {
            await client.deletePaths([keptPath]);
        }
        return;
    }
    if (info) {
        await client.deletePaths([props.path]);
    }
    if (props.keptPrevious && kept) {
        log(`boot file: putting back the file found before, ${keptPath} → ${props.path}`);
        await client.rename(keptPath, props.fileName);
    }
}

/** The boot file as a Pulumi resource. */
export class SynologyBootFile extends dsmResource<BootFileInputs, BootFileOutputs>({
    type: "BootFile",
    file: __filename,
    apis: [], // File Station only: the client's own (../dsm/apis.ts FILE_APIS)
    outputs: ["path", "size", "md5", "present", "actualSize", "actualMd5", "keptPrevious"],
    what: (i) => `boot file /${i.share}/${i.fileName}`,
    onDelete: "deleting",
    id: (i) => `/${i.share}/${i.fileName}`,
    check: checkBootFile,
    diff: diffBootFile,
    apply,
    read: async ({ client }, props) => ({ ...props, ...(await readActual(client, props)) }),
    restore,
}) {}
