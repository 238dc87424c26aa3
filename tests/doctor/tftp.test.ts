/**
 * The TFTP client and the `tftp.transfer` check.
 *
 * - Against a REAL dnsmasq (Debian's dnsmasq-base). dnsmasq's TFTP listen port is fixed at 69, so each
 *   run starts it in its own network namespace, on that namespace's 127.0.0.1:69, and runs the client
 *   there too (a child `node` under `ip netns exec`): no port clash with anything on the host.
 * - Against scripted TFTP servers on the host's 127.0.0.1 (random ports) for what a healthy dnsmasq
 *   never does: no option support, refused options, lost packets, silence, block-number rollover.
 */
import * as crypto from "crypto";
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    decodePacket,
    encodeAck,
    encodeError,
    encodeRrq,
    OP_ACK,
    OP_RRQ,
    TftpError,
    tftpGet,
} from "../../components/doctor/tftp";
import { checkTftpTransfer } from "../../components/doctor/lan-checks";
import { encodeData, encodeOack } from "../support/tftp-server-packets";
import { describeWithDnsmasq, Dnsmasq } from "../support/dnsmasq";
import { NetLab, runNodeInNetns } from "../support/netns";

const ROOT = path.resolve(__dirname, "../..");
const md5 = (b: Buffer) => crypto.createHash("md5").update(b).digest("hex");

describe("packets", () => {
    test("RRQ carries file, octet mode and lower-case options, and decodes back", () => {
        const b = encodeRrq("metal-amd64-uki.efi", { BLKSIZE: 1468, tsize: 0 });
        expect(b.subarray(0, 2)).toEqual(Buffer.from([0, 1]));
        expect(b.toString("latin1")).toContain("\0octet\0blksize\x001468\0tsize\x000\0");
        expect(decodePacket(b)).toEqual({
            op: OP_RRQ,
            filename: "metal-amd64-uki.efi",
            mode: "octet",
            options: { blksize: "1468", tsize: "0" },
        });
    });

    test("DATA, ACK, ERROR and OACK round-trip; block numbers wrap at 16 bits", () => {
        expect(decodePacket(encodeData(65536 + 3, Buffer.from("ab")))).toEqual({
            op: 3,
            block: 3,
            data: Buffer.from("ab"),
        });
        expect(decodePacket(encodeAck(65535))).toEqual({ op: OP_ACK, block: 65535 });
        expect(decodePacket(encodeError(1, "File not found"))).toEqual({ op: 5, code: 1, message: "File not found" });
        expect(decodePacket(encodeOack({ blksize: 1024, tsize: 77 }))).toEqual({
            op: 6,
            options: { blksize: "1024", tsize: "77" },
        });
    });

    test("malformed packets are rejected", () => {
        expect(() => decodePacket(Buffer.from([0]))).toThrow(/too short/);
        expect(() => decodePacket(Buffer.from([0, 9, 0, 0]))).toThrow(/unknown TFTP opcode 9/);
        expect(() => decodePacket(Buffer.from([0, 3, 0]))).toThrow(/DATA/);
    });
});

// ------------------------------------------------------------------------------------------------
// Scripted servers on 127.0.0.1

interface ScriptedServer {
    port: number;
    requests: Array<Record<string, string>>;
    /** Every packet the server received on any socket. */
    received: number;
    close(): Promise<void>;
}

interface ScriptOptions {
    file: Buffer;
    /** "oack": honour blksize/tsize; "none": ignore options (RFC 1350 only); "refuse": ERROR 8 when options are sent. */
    options: "oack" | "none" | "refuse";
    /** Drop the first N RRQs (the client must retransmit). */
    dropRrqs?: number;
    /** Drop the first ACK for this block number once (the client must retransmit it). */
    dropAckOnce?: number;
    /** Never answer at all. */
    silent?: boolean;
    /** Before DATA block 2, send a DATA packet from a stranger port (must get ERROR 5, not disturb). */
    stranger?: boolean;
}

