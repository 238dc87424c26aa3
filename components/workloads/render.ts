/**
 * Pure builders for the Synology CSI driver's Kubernetes objects (its config and checks: ./config.ts). No
 * Pulumi resources are created here: every function returns plain data, so the manifests can be unit-tested
 * without the engine (the `SynologyCsi` component only wires them).
 *
 * Shape learned from SynologyOpenSource/synology-csi `deploy/kubernetes/v1.20/*.yml` and its Helm
 * chart, with what Talos needs (siderolabs/talos#11469):
 *
 * - Talos has no `/usr/bin/env`, and the driver wraps a bare `iscsiadm` in `/usr/bin/env -i PATH=...`
 *   when it runs it in the host. Passing an absolute `--iscsiadm-path` skips that wrapper, and with
 *   `--chroot-dir=/host` (host `/` mounted at `/host`) the driver runs the host's
 *   `/usr/local/sbin/iscsiadm`, which the `siderolabs/iscsi-tools` extension installs.
 * - `--iscsiadm-path` first shipped in driver v1.2.1; v1.4.0 dropped `btrfs` as `fsType` (no
 *   btrfs-progs in its UBI9 image) and runs as uid 1000, so the node plugin sets `runAsUser: 0`.
 * - The node plugin is privileged on the host network, so its namespace must be labelled
 *   `pod-security.kubernetes.io/enforce: privileged` (Talos enforces `baseline` by default).
 */
import type * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";

import { releaseTag } from "../version";
import type { SynologyCsiConfig } from "./config";

export type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;
export type Container = k8s.types.input.core.v1.Container;
export type Volume = k8s.types.input.core.v1.Volume;
export type StatefulSetSpec = k8s.types.input.apps.v1.StatefulSetSpec;
export type DaemonSetSpec = k8s.types.input.apps.v1.DaemonSetSpec;
export type CSIDriverSpec = k8s.types.input.storage.v1.CSIDriverSpec;

/** The driver's registered name (the StorageClass `provisioner`). */
export const CSI_DRIVER_NAME = "csi.san.synology.com";
/** Namespace the driver runs in unless the caller picks another. */
export const DEFAULT_NAMESPACE = "synology-csi";
/** The Secret holding `client-info.yml` (upstream's name, so upstream docs apply). */
export const CLIENT_INFO_SECRET_NAME = "client-info-secret";
/** Key of the Secret, and file name under {@link CLIENT_INFO_DIR}. */
export const CLIENT_INFO_KEY = "client-info.yml";
export const CLIENT_INFO_DIR = "/etc/synology";
/** Where the iscsi-tools extension puts iscsiadm on a Talos node. */
export const TALOS_ISCSIADM_PATH = "/usr/local/sbin/iscsiadm";
/** Where the node plugin sees the host's `/`. */
export const HOST_ROOT_MOUNT = "/host";
export const KUBELET_DIR = "/var/lib/kubelet";
/** Labels every object of the driver carries. */
export const COMMON_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "synology-csi",
    "app.kubernetes.io/part-of": "homelab",
    "app.kubernetes.io/managed-by": "pulumi",
};

// ------------------------------------------------------------------------------------------------
// The NAS connection (client-info.yml)
// ------------------------------------------------------------------------------------------------

/** How the driver reaches DSM: one entry of `client-info.yml`'s `clients`. */
export interface NasClient {
    /** IPv4 address or host name of the NAS. */
    host: string;
    port: number;
    https: boolean;
    username: string;
    password: string;
}

/**
 * The host/port/https of a DSM base URL (`homelab:synology.url`, which parseStackConfig checked), for the CSI
 * client entry. A URL without a port uses the scheme's default (443/80), as the DSM client itself would.
 */
export function nasFromDsmUrl(url: string): { host: string; port: number; https: boolean } {
    let u: URL | undefined;
    try {
        u = new URL(url);
    } catch {
        u = undefined;
    }
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:"))
        throw new Error(`nasFromDsmUrl: "${url}" is not an http(s) URL`);
    const https = u.protocol === "https:";
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    return { host, port: u.port ? Number(u.port) : https ? 443 : 80, https };
}

