/**
 * The image side of the stack config: `homelab:image` (what the Image Factory builds), its type, defaults
 * and checks (pure; no Pulumi, no I/O).
 */
import { Checker, Json, parseUrl, stripSlash } from "../checker";
import { allKeys } from "../keys";

/** The CPU architectures Talos images are built for. */
export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

/** `homelab:image` */
export interface ImageConfig {
    arch: Arch;
    /** Official system extensions, `owner/name`, in the order given (order changes the schematic ID). */
    extensions: string[];
    extraKernelArgs: string[];
    /** Image Factory base URL without trailing slash. Default {@link DEFAULT_FACTORY_URL}. */
    factoryUrl: string;
}

/** The public Image Factory. */
export const DEFAULT_FACTORY_URL = "https://factory.talos.dev";

export const IMAGE_KEYS = allKeys<ImageConfig>()(["arch", "extensions", "extraKernelArgs", "factoryUrl"]);

const EXTENSION_RE = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;

/**
 * When `text` is a container image reference (a registry host, a tag or a digest: `ghcr.io/siderolabs/i915:<tag>`),
 * the extension's `owner/name` in it, or "" when it holds none; undefined when it is no image reference.
 */
export function imageReferenceName(text: string): string | undefined {
    const parts = text.replace(/@.*$/, "").split("/");
    const registry = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]);
    if (!registry && !text.includes("@") && !/:[^/]*$/.test(text)) return undefined;
    const path = (registry ? parts.slice(1) : parts).join("/").replace(/:[^/]*$/, "");
    const name = path.split("/").slice(-2).join("/");
    return EXTENSION_RE.test(name) ? name : "";
}

/** `homelab:image`. */
export function parseImage(c: Checker, value: Json): ImageConfig | undefined {
    const o = c.object("image", value, true);
    if (!o) return undefined;
    c.knownKeys("image", o, IMAGE_KEYS);
    const arch = c.oneOf<Arch>("image.arch", o.arch, ARCHES, "amd64");
    const extensions: string[] = [];
    (c.list("image.extensions", o.extensions, false) ?? []).forEach((e, i) => {
        const s = c.string(`image.extensions[${i}]`, e, true);
        if (s === undefined) return;
        const reference = imageReferenceName(s);
        if (reference !== undefined) {
            c.add(
                `image.extensions[${i}]`,
                `"${s}" is an image reference; the Image Factory takes the extension's name, owner/name` +
                    `${reference ? `: ${reference}` : ", e.g. siderolabs/i915"} (the factory picks the image that fits cluster.talosVersion)`,
            );
        } else if (!EXTENSION_RE.test(s)) {
            c.add(`image.extensions[${i}]`, `"${s}" must look like owner/name, e.g. siderolabs/i915`);
        } else if (extensions.includes(s)) {
            c.add(`image.extensions[${i}]`, `"${s}" is listed twice; remove the duplicate`);
        } else {
            extensions.push(s);
        }
    });
    const extraKernelArgs: string[] = [];
    (c.list("image.extraKernelArgs", o.extraKernelArgs, false) ?? []).forEach((a, i) => {
        const s = c.string(`image.extraKernelArgs[${i}]`, a, true);
        if (s === undefined) return;
        if (/\s/.test(s))
            c.add(`image.extraKernelArgs[${i}]`, `"${s}" contains white space; give one argument per list item`);
        else extraKernelArgs.push(s);
    });
    const factoryUrl = stripSlash(c.string("image.factoryUrl", o.factoryUrl, false) ?? DEFAULT_FACTORY_URL);
    const fu = parseUrl(factoryUrl);
    if (!fu || (fu.protocol !== "https:" && fu.protocol !== "http:")) {
        c.add("image.factoryUrl", `"${factoryUrl}" is not an http(s) URL; the default is ${DEFAULT_FACTORY_URL}`);
    }
    return { arch: arch ?? "amd64", extensions, extraKernelArgs, factoryUrl };
}
