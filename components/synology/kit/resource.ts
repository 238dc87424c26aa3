/**
 * The DSM resource kit (components/synology/kit/): what every resource that talks to the NAS shares, the DSM
 * resources (../providers/) and the etcd snapshot (components/backups) alike. Here: the connection and password
 * inputs and their checks, the client, progress logging, the registration step ({@link prepareDsmArgs}), and
 * {@link dsmResource}, which builds a resource's provider and class from its pure parts. Beside it: redaction
 * (./redact.ts), the checks of an upload (./upload.ts) and the engine watch (./engine-watch.ts).
 *
 * A DSM resource file holds only what is its own: the inputs and outputs types and five functions (check,
 * diff, apply, read, restore). The helper adds what is the same for all: the connection and password checks,
 * the update a changed connection needs, one DSM client per NAS and user, errors prefixed with what was being
 * done and with the password redacted, the password (and a connection carrying a 2FA device id) as secrets.
 * The provider runs in Pulumi's provider host, which loads it from the project (../../dynamic.ts): the DSM
 * session lives in the client's cache on `globalThis` (see `getDsmClient`), shared by all the DSM providers.
 * The five functions get the client and the log from a {@link DsmSession}; how sessions are made is the runtime's
 * ({@link DsmRuntime}): the host's ({@link HOST_RUNTIME}) for `.provider`, another one given to `providerWith`.
 */
import * as pulumi from "@pulumi/pulumi";
import { dynamicResource, DynamicResourceClass, hostedProvider } from "../../dynamic";
import { DsmVerifyError } from "../dsm/errors";
import { getDsmClient } from "../dsm/registry";
import { asObject, sameValue } from "../dsm/shapes";
import type { DsmApi, DsmApiUse, DsmConnection, DsmConnectionArgs } from "../dsm/types";
import { armEngineWatch } from "./engine-watch";
import { wrapError } from "./redact";

/** The inputs (and outputs) every DSM resource carries. */
export interface DsmResourceProps {
    connection: DsmConnectionArgs;
    /** The DSM password. Marked secret on the resource (`additionalSecretOutputs`). */
    password: string;
}

/** Output properties that hold secrets. */
export const SECRET_OUTPUTS = ["password"] as const;

/**
 * How the DSM resources of a process reach the NAS and say what they are doing. The provider host runs them with
 * {@link HOST_RUNTIME}; a test or the benchmark builds a resource's provider with its own (`providerWith`).
 */
export interface DsmRuntime {
    /** The DSM client for a connection (with its password). */
    client: (conn: DsmConnection) => DsmApi;
    /** Progress and info messages. */
    log: (message: string) => void;
}

/** What a DSM resource's functions work with during one provider call: the NAS's client, and its runtime's log. */
export interface DsmSession {
    client: DsmApi;
    log: (message: string) => void;
}

/**
 * The runtime of the provider host and of `pulumi up`'s own process. The client: the shared one for the NAS and
 * user (one login per process, `getDsmClient`), with the engine watch armed in the dynamic-provider host (it stops,
 * cleaning up, when the engine that started it goes away). Messages: to `pulumi.log.info` with an engine
 * connection; in Pulumi's dynamic-provider host (which has none, and whose stderr the engine shows as the
 * provider's messages) to stderr; otherwise nowhere.
 */
export const HOST_RUNTIME: DsmRuntime = {
    client: (conn) => {
        armEngineWatch();
        return getDsmClient(conn);
    },
    log: (message) => {
        if (pulumi.runtime.hasEngine()) {
            void pulumi.log.info(message);
        } else if (/dynamic-provider/.test(process.argv[1] ?? "")) {
            process.stderr.write(`${message}\n`);
        }
    },
};

/** The session of one provider call on `props`'s NAS. */
export function sessionFor(runtime: DsmRuntime, props: DsmResourceProps): DsmSession {
    return { client: runtime.client({ ...props.connection, password: props.password }), log: runtime.log };
}

/** Check failures of the connection part, before any remote call. */
export function checkConnection(news: Partial<DsmResourceProps>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const c = news.connection;
    if (!c || typeof c !== "object") {
        return [{ property: "connection", reason: "connection (synology.url, synology.username) is required" }];
    }
    if (typeof c.url !== "string" || !/^https?:\/\/[^/]+$/.test(c.url)) {
        failures.push({
            property: "connection",
            reason: `synology.url "${String(c.url)}" must be http(s)://host[:port] without a path or trailing slash`,
        });
    } else if (c.url.startsWith("http://") && !c.allowHttp) {
        failures.push({
            property: "connection",
            reason: `synology.url uses http://; use https:// or set synology.allowHttp: true`,
        });
    }
    if (typeof c.username !== "string" || c.username === "") {
        failures.push({ property: "connection", reason: "synology.username is required" });
    }
    if (typeof news.password !== "string" || news.password === "") {
        failures.push({
            property: "password",
            reason: "the DSM password (homelab:synologyPassword, a secret) is required",
        });
    }
    return failures;
}

