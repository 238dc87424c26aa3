/**
 * The NAS pre-flight: one read-only pass over everything on the NAS that `pulumi up` would otherwise only
 * find wrong half-way through its writes (after creating the share and TFTP settings and uploading the
 * whole boot file). index.ts runs it before any resource is registered, so in `pulumi preview` and before
 * the first write of `pulumi up`; every problem is reported at once, each with the setting and the fix.
 *
 * Three parts, so the decisions can be tested without a NAS:
 * - `readNasFacts`: the reader. Discovery, ONE login, then reads only (administrators' membership, volumes
 *   and their space, the share, the interfaces, the DHCP server of `synology.interface`, the boot file, the etcd
 *   snapshots' shared folder and the snapshots left under the TFTP root: ./preflight-snapshots.ts), logout.
 * - `bootFileSize`: HEAD of the UKI at the factory (its Content-Length), or an upper bound when that fails.
 * - `judgeNas`: pure. What was read → problems (each: setting, what is wrong, fix) and warnings (what could
 *   not be checked). Read errors are judged too: a 105 means "not an administrator", a DsmShapeError (a DSM
 *   answer without the fields this client knows) is a problem naming the missing fields, never a guess.
 *
 * When it runs (`preflightSwitch`): whenever a Pulumi engine runs the program. Under Pulumi's mock runtime
 * (unit tests) there is no engine and it is skipped. `HOMELAB_PREFLIGHT=off` skips it (e.g. a DSM answering
 * in a shape this client does not know yet), `HOMELAB_PREFLIGHT=on` forces it.
 */
import * as pulumi from "@pulumi/pulumi";
import { FactoryClient } from "../factory/client";
import type { ImageConfig } from "../factory/config";
import { schematicFromImage, schematicId, ukiFileName, ukiUrl } from "../factory/schematic";
import { DsmClient } from "./dsm/client";
import type { DsmClientOptions } from "./dsm/transport";
import { isDsmError } from "./dsm/errors";
import { missingApis } from "./dsm/apis";
import { decodeGroupMembers, decodeInterfaceNames, decodeVolumes, toBool, VolumeSpace } from "./dsm/shapes";
import type { DiscoveredApis, DsmApi, DsmApiUse, FileInfo, ShareInfo } from "./dsm/types";
import type { DhcpConfig, SynologyConfig } from "./config";
import { connectionArgs } from "./connection";
import { redactText } from "./kit/redact";
import { dhcpServerGet } from "./providers/dhcp";
import { shareGet } from "./providers/share";
import { NAS_APIS } from "./pxe";
import { Problem, read, Read, ReadFailure } from "./preflight-read";
import {
    judgeSnapshotFolders,
    readSnapshotFolders,
    SnapshotFolderFacts,
    SnapshotFolderPlan,
    SnapshotFolders,
    snapshotReads,
} from "./preflight-snapshots";

export type { Problem, Read } from "./preflight-read";

/** What the pre-flight reads besides the program's own APIs (optional: a NAS without them skips those checks). */
const PREFLIGHT_APIS = {
    groupMembers: { api: "SYNO.Core.Group.Member", read: 1 },
    storage: { api: "SYNO.Storage.CGI.Storage", read: 1 },
    ethernet: { api: "SYNO.Core.Network.Ethernet", read: 2 },
} as const satisfies Record<string, DsmApiUse>;

/** Upper bound of a Talos UKI when the factory does not tell its size (Talos 1.12 amd64: about 100 MB). */
export const UKI_SIZE_UPPER_BOUND = 512 * 1024 * 1024;

/** The group whose members DSM treats as administrators. */
export const ADMIN_GROUP = "administrators";

/** The parts of the stack config the pre-flight reads (index.ts passes the whole config). */
export interface PreflightConfig {
    synology: SynologyConfig;
    dhcp: DhcpConfig;
    image: ImageConfig;
    cluster: { talosVersion: string };
    /** `homelab:backups`: the etcd snapshots' shared folder. */
    backups: { share: string };
    /** Where the snapshots go and where earlier versions put them (index.ts); absent: the latter is not looked at. */
    snapshotFolders?: SnapshotFolders;
    /** Plain: only for the DSM client. */
    synologyPassword: string;
}

