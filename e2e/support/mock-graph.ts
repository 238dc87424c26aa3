/**
 * The resource graph index.ts builds under Pulumi's mocks (what the mock tests see), printed as JSON:
 * `[{ type, name, parentType, parentName }]`. The end-to-end suite compares it with what the real engine
 * previews. Reads the stack's `homelab:*` values (JSON, secrets included) from stdin; preview mode.
 *
 *   ts-node --transpile-only e2e/support/mock-graph.ts < values.json
 */
import * as pulumi from "@pulumi/pulumi";

export interface GraphEntry {
    type: string;
    name: string;
    parentType?: string;
    parentName?: string;
}

async function main(): Promise<void> {
    const input = await new Promise<string>((resolve) => {
        let text = "";
        process.stdin.on("data", (d: Buffer) => {
            text += d.toString();
        });
        process.stdin.on("end", () => resolve(text));
    });
    const values = JSON.parse(input) as Record<string, unknown>;
    const registered: { type: string; name: string; parent: string; urn?: string }[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: async (args) => ({ id: `${args.name}-id`, state: { ...args.inputs } }),
            call: (args) => ({ ...args.inputs, id: `${args.token}-id` }),
        },
        "homelab",
        "e2e",
        true,
        "organization", // the program reads its previous outputs by <organization>/<project>/<stack>
    );
    const monitor = pulumi.runtime.getMonitor() as any;
    const orig = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        const entry = {
            type: req.getType() as string,
            name: req.getName() as string,
            parent: req.getParent() as string,
            urn: undefined as string | undefined,
        };
        registered.push(entry);
        return orig(req, (err: unknown, resp: { getUrn(): string } | undefined) => {
            if (resp) entry.urn = resp.getUrn();
            cb(err, resp);
        });
    };
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(values))
        config[`homelab:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    pulumi.runtime.setAllConfig(config, ["homelab:synologyPassword", "homelab:upsPassword"]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded after the mocks are set
    const program = require("../../index") as () => Promise<Record<string, unknown>>;
    await program();
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    const byUrn = new Map(registered.filter((r) => r.urn).map((r) => [r.urn as string, r]));
    const out: GraphEntry[] = registered.map((r) => {
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        return { type: r.type, name: r.name, ...(parent ? { parentType: parent.type, parentName: parent.name } : {}) };
    });
    process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
    () => process.exit(0),
    (e: Error) => {
        process.stderr.write(`${e.stack ?? e.message}\n`);
        process.exit(1);
    },
);
