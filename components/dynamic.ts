/**
 * One way to declare a dynamic resource: a provider (plain functions) and the Pulumi resource class that uses it.
 *
 * What the engine stores. `pulumi.dynamic.Resource` serialises the provider's whole closure into the state
 * (`__provider`, 40–112 KB a resource) and the provider host runs THAT text for every later read, update and
 * delete. Here the stored text is a small shim ({@link providerShim}, about 2 KB) naming the module that defines the
 * resource; the host (`@pulumi/pulumi/cmd/dynamic-provider`, started by the engine in the project folder) loads it
 * with require-from-string and calls `handler()`, which loads the module from the project's installed code at that
 * moment. So a fix to a provider reaches the resources an older run created, and a state moved to a folder without
 * the code fails with a message saying what to do, instead of running stale code.
 *
 * A resource created by an older version of the program (its state carries another provider text) keeps working:
 * the host never forces a replacement when the text changes (cmd/dynamic-provider `diff`), and here such a
 * resource reports one update with nothing else changed, which stores the new text without calling the provider's
 * own update (no remote write); from then on it runs today's code too.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** Where the provider text lives in a dynamic resource's inputs and outputs. */
export const PROVIDER_KEY = "__provider";

/** The project folder (the one holding `components/`): module paths in shims are relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** What the shim loads: a module of the project and the type token of the resource it defines. */
export interface ProviderRef {
    /** Path relative to the project folder, `/`-separated, without extension: `components/talos/wol`. */
    module: string;
    /** `pulumi-nodejs:dynamic/<module>:<type>`. */
    token: string;
}

/** `/work/x/components/talos/wol.ts` → `components/talos/wol` (throws for a file outside the project). Symlinks resolved. */
export function projectModule(file: string, root = PROJECT_ROOT): string {
    const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : p);
    const rel = path
        .relative(real(root), real(file))
        .split(path.sep)
        .join("/")
        .replace(/\.(ts|js)$/, "");
    if (rel.startsWith("..") || path.isAbsolute(rel))
        throw new Error(`internal: ${file} is not inside the project folder ${root}`);
    return rel;
}

/**
 * The provider text stored in the state: a CommonJS module whose `handler()` finds the project folder (the host's
 * working folder or one above it), registers ts-node from the project's node_modules when the code is TypeScript,
 * loads `ref.module` and returns the provider of the class whose `dynamicToken` is `ref.token`.
 */
export function providerShim(ref: ProviderRef): string {
    return `"use strict";
// homelab: the provider of ${ref.token} is loaded from the project's code at each run (components/dynamic.ts).
const ref = ${JSON.stringify(ref)};
exports.handler = function handler() {
    const fs = require("fs");
    const path = require("path");
    const fail = (why) => new Error("homelab: cannot load the provider of " + ref.token + " (" + ref.module + "): " + why);
    const searched = [];
    let root, file;
    for (let dir = process.cwd(); root === undefined; dir = path.dirname(dir)) {
        searched.push(dir);
        const ext = [".js", ".ts"].find((e) => fs.existsSync(path.join(dir, ref.module + e)));
        if (ext !== undefined) {
            root = dir;
            // Its real path: the one its imports (and the other providers' modules) are loaded under.
            file = fs.realpathSync(path.join(dir, ref.module + ext));
        } else if (path.dirname(dir) === dir) break;
    }
    if (root === undefined) {
        throw fail("it is in none of " + searched.join(", ") + ". The engine runs providers in the project folder: run pulumi " +
            "from the checkout of the homelab program this stack belongs to, after npm ci there");
    }
    if (file.endsWith(".ts") && !require.extensions[".ts"]) {
        let tsNode;
        try {
            tsNode = require(require.resolve("ts-node", { paths: [root] }));
        } catch (e) {
            throw fail("the code is TypeScript and ts-node is not installed in " + root + ": run npm ci there");
        }
        const project = path.join(root, "tsconfig.json");
        tsNode.register({ transpileOnly: true, project, skipProject: !fs.existsSync(project), compilerOptions: { module: "commonjs" } });
    }
    let mod;
    try {
        mod = require(file);
    } catch (e) {
        throw fail("loading " + file + " failed: " + (e && e.message || e) + " (a missing package: run npm ci in " + root + ")");
    }
    for (const v of Object.values(mod)) {
        if (v && v.dynamicToken === ref.token && v.provider) return v.provider;
    }
    throw fail(file + " no longer defines it: this stack was made by another version of the program; check out a " +
        "version that defines " + ref.token + " and run npm ci");
};
`;
}

/** A resource's args: its inputs as Pulumi inputs; those with a default may be left out. */
export type DynamicArgs<I, D extends keyof I = never> = {
    [K in keyof PlainArgs<I, D>]: pulumi.Input<PlainArgs<I, D>[K]>;
};

/** The args as plain values: the inputs, those with a default optional. */
export type PlainArgs<I, D extends keyof I = never> = Omit<I, D> & Partial<Pick<I, D>>;

/** The resource's outputs as properties of its object. */
export type DynamicOutputs<O> = { readonly [K in keyof O]-?: pulumi.Output<O[K]> };

