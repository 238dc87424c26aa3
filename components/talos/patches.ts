/**
 * Talos machine-config patches, rendered as YAML strings. Pure: no Pulumi, no I/O.
 *
 * Per node, in this order (the order the provider applies them):
 *   1. install  — `machine.install` {disk | diskSelector, image: <installer image>, wipe: false}
 *   2. hostname — a `HostnameConfig` document (Talos 1.12 moved the hostname out of
 *                 `machine.network`; `auto: off` because the default config carries `auto: stable`,
 *                 see docs.siderolabs.com/talos/v1.12/networking/configuration/hostname)
 *   3. ups      — when `homelab:ups` is set: the seed's nut-client `ExtensionServiceConfig`. It holds the
 *                 UPS password, so it is its own patch: callers wrap only it in `pulumi.secret`, and
 *                 `redact: true` renders it with a placeholder for validation and logs.
 *   4. the node's own `patches`, verbatim.
 */
import { stringify } from "yaml";
import { parseVersion } from "../version";
import { ClusterConfig, DiskSelector, NodeConfig, UpsConfig, UPS_MONITOR_RE } from "./config";
import type { LabelledPatch } from "./validate";
import { renderWorkloadIsolationPatch } from "./workload-isolation";

/** What replaces the UPS password in redacted renderings. */
export const REDACTED_PASSWORD = "REDACTED";

/** Where nut-client's upsmon reads its configuration inside the extension container. */
export const NUT_UPSMON_MOUNT_PATH = "/usr/local/etc/nut/upsmon.conf";

function yaml(doc: unknown): string {
    return stringify(doc, { lineWidth: 0 });
}

/**
 * The Talos version contract for machine secrets / config generation: `v1.12.1` → `v1.12`. Throws on a
 * version that is not a release (parseStackConfig refuses one under `cluster.talosVersion`).
 */
export function talosVersionContract(talosVersion: string): string {
    const v = parseVersion(talosVersion);
    if (!v) throw new Error(`talosVersionContract: "${talosVersion}" is not a Talos release version`);
    return `v${v[0]}.${v[1]}`;
}

function cleanSelector(sel: DiskSelector): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(sel)) {
        if (v !== undefined && v !== "") out[k] = String(v);
    }
    return out;
}

/**
 * `machine.install`: the disk (or selector), the factory installer image, and `wipe: false` set explicitly.
 * Throws when the node has both or neither disk setting (parseStackConfig refuses that under `nodes[i]`) or the
 * image is no image reference.
 */
export function renderInstallPatch(
    node: Pick<NodeConfig, "hostname" | "installDisk" | "installDiskSelector">,
    installerImage: string,
): string {
    const hasDisk = !!node.installDisk;
    const selector = node.installDiskSelector ? cleanSelector(node.installDiskSelector) : undefined;
    const hasSelector = !!selector && Object.keys(selector).length > 0;
    if (hasDisk === hasSelector) {
        throw new Error(
            `renderInstallPatch: node ${node.hostname} has ${hasDisk ? "both installDisk and" : "neither installDisk nor"} installDiskSelector`,
        );
    }
    if (!installerImage || /\s/.test(installerImage)) {
        throw new Error(`renderInstallPatch: installer image "${installerImage}" is not an image reference`);
    }
    const install: Record<string, unknown> = hasSelector ? { diskSelector: selector } : { disk: node.installDisk };
    install.image = installerImage;
    install.wipe = false;
    return yaml({ machine: { install } });
}

/** The node's static hostname (Talos ≥ 1.12 `HostnameConfig` document). */
export function renderHostnamePatch(hostname: string): string {
    return yaml({ apiVersion: "v1alpha1", kind: "HostnameConfig", auto: "off", hostname });
}

/**
 * Quote a token for upsmon.conf when needed (NUT's parser accepts double quotes with backslash escapes).
 * Line breaks cannot be represented and are rejected by the caller.
 */