/** The interface check of the resources bound to one NAS interface; parseStackConfig words it for users (synology.interface). */
export function checkIfname(ifname: unknown): pulumi.dynamic.CheckFailure[] {
    return typeof ifname === "string" && /^[A-Za-z0-9_.-]+$/.test(ifname)
        ? []
        : [{ property: "ifname", reason: `ifname "${String(ifname)}" is not an interface name` }];
}

/** True when `v` is, or contains, a value not known yet (preview). */
export function containsUnknown(v: unknown): boolean {
    if (v === pulumi.runtime.unknownValue) {
        return true;
    }
    if (Array.isArray(v)) {
        return v.some(containsUnknown);
    }
    if (v && typeof v === "object") {
        return Object.values(v as Record<string, unknown>).some(containsUnknown);
    }
    return false;
}

/** Drop failures about properties whose value is not known yet (preview): they are checked once known. */
export function knownFailures(news: object, failures: pulumi.dynamic.CheckFailure[]): pulumi.dynamic.CheckFailure[] {
    return failures.filter((f) => !containsUnknown((news as Record<string, unknown>)[f.property]));
}

/** True when connection or password differ (an update is needed to store the new ones). */
export function connectionChanged(olds: Partial<DsmResourceProps>, news: Partial<DsmResourceProps>): boolean {
    return (
        olds.password !== news.password ||
        JSON.stringify(olds.connection ?? null) !== JSON.stringify(news.connection ?? null)
    );
}

/** Run `fn`; on failure rethrow as `wrapError(what, ...)` with the props' password redacted. */
export async function guard<T>(props: Partial<DsmResourceProps>, what: string, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (err) {
        throw wrapError(what, err, [props.password]);
    }
}

/** Order-insensitive deep equality for JSON-like values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
    return stableJson(a) === stableJson(b);
}

/** JSON with object keys sorted. */
export function stableJson(v: unknown): string {
    return (
        JSON.stringify(v, (_k, val: unknown) => {
            if (val && typeof val === "object" && !Array.isArray(val)) {
                const sorted: Record<string, unknown> = {};
                for (const k of Object.keys(val).sort()) {
                    sorted[k] = (val as Record<string, unknown>)[k];
                }
                return sorted;
            }
            return val;
        }) ?? "undefined"
    );
}

/** A DSM resource: its own parts. `I` are its inputs, `O` its outputs (the inputs and what it found). */
export interface DsmResourceDefinition<I extends DsmResourceProps, O extends I, D extends keyof I = never> {
    /** `pulumi-nodejs:dynamic/synology:<type>`. */
    type: string;
    /** The DSM APIs it calls (beyond the client's own File Station and login): the doctor and pre-flight check them. */
    apis: readonly DsmApiUse[];
    /** The file that defines it (`__filename`): the provider host loads the provider from there. */
    file: string;
    /** Inputs that may be left out, and their values. */
    defaults?: Pick<I, D>;
    /** Output-only properties. */
    outputs: ReadonlyArray<Exclude<keyof O, keyof I>>;
    /** What it is, for messages: `shared folder pxe`, `TFTP settings`. */
    what(props: I): string;
    /** What its delete does to it, for messages. */
    onDelete: "deleting" | "restoring" | "removing";
    /** The resource ID. */
    id(inputs: I): string;
    /** Problems with the inputs besides the connection's (`check`). Values not known yet are skipped by the helper. */
    check(news: Partial<I>): pulumi.dynamic.CheckFailure[];
    /** Pure diff of the last read (or written) outputs against the inputs; a connection change is added by the helper. */
    diff(olds: O, news: I): pulumi.dynamic.DiffResult;
    /** Create (`olds` undefined) or update: make the NAS match `inputs`; returns the outputs. */
    apply(nas: DsmSession, inputs: I, olds?: O): Promise<O>;
    /** Refresh: what the NAS has now, as outputs. */
    read(nas: DsmSession, props: O): Promise<O>;
    /** Delete: put back what was there before (or remove what this resource made). */
    restore(nas: DsmSession, props: O): Promise<void>;
}

