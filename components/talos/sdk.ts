/**
 * A hand-written SDK for the Pulumiverse Talos provider, v0.8.1 (bridged terraform-provider-talos v0.11.0):
 * the resources and functions this program uses, and nothing else.
 *
 * `@pulumiverse/talos` is not reachable from this project's npm registry, so this module does what its
 * generated Node SDK does: `pulumi.CustomResource` classes registered under the provider's tokens, and
 * functions invoked through `pulumi.runtime.invoke` / `invokeOutput`, all pinned to `version: "0.8.1"` and
 * `pluginDownloadURL: "github://api.github.com/pulumiverse"` so the engine downloads the right plugin. Each
 * resource or function is one {@link SdkEntry} (token, property names, secrets) and one line that builds it
 * ({@link sdkResource}, {@link sdkFunction}). The namespaces and names mirror the published SDK
 * (`talos.machine.Secrets`, `talos.machine.getConfigurationOutput`, `talos.cluster.Kubeconfig`, ...), so
 * moving to the published package is an import change:
 *
 *     import * as talos from "./sdk";        →   import * as talos from "@pulumiverse/talos";
 *
 * This is the ONLY file that knows the provider's tokens and property names. `TALOS_SDK` lists every entry;
 * tests/talos/sdk.test.ts compares it with the provider's schema (pulumi-talos-schema-v0.8.1.json). An
 * entry's `inputs` and `outputs` name every property of its plain types (checked by the compiler), so the
 * types, the lists and the schema agree.
 *
 * To use another resource or function of the provider: its plain input and output types, its entry, one
 * `sdkResource`/`sdkFunction` line, and the entry in `TALOS_SDK` (the schema test then checks it).
 */
import * as pulumi from "@pulumi/pulumi";
import { allKeys } from "../keys";

/** The provider plugin version this SDK was written against. */
export const TALOS_PROVIDER_VERSION = "0.8.1";
/** Where the engine downloads the plugin from (the schema's `pluginDownloadURL`). */
export const TALOS_PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumiverse";
/** The provider's own default for a timeout key not given (terraform-provider-talos: 10 minutes). */
export const DEFAULT_TIMEOUT = "10m";

/** What the SDK declares for one resource or function (machine-readable, compared with the schema). */
export interface SdkEntry {
    kind: "resource" | "function";
    token: string;
    /** Node SDK path, e.g. `machine.Secrets`, `cluster.getHealth`. */
    sdkName: string;
    inputs: readonly string[];
    requiredInputs: readonly string[];
    /** Inputs wrapped in `pulumi.secret` before sending (the schema's secret inputs). */
    secretInputs: readonly string[];
    outputs: readonly string[];
    /**
     * Every key of the resource's `timeouts` type in the schema (resources that have one). The Terraform
     * bridge stores a partly given `timeouts` with the missing keys as null and later drops them when it
     * recovers the state, then refuses its own state ("recovered raw state does not byte-for-byte match the
     * original raw state"): the apply succeeds on the node but nothing is recorded. So the SDK always
     * sends every key, filling the ones not given with {@link DEFAULT_TIMEOUT}.
     */
    timeoutKeys?: readonly string[];
    /**
     * Outputs marked secret: `additionalSecretOutputs` for resources; for functions the whole result
     * of the Output form is wrapped in `pulumi.secret` when this list is not empty. Includes outputs
     * whose type has a secret field (e.g. `clientConfiguration.clientKey`).
     */
    secretOutputs: readonly string[];
}

/** What a generated SDK accepts for a property of plain type `T`: the value, a promise or an output of it. */
type InputOf<T> = T extends readonly (infer E)[] ? pulumi.Input<pulumi.Input<E>[]> : pulumi.Input<T>;
/** The arguments of a resource or of a function's Output form, from its plain input type. */
export type InputArgs<T> = { [K in keyof T]: InputOf<T[K]> };
/** A resource of this SDK: its outputs as `pulumi.Output`s. */
export type SdkResource<O> = pulumi.CustomResource & { readonly [K in keyof O]-?: pulumi.Output<O[K]> };

