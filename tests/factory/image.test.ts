import * as pulumi from "@pulumi/pulumi";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
let preview = false;

// Mocks first, then the module under test.
// setMocks does its work at once (its body awaits nothing): the modules required below see the mocks.
void pulumi.runtime.setMocks(
    {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            if (args.type.includes("FactorySchematic")) {
                // Like the engine: the ID is unknown during preview, the provider's ID after create.
                return {
                    id: preview ? "" : `${args.name}-id`,
                    state: { ...args.inputs, schematicId: preview ? undefined : "from-provider" },
                };
            }
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "homelab",
    "test",
    false,
);

import { TalosImage } from "../../components/factory/image";
import { canonicalSchematicYaml, imageOfConfig, schematicId } from "../../components/factory/schematic";
import { SEED_EXTENSIONS, SEED_SCHEMATIC_ID as SEED_ID } from "../support/fixtures";

function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}
function isKnown(o: pulumi.Output<unknown>): Promise<boolean> {
    return (o as unknown as { isKnown: Promise<boolean> }).isKnown;
}

describe("TalosImage", () => {
    beforeEach(() => {
        registered.length = 0;
    });

    test("the seed's image: outputs and the registered child", async () => {
        const img = new TalosImage("talos", { talosVersion: "1.12.1", arch: "amd64", extensions: SEED_EXTENSIONS });
        expect(await value(img.schematicId)).toBe(SEED_ID);
        expect(await value(img.ukiUrl)).toBe(`https://factory.talos.dev/image/${SEED_ID}/v1.12.1/metal-amd64-uki.efi`);
        expect(await value(img.ukiFileName)).toBe("metal-amd64-uki.efi");
        expect(await value(img.installerImage)).toBe(`factory.talos.dev/metal-installer/${SEED_ID}:v1.12.1`);
        expect(await value(img.pxeScriptUrl)).toBe(`https://pxe.factory.talos.dev/pxe/${SEED_ID}/v1.12.1/metal-amd64`);
        expect(await value(img.talosVersion)).toBe("v1.12.1");
        expect(await value(img.arch)).toBe("amd64");

        // What the code that runs before the component (patch check, doctor) computes offline is what it outputs.
        const offline = imageOfConfig(
            {
                arch: "amd64",
                extensions: SEED_EXTENSIONS,
                extraKernelArgs: [],
                factoryUrl: "https://factory.talos.dev",
            },
            "v1.12.1",
        );
        expect(offline).toEqual({
            schematicId: await value(img.schematicId),
            ukiUrl: await value(img.ukiUrl),
            ukiFileName: await value(img.ukiFileName),
            installerImage: await value(img.installerImage),
            pxeScriptUrl: await value(img.pxeScriptUrl),
        });

        const child = registered.find((r) => r.type.includes("FactorySchematic"))!;
        expect(child.type).toBe("pulumi-nodejs:dynamic/homelab:FactorySchematic");
        expect(child.name).toBe("talos-schematic");
        expect(child.inputs.factoryUrl).toBe("https://factory.talos.dev");
        expect(child.inputs.talosVersion).toBe("v1.12.1");
        expect(child.inputs.schematic).toBe(
            canonicalSchematicYaml({ customization: { systemExtensions: { officialExtensions: SEED_EXTENSIONS } } }),
        );
        expect(typeof child.inputs.__provider).toBe("string");
        expect(registered.find((r) => r.type === "homelab:factory:TalosImage")?.name).toBe("talos");
    });

    test("outputs follow the args: custom factory, arm64, kernel args, inputs as outputs", async () => {
        const img = new TalosImage("arm", {
            factoryUrl: pulumi.output("http://127.0.0.1:8080/"),
            talosVersion: pulumi.output("v1.11.5"),
            arch: "arm64",
            extensions: [pulumi.output("siderolabs/i915")],
            extraKernelArgs: ["net.ifnames=0"],
        });
        const id = schematicId({
            customization: {
                extraKernelArgs: ["net.ifnames=0"],
                systemExtensions: { officialExtensions: ["siderolabs/i915"] },
            },
        });
        expect(await value(img.schematicId)).toBe(id);
        expect(await value(img.ukiUrl)).toBe(`http://127.0.0.1:8080/image/${id}/v1.11.5/metal-arm64-uki.efi`);
        expect(await value(img.installerImage)).toBe(`127.0.0.1:8080/metal-installer/${id}:v1.11.5`);
        expect(await value(img.pxeScriptUrl)).toBe(`http://127.0.0.1:8080/pxe/${id}/v1.11.5/metal-arm64`);
        expect(await value(img.schematic)).toContain("extraKernelArgs:\n        - net.ifnames=0\n");
    });

    test("the schematic ID is known during preview and depends on the registration", async () => {
        preview = true;
        try {
            const img = new TalosImage("pv", { talosVersion: "v1.12.1", arch: "amd64", extensions: SEED_EXTENSIONS });
            expect(await isKnown(img.schematicId)).toBe(true);
            expect(await isKnown(img.ukiUrl)).toBe(true);
            expect(await value(img.installerImage)).toBe(`factory.talos.dev/metal-installer/${SEED_ID}:v1.12.1`);
            const deps = await (
                img.schematicId as unknown as { allResources: () => Promise<Set<pulumi.Resource>> }
            ).allResources();
            const urns = await Promise.all([...deps].map((r) => value(r.urn)));
            expect(urns.some((u) => u.endsWith("::pv-schematic"))).toBe(true);
        } finally {
            preview = false;
        }
    });
});
