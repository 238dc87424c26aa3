/**
 * Wake-on-LAN: the pure packet builder, the sender against a UDP listener on 127.0.0.1 (never a real
 * broadcast address), and the dynamic provider run the engine's way: its stored text loaded with
 * require-from-string in a fresh node process, check/create/diff/update/delete called there.
 */
import * as dgram from "dgram";
import { macBytes } from "../../components/net";
import { magicPacket, sendMagicPacket, WakeOnLan, assertWakeTarget } from "../../components/talos/wol";
import { runStoredText } from "../support/provider-host";

function listen(): Promise<{ port: number; packets: Buffer[]; waitFor(n: number): Promise<Buffer[]>; close(): void }> {
    return new Promise((resolve) => {
        const sock = dgram.createSocket("udp4");
        const packets: Buffer[] = [];
        const waiters: { n: number; resolve: (b: Buffer[]) => void }[] = [];
        sock.on("message", (msg) => {
            packets.push(msg);
            for (const w of waiters.filter((x) => packets.length >= x.n)) w.resolve(packets.slice());
        });
        sock.bind(0, "127.0.0.1", () =>
            resolve({
                port: (sock.address() as { port: number }).port,
                packets,
                waitFor: (n) =>
                    packets.length >= n
                        ? Promise.resolve(packets.slice())
                        : new Promise((r) => waiters.push({ n, resolve: r })),
                close: () => sock.close(),
            }),
        );
    });
}

describe("magic packet", () => {
    test("6 × 0xff then the MAC 16 times, 102 bytes", () => {
        const p = magicPacket("AA-bb-cc-dd-ee-0f");
        expect(p.length).toBe(102);
        expect([...p.subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
        for (let i = 0; i < 16; i++) {
            expect(p.subarray(6 + 6 * i, 12 + 6 * i).toString("hex")).toBe("aabbccddee0f");
        }
    });

    test("bad MACs are rejected with the value named", () => {
        expect(() => macBytes("aa:bb:cc:dd:ee")).toThrow(/"aa:bb:cc:dd:ee" is not a MAC address/);
        expect(() => magicPacket("zz:bb:cc:dd:ee:ff")).toThrow(/not a MAC/);
        expect(macBytes("aabb.ccdd.eeff").toString("hex")).toBe("aabbccddeeff");
    });

    test("the resource asserts what it relies on; the words for users are the config's", () => {
        expect(() => assertWakeTarget("aa:bb:cc:dd:ee:ff", "192.168.0.255")).not.toThrow();
        expect(() => assertWakeTarget("nope", "192.168.0.255")).toThrow(/"nope" is not a MAC address/);
        expect(() => assertWakeTarget("aa:bb:cc:dd:ee:ff", "192.168.0.300")).toThrow(
            /"192\.168\.0\.300" is not IPv4 \(parseStackConfig checks cluster\.wakeOnLanBroadcast\)/,
        );
    });
});

describe("sender", () => {
    test("sends `repeat` magic packets to the configured address and port", async () => {
        const l = await listen();
        try {
            const n = await sendMagicPacket("aa:bb:cc:dd:ee:01", { address: "127.0.0.1", port: l.port, repeat: 2 });
            expect(n).toBe(2);
            const got = await l.waitFor(2);
            expect(got.map((b) => b.equals(magicPacket("aa:bb:cc:dd:ee:01")))).toEqual([true, true]);
        } finally {
            l.close();
        }
    });

    test("a bad MAC rejects before any socket is opened", async () => {
        await expect(sendMagicPacket("x", { address: "127.0.0.1", port: 9 })).rejects.toThrow(/not a MAC/);
    });
});

describe("dynamic provider, run the engine's way", () => {
    test("from its stored text in a fresh node process: defaults, create, diff, update, delete", async () => {
        const l = await listen();
        try {
            const port = l.port;
            const run = await runStoredText(
                WakeOnLan.providerText,
                {
                    A: { mac: "aa:bb:cc:dd:ee:02", address: "127.0.0.1", port, repeat: 1 },
                    moved: { mac: "aa:bb:cc:dd:ee:02", address: "127.0.0.2", port, repeat: 1 },
                    other: { mac: "aa:bb:cc:dd:ee:03", address: "127.0.0.1", port, repeat: 1 },
                    B: { mac: "aa:bb:cc:dd:ee:04", address: "127.0.0.1", port, repeat: 1 },
                    defaults: { mac: "aa:bb:cc:dd:ee:05", address: "127.0.0.1" },
                },
                [
                    { op: "create", inputs: "A" },
                    { op: "diff", news: "A" },
                    { op: "diff", news: "moved" },
                    { op: "diff", news: "other" },
                    { op: "update", news: "B" },
                    { op: "delete" },
                    { op: "check", news: "defaults" },
                ],
            );
            expect(run.results.map((r) => r.ok)).toEqual([true, true, true, true, true, true, true]);
            const [created, same, moved, other, updated, , checked] = run.results.map(
                (r) => r.result as Record<string, any>,
            );
            expect(created.id).toBe("wol-aa:bb:cc:dd:ee:02");
            expect(created.outs).toEqual({
                mac: "aa:bb:cc:dd:ee:02",
                address: "127.0.0.1",
                port,
                repeat: 1,
                packetsSent: 1,
            });
            expect(same.changes).toBe(false);
            expect(moved).toMatchObject({ changes: true, replaces: [] });
            expect(other).toMatchObject({ changes: true, replaces: ["mac"] });
            expect(updated.outs.mac).toBe("aa:bb:cc:dd:ee:04");
            expect(checked.inputs).toMatchObject({ port: 9, repeat: 3 });
            const got = await l.waitFor(2);
            expect(got[0].equals(magicPacket("aa:bb:cc:dd:ee:02"))).toBe(true);
            expect(got[1].equals(magicPacket("aa:bb:cc:dd:ee:04"))).toBe(true);
        } finally {
            l.close();
        }
    });
});
