/**
 * The TalosCluster component: the seed's "Creating Talos configs" section as resources.
 *
 *   secrets ─▶ per node: machine config (getConfiguration + patches) ─▶ [wake-on-LAN] ─▶ wait for the node
 *   ─▶ apply (every apply waits for the Synology component's `pxeReady`: the node must be able to PXE-boot into
 *   maintenance mode) ─▶ bootstrap (first control plane, once; `cluster.bootstrapTimeout` covers its install
 *   and reboot) ─▶ kubeconfig ─▶ health (`up` only, `cluster.healthTimeout`) ─▶ [rolling upgrades, opt-in
 *   ─▶ per node, what it runs (./node-state.ts: drift seen by refresh, repaired by up)]
 *
 * Decisions live in pure functions (`planCluster`, patches.ts, upgrades.ts); the constructor wires.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { durationSeconds } from "../duration";
import { planApplyModes } from "./apply-mode";
import { configDigest } from "./drift";
import { ClusterConfig, NodeConfig, UpsConfig } from "./config";
import { TalosNodeState } from "./node-state";
import { nodeWaitHint, TalosNodeWait } from "./node-wait";
import { renderNodePatches, renderNutClientPatch, talosVersionContract } from "./patches";
import { appendDocuments, splitPatches } from "./raw-documents";
import { rebootDigest, rebootNote } from "./reboot-changes";
import * as talos from "./sdk";
import { BeforeUpgrades, createUpgradeCommands, UpgradeCommands, upgradeEndpoints, upgradeOrder } from "./upgrades";
import { WakeOnLan, WOL_PORT } from "./wol";
import { imageTag } from "../version";

/** Arguments of {@link TalosCluster}. */
export interface TalosClusterArgs {
    /**
     * `homelab:cluster`. Plain (not an Input): its values shape the resource graph (upgrades on/off,
     * timeouts, reset) and must be known at preview.
     */
    cluster: ClusterConfig;
    /** `homelab:nodes`. Plain: one set of resources per node. At least one control plane. */
    nodes: NodeConfig[];
    /**
     * The image component's installer image, `factory.talos.dev/metal-installer/<schematic>:<version>`.
     * Same schematic as the PXE boot image, or the extensions vanish after install.
     */
    installerImage: pulumi.Input<string>;
    /**
     * With `cluster.upgrades`: the installer image the upgrade commands carry (index.ts: components/talos/previous.ts
     * `upgradeImageFor`, which keeps the previous up's form of the same image). Default `installerImage`.
     */
    upgradeImage?: pulumi.Input<string>;
    /**
     * With `cluster.upgrades`: the installer images of the upgrade rounds before the last, in order
     * (./upgrade-path.ts); every node moves to each one at a time, then to `upgradeImage`.
     */
    throughImages?: readonly string[];
    /**
     * The hostnames the previous `up` managed (installed nodes); undefined on a stack's first `up`. A node not among
     * them gets its first apply in `auto` mode (./apply-mode.ts).
     */
    installedNodes?: readonly string[];
    /**
     * What the previous `up` left (index.ts: components/talos/previous.ts): the Talos release the nodes run and each
     * node's reboot digest. The preview names the nodes whose config change needs a reboot (./reboot-changes.ts);
     * without it (a stack's first `up`, or one made before the digests) it names none.
     */
    previousConfigs?: { talosVersion?: string; rebootDigests?: Readonly<Record<string, string>> };
    /** The image component's schematic ID (exported; the installer image must carry it). */
    schematicId: pulumi.Input<string>;
    /** `homelab:ups`: when set, every node gets the nut-client ExtensionServiceConfig. */
    ups?: UpsConfig;
    /** `homelab:upsPassword` (secret). Required when `ups` is set; only ever used inside a secret. */
    upsPassword?: pulumi.Input<string>;
    /**
     * The Synology component's `pxeReady`: the applies (and Wake-on-LAN) depend on it. Its value is
     * not used, only its dependencies.
     */
    pxeReady: pulumi.Input<unknown>;
    /**
     * With `cluster.upgrades`: what must be done before any upgrade runs (index.ts: an etcd snapshot stored on the
     * NAS, components/backups); the upgrades wait for it.
     */
    beforeUpgrades?: BeforeUpgrades;
}

/** One node, as the stack exports it. */
export interface NodeSummary {
    hostname: string;
    ip: string;
    role: "controlplane" | "worker";
    mac: string;
}

