/**
 * A small TFTP client: read one file (RFC 1350 RRQ, octet mode), with the option extension of
 * RFC 2347 asking for `blksize` (RFC 2348) and `tsize` (RFC 2349). When the server answers with an
 * OACK the negotiated values are used; when it answers straight with DATA (no option support) the
 * transfer continues with 512-byte blocks; when it refuses the options (ERROR 8) the request is
 * sent again without them. Lost packets are handled by bounded retransmission of the last packet.
 *
 * The file is not kept in memory unless asked: size and MD5 are computed as blocks arrive.
 */
import * as crypto from "crypto";
import * as dgram from "dgram";

export const OP_RRQ = 1;
export const OP_WRQ = 2;
export const OP_DATA = 3;
export const OP_ACK = 4;
export const OP_ERROR = 5;
export const OP_OACK = 6;

/** Classic block size (RFC 1350). */
export const DEFAULT_BLKSIZE = 512;

export type TftpPacket =
    | { op: typeof OP_RRQ | typeof OP_WRQ; filename: string; mode: string; options: Record<string, string> }
    | { op: typeof OP_DATA; block: number; data: Buffer }
    | { op: typeof OP_ACK; block: number }
    | { op: typeof OP_ERROR; code: number; message: string }
    | { op: typeof OP_OACK; options: Record<string, string> };

/** An RRQ: `| 01 | filename | 0 | mode | 0 | opt1 | 0 | value1 | 0 | ... |`. Option names lower-case. */
export function encodeRrq(filename: string, options: Record<string, string | number> = {}, mode = "octet"): Buffer {
    const parts: Buffer[] = [Buffer.from([0, OP_RRQ])];
    const z = Buffer.from([0]);
    parts.push(Buffer.from(filename, "utf8"), z, Buffer.from(mode, "ascii"), z);
    for (const [k, v] of Object.entries(options)) {
        parts.push(Buffer.from(k.toLowerCase(), "ascii"), z, Buffer.from(String(v), "ascii"), z);
    }
    return Buffer.concat(parts);
}

export function encodeAck(block: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(OP_ACK, 0);
    b.writeUInt16BE(block & 0xffff, 2);
    return b;
}

export function encodeError(code: number, message: string): Buffer {
    return Buffer.concat([
        Buffer.from([0, OP_ERROR, (code >> 8) & 0xff, code & 0xff]),
        Buffer.from(message, "utf8"),
        Buffer.from([0]),
    ]);
}

/** Split NUL-terminated strings; a missing final NUL is tolerated. */
function cstrings(buf: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
        if (buf[i] === 0) {
            out.push(buf.subarray(start, i).toString("utf8"));
            start = i + 1;
        }
    }
    if (start < buf.length) out.push(buf.subarray(start).toString("utf8"));
    return out;
}

function optionPairs(strings: string[]): Record<string, string> {
    const opts: Record<string, string> = {};
    for (let i = 0; i + 1 < strings.length; i += 2) opts[strings[i].toLowerCase()] = strings[i + 1];
    return opts;
}

/** Parses one TFTP packet; throws on a packet too short or with an unknown opcode. */
export function decodePacket(buf: Buffer): TftpPacket {
    if (buf.length < 2) throw new Error(`TFTP packet too short (${buf.length} bytes)`);
    const op = buf.readUInt16BE(0);
    switch (op) {
        case OP_RRQ:
        case OP_WRQ: {
            const s = cstrings(buf.subarray(2));
            return { op, filename: s[0] ?? "", mode: (s[1] ?? "").toLowerCase(), options: optionPairs(s.slice(2)) };
        }
        case OP_DATA:
            if (buf.length < 4) throw new Error("TFTP DATA packet too short");
            return { op, block: buf.readUInt16BE(2), data: buf.subarray(4) };
        case OP_ACK:
            if (buf.length < 4) throw new Error("TFTP ACK packet too short");
            return { op, block: buf.readUInt16BE(2) };
        case OP_ERROR:
            if (buf.length < 4) throw new Error("TFTP ERROR packet too short");
            return { op, code: buf.readUInt16BE(2), message: cstrings(buf.subarray(4))[0] ?? "" };
        case OP_OACK:
            return { op, options: optionPairs(cstrings(buf.subarray(2))) };
        default:
            throw new Error(`unknown TFTP opcode ${op}`);
    }
}

