/** Reading `homelab:*` the way Pulumi hands config to a program: objects as JSON text, secrets as plain text. */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, readStackValues } from "../../components/stack";
import { stackValues } from "../support/shared";

/** The whole config as Pulumi hands it to a program (`pulumi.runtime.allConfig()`): objects as JSON text. */
function configOf(values: Record<string, unknown>): Record<string, string> {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) raw[`homelab:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return raw;
}

test("structured keys come back as objects, plain strings stay strings, unknown namespaces are not read", () => {
    const config = configOf({ cluster: { name: "c" }, nodes: [{ hostname: "n" }], synologyPassword: "{not json" });
    const values = readStackValues({ ...config, "other:cluster": "x" });
    expect(values).toEqual({ cluster: { name: "c" }, nodes: [{ hostname: "n" }], synologyPassword: "{not json" });
});

test("the dev stack loads into a typed config", () => {
    const v = stackValues("dev", { synologyPassword: "p", upsPassword: "u" }) as Record<string, any>;
    v.nodes[0].mac = "D8-3A-DD-5E-A0-01"; // the real card's, in place of the file's placeholder
    const cfg = loadStackConfig(configOf(v));
    expect(cfg.cluster.name).toBe("homelab-dev");
    expect(cfg.nodes[0].mac).toBe("d8:3a:dd:5e:a0:01");
});

test("a bad stack becomes a RunError (printed without a stack trace) that lists the problems", () => {
    const v = stackValues("dev", { upsPassword: "u" }) as Record<string, any>;
    v.nodes[0].ip = "192.168.7.2";
    let err: unknown;
    try {
        loadStackConfig(configOf(v));
    } catch (e) {
        err = e;
    }
    expect(err).toBeInstanceOf(pulumi.RunError);
    expect((err as Error).message).toMatch(/synologyPassword: is missing/);
    expect((err as Error).message).toMatch(/nodes\[0\]\.ip: 192\.168\.7\.2 is not a host address inside dhcp\.subnet/);
});

test("a secret is taken exactly as typed, even when it looks like JSON or has blanks around it", () => {
    const values = readStackValues(configOf({ synologyPassword: '["s3cret"]', upsPassword: " {two words} " }));
    expect(values).toEqual({ synologyPassword: '["s3cret"]', upsPassword: " {two words} " });
});

test("a misspelt key, a secret's too, is read and named (Pulumi hands the program every key of the stack)", () => {
    const v = stackValues("dev", { upsPassword: "u" }) as Record<string, any>;
    v.nodes[0].mac = "D8-3A-DD-5E-A0-01";
    v.synologyPasword = "s3cret";
    let err: unknown;
    try {
        loadStackConfig(configOf(v));
    } catch (e) {
        err = e;
    }
    expect((err as Error).message).toMatch(
        /homelab\.synologyPasword: is not a known setting — did you mean homelab\.synologyPassword\?/,
    );
    expect((err as Error).message).toMatch(/synologyPassword: is missing/);
    expect((err as Error).message).not.toContain("s3cret");
});
