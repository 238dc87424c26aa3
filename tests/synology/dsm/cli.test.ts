import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import { main } from "../../../components/synology/dsm/cli";
import { startDsmSimulator, DsmSimulator } from "../../support/dsm-simulator";

const PASSWORD = "probe-secret-pw";
const repoRoot = path.resolve(__dirname, "..", "..", "..");

async function run(
    args: string[],
    env: Record<string, string | undefined> = { DSM_PASSWORD: PASSWORD },
): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await main(args, env, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
}

/** The probe's flags for `s` (plain http, user admin). */
function overHttp(s: DsmSimulator): string[] {
    return ["--url", s.url, "--user", "admin", "--allow-http"];
}

describe("npm run dsm (probe)", () => {
    let sim: DsmSimulator;
    let https: DsmSimulator;
    beforeAll(async () => {
        sim = await startDsmSimulator({ users: { admin: PASSWORD } });
        https = await startDsmSimulator({ https: true, users: { admin: PASSWORD }, twoFactor: { code: "654321" } });
    });
    afterAll(async () => {
        await sim.close();
        await https.close();
    });

    test("prints the JSON data of any API call; key=value parsed as JSON when it parses; logs out", async () => {
        const r = await run([...overHttp(sim), "SYNO.Network.DHCPServer", "get", "ifname=eth0"]);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.out)).toMatchObject({ enable: false, startip: "192.168.0.100" });
        expect(sim.activeSessions()).toBe(0);
        const info = await run([...overHttp(sim), "SYNO.API.Info", "query", "query=SYNO.Core.TFTP"]);
        expect(JSON.parse(info.out)).toEqual({
            "SYNO.Core.TFTP": { maxVersion: 1, minVersion: 1, path: "entry.cgi", requestFormat: "JSON" },
        });
    });

    test("an API the program calls is probed with the version the program uses; another with the NAS's highest", async () => {
        const core = await startDsmSimulator({ users: { admin: PASSWORD }, dhcp: "core" });
        try {
            const probe = (api: string, method: string) => run([...overHttp(core), api, method, "ifname=eth0"]);
            const sent = (api: string) => [...core.requests].reverse().find((r) => r.api === api)!.params.version;
            // This NAS offers PXE up to v2; the program reads it with v1, so the probe shows what the program sees.
            expect((await probe("SYNO.Core.Network.DHCPServer.PXE", "get")).code).toBe(0);
            expect(sent("SYNO.Core.Network.DHCPServer.PXE")).toBe("1");
            // ClientList (v1–v2) is not one of the program's APIs: the highest the NAS offers.
            expect((await probe("SYNO.Core.Network.DHCPServer.ClientList", "list")).code).toBe(0);
            expect(sent("SYNO.Core.Network.DHCPServer.ClientList")).toBe("2");
        } finally {
            await core.close();
        }
    });

    test("secrets in the data are redacted", async () => {
        const r = await run([
            ...overHttp(sim),
            "SYNO.API.Auth",
            "login",
            "account=admin",
            `passwd=${PASSWORD}`,
            "format=sid",
            "enable_syno_token=yes",
        ]);
        expect(r.code).toBe(0);
        const data = JSON.parse(r.out);
        expect(data.sid).toBe("***");
        expect(data.synotoken).toBe("***");
        expect(r.out + r.err).not.toContain(PASSWORD);
    });

    test("a DSM error exits 1 with its meaning", async () => {
        const r = await run([...overHttp(sim), "SYNO.Network.DHCPServer", "get", "ifname=bond9"]);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/DsmError: .*4302.*no such network interface/);
        const bad = await run([...overHttp(sim), "SYNO.Core.TFTP", "get"], {
            DSM_PASSWORD: "nope-wrong",
        });
        expect(bad.code).toBe(1);
        expect(bad.err).toMatch(/400.*wrong password/);
        expect(bad.err).not.toContain("nope-wrong");
    });

    test("usage errors exit 2 and name what is missing; the password is never a flag", async () => {
        const r = await run(["--url", sim.url, "SYNO.Core.TFTP"], {});
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/--user is missing/);
        expect(r.err).toMatch(/DSM_PASSWORD is not set/);
        expect(r.err).toMatch(/give the API and the method/);
        expect((await run(["--password", "x"])).code).toBe(2);
    });

    test("flags read as every command reads them: --name=value, one wording for an unknown flag or a missing value", async () => {
        const inline = await run([
            `--url=${sim.url}`,
            "--user=admin",
            "--allow-http",
            "SYNO.Network.DHCPServer",
            "get",
            "ifname=eth0",
        ]);
        expect(inline.code).toBe(0);
        expect(JSON.parse(inline.out)).toMatchObject({ enable: false });
        const unknown = await run(["--password", "x", "SYNO.Core.TFTP", "get"]);
        expect(unknown.err).toMatch(/^unknown argument "--password"\n\nusage: npm run dsm/);
        const missing = await run(["--user", "admin", "--url", "--allow-http", "SYNO.Core.TFTP", "get"]);
        expect(missing.code).toBe(2);
        expect(missing.err).toMatch(/^--url needs a value\n/);
        const badTimeout = await run([
            "--url",
            sim.url,
            "--user",
            "admin",
            "--timeout",
            "soon",
            "SYNO.Core.TFTP",
            "get",
        ]);
        expect(badTimeout.code).toBe(2);
        expect(badTimeout.err).toMatch(/--timeout must be a positive integer, got "soon"/);
    });

    test("--help prints the usage with every option's help on stdout and exits 0", async () => {
        const r = await run(["--help"], {});
        expect(r.code).toBe(0);
        expect(r.err).toBe("");
        expect(r.out).toMatch(/^usage: npm run dsm -- --url <url> --user <name>/);
        expect(r.out).toMatch(/\n {2}--fingerprint <sha256> +pin the NAS's certificate by its SHA-256 fingerprint\n/);
        expect(r.out).toMatch(/\n {2}--timeout <ms> +per-request timeout\n$/);
    });

    test("https: --fingerprint and --ca-file pin, --insecure warns, nothing passes unverified; --otp prints the device id", async () => {
        const base = ["--url", https.url, "--user", "admin", "--otp", "654321"];
        const unverified = await run([...base, "SYNO.Core.TFTP", "get"]);
        expect(unverified.code).toBe(1);
        expect(unverified.err).toMatch(/not trusted/);
        const pinned = await run([...base, "--fingerprint", https.fingerprintSha256!, "SYNO.Core.TFTP", "get"]);
        expect(pinned.code).toBe(0);
        expect(JSON.parse(pinned.out).endip).toBe("255.255.255.255");
        expect(pinned.err).toMatch(/--device-id/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsm-cli-"));
        const ca = path.join(dir, "nas.pem");
        fs.writeFileSync(ca, https.certPem!);
        const withCa = await run([...base, "--ca-file", ca, "SYNO.Core.TFTP", "get"]);
        expect(withCa.code).toBe(0);
        const insecure = await run([...base, "--insecure", "SYNO.Core.TFTP", "get"]);
        expect(insecure.code).toBe(0);
        expect(insecure.err).toMatch(/TLS verification .* is OFF/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("`npm run dsm` runs the probe as a command", async () => {
        const r = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
            execFile(
                "npm",
                ["run", "--silent", "dsm", "--", ...overHttp(sim), "SYNO.Network.DHCPServer.PXE", "get"],
                { cwd: repoRoot, env: { ...process.env, DSM_PASSWORD: PASSWORD }, timeout: 60000 },
                (err, out, errOut) =>
                    resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
            ),
        );
        expect(r.code).toBe(0);
        expect(JSON.parse(r.out)).toEqual({
            enable: false,
            is_remote_tftp: "false",
            local_bootloader: "",
            remote_bootloader: "",
            remote_tftp_server_ip: "",
        });
    }, 60_000);
});