/** `client-info.yml`: `{clients: [{host, port, https, username, password}]}`. Holds the password: wrap in a secret. */
export function renderClientInfo(clients: readonly NasClient[]): string {
    if (clients.length === 0) throw new Error("client-info.yml needs at least one NAS client");
    return YAML.stringify({
        clients: clients.map((c) => ({
            host: c.host,
            port: c.port,
            https: c.https,
            username: c.username,
            password: c.password,
        })),
    });
}

// ------------------------------------------------------------------------------------------------
// Images
// ------------------------------------------------------------------------------------------------

/** Images of the driver and its sidecars. */
export interface SynologyCsiImages {
    plugin: string;
    provisioner: string;
    attacher: string;
    resizer: string;
    nodeDriverRegistrar: string;
}

/**
 * The driver image at `version`, and the sidecar versions the upstream Helm chart pins (the set
 * Synology tests the driver with). `overrides` replaces any of them.
 */
export function synologyCsiImages(version: string, overrides: Partial<SynologyCsiImages> = {}): SynologyCsiImages {
    return {
        plugin: `docker.io/synology/synology-csi:${releaseTag(version)}`,
        provisioner: "registry.k8s.io/sig-storage/csi-provisioner:v3.4.0",
        attacher: "registry.k8s.io/sig-storage/csi-attacher:v4.2.0",
        resizer: "registry.k8s.io/sig-storage/csi-resizer:v1.7.0",
        nodeDriverRegistrar: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.6.3",
        ...overrides,
    };
}

// ------------------------------------------------------------------------------------------------
// Objects
// ------------------------------------------------------------------------------------------------

/** The metadata.name of every object the driver needs, for a namespace. */
export interface SynologyCsiObjectNames {
    namespace: string;
    clientInfoSecret: string;
    controllerServiceAccount: string;
    controllerClusterRole: string;
    controllerClusterRoleBinding: string;
    controller: string;
    nodeServiceAccount: string;
    nodeClusterRole: string;
    nodeClusterRoleBinding: string;
    node: string;
    csiDriver: string;
}

export function synologyCsiObjectNames(namespace: string = DEFAULT_NAMESPACE): SynologyCsiObjectNames {
    return {
        namespace,
        clientInfoSecret: CLIENT_INFO_SECRET_NAME,
        controllerServiceAccount: "synology-csi-controller",
        controllerClusterRole: "synology-csi-controller",
        controllerClusterRoleBinding: "synology-csi-controller",
        controller: "synology-csi-controller",
        nodeServiceAccount: "synology-csi-node",
        nodeClusterRole: "synology-csi-node",
        nodeClusterRoleBinding: "synology-csi-node",
        node: "synology-csi-node",
        csiDriver: CSI_DRIVER_NAME,
    };
}

/** Pod Security Admission labels: the node plugin is privileged, on the host network, with hostPath. */
export const PRIVILEGED_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/audit": "privileged",
    "pod-security.kubernetes.io/warn": "privileged",
};

export function renderNamespaceMetadata(namespace: string): { name: string; labels: Record<string, string> } {
    return { name: namespace, labels: { ...COMMON_LABELS, ...PRIVILEGED_NAMESPACE_LABELS } };
}

export function renderCsiDriverSpec(): CSIDriverSpec {
    return {
        // ControllerPublishVolume maps the LUN to the node's initiator: the attacher sidecar runs it.
        attachRequired: true,
        podInfoOnMount: true,
        volumeLifecycleModes: ["Persistent"],
    };
}

/** What the controller's sidecars (provisioner, attacher, resizer) need cluster-wide. */
export function controllerRules(): PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update", "patch"] },
        {
            apiGroups: [""],
            resources: ["persistentvolumeclaims/status"],
            verbs: ["get", "list", "watch", "update", "patch"],
        },
        {
            apiGroups: [""],
            resources: ["persistentvolumes"],
            verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
        { apiGroups: ["storage.k8s.io"], resources: ["csinodes"], verbs: ["get", "list", "watch"] },
        {
            apiGroups: ["storage.k8s.io"],
            resources: ["volumeattachments", "volumeattachments/status"],
            verbs: ["get", "list", "watch", "update", "patch"],
        },
        { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
        {
            apiGroups: ["snapshot.storage.k8s.io"],
            resources: ["volumesnapshots", "volumesnapshotcontents"],
            verbs: ["get", "list"],
        },
    ];
}

