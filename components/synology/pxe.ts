/**
 * SynologyPxe: the seed's "Synology setup" as resources, in the seed's order:
 * shared folder → TFTP → boot file → DHCP server → reservations → PXE; then the etcd snapshots' shared folder
 * (`homelab:backups.share`), which is not the TFTP root.
 * Thin wiring: the inputs of every resource come from `synologyResourceInputs` (pure, tested), as it returns them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Arch } from "../factory/config";
import type { DhcpConfig, SynologyConfig } from "./config";
import { connectionArgs } from "./connection";
import { CLIENT_APIS } from "./dsm/apis";
import type { DsmApiUse } from "./dsm/types";
import { desiredReservations, Reservation } from "./reservations";
import { SynologyBackupShare } from "./providers/backup-share";
import { SynologyBootFile } from "./providers/bootfile";
import { SynologyDhcpServer } from "./providers/dhcp";
import { SynologyPxeSettings } from "./providers/pxe";
import { SynologyReservations } from "./providers/reservations";
import { SynologyShare } from "./providers/share";
import { SynologyTftp } from "./providers/tftp";

/** The image facts the boot file needs (TalosImage's outputs): plain values, or Pulumi inputs in the component. */
export interface BootImage<T = string> {
    ukiUrl: T;
    /** `metal-<arch>-uki.efi`. */
    ukiFileName: T;
    schematicId: T;
    talosVersion: T;
    arch: T;
}

/** What the Synology resources are computed from. */
export interface SynologySpec<T = string> {
    synology: SynologyConfig;
    dhcp: DhcpConfig;
    /** The nodes' reservations (a node config is one), before `dhcp.extraReservations`. */
    nodes: readonly Reservation[];
    image: BootImage<T>;
    /** `homelab:backups.share`: the shared folder of the etcd snapshots (never `synology.share`, the TFTP root). */
    backupShare: string;
}

/**
 * The DSM resources in apply order: the component makes each depend on the one before and names it
 * `${name}-<key in lower case>`. The list that tests and the engine emulation (tests/support) go by.
 */
export const SYNOLOGY_RESOURCES = {
    share: SynologyShare,
    tftp: SynologyTftp,
    bootFile: SynologyBootFile,
    dhcp: SynologyDhcpServer,
    reservations: SynologyReservations,
    pxe: SynologyPxeSettings,
    backupShare: SynologyBackupShare,
};

/**
 * Every DSM API the program calls on `pulumi up`: the client's own and each resource's (doctor and pre-flight check
 * them), each once (resources that call the same API declare the same use).
 */
export const NAS_APIS: readonly DsmApiUse[] = [
    ...CLIENT_APIS,
    ...Object.values(SYNOLOGY_RESOURCES).flatMap((r) => r.apis),
].filter((use, i, all) => all.findIndex((u) => u.api === use.api) === i);

/**
 * Every DSM resource's inputs except the password (which stays a secret Output in the component), in apply order,
 * the image's values as given (plain, or Pulumi inputs); inputs with a default (see each resource) are left out.
 * Pure. Throws on duplicate or malformed reservations.
 */
export function synologyResourceInputs<T = string>(spec: SynologySpec<T>) {
    const connection = connectionArgs(spec.synology);
    const { synology: s, image } = spec;
    const { extraReservations, manageServer, ...settings } = spec.dhcp;
    const volume = s.volume.replace(/\/+$/, "");
    return {
        share: { connection, name: s.share, volume },
        tftp: { connection, rootPath: `${volume}/${s.share}` },
        bootFile: {
            connection,
            ukiUrl: image.ukiUrl,
            schematicId: image.schematicId,
            talosVersion: image.talosVersion,
            arch: image.arch,
            share: s.share,
            fileName: image.ukiFileName,
        },
        dhcp: { connection, ifname: s.interface, manage: manageServer === true, settings },
        reservations: {
            connection,
            ifname: s.interface,
            entries: desiredReservations(spec.nodes, extraReservations ?? []),
        },
        pxe: { connection, bootloader: image.ukiFileName },
        backupShare: { connection, name: spec.backupShare, volume },
    };
}

/** {@link synologyResourceInputs} of a plain spec: what the tests' engine drivers hand each provider. */
export type SynologyResourceInputs = ReturnType<typeof synologyResourceInputs<string>>;

