/**
 * The SynologyPxe component under Pulumi's mocks: six dynamic resources named `${name}-<what>`, parented
 * to the component, each depending on the one before (1 → 6), the password a secret input and listed in
 * additionalSecretOutputs, and the component's outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { dhcpConfig, synologyConfig } from "../support/fixtures";
import { watchRegistrations } from "../support/pulumi-mocks";

interface Registration {
    type: string;
    name: string;
    urn: string;
    parent: string;
    dependencies: string[];
    additionalSecretOutputs: string[];
    object: Record<string, unknown>;
}

const registrations: Registration[] = [];
const newResources: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];

// setMocks does its work at once (its body awaits nothing): the modules required below see the mocks.
void pulumi.runtime.setMocks(
    {
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
            newResources.push({ type: args.type, name: args.name, inputs: args.inputs });
            const state: Record<string, unknown> = { ...args.inputs };
            if (args.type.endsWith(":BootFile")) {
                Object.assign(state, {
                    path: `/pxe/${args.inputs.fileName}`,
                    size: 1234,
                    md5: "d41d8cd98f00b204e9800998ecf8427e",
                });
            }
            if (args.type.endsWith(":Pxe")) {
                state.actual = { enable: true, remoteTftp: false, localBootloader: args.inputs.bootloader };
            }
            return { id: `${args.name}-id`, state };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "homelab",
    "test",
);

watchRegistrations({
    after: (req, resp) =>
        registrations.push({
            type: req.getType(),
            name: req.getName(),
            urn: resp?.getUrn?.() ?? "",
            parent: req.getParent(),
            dependencies: req.getDependenciesList(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            object: req.getObject()?.toJavaScript() ?? {},
        }),
});

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the mocks are set
const synologyModule = require("../../components/synology") as typeof import("../../components/synology");
const { SynologyPxe, SYNOLOGY_RESOURCES } = synologyModule;

const drain = (): Promise<void> => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        o.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const PASSWORD = "mock-Pa55word!";

const synology = synologyConfig({ interface: "ovs_eth0", tls: { fingerprintSha256: "aa:".repeat(31) + "bb" } });
const dhcp = dhcpConfig({ extraReservations: [{ mac: "52:54:00:6e:61:01", ip: "192.168.0.99", hostname: "extra" }] });

describe("SynologyPxe under mocks", () => {
    let component: InstanceType<typeof SynologyPxe>;
    beforeAll(async () => {
        component = new SynologyPxe("home", {
            synology,
            dhcp,
            password: pulumi.secret(PASSWORD),
            nodes: [{ hostname: "cp1", mac: "AA:BB:CC:00:00:01", ip: "192.168.0.11" }],
            ukiUrl: "https://factory.invalid/image/abc/v1.12.1/metal-amd64-uki.efi",
            ukiFileName: "metal-amd64-uki.efi",
            schematicId: "abc",
            talosVersion: "v1.12.1",
            arch: "amd64",
            backupShare: "talos-backups",
        });
        await value(component.pxeReady);
        await drain();
    }, 120_000);

    const children = Object.keys(SYNOLOGY_RESOURCES).map((k) => k.toLowerCase());

    test("registers the component and one child per DSM resource, named ${name}-<what>, parented to it", () => {
        const comp = registrations.find((r) => r.type === "homelab:synology:SynologyPxe")!;
        expect(comp.name).toBe("home");
        const kids = registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/synology:"));
        expect(kids.map((r) => r.name).sort()).toEqual(children.map((c) => `home-${c}`).sort());
        for (const k of kids) {
            expect(k.parent).toBe(comp.urn);
        }
        expect(kids.map((k) => k.type).sort()).toEqual(
            Object.values(SYNOLOGY_RESOURCES)
                .map((c) => c.dynamicToken)
                .sort(),
        );
    });

    test("each child depends on the one before it, in SYNOLOGY_RESOURCES order", () => {
        const byName = (n: string) => registrations.find((r) => r.name === `home-${n}`)!;
        for (let i = 1; i < children.length; i++) {
            expect(byName(children[i]).dependencies).toContain(byName(children[i - 1]).urn);
        }
        expect(byName("share").dependencies.filter((d) => d.includes("dynamic/synology"))).toEqual([]);
    });

    test("the password is a secret input of every child and marked secret as an output; nothing else carries it", () => {
        const kids = registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/synology:"));
        expect(kids).toHaveLength(children.length);
        for (const k of kids) {
            expect(k.additionalSecretOutputs).toContain("password");
            const pw = k.object.password as Record<string, unknown>;
            expect(pw[SECRET_SIG]).toBeDefined();
            expect(pw.value).toBe(PASSWORD);
            const rest = { ...k.object };
            delete rest.password;
            expect(JSON.stringify(rest)).not.toContain(PASSWORD);
        }
    });

    test("wires the config into the children's inputs", () => {
        const inputs = (n: string) => newResources.find((r) => r.name === `home-${n}`)!.inputs;
        expect(inputs("share")).toMatchObject({
            name: "pxe",
            volume: "/volume1",
            connection: {
                url: synology.url,
                username: "admin",
                allowHttp: false,
                tls: { fingerprintSha256: synology.tls.fingerprintSha256 },
            },
        });
        expect(inputs("tftp")).toMatchObject({
            rootPath: "/volume1/pxe",
            permission: "r",
            startIp: "0.0.0.0",
            endIp: "255.255.255.255",
        });
        expect(inputs("bootfile")).toMatchObject({
            share: "pxe",
            fileName: "metal-amd64-uki.efi",
            schematicId: "abc",
            talosVersion: "v1.12.1",
            arch: "amd64",
        });
        expect(inputs("dhcp")).toMatchObject({ ifname: "ovs_eth0", manage: false });
        expect(inputs("reservations")).toMatchObject({
            ifname: "ovs_eth0",
            entries: [
                { mac: "aa:bb:cc:00:00:01", ip: "192.168.0.11", hostname: "cp1" },
                { mac: "52:54:00:6e:61:01", ip: "192.168.0.99", hostname: "extra" },
            ],
        });
        expect(inputs("pxe")).toMatchObject({ bootloader: "metal-amd64-uki.efi" });
    });

    test("exposes tftpRoot, boot file name/size/MD5 and pxeReady", async () => {
        expect(await value(component.tftpRoot)).toBe("/volume1/pxe");
        expect(await value(component.bootFileName)).toBe("metal-amd64-uki.efi");
        expect(await value(component.bootFile.size)).toBe(1234);
        expect(await value(component.bootFileMd5)).toBe("d41d8cd98f00b204e9800998ecf8427e");
        expect(await value(component.pxeReady)).toBe(true);
    });
});
