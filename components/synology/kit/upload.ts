/**
 * What an upload into File Station needs besides the upload itself, the same for the boot file
 * (../providers/bootfile.ts) and the etcd snapshots (components/backups/store.ts): progress messages, the check of
 * what arrived against what was sent (size, File Station's own MD5), and the clean-up of a temporary file when
 * something failed.
 */
import type { DsmApi } from "../dsm/types";

/** Progress reporter: a message each time another `stepPercent` of the total has gone through. */
export function progressReporter(
    label: string,
    total: number,
    log: (m: string) => void,
    stepPercent = 10,
): (bytes: number) => void {
    let next = stepPercent;
    return (bytes: number) => {
        const pct = total > 0 ? Math.floor((bytes * 100) / total) : 100;
        if (pct >= next) {
            log(`${label}: ${bytes} of ${total} bytes (${pct}%)`);
            next = (Math.floor(pct / stepPercent) + 1) * stepPercent;
        }
    };
}

/** Delete `path` if it is there; never throws (used while another error is on its way up). */
export async function bestEffortDelete(client: DsmApi, path: string): Promise<void> {
    try {
        const [info] = await client.getInfo([path]);
        if (info) {
            await client.deletePaths([path]);
        }
    } catch {
        // The original error matters more; a leftover temp file is visible in File Station.
    }
}

/**
 * Check an uploaded file against what went out: it is on the NAS, `sent.size` bytes, and File Station's own MD5
 * of it is `sent.md5`. `who` names the source in the errors ("the factory sent N", "the download hashed to X").
 */
export async function verifyUploaded(
    client: DsmApi,
    path: string,
    sent: { size: number; md5: string },
    who: { sender: string; hasher: string },
): Promise<void> {
    const [info] = await client.getInfo([path]);
    if (!info) {
        throw new Error(`verification failed: the uploaded ${path} is not on the NAS`);
    }
    if (info.size !== sent.size) {
        throw new Error(
            `verification failed: ${path} is ${info.size} bytes on the NAS, ${who.sender} sent ${sent.size}`,
        );
    }
    const remoteMd5 = (await client.md5(path)).toLowerCase();
    if (remoteMd5 !== sent.md5) {
        throw new Error(
            `verification failed: MD5 mismatch for ${path}: the NAS computed ${remoteMd5}, ${who.hasher} hashed to ${sent.md5}`,
        );
    }
}
