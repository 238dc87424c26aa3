/**
 * The PXE DHCP probe and the `dhcp.offer` check.
 *
 * - Packet encoding/decoding and the judgement of offers, as pure functions.
 * - Against REAL dnsmasq DHCP servers (configured like Synology's DHCP Server package writes its
 *   dhcpd-pxe.conf: a `PXEClient` vendor-class tag and a `dhcp-boot` for that tag), inside network
 *   namespaces this test creates: two server namespaces and a client namespace whose bridge joins
 *   both veth pairs, like one LAN segment. The probe runs in the client namespace (`ip netns exec`).
 *   One server → PASS naming the boot file; a second server → FAIL "2 DHCP servers answered".
 *   Addresses exist only inside the namespaces; nothing leaves the machine.
 */
import * as crypto from "crypto";
import * as path from "path";
import { judgeDhcpOffers } from "../../components/doctor/lan-checks";
import { macBytes } from "../../components/net";
import {
    decodeDhcp,
    DHCP_MAGIC,
    DhcpOffer,
    encodeDiscover,
    formatMac,
    offerFrom,
    pxeVendorClass,
    randomMac,
} from "../../components/doctor/dhcp";
import { describeWithDnsmasq, Dnsmasq } from "../support/dnsmasq";
import { NetLab, runNodeInNetns } from "../support/netns";

const ROOT = path.resolve(__dirname, "../..");

describe("DISCOVER packet", () => {
    const uuid = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    const pkt = encodeDiscover({ xid: 0xdeadbeef, mac: "02:AA:bb:cc:dd:01", arch: "amd64", uuid });
    const m = decodeDhcp(pkt);

    test("is a broadcast BOOTREQUEST DISCOVER of at least 300 bytes", () => {
        expect(pkt.length).toBeGreaterThanOrEqual(300);
        expect(pkt.readUInt32BE(236)).toBe(DHCP_MAGIC);
        expect(m).toMatchObject({ op: 1, xid: 0xdeadbeef, flags: 0x8000, chaddr: "02:aa:bb:cc:dd:01", messageType: 1 });
    });

    test("carries the PXE options: 60 PXEClient, 93 arch, 94 UNDI, 97 client id, 55 asking for 66 and 67", () => {
        expect(m.options.get(60)!.toString()).toBe("PXEClient:Arch:00007:UNDI:003016");
        expect([...m.options.get(93)!]).toEqual([0, 7]);
        expect([...m.options.get(94)!]).toEqual([1, 3, 16]);
        expect(m.options.get(97)!).toEqual(Buffer.concat([Buffer.from([0]), uuid]));
        expect([...m.options.get(55)!]).toEqual(expect.arrayContaining([66, 67, 1, 3, 6, 54]));
    });

    test("arm64 firmware announces architecture 11", () => {
        const a = decodeDhcp(encodeDiscover({ xid: 1, mac: randomMac(), arch: "arm64", uuid }));
        expect([...a.options.get(93)!]).toEqual([0, 11]);
        expect(pxeVendorClass("arm64")).toBe("PXEClient:Arch:00011:UNDI:003016");
    });

    test("random MACs are unicast and locally administered; bad MACs are refused", () => {
        for (let i = 0; i < 50; i++) {
            const b = macBytes(randomMac());
            expect(b[0] & 0x03).toBe(0x02);
        }
        expect(formatMac(macBytes("02-00-5E-10-00-01"))).toBe("02:00:5e:10:00:01");
        expect(() => macBytes("02:00:5e:10:00")).toThrow(/not a MAC address/);
    });
});

