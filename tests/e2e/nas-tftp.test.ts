/**
 * The NAS's TFTP service as the end-to-end suite reads it (tests/support/nas-tftp.ts), read with the doctor's own
 * client over UDP on loopback: it serves exactly the files under the simulator's TFTP root, byte for byte (with and
 * without options, across several blocks), and nothing above the root, nothing in another shared folder, nothing
 * while the service is off.
 */
import { createHash } from "crypto";
import { tftpGet, TftpError } from "../../components/doctor/tftp";
import { DsmSimulator, simShare, startDsmSimulator } from "../support/dsm-simulator";
import { NasTftp, startNasTftp, tftpRootFolder } from "../support/nas-tftp";

let sim: DsmSimulator;
let tftp: NasTftp;
const BOOT = Buffer.alloc(70_000, 7); // more than one block of 1468, and of 512
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const get = (file: string, blksize?: number) =>
    tftpGet(file, { host: tftp.host, port: tftp.port, timeoutMs: 300, retries: 2, keepData: true, blksize });
const refusal = async (file: string) => ((await get(file).catch((e: unknown) => e)) as TftpError).message;

beforeEach(async () => {
    sim = await startDsmSimulator({
        users: { admin: "pw-tftp-1" },
        keepBytesUpTo: 1024 * 1024,
        state: { shares: { pxe: simShare("pxe"), "talos-backups": simShare("talos-backups") } },
    });
    sim.state.tftp = { ...sim.state.tftp, enable: true, root_path: "/volume1/pxe" };
    sim.putFile("/pxe/metal-amd64-uki.efi", BOOT);
    sim.state.files.set("/talos-backups/etcd", { isdir: true, size: 0, md5: "", mtime: 0 });
    sim.putFile("/talos-backups/etcd/lab-20250101T000000Z-v1.12.0.db", Buffer.from("snapshot"));
    tftp = await startNasTftp(sim);
});
afterEach(async () => {
    await tftp.close();
    await sim.close();
});

test("serves a file under the root byte for byte, with the options the client asks for or without", async () => {
    expect(tftpRootFolder(sim)).toBe("/pxe");
    for (const blksize of [1468, 0]) {
        const r = await get("metal-amd64-uki.efi", blksize);
        expect({ size: r.size, md5: r.md5 }).toEqual({ size: BOOT.length, md5: md5(BOOT) });
    }
    expect((await get("/metal-amd64-uki.efi")).size).toBe(BOOT.length);
    expect(tftp.reads.map((r) => [r.path, r.error])).toEqual([
        ["/pxe/metal-amd64-uki.efi", undefined],
        ["/pxe/metal-amd64-uki.efi", undefined],
        ["/pxe/metal-amd64-uki.efi", undefined],
    ]);
});

test("a name that is not under the root is not found, and no path climbs above it", async () => {
    expect(await refusal("lab-20250101T000000Z-v1.12.0.db")).toBe(
        "TFTP server error 1 (file not found): File not found",
    );
    expect(await refusal("../talos-backups/etcd/lab-20250101T000000Z-v1.12.0.db")).toBe(
        "TFTP server error 2 (access violation): access violation",
    );
});

test("nothing while the service is off", async () => {
    sim.state.tftp.enable = false;
    expect(await refusal("metal-amd64-uki.efi")).toBe("TFTP server error 0 (not defined): the TFTP service is off");
});