export interface SynologyPxeArgs {
    /**
     * `homelab:synology`: NAS URL, user, volume, share, interface, TLS trust. Plain (not an Input), as `dhcp` and
     * `nodes` are: every DSM resource's inputs are computed from them before anything is registered
     * (`synologyResourceInputs`), so a reservation list the merge cannot take fails here.
     */
    synology: SynologyConfig;
    /** `homelab:dhcp`: subnet, range, gateway, DNS, lease, extra reservations, manageServer. */
    dhcp: DhcpConfig;
    /** The nodes: one reservation each (mac → ip, hostname); a node config is one. */
    nodes: readonly Reservation[];
    /** The DSM password. Kept secret (wrapped in `pulumi.secret` here as well). */
    password: pulumi.Input<string>;
    /** Factory URL of the UKI (TalosImage's `ukiUrl`). */
    ukiUrl: pulumi.Input<string>;
    /** Boot file name, `metal-<arch>-uki.efi` (TalosImage's `ukiFileName`). */
    ukiFileName: pulumi.Input<string>;
    /** Schematic ID (a change replaces the boot file). */
    schematicId: pulumi.Input<string>;
    /** Talos version, e.g. `v1.12.1` (a change replaces the boot file). */
    talosVersion: pulumi.Input<string>;
    /** Image architecture (a change replaces the boot file). */
    arch: pulumi.Input<Arch>;
    /** `homelab:backups.share`: the etcd snapshots' shared folder, made when missing (plain, as `synology` is). */
    backupShare: string;
}

export class SynologyPxe extends pulumi.ComponentResource {
    /** TFTP root on the NAS, `<volume>/<share>`. */
    readonly tftpRoot: pulumi.Output<string>;
    /** Boot file name relative to the TFTP root. */
    readonly bootFileName: pulumi.Output<string>;
    /** Boot file MD5 (verified by File Station). */
    readonly bootFileMd5: pulumi.Output<string>;
    /** True once PXE serves the boot file; resources that boot nodes depend on it. */
    readonly pxeReady: pulumi.Output<boolean>;

    readonly share: SynologyShare;
    readonly tftp: SynologyTftp;
    readonly bootFile: SynologyBootFile;
    readonly dhcpServer: SynologyDhcpServer;
    readonly reservations: SynologyReservations;
    readonly pxe: SynologyPxeSettings;
    /** The etcd snapshots' shared folder: what the snapshot waits for. */
    readonly backupShare: SynologyBackupShare;

    constructor(name: string, args: SynologyPxeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:synology:SynologyPxe", name, {}, opts);
        const password = pulumi.secret(args.password);
        const inputs = synologyResourceInputs<pulumi.Input<string>>({
            synology: args.synology,
            dhcp: args.dhcp,
            nodes: args.nodes,
            image: {
                ukiUrl: args.ukiUrl,
                ukiFileName: args.ukiFileName,
                schematicId: args.schematicId,
                talosVersion: args.talosVersion,
                arch: args.arch,
            },
            backupShare: args.backupShare,
        });
        // In SYNOLOGY_RESOURCES order, each after the one before.
        const after = (previous?: pulumi.Resource): pulumi.CustomResourceOptions => ({
            parent: this,
            dependsOn: previous && [previous],
        });
        this.share = new SynologyShare(`${name}-share`, { ...inputs.share, password }, after());
        this.tftp = new SynologyTftp(`${name}-tftp`, { ...inputs.tftp, password }, after(this.share));
        this.bootFile = new SynologyBootFile(`${name}-bootfile`, { ...inputs.bootFile, password }, after(this.tftp));
        this.dhcpServer = new SynologyDhcpServer(`${name}-dhcp`, { ...inputs.dhcp, password }, after(this.bootFile));
        this.reservations = new SynologyReservations(
            `${name}-reservations`,
            { ...inputs.reservations, password },
            after(this.dhcpServer),
        );
        this.pxe = new SynologyPxeSettings(`${name}-pxe`, { ...inputs.pxe, password }, after(this.reservations));
        this.backupShare = new SynologyBackupShare(
            `${name}-backupshare`,
            { ...inputs.backupShare, password },
            after(this.pxe),
        );

        this.tftpRoot = this.tftp.rootPath;
        this.bootFileName = this.bootFile.fileName;
        this.bootFileMd5 = this.bootFile.md5;
        this.pxeReady = pulumi
            .all([this.pxe.actual, this.bootFile.md5])
            .apply(([a]) => a !== undefined && a.enable === true);

        this.registerOutputs({
            tftpRoot: this.tftpRoot,
            bootFileName: this.bootFileName,
            bootFileMd5: this.bootFileMd5,
            pxeReady: this.pxeReady,
        });
    }
}