/** A `timeouts` object with every key of `keys`: the ones given, the others {@link DEFAULT_TIMEOUT}. Pure. */
export function completeTimeouts(
    given: Record<string, string | undefined> | undefined,
    keys: readonly string[],
): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of keys) out[k] = given?.[k] ?? DEFAULT_TIMEOUT;
    for (const k of Object.keys(given ?? {})) {
        if (!keys.includes(k))
            throw new Error(`timeouts.${k} is not a timeout of this resource (it has ${keys.join(", ")})`);
    }
    return out;
}

function missingRequired(entry: SdkEntry, args: Record<string, unknown> | undefined): string | undefined {
    return entry.requiredInputs.find((req) => args === undefined || args[req] === undefined);
}

/** The resource inputs the way generated SDKs build them: secret inputs wrapped, a missing required one refused. */
function resourceInputs(
    entry: SdkEntry,
    args: Record<string, unknown> | undefined,
    opts: pulumi.CustomResourceOptions | undefined,
): pulumi.Inputs {
    const inputs: pulumi.Inputs = {};
    if (opts?.id) {
        // Reading an existing resource: the engine fills the state.
        for (const o of entry.outputs) inputs[o] = undefined;
        return inputs;
    }
    const missing = opts?.urn ? undefined : missingRequired(entry, args);
    if (missing) throw new Error(`Missing required property '${missing}' (${entry.sdkName}, ${entry.token})`);
    for (const name of entry.inputs) {
        let value = args?.[name];
        if (name === "timeouts" && value !== undefined && entry.timeoutKeys) {
            const keys = entry.timeoutKeys;
            value = pulumi
                .output(value as pulumi.Input<Record<string, string | undefined>>)
                .apply((t) => completeTimeouts(t, keys));
        }
        inputs[name] =
            value !== undefined && entry.secretInputs.includes(name)
                ? pulumi.secret(value as pulumi.Input<unknown>)
                : value;
    }
    for (const o of entry.outputs) {
        if (!(o in inputs)) inputs[o] = undefined;
    }
    return inputs;
}

/** Pins the plugin version and download URL, as generated SDKs do, under the caller's options. */
function pinned<T extends pulumi.ResourceOptions | pulumi.InvokeOptions>(opts: T | undefined): T {
    return { version: TALOS_PROVIDER_VERSION, pluginDownloadURL: TALOS_PLUGIN_DOWNLOAD_URL, ...(opts ?? {}) } as T;
}

/**
 * The resource class of an entry, the way a generated SDK's class behaves: registered under the entry's
 * token, inputs as {@link resourceInputs} builds them, the plugin pinned, the secret outputs declared.
 */
export function sdkResource<I, O>(entry: SdkEntry) {
    class Resource extends pulumi.CustomResource {
        static readonly __pulumiType = entry.token;
        constructor(name: string, args: InputArgs<I>, opts?: pulumi.CustomResourceOptions) {
            const secrets = entry.secretOutputs.length > 0 ? { additionalSecretOutputs: [...entry.secretOutputs] } : {};
            super(entry.token, name, resourceInputs(entry, args, opts), pulumi.mergeOptions(pinned(opts), secrets));
        }
    }
    return Resource as unknown as {
        new (name: string, args: InputArgs<I>, opts?: pulumi.CustomResourceOptions): SdkResource<O>;
        readonly __pulumiType: string;
    };
}

/**
 * The two forms of an entry's function, as a generated SDK has them: `invoke` (plain arguments, a promise)
 * and `invokeOutput` (Input arguments, an Output, secret as a whole when the result holds a secret, so the
 * secret never travels in clear even with a provider or mock that does not mark it).
 */
