/**
 * Talos Image Factory schematics, computed offline. Pure: no Pulumi, no I/O.
 *
 * The factory decodes a schematic into its Go struct and hashes `yaml.Marshal(schematic)` (Go yaml v3/v4
 * output style) with SHA-256. `canonicalSchematicYaml` reproduces that text: Go struct field order,
 * `omitempty` (empty lists, empty strings, false, 0 and all-empty sub-objects are dropped),
 * `customization` always present (`{}` when empty), 4-space indentation with sequences indented under
 * their key, no line folding, overlay option maps sorted the way Go yaml sorts map keys, and Go yaml's
 * choice of scalar style (double quotes for strings that would read back as another type, including
 * YAML 1.1 booleans like `yes`/`on`; single quotes where a plain scalar is not allowed; literal blocks
 * for multi-line strings).
 *
 * Verified against the factory: lists, ints, bools, the empty schematic, the seed's schematic.
 * Not verified against a live factory: multi-line strings and exotic quoting; the dynamic resource
 * therefore compares the factory's answer with the local ID and fails loudly on a mismatch.
 */
import { fixErrorFields } from "../errors";
import { compareVersions, parseVersion } from "../version";
import { createHash } from "crypto";
import * as YAML from "yaml";
import type { Arch, ImageConfig } from "./config";

/** `overlay` (SBC overlays such as `siderolabs/sbc-raspberrypi`). */
export interface SchematicOverlay {
    /** Overlay image, e.g. `siderolabs/sbc-raspberrypi`. */
    image: string;
    /** Overlay name, e.g. `rpi_generic`. */
    name: string;
    /** Free-form overlay options (a YAML map). */
    options?: Record<string, unknown>;
}

/** One initial META entry. */
export interface SchematicMetaValue {
    /** META key, 0..255. */
    key: number;
    value: string;
}

/** `customization.secureboot` */
export interface SchematicSecureBoot {
    /** Key enrolment mode for SecureBoot images (factory string, e.g. `if-safe`). */
    enrollKeys?: string;
    /** Include well-known UEFI certificates in the auto-enrollment database. */
    includeWellKnownCertificates?: boolean;
}

/** `customization` */
export interface SchematicCustomization {
    /** A machine configuration document embedded into the image. */
    embeddedMachineConfiguration?: string;
    extraKernelArgs?: string[];
    meta?: SchematicMetaValue[];
    systemExtensions?: { officialExtensions?: string[] };
    /** Bootloader choice (`auto`, `sd-boot`, `grub`, `dual-boot`). */
    bootloader?: string;
    secureboot?: SchematicSecureBoot;
    diskImage?: { sectorSize?: number };
}

/** The factory's schematic structure (field names as in the factory's YAML). */
export interface Schematic {
    overlay?: SchematicOverlay;
    customization?: SchematicCustomization;
}

/** Raised for a schematic that the factory would refuse (unknown field, wrong type). */
export class SchematicError extends Error {
    constructor(message: string) {
        super(message);
        fixErrorFields(this, "SchematicError", message);
    }
}

// ---------------------------------------------------------------------------------------------
// Go yaml key order for map[string]any (gopkg.in/yaml.v3 keyList.Less, for string keys).

function isDigit(c: string): boolean {
    return c >= "0" && c <= "9";
}
function isLetter(c: string): boolean {
    return /\p{L}/u.test(c);
}

/** Compare two map keys as Go yaml v3 does when it sorts a map (a "natural" order: numbers by value). */
export function goYamlKeyLess(a: string, b: string): boolean {
    const ar = Array.from(a);
    const br = Array.from(b);
    let digits = false;
    for (let i = 0; i < ar.length && i < br.length; i++) {
        if (ar[i] === br[i]) {
            digits = isDigit(ar[i]);
            continue;
        }
        const al = isLetter(ar[i]);
        const bl = isLetter(br[i]);
        if (al && bl) return ar[i].codePointAt(0)! < br[i].codePointAt(0)!;
        if (al || bl) return digits ? al : bl;
        let an = 0;
        let bn = 0;
        if (ar[i] === "0" || br[i] === "0") {
            for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
                if (ar[j] !== "0") {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let ai = i;
        let bi = i;
        for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
        for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
        if (an !== bn) return an < bn;
        if (ai !== bi) return ai < bi;
        return ar[i].codePointAt(0)! < br[i].codePointAt(0)!;
    }
    return ar.length < br.length;
}

function sortGoMap(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortGoMap);
    if (value !== null && typeof value === "object") {
        const keys = Object.keys(value).sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0));
        const out: Record<string, unknown> = {};
        for (const k of keys) out[k] = sortGoMap((value as Record<string, unknown>)[k]);
        return out;
    }
    return value;
}