/** What the node plugin needs cluster-wide. */
export function nodeRules(): PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "update"] },
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "update"] },
        { apiGroups: ["storage.k8s.io"], resources: ["volumeattachments"], verbs: ["get", "list", "watch", "update"] },
    ];
}

function clientInfoVolume(): Volume {
    return { name: "client-info", secret: { secretName: CLIENT_INFO_SECRET_NAME } };
}

const CONTROLLER_SOCKET_DIR = "/var/lib/csi/sockets/pluginproxy/";

function controllerSidecar(name: string, image: string, args: string[]): Container {
    return {
        name,
        image,
        imagePullPolicy: "IfNotPresent",
        args: [...args, "--csi-address=$(ADDRESS)", "--v=2"],
        env: [{ name: "ADDRESS", value: `${CONTROLLER_SOCKET_DIR}csi.sock` }],
        volumeMounts: [{ name: "socket-dir", mountPath: CONTROLLER_SOCKET_DIR }],
    };
}

export function controllerLabels(): Record<string, string> {
    return { "app.kubernetes.io/name": "synology-csi", "app.kubernetes.io/component": "controller" };
}

export function nodeLabels(): Record<string, string> {
    return { "app.kubernetes.io/name": "synology-csi", "app.kubernetes.io/component": "node" };
}

/**
 * The controller: one replica (the sidecars run without leader election, as upstream), the
 * provisioner/attacher/resizer sidecars and the plugin, talking over a socket in an emptyDir.
 * It only talks to the DSM API, so unlike the node plugin it needs no host access or privilege.
 */
export function renderControllerSpec(
    images: SynologyCsiImages,
    names: SynologyCsiObjectNames = synologyCsiObjectNames(),
): StatefulSetSpec {
    const labels = controllerLabels();
    return {
        serviceName: names.controller,
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
            metadata: { labels: { ...COMMON_LABELS, ...labels } },
            spec: {
                serviceAccountName: names.controllerServiceAccount,
                priorityClassName: "system-cluster-critical",
                containers: [
                    controllerSidecar("csi-provisioner", images.provisioner, [
                        "--timeout=120s",
                        "--extra-create-metadata",
                    ]),
                    controllerSidecar("csi-attacher", images.attacher, ["--timeout=120s"]),
                    controllerSidecar("csi-resizer", images.resizer, ["--timeout=120s"]),
                    {
                        name: "csi-plugin",
                        image: images.plugin,
                        imagePullPolicy: "IfNotPresent",
                        args: [
                            "--nodeid=NotUsed",
                            "--endpoint=$(CSI_ENDPOINT)",
                            `--client-info=${CLIENT_INFO_DIR}/${CLIENT_INFO_KEY}`,
                            "--log-level=info",
                        ],
                        env: [{ name: "CSI_ENDPOINT", value: `unix://${CONTROLLER_SOCKET_DIR}csi.sock` }],
                        volumeMounts: [
                            { name: "socket-dir", mountPath: CONTROLLER_SOCKET_DIR },
                            { name: "client-info", mountPath: CLIENT_INFO_DIR, readOnly: true },
                        ],
                    },
                ],
                volumes: [{ name: "socket-dir", emptyDir: {} }, clientInfoVolume()],
            },
        },
    };
}

/** The node plugin's arguments on Talos. */
export function nodePluginArgs(): string[] {
    return [
        "--nodeid=$(KUBE_NODE_NAME)",
        "--endpoint=$(CSI_ENDPOINT)",
        `--client-info=${CLIENT_INFO_DIR}/${CLIENT_INFO_KEY}`,
        "--log-level=info",
        `--chroot-dir=${HOST_ROOT_MOUNT}`,
        `--iscsiadm-path=${TALOS_ISCSIADM_PATH}`,
    ];
}

/**
 * The node DaemonSet: on every node (control planes included, they may run workloads), on the host
 * network, privileged, with the host's `/` at `/host`, `/dev`, and the kubelet directories.
 */