/** What the component plans from plain config, before any resource (pure). */
export interface ClusterPlan {
    /** Version contract for Secrets / getConfiguration, e.g. `v1.12`. */
    talosVersionContract: string;
    controlPlanes: NodeConfig[];
    workers: NodeConfig[];
    /** The node etcd is bootstrapped on: the first control plane in config order. */
    bootstrapNode: NodeConfig;
    /** onDestroy per hostname. */
    onDestroy: Record<string, { reset: boolean; graceful: boolean; reboot: boolean }>;
    /**
     * Per hostname, the node whose apply this node's waits for: the control planes are chained in config order
     * (each after the one before it), so destroy resets them one at a time in reverse order; workers wait for none.
     */
    applyAfter: Record<string, string | undefined>;
    summary: NodeSummary[];
}

/**
 * Plan the cluster from plain config. The stack config was validated by parseStackConfig, which names each
 * setting and its fix; this only asserts what the component relies on (a release version, a control plane,
 * the UPS password when `ups` is set) with a short error, before anything is registered.
 */
export function planCluster(
    cluster: ClusterConfig,
    nodes: readonly NodeConfig[],
    ups?: UpsConfig,
    hasUpsPassword = false,
): ClusterPlan {
    const contract = talosVersionContract(cluster.talosVersion);
    const controlPlanes = nodes.filter((n) => n.role === "controlplane");
    const workers = nodes.filter((n) => n.role === "worker");
    if (controlPlanes.length === 0) throw new Error("TalosCluster: no node has role controlplane");
    if (ups && !hasUpsPassword) throw new Error("TalosCluster: ups is set but no upsPassword was given");

    // A graceful reset leaves etcd first, and etcd never lets its last member leave. The control planes' applies
    // are chained (applyAfter), so destroy resets them one at a time in reverse order: each leaves a running etcd,
    // and the first control plane, reset last as etcd's last member, is reset non-gracefully.
    const onDestroy: ClusterPlan["onDestroy"] = {};
    const applyAfter: ClusterPlan["applyAfter"] = {};
    for (const n of nodes) {
        onDestroy[n.hostname] = {
            reset: cluster.resetOnDestroy,
            graceful: n !== controlPlanes[0],
            reboot: false,
        };
        const i = controlPlanes.indexOf(n);
        applyAfter[n.hostname] = i > 0 ? controlPlanes[i - 1].hostname : undefined;
    }
    return {
        talosVersionContract: contract,
        controlPlanes,
        workers,
        bootstrapNode: controlPlanes[0],
        onDestroy,
        applyAfter,
        summary: nodes.map((n) => ({ hostname: n.hostname, ip: n.ip, role: n.role, mac: n.mac })),
    };
}

/**
 * The error of a failed health check (pure): which nodes were checked, which of them the provider's message
 * names, and what to check. `providerMessage` is the provider's error (it names the failing check).
 */
export function healthFailureMessage(
    cluster: Pick<ClusterConfig, "name" | "healthTimeout" | "healthChecks">,
    nodes: readonly Pick<NodeConfig, "hostname" | "ip" | "role">[],
    providerMessage: string,
    stack: string,
): string {
    const named = nodes.filter((n) =>
        new RegExp(`(^|[^0-9.])${n.ip.replace(/\./g, "\\.")}([^0-9]|$)`).test(providerMessage),
    );
    const list = (ns: readonly Pick<NodeConfig, "hostname" | "ip">[]) =>
        ns.map((n) => `${n.hostname} (${n.ip})`).join(", ");
    const cps = nodes.filter((n) => n.role === "controlplane");
    const workers = nodes.filter((n) => n.role !== "controlplane");
    const firstLine = providerMessage
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .slice(-3)
        .join(" | ");
    return (
        `cluster ${cluster.name} did not become healthy within ${cluster.healthTimeout} (cluster.healthTimeout)` +
        (named.length > 0 ? `; failing: ${list(named)}` : "") +
        `. Checked control planes ${list(cps)}${workers.length > 0 ? ` and workers ${list(workers)}` : ""}` +
        `${cluster.healthChecks.kubernetes ? ", Talos and Kubernetes" : ", Talos only (cluster.healthChecks.kubernetes: false)"}. ` +
        `The check said: ${firstLine}. ` +
        `Check that every node is powered on and answers (\`npm run doctor -- --stack ${stack} --only nodes\`, ` +
        "`talosctl --nodes <ip> health`); a cluster without a CNI yet needs cluster.healthChecks.kubernetes: false; " +
        "raise cluster.healthTimeout for a slow cluster."
    );
}

