/**
 * Pulumi mocks plus a recorder of what the engine would see (used by the Talos, workload and program tests).
 *
 * The mock monitor hands `newResource` only type/name/inputs; dependencies and
 * `additionalSecretOutputs` live on the RegisterResource request. `installMocks` wraps the monitor's
 * registerResource to record them too, so tests can inspect the dependency graph the engine gets.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, unknown>;
    /** URNs this resource depends on (explicit dependsOn and input dependencies). */
    dependencies: string[];
    additionalSecretOutputs: string[];
    parent: string;
}

export interface Invoked {
    token: string;
    inputs: Record<string, unknown>;
    /** Names of the resources whose newResource had completed when the invoke reached the mock. */
    completedBefore: string[];
}

export interface Recorder {
    resources: Registered[];
    invokes: Invoked[];
    byName(name: string): Registered;
    named(pattern: RegExp): Registered[];
    /** Transitive dependency closure of a resource, as names. */
    dependsOnTransitively(name: string, other: string): boolean;
    reset(): void;
}

export type CallHandler = (token: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
export type ResourceHandler = (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
) => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;

/**
 * Watches every resource registration the mock monitor gets: `before(req)` as it is sent, `after(req, resp)` once
 * answered. The request carries what `newResource` is not shown (parent, dependencies, secret outputs, ...).
 */
export function watchRegistrations(watch: { before?(req: any): void; after?(req: any, resp: any): void }): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        watch.before?.(req);
        return original(req, (err: unknown, resp: any) => {
            watch.after?.(req, resp);
            callback(err, resp);
        });
    };
}

/** Install mocks (call before importing the code under test). */
export async function installMocks(
    opts: {
        preview?: boolean;
        onCall?: CallHandler;
        onResource?: ResourceHandler;
    } = {},
): Promise<Recorder> {
    const rec: Recorder = {
        resources: [],
        invokes: [],
        byName(name) {
            const r = rec.resources.find((x) => x.name === name);
            if (!r) throw new Error(`no resource named ${name}; have: ${rec.resources.map((x) => x.name).join(", ")}`);
            return r;
        },
        named(pattern) {
            return rec.resources.filter((x) => pattern.test(x.name));
        },
        dependsOnTransitively(name, other) {
            const target = rec.byName(other).urn;
            const seen = new Set<string>();
            const stack = [...rec.byName(name).dependencies];
            while (stack.length) {
                const u = stack.pop()!;
                if (u === target) return true;
                if (seen.has(u)) continue;
                seen.add(u);
                const r = rec.resources.find((x) => x.urn === u);
                if (r) stack.push(...r.dependencies);
            }
            return false;
        },
        reset() {
            rec.resources.length = 0;
            rec.invokes.length = 0;
            completed.length = 0;
        },
    };
    const completed: string[] = [];

    await pulumi.runtime.setMocks(
        {
            newResource: async (args) => {
                const r = rec.resources.find((x) => x.name === args.name && x.type === args.type);
                if (r) r.inputs = args.inputs;
                const extra = (await opts.onResource?.(args.type, args.name, args.inputs)) ?? {};
                completed.push(args.name);
                return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
            },
            call: (args) => {
                rec.invokes.push({ token: args.token, inputs: args.inputs, completedBefore: [...completed] });
                return { ...args.inputs, id: `${args.token}-id`, ...(opts.onCall?.(args.token, args.inputs) ?? {}) };
            },
        },
        "homelab",
        "test",
        opts.preview ?? false,
        "organization", // the DIY backend's organization (a stack reference names it)
    );

    watchRegistrations({
        before(req) {
            const type = req.getType();
            const name = req.getName();
            const propDeps: string[] = [];
            const map = req.getPropertydependenciesMap();
            map.forEach((v: { getUrnsList(): string[] }) => propDeps.push(...v.getUrnsList()));
            rec.resources.push({
                type,
                name,
                urn: `urn:pulumi:test::homelab::${type}::${name}`,
                parent: req.getParent(),
                inputs: {},
                dependencies: [...new Set([...req.getDependenciesList(), ...propDeps])],
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            });
        },
        after(req, resp: { getUrn(): string } | undefined) {
            const r = rec.resources.find((x) => x.name === req.getName() && x.type === req.getType());
            if (r && resp) r.urn = resp.getUrn();
        },
    });
    return rec;
}

/** The RPC sentinel a secret value travels in (what the mock monitor shows for secret inputs). */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export function isSecretSentinel(v: unknown): v is { value: unknown } {
    return (
        !!v &&
        typeof v === "object" &&
        (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG
    );
}

/** Resolve an Output's value in tests (mocks give known values). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        o.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

/** Every string reachable in a value (for "the password appears nowhere in clear" checks). */
export function allStrings(v: unknown, out: string[] = []): string[] {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => allStrings(x, out));
    else if (v && typeof v === "object") Object.values(v).forEach((x) => allStrings(x, out));
    return out;
}
