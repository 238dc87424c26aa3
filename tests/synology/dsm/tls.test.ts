import * as util from "util";
import { DsmClient } from "../../../components/synology/dsm/client";
import { normaliseFingerprint } from "../../../components/synology/dsm/tls";
import { tftpSettingsGet } from "../../../components/synology/providers/tftp";
import { startDsmSimulator, DsmSimulator } from "../../support/dsm-simulator";
import { caught } from "../../support/rejection";

const PASSWORD = "tls-secret-pw";
let sim: DsmSimulator;
let other: DsmSimulator;

beforeAll(async () => {
    sim = await startDsmSimulator({ https: true, users: { admin: PASSWORD } });
    other = await startDsmSimulator({ https: true, users: { admin: PASSWORD } });
});
afterAll(async () => {
    await sim.close();
    await other.close();
});
beforeEach(() => sim.resetCounters());

function client(
    tls: { caCertPem?: string; fingerprintSha256?: string; insecureSkipVerify?: boolean } | undefined,
    log: (m: string) => void = () => undefined,
): DsmClient {
    return new DsmClient({ url: sim.url, username: "admin", password: PASSWORD, tls }, { retries: 0, log });
}

test("the simulator serves a self-signed certificate named like a fresh NAS", () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.certPem).toContain("BEGIN CERTIFICATE");
    expect(sim.fingerprintSha256).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    expect(sim.fingerprintSha256).not.toBe(other.fingerprintSha256);
});

test("by default the self-signed certificate fails verification, with advice, and nothing reaches the NAS", async () => {
    const e = await caught(tftpSettingsGet(client(undefined)));
    expect(e.name).toBe("DsmTransportError");
    expect(e.message).toMatch(/not trusted.*fingerprintSha256/);
    // It names the certificate the NAS presented, so the user can compare and pin it.
    expect(e.message).toContain(`fingerprint ${sim.fingerprintSha256}`);
    expect(e.message).toContain('"synology"');
    expect(sim.counters.calls).toEqual({});
    expect(util.inspect(e)).not.toContain(PASSWORD);
});

test("the right fingerprint pin passes (any case, with or without colons)", async () => {
    const fp = sim.fingerprintSha256!;
    await expect(tftpSettingsGet(client({ fingerprintSha256: fp }))).resolves.toMatchObject({ permission: "r" });
    await expect(
        tftpSettingsGet(client({ fingerprintSha256: fp.replace(/:/g, "").toUpperCase() })),
    ).resolves.toMatchObject({
        permission: "r",
    });
    expect(sim.counters.logins).toBe(2);
});

test("a wrong fingerprint pin fails before anything (no password) is sent", async () => {
    const e = await caught(tftpSettingsGet(client({ fingerprintSha256: other.fingerprintSha256 })));
    expect(e.name).toBe("DsmTransportError");
    expect(e.code).toBe("CERT_FINGERPRINT_MISMATCH");
    expect(e.message).toContain(sim.fingerprintSha256!);
    expect(e.message).toContain(other.fingerprintSha256!);
    expect(sim.counters.calls).toEqual({});
});

test("the right caCertPem passes; another certificate fails verification", async () => {
    await expect(tftpSettingsGet(client({ caCertPem: sim.certPem }))).resolves.toMatchObject({ timeout: 3 });
    sim.resetCounters();
    const e = await caught(tftpSettingsGet(client({ caCertPem: other.certPem })));
    expect(e.name).toBe("DsmTransportError");
    expect(e.message).toMatch(/not trusted/);
    expect(sim.counters.calls).toEqual({});
});

test("insecureSkipVerify works and warns (without secrets)", async () => {
    const logs: string[] = [];
    await expect(tftpSettingsGet(client({ insecureSkipVerify: true }, (m) => logs.push(m)))).resolves.toMatchObject({
        enable: false,
    });
    expect(logs.join("\n")).toMatch(/TLS verification .* is OFF/);
    expect(logs.join("\n")).not.toContain(PASSWORD);
});

test("more than one trust setting, or a malformed pin, is a config error", () => {
    expect(() => client({ insecureSkipVerify: true, fingerprintSha256: sim.fingerprintSha256 })).toThrow(/only one of/);
    expect(() => client({ caCertPem: "not a pem" })).toThrow(/caCertPem/);
    expect(() => normaliseFingerprint("zz")).toThrow(/64 hex digits/);
    expect(normaliseFingerprint("AB".repeat(32))).toBe(Array(32).fill("ab").join(":"));
});
