/** Reading `homelab:*` the way Pulumi hands config to a program: objects as JSON text, secrets as plain text. */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, readStackValues } from "../../components/stack";
import { stackValues } from "../support/shared";

function getterFor(values: Record<string, unknown>): (key: string) => string | undefined {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) raw[`homelab:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return (key) => raw[key];
}

test("structured keys come back as objects, plain strings stay strings, unknown namespaces are not read", () => {
    const get = getterFor({ cluster: { name: "c" }, nodes: [{ hostname: "n" }], synologyPassword: "{not json" });
    const values = readStackValues((key) => (key === "other:cluster" ? "x" : get(key)));
    expect(values).toEqual({ cluster: { name: "c" }, nodes: [{ hostname: "n" }], synologyPassword: "{not json" });
});

test("the dev stack loads into a typed config", () => {
    const v = stackValues("dev", { synologyPassword: "p", upsPassword: "u" }) as Record<string, any>;
    v.nodes[0].mac = "D8-3A-DD-5E-A0-01"; // the real card's, in place of the file's placeholder
    const cfg = loadStackConfig(getterFor(v));
    expect(cfg.cluster.name).toBe("homelab-dev");
    expect(cfg.nodes[0].mac).toBe("d8:3a:dd:5e:a0:01");
});

test("a bad stack becomes a RunError (printed without a stack trace) that lists the problems", () => {
    const v = stackValues("dev", { upsPassword: "u" }) as Record<string, any>;
    v.nodes[0].ip = "192.168.7.2";
    let err: unknown;
    try {
        loadStackConfig(getterFor(v));
    } catch (e) {
        err = e;
    }
    expect(err).toBeInstanceOf(pulumi.RunError);
    expect((err as Error).message).toMatch(/synologyPassword: is missing/);
    expect((err as Error).message).toMatch(/nodes\[0\]\.ip: 192\.168\.7\.2 is not a host address inside dhcp\.subnet/);
});
