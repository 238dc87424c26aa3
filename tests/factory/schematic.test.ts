import fc from "fast-check";
import * as YAML from "yaml";
import {
    canonicalSchematicYaml,
    schematicId,
    parseSchematic,
    normaliseSchematic,
    goYamlKeyLess,
    schematicFromImage,
    ukiFileName,
    ukiUrl,
    installerImage,
    pxeScriptUrl,
    Schematic,
    SchematicError,
} from "../../components/factory/schematic";
import { SEED_EXTENSIONS, SEED_SCHEMATIC_ID as SEED_ID } from "../support/fixtures";

const EMPTY_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";

describe("schematic ID (known values from the public factory)", () => {
    test("the seed's schematic", () => {
        const s: Schematic = { customization: { systemExtensions: { officialExtensions: SEED_EXTENSIONS } } };
        expect(schematicId(s)).toBe(SEED_ID);
        expect(canonicalSchematicYaml(s)).toBe(
            "customization:\n    systemExtensions:\n        officialExtensions:\n" +
                SEED_EXTENSIONS.map((e) => `            - ${e}\n`).join(""),
        );
    });

    test("the empty schematic, in all its spellings", () => {
        expect(canonicalSchematicYaml({})).toBe("customization: {}\n");
        for (const s of [
            {},
            { customization: {} },
            { customization: { systemExtensions: {} } },
            { customization: { extraKernelArgs: [], meta: [] } },
            { overlay: { image: "", name: "" } },
            { customization: { secureboot: { includeWellKnownCertificates: false } } },
        ]) {
            expect(schematicId(s as Schematic)).toBe(EMPTY_ID);
        }
        expect(schematicId(parseSchematic("{}"))).toBe(EMPTY_ID);
        expect(schematicId(parseSchematic(""))).toBe(EMPTY_ID);
    });

    test("every field is emitted in Go struct order, regardless of input order", () => {
        const s = {
            customization: {
                diskImage: { sectorSize: 4096 },
                secureboot: { includeWellKnownCertificates: true, enrollKeys: "if-safe" },
                bootloader: "sd-boot",
                systemExtensions: { officialExtensions: ["siderolabs/i915"] },
                meta: [{ value: "x", key: 10 }],
                extraKernelArgs: ["console=ttyS0"],
                embeddedMachineConfiguration: "machine:\n  type: worker\n",
            },
            overlay: { options: { b: 1, a: "x" }, name: "rpi_generic", image: "siderolabs/sbc-raspberrypi" },
        } as Schematic;
        const y = canonicalSchematicYaml(s);
        const order = [
            "overlay:",
            "    image:",
            "    name:",
            "    options:",
            "customization:",
            "embeddedMachineConfiguration:",
            "extraKernelArgs:",
            "meta:",
            "systemExtensions:",
            "bootloader:",
            "secureboot:",
            "enrollKeys:",
            "includeWellKnownCertificates:",
            "diskImage:",
        ];
        const positions = order.map((k) => y.indexOf(k));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(y).toContain("        - key: 10\n          value: x\n");
        expect(y).toContain("        a: x\n        b: 1\n");
    });

    test("Go yaml quoting: non-strings double-quoted, indicator strings single-quoted", () => {
        const y = canonicalSchematicYaml({
            customization: { extraKernelArgs: ["123", "yes", "true", "- x", "a: b", "@x", "plain=1"] },
        });
        expect(y).toBe(
            'customization:\n    extraKernelArgs:\n        - "123"\n        - "yes"\n        - "true"\n' +
                "        - '- x'\n        - 'a: b'\n        - '@x'\n        - plain=1\n",
        );
    });

    test("overlay option keys are sorted like Go yaml (numbers by value)", () => {
        expect(goYamlKeyLess("a2", "a10")).toBe(true);
        expect(goYamlKeyLess("a10", "a2")).toBe(false);
        expect(goYamlKeyLess("b", "a")).toBe(false);
        expect(goYamlKeyLess("a", "ab")).toBe(true);
        const y = canonicalSchematicYaml({ overlay: { image: "i", name: "n", options: { k10: 1, k2: 2, a: 3 } } });
        expect(y.indexOf("a: 3")).toBeLessThan(y.indexOf("k2: 2"));
        expect(y.indexOf("k2: 2")).toBeLessThan(y.indexOf("k10: 1"));
    });
});

