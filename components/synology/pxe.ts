/**
 * SynologyPxe: the seed's "Synology setup" as resources, in the seed's order:
 * shared folder → TFTP → boot file → DHCP server → reservations → PXE.
 * Thin wiring: the inputs of every resource come from `synologyResourceInputs` (pure, tested).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Arch, DhcpConfig, NodeConfig, SynologyConfig } from "../config";
import { SynologyBootFile } from "./providers/bootfile";
import { SynologyDhcpServer } from "./providers/dhcp";
import type { DsmConnectionArgs } from "./providers/common";
import { synologyResourceInputs, SynologySpec } from "./providers/plan";
import { SynologyPxeSettings } from "./providers/pxe";
import { SynologyReservations } from "./providers/reservations";
import { SynologyShare } from "./providers/share";
import { SynologyTftp } from "./providers/tftp";

/**
 * A remembered 2FA device id lets its holder skip the one-time code: when the connection carries one,
 * the whole connection input (and so the stored output) is a secret.
 */
function connectionInput(c: pulumi.Output<DsmConnectionArgs>): pulumi.Output<DsmConnectionArgs> {
    return c.apply((v): pulumi.Input<DsmConnectionArgs> => (v.deviceId ? pulumi.secret(v) : v)) as pulumi.Output<DsmConnectionArgs>;
}

export interface SynologyPxeArgs {
    /** `homelab:synology`: NAS URL, user, volume, share, interface, TLS trust. */
    synology: pulumi.Input<SynologyConfig>;
    /** `homelab:dhcp`: subnet, range, gateway, DNS, lease, extra reservations, manageServer. */
    dhcp: pulumi.Input<DhcpConfig>;
    /** The nodes: one reservation each (mac → ip, hostname). */
    nodes: pulumi.Input<pulumi.Input<Pick<NodeConfig, "hostname" | "mac" | "ip">>[]>;
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
    /** Boot file size in bytes (verified on the NAS). */
    readonly bootFileSize: pulumi.Output<number>;
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
        const inputs = pulumi.all([args.synology, args.dhcp, args.nodes, args.ukiUrl, args.ukiFileName, args.schematicId, args.talosVersion, args.arch])
            .apply(([synology, dhcp, nodes, ukiUrl, ukiFileName, schematicId, talosVersion, arch]) => {
                const spec: SynologySpec = {
                    synology, dhcp, nodes: nodes.map((n) => ({ hostname: n.hostname, mac: n.mac, ip: n.ip })),
                    image: { ukiUrl, ukiFileName, schematicId, talosVersion, arch },
                };
                return synologyResourceInputs(spec);
            });

        const share = inputs.share;
        this.share = new SynologyShare(`${name}-share`, {
            connection: connectionInput(share.connection), password, name: share.name, volume: share.volume, desc: share.apply((s) => s.desc ?? ""),
        }, { parent: this });

        const tftp = inputs.tftp;
        this.tftp = new SynologyTftp(`${name}-tftp`, {
            connection: connectionInput(tftp.connection), password, rootPath: tftp.rootPath,
            permission: tftp.apply((t) => t.permission ?? "r"), startIp: tftp.apply((t) => t.startIp ?? "0.0.0.0"),
            endIp: tftp.apply((t) => t.endIp ?? "255.255.255.255"),
        }, { parent: this, dependsOn: [this.share] });

        const boot = inputs.bootFile;
        this.bootFile = new SynologyBootFile(`${name}-bootfile`, {
            connection: connectionInput(boot.connection), password, ukiUrl: boot.ukiUrl, schematicId: boot.schematicId,
            talosVersion: boot.talosVersion, arch: boot.arch, share: boot.share, fileName: boot.fileName,
        }, { parent: this, dependsOn: [this.tftp] });

        const dhcp = inputs.dhcp;
        this.dhcpServer = new SynologyDhcpServer(`${name}-dhcp`, {
            connection: connectionInput(dhcp.connection), password, ifname: dhcp.ifname, manage: dhcp.manage, settings: dhcp.settings,
        }, { parent: this, dependsOn: [this.bootFile] });

        const res = inputs.reservations;
        this.reservations = new SynologyReservations(`${name}-reservations`, {
            connection: connectionInput(res.connection), password, ifname: res.ifname, entries: res.entries,
        }, { parent: this, dependsOn: [this.dhcpServer] });

        const pxe = inputs.pxe;
        this.pxe = new SynologyPxeSettings(`${name}-pxe`, {
            connection: connectionInput(pxe.connection), password, bootloader: pxe.bootloader,
        }, { parent: this, dependsOn: [this.reservations] });

        this.tftpRoot = this.tftp.rootPath;
        this.bootFileName = this.bootFile.fileName;
        this.bootFileSize = this.bootFile.size;
        this.bootFileMd5 = this.bootFile.md5;
        this.pxeReady = pulumi.all([this.pxe.actual, this.bootFile.md5]).apply(([a]) => a !== undefined && a.enable === true);

        this.registerOutputs({
            tftpRoot: this.tftpRoot,
            bootFileName: this.bootFileName,
            bootFileSize: this.bootFileSize,
            bootFileMd5: this.bootFileMd5,
            pxeReady: this.pxeReady,
        });
    }
}
