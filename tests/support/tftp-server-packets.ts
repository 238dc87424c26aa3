/**
 * The TFTP packets only a server sends (DATA, OACK), for the TFTP server stand-ins of the doctor's tests. The
 * client's own packets (RRQ, ACK, ERROR) and the decoder are components/doctor/tftp.ts's.
 */
import { OP_DATA, OP_OACK } from "../../components/doctor/tftp";

/** A DATA packet: block number (mod 65536) and payload. */
export function encodeData(block: number, data: Buffer): Buffer {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(OP_DATA, 0);
    h.writeUInt16BE(block & 0xffff, 2);
    return Buffer.concat([h, data]);
}

/** An OACK packet: the options the server accepts. */
export function encodeOack(options: Record<string, string | number>): Buffer {
    const parts: Buffer[] = [Buffer.from([0, OP_OACK])];
    for (const [k, v] of Object.entries(options)) {
        parts.push(Buffer.from(k, "ascii"), Buffer.from([0]), Buffer.from(String(v), "ascii"), Buffer.from([0]));
    }
    return Buffer.concat(parts);
}
