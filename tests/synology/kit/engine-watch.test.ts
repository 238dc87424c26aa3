/**
 * The engine watch (components/synology/kit/engine-watch.ts) in this process, with the signals and the
 * exit injected: either signal (stdin's end, the engine address refusing) aborts the work in flight, waits for
 * it to clean up (at most the grace time), then exits. The whole thing with real processes is orphan.test.ts.
 */
import * as net from "net";
import { PassThrough } from "stream";
import {
    armEngineWatch,
    inDynamicProviderHost,
    parseEngineAddress,
    ENGINE_WATCH_KEY,
    whileEngineAlive,
} from "../../../components/synology/kit/engine-watch";

// A fresh watch for every test: forget the state the last one left on globalThis.
afterEach(() => delete (globalThis as Record<string, unknown>)[ENGINE_WATCH_KEY]);

function exitRecorder(): { exit: (code: number) => void; exited: Promise<number> } {
    let resolve: (code: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolve = r));
    return { exit: (code) => resolve(code), exited };
}

/** An operation that runs until aborted, then takes `cleanupMs` to clean up. */
function work(cleanupMs: number, log: string[]): { abort: (e: Error) => void; run: () => Promise<string> } {
    let stop: (e: Error) => void = () => undefined;
    const stopped = new Promise<Error>((r) => (stop = r));
    return {
        abort: (e) => {
            log.push(`abort: ${e.message}`);
            stop(e);
        },
        run: async () => {
            const e = await stopped;
            await new Promise((r) => setTimeout(r, cleanupMs));
            log.push("cleaned up");
            throw e;
        },
    };
}

describe("the engine's pipe closing", () => {
    test("aborts the work in flight, lets it clean up, then exits 1", async () => {
        const stdin = new PassThrough();
        const { exit, exited } = exitRecorder();
        const log: string[] = [];
        expect(armEngineWatch({ stdin, stdinIsPipe: true, exit, log: (m) => log.push(m), engineAddress: "" })).toBe(
            true,
        );
        const w = work(50, log);
        const op = whileEngineAlive(w.abort, w.run);
        stdin.end();
        await expect(op).rejects.toThrow(
            "the Pulumi engine that started this provider is gone (its pipe to this process closed); stopped",
        );
        expect(await exited).toBe(1);
        expect(log).toEqual([
            "homelab: the Pulumi engine that started this provider is gone (its pipe to this process closed); stopping its work and exiting",
            "abort: the Pulumi engine that started this provider is gone (its pipe to this process closed); stopped",
            "cleaned up",
        ]);
    });

    test("exits after the grace time even when the work does not settle", async () => {
        const stdin = new PassThrough();
        const { exit, exited } = exitRecorder();
        armEngineWatch({ stdin, stdinIsPipe: true, exit, log: () => undefined, graceMs: 100, engineAddress: "" });
        const t0 = Date.now();
        void whileEngineAlive(
            () => undefined,
            () => new Promise<void>(() => undefined),
        );
        stdin.end();
        await exited;
        expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
        expect(Date.now() - t0).toBeLessThan(2000);
    });

    test("work started once the engine is gone is aborted at once", async () => {
        const stdin = new PassThrough();
        const { exit, exited } = exitRecorder();
        armEngineWatch({ stdin, stdinIsPipe: true, exit, log: () => undefined, graceMs: 50, engineAddress: "" });
        stdin.end();
        await exited;
        const log: string[] = [];
        const w = work(0, log);
        await expect(whileEngineAlive(w.abort, w.run)).rejects.toThrow(/engine that started this provider is gone/);
        expect(log[0]).toMatch(/^abort: /);
    });

    test("a stdin that is not a pipe (a terminal, /dev/null) is not watched", async () => {
        const stdin = new PassThrough();
        let exits = 0;
        armEngineWatch({ stdin, stdinIsPipe: false, exit: () => exits++, log: () => undefined, engineAddress: "" });
        stdin.end();
        await new Promise((r) => setTimeout(r, 100));
        expect(exits).toBe(0);
    });
});

describe("the engine's address refusing connections", () => {
    test("is noticed by the probe (two refusals in a row) and ends the same way", async () => {
        const server = net.createServer((s) => s.destroy());
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const port = (server.address() as net.AddressInfo).port;
        const { exit, exited } = exitRecorder();
        const log: string[] = [];
        armEngineWatch({
            stdinIsPipe: false,
            engineAddress: `127.0.0.1:${port}`,
            probeEveryMs: 40,
            exit,
            log: (m) => log.push(m),
        });
        await new Promise((r) => setTimeout(r, 200));
        expect(log).toEqual([]); // listening: alive
        const t0 = Date.now();
        await new Promise<void>((r) => server.close(() => r()));
        expect(await exited).toBe(1);
        expect(Date.now() - t0).toBeLessThan(2000);
        expect(log).toEqual([
            `homelab: the Pulumi engine that started this provider is gone (its address 127.0.0.1:${port} refuses connections); stopping its work and exiting`,
        ]);
    });
});

describe("where it arms", () => {
    test("only in Pulumi's dynamic-provider host, not in other processes", () => {
        expect(
            inDynamicProviderHost([
                "node",
                "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js",
                "127.0.0.1:1",
            ]),
        ).toBe(true);
        expect(
            inDynamicProviderHost(["node", "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider", "127.0.0.1:1"]),
        ).toBe(true);
        expect(inDynamicProviderHost(["node", "/p/node_modules/.bin/jest"])).toBe(false);
        expect(armEngineWatch()).toBe(false); // this jest worker is no provider host
    });

    test("reads the engine address the host is given", () => {
        expect(parseEngineAddress("127.0.0.1:41234")).toEqual({ host: "127.0.0.1", port: 41234 });
        expect(parseEngineAddress("[::1]:5")).toEqual({ host: "::1", port: 5 });
        expect(parseEngineAddress("localhost:0")).toBeUndefined();
        expect(parseEngineAddress(undefined)).toBeUndefined();
    });
});
