/**
 * The doctor: every check, in order, as `npm run doctor` runs them (./cli.ts). The checks live in ./nas-checks.ts
 * (through DSM) and ./lan-checks.ts (TFTP, DHCP, the nodes, the Image Factory); their result and the plan they
 * check against in ./plan.ts.
 */
import * as net from "net";
import type { DhcpProbeOptions } from "./dhcp";
import type { DsmApi } from "../synology/dsm/types";
import { checkDhcp, checkFactory, checkTalosNodes, checkTftpTransfer, TftpCheckOptions } from "./lan-checks";
import { checkBootFileOnNas, checkNas, checkTftpSettings } from "./nas-checks";
import { CheckResult, DoctorPlan } from "./plan";

export type CheckGroup = "nas" | "tftp" | "factory" | "dhcp" | "nodes";
export const CHECK_GROUPS: CheckGroup[] = ["nas", "tftp", "factory", "dhcp", "nodes"];

export interface DoctorDeps {
    plan: DoctorPlan;
    /** DSM client; undefined → DSM checks are skipped with `dsmUnavailable` as the reason. */
    dsm?: DsmApi;
    dsmUnavailable?: string;
    /** TFTP server (default: the NAS host, port 69) and client knobs. */
    tftp?: Omit<TftpCheckOptions, "file" | "expectedSize" | "expectedMd5">;
    /** DHCP probe options; false skips the DHCP check. */
    dhcp?: DhcpProbeOptions | false;
    /** Talos API port (default the Talos API's, TALOS_API_PORT of ../talos/node-wait.ts) and connect timeout. */
    talos?: { port?: number; timeoutMs?: number };
    /** Groups to run (default all). */
    only?: CheckGroup[];
    factoryTimeoutMs?: number;
}

/** Runs the checks in order, calling `onResult` as each result is known. */
export async function runDoctor(
    deps: DoctorDeps,
    onResult: (r: CheckResult) => void = () => undefined,
): Promise<CheckResult[]> {
    const { plan } = deps;
    const on = new Set(deps.only ?? CHECK_GROUPS);
    const out: CheckResult[] = [];
    const emit = (r: CheckResult) => {
        out.push(r);
        onResult(r);
    };

    let loggedIn = false;
    if (on.has("nas") || on.has("tftp")) {
        if (!deps.dsm) {
            emit({
                id: "nas.answers",
                status: "SKIP",
                detail: `NAS checks skipped: ${deps.dsmUnavailable ?? "no DSM client"}`,
            });
        } else {
            const nas = await checkNas(deps.dsm, plan);
            nas.results.forEach(emit);
            loggedIn = nas.loggedIn;
        }
    }

    let factorySize: number | undefined;
    if (on.has("factory")) {
        const f = await checkFactory(plan, deps.factoryTimeoutMs);
        emit(f.result);
        factorySize = f.size;
    }

    if (on.has("tftp")) {
        let nasSize: number | undefined;
        let nasMd5: string | undefined;
        if (deps.dsm && loggedIn) {
            emit(await checkTftpSettings(deps.dsm, plan));
            const b = await checkBootFileOnNas(deps.dsm, plan, factorySize);
            emit(b.result);
            nasSize = b.size;
            nasMd5 = b.md5;
        } else {
            emit({
                id: "tftp.settings",
                status: "SKIP",
                detail: "TFTP settings and boot file on the NAS not checked: no DSM login",
            });
        }
        emit(
            await checkTftpTransfer({
                host: plan.nasHost,
                tftpRoot: plan.tftpRoot,
                ...deps.tftp,
                file: plan.bootFile,
                expectedSize: factorySize ?? nasSize,
                expectedMd5: nasMd5,
            }),
        );
    }

    if (on.has("dhcp")) {
        if (deps.dhcp === false) emit({ id: "dhcp.offer", status: "SKIP", detail: "DHCP check skipped (--no-dhcp)" });
        else
            emit(
                await checkDhcp(
                    { arch: plan.arch, ...deps.dhcp },
                    {
                        bootFile: plan.bootFile,
                        tftpServer: net.isIPv4(plan.nasHost) ? plan.nasHost : undefined,
                        dhcpInterface: plan.dhcpInterface,
                    },
                ),
            );
    }

    if (on.has("nodes")) (await checkTalosNodes(plan.nodes, deps.talos)).forEach(emit);

    if (deps.dsm && loggedIn) {
        try {
            await deps.dsm.logout();
        } catch {
            /* best effort */
        }
    }
    return out;
}
