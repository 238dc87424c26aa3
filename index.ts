/**
 * The homelab program: stack config → Talos image → Synology PXE → Talos cluster → workloads.
 *
 * Everything that can be wrong with the config is found before the first resource is created:
 * parseStackConfig lists every problem with its key path, and every Talos patch the program will send
 * is checked against the Talos config schema of the cluster's version.
 */
import * as pulumi from "@pulumi/pulumi";

import { imageOfConfig, TalosImage } from "./components/factory";
import { readPreviousOutputs, startProviderHost } from "./components/program-start";
import { announceNewerPatch } from "./components/factory/newer-patch";
import { loadStackConfig } from "./components/stack";
import { runNasPreflight } from "./components/synology/preflight";
import { connectionArgs } from "./components/synology/connection";
import { SynologyPxe } from "./components/synology/pxe";
import { TalosCluster } from "./components/talos/cluster";
import { renderRedactedNodePatches } from "./components/talos/patches";
import { rawDocumentProblems } from "./components/talos/raw-documents";
import { checkPatchesAgainstSchema } from "./components/talos/schema";
import { decideUpgrades, previousTalos, TalosStackOutput, upgradeImageFor } from "./components/talos/previous";
import { assertTalosctlAvailable } from "./components/talos/upgrades";
import { decideWorkloadIsolation } from "./components/talos/workload-isolation";
import { prereleaseDefaultNote } from "./components/talos/versions";
import { createSynologyCsi, nasFromDsmUrl } from "./components/workloads";
import { etcdSnapshotBeforeUpgrades } from "./components/backups/provider";
import { snapshotPlaces } from "./components/backups/names";