function nutToken(v: string): string {
    return /[\s"\\#]/.test(v) || v === "" ? `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : v;
}

/**
 * The `upsmon.conf` text of the seed: `MONITOR <monitor> 1 <user> <password> secondary` + SHUTDOWNCMD. Throws
 * (never naming the password) on what would break the MONITOR line; parseStackConfig refuses each under its key.
 */
export function renderUpsmonConf(ups: UpsConfig, password: string): string {
    if (!UPS_MONITOR_RE.test(ups.monitor))
        throw new Error(`renderUpsmonConf: ups.monitor "${ups.monitor}" is not <upsname>@<host>`);
    if (!ups.username || /[\r\n]/.test(ups.username))
        throw new Error("renderUpsmonConf: ups.username is empty or not one line");
    if (password === "" || /[\r\n]/.test(password))
        throw new Error("renderUpsmonConf: the UPS password is empty or not one line");
    return (
        `MONITOR ${ups.monitor} 1 ${nutToken(ups.username)} ${nutToken(password)} secondary\n` +
        `SHUTDOWNCMD "/sbin/poweroff"`
    );
}

/** The seed's nut-client `ExtensionServiceConfig` document (holds the UPS password: keep it secret). */
export function renderNutClientPatch(ups: UpsConfig, password: string): string {
    return yaml({
        apiVersion: "v1alpha1",
        kind: "ExtensionServiceConfig",
        name: "nut-client",
        configFiles: [{ content: renderUpsmonConf(ups, password), mountPath: NUT_UPSMON_MOUNT_PATH }],
    });
}

/** `cluster.allowSchedulingOnControlPlanes`: workloads may run on this control plane. */
export function renderSchedulingPatch(): string {
    return yaml({ cluster: { allowSchedulingOnControlPlanes: true } });
}

/** Inputs of {@link renderNodePatches}. */
export interface NodePatchInputs {
    /** `homelab:cluster`: what a patch from a cluster-wide setting reads (a new such patch needs no other input). */
    cluster: ClusterConfig;
    node: NodeConfig;
    /** Index of the node in `homelab:nodes`, for labels. */
    index: number;
    /** The image component's installer image (same schematic as the PXE boot image). */
    installerImage: string;
    ups?: UpsConfig;
    /** Required when `ups` is set, unless `redact` is true. */
    upsPassword?: string;
    /** Render the UPS patch with {@link REDACTED_PASSWORD} instead of the password. */
    redact?: boolean;
}

/** Every patch for one node, in apply order, labelled. */
export function renderNodePatches(inp: NodePatchInputs): LabelledPatch[] {
    const label = `nodes[${inp.index}]`;
    const out: LabelledPatch[] = [
        { label: `${label}.install`, text: renderInstallPatch(inp.node, inp.installerImage), secret: false },
        { label: `${label}.hostname`, text: renderHostnamePatch(inp.node.hostname), secret: false },
    ];
    if (inp.cluster.workloadIsolation) {
        out.push({ label: "cluster.workloadIsolation", text: renderWorkloadIsolationPatch(), secret: false });
    }
    if (inp.cluster.allowSchedulingOnControlPlanes && inp.node.role === "controlplane") {
        out.push({ label: "cluster.allowSchedulingOnControlPlanes", text: renderSchedulingPatch(), secret: false });
    }
    if (inp.ups) {
        if (inp.redact) {
            out.push({ label: "ups.nutClient", text: renderNutClientPatch(inp.ups, REDACTED_PASSWORD), secret: false });
        } else {
            if (inp.upsPassword === undefined)
                throw new Error("renderNodePatches: ups is set but no UPS password was given");
            out.push({ label: "ups.nutClient", text: renderNutClientPatch(inp.ups, inp.upsPassword), secret: true });
        }
    }
    inp.node.patches.forEach((text, i) => out.push({ label: `${label}.patches[${i}]`, text, secret: false }));
    return out;
}

/** {@link renderNodePatches} with the UPS password replaced by a placeholder: safe to validate and log. */
export function renderRedactedNodePatches(inp: Omit<NodePatchInputs, "upsPassword" | "redact">): LabelledPatch[] {
    return renderNodePatches({ ...inp, redact: true });
}
