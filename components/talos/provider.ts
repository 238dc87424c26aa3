/**
 * A typed binding of the Pulumiverse Talos provider, v0.8.1 (bridged terraform-provider-talos v0.11.0).
 *
 * `@pulumiverse/talos` is not reachable from this project's npm registry, so this module does what the
 * generated Node SDK does: `pulumi.CustomResource` subclasses registered under the provider's tokens, and
 * functions invoked through `pulumi.runtime.invoke` / `invokeOutput`, all pinned to
 * `version: "0.8.1"` and `pluginDownloadURL: "github://api.github.com/pulumiverse"` so the engine
 * downloads the right plugin. The namespaces and names mirror the published SDK
 * (`talos.machine.Secrets`, `talos.machine.getConfigurationOutput`, `talos.cluster.Kubeconfig`, ...),
 * so moving to the published package is an import change:
 *
 *     import * as talos from "./provider";        →   import * as talos from "@pulumiverse/talos";
 *
 * This is the ONLY file that knows the provider's tokens and property names. `TALOS_BINDING` lists
 * everything it declares; tests/talos/provider.test.ts compares that list with the provider's
 * schema (pulumi-talos-schema-v0.8.1.json).
 */
import * as pulumi from "@pulumi/pulumi";

/** The provider plugin version this binding was written against. */
export const TALOS_PROVIDER_VERSION = "0.8.1";
/** Where the engine downloads the plugin from (the schema's `pluginDownloadURL`). */
export const TALOS_PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumiverse";

/** What the binding declares for one resource or function (machine-readable, compared with the schema). */
export interface BindingEntry {
    kind: "resource" | "function";
    token: string;
    /** Node SDK path, e.g. `machine.Secrets`, `cluster.getHealth`. */
    sdkName: string;
    inputs: readonly string[];
    requiredInputs: readonly string[];
    /** Inputs the binding wraps in `pulumi.secret` before sending (the schema's secret inputs). */
    secretInputs: readonly string[];
    outputs: readonly string[];
    /**
     * Every key of the resource's `timeouts` type in the schema (resources that have one). The Terraform
     * bridge stores a partly given `timeouts` with the missing keys as null and later drops them when it
     * recovers the state, then refuses its own state ("recovered raw state does not byte-for-byte match the
     * original raw state"): the apply succeeds on the node but nothing is recorded. So the binding always
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

function resourceOpts(opts: pulumi.CustomResourceOptions | undefined,
                      secretOutputs: readonly string[]): pulumi.CustomResourceOptions {
    // Same shape as the generated SDK: utilities.resourceOptsDefaults() merged with the caller's opts,
    // then the secret outputs.
    let merged = pulumi.mergeOptions({
        version: TALOS_PROVIDER_VERSION,
        pluginDownloadURL: TALOS_PLUGIN_DOWNLOAD_URL,
    }, opts);
    if (secretOutputs.length > 0) {
        merged = pulumi.mergeOptions(merged, { additionalSecretOutputs: [...secretOutputs] });
    }
    return merged;
}

/** The provider's own default for a timeout key not given (terraform-provider-talos: 10 minutes). */
export const DEFAULT_TIMEOUT = "10m";

/** A `timeouts` object with every key of `keys`: the ones given, the others {@link DEFAULT_TIMEOUT}. Pure. */
export function completeTimeouts(given: Record<string, string | undefined> | undefined, keys: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of keys) out[k] = given?.[k] ?? DEFAULT_TIMEOUT;
    for (const k of Object.keys(given ?? {})) {
        if (!keys.includes(k)) throw new Error(`timeouts.${k} is not a timeout of this resource (it has ${keys.join(", ")})`);
    }
    return out;
}