export function sdkFunction<I, R>(entry: SdkEntry) {
    const args = (given: unknown): pulumi.Inputs => {
        const a = given as Record<string, unknown> | undefined;
        const missing = missingRequired(entry, a);
        if (missing) throw new Error(`Missing required argument '${missing}' (${entry.sdkName}, ${entry.token})`);
        return Object.fromEntries(entry.inputs.map((name) => [name, a?.[name]]));
    };
    return {
        invoke: (given: I, opts?: pulumi.InvokeOptions): Promise<R> =>
            pulumi.runtime.invoke(entry.token, args(given), pinned(opts)),
        invokeOutput: (given: InputArgs<I>, opts?: pulumi.InvokeOutputOptions): pulumi.Output<R> => {
            const result = pulumi.runtime.invokeOutput<R>(entry.token, args(given), pinned(opts));
            return entry.secretOutputs.length > 0 ? (pulumi.secret(result) as unknown as pulumi.Output<R>) : result;
        },
    };
}

// ---------------------------------------------------------------------------------------------------
// Shared types (talos:machine/generated:*)

/** `talos:machine/generated:ClientConfiguration` (and the per-resource copies with the same fields). */
export interface ClientConfiguration {
    caCertificate: string;
    clientCertificate: string;
    /** Secret. */
    clientKey: string;
}
export interface Certificate {
    cert: string;
    key: string;
}
/** `talos:machine/generated:MachineSecrets`; every key/secret/token is secret. */
export interface MachineSecrets {
    certs: {
        etcd: Certificate;
        k8s: Certificate;
        k8sAggregator: Certificate;
        k8sServiceaccount: { key: string };
        os: Certificate;
    };
    cluster: { id: string; secret: string };
    secrets: { bootstrapToken: string; secretboxEncryptionSecret: string; aescbcEncryptionSecret?: string };
    trustdinfo: { token: string };
}

// ---------------------------------------------------------------------------------------------------
export namespace machine {
    /** Inputs of {@link Secrets}. */
    export interface SecretsInputs {
        /** The version of talos features to use in generated machine configuration (contract, e.g. `v1.12`). */
        talosVersion?: string;
    }
    /** Outputs of {@link Secrets}. */
    export interface SecretsOutputs {
        /** The generated client configuration data (clientKey is secret). */
        clientConfiguration: ClientConfiguration;
        /** The secrets for the talos cluster (secret). */
        machineSecrets: MachineSecrets;
        talosVersion: string;
    }
    export const secretsEntry: SdkEntry = {
        kind: "resource",
        token: "talos:machine/secrets:Secrets",
        sdkName: "machine.Secrets",
        inputs: allKeys<SecretsInputs>()(["talosVersion"]),
        requiredInputs: [],
        secretInputs: [],
        outputs: allKeys<SecretsOutputs>()(["clientConfiguration", "machineSecrets", "talosVersion"]),
        secretOutputs: ["clientConfiguration", "machineSecrets"],
    };
    /** Generates machine secrets for a Talos cluster (`talos:machine/secrets:Secrets`). */
    export const Secrets = sdkResource<SecretsInputs, SecretsOutputs>(secretsEntry);
    export type Secrets = SdkResource<SecretsOutputs>;

