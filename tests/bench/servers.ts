/**
 * Child process for the image-stream benchmark: the local Image Factory and the DSM simulator, both on
 * 127.0.0.1, in their own process so that the process under test (the provider, or the raw copy) is
 * measured alone, as it would be against a real factory and a real NAS. Driven over IPC:
 * `{ id, op, args }` → `{ id, ok, value | error }`.
 */
import { startDsmSimulator, simShare } from "../support/dsm-simulator";
import { startFactoryServer } from "../support/factory-server";
import type { Schematic } from "../../components/factory/schematic";
import { BENCH_DSM_PASSWORD } from "./lib";

interface Request {
    id: number;
    op: "register" | "setAssetSize" | "counters" | "resetCounters" | "getFile" | "close";
    args?: unknown[];
}

async function main(): Promise<void> {
    const sim = await startDsmSimulator({
        users: { admin: BENCH_DSM_PASSWORD },
        state: {
            shares: {
                pxe: simShare("pxe", { uuid: "bench-uuid" }),
            },
        },
    });
    const factory = await startFactoryServer();
    const send = (m: unknown) => process.send!(m);

    process.on("message", (raw: unknown) => {
        const req = raw as Request;
        const reply = (value: unknown) => send({ id: req.id, ok: true, value });
        try {
            switch (req.op) {
                case "register":
                    reply(factory.register(req.args![0] as Schematic));
                    return;
                case "setAssetSize":
                    factory.setAssetSize(req.args![0] as string, req.args![1] as number);
                    reply(null);
                    return;
                case "counters":
                    reply({
                        sim: sim.counters,
                        factoryBytes: factory.bytesServed,
                        rssMiB: process.memoryUsage().rss / 1048576,
                    });
                    return;
                case "resetCounters":
                    sim.resetCounters();
                    reply(null);
                    return;
                case "getFile": {
                    const f = sim.getFile(req.args![0] as string);
                    reply(f ? { size: f.size, md5: f.md5 } : null);
                    return;
                }
                case "close":
                    Promise.all([sim.close(), factory.close()]).then(
                        () => {
                            reply(null);
                            process.disconnect();
                        },
                        (e: Error) => send({ id: req.id, ok: false, error: e.message }),
                    );
                    return;
            }
        } catch (e) {
            send({ id: req.id, ok: false, error: (e as Error).message });
        }
    });
    // The bench process went away (finished or crashed): do not linger.
    process.on("disconnect", () => process.exit(0));
    send({ ready: true, simUrl: sim.url, factoryUrl: factory.url });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