/** Builds an OFFER the way a server would, with options and optional overload. */
function offerPacket(o: {
    xid: number;
    mac: string;
    yiaddr: string;
    siaddr?: string;
    file?: string;
    options: Array<[number, Buffer]>;
    overloadFile?: boolean;
}): Buffer {
    const b = Buffer.alloc(240);
    b[0] = 2;
    b[1] = 1;
    b[2] = 6;
    b.writeUInt32BE(o.xid, 4);
    const ip = (s: string, off: number) =>
        s.split(".").forEach((x, i) => {
            b[off + i] = Number(x);
        });
    ip(o.yiaddr, 16);
    ip(o.siaddr ?? "0.0.0.0", 20);
    macBytes(o.mac).copy(b, 28);
    b.writeUInt32BE(DHCP_MAGIC, 236);
    const enc = (list: Array<[number, Buffer]>) =>
        Buffer.concat([...list.map(([c, v]) => Buffer.concat([Buffer.from([c, v.length]), v])), Buffer.from([255])]);
    if (o.overloadFile) {
        // Option 67 lives in the `file` field, announced by option 52 = 1.
        const inFile = enc(o.options.filter(([c]) => c === 67));
        inFile.copy(b, 108);
        return Buffer.concat([b, enc([[52, Buffer.from([1])], ...o.options.filter(([c]) => c !== 67)])]);
    }
    if (o.file) b.write(o.file, 108, "latin1");
    return Buffer.concat([b, enc(o.options)]);
}

describe("OFFER decoding", () => {
    const mac = "02:00:00:00:00:09";
    const sid = Buffer.from([10, 0, 0, 6]);

    test("boot file from the `file` field and TFTP server from siaddr (dnsmasq's dhcp-boot)", () => {
        const m = decodeDhcp(
            offerPacket({
                xid: 7,
                mac,
                yiaddr: "10.0.0.50",
                siaddr: "10.0.0.6",
                file: "metal-amd64-uki.efi",
                options: [
                    [53, Buffer.from([2])],
                    [54, sid],
                ],
            }),
        );
        expect(offerFrom(m, "10.0.0.6")).toEqual({
            serverId: "10.0.0.6",
            from: "10.0.0.6",
            yiaddr: "10.0.0.50",
            bootFile: "metal-amd64-uki.efi",
            tftpServer: "10.0.0.6",
            vendorClass: undefined,
            proxy: false,
        });
    });

    test("options 66/67 win over the header; option overload puts 67 in the file field", () => {
        const m = decodeDhcp(
            offerPacket({
                xid: 7,
                mac,
                yiaddr: "10.0.0.51",
                overloadFile: true,
                options: [
                    [53, Buffer.from([2])],
                    [54, sid],
                    [66, Buffer.from("10.0.0.7")],
                    [67, Buffer.from("boot/x.efi\0")],
                ],
            }),
        );
        expect(m.file).toBe("");
        expect(offerFrom(m, "10.0.0.6")).toMatchObject({ bootFile: "boot/x.efi", tftpServer: "10.0.0.7" });
    });

    test("a proxyDHCP answer offers no address; non-OFFERs are ignored", () => {
        const proxy = decodeDhcp(
            offerPacket({
                xid: 7,
                mac,
                yiaddr: "0.0.0.0",
                file: "ipxe.efi",
                options: [
                    [53, Buffer.from([2])],
                    [54, sid],
                    [60, Buffer.from("PXEClient")],
                ],
            }),
        );
        expect(offerFrom(proxy, "10.0.0.8")).toMatchObject({ proxy: true, vendorClass: "PXEClient" });
        const ack = decodeDhcp(offerPacket({ xid: 7, mac, yiaddr: "10.0.0.5", options: [[53, Buffer.from([5])]] }));
        expect(offerFrom(ack, "10.0.0.6")).toBeUndefined();
        expect(() => decodeDhcp(Buffer.alloc(100))).toThrow(/too short/);
    });
});

