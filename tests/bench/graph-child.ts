/**
 * Fresh process: index.ts under `pulumi.runtime.setMocks` with the stack values in $BENCH_GRAPH_VALUES (the
 * `homelab:*` keys without the prefix, JSON). Reports the time to load the program's modules, and the time
 * from calling the program to the last resource registration (the mock monitor answers at once, so this is
 * the program's own work: config parsing, schema checks of the patches, component wiring, Output plumbing).
 *
 * Talos provider resources and invokes get the same canned answers as tests/talos/cluster.test.ts.
 */
import * as path from "path";
import { performance } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { emitResult, REPO_ROOT } from "./lib";

async function main(): Promise<void> {
    const values = JSON.parse(process.env.BENCH_GRAPH_VALUES ?? "{}") as Record<string, unknown>;
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) config[`homelab:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    pulumi.runtime.setAllConfig(config, ["homelab:synologyPassword", "homelab:upsPassword"]);

    let registrations = 0;
    let lastRegistration = 0;
    const types = new Map<string, number>();
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                let extra: Record<string, unknown> = {};
                switch (args.type) {
                    case "talos:machine/secrets:Secrets":
                        extra = {
                            machineSecrets: { cluster: { id: "cid", secret: "s" }, trustdinfo: { token: "t" } },
                            clientConfiguration: { caCertificate: "CA", clientCertificate: "CRT", clientKey: "KEY" },
                            talosVersion: args.inputs.talosVersion,
                        };
                        break;
                    case "talos:machine/configurationApply:ConfigurationApply":
                        extra = { machineConfigurationHash: `hash-of-${args.name}`, machineConfiguration: "rendered" };
                        break;
                    case "talos:cluster/kubeconfig:Kubeconfig":
                        extra = {
                            kubeconfigRaw: "apiVersion: v1\nkind: Config\n",
                            kubernetesClientConfiguration: { host: "h", clientKey: "KEY" },
                        };
                        break;
                }
                registrations++;
                types.set(args.type, (types.get(args.type) ?? 0) + 1);
                lastRegistration = performance.now();
                return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
            },
            call: (args) => {
                if (args.token === "talos:client/getConfiguration:getConfiguration")
                    return { ...args.inputs, talosConfig: "context: bench\n" };
                if (args.token === "talos:machine/getConfiguration:getConfiguration")
                    return { ...args.inputs, machineConfiguration: "machine: {}\n" };
                return { ...args.inputs, id: `${args.token}-id` };
            },
        },
        "homelab",
        "bench",
        false,
    );

    const tLoad = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded after the mocks are set, and timed
    const program = require(path.join(REPO_ROOT, "index.ts")) as () => Promise<Record<string, unknown>>;
    const loadMs = performance.now() - tLoad;

    const t0 = performance.now();
    const outputs = await program();
    const returnedMs = performance.now() - t0;
    // Let every Output settle: done when the exports resolve and no registration came for a while.
    await new Promise<void>((resolve) => pulumi.output(outputs).apply(() => resolve()));
    for (;;) {
        const before = registrations;
        await new Promise((r) => setTimeout(r, 500));
        if (registrations === before) break;
    }
    emitResult({
        loadMs,
        graphMs: lastRegistration - t0,
        returnedMs,
        registrations,
        types: Object.fromEntries([...types.entries()].sort(([a], [b]) => a.localeCompare(b))),
    });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
