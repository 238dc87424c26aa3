/**
 * `npm run rehearse [-- --stack <name>] [-- --pulumi <path>]`: the whole program, before touching the LAN.
 *
 * Starts the DSM simulator, the Image Factory stand-in and one Talos node stand-in per node; makes a throw-away
 * stack from Pulumi.<stack>.yaml (default dev) with every address moved onto loopback and passwords generated;
 * runs `pulumi up` on the real engine (the built toolchain, or the given `pulumi` — which then fetches the provider
 * plugins itself); tells what happened; runs `up` again to show that nothing changes; destroys and shows the NAS
 * back as it was. The control-plane stand-in runs Kubernetes' own control plane from the applied secrets (etcd,
 * kube-apiserver, controller manager, scheduler; kwok as the kubelets), so the health check runs with its
 * Kubernetes half and the day-1 workloads (Synology CSI) are applied by the real Kubernetes provider. Exit 0 when
 * all of that held. The last line is JSON:
 * `{nodes, applies, bootstraps, kubernetesHealth, csiPodsReady, secondUpChanges, nasRestored, processesLeft, seconds}`.
 *
 * What it cannot rehearse: your real NAS's answers (run `npm run doctor`), real machines booting, and what needs
 * real hardware: kwok runs no containers, so the CSI driver never logs in to DSM or creates an iSCSI volume.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { changeCounts, changingSteps, diagnostics } from "./support/events";
import { KubeClient } from "./support/kubernetes";
import { snapshotNas } from "./support/nas";
import { survivors } from "./support/processes";
import { Harness } from "./support/scenario";
import { repoRoot } from "./support/engine";
import { ensureToolchain } from "./toolchain/build";
import { isPlaceholderMac } from "../components/net";
import { isDeepStrictEqual } from "util";

interface Args {
    stack: string;
    pulumi?: string;
}

function parseArgs(argv: string[]): Args {
    const args: Args = { stack: "dev" };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") args.stack = argv[++i] ?? "";
        else if (a === "--pulumi") args.pulumi = argv[++i];
        else if (a === "--help" || a === "-h") {
            console.log("usage: npm run rehearse [-- --stack <name>] [-- --pulumi <path to your pulumi CLI>]");
            process.exit(0);
        } else throw new Error(`rehearse: unknown argument ${a} (try --help)`);
    }
    if (!/^[A-Za-z0-9._-]+$/.test(args.stack)) throw new Error(`rehearse: --stack "${args.stack}" is not a stack name`);
    return args;
}

/** A random locally administered unicast MAC (02:xx:…), for nodes whose MAC is still a placeholder. */
function randomMac(): string {
    const b = randomBytes(6);
    b[0] = (b[0] & 0xfc) | 0x02;
    return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** The stack file's plain `homelab:*` values, and notes on what the rehearsal changed beyond addresses. */
export function rehearsalValues(
    stackFileText: string,
    isPlaceholderMac: (mac: string) => boolean,
): { values: Record<string, any>; notes: string[] } {
    const doc = YAML.parse(stackFileText) as { config?: Record<string, unknown> } | null;
    const values: Record<string, any> = {};
    for (const [k, v] of Object.entries(doc?.config ?? {})) {
        if (!k.startsWith("homelab:")) continue;
        if (v && typeof v === "object" && "secure" in (v as object)) continue;
        values[k.slice("homelab:".length)] = JSON.parse(JSON.stringify(v));
    }
    const notes: string[] = [];
    (Array.isArray(values.nodes) ? values.nodes : []).forEach((n: Record<string, unknown>, i: number) => {
        if (typeof n.mac === "string" && isPlaceholderMac(n.mac)) {
            n.mac = randomMac();
            notes.push(
                `nodes[${i}].mac is still the example's placeholder: the rehearsal used ${n.mac}; put the machine's real MAC there before a real run`,
            );
        }
    });
    const cluster = (values.cluster ??= {});
    cluster.applyTimeout = "3m";
    cluster.bootstrapTimeout = "3m";
    cluster.healthTimeout = "3m";
    if (values.workloads?.synologyCsi?.enabled) {
        notes.push(
            "Synology CSI is applied and its pods run on kwok's kubelets, which run no containers: " +
                "the driver never logs in to the NAS nor creates an iSCSI volume in the rehearsal",
        );
    }
    if (cluster.upgrades) {
        cluster.upgrades = false;
        notes.push("cluster.upgrades is off for the rehearsal (a first up upgrades nothing)");
    }
    return { values, notes };
}

function countBy(calls: Record<string, number>): string {
    return Object.entries(calls)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k.replace(/^SYNO\./, "")}×${v}`)
        .join(", ");
}

async function main(): Promise<number> {
    const started = Date.now();
    const args = parseArgs(process.argv.slice(2));
    if (args.pulumi) {
        // The user's CLI is the engine: only what plays the LAN is built from Go (the Talos nodes, Kubernetes).
        process.env.HOMELAB_E2E_PULUMI = path.resolve(args.pulumi);
        const { binDir } = await ensureToolchain((l) => console.log(l), undefined, ["stand-in"]);
        process.env.HOMELAB_TOOLCHAIN_BIN = binDir;
    }
    const file = path.join(repoRoot, `Pulumi.${args.stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`rehearse: ${file} does not exist; pick a stack with --stack <name>`);
    const { values, notes } = rehearsalValues(fs.readFileSync(file, "utf8"), isPlaceholderMac);
    const username = String(values.synology?.username ?? "admin");
    const dsmPassword = randomBytes(12).toString("base64url");
    const secrets: Record<string, string> = { synologyPassword: dsmPassword };
    if (values.ups) secrets.upsPassword = randomBytes(12).toString("base64url");

    console.log(`rehearse: stack ${args.stack} (${file}), every address moved onto loopback, passwords generated`);
    for (const n of notes) console.log(`rehearse: note: ${n}`);
    const h = await Harness.start({
        values,
        secrets,
        servers: {
            dsm: { users: { [username]: dsmPassword }, interfaces: [String(values.synology?.interface ?? "eth0")] },
        },
        stack: `rehearse-${args.stack}`,
    });
    let ok = true;
    const result = {
        nodes: 0,
        applies: 0,
        bootstraps: 0,
        kubernetesHealth: false,
        csiPodsReady: 0,
        secondUpChanges: -1,
        nasRestored: false,
        processesLeft: -1,
        seconds: 0,
    };
    const kubernetesChecks = (values.cluster?.healthChecks?.kubernetes ?? true) !== false;
    const csiEnabled = values.workloads?.synologyCsi?.enabled === true;
    try {
        const { dsm, factory } = h.servers;
        const iface = String(values.synology?.interface ?? "eth0");
        dsm.state.dhcpServers[iface] = { ...dsm.state.dhcpServers[iface], enable: true };
        const before = snapshotNas(dsm);
        result.nodes = (h.values.nodes as unknown[]).length;

        console.log("rehearse: pulumi up …");
        const up = await h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
        const errors = diagnostics(up.events, "error").map((d) => d.message.trim());
        console.log(
            `rehearse: up ${up.code === 0 ? "succeeded" : "FAILED"} in ${up.seconds.toFixed(1)} s: ${JSON.stringify(changeCounts(up.events))}`,
        );
        for (const e of errors) console.log(`  error: ${e.split("\n").join("\n         ")}`);
        console.log(
            `  NAS: ${Object.values(dsm.counters.calls).reduce((a, b) => a + b, 0)} DSM calls (${countBy(dsm.counters.calls)}), ${dsm.counters.writes} writes`,
        );
        const share = String(values.synology?.share ?? "pxe");
        const boot = [...dsm.state.files.entries()].find(([p]) => p.startsWith(`/${share}/`) && p.endsWith(".efi"));
        console.log(
            `  boot file: ${boot ? `${boot[0]}, ${boot[1].size} bytes, MD5 ${boot[1].md5} (the factory sent ${factory.bytesServed} bytes)` : "none"}`,
        );
        for (const n of h.values.nodes as { hostname: string; ip: string; role: string }[]) {
            const applies = h.nodes!.okCalls("ApplyConfiguration", n.ip);
            const state = await h.nodes!.node(n.ip);
            result.applies += applies.length;
            console.log(
                `  ${n.hostname} (${n.ip}, ${n.role}): ${applies.length} config appl${applies.length === 1 ? "y" : "ies"}` +
                    `${applies[0] ? ` (in ${applies[0].mode} mode)` : ""}; now ${state.mode}, Talos ${state.talosVersion}` +
                    `${state.installDisk ? `, installed on ${state.installDisk}` : ""}${state.installError ? `, install failed: ${state.installError}` : ""}`,
            );
        }
        const bootstraps = h.nodes!.okCalls("Bootstrap");
        result.bootstraps = bootstraps.length;
        console.log(`  bootstrap: ${bootstraps.length} (${bootstraps.map((b) => b.node).join(", ") || "none"})`);
        result.kubernetesHealth = up.code === 0 && kubernetesChecks;
        console.log(
            `  health: ${up.code === 0 ? `the Talos${kubernetesChecks ? " and Kubernetes" : ""} checks passed` : "not reached or failed (see above)"}; kubeconfig and talosconfig are secret stack outputs`,
        );
        if (up.code === 0 && csiEnabled) {
            const out = await h.engine.ok(["stack", "output", "kubeconfig", "--show-secrets", ...h.engine.stackArgs()]);
            const kube = KubeClient.fromKubeconfig(out.stdout);
            try {
                const pods = await kube.list("/api/v1/namespaces/synology-csi/pods");
                const ready = await kube.readyPods("synology-csi");
                result.csiPodsReady = ready.length;
                console.log(
                    `  Synology CSI: ${ready.length} of ${pods.length} pods Ready (${ready.map((p) => p.metadata.name).join(", ")})`,
                );
            } finally {
                kube.close();
            }
        }
        ok &&= up.code === 0 && (!csiEnabled || result.csiPodsReady > 0);

        console.log("rehearse: pulumi up again (nothing should change) …");
        dsm.resetCounters();
        const again = await h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
        result.secondUpChanges = changingSteps(again.events).length;
        console.log(
            `  ${again.code === 0 ? "done" : "FAILED"}: ${result.secondUpChanges} changes, ${dsm.counters.writes} DSM writes, ${dsm.counters.uploadBytes} image bytes`,
        );
        ok &&= again.code === 0 && result.secondUpChanges === 0 && dsm.counters.writes === 0;

        console.log("rehearse: pulumi destroy …");
        const destroy = await h.engine.run(["destroy", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
        result.nasRestored = destroy.code === 0 && isDeepStrictEqual(snapshotNas(dsm), before);
        console.log(
            `  ${destroy.code === 0 ? "done" : "FAILED"}; the NAS is ${result.nasRestored ? "back as it was (TFTP, PXE, reservations, shares, files)" : "NOT as it was"}`,
        );
        ok &&= result.nasRestored && result.applies === result.nodes && result.bootstraps === 1;
    } finally {
        await h.close();
    }
    const left = survivors();
    result.processesLeft = left.length;
    for (const p of left) console.log(`  still running after the rehearsal: pid ${p.pid} ${p.cmd.slice(0, 160)}`);
    ok &&= left.length === 0;
    result.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    console.log(
        ok
            ? "rehearse: all held. Next: edit the stack for your LAN, `npm run doctor -- --stack " +
                  args.stack +
                  "`, then `pulumi up`."
            : "rehearse: something did not hold (see above)",
    );
    console.log(JSON.stringify(result));
    return ok ? 0 : 1;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (e: Error) => {
            console.error(e.message);
            process.exit(1);
        },
    );
}
