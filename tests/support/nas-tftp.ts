/**
 * The NAS's TFTP service as a real TFTP server on loopback (UDP), serving the DSM simulator's files the way DSM's
 * service serves a shared folder: read requests only (RFC 1350, every mode sent as octets), with the `blksize` and
 * `tsize` options (RFC 2348, 2349) when the client asks, answered from the files under the simulator's TFTP settings
 * (`state.tftp`): nothing while `enable` is off (an ERROR says so, where DSM would not answer at all), a name taken
 * relative to `root_path` (a leading `/` ignored), never a path above it (`..`: access violation), a missing file or a
 * folder "file not found". So the end-to-end suite reads over the network, with the doctor's own client
 * (components/doctor/tftp.ts), exactly what a machine on the LAN could read from the NAS. Not modelled: DSM's client
 * range (startip/endip) and write requests (the program sets the service read-only).
 */
import * as dgram from "dgram";
import { decodePacket, encodeError, OP_ACK, OP_RRQ, TftpPacket } from "../../components/doctor/tftp";
import type { DsmSimulator } from "./dsm-simulator";
import { encodeData, encodeOack } from "./tftp-server-packets";

/** One read request, as the server answered it. */
export interface NasTftpRead {
    file: string;
    /** The File Station path it resolved to, when it did. */
    path?: string;
    /** Undefined when the file was served; else the ERROR sent. */
    error?: string;
}

export interface NasTftp {
    host: string;
    port: number;
    reads: NasTftpRead[];
    close(): Promise<void>;
}

/** The File Station folder `root_path` (`/volume1/pxe[/sub]`) stands for, or undefined when no shared folder holds it. */
export function tftpRootFolder(sim: DsmSimulator): string | undefined {
    const rootPath = sim.state.tftp.root_path;
    const root = (typeof rootPath === "string" ? rootPath : "").replace(/\/+$/, "");
    for (const s of Object.values(sim.state.shares)) {
        const base = `${s.vol_path}/${s.name}`;
        if (root === base || root.startsWith(`${base}/`)) return `/${s.name}${root.slice(base.length)}`;
    }
    return undefined;
}

type Resolved = { path: string; bytes: Buffer } | { code: number; message: string; path?: string };

function resolve(sim: DsmSimulator, file: string): Resolved {
    const t = sim.state.tftp;
    if (!(t.enable === true || t.enable === 1 || t.enable === "1" || t.enable === "true"))
        return { code: 0, message: "the TFTP service is off" };
    const folder = tftpRootFolder(sim);
    if (folder === undefined) return { code: 2, message: "the TFTP root is in no shared folder" };
    const parts = file.replace(/^\/+/, "").split("/");
    if (parts.some((p) => p === ".." || p === "")) return { code: 2, message: "access violation" };
    const path = `${folder}/${parts.join("/")}`;
    const f = sim.getFile(path);
    if (!f || f.isdir) return { code: 1, message: "File not found", path };
    if (!f.bytes) return { code: 0, message: `${path} was stored without its bytes (raise keepBytesUpTo)`, path };
    return { path, bytes: f.bytes };
}

/** Starts the server; `close` stops it and every transfer in flight. */
export async function startNasTftp(sim: DsmSimulator, host = "127.0.0.1"): Promise<NasTftp> {
    const reads: NasTftpRead[] = [];
    /** How to end each transfer in flight. */
    const open = new Set<() => void>();
    const main = dgram.createSocket("udp4");
    await new Promise<void>((ok, fail) => {
        main.once("error", fail);
        main.bind(0, host, () => ok());
    });

    const serve = (pkt: { filename: string; options: Record<string, string> }, peer: dgram.RemoteInfo): void => {
        const sock = dgram.createSocket("udp4"); // a transfer ID of its own (RFC 1350)
        const end = () => {
            if (!open.delete(end)) return;
            if (timer) clearTimeout(timer);
            sock.close();
        };
        open.add(end);
        const send = (b: Buffer) => sock.send(b, peer.port, peer.address);
        let timer: NodeJS.Timeout | undefined;
        let last: Buffer | undefined;
        let tries = 0;
        const sendAndWait = (b: Buffer) => {
            last = b;
            tries = 0;
            send(b);
            arm();
        };
        const arm = () => {
            if (timer) clearTimeout(timer);
            timer = setTimeout(() => {
                if (++tries > 5 || !last) return end();
                send(last);
                arm();
            }, 500);
        };
        sock.on("error", end);
        sock.bind(0, host, () => {
            const r = resolve(sim, pkt.filename);
            if ("code" in r) {
                reads.push({ file: pkt.filename, path: r.path, error: `${r.code} ${r.message}` });
                send(encodeError(r.code, r.message));
                setTimeout(end, 50);
                return;
            }
            reads.push({ file: pkt.filename, path: r.path });
            const asked = Number(pkt.options.blksize);
            const blksize = Number.isInteger(asked) && asked >= 8 ? Math.min(asked, 65464) : 512;
            const blocks = Math.floor(r.bytes.length / blksize) + 1; // the last one is shorter than blksize
            const block = (n: number) => encodeData(n, r.bytes.subarray((n - 1) * blksize, n * blksize));
            let next = 1;
            sock.on("message", (msg) => {
                let ack: TftpPacket;
                try {
                    ack = decodePacket(msg);
                } catch {
                    return;
                }
                if (ack.op !== OP_ACK) return end(); // an ERROR from the client, or nonsense: the transfer is over
                if (ack.block !== (next - 1) % 65536) return; // a duplicate ACK: the timer resends if needed
                if (next > blocks) return end();
                sendAndWait(block(next++));
            });
            const options: Record<string, string | number> = {};
            if (pkt.options.blksize !== undefined) options.blksize = blksize;
            if (pkt.options.tsize !== undefined) options.tsize = r.bytes.length;
            if (Object.keys(options).length > 0)
                sendAndWait(encodeOack(options)); // the client ACKs block 0
            else sendAndWait(block(next++));
        });
    };

    main.on("message", (msg, peer) => {
        let pkt: TftpPacket;
        try {
            pkt = decodePacket(msg);
        } catch {
            return;
        }
        if (pkt.op === OP_RRQ) serve(pkt, peer);
        else main.send(encodeError(4, "only read requests are served"), peer.port, peer.address);
    });

    return {
        host,
        port: (main.address() as { port: number }).port,
        reads,
        close: async () => {
            for (const end of [...open]) end();
            await new Promise<void>((ok) => main.close(() => ok()));
        },
    };
}