export function renderNodeSpec(
    images: SynologyCsiImages,
    names: SynologyCsiObjectNames = synologyCsiObjectNames(),
): DaemonSetSpec {
    const labels = nodeLabels();
    const pluginDir = `${KUBELET_DIR}/plugins/${CSI_DRIVER_NAME}`;
    const nodeName = { name: "KUBE_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } };
    return {
        selector: { matchLabels: labels },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
            metadata: { labels: { ...COMMON_LABELS, ...labels } },
            spec: {
                serviceAccountName: names.nodeServiceAccount,
                priorityClassName: "system-node-critical",
                hostNetwork: true,
                dnsPolicy: "ClusterFirstWithHostNet",
                tolerations: [{ operator: "Exists" }],
                containers: [
                    {
                        name: "csi-driver-registrar",
                        image: images.nodeDriverRegistrar,
                        imagePullPolicy: "IfNotPresent",
                        securityContext: { privileged: true },
                        args: ["--csi-address=$(ADDRESS)", "--kubelet-registration-path=$(REGISTRATION_PATH)", "--v=2"],
                        env: [
                            { name: "ADDRESS", value: "/csi/csi.sock" },
                            { name: "REGISTRATION_PATH", value: `${pluginDir}/csi.sock` },
                            nodeName,
                        ],
                        volumeMounts: [
                            { name: "plugin-dir", mountPath: "/csi" },
                            { name: "registration-dir", mountPath: "/registration" },
                        ],
                    },
                    {
                        name: "csi-plugin",
                        image: images.plugin,
                        imagePullPolicy: "IfNotPresent",
                        // v1.4.0+ images default to uid 1000; mounting and iscsiadm need root.
                        securityContext: { privileged: true, runAsUser: 0, allowPrivilegeEscalation: true },
                        args: nodePluginArgs(),
                        env: [{ name: "CSI_ENDPOINT", value: "unix:///csi/csi.sock" }, nodeName],
                        volumeMounts: [
                            { name: "kubelet-dir", mountPath: KUBELET_DIR, mountPropagation: "Bidirectional" },
                            { name: "plugin-dir", mountPath: "/csi" },
                            { name: "client-info", mountPath: CLIENT_INFO_DIR, readOnly: true },
                            { name: "host-root", mountPath: HOST_ROOT_MOUNT },
                            { name: "device-dir", mountPath: "/dev" },
                        ],
                    },
                ],
                volumes: [
                    { name: "kubelet-dir", hostPath: { path: KUBELET_DIR, type: "Directory" } },
                    { name: "plugin-dir", hostPath: { path: pluginDir, type: "DirectoryOrCreate" } },
                    {
                        name: "registration-dir",
                        hostPath: { path: `${KUBELET_DIR}/plugins_registry`, type: "Directory" },
                    },
                    clientInfoVolume(),
                    { name: "host-root", hostPath: { path: "/", type: "Directory" } },
                    { name: "device-dir", hostPath: { path: "/dev", type: "Directory" } },
                ],
            },
        },
    };
}

/** The StorageClass's fields (besides metadata.name), plain. */
export interface StorageClassFields {
    annotations: Record<string, string>;
    provisioner: string;
    parameters: Record<string, string>;
    reclaimPolicy: "Delete" | "Retain";
    allowVolumeExpansion: boolean;
    volumeBindingMode: "Immediate";
}

/**
 * The StorageClass for `csi` on the NAS at `dsmHost`. `dsm` picks the client-info entry the LUNs
 * go to; `location` the volume on it. The default-class annotation is set only when `isDefault`.
 */
export function renderStorageClass(csi: SynologyCsiConfig, dsmHost: string): StorageClassFields {
    return {
        annotations: csi.isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {},
        provisioner: CSI_DRIVER_NAME,
        parameters: {
            dsm: dsmHost,
            location: csi.location,
            fsType: csi.fsType,
            protocol: csi.protocol,
        },
        reclaimPolicy: csi.reclaimPolicy,
        allowVolumeExpansion: true,
        volumeBindingMode: "Immediate",
    };
}