/** What the pre-flight checks, from the stack config. */
export interface PreflightPlan {
    nasUrl: string;
    username: string;
    /** `/volume1` */
    volume: string;
    share: string;
    ifname: string;
    manageServer: boolean;
    /** `homelab:dhcp`'s subnet and range, for the fix text. */
    dhcp: { subnet: string; rangeStart: string; rangeEnd: string };
    /** Boot file name and its File Station path `/<share>/<file>`. */
    bootFile: string;
    bootFilePath: string;
    factoryUrl: string;
    ukiUrl: string;
    /** The etcd snapshots' shared folder, and the folder under the TFTP root earlier versions stored them in. */
    snapshots: SnapshotFolderPlan;
}

export function preflightPlan(cfg: PreflightConfig): PreflightPlan {
    const bootFile = ukiFileName(cfg.image.arch);
    return {
        nasUrl: cfg.synology.url,
        username: cfg.synology.username,
        volume: cfg.synology.volume,
        share: cfg.synology.share,
        ifname: cfg.synology.interface,
        manageServer: cfg.dhcp.manageServer,
        dhcp: { subnet: cfg.dhcp.subnet, rangeStart: cfg.dhcp.rangeStart, rangeEnd: cfg.dhcp.rangeEnd },
        bootFile,
        bootFilePath: `/${cfg.synology.share}/${bootFile}`,
        snapshots: {
            backupShare: cfg.backups.share,
            username: cfg.synology.username,
            ...(cfg.snapshotFolders ? { folders: cfg.snapshotFolders } : {}),
        },
        factoryUrl: cfg.image.factoryUrl,
        ukiUrl: ukiUrl(
            cfg.image.factoryUrl,
            schematicId(schematicFromImage(cfg.image)),
            cfg.cluster.talosVersion,
            cfg.image.arch,
        ),
    };
}

// ---------------------------------------------------------------------------------------------
// What was read

export interface NasFacts {
    /** Discovery failed: the NAS does not answer (nothing else was read). */
    unreachable?: unknown;
    /** The login failed (only discovery was read). */
    loginError?: unknown;
    apis?: DiscoveredApis;
    /** Members of the administrators group. */
    admins?: Read<string[]>;
    volumes?: Read<VolumeSpace[]>;
    /** The share, undefined when it does not exist. */
    share?: Read<ShareInfo | undefined>;
    /** Interface names DSM lists (Ethernet). */
    interfaces?: Read<string[]>;
    /** The DHCP server object of `synology.interface`; absent when the DHCP Server package is missing. */
    dhcpServer?: Read<Record<string, unknown>>;
    /** The boot file under its final name, when the share exists. */
    bootFileOnNas?: Read<FileInfo | undefined>;
    /** The etcd snapshots' shared folder and the legacy folder under the TFTP root. */
    snapshots?: SnapshotFolderFacts;
}

/** The boot file's size: exact (the factory's Content-Length) or an upper bound (and why). */
export interface BootFileSize {
    bytes: number;
    exact: boolean;
    /** Where the number comes from, for messages. */
    source: string;
}

/** The administrators' names: SYNO.Core.Group.Member list, page by page. */
async function adminNames(dsm: DsmApi): Promise<string[]> {
    const names: string[] = [];
    for (;;) {
        const page = decodeGroupMembers(
            await dsm.call(PREFLIGHT_APIS.groupMembers, "list", {
                group: ADMIN_GROUP,
                offset: names.length,
                limit: 500,
            }),
        );
        names.push(...page.names);
        if (page.names.length === 0 || names.length >= page.total) return names;
    }
}

/** Discovery, one login, the reads, logout. Never writes. */
export async function readNasFacts(dsm: DsmApi, plan: PreflightPlan): Promise<NasFacts> {
    let apis: DiscoveredApis;
    try {
        apis = await dsm.discover(NAS_APIS);
    } catch (e) {
        return { unreachable: e };
    }
    try {
        await dsm.login();
    } catch (e) {
        return { apis, loginError: e };
    }
    try {
        const [admins, volumes, share, interfaces, dhcpServer] = await Promise.all([
            read(() => adminNames(dsm)),
            read(async () => decodeVolumes(await dsm.call(PREFLIGHT_APIS.storage, "load_info", {}))),
            read(() => shareGet(dsm, plan.share)),
            read(async () => decodeInterfaceNames(await dsm.call(PREFLIGHT_APIS.ethernet, "list", {}))),
            apis.dhcpPrefix ? read(() => dhcpServerGet(dsm, plan.ifname)) : Promise.resolve(undefined),
        ]);
        const facts: NasFacts = { apis, admins, volumes, share, interfaces, dhcpServer };
        if (share.ok && share.value)
            facts.bootFileOnNas = await read(async () => (await dsm.getInfo([plan.bootFilePath]))[0]);
        facts.snapshots = await readSnapshotFolders(dsm, plan.snapshots, share.ok && share.value !== undefined);
        return facts;
    } finally {
        await dsm.logout().catch(() => undefined);
    }
}