    /** `talos:machine/ConfigurationApplyOnDestroy`: only acts when `reset` is true. */
    export interface ConfigurationApplyOnDestroy {
        /** Graceful reset (leave etcd, cordon/drain). Default true. */
        graceful?: boolean;
        /** Reboot after reset. Default false. */
        reboot?: boolean;
        /** Reset (wipe) the machine on destroy. Default false. */
        reset?: boolean;
    }
    /** `talos:machine/Timeout` — Go duration strings. */
    export interface Timeout {
        create?: string;
        update?: string;
        delete?: string;
    }
    /** Inputs of {@link ConfigurationApply}. */
    export interface ConfigurationApplyInputs {
        /** `auto` (default), `reboot`, `no_reboot`, `staged` or `staged_if_needing_reboot`. */
        applyMode?: string;
        /** The client configuration (from Secrets). Supply this or clientConfigurationWo. */
        clientConfiguration?: ClientConfiguration;
        /** Write-only client configuration (secret). */
        clientConfigurationWo?: ClientConfiguration;
        /** Patches applied on top of machineConfigurationInput. */
        configPatches?: string[];
        /** Talos API endpoint; defaults to node. */
        endpoint?: string;
        /** The machine configuration to apply (secret). */
        machineConfigurationInput?: string;
        /** Write-only machine configuration (secret). */
        machineConfigurationInputWo?: string;
        /** The node (IP or name) to apply the configuration to. */
        node: string;
        /** What happens on destroy (reset). */
        onDestroy?: ConfigurationApplyOnDestroy;
        /** Operation timeouts (default 10m each; every key is sent, see {@link SdkEntry.timeoutKeys}). */
        timeouts?: Timeout;
    }
    /** Outputs of {@link ConfigurationApply}. */
    export interface ConfigurationApplyOutputs extends Omit<ConfigurationApplyInputs, "applyMode" | "endpoint"> {
        applyMode: string;
        endpoint: string;
        /** The rendered machine configuration after patches (secret). */
        machineConfiguration: string;
        /** SHA-256 of the rendered machine configuration (not secret). */
        machineConfigurationHash: string;
        resolvedApplyMode: string;
    }
    export const configurationApplyEntry: SdkEntry = {
        kind: "resource",
        token: "talos:machine/configurationApply:ConfigurationApply",
        sdkName: "machine.ConfigurationApply",
        inputs: allKeys<ConfigurationApplyInputs>()([
            "applyMode",
            "clientConfiguration",
            "clientConfigurationWo",
            "configPatches",
            "endpoint",
            "machineConfigurationInput",
            "machineConfigurationInputWo",
            "node",
            "onDestroy",
            "timeouts",
        ]),
        requiredInputs: ["node"],
        secretInputs: ["clientConfigurationWo", "machineConfigurationInput", "machineConfigurationInputWo"],
        timeoutKeys: allKeys<Timeout>()(["create", "update", "delete"]),
        outputs: allKeys<ConfigurationApplyOutputs>()([
            "applyMode",
            "clientConfiguration",
            "clientConfigurationWo",
            "configPatches",
            "endpoint",
            "machineConfiguration",
            "machineConfigurationHash",
            "machineConfigurationInput",
            "machineConfigurationInputWo",
            "node",
            "onDestroy",
            "resolvedApplyMode",
            "timeouts",
        ]),
        secretOutputs: [
            "clientConfiguration",
            "clientConfigurationWo",
            "machineConfiguration",
            "machineConfigurationInput",
            "machineConfigurationInputWo",
        ],
    };
    /** Applies a machine configuration to a node (`talos:machine/configurationApply:ConfigurationApply`). */
    export const ConfigurationApply = sdkResource<ConfigurationApplyInputs, ConfigurationApplyOutputs>(
        configurationApplyEntry,
    );
    export type ConfigurationApply = SdkResource<ConfigurationApplyOutputs>;

    /** `talos:machine/BootstrapTimeouts`. */
    export interface BootstrapTimeouts {
        create?: string;
    }
    /** Inputs (and outputs) of {@link Bootstrap}. */
    export interface BootstrapInputs {
        clientConfiguration?: ClientConfiguration;
        clientConfigurationWo?: ClientConfiguration;
        /** Talos API endpoint; defaults to node. */
        endpoint?: string;
        /** The control-plane node to bootstrap etcd on. */
        node: string;
        timeouts?: BootstrapTimeouts;
    }
    export const bootstrapEntry: SdkEntry = {
        kind: "resource",
        token: "talos:machine/bootstrap:Bootstrap",
        sdkName: "machine.Bootstrap",
        inputs: allKeys<BootstrapInputs>()([
            "clientConfiguration",
            "clientConfigurationWo",
            "endpoint",
            "node",
            "timeouts",
        ]),
        requiredInputs: ["node"],
        secretInputs: ["clientConfigurationWo"],
        timeoutKeys: allKeys<BootstrapTimeouts>()(["create"]),
        outputs: allKeys<BootstrapInputs>()([
            "clientConfiguration",
            "clientConfigurationWo",
            "endpoint",
            "node",
            "timeouts",
        ]),
        secretOutputs: ["clientConfiguration", "clientConfigurationWo"],
    };
    /** Bootstraps etcd on one control-plane node (`talos:machine/bootstrap:Bootstrap`). */
    export const Bootstrap = sdkResource<BootstrapInputs, BootstrapInputs>(bootstrapEntry);
    export type Bootstrap = SdkResource<BootstrapInputs>;

