/**
 * The SynologyCsi component: the Synology CSI driver (iSCSI) on the Talos cluster, so persistent
 * volumes live on the NAS. Thin wiring over the pure builders in ./render.
 */
import * as pulumi from "@pulumi/pulumi";
// The classes used, each from its own module: the package's index loads all of its ~110 modules (every API group).
import { DaemonSet } from "@pulumi/kubernetes/apps/v1/daemonSet";
import { StatefulSet } from "@pulumi/kubernetes/apps/v1/statefulSet";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace";
import { Secret } from "@pulumi/kubernetes/core/v1/secret";
import { ServiceAccount } from "@pulumi/kubernetes/core/v1/serviceAccount";
import { Provider } from "@pulumi/kubernetes/provider";
import { ClusterRole } from "@pulumi/kubernetes/rbac/v1/clusterRole";
import { ClusterRoleBinding } from "@pulumi/kubernetes/rbac/v1/clusterRoleBinding";
import { CSIDriver } from "@pulumi/kubernetes/storage/v1/csidriver";
import { StorageClass } from "@pulumi/kubernetes/storage/v1/storageClass";

import type { SynologyCsiConfig } from "./config";
import {
    DEFAULT_NAMESPACE,
    PolicyRule,
    CLIENT_INFO_KEY,
    COMMON_LABELS,
    SynologyCsiImages,
    controllerRules,
    nodeRules,
    renderClientInfo,
    renderControllerSpec,
    renderCsiDriverSpec,
    renderNamespaceMetadata,
    renderNodeSpec,
    renderStorageClass,
    synologyCsiImages,
    synologyCsiObjectNames,
} from "./render";

/** Where the driver reaches DSM. */
export interface SynologyCsiNasArgs {
    /** IPv4 address or host name of the NAS, as the nodes reach it (also the StorageClass `dsm`). */
    host: pulumi.Input<string>;
    /** DSM port, e.g. 5001 for https. */
    port: pulumi.Input<number>;
    /** Whether `port` speaks HTTPS. */
    https: pulumi.Input<boolean>;
    /** The DSM user the driver logs in as (must be allowed to manage SAN Manager). */
    username: pulumi.Input<string>;
}

export interface SynologyCsiArgs {
    /** Kubeconfig of the cluster (a secret output of the Talos cluster). */
    kubeconfig: pulumi.Input<string>;
    /**
     * The cluster's health-check output (or resource). The Kubernetes provider, and so everything
     * this component creates, waits for it.
     */
    healthy: pulumi.Input<unknown>;
    /**
     * `workloads.synologyCsi`, validated. Plain, not an Input: `enabled` decides which resources
     * exist, which must be known when the program runs.
     */
    csi: SynologyCsiConfig;
    /** The NAS the driver provisions LUNs on. */
    nas: SynologyCsiNasArgs;
    /** DSM password of `nas.username`; treated as a secret whatever is passed. */
    password: pulumi.Input<string>;
    /** Namespace to run the driver in. Default `synology-csi`. */
    namespace?: string;
    /** Override images of the driver or its sidecars (default: driver at `csi.version`, pinned sidecars). */
    images?: Partial<SynologyCsiImages>;
}

/**
 * The kubeconfig input of the Kubernetes provider: the kubeconfig, carrying the health check as a
 * dependency (so the provider is registered only after it), always secret.
 */
export function kubeconfigAfter(
    kubeconfig: pulumi.Input<string>,
    healthy: pulumi.Input<unknown>,
): pulumi.Output<string> {
    return pulumi.secret(pulumi.all([kubeconfig, healthy]).apply(([k]) => k));
}

/** The Synology CSI driver on the cluster. Creates nothing when `csi.enabled` is false. */
export class SynologyCsi extends pulumi.ComponentResource {
    /** Whether the driver is deployed. */
    public readonly enabled: boolean;
    /** The StorageClass's name once it exists; undefined when disabled. */
    public readonly storageClassName: pulumi.Output<string | undefined>;
    /** The driver's namespace once it exists; undefined when disabled. */
    public readonly namespace: pulumi.Output<string | undefined>;