describe("judging offers", () => {
    const offer = (serverId: string, extra: Partial<DhcpOffer> = {}): DhcpOffer => ({
        serverId,
        from: serverId,
        yiaddr: "10.0.0.60",
        bootFile: "metal-amd64-uki.efi",
        tftpServer: serverId,
        proxy: false,
        ...extra,
    });
    const want = { bootFile: "metal-amd64-uki.efi", tftpServer: "10.0.0.6", dhcpInterface: "eth0", windowMs: 2000 };

    test("one server with the boot file → PASS naming it", () => {
        const r = judgeDhcpOffers({ offers: [offer("10.0.0.6")] }, want);
        expect(r.status).toBe("PASS");
        expect(r.detail).toMatch(/one DHCP server answered: 10\.0\.0\.6 .*boot file metal-amd64-uki\.efi/);
    });

    test("no server → FAIL naming the interface to enable", () => {
        const r = judgeDhcpOffers({ offers: [] }, want);
        expect(r).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/no DHCP server answered .* within 2\.0 s/),
        });
        expect(r.fix).toMatch(/eth0/);
    });

    test("two servers → FAIL telling to turn the other one off", () => {
        const r = judgeDhcpOffers({ offers: [offer("10.0.0.6"), offer("10.0.0.1", { bootFile: undefined })] }, want);
        expect(r.status).toBe("FAIL");
        expect(r.detail).toMatch(/^2 DHCP servers answered: 10\.0\.0\.6 .*10\.0\.0\.1 .*boot file none/);
        expect(r.fix).toMatch(/router/);
    });

    test("missing or wrong boot file, or another TFTP server → FAIL with the PXE setting to change", () => {
        expect(judgeDhcpOffers({ offers: [offer("10.0.0.6", { bootFile: undefined })] }, want)).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/offers no boot file/),
        });
        const wrong = judgeDhcpOffers({ offers: [offer("10.0.0.6", { bootFile: "pxelinux.0" })] }, want);
        expect(wrong).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/names boot file pxelinux\.0, expected metal-amd64-uki\.efi/),
        });
        expect(wrong.fix).toMatch(/boot loader to metal-amd64-uki\.efi/);
        expect(judgeDhcpOffers({ offers: [offer("10.0.0.6", { tftpServer: "10.0.0.99" })] }, want)).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/TFTP server 10\.0\.0\.99/),
        });
    });

    test("an offer naming no TFTP server sends the firmware to the DHCP server itself: another host than the NAS → FAIL", () => {
        // e.g. the router answers with the right boot file name but neither option 66 nor next-server.
        const r = judgeDhcpOffers({ offers: [offer("10.0.0.1", { tftpServer: undefined })] }, want);
        expect(r).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/sends PXE clients to TFTP server 10\.0\.0\.1 \(it names no TFTP server/),
        });
        // The NAS answering without naming itself is fine: the firmware asks 10.0.0.6 anyway.
        expect(judgeDhcpOffers({ offers: [offer("10.0.0.6", { tftpServer: undefined })] }, want).status).toBe("PASS");
    });

    test("a proxyDHCP next to one server is reported but is not a second server", () => {
        const r = judgeDhcpOffers(
            { offers: [offer("10.0.0.6"), offer("10.0.0.8", { proxy: true, yiaddr: "0.0.0.0" })] },
            want,
        );
        expect(r.status).toBe("PASS");
        expect(r.detail).toMatch(/proxyDHCP also answered: 10\.0\.0\.8/);
    });
});

// ------------------------------------------------------------------------------------------------
// Real dnsmasq DHCP servers in namespaces

const describeReal = describeWithDnsmasq("dhcp.test.ts", "DHCP");