    /** Arguments of {@link getConfigurationOutput}. */
    export interface GetConfigurationArgs {
        clusterEndpoint: string;
        clusterName: string;
        configPatches?: string[];
        docs?: boolean;
        examples?: boolean;
        /** Kubernetes version without leading `v`. */
        kubernetesVersion?: string;
        machineSecrets: MachineSecrets;
        /** `controlplane` or `worker`. */
        machineType: string;
        /** Version contract (`v1.12`); does not choose the installed version. */
        talosVersion?: string;
    }
    /** Result of {@link getConfigurationOutput}. */
    export interface GetConfigurationResult extends GetConfigurationArgs {
        readonly id: string;
        /** The generated machine configuration (secret). */
        readonly machineConfiguration: string;
    }
    export const getConfigurationEntry: SdkEntry = {
        kind: "function",
        token: "talos:machine/getConfiguration:getConfiguration",
        sdkName: "machine.getConfiguration",
        inputs: allKeys<GetConfigurationArgs>()([
            "clusterEndpoint",
            "clusterName",
            "configPatches",
            "docs",
            "examples",
            "kubernetesVersion",
            "machineSecrets",
            "machineType",
            "talosVersion",
        ]),
        requiredInputs: ["clusterEndpoint", "clusterName", "machineSecrets", "machineType"],
        secretInputs: [],
        outputs: allKeys<GetConfigurationResult>()([
            "clusterEndpoint",
            "clusterName",
            "configPatches",
            "docs",
            "examples",
            "id",
            "kubernetesVersion",
            "machineConfiguration",
            "machineSecrets",
            "machineType",
            "talosVersion",
        ]),
        secretOutputs: ["machineConfiguration", "machineSecrets"],
    };
    /** Generate a machine configuration for a node type (Output form; the result is secret). */
    export const getConfigurationOutput = sdkFunction<GetConfigurationArgs, GetConfigurationResult>(
        getConfigurationEntry,
    ).invokeOutput;
}

// ---------------------------------------------------------------------------------------------------
export namespace cluster {
    /** `talos:cluster/KubeconfigTimeouts`. */
    export interface KubeconfigTimeouts {
        create?: string;
        update?: string;
    }
    /** Inputs of {@link Kubeconfig}. */
    export interface KubeconfigInputs {
        /** How long before expiry the client certificate is renewed (default `720h`). */
        certificateRenewalDuration?: string;
        clientConfiguration: ClientConfiguration;
        endpoint?: string;
        /** The control-plane node to retrieve the kubeconfig from. */
        node: string;
        timeouts?: KubeconfigTimeouts;
    }
    export interface KubernetesClientConfiguration {
        host: string;
        caCertificate: string;
        clientCertificate: string;
        /** Secret. */
        clientKey: string;
    }
    /** Outputs of {@link Kubeconfig}. */
    export interface KubeconfigOutputs extends Omit<KubeconfigInputs, "certificateRenewalDuration" | "endpoint"> {
        certificateRenewalDuration: string;
        endpoint: string;
        /** The raw kubeconfig (secret). */
        kubeconfigRaw: string;
        /** The Kubernetes client configuration (clientKey secret). */
        kubernetesClientConfiguration: KubernetesClientConfiguration;
    }
    export const kubeconfigEntry: SdkEntry = {
        kind: "resource",
        token: "talos:cluster/kubeconfig:Kubeconfig",
        sdkName: "cluster.Kubeconfig",
        inputs: allKeys<KubeconfigInputs>()([
            "certificateRenewalDuration",
            "clientConfiguration",
            "endpoint",
            "node",
            "timeouts",
        ]),
        requiredInputs: ["clientConfiguration", "node"],
        secretInputs: [],
        timeoutKeys: allKeys<KubeconfigTimeouts>()(["create", "update"]),
        outputs: allKeys<KubeconfigOutputs>()([
            "certificateRenewalDuration",
            "clientConfiguration",
            "endpoint",
            "kubeconfigRaw",
            "kubernetesClientConfiguration",
            "node",
            "timeouts",
        ]),
        secretOutputs: ["clientConfiguration", "kubeconfigRaw", "kubernetesClientConfiguration"],
    };
    /** Retrieves a kubeconfig from a Talos control plane (`talos:cluster/kubeconfig:Kubeconfig`). */
    export const Kubeconfig = sdkResource<KubeconfigInputs, KubeconfigOutputs>(kubeconfigEntry);
    export type Kubeconfig = SdkResource<KubeconfigOutputs>;

