/**
 * Talos 1.14's workload isolation (`cluster.workloadIsolation`; pure, no Pulumi, no I/O).
 *
 * What Talos 1.14 does, read at tag v1.14.0-rc.1 of github.com/siderolabs/talos:
 *   - the container runtime plane (CRI containerd, the kubelet and every pod) runs in a PID and mount namespace of
 *     its own, held by the `sandboxd` service (internal/app/machined/pkg/sandboxd: CLONE_NEWPID | CLONE_NEWNS, a
 *     copy of the host's mounts with /proc scoped to the sandbox), when the config has a `SecurityProfileConfig`
 *     document with `workloadIsolation: true` (sandboxd/enabled.go; no document: off);
 *   - `talosctl gen config` emits that document for a 1.14 contract (pkg/machinery/config/generate/
 *     security_profile.go, `VersionContract.WorkloadIsolationEnabledByDefault`): new clusters are isolated by
 *     default; an upgraded cluster has no document and stays as it was (CHANGELOG.md, "Workload Isolation").
 *   - What stops working: Kubernetes' in-tree iSCSI volume plugin (the kubelet's iscsiadm wrapper finds iscsid
 *     through the host's PID namespace, which the sandbox hides). A CSI node plugin "performs the attach/mount
 *     itself in its own privileged pod and is unaffected" (CHANGELOG.md, "In-tree Volume Plugins Deprecated").
 *     The Synology CSI node plugin is one: privileged, on the host network (iscsiadm reaches iscsid's abstract
 *     socket, which belongs to the network namespace), running the host's iscsiadm under `--chroot-dir=/host`
 *     (hostPath `/`: the sandbox's copy of the host's mounts, the iscsi-tools extension's /usr/local/sbin
 *     included). A privileged pod that relies on the host's PID namespace (`hostPID`, /proc/1) sees the sandbox's
 *     instead.
 *
 * The Talos provider renders configs with Talos' machinery v1.13.0, which emits no such document: left to it, a new
 * 1.14 stack of this program would not be isolated. So the program renders the document itself when isolation is
 * on, sent as it is after the provider's config (./raw-documents.ts).
 */
import { compareVersions, parseVersion } from "../version";

/** The first Talos release with workload isolation. */
export const ISOLATION_SINCE = "v1.14.0";

const supportsIsolation = (talosVersion: string): boolean => {
    const v = parseVersion(talosVersion);
    return !!v && compareVersions(v, parseVersion(ISOLATION_SINCE)!) >= 0;
};

/** `cluster.workloadIsolation: true` on a Talos that has none, in the config checker's words; else undefined. */
export function isolationSettingProblem(setting: boolean | undefined, talosVersion: string): string | undefined {
    if (setting !== true || !talosVersion || supportsIsolation(talosVersion)) return undefined;
    return (
        `Talos ${talosVersion} has no workload isolation (the SecurityProfileConfig document came with Talos 1.14): ` +
        `set cluster.talosVersion to ${ISOLATION_SINCE} or later, or leave cluster.workloadIsolation unset`
    );
}

/**
 * Whether the nodes' configs carry workload isolation, and a note for the preview when the cluster's history
 * decided. With `cluster.workloadIsolation` unset, Talos' own default: on for a cluster made at 1.14 or later (a
 * stack's first up), as the previous up had it when it recorded it, else off (a cluster that ran an earlier
 * Talos, or a stack from before this setting: its nodes have no document, and turning it on changes how every pod
 * runs, so only an explicit setting does).
 */
export function decideWorkloadIsolation(
    setting: boolean | undefined,
    talosVersion: string,
    previous: { version?: string; workloadIsolation?: boolean },
): { on: boolean; note?: string } {
    if (!supportsIsolation(talosVersion)) return { on: false };
    if (setting !== undefined) return { on: setting };
    if (previous.workloadIsolation !== undefined) return { on: previous.workloadIsolation };
    if (previous.version === undefined) return { on: true };
    return {
        on: false,
        note:
            `workload isolation stays off: this cluster was made before it ran Talos ${talosVersion} (it ran ` +
            `${previous.version}), and Talos leaves it off on a cluster it did not make at 1.14; ` +
            "cluster.workloadIsolation: true turns it on (Synology CSI works with it; README \"Talos 1.14's workload " +
            'isolation")',
    };
}

/** The document that turns it on (kind SecurityProfileConfig, v1alpha1). */
export function renderWorkloadIsolationPatch(): string {
    return "apiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolation: true\n";
}