describe("parseSchematic (strict like the factory)", () => {
    test.each([
        ["customization:\n  systemExtension: {}\n", /field systemExtension not found in type schematic.Customization/],
        ["overlays: {}\n", /field overlays not found/],
        ["customization:\n  meta:\n    - key: 300\n      value: x\n", /meta\[0\]\.key/],
        ["customization:\n  secureboot:\n    includeWellKnownCertificates: maybe\n", /includeWellKnownCertificates/],
        ["customization:\n  extraKernelArgs: foo\n", /extraKernelArgs: expected a sequence/],
        ["customization: [\n", /invalid YAML/],
    ])("%j is refused", (text, re) => {
        expect(() => parseSchematic(text)).toThrow(SchematicError);
        expect(() => parseSchematic(text)).toThrow(re);
    });

    test("scalars in string fields keep their source text, like Go", () => {
        const s = parseSchematic(
            "customization:\n  extraKernelArgs: [0x1F, 1e3, on]\n  meta:\n    - key: 0xa\n      value: 12\n",
        );
        expect(s.customization!.extraKernelArgs).toEqual(["0x1F", "1e3", "on"]);
        expect(s.customization!.meta).toEqual([{ key: 10, value: "12" }]);
    });
});

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const ext = fc.tuple(word, word).map(([o, n]) => `${o}/${n}`);
const arg = fc.oneof(
    fc.stringMatching(/^[a-z][a-z0-9_.]{0,8}(=[a-zA-Z0-9,:/_.-]{0,12})?$/),
    fc.constantFrom("123", "yes", "on", "- x", "a: b", "#c", "@x", "x #y", "null", "~", "1.5", "0x1F", ""),
);
const schematicArb: fc.Arbitrary<Schematic> = fc.record(
    {
        overlay: fc.record(
            {
                image: word,
                name: word,
                options: fc.option(
                    fc.dictionary(word, fc.oneof(word, fc.integer({ min: 0, max: 1000 }), fc.boolean()), {
                        maxKeys: 4,
                    }),
                    { nil: undefined },
                ),
            },
            { requiredKeys: ["image", "name"] },
        ),
        customization: fc.record(
            {
                embeddedMachineConfiguration: fc.constantFrom("machine:\n  type: worker\n", "version: v1alpha1\n"),
                extraKernelArgs: fc.array(arg, { maxLength: 5 }),
                meta: fc.array(fc.record({ key: fc.integer({ min: 0, max: 255 }), value: word }), { maxLength: 3 }),
                systemExtensions: fc.record({ officialExtensions: fc.array(ext, { maxLength: 6 }) }),
                bootloader: fc.constantFrom("sd-boot", "grub", "dual-boot"),
                secureboot: fc.record(
                    {
                        enrollKeys: fc.constantFrom("if-safe", "manual", "force"),
                        includeWellKnownCertificates: fc.boolean(),
                    },
                    { requiredKeys: [] },
                ),
                diskImage: fc.record({ sectorSize: fc.constantFrom(512, 4096) }),
            },
            { requiredKeys: [] },
        ),
    },
    { requiredKeys: [] },
);