    /** Arguments of {@link getHealth}. */
    export interface GetHealthArgs {
        clientConfiguration: ClientConfiguration;
        controlPlaneNodes: string[];
        endpoints: string[];
        skipKubernetesChecks?: boolean;
        timeouts?: { read?: string };
        workerNodes?: string[];
    }
    /** Result of {@link getHealth}. */
    export interface GetHealthResult extends GetHealthArgs {
        readonly id: string;
    }
    export const getHealthEntry: SdkEntry = {
        kind: "function",
        token: "talos:cluster/getHealth:getHealth",
        sdkName: "cluster.getHealth",
        inputs: allKeys<GetHealthArgs>()([
            "clientConfiguration",
            "controlPlaneNodes",
            "endpoints",
            "skipKubernetesChecks",
            "timeouts",
            "workerNodes",
        ]),
        requiredInputs: ["clientConfiguration", "controlPlaneNodes", "endpoints"],
        secretInputs: [],
        outputs: allKeys<GetHealthResult>()([
            "clientConfiguration",
            "controlPlaneNodes",
            "endpoints",
            "id",
            "skipKubernetesChecks",
            "timeouts",
            "workerNodes",
        ]),
        secretOutputs: ["clientConfiguration"],
    };
    /** Waits for the Talos cluster to be healthy (rejects on timeout). */
    export const getHealth = sdkFunction<GetHealthArgs, GetHealthResult>(getHealthEntry).invoke;
}

// ---------------------------------------------------------------------------------------------------
export namespace client {
    /** Arguments of {@link getConfigurationOutput}. */
    export interface GetConfigurationArgs {
        clientConfiguration: ClientConfiguration;
        clusterName: string;
        endpoints?: string[];
        nodes?: string[];
    }
    /** Result of {@link getConfigurationOutput}. */
    export interface GetConfigurationResult extends GetConfigurationArgs {
        readonly id: string;
        /** The talosconfig (secret). */
        readonly talosConfig: string;
    }
    export const getConfigurationEntry: SdkEntry = {
        kind: "function",
        token: "talos:client/getConfiguration:getConfiguration",
        sdkName: "client.getConfiguration",
        inputs: allKeys<GetConfigurationArgs>()(["clientConfiguration", "clusterName", "endpoints", "nodes"]),
        requiredInputs: ["clientConfiguration", "clusterName"],
        secretInputs: [],
        outputs: allKeys<GetConfigurationResult>()([
            "clientConfiguration",
            "clusterName",
            "endpoints",
            "id",
            "nodes",
            "talosConfig",
        ]),
        secretOutputs: ["clientConfiguration", "talosConfig"],
    };
    /** Generate a talosconfig for a Talos cluster (Output form; the result is secret). */
    export const getConfigurationOutput = sdkFunction<GetConfigurationArgs, GetConfigurationResult>(
        getConfigurationEntry,
    ).invokeOutput;
}

/** Every entry of this SDK, for comparison with the provider schema. */
export const TALOS_SDK: readonly SdkEntry[] = [
    machine.secretsEntry,
    machine.configurationApplyEntry,
    machine.bootstrapEntry,
    machine.getConfigurationEntry,
    cluster.kubeconfigEntry,
    cluster.getHealthEntry,
    client.getConfigurationEntry,
];
