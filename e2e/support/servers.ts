/**
 * The stand-ins an end-to-end run talks to, as real servers on loopback: the DSM simulator (HTTPS with its own
 * self-signed certificate, pinned by the stack), the Image Factory stand-in, and a Talos config schema server.
 * They run in the test process, so scenarios read their state and counters directly.
 */
import { DsmSimulator, DsmSimulatorOptions, startDsmSimulator } from "../../tests/support/dsm-simulator";
import { FactoryServer, FactoryServerOptions, startFactoryServer } from "../../tests/support/factory-server";
import { referenceSchemaTextFor, SchemaServer, startSchemaServer } from "../../tests/support/schema-server";
import { defaultLoopbackBase, StandIns } from "./loopback";

export interface Servers {
    dsm: DsmSimulator;
    factory: FactoryServer;
    schema: SchemaServer;
    standIns: StandIns;
    close(): Promise<void>;
}

export interface ServerOptions {
    dsm?: DsmSimulatorOptions;
    factory?: FactoryServerOptions;
    /** Talos releases whose config schema is served (each gets its minor's pinned reference schema). */
    schemaVersions?: string[];
}

export async function startServers(opts: ServerOptions = {}): Promise<Servers> {
    const dsm = await startDsmSimulator({ https: true, ...opts.dsm });
    const factory = await startFactoryServer(opts.factory);
    const schema = await startSchemaServer(
        Object.fromEntries(
            (opts.schemaVersions ?? ["v1.12.0", "v1.12.1"]).map((v) => {
                const text = referenceSchemaTextFor(v);
                if (text === undefined) throw new Error(`e2e: no reference Talos config schema for ${v}`);
                return [v, text];
            }),
        ),
    );
    return {
        dsm,
        factory,
        schema,
        standIns: {
            dsmUrl: dsm.url,
            dsmFingerprintSha256: dsm.fingerprintSha256 as string,
            factoryUrl: factory.url,
            configSchemaUrl: schema.urlTemplate,
            loopbackBase: defaultLoopbackBase(),
        },
        close: async () => {
            await Promise.all([dsm.close(), factory.close(), schema.close()]);
        },
    };
}