/** Build the resource inputs the way generated SDKs do (secret inputs wrapped, missing required input → error). */
function resourceInputs(entry: BindingEntry, args: Record<string, unknown> | undefined,
                        opts: pulumi.CustomResourceOptions | undefined): pulumi.Inputs {
    const inputs: pulumi.Inputs = {};
    if (opts?.id) {
        // Reading an existing resource: the engine fills the state.
        for (const o of entry.outputs) inputs[o] = undefined;
        return inputs;
    }
    for (const req of entry.requiredInputs) {
        if ((args === undefined || args[req] === undefined) && !opts?.urn) {
            throw new Error(`Missing required property '${req}' (${entry.sdkName}, ${entry.token})`);
        }
    }
    for (const name of entry.inputs) {
        let value = args?.[name];
        if (name === "timeouts" && value !== undefined && entry.timeoutKeys) {
            const keys = entry.timeoutKeys;
            value = pulumi.output(value as pulumi.Input<Record<string, string | undefined>>).apply((t) => completeTimeouts(t, keys));
        }
        inputs[name] = value !== undefined && entry.secretInputs.includes(name)
            ? pulumi.secret(value as pulumi.Input<unknown>) : value;
    }
    for (const o of entry.outputs) {
        if (!(o in inputs)) inputs[o] = undefined;
    }
    return inputs;
}

function invokeOpts<T extends pulumi.InvokeOptions>(opts: T | undefined): T {
    return { version: TALOS_PROVIDER_VERSION, pluginDownloadURL: TALOS_PLUGIN_DOWNLOAD_URL, ...(opts ?? {}) } as T;
}

function functionArgs(entry: BindingEntry, args: Record<string, unknown> | undefined): pulumi.Inputs {
    for (const req of entry.requiredInputs) {
        if (args === undefined || args[req] === undefined) {
            throw new Error(`Missing required argument '${req}' (${entry.sdkName}, ${entry.token})`);
        }
    }
    const out: pulumi.Inputs = {};
    for (const name of entry.inputs) out[name] = args?.[name];
    return out;
}

function invokePlain<R>(entry: BindingEntry, args: Record<string, unknown> | undefined,
                        opts: pulumi.InvokeOptions | undefined): Promise<R> {
    return pulumi.runtime.invoke(entry.token, functionArgs(entry, args), invokeOpts(opts));
}