/** HEAD of the UKI at the factory; an upper bound (saying why) when the factory does not tell. */
export async function bootFileSize(
    plan: Pick<PreflightPlan, "factoryUrl" | "ukiUrl">,
    timeoutMs = 15_000,
): Promise<BootFileSize> {
    try {
        const bytes = await new FactoryClient(plan.factoryUrl, { retries: 0, timeoutMs }).assetSize(plan.ukiUrl);
        return { bytes, exact: true, source: `the factory's size of ${plan.ukiUrl}` };
    } catch (e) {
        const why = ((e as Error)?.message ?? String(e)).split("\n")[0];
        return {
            bytes: UKI_SIZE_UPPER_BOUND,
            exact: false,
            source: `an upper bound for a Talos UKI: the factory did not tell the size (${why})`,
        };
    }
}

// ---------------------------------------------------------------------------------------------
// The judge (pure)

export interface Verdict {
    problems: Problem[];
    /** What could not be checked, and why. */
    warnings: string[];
}

function message(e: unknown): string {
    const m = (e as { message?: unknown } | undefined)?.message;
    return typeof m === "string" ? m : String(e);
}

function isShapeError(e: unknown): boolean {
    return (e as { name?: unknown } | undefined)?.name === "DsmShapeError";
}

/** The API is not on this NAS (or not in a version this client speaks). */
function isAbsentApi(e: unknown): boolean {
    return isDsmError(e, 102) || isDsmError(e, 103) || isDsmError(e, 104);
}