describeReal("DHCP check against real dnsmasq servers in namespaces", () => {
    const lab = new NetLab("hd");
    const servers: Dnsmasq[] = [];
    // A private /24 that exists only inside this run's namespaces.
    const net = `10.${100 + crypto.randomInt(100)}.${crypto.randomInt(250)}`;
    const bootFile = "metal-amd64-uki.efi";
    let client: string;
    const serverNs: Array<{ ns: string; ifname: string; addr: string }> = [];

    beforeAll(() => {
        const a = lab.namespace("sa");
        const b = lab.namespace("sb");
        client = lab.namespace("c");
        const va = lab.veth("A", a, client, `${net}.1/24`);
        const vb = lab.veth("B", b, client, `${net}.2/24`);
        const br = lab.bridge("br", client, [va.b, vb.b], `${net}.200/24`);
        // A LAN host has a default route; the probe's 255.255.255.255 needs one to leave.
        lab.ip(client, ["route", "add", "default", "dev", br]);
        serverNs.push({ ns: a, ifname: va.a, addr: `${net}.1` }, { ns: b, ifname: vb.a, addr: `${net}.2` });
    });

    afterAll(async () => {
        for (const s of servers) await s.stop();
        const problems = lab.cleanup();
        expect(problems).toEqual([]);
        expect(lab.leftovers()).toEqual([]);
    });

    /** dnsmasq as Synology's DHCP Server package configures it for PXE with a local TFTP server. */
    async function startServer(i: number, lo: number, hi: number): Promise<void> {
        const s = serverNs[i];
        const d = new Dnsmasq({
            netns: s.ns,
            args: [
                "--port=0",
                `--interface=${s.ifname}`,
                "--bind-interfaces",
                "--no-ping",
                "--log-dhcp",
                `--dhcp-range=${net}.${lo},${net}.${hi},255.255.255.0,1h`,
                "--dhcp-vendorclass=set:pxe,PXEClient",
                `--dhcp-boot=tag:pxe,${bootFile}`,
            ],
            readyWhen: [/DHCP, IP range/],
        });
        servers.push(d);
        await d.start();
    }

    /**
     * In the client namespace: `checkDhcp` as doctor runs it (mode "check"), or the raw probe judged by
     * `judgeDhcpOffers` (mode "raw", to see the offers themselves).
     */
    function probeInClient(
        mode: "check" | "raw",
    ): Promise<{ check: { status: string; detail: string; fix?: string }; offers?: DhcpOffer[] }> {
        const code = `
const { checkDhcp, judgeDhcpOffers } = require("./components/doctor/lan-checks");
const { probeDhcp } = require("./components/doctor/dhcp");
(async () => {
  const want = { bootFile: ${JSON.stringify(bootFile)}, tftpServer: ${JSON.stringify(`${net}.1`)}, dhcpInterface: "eth0" };
  const probe = { windowMs: 1500, resendMs: 700 };
  if (${JSON.stringify(mode)} === "check") {
    console.log(JSON.stringify({ check: await checkDhcp(probe, want) }));
  } else {
    const raw = await probeDhcp(probe);
    console.log(JSON.stringify({ check: judgeDhcpOffers(raw, want), offers: raw.offers }));
  }
})();`;
        return runNodeInNetns(client, code, ROOT);
    }

    test("one server → PASS naming the boot file", async () => {
        await startServer(0, 50, 99);
        const r = await probeInClient("raw");
        expect(r.check.status).toBe("PASS");
        expect(r.check.detail).toContain(`one DHCP server answered: ${net}.1`);
        expect(r.check.detail).toContain(`boot file ${bootFile} from ${net}.1`);
        expect(r.offers).toHaveLength(1);
        const yi = Number(r.offers![0].yiaddr.split(".")[3]);
        expect(yi).toBeGreaterThanOrEqual(50);
        expect(yi).toBeLessThanOrEqual(99);
        // dnsmasq only hands out the boot file to the PXEClient vendor class: our option 60 worked.
        expect(servers[0].output).toMatch(/DHCPDISCOVER/);
        expect(servers[0].output).toMatch(/vendor class: PXEClient:Arch:00007:UNDI:003016/);
    }, 60_000);

    test("a machine with no route to the LAN → SKIP saying how to aim the probe", async () => {
        const lonely = lab.namespace("n");
        const r = await runNodeInNetns<{ status: string; detail: string; fix?: string }>(
            lonely,
            `
const { checkDhcp } = require("./components/doctor/lan-checks");
checkDhcp({ windowMs: 500 }, { bootFile: "x.efi" }).then((r) => console.log(JSON.stringify(r)));`,
            ROOT,
        );
        expect(r.status).toBe("SKIP");
        expect(r.detail).toMatch(/ENETUNREACH/);
        expect(r.fix).toMatch(/--dhcp-target/);
    }, 60_000);

    test('a second server on the segment → FAIL "2 DHCP servers answered"', async () => {
        await startServer(1, 100, 149);
        const r = await probeInClient("check");
        expect(r.check.status).toBe("FAIL");
        expect(r.check.detail).toMatch(/^2 DHCP servers answered: /);
        expect(r.check.detail).toContain(`${net}.1`);
        expect(r.check.detail).toContain(`${net}.2`);
        expect(r.check.fix).toMatch(/turn off the other one/);
    }, 60_000);
});