/**
 * One node's config, as the provider gets it: its config patches in apply order, as Pulumi inputs (only the UPS
 * patch carries the password, and only it is secret; rendered once up front, redacted, so a node the renderers
 * refuse fails here, before any resource, without the password), and the documents of those
 * patches the provider cannot render (a kind or setting of Talos 1.14: ./raw-documents.ts), which the cluster
 * appends as they are to the config the provider rendered. The split is decided on the redacted rendering: only
 * the node's own patches and the program's plain ones can hold such documents, never the installer's or the UPS's.
 */
export function nodeDocuments(
    cluster: ClusterConfig,
    node: NodeConfig,
    index: number,
    installerImage: pulumi.Input<string>,
    ups?: UpsConfig,
    upsPassword?: pulumi.Input<string>,
): { patches: pulumi.Output<string>[]; raw: string[] } {
    const image = pulumi.output(installerImage);
    const rendered = (img: string) =>
        renderNodePatches({ cluster, node, index, installerImage: img, ups, redact: true });
    const raw: string[] = [];
    const patches: pulumi.Output<string>[] = [];
    rendered("factory.talos.dev/metal-installer/check:v0").forEach((p, i) => {
        const split = splitPatches([p]);
        if (split.raw.length > 0) {
            raw.push(...split.raw.map((r) => r.text));
            patches.push(...split.patches.map((k) => pulumi.output(k.text)));
            return;
        }
        if (p.label !== "ups.nutClient") {
            patches.push(image.apply((img) => rendered(img)[i].text));
            return;
        }
        if (upsPassword === undefined) throw new Error("nodeDocuments: ups is set but no upsPassword was given");
        const u = ups as UpsConfig;
        patches.push(pulumi.secret(pulumi.output(upsPassword)).apply((pw) => renderNutClientPatch(u, pw)));
    });
    return { patches, raw };
}

/** A Talos cluster: secrets, per-node configs and applies, bootstrap, kubeconfig, health, upgrades. */
export class TalosCluster extends pulumi.ComponentResource {
    /** The cluster's kubeconfig (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The talosconfig, endpoints = control-plane IPs (secret). */
    public readonly talosconfig: pulumi.Output<string>;
    /** Resolves (true) once the cluster reported healthy; during preview, once the kubeconfig exists. */
    public readonly healthy: pulumi.Output<boolean>;
    /** Per-node summary (hostname, ip, role, mac). */
    public readonly nodes: pulumi.Output<NodeSummary[]>;
    /** SHA-256 of each node's applied machine configuration, by hostname (not secret). */
    public readonly machineConfigurationHashes: pulumi.Output<Record<string, string>>;
    /** Per hostname, the digest of the part of its config whose change needs a reboot (./reboot-changes.ts; not secret). */
    public readonly rebootDigests: pulumi.Output<Record<string, string>>;
    public readonly schematicId: pulumi.Output<string>;
    public readonly installerImage: pulumi.Output<string>;

    /** Child resources, for composition and tests. */
    public readonly secrets: talos.machine.Secrets;
    public readonly applies: Record<string, talos.machine.ConfigurationApply>;
    public readonly wakeOnLan: Record<string, WakeOnLan>;
    public readonly nodeWaits: Record<string, TalosNodeWait>;
    public readonly bootstrap: talos.machine.Bootstrap;
    public readonly kubeconfigResource: talos.cluster.Kubeconfig;
    public readonly upgrades?: UpgradeCommands;
    /**
     * With `cluster.upgrades`: per hostname, what the node runs (Talos version, machine config digest), which
     * `pulumi refresh` reads and `up` puts back (./node-state.ts).
     */
    public readonly nodeStates: Record<string, TalosNodeState> = {};
    /** Per hostname, the machine config its apply sends (secret). */
    private readonly machineConfigurations: Record<string, pulumi.Output<string>>;
    /** What `beforeUpgrades` registered, which the upgrades wait for (upgrades on and `beforeUpgrades` given). */
    public readonly beforeUpgrades?: pulumi.Resource;