/** A TFTP server that behaves like a real one (new TID per transfer, lock-step, retransmit on timeout). */
async function scriptedServer(o: ScriptOptions): Promise<ScriptedServer> {
    const main = dgram.createSocket("udp4");
    const sockets: dgram.Socket[] = [main];
    const state = { requests: [] as Array<Record<string, string>>, received: 0 };
    let rrqsSeen = 0;
    let ackDropped = false;
    main.on("message", (msg, rinfo) => {
        state.received++;
        if (o.silent) return;
        const p = decodePacket(msg);
        if (p.op !== OP_RRQ) return;
        state.requests.push(p.options);
        if (rrqsSeen++ < (o.dropRrqs ?? 0)) return;
        const hasOpts = Object.keys(p.options).length > 0;
        const t = dgram.createSocket("udp4");
        sockets.push(t);
        t.bind(0, "127.0.0.1", () => {
            const send = (b: Buffer) => t.send(b, rinfo.port, rinfo.address);
            if (o.options === "refuse" && hasOpts) {
                send(encodeError(8, "options refused"));
                return;
            }
            let blk = 512;
            const useOack = o.options === "oack" && hasOpts;
            if (useOack && p.options.blksize) blk = Math.min(Number(p.options.blksize), 65464);
            const blocks = Math.floor(o.file.length / blk) + 1; // the last one is short, possibly empty
            const dataOf = (n: number) =>
                encodeData(n, o.file.subarray((n - 1) * blk, Math.min(n * blk, o.file.length)));
            let current = 0;
            let last: Buffer;
            const emit = (n: number) => {
                current = n;
                last =
                    n === 0
                        ? encodeOack({
                              ...(p.options.blksize ? { blksize: blk } : {}),
                              ...(p.options.tsize ? { tsize: o.file.length } : {}),
                          })
                        : dataOf(n);
                send(last);
            };
            const retx = setInterval(() => {
                if (last) send(last);
            }, 300);
            t.on("close", () => clearInterval(retx));
            t.on("message", (m) => {
                state.received++;
                const a = decodePacket(m);
                if (a.op !== OP_ACK) return;
                if (o.dropAckOnce !== undefined && a.block === o.dropAckOnce && !ackDropped) {
                    ackDropped = true;
                    return;
                }
                if (a.block !== (current & 0xffff)) return;
                if (current >= blocks) {
                    clearInterval(retx);
                    return;
                }
                if (o.stranger && current + 1 === 2) {
                    const s = dgram.createSocket("udp4");
                    sockets.push(s);
                    s.bind(0, "127.0.0.1", () => s.send(encodeData(2, Buffer.from("evil")), rinfo.port, rinfo.address));
                }
                emit(current + 1);
            });
            emit(useOack ? 0 : 1);
        });
    });
    await new Promise<void>((r) => main.bind(0, "127.0.0.1", () => r()));
    return {
        port: main.address().port,
        get requests() {
            return state.requests;
        },
        get received() {
            return state.received;
        },
        close: () => {
            for (const s of sockets) {
                try {
                    s.close();
                } catch {
                    /* closed */
                }
            }
            return Promise.resolve();
        },
    };
}