/** TFTP error codes (RFC 1350 + 2347). */
export const TFTP_ERROR_NAMES: Record<number, string> = {
    0: "not defined",
    1: "file not found",
    2: "access violation",
    3: "disk full",
    4: "illegal TFTP operation",
    5: "unknown transfer ID",
    6: "file already exists",
    7: "no such user",
    8: "option negotiation refused",
};

export class TftpError extends Error {
    /** TFTP error code when the server sent an ERROR packet; undefined for timeouts and local errors. */
    readonly tftpCode?: number;
    /** `server` (ERROR packet), `timeout`, `protocol` (unexpected packet) or `socket`. */
    readonly kind: "server" | "timeout" | "protocol" | "socket";
    constructor(kind: TftpError["kind"], message: string, tftpCode?: number) {
        super(message);
        this.name = "TftpError";
        this.kind = kind;
        this.tftpCode = tftpCode;
    }
}

export interface TftpGetOptions {
    host: string;
    /** Server port. Default 69. */
    port?: number;
    /** Block size to ask for (8..65464). Default 1468 (fits a 1500-byte Ethernet MTU). 0 = ask for no options at all. */
    blksize?: number;
    /** Ask the server for the file size (`tsize`). Default true. */
    tsize?: boolean;
    /** Wait this long for each packet before retransmitting. Default 1000 ms. */
    timeoutMs?: number;
    /** Retransmissions of one packet before giving up. Default 5. */
    retries?: number;
    /** Keep the file's bytes in the result. Default false. */
    keepData?: boolean;
    /** Abort when more than this many bytes arrive. Default: no limit. */
    maxBytes?: number;
}

export interface TftpGetResult {
    size: number;
    /** Lower-case hex. */
    md5: string;
    /** The block size used for the transfer. */
    blksize: number;
    /** `tsize` the server announced in its OACK, if any. */
    tsize?: number;
    /** Options the server acknowledged (empty when it did not support options). */
    negotiated: Record<string, string>;
    /** Packets sent again after a timeout. */
    retransmits: number;
    data?: Buffer;
}

/** Reads `filename` from a TFTP server. Rejects with a TftpError. */
export async function tftpGet(filename: string, opts: TftpGetOptions): Promise<TftpGetResult> {
    const blk = opts.blksize ?? 1468;
    const wantOptions = blk > 0;
    const options: Record<string, string | number> = {};
    if (wantOptions) {
        if (blk < 8 || blk > 65464) throw new TftpError("protocol", `blksize ${blk} is outside 8..65464 (RFC 2348)`);
        options.blksize = blk;
        if (opts.tsize !== false) options.tsize = 0;
    }
    try {
        return await transfer(filename, opts, options);
    } catch (e) {
        // RFC 2347: a server that refuses the options answers ERROR 8; ask again without them.
        if (wantOptions && e instanceof TftpError && e.kind === "server" && e.tftpCode === 8) {
            return transfer(filename, opts, {});
        }
        throw e;
    }
}