/** The provider of a DSM resource, from its definition, running with `runtime`. */
function dsmProvider<I extends DsmResourceProps, O extends I, D extends keyof I>(
    def: DsmResourceDefinition<I, O, D>,
    runtime: DsmRuntime,
): pulumi.dynamic.ResourceProvider {
    const nas = (props: DsmResourceProps) => sessionFor(runtime, props);
    return {
        check(_olds: unknown, news: I) {
            const failures = knownFailures(news, [...checkConnection(news), ...def.check(news)]);
            return Promise.resolve({ inputs: news, failures });
        },
        diff(_id: string, olds: O, news: I) {
            const d = def.diff(olds, news);
            return Promise.resolve(d.changes || !connectionChanged(olds, news) ? d : { ...d, changes: true });
        },
        async create(inputs: I) {
            const outs = await guard(inputs, def.what(inputs), () => def.apply(nas(inputs), inputs));
            return { id: def.id(inputs), outs };
        },
        async read(id: string, props: O) {
            const outs = await guard(props, `reading ${def.what(props)}`, () => def.read(nas(props), props));
            return { id, props: outs };
        },
        async update(_id: string, olds: O, news: I) {
            return { outs: await guard(news, def.what(news), () => def.apply(nas(news), news, olds)) };
        },
        async delete(_id: string, props: O) {
            await guard(props, `${def.onDelete} ${def.what(props)}`, () => def.restore(nas(props), props));
        },
    };
}

/** A connection carrying a remembered 2FA device id lets its holder skip the one-time code: then it is a secret. */
function secretIfDeviceId(c: pulumi.Input<DsmConnectionArgs>): pulumi.Output<DsmConnectionArgs> {
    return pulumi
        .output(c)
        .apply((v): pulumi.Input<DsmConnectionArgs> =>
            v.deviceId ? pulumi.secret(v) : v,
        ) as pulumi.Output<DsmConnectionArgs>;
}

/**
 * The registration step of every resource that talks to the NAS (a DSM resource, the etcd snapshot): the password
 * a secret, and the connection too when it carries a 2FA device id. Pair it with {@link SECRET_OUTPUTS}.
 */
export function prepareDsmArgs(args: Record<string, pulumi.Input<unknown>>): Record<string, pulumi.Input<unknown>> {
    return {
        ...args,
        password: pulumi.secret(args.password),
        connection: secretIfDeviceId(args.connection as pulumi.Input<DsmConnectionArgs>),
    };
}

/**
 * A DSM resource's class: a dynamic resource (its provider, the host's, as `.provider`) that also names the DSM APIs
 * it calls, and builds its provider with another runtime (`providerWith`: tests, the benchmark).
 */
export type DsmResourceClass<I, O, D extends keyof I = never> = DynamicResourceClass<I, O, D> & {
    readonly apis: readonly DsmApiUse[];
    providerWith(runtime: DsmRuntime): pulumi.dynamic.ResourceProvider;
};

/** The resource class of a DSM resource (its provider as `.provider`, its APIs as `.apis`), from its definition. */
export function dsmResource<I extends DsmResourceProps, O extends I, D extends keyof I = never>(
    def: DsmResourceDefinition<I, O, D>,
): DsmResourceClass<I, O, D> {
    const cls = dynamicResource<I, O, D>({
        module: "synology",
        type: def.type,
        file: def.file,
        provider: dsmProvider(def, HOST_RUNTIME),
        defaults: def.defaults,
        outputs: def.outputs,
        secretOutputs: SECRET_OUTPUTS,
        prepare: prepareDsmArgs,
    });
    return Object.assign(cls, {
        apis: def.apis,
        providerWith: (runtime: DsmRuntime) => hostedProvider(dsmProvider(def, runtime), def.defaults),
    });
}

/**
 * The write half of a read-modify-write: `set` with the whole `body`, read the object back (`get` with `key`) and
 * fail naming every field of `wanted` that did not take (DSM answers success to fields it ignores).
 */
export async function setAndVerify(
    client: DsmApi,
    use: DsmApiUse,
    key: Record<string, unknown>,
    body: Record<string, unknown>,
    wanted: Record<string, unknown>,
): Promise<void> {
    const name = await client.resolve(use, "set");
    await client.call(use, "set", { ...key, ...body });
    const after = asObject(await client.call(use, "get", key), name, "get");
    const diffs = Object.keys(wanted)
        .filter((k) => !sameValue(wanted[k], after[k]))
        .map((k) => ({ field: k, wanted: wanted[k], got: after[k] }));
    if (diffs.length) throw new DsmVerifyError(name, diffs);
}
