/**
 * Release versions written `v1.2.3` (Talos, Kubernetes, the Synology CSI driver): read, compare, the tag
 * form with its leading `v`, and the tag of an image reference. Pure. The one parser of such versions: the config layer checks them with it and
 * the components that rely on them use it too.
 */

/** `[major, minor, patch]`. */
export type VersionTriple = [number, number, number];

/** A release version: `1.2.3` or `v1.2.3`, no pre-release suffix. */
export const RELEASE_VERSION_RE = /^v?(\d+)\.(\d+)\.(\d+)$/;

/** `[major, minor, patch]` of `1.35.0` / `v1.35.0`; undefined for anything else (pre-releases included). */
export function parseVersion(text: string): VersionTriple | undefined {
    const m = RELEASE_VERSION_RE.exec(text.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Negative, zero or positive as `a` is below, equal to or above `b` (major, minor, patch). */
export function compareVersions(a: VersionTriple, b: VersionTriple): number {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
}

/** The tag form, with a leading `v`: `1.12.1` → `v1.12.1` (trimmed; a `v` already there is kept). */
export function releaseTag(version: string): string {
    const v = version.trim();
    return v.startsWith("v") ? v : `v${v}`;
}

/** The tag of an image reference (`…/installer/<id>:v1.12.1` → `v1.12.1`); throws when it has none. */
export function imageTag(image: string): string {
    const m = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(image);
    if (!m || m[1].includes("/"))
        throw new Error(`installer image "${image}" has no tag; it should end in :<talos version>`);
    return m[1];
}