describe("client against scripted servers on 127.0.0.1", () => {
    const file = crypto.randomBytes(5000);
    const servers: ScriptedServer[] = [];
    const start = async (o: ScriptOptions) => {
        const s = await scriptedServer(o);
        servers.push(s);
        return s;
    };
    afterAll(async () => {
        for (const s of servers) await s.close();
    });

    test("negotiates blksize and tsize when the server OACKs", async () => {
        const s = await start({ file, options: "oack" });
        const r = await tftpGet("f", { host: "127.0.0.1", port: s.port, blksize: 1024, keepData: true });
        expect(s.requests[0]).toEqual({ blksize: "1024", tsize: "0" });
        expect(r).toMatchObject({
            size: 5000,
            blksize: 1024,
            tsize: 5000,
            md5: md5(file),
            negotiated: { blksize: "1024", tsize: "5000" },
        });
        expect(r.data!.equals(file)).toBe(true);
    });

    test("falls back to 512-byte blocks when the server ignores options", async () => {
        const s = await start({ file, options: "none" });
        const r = await tftpGet("f", { host: "127.0.0.1", port: s.port, blksize: 1468 });
        expect(r).toMatchObject({ size: 5000, blksize: 512, md5: md5(file), negotiated: {} });
        expect(r.tsize).toBeUndefined();
    });

    test("asks again without options when the server refuses them (ERROR 8)", async () => {
        const s = await start({ file, options: "refuse" });
        const r = await tftpGet("f", { host: "127.0.0.1", port: s.port });
        expect(s.requests).toEqual([{ blksize: "1468", tsize: "0" }, {}]);
        expect(r).toMatchObject({ size: 5000, blksize: 512, md5: md5(file) });
    });

    test("a file that is an exact multiple of the block size ends with an empty block", async () => {
        const exact = crypto.randomBytes(1024 * 3);
        const s = await start({ file: exact, options: "oack" });
        const r = await tftpGet("f", { host: "127.0.0.1", port: s.port, blksize: 1024 });
        expect(r).toMatchObject({ size: 3072, md5: md5(exact) });
        const empty = await start({ file: Buffer.alloc(0), options: "none" });
        expect(await tftpGet("f", { host: "127.0.0.1", port: empty.port })).toMatchObject({
            size: 0,
            md5: md5(Buffer.alloc(0)),
        });
    });

    test("the check fails an empty boot file even when no size or MD5 is known to compare with", async () => {
        const empty = await start({ file: Buffer.alloc(0), options: "oack" });
        const r = await checkTftpTransfer({ host: "127.0.0.1", port: empty.port, file: "metal-amd64-uki.efi" });
        expect(r).toMatchObject({
            id: "tftp.transfer",
            status: "FAIL",
            detail: expect.stringMatching(/sent an empty file \(0 bytes\)/),
            fix: expect.stringMatching(/pulumi up/),
        });
        const full = await start({ file, options: "oack" });
        expect(
            (await checkTftpTransfer({ host: "127.0.0.1", port: full.port, file: "metal-amd64-uki.efi" })).status,
        ).toBe("PASS");
    });

    test("retransmits a lost RRQ and a lost ACK, and ignores a stranger's packet", async () => {
        const s = await start({ file, options: "oack", dropRrqs: 1, dropAckOnce: 2, stranger: true });
        const r = await tftpGet("f", { host: "127.0.0.1", port: s.port, blksize: 512, timeoutMs: 150, retries: 5 });
        expect(r).toMatchObject({ size: 5000, md5: md5(file) });
        expect(s.requests.length).toBe(2);
        expect(r.retransmits).toBeGreaterThanOrEqual(1);
    });

    test("gives up after the bounded number of retransmits when nobody answers", async () => {
        const s = await start({ file, options: "oack", silent: true });
        const err = await tftpGet("f", { host: "127.0.0.1", port: s.port, timeoutMs: 50, retries: 3 }).catch((e) => e);
        expect(err).toBeInstanceOf(TftpError);
        expect(err.kind).toBe("timeout");
        expect(err.message).toMatch(/no answer to the read request \(3 retransmits/);
        expect(s.received).toBe(4); // the RRQ and exactly 3 retransmits
    });

    test("stops when more bytes arrive than allowed", async () => {
        const s = await start({ file, options: "oack" });
        const err = await tftpGet("f", { host: "127.0.0.1", port: s.port, maxBytes: 3000 }).catch((e) => e);
        expect(err).toBeInstanceOf(TftpError);
        expect(err.message).toMatch(/more than 3000 bytes/);
    });

    test("block numbers roll over past 65535", async () => {
        // 8-byte blocks: 65536 full blocks + a short one = a rollover to block 0.
        const big = crypto.randomBytes(8 * 65536 + 5);
        const s = await start({ file: big, options: "oack" });
        const r = await tftpGet("f", { host: "127.0.0.1", port: s.port, blksize: 8 });
        expect(r).toMatchObject({ size: big.length, md5: md5(big) });
    }, 60_000);

    test("refuses an impossible blksize before sending anything", async () => {
        await expect(tftpGet("f", { host: "127.0.0.1", port: 9, blksize: 4 })).rejects.toThrow(/outside 8..65464/);
    });
});

// ------------------------------------------------------------------------------------------------
// Real dnsmasq, in namespaces

// Visible in the test output when the real-server tests below are skipped, and why.
const describeReal = describeWithDnsmasq("tftp.test.ts", "TFTP");

describeReal("check against a real dnsmasq TFTP server", () => {
    const lab = new NetLab("ht");
    const servers: Dnsmasq[] = [];
    let dir: string;
    let nsFull: string;
    let nsPlain: string;
    const boot = crypto.randomBytes(700_001);
    const bootFile = "metal-amd64-uki.efi";

    beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-tftp-"));
        fs.writeFileSync(path.join(dir, bootFile), boot);
        nsFull = lab.namespace("f");
        nsPlain = lab.namespace("p");
        const common = [
            "--port=0",
            "--enable-tftp",
            `--tftp-root=${dir}`,
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
        ];
        const full = new Dnsmasq({ netns: nsFull, args: common, readyWhen: [/TFTP root is/] });
        servers.push(full);
        await full.start();
        const plain = new Dnsmasq({
            netns: nsPlain,
            args: [...common, "--tftp-no-blocksize"],
            readyWhen: [/TFTP root is/],
        });
        servers.push(plain);
        await plain.start();
    });

    afterAll(async () => {
        for (const s of servers) await s.stop();
        const problems = lab.cleanup();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        expect(problems).toEqual([]);
        expect(lab.leftovers()).toEqual([]);
    });

    /** Runs checkTftpTransfer (and the raw client) for each case inside `ns`. */
    function inNs(ns: string, cases: object[]): Promise<any[]> {
        const code = `
const { checkTftpTransfer } = require("./components/doctor/lan-checks");
const { tftpGet } = require("./components/doctor/tftp");
(async () => {
  const out = [];
  for (const c of ${JSON.stringify(cases)}) {
    const check = await checkTftpTransfer({ host: "127.0.0.1", timeoutMs: c.timeoutMs ?? 500, retries: 2, ...c });
    let raw;
    try { const r = await tftpGet(c.file, { host: "127.0.0.1", blksize: c.blksize, timeoutMs: c.timeoutMs ?? 500, retries: 2 }); raw = { size: r.size, md5: r.md5, blksize: r.blksize, tsize: r.tsize, negotiated: r.negotiated }; }
    catch (e) { raw = { error: e.message, code: e.tftpCode }; }
    out.push({ check, raw });
  }
  console.log(JSON.stringify(out));
})();`;
        return runNodeInNetns<any[]>(ns, code, ROOT);
    }

    test("the boot file comes over with the right size and MD5, blksize negotiated", async () => {
        const [ok, missing, wrongSize, wrongMd5, big] = await inNs(nsFull, [
            { file: bootFile, tftpRoot: dir, expectedSize: boot.length, expectedMd5: md5(boot) },
            { file: "missing.efi", tftpRoot: dir },
            { file: bootFile, expectedSize: boot.length + 10 },
            { file: bootFile, expectedMd5: "0".repeat(32) },
            { file: bootFile, blksize: 8192, expectedSize: boot.length },
        ]);
        expect(ok.check.status).toBe("PASS");
        expect(ok.check.detail).toContain(`${boot.length} bytes, md5 ${md5(boot)}`);
        expect(ok.raw).toMatchObject({ size: boot.length, md5: md5(boot), blksize: 1468, tsize: boot.length });

        expect(missing.check.status).toBe("FAIL");
        expect(missing.check.detail).toMatch(/missing\.efi: file not found on the TFTP server/);
        expect(missing.check.fix).toMatch(/put missing\.efi in the TFTP root/);
        expect(missing.raw.code).toBe(1);

        expect(wrongSize.check.status).toBe("FAIL");
        expect(wrongSize.check.detail).toMatch(
            new RegExp(`${boot.length} bytes arrived, expected ${boot.length + 10}`),
        );

        expect(wrongMd5.check.status).toBe("FAIL");
        expect(wrongMd5.check.detail).toMatch(new RegExp(`MD5 ${md5(boot)} differs`));

        // dnsmasq may answer a smaller blksize than asked (RFC 2348 allows it; it caps by the interface MTU).
        expect(big.raw).toMatchObject({ size: boot.length, md5: md5(boot) });
        expect(big.raw.blksize).toBeGreaterThan(1468);
        expect(big.raw.blksize).toBeLessThanOrEqual(8192);
        expect(Number(big.raw.negotiated.blksize)).toBe(big.raw.blksize);
        expect(big.check.status).toBe("PASS");
    }, 60_000);

    test("a server without the blocksize option still delivers the file in 512-byte blocks", async () => {
        const [ok] = await inNs(nsPlain, [{ file: bootFile, expectedSize: boot.length, expectedMd5: md5(boot) }]);
        expect(ok.check.status).toBe("PASS");
        expect(ok.raw.blksize).toBe(512);
        expect(ok.raw.negotiated.blksize).toBeUndefined();
        expect(ok.raw.md5).toBe(md5(boot));
    }, 60_000);

    test("no TFTP server → FAIL with the fix naming the NAS's TFTP service", async () => {
        const nsEmpty = lab.namespace("e");
        const [r] = await inNs(nsEmpty, [{ file: bootFile, timeoutMs: 150 }]);
        expect(r.check.status).toBe("FAIL");
        // On a closed port loopback answers ICMP port-unreachable or nothing: either way a clear failure.
        expect(r.check.fix).toMatch(/TFTP/);
    }, 60_000);
});