    constructor(name: string, args: SynologyCsiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:workloads:SynologyCsi", name, {}, opts);
        this.enabled = args.csi.enabled;

        if (!args.csi.enabled) {
            this.storageClassName = pulumi.output<string | undefined>(undefined);
            this.namespace = pulumi.output<string | undefined>(undefined);
            this.registerOutputs({ enabled: false, storageClassName: undefined, namespace: undefined });
            return;
        }

        const names = synologyCsiObjectNames(args.namespace ?? DEFAULT_NAMESPACE);
        const images = synologyCsiImages(args.csi.version, args.images);

        const healthDeps = pulumi.Resource.isInstance(args.healthy) ? [args.healthy] : [];
        const provider = new Provider(
            `${name}-k8s`,
            {
                kubeconfig: kubeconfigAfter(args.kubeconfig, args.healthy),
            },
            { parent: this, dependsOn: healthDeps },
        );
        const o = { parent: this, provider };

        const ns = new Namespace(
            `${name}-namespace`,
            {
                metadata: renderNamespaceMetadata(names.namespace),
            },
            o,
        );
        const namespace = ns.metadata.name;

        const clientInfo = pulumi.secret(
            pulumi
                .all([args.nas.host, args.nas.port, args.nas.https, args.nas.username, pulumi.secret(args.password)])
                .apply(([host, port, https, username, password]) =>
                    renderClientInfo([{ host, port, https, username, password }]),
                ),
        );
        const secret = new Secret(
            `${name}-client-info`,
            {
                metadata: { name: names.clientInfoSecret, namespace, labels: { ...COMMON_LABELS } },
                type: "Opaque",
                stringData: pulumi.secret({ [CLIENT_INFO_KEY]: clientInfo }),
            },
            o,
        );

        const driver = new CSIDriver(
            `${name}-driver`,
            {
                metadata: { name: names.csiDriver, labels: { ...COMMON_LABELS } },
                spec: renderCsiDriverSpec(),
            },
            o,
        );

        // Each part (controller, node plugin) runs as its own service account, bound to its own cluster role.
        const account = (
            part: "controller" | "node",
            accountName: string,
            roleName: string,
            bindingName: string,
            rules: PolicyRule[],
        ) => {
            const sa = new ServiceAccount(
                `${name}-${part}-sa`,
                {
                    metadata: { name: accountName, namespace, labels: { ...COMMON_LABELS } },
                },
                o,
            );
            const role = new ClusterRole(
                `${name}-${part}-role`,
                {
                    metadata: { name: roleName, labels: { ...COMMON_LABELS } },
                    rules,
                },
                o,
            );
            return new ClusterRoleBinding(
                `${name}-${part}-binding`,
                {
                    metadata: { name: bindingName, labels: { ...COMMON_LABELS } },
                    subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }],
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
                },
                o,
            );
        };
        const controllerBinding = account(
            "controller",
            names.controllerServiceAccount,
            names.controllerClusterRole,
            names.controllerClusterRoleBinding,
            controllerRules(),
        );
        const nodeBinding = account(
            "node",
            names.nodeServiceAccount,
            names.nodeClusterRole,
            names.nodeClusterRoleBinding,
            nodeRules(),
        );

        // The provider waits for both to be Ready (every pod of the rollout) for at most workloads.synologyCsi.timeout.
        const ready = { create: args.csi.timeout, update: args.csi.timeout };
        new StatefulSet(
            `${name}-controller`,
            {
                metadata: { name: names.controller, namespace, labels: { ...COMMON_LABELS } },
                spec: renderControllerSpec(images, names),
            },
            { ...o, dependsOn: [secret, driver, controllerBinding], customTimeouts: ready },
        );

        new DaemonSet(
            `${name}-node`,
            {
                metadata: { name: names.node, namespace, labels: { ...COMMON_LABELS } },
                spec: renderNodeSpec(images, names),
            },
            { ...o, dependsOn: [secret, driver, nodeBinding], customTimeouts: ready },
        );

        const sc = pulumi.output(args.nas.host).apply((host) => renderStorageClass(args.csi, host));
        const storageClass = new StorageClass(
            `${name}-storage-class`,
            {
                metadata: {
                    name: args.csi.storageClassName,
                    labels: { ...COMMON_LABELS },
                    annotations: sc.annotations,
                },
                provisioner: sc.provisioner,
                parameters: sc.parameters,
                reclaimPolicy: sc.reclaimPolicy,
                allowVolumeExpansion: sc.allowVolumeExpansion,
                volumeBindingMode: sc.volumeBindingMode,
            },
            { ...o, dependsOn: [driver] },
        );

        this.storageClassName = storageClass.metadata.name;
        this.namespace = namespace;
        this.registerOutputs({ enabled: true, storageClassName: this.storageClassName, namespace: this.namespace });
    }
}

/** Builds the component only when the feature is on; undefined (nothing created) otherwise. */
export function createSynologyCsi(
    name: string,
    args: SynologyCsiArgs,
    opts?: pulumi.ComponentResourceOptions,
): SynologyCsi | undefined {
    return args.csi.enabled ? new SynologyCsi(name, args, opts) : undefined;
}
