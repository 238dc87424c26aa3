/**
 * `npm run doctor`: argument parsing, reading the stack config (stack file + DSM_PASSWORD, or the pulumi
 * CLI's JSON), and whole runs of `main` against the local DSM and factory simulators. Every address in
 * these configs is 127.0.0.1; node checks are left out (`--only`) because the config's node address
 * must differ from the NAS's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { parseStackConfig } from "../../components/config";
import { loadValues, valuesFromPulumiJson, valuesFromStackYaml } from "../../components/cli/stack";
import { main, parseArgs } from "../../components/doctor/cli";
import { DsmSimulator, startDsmSimulator } from "../support/dsm-simulator";
import { FactoryServer, startFactoryServer } from "../support/factory-server";
import { loopbackStackValues } from "../support/fixtures";

const ROOT = path.resolve(__dirname, "../..");
const PASSWORD = "cli-Secret-9876";

describe("arguments", () => {
    test("parses every option", () => {
        expect(
            parseArgs(
                [
                    "--stack",
                    "dev",
                    "--only",
                    "nas,tftp",
                    "--tftp-host",
                    "10.0.0.6",
                    "--tftp-port",
                    "6969",
                    "--no-dhcp",
                    "--dhcp-window",
                    "2500",
                    "--mac",
                    "02:00:00:00:00:01",
                    "--no-pulumi",
                ],
                "/x",
            ),
        ).toEqual({
            stack: "dev",
            cwd: "/x",
            usePulumi: false,
            dhcp: false,
            only: ["nas", "tftp"],
            tftpHost: "10.0.0.6",
            tftpPort: 6969,
            dhcpWindowMs: 2500,
            mac: "02:00:00:00:00:01",
        });
    });

    test("refuses what it does not understand, with the usage", () => {
        expect(() => parseArgs([])).toThrow(/--stack is required[\s\S]*usage: npm run doctor/);
        expect(() => parseArgs(["--stack"])).toThrow(/--stack needs a value/);
        expect(() => parseArgs(["--stack", "dev", "--frobnicate"])).toThrow(/unknown argument "--frobnicate"/);
        expect(() => parseArgs(["--stack", "dev", "--only", "nas,dns"])).toThrow(/unknown group dns/);
        expect(() => parseArgs(["--stack", "dev", "--tftp-port", "sixty"])).toThrow(
            /--tftp-port must be a positive integer/,
        );
    });
});

describe("stack config sources", () => {
    test("the repository's Pulumi.dev.yaml, its node's MAC filled in, + DSM_PASSWORD parses into a valid config", () => {
        const text = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
        const v = valuesFromStackYaml(text, { DSM_PASSWORD: "pw-from-env", UPS_PASSWORD: "ups-pw" }, "Pulumi.dev.yaml");
        (v.values.nodes as Array<Record<string, unknown>>)[0].mac = "d8:3a:dd:5e:a0:01"; // the real card's, in place of the placeholder
        const cfg = parseStackConfig(v.values);
        expect(cfg.synologyPassword).toBe("pw-from-env");
        expect(cfg.synology.share).toBe("pxe");
    });

    test("encrypted secrets in the stack file come from the environment, or a note says how", () => {
        const text = YAML.stringify({
            config: {
                "homelab:synologyPassword": { secure: "v1:abc" },
                "homelab:dhcp": { subnet: "x" },
                "other:key": 1,
            },
        });
        const without = valuesFromStackYaml(text, {}, "Pulumi.lab.yaml");
        expect(without.values).toEqual({ dhcp: { subnet: "x" } });
        expect(without.notes.join("\n")).toMatch(
            /homelab:synologyPassword is encrypted in Pulumi.lab.yaml: set DSM_PASSWORD/,
        );
        const withEnv = valuesFromStackYaml(text, { DSM_PASSWORD: "p" });
        expect(withEnv.values.synologyPassword).toBe("p");
        expect(withEnv.notes).toEqual([]);
    });

    test("`pulumi config --json --show-secrets` output: objectValue for structured keys, plain secrets", () => {
        const json = JSON.stringify({
            "homelab:dhcp": {
                value: '{"subnet":"10.0.0.0/24"}',
                objectValue: { subnet: "10.0.0.0/24" },
                secret: false,
            },
            "homelab:synologyPassword": { value: "decrypted", secret: true },
            "aws:region": { value: "x", secret: false },
        });
        expect(valuesFromPulumiJson(json).values).toEqual({
            dhcp: { subnet: "10.0.0.0/24" },
            synologyPassword: "decrypted",
        });
        expect(valuesFromPulumiJson(json, { DSM_PASSWORD: "env-wins" }).values.synologyPassword).toBe("env-wins");
    });
});

describe("main against local simulators", () => {
    let sim: DsmSimulator;
    let factory: FactoryServer;
    let dir: string;
    let stackFile: string;

    beforeAll(async () => {
        sim = await startDsmSimulator({ users: { admin: PASSWORD } });
        factory = await startFactoryServer();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-cli-"));
        stackFile = path.join(dir, "Pulumi.lab.yaml");
        const values = loopbackStackValues(sim.url, factory.url);
        values.image.extensions = ["siderolabs/i915"];
        fs.writeFileSync(
            stackFile,
            YAML.stringify({
                config: {
                    ...Object.fromEntries(Object.entries(values).map(([k, x]) => [`homelab:${k}`, x])),
                    "homelab:synologyPassword": { secure: "v1:AAAA" },
                },
            }),
        );
    });
    afterAll(async () => {
        await sim.close();
        await factory.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    async function runMain(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
        const lines: string[] = [];
        const code = await main(argv, (l) => lines.push(l), env);
        return { code, out: lines.join("\n") };
    }
    const base = () => ["--config-file", stackFile, "--only", "nas,factory", "--no-dhcp"];

    test("reads the stack file, takes the password from DSM_PASSWORD, prints PASS/FAIL lines, exit 1 on FAIL", async () => {
        const { code, out } = await runMain(base(), { DSM_PASSWORD: PASSWORD, PATH: process.env.PATH });
        expect(out).toMatch(/^doctor: stack .*Pulumi.lab.yaml \(config from Pulumi.lab.yaml\)/);
        expect(out).toContain(`PASS  NAS answers at ${sim.url}`);
        expect(out).toContain("PASS  DSM login works");
        // The schematic is not registered at the local factory: one FAIL with its fix.
        expect(out).toMatch(
            /FAIL {2}the factory .* does not know schematic [0-9a-f]{64} yet\n {6}fix: run `pulumi up`/,
        );
        expect(out).toMatch(/doctor: 4 passed, 1 failed, 0 skipped, 0 waiting$/);
        expect(code).toBe(1);
        expect(out).not.toContain(PASSWORD);
    });

    test("without DSM_PASSWORD the config is refused before any remote call, naming the secret", async () => {
        sim.resetCounters();
        const { code, out } = await runMain(base(), { PATH: process.env.PATH });
        expect(code).toBe(2);
        expect(out).toMatch(/note: homelab:synologyPassword is encrypted .* set DSM_PASSWORD/);
        expect(out).toMatch(/synologyPassword: is missing/);
        expect(Object.values(sim.counters.calls).reduce((a, b) => a + b, 0)).toBe(0);
    });

    test("uses the pulumi CLI when it is on PATH (config --json --show-secrets --stack <name>)", async () => {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin, { recursive: true });
        const argsLog = path.join(dir, "pulumi-args");
        const values = YAML.parse(fs.readFileSync(stackFile, "utf8")).config as Record<string, unknown>;
        const json: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(values)) {
            json[k] =
                typeof v === "object" && v !== null && !("secure" in v)
                    ? { value: JSON.stringify(v), objectValue: v, secret: false }
                    : { value: v, secret: false };
        }
        json["homelab:synologyPassword"] = { value: PASSWORD, secret: true };
        fs.writeFileSync(path.join(dir, "pulumi-config.json"), JSON.stringify(json));
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            `#!/bin/sh\necho "$@" > ${argsLog}\ncat ${path.join(dir, "pulumi-config.json")}\n`,
            { mode: 0o755 },
        );
        const { code, out } = await runMain(["--stack", "lab", "--only", "nas", "--no-dhcp"], {
            PATH: `${bin}:${process.env.PATH}`,
        });
        expect(fs.readFileSync(argsLog, "utf8").trim()).toBe("config --json --show-secrets --stack lab");
        expect(out).toContain("(config from pulumi config)");
        expect(out).toContain("PASS  DSM login works");
        expect(code).toBe(0);
    });

    test("falls back to Pulumi.<stack>.yaml when the pulumi CLI fails", () => {
        const bin = path.join(dir, "bin-broken");
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            "#!/bin/sh\necho 'error: no stack named lab found' >&2\nexit 255\n",
            { mode: 0o755 },
        );
        const v = loadValues(parseArgs(["--stack", "lab"], dir), {
            PATH: `${bin}:${process.env.PATH}`,
            DSM_PASSWORD: "x",
        });
        expect(v.source).toBe("Pulumi.lab.yaml");
        expect(v.notes[0]).toMatch(/pulumi config failed \(error: no stack named lab found\): reading the stack file/);
        expect(v.values.synologyPassword).toBe("x");
    });

    test("a missing stack file says how to create the stack", () => {
        expect(() => loadValues(parseArgs(["--stack", "nope", "--no-pulumi"], dir), {})).toThrow(
            /no stack file .*Pulumi.nope.yaml: create the stack with `pulumi stack init nope`/,
        );
    });
});
