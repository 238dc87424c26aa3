/**
 * "A newer patch, announced" (issue 23): at every `preview` and `up`, a note when the Image Factory offers a newer
 * patch of the stack's Talos minor than `cluster.talosVersion`. It changes nothing: the stack keeps the version it
 * sets until the user changes it.
 *
 * The decision and the words are pure ({@link newestPatch}, {@link newerPatchNote}); {@link announceNewerPatch}
 * asks the factory (one `GET /versions`, no retry, a short timeout) and never fails the run: a factory that cannot
 * be reached for this alone gives a short note instead. A stack that pins its version on purpose
 * (`cluster.talosVersionPinned: true`) makes no request for it at all.
 *
 * This is the only `GET /versions` a `preview` makes: the factory check before registering a schematic
 * (./client.ts `validateImageRequest`) runs in the schematic's provider on create or update only, in `up`.
 */
import { compareVersions, parseVersion, releaseTag } from "../version";
import { FactoryClient } from "./client";

/**
 * The newest release of `current`'s minor among `offered` that is newer than `current`, as a tag (`v1.12.3`), or
 * undefined when there is none. Pre-releases (`v1.13.0-beta.1`) and anything that is not a version are ignored.
 */
export function newestPatch(current: string, offered: readonly unknown[]): string | undefined {
    const cur = parseVersion(current);
    if (!cur) return undefined;
    let best: [number, number, number] | undefined;
    for (const o of offered) {
        const v = typeof o === "string" ? parseVersion(o) : undefined;
        if (!v || v[0] !== cur[0] || v[1] !== cur[1] || compareVersions(v, cur) <= 0) continue;
        if (!best || compareVersions(v, best) > 0) best = v;
    }
    return best ? `v${best.join(".")}` : undefined;
}

/** What the preview says when `newer` is offered for a stack on `current`. */
export function newerPatchNote(current: string, newer: string, factoryUrl: string): string {
    const [major, minor] = parseVersion(current)!;
    return (
        `Talos ${newer} is out: the Image Factory at ${factoryUrl} offers it, a newer patch of Talos ${major}.${minor} than ` +
        `${releaseTag(current)} (cluster.talosVersion). Nothing changes until you set cluster.talosVersion to ${newer} ` +
        "(with cluster.upgrades on, that up upgrades the running nodes). To stay on " +
        `${releaseTag(current)} on purpose and stop this check, set cluster.talosVersionPinned: true`
    );
}

/** What the check did. */
export interface NewerPatchOutcome {
    /** Whether it asked the factory (`GET /versions`). */
    asked: boolean;
    /** Why it did not ask. */
    why?: string;
    /** What to tell the user: a newer patch, or that the factory could not be asked; none when all is current. */
    note?: string;
}

export interface NewerPatchArgs {
    factoryUrl: string;
    /** `cluster.talosVersion`. */
    talosVersion: string;
    /** `cluster.talosVersionPinned`: no request at all. */
    pinned: boolean;
    /**
     * Whether a Pulumi engine runs the program; under the mock runtime of unit tests (no engine) the factory is not
     * asked, as the NAS pre-flight does not read the NAS there.
     */
    engineConnected: boolean;
    /** Default a client with no retry and a 10 s timeout: this check must not hold a run up. */
    client?: FactoryClient;
}

/** Asks the factory for its versions, unless pinned; never throws. */
export async function announceNewerPatch(args: NewerPatchArgs): Promise<NewerPatchOutcome> {
    if (args.pinned) return { asked: false, why: "cluster.talosVersionPinned" };
    if (!args.engineConnected) return { asked: false, why: "no Pulumi engine (mock runtime)" };
    let offered: unknown;
    try {
        const client = args.client ?? new FactoryClient(args.factoryUrl, { retries: 0, timeoutMs: 10_000 });
        offered = await client.versions();
    } catch (e) {
        return { asked: true, note: unreachableNote(args.factoryUrl, (e as Error).message ?? String(e)) };
    }
    if (!Array.isArray(offered)) {
        return { asked: true, note: unreachableNote(args.factoryUrl, "its version list is not a list") };
    }
    const newer = newestPatch(args.talosVersion, offered);
    return { asked: true, ...(newer ? { note: newerPatchNote(args.talosVersion, newer, args.factoryUrl) } : {}) };
}

function unreachableNote(factoryUrl: string, why: string): string {
    return (
        `Could not ask the Image Factory at ${factoryUrl} whether a newer Talos patch is out (${why}); nothing else ` +
        "depends on it. cluster.talosVersionPinned: true skips this check"
    );
}
