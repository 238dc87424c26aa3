/**
 * SynologyPxe: the seed's "Synology setup" as resources, in the seed's order:
 * shared folder → TFTP → boot file → DHCP server → reservations → PXE.
 * Thin wiring: the inputs of every resource come from `synologyResourceInputs` (pure, tested).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Arch } from "../factory/config";
import type { DhcpConfig, SynologyConfig } from "./config";
import { connectionArgs } from "./connection";
import { CLIENT_APIS } from "./dsm/apis";
import type { DsmApiUse } from "./dsm/types";
import { desiredReservations, Reservation } from "./reservations";
import { SynologyBootFile } from "./providers/bootfile";
import { SynologyDhcpServer } from "./providers/dhcp";
import { SynologyPxeSettings } from "./providers/pxe";
import { SynologyReservations } from "./providers/reservations";
import { SynologyShare } from "./providers/share";
import { SynologyTftp } from "./providers/tftp";

/** The image facts the boot file needs (from the TalosImage component). */
export interface BootImage {
    ukiUrl: string;
    /** `metal-<arch>-uki.efi`. */
    ukiFileName: string;
    schematicId: string;
    talosVersion: string;
    arch: string;
}

/** What the Synology resources are computed from. */
export interface SynologySpec {
    synology: SynologyConfig;
    dhcp: DhcpConfig;
    /** The nodes' reservations (a node config is one), before `dhcp.extraReservations`. */
    nodes: readonly Reservation[];
    image: BootImage;
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
};

/** Every DSM API the program calls on `pulumi up`: the client's own and each resource's (doctor and pre-flight check them). */
export const NAS_APIS: readonly DsmApiUse[] = [
    ...CLIENT_APIS,
    ...Object.values(SYNOLOGY_RESOURCES).flatMap((r) => r.apis),
];

/** A resource class's args as plain values, without the password (which stays a secret Output in the component). */
type PlainArgs<C extends abstract new (...args: never[]) => unknown> = Omit<
    pulumi.Unwrap<ConstructorParameters<C>[1]>,
    "password"
>;

/** Every resource's inputs except the password; inputs with a default (see each resource) may be left out. */
export type SynologyResourceInputs = {
    [K in keyof typeof SYNOLOGY_RESOURCES]: PlainArgs<(typeof SYNOLOGY_RESOURCES)[K]>;
};

/** Every DSM resource's inputs, in apply order (pure). Throws on duplicate/malformed reservations. */
export function synologyResourceInputs(spec: SynologySpec): SynologyResourceInputs {
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
    };
}

export interface SynologyPxeArgs {
    /** `homelab:synology`: NAS URL, user, volume, share, interface, TLS trust. */
    synology: pulumi.Input<SynologyConfig>;
    /** `homelab:dhcp`: subnet, range, gateway, DNS, lease, extra reservations, manageServer. */
    dhcp: pulumi.Input<DhcpConfig>;
    /** The nodes: one reservation each (mac → ip, hostname); a node config is one. */
    nodes: pulumi.Input<pulumi.Input<Reservation>[]>;
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

    constructor(name: string, args: SynologyPxeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:synology:SynologyPxe", name, {}, opts);
        const password = pulumi.secret(args.password);
        const inputs = pulumi
            .all([
                args.synology,
                args.dhcp,
                args.nodes,
                args.ukiUrl,
                args.ukiFileName,
                args.schematicId,
                args.talosVersion,
                args.arch,
            ])
            .apply(([synology, dhcp, nodes, ukiUrl, ukiFileName, schematicId, talosVersion, arch]) => {
                const spec: SynologySpec = {
                    synology,
                    dhcp,
                    nodes,
                    image: { ukiUrl, ukiFileName, schematicId, talosVersion, arch },
                };
                return synologyResourceInputs(spec);
            });

        const { share, tftp, bootFile, dhcp, reservations, pxe } = inputs;
        this.share = new SynologyShare(
            `${name}-share`,
            { connection: share.connection, password, name: share.name, volume: share.volume },
            { parent: this },
        );
        this.tftp = new SynologyTftp(
            `${name}-tftp`,
            { connection: tftp.connection, password, rootPath: tftp.rootPath },
            { parent: this, dependsOn: [this.share] },
        );
        this.bootFile = new SynologyBootFile(
            `${name}-bootfile`,
            {
                connection: bootFile.connection,
                password,
                ukiUrl: bootFile.ukiUrl,
                schematicId: bootFile.schematicId,
                talosVersion: bootFile.talosVersion,
                arch: bootFile.arch,
                share: bootFile.share,
                fileName: bootFile.fileName,
            },
            { parent: this, dependsOn: [this.tftp] },
        );
        this.dhcpServer = new SynologyDhcpServer(
            `${name}-dhcp`,
            {
                connection: dhcp.connection,
                password,
                ifname: dhcp.ifname,
                manage: dhcp.manage,
                settings: dhcp.settings,
            },
            { parent: this, dependsOn: [this.bootFile] },
        );
        this.reservations = new SynologyReservations(
            `${name}-reservations`,
            {
                connection: reservations.connection,
                password,
                ifname: reservations.ifname,
                entries: reservations.entries,
            },
            { parent: this, dependsOn: [this.dhcpServer] },
        );
        this.pxe = new SynologyPxeSettings(
            `${name}-pxe`,
            { connection: pxe.connection, password, bootloader: pxe.bootloader },
            { parent: this, dependsOn: [this.reservations] },
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