describe("schematic properties", () => {
    test("canonical text parses back to the same schematic (same canonical text and ID)", () => {
        fc.assert(
            fc.property(schematicArb, (s) => {
                const text = canonicalSchematicYaml(s);
                const back = parseSchematic(text);
                expect(canonicalSchematicYaml(back)).toBe(text);
                expect(normaliseSchematic(back)).toEqual(YAML.parse(text));
            }),
            { numRuns: 300 },
        );
    });

    test("extension order matters", () => {
        fc.assert(
            fc.property(fc.uniqueArray(ext, { minLength: 2, maxLength: 6 }), (exts) => {
                const reversed = [...exts].reverse();
                const a = schematicId({ customization: { systemExtensions: { officialExtensions: exts } } });
                const b = schematicId({ customization: { systemExtensions: { officialExtensions: reversed } } });
                expect(a).not.toBe(b);
            }),
        );
    });

    test("adding empty lists or empty sub-objects does not change the ID", () => {
        fc.assert(
            fc.property(schematicArb, (s) => {
                const c = s.customization ?? {};
                const padded: Schematic = {
                    ...s,
                    customization: {
                        ...c,
                        extraKernelArgs: c.extraKernelArgs?.length ? c.extraKernelArgs : [],
                        meta: c.meta?.length ? c.meta : [],
                        systemExtensions: c.systemExtensions?.officialExtensions?.length
                            ? c.systemExtensions
                            : { officialExtensions: [] },
                        diskImage: c.diskImage ?? {},
                    },
                };
                expect(schematicId(padded)).toBe(schematicId(s));
            }),
        );
    });

    test("different extension lists give different IDs", () => {
        fc.assert(
            fc.property(fc.array(ext, { maxLength: 4 }), fc.array(ext, { maxLength: 4 }), (a, b) => {
                fc.pre(JSON.stringify(a) !== JSON.stringify(b));
                const ia = schematicId({ customization: { systemExtensions: { officialExtensions: a } } });
                const ib = schematicId({ customization: { systemExtensions: { officialExtensions: b } } });
                expect(ia).not.toBe(ib);
            }),
        );
    });
});

describe("image helpers", () => {
    test("schematicFromImage keeps the stack's order and gives the seed's ID", () => {
        const s = schematicFromImage({ extensions: SEED_EXTENSIONS, extraKernelArgs: [] });
        expect(schematicId(s)).toBe(SEED_ID);
        const withArgs = schematicFromImage({ extensions: SEED_EXTENSIONS, extraKernelArgs: ["net.ifnames=0"] });
        expect(withArgs.customization!.extraKernelArgs).toEqual(["net.ifnames=0"]);
        expect(schematicId(withArgs)).not.toBe(SEED_ID);
    });

    test("URLs and names", () => {
        expect(ukiFileName("amd64")).toBe("metal-amd64-uki.efi");
        expect(ukiFileName("arm64")).toBe("metal-arm64-uki.efi");
        expect(ukiUrl("https://factory.talos.dev/", SEED_ID, "v1.12.1", "amd64")).toBe(
            `https://factory.talos.dev/image/${SEED_ID}/v1.12.1/metal-amd64-uki.efi`,
        );
        expect(installerImage("https://factory.talos.dev", SEED_ID, "v1.12.1")).toBe(
            `factory.talos.dev/metal-installer/${SEED_ID}:v1.12.1`,
        );
        expect(installerImage("http://127.0.0.1:8080", "abc", "v1.12.1")).toBe(
            "127.0.0.1:8080/metal-installer/abc:v1.12.1",
        );
    });

    test.each([
        // The form the factory's UI gives for each Talos release (SupportsUnifiedInstaller: 1.10.0 and later).
        ["v1.9.6", "installer"],
        ["v1.10.0", "metal-installer"],
        ["v1.12.1", "metal-installer"],
        ["v1.13.9", "metal-installer"],
        ["v1.14.0", "metal-installer"],
    ])("the installer of Talos %s is the factory's %s", (version, image) => {
        expect(installerImage("https://factory.talos.dev/", "abc", version)).toBe(
            `factory.talos.dev/${image}/abc:${version}`,
        );
        expect(pxeScriptUrl("https://factory.talos.dev", SEED_ID, "v1.12.1", "amd64")).toBe(
            `https://pxe.factory.talos.dev/pxe/${SEED_ID}/v1.12.1/metal-amd64`,
        );
        expect(pxeScriptUrl("http://127.0.0.1:8080/", "abc", "v1.12.1", "arm64")).toBe(
            "http://127.0.0.1:8080/pxe/abc/v1.12.1/metal-arm64",
        );
    });
});