/** Builds the whole graph; returns the stack outputs. */
async function main() {
    const cfg = loadStackConfig();
    // Rolling upgrades shell out to talosctl: say so now rather than half-way through an `up`.
    assertTalosctlAvailable({ upgrades: cfg.cluster.upgrades });
    // A Talos release whose table row was read at a release candidate may default to a Kubernetes candidate.
    const k8sNote = prereleaseDefaultNote(cfg.cluster.talosVersion, cfg.cluster.kubernetesVersion);
    if (k8sNote) void pulumi.log.warn(k8sNote);
    // A talosVersion change runs the upgrades Talos allows, from the release the previous up left (its outputs).
    const previousRead = readPreviousOutputs(["talos", "installerImage", "nodes"]);
    // The engine starts the dynamic-provider host while main() works, after the read main() waits for
    // (./components/program-start.ts).
    startProviderHost();
    const previous = previousTalos(await previousRead);
    const upgrade = decideUpgrades(cfg.cluster, cfg.nodes, previous);
    if ("problem" in upgrade) throw new pulumi.RunError(upgrade.problem);
    if (upgrade.said) void pulumi.log.info(upgrade.said);
    // Talos 1.14's workload isolation: the setting, else Talos' own default for this cluster's history.
    const isolation = decideWorkloadIsolation(cfg.cluster.workloadIsolation, cfg.cluster.talosVersion, previous);
    if (isolation.note) void pulumi.log.info(isolation.note);
    const clusterConfig = { ...cfg.cluster, workloadIsolation: isolation.on };

    // Secrets leave plain memory here: from now on they only travel as Pulumi secrets.
    const synologyPassword = pulumi.secret(cfg.synologyPassword);
    const upsPassword = cfg.upsPassword === undefined ? undefined : pulumi.secret(cfg.upsPassword);

    // Every patch the program will send, checked: the rules that need no schema always, the Talos
    // config schema's when it can be fetched. The UPS password is redacted (the check needs the
    // shape, not the secret); the installer image is computed offline from the schematic, as the
    // image component will.
    const installer = imageOfConfig(cfg.image, cfg.cluster.talosVersion).installerImage;
    const patchSets = cfg.nodes.map((node, index) =>
        renderRedactedNodePatches({ cluster: clusterConfig, node, index, installerImage: installer, ups: cfg.ups }),
    );
    const patchProblems = [
        ...(await checkPatchesAgainstSchema({
            talosVersion: cfg.cluster.talosVersion,
            urlTemplate: cfg.cluster.configSchemaUrl,
            patchSets,
            warn: (message) => void pulumi.log.warn(message),
        })),
        // Talos 1.14 documents go to the nodes as they are (the provider cannot render them): once, deleting nothing.
        ...new Set(patchSets.flatMap(rawDocumentProblems)),
    ];
    if (patchProblems.length > 0) {
        throw new pulumi.RunError(
            `Talos config patches do not fit Talos ${cfg.cluster.talosVersion}, the release of cluster.talosVersion ` +
                `(${patchProblems.length} problem${patchProblems.length === 1 ? "" : "s"}):\n` +
                patchProblems.map((p) => `  - ${p}`).join("\n"),
        );
    }

    // The NAS, read once before any resource exists: every problem it would raise half-way through an `up`
    // (README "Pre-flight"), and a warning about etcd snapshots an earlier version left under the TFTP root.
    // Skipped under the mock runtime; HOMELAB_PREFLIGHT=off|on overrides.
    await runNasPreflight({ ...cfg, snapshotFolders: snapshotPlaces(cfg.backups.share, cfg.synology.share) });

    // Whether the factory offers a newer patch of this Talos minor: asked once every problem of the stack is known,
    // said on the image at the end; changes nothing, never fails the run, and asks nothing when
    // cluster.talosVersionPinned says the version is on purpose.
    const newerPatch = announceNewerPatch({
        factoryUrl: cfg.image.factoryUrl,
        talosVersion: cfg.cluster.talosVersion,
        pinned: cfg.cluster.talosVersionPinned,
        engineConnected: pulumi.runtime.getEngine() !== undefined,
    });

    const image = new TalosImage("image", {
        factoryUrl: cfg.image.factoryUrl,
        talosVersion: cfg.cluster.talosVersion,
        arch: cfg.image.arch,
        extensions: cfg.image.extensions,
        extraKernelArgs: cfg.image.extraKernelArgs,
    });

    const nas = new SynologyPxe("nas", {
        synology: cfg.synology,
        dhcp: cfg.dhcp,
        nodes: cfg.nodes,
        password: synologyPassword,
        ukiUrl: image.ukiUrl,
        ukiFileName: image.ukiFileName,
        schematicId: image.schematicId,
        talosVersion: image.talosVersion,
        arch: cfg.image.arch,
        backupShare: cfg.backups.share,
    });

    // The previous up's form of the same installer image, so that the form alone runs no upgrade.
    const upgradeImage = image.installerImage.apply((img) => upgradeImageFor(previous.upgradeImage, img));
    const cluster = new TalosCluster("talos", {
        cluster: clusterConfig,
        nodes: cfg.nodes,
        installerImage: image.installerImage,
        upgradeImage,
        installedNodes: previous.hostnames,
        previousConfigs: { talosVersion: previous.version, rebootDigests: previous.rebootDigests },
        throughImages: upgrade.plan.hops.slice(0, -1).map((hop) => imageOfConfig(cfg.image, hop).installerImage),
        schematicId: image.schematicId,
        ups: cfg.ups,
        upsPassword,
        pxeReady: nas.pxeReady,
        // With upgrades on, an etcd snapshot goes to <backups.share>/etcd (not the TFTP root) before any upgrade runs.
        beforeUpgrades: etcdSnapshotBeforeUpgrades({
            connection: connectionArgs(cfg.synology),
            password: synologyPassword,
            share: cfg.backups.share,
            tftpShare: cfg.synology.share,
            keep: cfg.backups.etcd.keep,
            clusterName: cfg.cluster.name,
            after: [nas.backupShare],
        }),
    });

    const csi = createSynologyCsi("csi", {
        kubeconfig: cluster.kubeconfig,
        healthy: cluster.healthy,
        csi: cfg.workloads.synologyCsi,
        nas: { ...nasFromDsmUrl(cfg.synology.url), username: cfg.synology.username },
        password: synologyPassword,
    });

    // Last: the factory's answer overlaps the engine's work on everything registered above.
    const newerPatchNote = (await newerPatch).note;
    if (newerPatchNote) void pulumi.log.info(newerPatchNote, image);

    return {
        schematicId: image.schematicId,
        installerImage: image.installerImage,
        ukiUrl: image.ukiUrl,
        tftpRoot: nas.tftpRoot,
        bootFile: nas.bootFileName,
        bootFileMd5: nas.bootFileMd5,
        nodes: cluster.nodes,
        kubeconfig: cluster.kubeconfig,
        talosconfig: cluster.talosconfig,
        storageClass: csi ? csi.storageClassName : undefined,
        talos: pulumi.all([upgradeImage, cluster.rebootDigests]).apply(([img, rebootDigests]): TalosStackOutput => ({
            version: cfg.cluster.talosVersion,
            kubernetesVersion: cfg.cluster.kubernetesVersion,
            workloadIsolation: isolation.on,
            upgradeImage: img,
            rebootDigests,
        })),
    };
}

export = main;