// ---------------------------------------------------------------------------------------------
// Go yaml scalar style.

// Plain arrays and regexes, not Sets: this module is serialised by value with the dynamic provider,
// and a module-level Set does not survive pulumi.runtime.serializeFunction.
const GO_NULL = /^(|~|null|Null|NULL)$/;
// YAML 1.1 booleans are included: yaml.v3 quotes them on output so that 1.1 readers do not flip them.
const GO_BOOL = /^(true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const GO_INT = /^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/;
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_SPECIAL_FLOAT = /^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;
const GO_BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
/** Non-printable characters: libyaml's emitter double-quotes a scalar holding one. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this matches
const NON_PRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufeff]/;

/** True when Go yaml would read the plain scalar `s` as something other than a string. */
function goResolvesNonString(s: string): boolean {
    return (
        GO_NULL.test(s) ||
        GO_BOOL.test(s) ||
        GO_INT.test(s) ||
        GO_FLOAT.test(s) ||
        GO_SPECIAL_FLOAT.test(s) ||
        GO_BASE60.test(s)
    );
}

/** True when libyaml's emitter allows `s` as a plain scalar in block context. */
function goPlainAllowed(s: string): boolean {
    if (s.length === 0) return false;
    if (s.startsWith("---") || s.startsWith("...")) return false;
    if (/^\s|\s$/.test(s)) return false;
    const first = s[0];
    if (",[]{}#&*!|>'\"%@`".includes(first)) return false;
    if ("-?:".includes(first) && (s.length === 1 || /\s/.test(s[1]))) return false;
    if (/: |:$| #/.test(s)) return false;
    if (/\t/.test(s)) return false;
    if (NON_PRINTABLE.test(s)) return false;
    return true;
}

type ScalarType = "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE" | "BLOCK_LITERAL";

function goStringStyle(s: string): ScalarType {
    if (s.includes("\n")) return "BLOCK_LITERAL";
    if (goResolvesNonString(s)) return "QUOTE_DOUBLE";
    if (NON_PRINTABLE.test(s)) return "QUOTE_DOUBLE";
    if (!goPlainAllowed(s)) return "QUOTE_SINGLE";
    return "PLAIN";
}

// ---------------------------------------------------------------------------------------------
// Canonical form.

function nonEmptyList<T>(xs: T[] | undefined): xs is T[] {
    return Array.isArray(xs) && xs.length > 0;
}

/**
 * The schematic as a plain object with the factory's field order and `omitempty` applied: what Go's
 * `yaml.Marshal` would walk. Always has `customization` (possibly `{}`).
 */
export function normaliseSchematic(s: Schematic): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const ov = s.overlay;
    if (ov && (ov.image || ov.name || (ov.options && Object.keys(ov.options).length > 0))) {
        const o: Record<string, unknown> = { image: ov.image ?? "", name: ov.name ?? "" };
        if (ov.options && Object.keys(ov.options).length > 0) o.options = sortGoMap(ov.options);
        out.overlay = o;
    }
    const c = s.customization ?? {};
    const cust: Record<string, unknown> = {};
    if (c.embeddedMachineConfiguration) cust.embeddedMachineConfiguration = c.embeddedMachineConfiguration;
    if (nonEmptyList(c.extraKernelArgs)) cust.extraKernelArgs = [...c.extraKernelArgs];
    if (nonEmptyList(c.meta)) cust.meta = c.meta.map((m) => ({ key: m.key, value: m.value ?? "" }));
    if (nonEmptyList(c.systemExtensions?.officialExtensions)) {
        cust.systemExtensions = { officialExtensions: [...c.systemExtensions.officialExtensions] };
    }
    if (c.bootloader) cust.bootloader = c.bootloader;
    if (c.secureboot && (c.secureboot.enrollKeys || c.secureboot.includeWellKnownCertificates)) {
        const sb: Record<string, unknown> = {};
        if (c.secureboot.enrollKeys) sb.enrollKeys = c.secureboot.enrollKeys;
        if (c.secureboot.includeWellKnownCertificates) sb.includeWellKnownCertificates = true;
        cust.secureboot = sb;
    }
    if (c.diskImage && c.diskImage.sectorSize) cust.diskImage = { sectorSize: c.diskImage.sectorSize };
    out.customization = cust;
    return out;
}

/** The exact text the factory hashes for this schematic (Go yaml.Marshal output). */
export function canonicalSchematicYaml(s: Schematic): string {
    const doc = new YAML.Document(normaliseSchematic(s));
    YAML.visit(doc, {
        Scalar(_key, node) {
            if (typeof node.value === "string") node.type = goStringStyle(node.value);
        },
    });
    return doc.toString({ indent: 4, indentSeq: true, lineWidth: 0, minContentWidth: 0, blockQuote: "literal" });
}

/** The schematic ID: lower-case hex SHA-256 of the canonical YAML. Identical to the factory's. */
export function schematicId(s: Schematic): string {
    return createHash("sha256").update(canonicalSchematicYaml(s), "utf8").digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Parsing (strict, like the factory's KnownFields(true) decoder).

type Path = string;

function fail(path: Path, msg: string): never {
    throw new SchematicError(`${path}: ${msg}`);
}

function checkKnown(obj: Record<string, unknown>, known: string[], path: Path, goType: string): void {
    for (const k of Object.keys(obj)) {
        if (!known.includes(k)) fail(path || "schematic", `field ${k} not found in type ${goType}`);
    }
}

function asMap(v: unknown, path: Path): Record<string, unknown> | undefined {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) fail(path, "expected a mapping");
    return v as Record<string, unknown>;
}

function asString(v: unknown, path: Path): string | undefined {
    if (v === null || v === undefined) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return fail(path, "expected a string");
}

function asStringList(v: unknown, path: Path): string[] | undefined {
    if (v === null || v === undefined) return undefined;
    if (!Array.isArray(v)) fail(path, "expected a sequence of strings");
    return v.map((x, i) => asString(x, `${path}[${i}]`) ?? "");
}

function asUint(v: unknown, path: Path, max: number): number | undefined {
    if (v === null || v === undefined || v === "") return undefined;
    const n = typeof v === "string" && /^(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[0-9]+)$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > max)
        fail(path, `expected an integer between 0 and ${max}, got ${JSON.stringify(v)}`);
    return n;
}

function asBool(v: unknown, path: Path): boolean | undefined {
    if (v === null || v === undefined || v === "") return undefined;
    if (typeof v === "string" && /^(true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(v)) return true;
    if (typeof v === "string" && /^(false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(v)) return false;
    return fail(path, `expected a boolean, got ${JSON.stringify(v)}`);
}

/**
 * Parse a schematic document (YAML or JSON) the way the factory does: unknown fields and wrong types
 * are errors. Returns the schematic in this module's structure.
 */
export function parseSchematic(text: string): Schematic {
    // Go decodes any scalar into a string field as its source text ("0x1F" stays "0x1F"), so read the
    // document with every scalar as a string (failsafe schema) and convert the few typed fields below;
    // overlay options are map[string]any and take the ordinary (core schema) reading.
    let raw: unknown;
    let typed: unknown;
    try {
        const opts = { uniqueKeys: true, prettyErrors: true } as const;
        const strDoc = YAML.parseDocument(text, { ...opts, schema: "failsafe" });
        const coreDoc = YAML.parseDocument(text, opts);
        const err = strDoc.errors[0] ?? coreDoc.errors[0];
        if (err) throw err;
        raw = strDoc.toJS() ?? {};
        typed = coreDoc.toJS() ?? {};
    } catch (e) {
        throw new SchematicError(`invalid YAML: ${(e as Error).message}`);
    }
    const top = asMap(raw, "schematic") ?? {};
    checkKnown(top, ["overlay", "customization"], "", "schematic.Schematic");
    const out: Schematic = {};
    const ov = asMap(top.overlay, "overlay");
    if (ov) {
        checkKnown(ov, ["image", "name", "options"], "overlay", "schematic.Overlay");
        out.overlay = {
            image: asString(ov.image, "overlay.image") ?? "",
            name: asString(ov.name, "overlay.name") ?? "",
        };
        const opts = asMap((typed as { overlay?: { options?: unknown } }).overlay?.options, "overlay.options");
        if (opts) out.overlay.options = opts;
    }
    const c = asMap(top.customization, "customization");
    const cust: SchematicCustomization = {};
    if (c) {
        checkKnown(
            c,
            [
                "embeddedMachineConfiguration",
                "extraKernelArgs",
                "meta",
                "systemExtensions",
                "bootloader",
                "secureboot",
                "diskImage",
            ],
            "customization",
            "schematic.Customization",
        );
        const emc = asString(c.embeddedMachineConfiguration, "customization.embeddedMachineConfiguration");
        if (emc !== undefined) cust.embeddedMachineConfiguration = emc;
        const eka = asStringList(c.extraKernelArgs, "customization.extraKernelArgs");
        if (eka) cust.extraKernelArgs = eka;
        if (c.meta !== undefined && c.meta !== null) {
            if (!Array.isArray(c.meta)) fail("customization.meta", "expected a sequence of {key, value}");
            cust.meta = c.meta.map((m, i) => {
                const mm = asMap(m, `customization.meta[${i}]`) ?? {};
                checkKnown(mm, ["key", "value"], `customization.meta[${i}]`, "schematic.MetaValue");
                return {
                    key: asUint(mm.key, `customization.meta[${i}].key`, 255) ?? 0,
                    value: asString(mm.value, `customization.meta[${i}].value`) ?? "",
                };
            });
        }
        const se = asMap(c.systemExtensions, "customization.systemExtensions");
        if (se) {
            checkKnown(se, ["officialExtensions"], "customization.systemExtensions", "schematic.SystemExtensions");
            const oe = asStringList(se.officialExtensions, "customization.systemExtensions.officialExtensions");
            cust.systemExtensions = oe ? { officialExtensions: oe } : {};
        }
        const bl = asString(c.bootloader, "customization.bootloader");
        if (bl !== undefined) cust.bootloader = bl;
        const sb = asMap(c.secureboot, "customization.secureboot");
        if (sb) {
            checkKnown(
                sb,
                ["enrollKeys", "includeWellKnownCertificates"],
                "customization.secureboot",
                "schematic.SecureBoot",
            );
            const iwk = asBool(
                sb.includeWellKnownCertificates,
                "customization.secureboot.includeWellKnownCertificates",
            );
            cust.secureboot = {};
            const ek = asString(sb.enrollKeys, "customization.secureboot.enrollKeys");
            if (ek !== undefined) cust.secureboot.enrollKeys = ek;
            if (typeof iwk === "boolean") cust.secureboot.includeWellKnownCertificates = iwk;
        }
        const di = asMap(c.diskImage, "customization.diskImage");
        if (di) {
            checkKnown(di, ["sectorSize"], "customization.diskImage", "schematic.DiskImage");
            const ss = asUint(di.sectorSize, "customization.diskImage.sectorSize", 2 ** 32 - 1);
            cust.diskImage = ss !== undefined ? { sectorSize: ss } : {};
        }
    }
    out.customization = cust;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers for the rest of the program.

/** The schematic for the stack's `homelab:image` (extensions and kernel args in the order given). */
export function schematicFromImage(image: Pick<ImageConfig, "extensions" | "extraKernelArgs">): Schematic {
    const customization: SchematicCustomization = {};
    if (image.extraKernelArgs && image.extraKernelArgs.length > 0)
        customization.extraKernelArgs = [...image.extraKernelArgs];
    if (image.extensions && image.extensions.length > 0)
        customization.systemExtensions = { officialExtensions: [...image.extensions] };
    return { customization };
}

function trimSlash(u: string): string {
    return u.replace(/\/+$/, "");
}

/** File name of the (non-SecureBoot) metal UKI: `metal-<arch>-uki.efi`. */
export function ukiFileName(arch: Arch): string {
    return `metal-${arch}-uki.efi`;
}

/** `<factory>/image/<id>/<version>/metal-<arch>-uki.efi` */
export function ukiUrl(factoryUrl: string, id: string, version: string, arch: Arch): string {
    return `${trimSlash(factoryUrl)}/image/${id}/${version}/${ukiFileName(arch)}`;
}

/**
 * The first Talos release the Image Factory serves a platform's own installer for (`<platform>-installer`): its
 * UI shows `<host>/<platform>-installer/<id>:<v>` when `quirks.SupportsUnifiedInstaller()` (Talos'
 * pkg/machinery/imager/quirks: 1.10.0 and later), and `<host>/installer/<id>:<v>` before. Its registry frontend
 * (internal/frontend/http/registry.go, `getRequestedImage`) serves `installer` and `installer-secureboot` (the metal
 * installer, kept for older references) and `<platform>-installer[-secureboot]` at
 * `/v2/<image>/<schematic>/manifests/<tag>` (registry_routes.go); read at siderolabs/image-factory 26b95cac (v1.5.0+4).
 */
export const UNIFIED_INSTALLER_SINCE = "v1.10.0";

/**
 * The installer image reference the factory gives for a Talos release (pure): `<host>/metal-installer/<id>:<v>`
 * from {@link UNIFIED_INSTALLER_SINCE} on (e.g. `factory.talos.dev/metal-installer/<id>:v1.12.1`), else
 * `<host>/installer/<id>:<v>`. The nodes are bare metal, not Secure Boot (README, "Secure Boot").
 */
export function installerImage(factoryUrl: string, id: string, version: string): string {
    const u = new URL(factoryUrl);
    const path = trimSlash(u.pathname);
    const v = parseVersion(version);
    const unified = !v || compareVersions(v, parseVersion(UNIFIED_INSTALLER_SINCE)!) >= 0;
    return `${u.host}${path}/${unified ? "metal-installer" : "installer"}/${id}:${version}`;
}

/**
 * URL of the factory's iPXE script for this image: `https://pxe.factory.talos.dev/pxe/<id>/<v>/metal-<arch>`
 * for the public factory, `<factoryUrl>/pxe/<id>/<v>/metal-<arch>` for any other.
 */
export function pxeScriptUrl(factoryUrl: string, id: string, version: string, arch: Arch): string {
    const u = new URL(factoryUrl);
    const base = u.host === "factory.talos.dev" ? "https://pxe.factory.talos.dev" : trimSlash(factoryUrl);
    return `${base}/pxe/${id}/${version}/metal-${arch}`;
}

/**
 * Every name and URL derived from one schematic ID (pure): the UKI's URL and file name, the installer image, the
 * iPXE script.
 */
export function imageOutputs(factoryUrl: string, id: string, talosVersion: string, arch: Arch) {
    return {
        ukiUrl: ukiUrl(factoryUrl, id, talosVersion, arch),
        ukiFileName: ukiFileName(arch),
        installerImage: installerImage(factoryUrl, id, talosVersion),
        pxeScriptUrl: pxeScriptUrl(factoryUrl, id, talosVersion, arch),
    };
}

/**
 * The image of the stack's `homelab:image` at a Talos release, computed offline (pure): its schematic ID and
 * {@link imageOutputs}. What TalosImage registers and outputs, for the code that needs it before (the patch
 * check, the doctor).
 */
export function imageOfConfig(image: ImageConfig, talosVersion: string) {
    const id = schematicId(schematicFromImage(image));
    return { schematicId: id, ...imageOutputs(image.factoryUrl, id, talosVersion, image.arch) };
}
