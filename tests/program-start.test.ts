/**
 * components/program-start.ts: main() reads the previous outputs and then starts the dynamic-provider host (issue
 * 27): the read is sent first, the host's start is asked with an invoke whose "unknown function" never reaches the
 * program, and nothing is asked under the mock runtime.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    READ_STACK_OUTPUTS,
    readPreviousOutputs,
    START_HOST_TOKEN,
    startProviderHost,
} from "../components/program-start";
import { repoRoot } from "./support/shared";

// The stack's name for the read (organization/project/stack); the invokes themselves are the tests' own.
beforeAll(() =>
    pulumi.runtime.setMocks(
        { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) },
        "homelab",
        "dev",
        true,
        "organization",
    ),
);

/** A recording invoke: the previous outputs for READ_STACK_OUTPUTS, the host's "unknown function" for the rest. */
function engine() {
    const asked: { token: string; args: Record<string, unknown> }[] = [];
    const invoke = (token: string, args: Record<string, unknown>) => {
        asked.push({ token, args });
        return token === READ_STACK_OUTPUTS
            ? Promise.resolve({
                  outputs: { talos: { version: "v1.12.1" }, kubeconfig: "KUBECONFIG-TEXT" },
                  secretOutputNames: ["kubeconfig"],
              })
            : Promise.reject(new Error(`unknown function ${token}`));
    };
    return { asked, invoke };
}

test("the read first, then the host's start; the host's answer goes nowhere, the outputs in clear come back", async () => {
    const e = engine();
    const unhandled: unknown[] = [];
    const on = (err: unknown) => unhandled.push(err);
    process.on("unhandledRejection", on);
    try {
        const read = readPreviousOutputs(["talos", "kubeconfig", "nodes"], e.invoke);
        const started = startProviderHost(e.invoke, () => true);
        const outputs = await read;
        await new Promise((r) => setImmediate(r));
        expect({ started, asked: e.asked.map((a) => a.token), outputs, unhandled }).toEqual({
            started: true,
            asked: [READ_STACK_OUTPUTS, START_HOST_TOKEN],
            // a secret output is never taken, a missing one is left out
            outputs: { talos: { version: "v1.12.1" } },
            unhandled: [],
        });
    } finally {
        process.off("unhandledRejection", on);
    }
    expect(e.asked[0].args).toEqual({ name: "organization/homelab/dev" });
    // The engine starts the default provider of the token's package: the one every dynamic resource uses.
    expect(START_HOST_TOKEN.split(":")[0]).toBe("pulumi-nodejs");
});

test("without an engine (the mock runtime): the host's start asks nothing", () => {
    const e = engine();
    expect(startProviderHost(e.invoke, () => false)).toBe(false);
    expect(e.asked).toEqual([]);
});

test("an invoke that cannot be sent is not the program's failure", () => {
    const throwing = () => {
        throw new Error("monitor gone");
    };
    expect(startProviderHost(throwing, () => true)).toBe(false);
});

test("index.ts asks for the host right after the read main() waits for, and before it awaits it", () => {
    const source = fs.readFileSync(path.join(repoRoot, "index.ts"), "utf8");
    const read = source.indexOf("readPreviousOutputs([");
    const host = source.indexOf("startProviderHost();");
    const awaited = source.indexOf("await previousRead");
    expect(read).toBeGreaterThan(source.indexOf("loadStackConfig()"));
    expect([read < host, host < awaited]).toEqual([true, true]);
});