function invokeOut<R>(entry: BindingEntry, args: Record<string, unknown> | undefined,
                      opts: pulumi.InvokeOutputOptions | undefined): pulumi.Output<R> {
    const result = pulumi.runtime.invokeOutput<R>(entry.token, functionArgs(entry, args), invokeOpts(opts));
    // The real engine marks the provider's sensitive fields secret; mark the result secret here too so
    // the secret never travels in clear even with a provider or mock that does not.
    return entry.secretOutputs.length > 0 ? pulumi.secret(result) as unknown as pulumi.Output<R> : result;
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
export interface ClientConfigurationArgs {
    caCertificate: pulumi.Input<string>;
    clientCertificate: pulumi.Input<string>;
    clientKey: pulumi.Input<string>;
}
export interface Certificate { cert: string; key: string }
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
    /** Input properties of {@link Secrets}. */
    export interface SecretsArgs {
        /** The version of talos features to use in generated machine configuration (contract, e.g. `v1.12`). */
        talosVersion?: pulumi.Input<string>;
    }

    export const secretsBinding = {
        kind: "resource",
        token: "talos:machine/secrets:Secrets",
        sdkName: "machine.Secrets",
        inputs: ["talosVersion"] as const satisfies readonly (keyof SecretsArgs)[],
        requiredInputs: [],
        secretInputs: [],
        outputs: ["clientConfiguration", "machineSecrets", "talosVersion"],
        secretOutputs: ["clientConfiguration", "machineSecrets"],
    } satisfies BindingEntry;

    /** Generates machine secrets for a Talos cluster (`talos:machine/secrets:Secrets`). */
    export class Secrets extends pulumi.CustomResource {
        public static readonly __pulumiType = secretsBinding.token;
        /** The generated client configuration data (clientKey is secret). */
        declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
        /** The secrets for the talos cluster (secret). */
        declare public readonly machineSecrets: pulumi.Output<MachineSecrets>;
        /** The version of talos features to use in generated machine configuration. */
        declare public readonly talosVersion: pulumi.Output<string>;

        public static isInstance(obj: unknown): obj is Secrets {
            return obj !== undefined && obj !== null &&
                (obj as { __pulumiType?: string }).__pulumiType === Secrets.__pulumiType;
        }

        constructor(name: string, args?: SecretsArgs, opts?: pulumi.CustomResourceOptions) {
            super(Secrets.__pulumiType, name,
                resourceInputs(secretsBinding, args as Record<string, unknown> | undefined, opts),
                resourceOpts(opts, secretsBinding.secretOutputs));
        }
    }

    /** `talos:machine/ConfigurationApplyOnDestroy`: only acts when `reset` is true. */
    export interface ConfigurationApplyOnDestroy {
        /** Graceful reset (leave etcd, cordon/drain). Default true. */
        graceful?: pulumi.Input<boolean>;
        /** Reboot after reset. Default false. */
        reboot?: pulumi.Input<boolean>;
        /** Reset (wipe) the machine on destroy. Default false. */
        reset?: pulumi.Input<boolean>;
    }
    /** `talos:machine/Timeout` — Go duration strings. */
    export interface Timeout {
        create?: pulumi.Input<string>;
        update?: pulumi.Input<string>;
        delete?: pulumi.Input<string>;
    }

    /** Input properties of {@link ConfigurationApply}. */
    export interface ConfigurationApplyArgs {
        /** `auto` (default), `reboot`, `no_reboot`, `staged` or `staged_if_needing_reboot`. */
        applyMode?: pulumi.Input<string>;
        /** The client configuration (from Secrets). Supply this or clientConfigurationWo. */
        clientConfiguration?: pulumi.Input<ClientConfigurationArgs>;
        /** Write-only client configuration (secret). */
        clientConfigurationWo?: pulumi.Input<ClientConfigurationArgs>;
        /** Patches applied on top of machineConfigurationInput. */
        configPatches?: pulumi.Input<pulumi.Input<string>[]>;
        /** Talos API endpoint; defaults to node. */
        endpoint?: pulumi.Input<string>;
        /** The machine configuration to apply (secret). */
        machineConfigurationInput?: pulumi.Input<string>;
        /** Write-only machine configuration (secret). */
        machineConfigurationInputWo?: pulumi.Input<string>;
        /** The node (IP or name) to apply the configuration to. */
        node: pulumi.Input<string>;
        /** What happens on destroy (reset). */
        onDestroy?: pulumi.Input<ConfigurationApplyOnDestroy>;
        /** Operation timeouts (default 10m each). */
        timeouts?: pulumi.Input<Timeout>;
    }

    export const configurationApplyBinding = {
        kind: "resource",
        token: "talos:machine/configurationApply:ConfigurationApply",
        sdkName: "machine.ConfigurationApply",
        inputs: ["applyMode", "clientConfiguration", "clientConfigurationWo", "configPatches", "endpoint",
            "machineConfigurationInput", "machineConfigurationInputWo", "node", "onDestroy",
            "timeouts"] as const satisfies readonly (keyof ConfigurationApplyArgs)[],
        requiredInputs: ["node"],
        secretInputs: ["clientConfigurationWo", "machineConfigurationInput", "machineConfigurationInputWo"],
        timeoutKeys: ["create", "update", "delete"] as const satisfies readonly (keyof Timeout)[],
        outputs: ["applyMode", "clientConfiguration", "clientConfigurationWo", "configPatches", "endpoint",
            "machineConfiguration", "machineConfigurationHash", "machineConfigurationInput",
            "machineConfigurationInputWo", "node", "onDestroy", "resolvedApplyMode", "timeouts"],
        secretOutputs: ["clientConfiguration", "clientConfigurationWo", "machineConfiguration",
            "machineConfigurationInput", "machineConfigurationInputWo"],
    } satisfies BindingEntry;

    /** Applies a machine configuration to a node (`talos:machine/configurationApply:ConfigurationApply`). */
    export class ConfigurationApply extends pulumi.CustomResource {
        public static readonly __pulumiType = configurationApplyBinding.token;
        declare public readonly applyMode: pulumi.Output<string>;
        declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration | undefined>;
        declare public readonly clientConfigurationWo: pulumi.Output<ClientConfiguration | undefined>;
        declare public readonly configPatches: pulumi.Output<string[] | undefined>;
        declare public readonly endpoint: pulumi.Output<string>;
        /** The rendered machine configuration after patches (secret). */
        declare public readonly machineConfiguration: pulumi.Output<string>;
        /** SHA-256 of the rendered machine configuration (not secret). */
        declare public readonly machineConfigurationHash: pulumi.Output<string>;
        declare public readonly machineConfigurationInput: pulumi.Output<string | undefined>;
        declare public readonly machineConfigurationInputWo: pulumi.Output<string | undefined>;
        declare public readonly node: pulumi.Output<string>;
        declare public readonly onDestroy: pulumi.Output<{ graceful?: boolean; reboot?: boolean; reset?: boolean } | undefined>;
        declare public readonly resolvedApplyMode: pulumi.Output<string>;
        declare public readonly timeouts: pulumi.Output<{ create?: string; update?: string; delete?: string } | undefined>;

        public static isInstance(obj: unknown): obj is ConfigurationApply {
            return obj !== undefined && obj !== null &&
                (obj as { __pulumiType?: string }).__pulumiType === ConfigurationApply.__pulumiType;
        }

        constructor(name: string, args: ConfigurationApplyArgs, opts?: pulumi.CustomResourceOptions) {
            super(ConfigurationApply.__pulumiType, name,
                resourceInputs(configurationApplyBinding, args as unknown as Record<string, unknown>, opts),
                resourceOpts(opts, configurationApplyBinding.secretOutputs));
        }
    }

    /** `talos:machine/BootstrapTimeouts`. */
    export interface BootstrapTimeouts {
        create?: pulumi.Input<string>;
    }
    /** Input properties of {@link Bootstrap}. */
    export interface BootstrapArgs {
        clientConfiguration?: pulumi.Input<ClientConfigurationArgs>;
        clientConfigurationWo?: pulumi.Input<ClientConfigurationArgs>;
        /** Talos API endpoint; defaults to node. */
        endpoint?: pulumi.Input<string>;
        /** The control-plane node to bootstrap etcd on. */
        node: pulumi.Input<string>;
        timeouts?: pulumi.Input<BootstrapTimeouts>;
    }

    export const bootstrapBinding = {
        kind: "resource",
        token: "talos:machine/bootstrap:Bootstrap",
        sdkName: "machine.Bootstrap",
        inputs: ["clientConfiguration", "clientConfigurationWo", "endpoint", "node",
            "timeouts"] as const satisfies readonly (keyof BootstrapArgs)[],
        requiredInputs: ["node"],
        secretInputs: ["clientConfigurationWo"],
        timeoutKeys: ["create"] as const satisfies readonly (keyof BootstrapTimeouts)[],
        outputs: ["clientConfiguration", "clientConfigurationWo", "endpoint", "node", "timeouts"],
        secretOutputs: ["clientConfiguration", "clientConfigurationWo"],
    } satisfies BindingEntry;

    /** Bootstraps etcd on one control-plane node (`talos:machine/bootstrap:Bootstrap`). */
    export class Bootstrap extends pulumi.CustomResource {
        public static readonly __pulumiType = bootstrapBinding.token;
        declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration | undefined>;
        declare public readonly clientConfigurationWo: pulumi.Output<ClientConfiguration | undefined>;
        declare public readonly endpoint: pulumi.Output<string>;
        declare public readonly node: pulumi.Output<string>;
        declare public readonly timeouts: pulumi.Output<{ create?: string } | undefined>;

        public static isInstance(obj: unknown): obj is Bootstrap {
            return obj !== undefined && obj !== null &&
                (obj as { __pulumiType?: string }).__pulumiType === Bootstrap.__pulumiType;
        }

        constructor(name: string, args: BootstrapArgs, opts?: pulumi.CustomResourceOptions) {
            super(Bootstrap.__pulumiType, name,
                resourceInputs(bootstrapBinding, args as unknown as Record<string, unknown>, opts),
                resourceOpts(opts, bootstrapBinding.secretOutputs));
        }
    }

    /** Arguments of {@link getConfiguration}. */
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
    /** Arguments of {@link getConfigurationOutput}. */
    export interface GetConfigurationOutputArgs {
        clusterEndpoint: pulumi.Input<string>;
        clusterName: pulumi.Input<string>;
        configPatches?: pulumi.Input<pulumi.Input<string>[]>;
        docs?: pulumi.Input<boolean>;
        examples?: pulumi.Input<boolean>;
        kubernetesVersion?: pulumi.Input<string>;
        machineSecrets: pulumi.Input<MachineSecrets>;
        machineType: pulumi.Input<string>;
        talosVersion?: pulumi.Input<string>;
    }
    /** Result of {@link getConfiguration}. */
    export interface GetConfigurationResult {
        readonly clusterEndpoint: string;
        readonly clusterName: string;
        readonly configPatches?: string[];
        readonly docs?: boolean;
        readonly examples?: boolean;
        readonly id: string;
        readonly kubernetesVersion?: string;
        /** The generated machine configuration (secret). */
        readonly machineConfiguration: string;
        readonly machineSecrets: MachineSecrets;
        readonly machineType: string;
        readonly talosVersion?: string;
    }

    export const getConfigurationBinding = {
        kind: "function",
        token: "talos:machine/getConfiguration:getConfiguration",
        sdkName: "machine.getConfiguration",
        inputs: ["clusterEndpoint", "clusterName", "configPatches", "docs", "examples", "kubernetesVersion",
            "machineSecrets", "machineType", "talosVersion"] as const satisfies readonly (keyof GetConfigurationArgs)[],
        requiredInputs: ["clusterEndpoint", "clusterName", "machineSecrets", "machineType"],
        secretInputs: [],
        outputs: ["clusterEndpoint", "clusterName", "configPatches", "docs", "examples", "id",
            "kubernetesVersion", "machineConfiguration", "machineSecrets", "machineType",
            "talosVersion"] as const satisfies readonly (keyof GetConfigurationResult)[],
        secretOutputs: ["machineConfiguration", "machineSecrets"],
    } satisfies BindingEntry;

    /** Generate a machine configuration for a node type. */
    export function getConfiguration(args: GetConfigurationArgs, opts?: pulumi.InvokeOptions): Promise<GetConfigurationResult> {
        return invokePlain(getConfigurationBinding, args as unknown as Record<string, unknown>, opts);
    }
    /** Generate a machine configuration for a node type (Output form; the result is secret). */
    export function getConfigurationOutput(args: GetConfigurationOutputArgs,
                                           opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetConfigurationResult> {
        return invokeOut(getConfigurationBinding, args as unknown as Record<string, unknown>, opts);
    }
}

// ---------------------------------------------------------------------------------------------------
export namespace cluster {
    /** `talos:cluster/KubeconfigTimeouts`. */
    export interface KubeconfigTimeouts {
        create?: pulumi.Input<string>;
        update?: pulumi.Input<string>;
    }
    /** Input properties of {@link Kubeconfig}. */
    export interface KubeconfigArgs {
        /** How long before expiry the client certificate is renewed (default `720h`). */
        certificateRenewalDuration?: pulumi.Input<string>;
        clientConfiguration: pulumi.Input<ClientConfigurationArgs>;
        endpoint?: pulumi.Input<string>;
        /** The control-plane node to retrieve the kubeconfig from. */
        node: pulumi.Input<string>;
        timeouts?: pulumi.Input<KubeconfigTimeouts>;
    }
    export interface KubernetesClientConfiguration {
        host: string;
        caCertificate: string;
        clientCertificate: string;
        /** Secret. */
        clientKey: string;
    }

    export const kubeconfigBinding = {
        kind: "resource",
        token: "talos:cluster/kubeconfig:Kubeconfig",
        sdkName: "cluster.Kubeconfig",
        inputs: ["certificateRenewalDuration", "clientConfiguration", "endpoint", "node",
            "timeouts"] as const satisfies readonly (keyof KubeconfigArgs)[],
        requiredInputs: ["clientConfiguration", "node"],
        secretInputs: [],
        timeoutKeys: ["create", "update"] as const satisfies readonly (keyof KubeconfigTimeouts)[],
        outputs: ["certificateRenewalDuration", "clientConfiguration", "endpoint", "kubeconfigRaw",
            "kubernetesClientConfiguration", "node", "timeouts"],
        secretOutputs: ["clientConfiguration", "kubeconfigRaw", "kubernetesClientConfiguration"],
    } satisfies BindingEntry;

    /** Retrieves a kubeconfig from a Talos control plane (`talos:cluster/kubeconfig:Kubeconfig`). */
    export class Kubeconfig extends pulumi.CustomResource {
        public static readonly __pulumiType = kubeconfigBinding.token;
        declare public readonly certificateRenewalDuration: pulumi.Output<string>;
        declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
        declare public readonly endpoint: pulumi.Output<string>;
        /** The raw kubeconfig (secret). */
        declare public readonly kubeconfigRaw: pulumi.Output<string>;
        /** The Kubernetes client configuration (clientKey secret). */
        declare public readonly kubernetesClientConfiguration: pulumi.Output<KubernetesClientConfiguration>;
        declare public readonly node: pulumi.Output<string>;
        declare public readonly timeouts: pulumi.Output<{ create?: string; update?: string } | undefined>;

        public static isInstance(obj: unknown): obj is Kubeconfig {
            return obj !== undefined && obj !== null &&
                (obj as { __pulumiType?: string }).__pulumiType === Kubeconfig.__pulumiType;
        }

        constructor(name: string, args: KubeconfigArgs, opts?: pulumi.CustomResourceOptions) {
            super(Kubeconfig.__pulumiType, name,
                resourceInputs(kubeconfigBinding, args as unknown as Record<string, unknown>, opts),
                resourceOpts(opts, kubeconfigBinding.secretOutputs));
        }
    }

    /** Arguments of {@link getHealth}. */
    export interface GetHealthArgs {
        clientConfiguration: ClientConfiguration;
        controlPlaneNodes: string[];
        endpoints: string[];
        skipKubernetesChecks?: boolean;
        timeouts?: { read?: string };
        workerNodes?: string[];
    }
    /** Arguments of {@link getHealthOutput}. */
    export interface GetHealthOutputArgs {
        clientConfiguration: pulumi.Input<ClientConfigurationArgs>;
        controlPlaneNodes: pulumi.Input<pulumi.Input<string>[]>;
        endpoints: pulumi.Input<pulumi.Input<string>[]>;
        skipKubernetesChecks?: pulumi.Input<boolean>;
        timeouts?: pulumi.Input<{ read?: pulumi.Input<string> }>;
        workerNodes?: pulumi.Input<pulumi.Input<string>[]>;
    }
    /** Result of {@link getHealth}. */
    export interface GetHealthResult {
        readonly clientConfiguration: ClientConfiguration;
        readonly controlPlaneNodes: string[];
        readonly endpoints: string[];
        readonly id: string;
        readonly skipKubernetesChecks?: boolean;
        readonly timeouts?: { read?: string };
        readonly workerNodes?: string[];
    }

    export const getHealthBinding = {
        kind: "function",
        token: "talos:cluster/getHealth:getHealth",
        sdkName: "cluster.getHealth",
        inputs: ["clientConfiguration", "controlPlaneNodes", "endpoints", "skipKubernetesChecks", "timeouts",
            "workerNodes"] as const satisfies readonly (keyof GetHealthArgs)[],
        requiredInputs: ["clientConfiguration", "controlPlaneNodes", "endpoints"],
        secretInputs: [],
        outputs: ["clientConfiguration", "controlPlaneNodes", "endpoints", "id", "skipKubernetesChecks",
            "timeouts", "workerNodes"] as const satisfies readonly (keyof GetHealthResult)[],
        secretOutputs: ["clientConfiguration"],
    } satisfies BindingEntry;

    /** Waits for the Talos cluster to be healthy (errors on timeout). */
    export function getHealth(args: GetHealthArgs, opts?: pulumi.InvokeOptions): Promise<GetHealthResult> {
        return invokePlain(getHealthBinding, args as unknown as Record<string, unknown>, opts);
    }
    /** Output form of {@link getHealth}; the result is secret (it carries the client key). */
    export function getHealthOutput(args: GetHealthOutputArgs,
                                    opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetHealthResult> {
        return invokeOut(getHealthBinding, args as unknown as Record<string, unknown>, opts);
    }
}

// ---------------------------------------------------------------------------------------------------
export namespace client {
    /** Arguments of {@link getConfiguration}. */
    export interface GetConfigurationArgs {
        clientConfiguration: ClientConfiguration;
        clusterName: string;
        endpoints?: string[];
        nodes?: string[];
    }
    /** Arguments of {@link getConfigurationOutput}. */
    export interface GetConfigurationOutputArgs {
        clientConfiguration: pulumi.Input<ClientConfigurationArgs>;
        clusterName: pulumi.Input<string>;
        endpoints?: pulumi.Input<pulumi.Input<string>[]>;
        nodes?: pulumi.Input<pulumi.Input<string>[]>;
    }
    /** Result of {@link getConfiguration}. */
    export interface GetConfigurationResult {
        readonly clientConfiguration: ClientConfiguration;
        readonly clusterName: string;
        readonly endpoints?: string[];
        readonly id: string;
        readonly nodes?: string[];
        /** The talosconfig (secret). */
        readonly talosConfig: string;
    }

    export const getConfigurationBinding = {
        kind: "function",
        token: "talos:client/getConfiguration:getConfiguration",
        sdkName: "client.getConfiguration",
        inputs: ["clientConfiguration", "clusterName", "endpoints",
            "nodes"] as const satisfies readonly (keyof GetConfigurationArgs)[],
        requiredInputs: ["clientConfiguration", "clusterName"],
        secretInputs: [],
        outputs: ["clientConfiguration", "clusterName", "endpoints", "id", "nodes",
            "talosConfig"] as const satisfies readonly (keyof GetConfigurationResult)[],
        secretOutputs: ["clientConfiguration", "talosConfig"],
    } satisfies BindingEntry;

    /** Generate a talosconfig for a Talos cluster. */
    export function getConfiguration(args: GetConfigurationArgs, opts?: pulumi.InvokeOptions): Promise<GetConfigurationResult> {
        return invokePlain(getConfigurationBinding, args as unknown as Record<string, unknown>, opts);
    }
    /** Output form of {@link getConfiguration}; the result is secret. */
    export function getConfigurationOutput(args: GetConfigurationOutputArgs,
                                           opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetConfigurationResult> {
        return invokeOut(getConfigurationBinding, args as unknown as Record<string, unknown>, opts);
    }
}

/** Everything this binding declares, for comparison with the provider schema. */
export const TALOS_BINDING: readonly BindingEntry[] = [
    machine.secretsBinding,
    machine.configurationApplyBinding,
    machine.bootstrapBinding,
    machine.getConfigurationBinding,
    cluster.kubeconfigBinding,
    cluster.getHealthBinding,
    client.getConfigurationBinding,
];