/** What {@link dynamicResource} builds: a resource class that also carries its provider and stored text. */
export interface DynamicResourceClass<I, O, D extends keyof I = never> {
    new (
        name: string,
        args: DynamicArgs<I, D>,
        opts?: pulumi.CustomResourceOptions,
    ): pulumi.CustomResource & DynamicOutputs<O>;
    /** `pulumi-nodejs:dynamic/<module>:<type>`. */
    readonly dynamicToken: string;
    /** The provider the host runs (defaults and the provider-text migration included): call it directly in tests. */
    readonly provider: pulumi.dynamic.ResourceProvider;
    /** What the state stores as `__provider`. */
    readonly providerText: string;
}

export interface DynamicResourceSpec<I, O, D extends keyof I> {
    /** Type token parts: `pulumi-nodejs:dynamic/<module>:<type>`. */
    module: string;
    type: string;
    /** The file that defines the class (`__filename`): the host loads it from there. */
    file: string;
    provider: pulumi.dynamic.ResourceProvider;
    /** Values of inputs the args may leave out; applied to the args and again by `check` (see {@link withDefaults}). */
    defaults?: Pick<I, D>;
    /** Output-only properties (unknown until the resource is created). */
    outputs: ReadonlyArray<Exclude<keyof O, keyof I>>;
    /** Outputs to store as secrets. */
    secretOutputs?: ReadonlyArray<keyof O & string>;
    /** Adjust the args (with defaults) before they are registered, e.g. mark inputs secret. */
    prepare?: (args: Record<string, pulumi.Input<unknown>>) => Record<string, pulumi.Input<unknown>>;
}

/** `values` with each default filled in where the value is undefined: the one place defaults are applied. */
export function withDefaults<T extends object>(values: T, defaults: object | undefined): T {
    const out = { ...values } as Record<string, unknown>;
    for (const [k, v] of Object.entries(defaults ?? {})) {
        if (out[k] === undefined) out[k] = v;
    }
    return out as T;
}

/** True when a resource's stored provider text (olds) differs from the one registered now (news). */
export function providerTextChanged(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
    const before = olds?.[PROVIDER_KEY];
    const now = news?.[PROVIDER_KEY];
    return (
        typeof before === "string" && typeof now === "string" && before !== now && now !== pulumi.runtime.unknownValue
    );
}

function withoutProviderText(props: Record<string, unknown>): Record<string, unknown> {
    const out = { ...(props ?? {}) };
    delete out[PROVIDER_KEY];
    return out;
}

/**
 * The provider the host runs: `impl` with defaults applied in `check`, never shown `__provider` (the host keeps it),
 * and the provider-text migration (module comment): a diff that finds nothing but another stored text reports a
 * change, and the update that follows keeps the outputs as they are (the host stores the new text with them).
 */
export function hostedProvider(
    impl: pulumi.dynamic.ResourceProvider,
    defaults?: object,
): pulumi.dynamic.ResourceProvider {
    type Props = Record<string, unknown>;
    const bare = withoutProviderText;
    const implDiff = async (id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> =>
        impl.diff ? impl.diff(id, bare(olds), bare(news)) : {};
    return {
        async check(olds: Props, news: Props) {
            const filled = withDefaults(bare(news), defaults);
            return impl.check ? impl.check(bare(olds), filled) : { inputs: filled };
        },
        async diff(id: string, olds: Props, news: Props) {
            const d = await implDiff(id, olds, news);
            return d.changes !== true && providerTextChanged(olds, news) ? { ...d, changes: true } : d;
        },
        create: async (inputs: Props) => impl.create(bare(inputs)),
        async read(id: string, props: Props) {
            return impl.read ? impl.read(id, bare(props)) : { id, props };
        },
        async update(id: string, olds: Props, news: Props) {
            if (providerTextChanged(olds, news) && (await implDiff(id, olds, news)).changes === false) {
                return { outs: bare(olds) };
            }
            return impl.update ? impl.update(id, bare(olds), bare(news)) : { outs: bare(news) };
        },
        async delete(id: string, props: Props) {
            if (impl.delete) await impl.delete(id, bare(props));
        },
    };
}

/** Builds the resource class of a dynamic resource whose state stores only {@link providerShim}. */
export function dynamicResource<I, O, D extends keyof I = never>(
    spec: DynamicResourceSpec<I, O, D>,
): DynamicResourceClass<I, O, D> {
    const token = `pulumi-nodejs:dynamic/${spec.module}:${spec.type}`;
    const text = providerShim({ module: projectModule(spec.file), token });
    const provider = hostedProvider(spec.provider, spec.defaults);
    class DynamicResource extends pulumi.CustomResource {
        static readonly dynamicToken = token;
        static readonly provider = provider;
        static readonly providerText = text;
        constructor(name: string, args: DynamicArgs<I, D>, opts?: pulumi.CustomResourceOptions) {
            const filled = withDefaults(args as Record<string, pulumi.Input<unknown>>, spec.defaults);
            const props: Record<string, pulumi.Input<unknown>> = spec.prepare ? spec.prepare(filled) : filled;
            for (const k of spec.outputs) props[k as string] = undefined;
            props[PROVIDER_KEY] = text;
            const secrets = [...(spec.secretOutputs ?? []), ...(opts?.additionalSecretOutputs ?? [])];
            super(token, name, props, secrets.length > 0 ? { ...opts, additionalSecretOutputs: secrets } : opts);
        }
    }
    return DynamicResource as unknown as DynamicResourceClass<I, O, D>;
}