    constructor(name: string, args: TalosClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // What the component relies on, asserted before anything is registered.
        const plan = planCluster(args.cluster, args.nodes, args.ups, args.upsPassword !== undefined);
        super("homelab:talos:TalosCluster", name, {}, opts);
        const { cluster } = args;
        const installerImage = pulumi.output(args.installerImage);

        // The provider updates the contract in place when it rises (a Talos upgrade) and REPLACES the
        // secrets — a new PKI, breaking the running cluster — when it falls; never lower talosVersion.
        this.secrets = new talos.machine.Secrets(
            `${name}-secrets`,
            { talosVersion: plan.talosVersionContract },
            { parent: this },
        );

        const machines = this.machines(name, args, plan, installerImage);
        this.applies = machines.applies;
        this.machineConfigurations = machines.machineConfigurations;
        this.wakeOnLan = machines.wakeOnLan;
        this.nodeWaits = machines.nodeWaits;
        this.rebootDigests = pulumi.output(machines.rebootDigests);

        const first = plan.bootstrapNode;
        // After its apply the node installs Talos to disk and reboots before it answers: bootstrapTimeout covers it.
        this.bootstrap = new talos.machine.Bootstrap(
            `${name}-bootstrap`,
            {
                node: first.ip,
                endpoint: first.ip,
                clientConfiguration: this.secrets.clientConfiguration,
                timeouts: { create: cluster.bootstrapTimeout },
            },
            { parent: this, dependsOn: [this.applies[first.hostname]] },
        );
        this.announceBootstrapWait(cluster, first);
        this.kubeconfigResource = new talos.cluster.Kubeconfig(
            `${name}-kubeconfig`,
            { node: first.ip, endpoint: first.ip, clientConfiguration: this.secrets.clientConfiguration },
            { parent: this, dependsOn: [this.bootstrap] },
        );
        this.healthy = this.healthCheck(cluster, args.nodes, plan);

        const talosconfig = talos.client.getConfigurationOutput(
            {
                clusterName: cluster.name,
                clientConfiguration: this.secrets.clientConfiguration,
                endpoints: plan.controlPlanes.map((n) => n.ip),
                nodes: [first.ip],
            },
            { parent: this },
        );
        this.talosconfig = pulumi.secret(talosconfig.talosConfig);
        this.kubeconfig = pulumi.secret(this.kubeconfigResource.kubeconfigRaw);

        if (cluster.upgrades) {
            const afterApplies = [this.bootstrap, ...Object.values(this.applies)];
            const upgradeArgs = {
                nodes: args.nodes,
                installerImage: pulumi.output(args.upgradeImage ?? installerImage),
                throughImages: args.throughImages,
                kubernetesVersion: cluster.kubernetesVersion,
                upgradeTimeout: cluster.upgradeTimeout,
                talosconfig: this.talosconfig,
                healthy: this.healthy,
            };
            this.beforeUpgrades = args.beforeUpgrades?.(
                name,
                { ...upgradeArgs, nodes: upgradeOrder(args.nodes), dependsOn: afterApplies },
                this,
            );
            // The first upgrade waits for it (the etcd snapshot): if it fails, nothing is upgraded.
            this.upgrades = createUpgradeCommands(
                name,
                {
                    ...upgradeArgs,
                    dependsOn: this.beforeUpgrades ? [...afterApplies, this.beforeUpgrades] : afterApplies,
                },
                this,
            );
            this.nodeStates = this.nodeStatesAfter(name, args, upgradeArgs.installerImage, this.upgrades);
        }

        this.nodes = pulumi.output(plan.summary);
        const hashes: Record<string, pulumi.Output<string>> = {};
        for (const [h, a] of Object.entries(this.applies)) hashes[h] = pulumi.unsecret(a.machineConfigurationHash);
        this.machineConfigurationHashes = pulumi.output(hashes);
        this.schematicId = pulumi.output(args.schematicId);
        this.installerImage = installerImage;

        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            talosconfig: this.talosconfig,
            healthy: this.healthy,
            nodes: this.nodes,
            machineConfigurationHashes: this.machineConfigurationHashes,
            rebootDigests: this.rebootDigests,
            schematicId: this.schematicId,
            installerImage: this.installerImage,
        });
    }

    /**
     * Every node's machine: its config (secrets + patches), then [Wake-on-LAN], the wait for its Talos API and the
     * apply, all after the Synology component's `pxeReady` (the node must be able to PXE-boot into maintenance mode).
     */
    private machines(
        name: string,
        args: TalosClusterArgs,
        plan: ClusterPlan,
        installerImage: pulumi.Output<string>,
    ): Pick<TalosCluster, "applies" | "wakeOnLan" | "nodeWaits"> & {
        machineConfigurations: Record<string, pulumi.Output<string>>;
        rebootDigests: Record<string, pulumi.Output<string>>;
    } {
        const { cluster } = args;
        const out: Pick<TalosCluster, "applies" | "wakeOnLan" | "nodeWaits"> & {
            machineConfigurations: Record<string, pulumi.Output<string>>;
        } = {
            applies: {},
            wakeOnLan: {},
            nodeWaits: {},
            machineConfigurations: {},
        };
        const rebootDigests: Record<string, pulumi.Output<string>> = {};
        const stack = pulumi.getStack();
        const applyModes = planApplyModes(cluster, args.nodes, args.installedNodes);
        if (applyModes.note) void pulumi.log.info(applyModes.note, this);
        // Depending on pxeReady without keeping its value.
        const pxeReady = (pulumi.output(args.pxeReady) as pulumi.Output<unknown>).apply(() => true);
        args.nodes.forEach((node, index) => {
            const documents = nodeDocuments(cluster, node, index, installerImage, args.ups, args.upsPassword);
            const config = talos.machine.getConfigurationOutput(
                {
                    clusterName: cluster.name,
                    clusterEndpoint: cluster.endpoint,
                    machineType: node.role,
                    machineSecrets: this.secrets.machineSecrets,
                    configPatches: documents.patches,
                    kubernetesVersion: cluster.kubernetesVersion,
                    talosVersion: plan.talosVersionContract,
                    docs: false,
                    examples: false,
                },
                { parent: this },
            );
            // What the provider rendered, and the documents it cannot render appended as they are.
            const machineConfiguration = config.machineConfiguration.apply((c) => appendDocuments(c, documents.raw));
            out.machineConfigurations[node.hostname] = machineConfiguration;
            // In clear: the digest reveals nothing of the config (./reboot-changes.ts `rebootDigest`).
            rebootDigests[node.hostname] = pulumi.unsecret(machineConfiguration.apply(rebootDigest));
            const after = plan.applyAfter[node.hostname];
            const mode = applyModes.modes[node.hostname];
            const dependsOn: pulumi.Resource[] = after ? [out.applies[after]] : [];
            if (node.wakeOnLan) {
                const wol = new WakeOnLan(
                    `${name}-${node.hostname}-wol`,
                    { mac: node.mac, address: cluster.wakeOnLanBroadcast, port: WOL_PORT, after: pxeReady },
                    { parent: this },
                );
                out.wakeOnLan[node.hostname] = wol;
                dependsOn.push(wol);
            }
            // The node input carries pxeReady's dependencies: no apply before the NAS can PXE-boot the node.
            const nodeIp = pulumi.all([node.ip, pxeReady]).apply(([ip]) => ip);
            // Waits for the node only when the apply will run (the config hash changes), and names the node
            // when it never answers.
            const wait = new TalosNodeWait(
                `${name}-${node.hostname}-wait`,
                {
                    hostname: node.hostname,
                    ip: nodeIp,
                    timeoutSeconds: durationSeconds(cluster.applyTimeout),
                    timeoutText: cluster.applyTimeout,
                    configHash: pulumi.unsecret(machineConfiguration.apply(sha256Hex)),
                    hint: nodeWaitHint({ ...node, stack }),
                },
                { parent: this, dependsOn },
            );
            out.nodeWaits[node.hostname] = wait;
            out.applies[node.hostname] = new talos.machine.ConfigurationApply(
                `${name}-${node.hostname}-apply`,
                {
                    node: nodeIp,
                    endpoint: nodeIp,
                    clientConfiguration: this.secrets.clientConfiguration,
                    machineConfigurationInput: machineConfiguration,
                    // `auto` is the provider's default: left out, so a stack that sets nothing sends what it always did.
                    ...(mode === "auto" ? {} : { applyMode: mode }),
                    onDestroy: plan.onDestroy[node.hostname],
                    // Every key of the timeouts type (the SDK fills `delete`): see talos/sdk.ts.
                    timeouts: { create: cluster.applyTimeout, update: cluster.applyTimeout },
                },
                { parent: this, dependsOn: [wait] },
            );
        });
        // The nodes whose change needs a reboot, and what their apply mode does with it: said once, preview and up.
        const previous = args.previousConfigs;
        pulumi.all(rebootDigests).apply((current) => {
            const note = rebootNote(previous?.rebootDigests, current, applyModes.modes, previous?.talosVersion);
            if (note) void pulumi.log.info(note, this);
        });
        return { ...out, rebootDigests };
    }

    /**
     * Per node, after its apply and its last upgrade command: what it runs (./node-state.ts). Its repair upgrades a
     * worker through the control planes (talosctl drains it with a control plane's kubeconfig) and applies in the
     * node's own apply mode.
     */
    private nodeStatesAfter(
        name: string,
        args: TalosClusterArgs,
        image: pulumi.Output<string>,
        upgrades: UpgradeCommands,
    ): Record<string, TalosNodeState> {
        const out: Record<string, TalosNodeState> = {};
        for (const node of args.nodes) {
            const config = this.machineConfigurations[node.hostname];
            const upgrade = upgrades.nodes.find((u) => u.hostname === node.hostname)?.command;
            out[node.hostname] = new TalosNodeState(
                `${name}-${node.hostname}-state`,
                {
                    hostname: node.hostname,
                    ip: node.ip,
                    upgradeEndpoints: upgradeEndpoints(node, args.nodes),
                    tag: image.apply(imageTag),
                    image,
                    digest: pulumi.unsecret(config.apply(configDigest)),
                    config,
                    talosconfig: this.talosconfig,
                    applyMode: node.applyMode ?? args.cluster.applyMode,
                    timeout: args.cluster.upgradeTimeout,
                },
                { parent: this, dependsOn: [this.applies[node.hostname], ...(upgrade ? [upgrade] : [])] },
            );
        }
        return out;
    }

    /** Said when the first control plane's apply finished, i.e. when the bootstrap starts waiting (`up` only). */
    private announceBootstrapWait(cluster: ClusterConfig, first: NodeConfig): void {
        if (pulumi.runtime.isDryRun()) return;
        this.applies[first.hostname].id.apply((id) => {
            if (id) {
                void pulumi.log.info(
                    `bootstrap: waiting up to ${cluster.bootstrapTimeout} (cluster.bootstrapTimeout) for ` +
                        `${first.hostname} (${first.ip}) to install Talos to disk, reboot and accept the etcd bootstrap`,
                    this.bootstrap,
                );
            }
        });
    }

    /**
     * True once the cluster reported healthy. A preview must not wait on nodes that may be powered off: there it is
     * true once the kubeconfig exists. An `up` waits for everything the cluster needs, then runs the provider's health
     * check; on failure the error names the cluster's nodes and what to check (the provider's own message inside).
     */
    private healthCheck(
        cluster: ClusterConfig,
        nodes: readonly NodeConfig[],
        plan: ClusterPlan,
    ): pulumi.Output<boolean> {
        if (pulumi.runtime.isDryRun()) return this.kubeconfigResource.id.apply(() => true);
        const cpIps = plan.controlPlanes.map((n) => n.ip);
        const ready = pulumi.all([
            this.secrets.clientConfiguration,
            pulumi.all([
                this.kubeconfigResource.id,
                this.bootstrap.id,
                ...Object.values(this.applies).map((a) => a.id),
            ]),
        ]);
        return pulumi.unsecret(
            ready.apply(async ([clientConfiguration]) => {
                try {
                    await talos.cluster.getHealth(
                        {
                            clientConfiguration,
                            controlPlaneNodes: cpIps,
                            workerNodes: plan.workers.map((n) => n.ip),
                            endpoints: cpIps,
                            skipKubernetesChecks: !cluster.healthChecks.kubernetes,
                            timeouts: { read: cluster.healthTimeout },
                        },
                        { parent: this },
                    );
                } catch (e) {
                    throw new pulumi.RunError(
                        healthFailureMessage(cluster, nodes, (e as Error).message ?? String(e), pulumi.getStack()),
                    );
                }
                return true;
            }),
        );
    }
}

/** Lower-case hex SHA-256 of a text (a machine config; none hashes as the empty text). */
function sha256Hex(text: string | undefined): string {
    return createHash("sha256")
        .update(text ?? "")
        .digest("hex");
}
