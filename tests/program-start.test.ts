/**
 * components/program-start.ts: as the program starts, with an engine, it asks for the previous outputs first and
 * then starts the dynamic-provider host (issue 27), before index.ts loads its other modules; main() takes the read
 * already under way; nothing is asked under the mock runtime, and no answer to the host's start reaches the program.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    READ_STACK_OUTPUTS,
    readPreviousOutputs,
    START_HOST_TOKEN,
    startEngineRequests,
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
function engine(read: () => Promise<unknown> = () => Promise.resolve({ outputs: { talos: { version: "v1.12.1" } } })) {
    const asked: string[] = [];
    const invoke = (token: string) => {
        asked.push(token);
        return token === READ_STACK_OUTPUTS ? read() : Promise.reject(new Error(`unknown function ${token}`));
    };
    return { asked, invoke };
}

async function withUnhandled<T>(body: () => Promise<T>): Promise<{ result: T; unhandled: unknown[] }> {
    const unhandled: unknown[] = [];
    const on = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", on);
    try {
        const result = await body();
        await new Promise((r) => setImmediate(r));
        return { result, unhandled };
    } finally {
        process.off("unhandledRejection", on);
    }
}

test("with an engine: the previous outputs first, then the host's start; main() takes the read under way", async () => {
    const e = engine();
    const { result, unhandled } = await withUnhandled(async () => {
        const asked = startEngineRequests(e.invoke, () => true);
        const outputs = await readPreviousOutputs(["talos"], e.invoke);
        return { asked, outputs };
    });
    expect(result.asked).toEqual([READ_STACK_OUTPUTS, START_HOST_TOKEN]);
    // The read was not asked twice, and the host's "unknown function" went nowhere.
    expect(e.asked).toEqual([READ_STACK_OUTPUTS, START_HOST_TOKEN]);
    expect(result.outputs).toEqual({ talos: { version: "v1.12.1" } });
    expect(unhandled).toEqual([]);
    // The engine starts the default provider of the token's package: the one every dynamic resource uses.
    expect(START_HOST_TOKEN.split(":")[0]).toBe("pulumi-nodejs");
    // Taken once: a later read asks the engine again.
    await readPreviousOutputs(["talos"], e.invoke);
    expect(e.asked).toEqual([READ_STACK_OUTPUTS, START_HOST_TOKEN, READ_STACK_OUTPUTS]);
});

test("an early read that fails reaches main() as its own read would, and is not unhandled before", async () => {
    const e = engine(() => Promise.reject(new Error("the engine could not read the stack")));
    const { result, unhandled } = await withUnhandled(async () => {
        startEngineRequests(e.invoke, () => true);
        await new Promise((r) => setImmediate(r));
        return readPreviousOutputs(["talos"], e.invoke).catch((err: Error) => err.message);
    });
    expect(result).toBe("the engine could not read the stack");
    expect(unhandled).toEqual([]);
});

test("without an engine (the mock runtime): asks nothing early; readPreviousOutputs asks when called", async () => {
    const e = engine();
    expect(startEngineRequests(e.invoke, () => false)).toEqual([]);
    expect(e.asked).toEqual([]);
    await readPreviousOutputs(["talos"], e.invoke);
    expect(e.asked).toEqual([READ_STACK_OUTPUTS]);
});

test("an invoke that cannot be sent is not the program's failure", () => {
    expect(
        startEngineRequests(
            () => {
                throw new Error("monitor gone");
            },
            () => true,
        ),
    ).toEqual([]);
});

test("index.ts loads it before any other module of the program, so the engine works while they load", () => {
    const source = fs.readFileSync(path.join(repoRoot, "index.ts"), "utf8");
    const own = [...source.matchAll(/^import\s+(?:[^"]*from\s+)?"([^"]+)";/gm)]
        .map((m) => m[1])
        .filter((m) => m.startsWith("./"));
    expect(own[0]).toBe("./components/program-start");
});