function transfer(
    filename: string,
    opts: TftpGetOptions,
    options: Record<string, string | number>,
): Promise<TftpGetResult> {
    const port = opts.port ?? 69;
    const timeoutMs = opts.timeoutMs ?? 1000;
    const retries = opts.retries ?? 5;
    const family = opts.host.includes(":") ? "udp6" : "udp4";
    const sock = dgram.createSocket(family);
    const hash = crypto.createHash("md5");
    const chunks: Buffer[] = [];

    return new Promise<TftpGetResult>((resolve, reject) => {
        let serverTid: number | undefined;
        let blksize = DEFAULT_BLKSIZE;
        let tsize: number | undefined;
        let negotiated: Record<string, string> = {};
        let expected = 1; // next DATA block number (mod 65536)
        let size = 0;
        let lastPacket = encodeRrq(filename, options);
        let lastPort = port;
        let tries = 0;
        let retransmits = 0;
        let timer: NodeJS.Timeout | undefined;
        let done = false;

        const finish = (err?: Error, result?: TftpGetResult) => {
            if (done) return;
            done = true;
            if (timer) clearTimeout(timer);
            try {
                sock.close();
            } catch {
                /* already closed */
            }
            if (err) reject(err);
            else resolve(result!);
        };
        const send = (buf: Buffer, toPort: number) => {
            sock.send(buf, toPort, opts.host, (err) => {
                if (err) finish(new TftpError("socket", `TFTP send to ${opts.host}:${toPort} failed: ${err.message}`));
            });
        };
        const arm = () => {
            if (timer) clearTimeout(timer);
            timer = setTimeout(onTimeout, timeoutMs);
        };
        const sendLast = (buf: Buffer, toPort: number) => {
            lastPacket = buf;
            lastPort = toPort;
            tries = 0;
            send(buf, toPort);
            arm();
        };
        function onTimeout() {
            if (done) return;
            if (tries >= retries) {
                const what =
                    serverTid === undefined
                        ? "no answer to the read request"
                        : `no DATA block ${expected} after ${size} bytes`;
                finish(
                    new TftpError(
                        "timeout",
                        `TFTP ${opts.host}:${port} ${filename}: ${what} (${retries} retransmits, ${timeoutMs} ms each)`,
                    ),
                );
                return;
            }
            tries++;
            retransmits++;
            send(lastPacket, lastPort);
            arm();
        }
        const complete = () => {
            finish(undefined, {
                size,
                md5: hash.digest("hex"),
                blksize,
                tsize,
                negotiated,
                retransmits,
                data: opts.keepData ? Buffer.concat(chunks) : undefined,
            });
        };

        sock.on("error", (err) => finish(new TftpError("socket", `TFTP socket error: ${err.message}`)));
        sock.on("message", (msg, rinfo) => {
            if (done) return;
            if (serverTid !== undefined && rinfo.port !== serverTid) {
                // RFC 1350: a packet from another TID gets ERROR 5 and does not disturb the transfer.
                send(encodeError(5, "unknown transfer ID"), rinfo.port);
                return;
            }
            let pkt: TftpPacket;
            try {
                pkt = decodePacket(msg);
            } catch (e) {
                finish(
                    new TftpError(
                        "protocol",
                        `TFTP: bad packet from ${rinfo.address}:${rinfo.port}: ${(e as Error).message}`,
                    ),
                );
                return;
            }
            if (serverTid === undefined) serverTid = rinfo.port;

            if (pkt.op === OP_ERROR) {
                const name = TFTP_ERROR_NAMES[pkt.code] ?? `code ${pkt.code}`;
                finish(new TftpError("server", `TFTP server error ${pkt.code} (${name}): ${pkt.message}`, pkt.code));
                return;
            }
            if (pkt.op === OP_OACK) {
                if (expected !== 1 || size !== 0) return; // duplicate OACK after data started: ignore
                negotiated = pkt.options;
                if (pkt.options.blksize !== undefined) {
                    const b = Number(pkt.options.blksize);
                    const asked = Number(options.blksize);
                    if (!Number.isInteger(b) || b < 8 || (Number.isFinite(asked) && b > asked)) {
                        send(encodeError(8, "bad blksize in OACK"), rinfo.port);
                        finish(
                            new TftpError(
                                "protocol",
                                `TFTP server answered blksize=${pkt.options.blksize}, more than asked (${asked})`,
                            ),
                        );
                        return;
                    }
                    blksize = b;
                }
                if (pkt.options.tsize !== undefined) {
                    const t = Number(pkt.options.tsize);
                    if (Number.isFinite(t) && t >= 0) tsize = t;
                }
                sendLast(encodeAck(0), rinfo.port);
                return;
            }
            if (pkt.op === OP_DATA) {
                if (pkt.block === (expected & 0xffff)) {
                    size += pkt.data.length;
                    if (opts.maxBytes !== undefined && size > opts.maxBytes) {
                        send(encodeError(3, "file larger than expected"), rinfo.port);
                        finish(
                            new TftpError("protocol", `TFTP: more than ${opts.maxBytes} bytes arrived for ${filename}`),
                        );
                        return;
                    }
                    hash.update(pkt.data);
                    if (opts.keepData) chunks.push(Buffer.from(pkt.data));
                    const ack = encodeAck(pkt.block);
                    if (pkt.data.length < blksize) {
                        // Last block: acknowledge once and stop (the server retransmits if the ACK is lost,
                        // and a dallying client is optional per RFC 1350).
                        send(ack, rinfo.port);
                        complete();
                        return;
                    }
                    expected++;
                    sendLast(ack, rinfo.port);
                } else if (pkt.block === ((expected - 1) & 0xffff)) {
                    // Duplicate of the previous block (our ACK was lost): acknowledge it again,
                    // without re-arming (avoids the sorcerer's apprentice syndrome).
                    send(encodeAck(pkt.block), rinfo.port);
                }
                return;
            }
            finish(new TftpError("protocol", `TFTP: unexpected opcode ${pkt.op} from the server`));
        });

        sock.bind(0, () => sendLast(lastPacket, port));
    });
}
