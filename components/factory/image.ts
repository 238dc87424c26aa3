/**
 * `TalosImage`: the Talos image the cluster boots, as the seed made it by hand on factory.talos.dev.
 *
 * The schematic (extensions and kernel args, in the stack's order) and its ID are computed locally,
 * so `pulumi preview` already shows the ID, the UKI URL and the installer image. The child
 * `${name}-schematic` registers the schematic at the factory (after checking the version and
 * extensions). The ID output is derived from the child's URN: known at preview, yet every consumer
 * of it waits until the schematic is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { releaseTag } from "../version";
import { Arch, DEFAULT_FACTORY_URL } from "./config";
import { FactorySchematic } from "./schematic-resource";
import { canonicalSchematicYaml, imageOutputs, schematicFromImage, schematicId } from "./schematic";

export interface TalosImageArgs {
    /** Image Factory base URL. Default `https://factory.talos.dev`. */
    factoryUrl?: pulumi.Input<string>;
    /** Talos release, e.g. `v1.12.1` (a missing leading `v` is added). */
    talosVersion: pulumi.Input<string>;
    /** CPU architecture of the nodes. */
    arch: pulumi.Input<Arch>;
    /** Official system extensions, `owner/name`, in order (the order changes the schematic ID). */
    extensions: pulumi.Input<pulumi.Input<string>[]>;
    /** Extra kernel arguments baked into the image. Default none. */
    extraKernelArgs?: pulumi.Input<pulumi.Input<string>[]>;
}

export class TalosImage extends pulumi.ComponentResource {
    /** Schematic ID (64 hex). Known at preview; resolves once the schematic is registered. */
    readonly schematicId: pulumi.Output<string>;
    /** The canonical schematic YAML (what the ID hashes). */
    readonly schematic: pulumi.Output<string>;
    /** `<factory>/image/<id>/<version>/metal-<arch>-uki.efi` */
    readonly ukiUrl: pulumi.Output<string>;
    /** `metal-<arch>-uki.efi` */
    readonly ukiFileName: pulumi.Output<string>;
    /** `<factory host>/metal-installer/<id>:<version>` (./schematic.ts `installerImage`), for `machine.install.image` and upgrades. */
    readonly installerImage: pulumi.Output<string>;
    /** The factory's iPXE script URL for this image. */
    readonly pxeScriptUrl: pulumi.Output<string>;
    /** Talos version with a leading `v`. */
    readonly talosVersion: pulumi.Output<string>;
    readonly arch: pulumi.Output<Arch>;
    /** Image Factory base URL, without trailing slash. */
    readonly factoryUrl: pulumi.Output<string>;

    constructor(name: string, args: TalosImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:factory:TalosImage", name, {}, opts);

        const factoryUrl = pulumi.output(args.factoryUrl ?? DEFAULT_FACTORY_URL).apply((u) => u.replace(/\/+$/, ""));
        const talosVersion = pulumi.output(args.talosVersion).apply(releaseTag);
        const arch = pulumi.output(args.arch);
        const schematicObj = pulumi
            .all([args.extensions, args.extraKernelArgs ?? []])
            .apply(([extensions, extraKernelArgs]) => schematicFromImage({ extensions, extraKernelArgs }));
        const schematic = schematicObj.apply(canonicalSchematicYaml);
        const localId = schematicObj.apply(schematicId);

        const registered = new FactorySchematic(
            `${name}-schematic`,
            { factoryUrl, talosVersion, schematic },
            { parent: this },
        );

        // The URN is known at preview and resolves only after the resource's step ran, so this output
        // is known at preview and carries the dependency on the registration.
        this.schematicId = pulumi.all([registered.urn, localId]).apply(([, id]) => id);
        const derived = pulumi
            .all([factoryUrl, this.schematicId, talosVersion, arch])
            .apply(([u, id, v, a]) => imageOutputs(u, id, v, a));
        this.schematic = schematic;
        this.ukiUrl = derived.ukiUrl;
        this.ukiFileName = derived.ukiFileName;
        this.installerImage = derived.installerImage;
        this.pxeScriptUrl = derived.pxeScriptUrl;
        this.talosVersion = talosVersion;
        this.arch = arch;
        this.factoryUrl = factoryUrl;

        this.registerOutputs({
            schematicId: this.schematicId,
            schematic: this.schematic,
            ukiUrl: this.ukiUrl,
            ukiFileName: this.ukiFileName,
            installerImage: this.installerImage,
            pxeScriptUrl: this.pxeScriptUrl,
            talosVersion: this.talosVersion,
            arch: this.arch,
            factoryUrl: this.factoryUrl,
        });
    }
}