export function mib(bytes: number): string {
    return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

const KEY = {
    url: "homelab:synology.url",
    username: "homelab:synology.username",
    volume: "homelab:synology.volume",
    share: "homelab:synology.share",
    ifname: "homelab:synology.interface",
};

/** Judge what was read. Pure. */
export function judgeNas(plan: PreflightPlan, facts: NasFacts, size: BootFileSize): Verdict {
    const problems: Problem[] = [];
    const warnings: string[] = [];

    if (facts.unreachable !== undefined) {
        problems.push({
            setting: KEY.url,
            problem: `the NAS does not answer at ${plan.nasUrl}: ${message(facts.unreachable)}`,
            fix:
                "check the address and port (DSM: 5001 for https, 5000 for http), that DSM runs and that this machine reaches it; " +
                "pin DSM's self-signed certificate with homelab:synology.tls.fingerprintSha256",
        });
        return { problems, warnings };
    }
    if (facts.loginError !== undefined) {
        const e = facts.loginError;
        const twoFactor = isDsmError(e, 403) || isDsmError(e, 404) || isDsmError(e, 406);
        problems.push({
            setting: twoFactor ? "homelab:synology.deviceId" : `${KEY.username} / homelab:synologyPassword`,
            problem: `the DSM login fails: ${message(e)}`,
            fix: twoFactor
                ? "log in once with `npm run dsm -- --url <url> --user <name> --otp <code>` and set homelab:synology.deviceId to the device id it prints"
                : "set homelab:synology.username to a DSM administrator and its password with `pulumi config set --secret homelab:synologyPassword`",
        });
        return { problems, warnings };
    }
    const apis = facts.apis!;

    // ---- the DHCP Server package and the APIs the program calls
    if (!apis.dhcpPrefix) {
        problems.push({
            setting: "DSM Package Center",
            problem: "the DHCP Server package is not installed (no SYNO.Network.DHCPServer API)",
            fix: 'install "DHCP Server" from Package Center',
        });
    }
    const missing = missingApis(apis, NAS_APIS, plan.manageServer);
    if (missing.length > 0) {
        problems.push({
            setting: "DSM version",
            problem: `DSM lacks APIs this program uses: ${missing.map((m) => (m.need === "write" ? `${m.api} (no version this client writes with)` : m.api)).join(", ")}`,
            fix: "update DSM to 7.x (Control Panel > Update & Restore) and the DHCP Server package; keep File Station enabled",
        });
    }

    // ---- administrator: membership, or a 105 from any read of DSM's settings
    const reads: Array<[string, Read<unknown> | undefined]> = [
        ["the administrators group", facts.admins],
        ["the volumes", facts.volumes],
        [`shared folder ${plan.share}`, facts.share],
        ["the network interfaces", facts.interfaces],
        [`the DHCP server of ${plan.ifname}`, facts.dhcpServer],
        [`the boot file ${plan.bootFilePath}`, facts.bootFileOnNas],
        ...snapshotReads(plan.snapshots, facts.snapshots ?? {}),
    ];
    const denied = reads
        .filter(([, r]) => r && !r.ok && (isDsmError(r.error, 105) || isDsmError(r.error, 160)))
        .map(([what]) => what);
    const inGroup = facts.admins?.ok
        ? facts.admins.value.some((n) => n.toLowerCase() === plan.username.toLowerCase())
        : undefined;
    if (inGroup === false || denied.length > 0) {
        const why =
            inGroup === false
                ? `it is not a member of the "${ADMIN_GROUP}" group`
                : `DSM refused to let it read ${denied.join(", ")} (error 105)`;
        problems.push({
            setting: KEY.username,
            problem: `DSM user "${plan.username}" is not an administrator: ${why}; the program changes shares, TFTP and DHCP settings, which only administrators may`,
            fix: `add "${plan.username}" to the ${ADMIN_GROUP} group (Control Panel > User & Group > ${plan.username} > Edit > User Groups), or set ${KEY.username} to an administrator`,
        });
    }
    /** A read that failed for another reason than permission: a shape this client does not know is a problem, an absent API a warning. */
    const readFailure: ReadFailure = (what, r, setting, absentWarning) => {
        if (!r || r.ok || isDsmError(r.error, 105) || isDsmError(r.error, 160)) return false;
        if (isAbsentApi(r.error) && absentWarning) {
            warnings.push(`${absentWarning}: ${message(r.error)}`);
            return true;
        }
        problems.push({
            setting,
            problem: `reading ${what} failed: ${message(r.error)}`,
            fix: isShapeError(r.error)
                ? "DSM answered in a shape this program does not know: report it with the answer of `npm run dsm` (see the message), or skip this check with HOMELAB_PREFLIGHT=off"
                : "check the NAS answers (`npm run doctor`), then run again",
        });
        return true;
    };
    readFailure(
        "the administrators group",
        facts.admins,
        KEY.username,
        "could not check that the DSM user is an administrator",
    );

    // ---- the interface and its DHCP server
    const known = facts.interfaces?.ok ? facts.interfaces.value : undefined;
    const listed = known && known.length ? ` (DSM lists ${known.join(", ")})` : "";
    const d = facts.dhcpServer;
    if (d && !d.ok && isDsmError(d.error, 4302)) {
        problems.push({
            setting: KEY.ifname,
            problem: `interface "${plan.ifname}" does not exist on the NAS${listed}`,
            fix: `set ${KEY.ifname} to the interface DSM's DHCP Server shows: eth0/eth1, ovs_eth0 when Virtual Machine Manager is installed, or bond0`,
        });
    } else if (d && d.ok && !toBool(d.value.enable) && !plan.manageServer) {
        problems.push({
            setting: `${KEY.ifname} / homelab:dhcp.manageServer`,
            problem: `the DHCP server is not enabled on interface ${plan.ifname}, and homelab:dhcp.manageServer is false, so the program will not enable it`,
            fix:
                `enable it in DSM (DHCP Server > Network Interface > ${plan.ifname} > Edit > Enable DHCP server, subnet ${plan.dhcp.subnet}, ` +
                `range ${plan.dhcp.rangeStart}-${plan.dhcp.rangeEnd}), or set homelab:dhcp.manageServer to true to let the program set it up`,
        });
    } else if (d) {
        readFailure(`the DHCP server settings of ${plan.ifname}`, d, KEY.ifname);
    } else if (known && !known.includes(plan.ifname)) {
        // No DHCP package to ask: the Ethernet list is all there is (bonds and Open vSwitch names may be missing from it).
        problems.push({
            setting: KEY.ifname,
            problem: `interface "${plan.ifname}" is not among the NAS's Ethernet interfaces${listed}`,
            fix: `set ${KEY.ifname} to the interface DSM's DHCP Server shows once the package is installed`,
        });
    }
    if (known === undefined)
        readFailure("the network interfaces", facts.interfaces, KEY.ifname, "could not list the NAS's interfaces");

    // ---- share and volume
    let volumePath: string | undefined;
    const s = facts.share;
    if (s?.ok && s.value) {
        if (s.value.vol_path !== plan.volume) {
            problems.push({
                setting: `${KEY.volume} / ${KEY.share}`,
                problem: `shared folder "${plan.share}" already exists on ${s.value.vol_path}, but ${KEY.volume} is ${plan.volume}`,
                fix: `set ${KEY.volume} to ${s.value.vol_path}, or choose another ${KEY.share}`,
            });
        }
        volumePath = s.value.vol_path;
    } else if (s?.ok) {
        volumePath = plan.volume; // to be created there
    } else {
        readFailure(`shared folder ${plan.share}`, s, KEY.share);
    }
    // The shared folders to be created on synology.volume: the boot share, the etcd snapshots' one.
    const bootCreating = s?.ok === true && !s.value;
    const sb = facts.snapshots?.backupShare;
    const creating = [
        ...(bootCreating ? [plan.share] : []),
        ...(sb?.ok && !sb.value ? [plan.snapshots.backupShare] : []),
    ];
    const folders = `shared folder${creating.length > 1 ? "s" : ""} ${creating.map((n) => `"${n}"`).join(" and ")}`;
    const v = facts.volumes;
    if (v?.ok) {
        const known = v.value.map((x) => x.path).join(", ");
        const target = v.value.find((x) => x.path === plan.volume);
        let cannotCreate = false;
        if (creating.length > 0 && !target) {
            cannotCreate = true;
            problems.push({
                setting: KEY.volume,
                problem: `volume ${plan.volume} does not exist on the NAS (it has ${known || "no volume"}); ${folders} cannot be created there`,
                fix: `set ${KEY.volume} to one of ${known || "the NAS's volumes (create one in Storage Manager)"}`,
            });
        } else if (creating.length > 0 && target?.writable === false) {
            cannotCreate = true;
            problems.push({
                setting: KEY.volume,
                problem: `volume ${target.path} is read-only${target.status ? ` (status ${target.status})` : ""}; ${folders} cannot be created there`,
                fix: `repair the volume in Storage Manager, or set ${KEY.volume} to a writable one`,
            });
        }
        const vol = volumePath === undefined ? undefined : v.value.find((x) => x.path === volumePath);
        if (vol && !(cannotCreate && bootCreating)) {
            const present = facts.bootFileOnNas?.ok ? facts.bootFileOnNas.value : undefined;
            const same = present !== undefined && size.exact && present.size === size.bytes;
            const need = same ? 0 : size.bytes;
            const free = vol.totalBytes - vol.usedBytes;
            if (free < need) {
                problems.push({
                    setting: KEY.volume,
                    problem: `volume ${vol.path} has ${mib(free)} free; the boot file needs ${mib(need)} (${size.source})`,
                    fix: `free space on ${vol.path}, or put the share on another volume (${KEY.volume}, ${KEY.share})`,
                });
            }
        }
    } else {
        readFailure("the volumes", v, KEY.volume, "could not check the volume and its free space");
    }
    readFailure(`the boot file ${plan.bootFilePath}`, facts.bootFileOnNas, KEY.share);
    if (facts.snapshots) {
        const snapshots = judgeSnapshotFolders(plan.snapshots, facts.snapshots, readFailure);
        problems.push(...snapshots.problems);
        warnings.push(...snapshots.warnings);
    }
    return { problems, warnings };
}

/** The RunError text: every problem, with its setting and fix. */
export function formatProblems(problems: Problem[]): string {
    return (
        `NAS pre-flight: ${problems.length} problem${problems.length === 1 ? "" : "s"} (nothing was written to the NAS):\n` +
        problems.map((p) => `  - ${p.setting}: ${p.problem}.\n    Fix: ${p.fix}.`).join("\n") +
        '\n(The pre-flight reads the NAS before any change; README "Pre-flight". HOMELAB_PREFLIGHT=off skips it.)'
    );
}

// ---------------------------------------------------------------------------------------------
// When, and the whole run

/**
 * Whether to run: `HOMELAB_PREFLIGHT=off` (or 0/false/no) never, `on` (1/true/yes) always, unset only when a
 * Pulumi engine runs the program (not under the mock runtime of unit tests, which has none). Pure.
 */
export function preflightSwitch(setting: string | undefined, engineConnected: boolean): { run: boolean; why: string } {
    const v = (setting ?? "").trim().toLowerCase();
    if (["off", "0", "false", "no"].includes(v)) return { run: false, why: "HOMELAB_PREFLIGHT=off" };
    if (["on", "1", "true", "yes"].includes(v)) return { run: true, why: "HOMELAB_PREFLIGHT=on" };
    if (v !== "")
        throw new pulumi.RunError(
            `HOMELAB_PREFLIGHT="${setting}" is neither on nor off: unset it (the default runs the NAS pre-flight under the Pulumi engine), or set it to on or off`,
        );
    return engineConnected
        ? { run: true, why: "the Pulumi engine runs the program" }
        : { run: false, why: "no Pulumi engine (mock runtime)" };
}

export interface PreflightOptions {
    /** Default process.env. */
    env?: NodeJS.ProcessEnv;
    /** Default: whether the Pulumi runtime has an engine address. */
    engineConnected?: boolean;
    clientOptions?: DsmClientOptions;
    factoryTimeoutMs?: number;
    /** Default pulumi.log. */
    log?: { info(m: string): void; warn(m: string): void };
}

export interface PreflightOutcome {
    ran: boolean;
    why: string;
    verdict?: Verdict;
}

/**
 * The whole pre-flight for index.ts: decide, read, judge; a RunError listing every problem (the password
 * never in it). Returns what it did, for tests.
 */
export async function runNasPreflight(cfg: PreflightConfig, opts: PreflightOptions = {}): Promise<PreflightOutcome> {
    const log = opts.log ?? {
        info: (m: string) => void pulumi.log.info(m),
        warn: (m: string) => void pulumi.log.warn(m),
    };
    const sw = preflightSwitch(
        (opts.env ?? process.env).HOMELAB_PREFLIGHT,
        opts.engineConnected ?? pulumi.runtime.getEngine() !== undefined,
    );
    if (!sw.run) return { ran: false, why: sw.why };
    const plan = preflightPlan(cfg);
    const redact = (t: string) => redactText(t, [cfg.synologyPassword]);
    let facts: NasFacts;
    let size: BootFileSize;
    try {
        const dsm = new DsmClient(
            { ...connectionArgs(cfg.synology), password: cfg.synologyPassword, deviceName: "homelab-pulumi" },
            {
                timeoutMs: 20_000,
                retries: 2,
                sessionName: "homelab-preflight",
                log: (m) => log.warn(redact(m)),
                ...opts.clientOptions,
            },
        );
        [facts, size] = await Promise.all([readNasFacts(dsm, plan), bootFileSize(plan, opts.factoryTimeoutMs)]);
    } catch (e) {
        throw new pulumi.RunError(
            redact(
                formatProblems([
                    {
                        setting: KEY.url,
                        problem: `the DSM client cannot be set up: ${message(e)}`,
                        fix: "correct the homelab:synology settings",
                    },
                ]),
            ),
        );
    }
    const verdict = judgeNas(plan, facts, size);
    for (const w of verdict.warnings) log.warn(redact(`NAS pre-flight: ${w}`));
    if (verdict.problems.length > 0) throw new pulumi.RunError(redact(formatProblems(verdict.problems)));
    log.info(
        `NAS pre-flight passed: ${plan.nasUrl} as ${plan.username}, ${plan.ifname}, ${plan.volume}/${plan.share}, boot file ${mib(size.bytes)}${size.exact ? "" : " (upper bound)"}, etcd snapshots in shared folder ${plan.snapshots.backupShare}`,
    );
    return { ran: true, why: sw.why, verdict };
}
