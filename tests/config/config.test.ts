import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import * as fc from "fast-check";
import * as YAML from "yaml";
import { parseStackConfig } from "../../components/config";
import { intToIp, ipToInt, normaliseMac, parseCidr, PLACEHOLDER_MACS } from "../../components/net";
import { cidrContains } from "../support/net-oracle";
import { TALOS_RELEASES } from "../../components/talos/versions";
import { closest } from "../../components/words";
import { readReferenceJson } from "../support/reference";
import { repoRoot, stackValues } from "../support/shared";
import { devValues, problemsOf, REAL_MAC, RefusalCase, reservation, SECRETS, testRefusals, worker } from "./values";

describe("the dev stack (the seed's setup)", () => {
    const cfg = parseStackConfig(devValues());

    test("parses and keeps the seed's choices", () => {
        expect(cfg.cluster).toMatchObject({
            name: "homelab-dev",
            endpoint: "https://192.168.0.2:6443",
            talosVersion: "v1.12.1",
        });
        expect(cfg.image.extensions).toEqual([
            "siderolabs/i915",
            "siderolabs/nut-client",
            "siderolabs/btrfs",
            "siderolabs/iscsi-tools",
            "siderolabs/util-linux-tools",
        ]);
        expect(cfg.nodes).toHaveLength(1);
        expect(cfg.nodes[0]).toMatchObject({ ip: "192.168.0.2", role: "controlplane", installDisk: "/dev/nvme0n1" });
        expect(cfg.ups).toEqual({ monitor: "ups@192.168.0.6", username: "monuser" });
        expect(cfg.synology.url).toBe("https://192.168.0.6:5001");
    });

    test("fills defaults", () => {
        expect(cfg.cluster).toMatchObject({
            kubernetesVersion: "1.35.0",
            applyTimeout: "30m",
            bootstrapTimeout: "20m",
            healthTimeout: "10m",
            upgradeTimeout: "15m",
            healthChecks: { kubernetes: true },
        });
        expect(cfg.image.factoryUrl).toBe("https://factory.talos.dev");
        expect(cfg.cluster.upgrades).toBe(false);
        expect(cfg.cluster.talosVersionPinned).toBe(false);
        // One control plane and no worker: workloads must be allowed on it, or nothing would ever run.
        expect(cfg.cluster.allowSchedulingOnControlPlanes).toBe(true);
        expect(cfg.cluster.wakeOnLanBroadcast).toBe("192.168.0.255");
        expect(cfg.dhcp.manageServer).toBe(false);
        expect(cfg.workloads.synologyCsi).toMatchObject({
            enabled: true,
            storageClassName: "synology-iscsi",
            location: "/volume1",
        });
        expect(cfg.synology.tls.insecureSkipVerify).toBe(false);
        expect(cfg.backups.share).toBe("talos-backups");
    });

    test("keeps no secret in the stack file", () => {
        const text = fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8");
        expect(text).not.toMatch(/synologyPassword:|upsPassword:|secure:/);
    });

    test("has a placeholder MAC that is clearly marked", () => {
        const text = fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8");
        expect(text).toMatch(/PLACEHOLDER MAC/);
    });

    test("is refused as shipped, for its placeholder MAC alone, with the fix", () => {
        const problems = problemsOf(stackValues("dev", SECRETS));
        expect(problems).toEqual([expect.stringMatching(/^nodes\[0\]\.mac: 02:00:00:00:00:01 is a placeholder/)]);
        expect(problems[0]).toContain("put the real MAC address of the machine's network card here");
    });
});

describe("normalisation", () => {
    test("writes MACs lower-case with colons and versions with a leading v", () => {
        const v = devValues();
        v.nodes[0].mac = "AA-BB-CC-DD-EE-0F";
        v.cluster.talosVersion = "1.12.1";
        v.cluster.kubernetesVersion = "v1.35.0";
        v.dhcp.subnet = "192.168.0.77/24";
        const cfg = parseStackConfig(v);
        expect(cfg.nodes[0].mac).toBe("aa:bb:cc:dd:ee:0f");
        expect(cfg.cluster.talosVersion).toBe("v1.12.1");
        expect(cfg.cluster.kubernetesVersion).toBe("1.35.0");
        expect(cfg.dhcp.subnet).toBe("192.168.0.0/24");
    });

    test("accepts objects given as JSON text, as `pulumi config` stores them", () => {
        const v = devValues();
        v.cluster = JSON.stringify(v.cluster);
        v.nodes = JSON.stringify(v.nodes);
        expect(parseStackConfig(v).cluster.name).toBe("homelab-dev");
    });

    test("normalises a fingerprint pin", () => {
        const v = devValues();
        v.synology.tls = { fingerprintSha256: "AB".repeat(32) };
        expect(parseStackConfig(v).synology.tls.fingerprintSha256).toBe(Array(32).fill("ab").join(":"));
    });
});

describe("cluster.allowSchedulingOnControlPlanes", () => {
    const withNodes = (roles: string[], cluster: Record<string, unknown> = {}, csi = false) => {
        const v = stackValues("dev", SECRETS) as Record<string, any>;
        v.nodes = roles.map((role, i) => ({
            ...v.nodes[0],
            hostname: `n-${i}`,
            mac: `52:54:00:00:00:0${i + 1}`,
            ip: `192.168.0.${10 + i}`,
            role,
        }));
        v.cluster = { ...v.cluster, endpoint: "https://192.168.0.10:6443", ...cluster };
        if (csi) v.workloads = { synologyCsi: { enabled: true } };
        return v;
    };

    test("defaults to true without a worker (a one-machine homelab runs its workloads on it), false with one", () => {
        expect(parseStackConfig(withNodes(["controlplane"])).cluster.allowSchedulingOnControlPlanes).toBe(true);
        expect(parseStackConfig(withNodes(["controlplane", "worker"])).cluster.allowSchedulingOnControlPlanes).toBe(
            false,
        );
        expect(
            parseStackConfig(withNodes(["controlplane", "worker"], { allowSchedulingOnControlPlanes: true })).cluster
                .allowSchedulingOnControlPlanes,
        ).toBe(true);
    });

    test("Synology CSI on a stack without a worker that keeps workloads off its control planes is refused, with both fixes", () => {
        const problems = problemsOf(withNodes(["controlplane"], { allowSchedulingOnControlPlanes: false }, true));
        expect(problems).toEqual([
            expect.stringMatching(
                /^cluster\.allowSchedulingOnControlPlanes: is false and the stack has no worker, so the Synology CSI controller .* could never be scheduled .*set it to true, or add a worker/,
            ),
        ]);
        expect(() =>
            parseStackConfig(withNodes(["controlplane", "worker"], { allowSchedulingOnControlPlanes: false }, true)),
        ).not.toThrow();
    });
});

/** Each case breaks one thing and names the key path the message must carry. */
const BAD: Array<[string, (v: Record<string, any>) => void, string, RegExp?]> = [
    [
        "backups.share the TFTP root",
        (v) => {
            v.backups = { share: v.synology.share };
        },
        "backups.share",
        /is synology\.share, the TFTP root: TFTP has no password/,
    ],
    [
        "talosVersionPinned not a boolean",
        (v) => {
            v.cluster.talosVersionPinned = "yes";
        },
        "cluster.talosVersionPinned",
        /must be true or false, got string "yes"/,
    ],
    [
        "allowSchedulingOnControlPlanes not a boolean",
        (v) => {
            v.cluster.allowSchedulingOnControlPlanes = "sometimes";
        },
        "cluster.allowSchedulingOnControlPlanes",
        /true or false/,
    ],
    [
        "bad MAC",
        (v) => {
            v.nodes[0].mac = "00:11:22:33:44";
        },
        "nodes[0].mac",
        /not a MAC/,
    ],
    [
        "bad node IP",
        (v) => {
            v.nodes[0].ip = "192.168.0.300";
        },
        "nodes[0].ip",
        /not an IPv4/,
    ],
    [
        "Wake-on-LAN broadcast not an address",
        (v) => {
            v.cluster.wakeOnLanBroadcast = "192.168.0.300";
        },
        "cluster.wakeOnLanBroadcast",
        /not an IPv4 address/,
    ],
    [
        "node outside the subnet",
        (v) => {
            v.nodes[0].ip = "10.0.0.2";
        },
        "nodes[0].ip",
        /inside dhcp.subnet/,
    ],
    [
        "subnet not a CIDR",
        (v) => {
            v.dhcp.subnet = "192.168.0.0";
        },
        "dhcp.subnet",
        /CIDR/,
    ],
    [
        "gateway outside the subnet",
        (v) => {
            v.dhcp.gateway = "192.168.1.1";
        },
        "dhcp.gateway",
        /inside dhcp.subnet/,
    ],
    [
        "range end outside the subnet",
        (v) => {
            v.dhcp.rangeEnd = "192.168.1.10";
        },
        "dhcp.rangeEnd",
        /inside dhcp.subnet/,
    ],
    [
        "range start after end",
        (v) => {
            v.dhcp.rangeStart = "192.168.0.200";
        },
        "dhcp.rangeStart",
        /after dhcp.rangeEnd/,
    ],
    [
        "node on the gateway",
        (v) => {
            v.nodes[0].ip = "192.168.0.1";
        },
        "nodes[0].ip",
        /gateway/,
    ],
    [
        "reservation on the gateway",
        (v) => {
            v.dhcp.extraReservations = [{ mac: "02:00:00:00:00:09", ip: "192.168.0.1", hostname: "printer" }];
        },
        "dhcp.extraReservations[0].ip",
        /gateway/,
    ],
    [
        "duplicate hostname",
        (v) => {
            v.nodes.push({ ...v.nodes[0], mac: "02:00:00:00:00:02", ip: "192.168.0.3" });
        },
        "nodes[1].hostname",
        /also used by nodes\[0\]/,
    ],
    [
        "duplicate MAC across a node and a reservation",
        (v) => {
            v.dhcp.extraReservations = [{ mac: REAL_MAC.toUpperCase(), ip: "192.168.0.50", hostname: "nas2" }];
        },
        "dhcp.extraReservations[0].mac",
        /also used by nodes\[0\]/,
    ],
    [
        "duplicate IP",
        (v) => {
            v.nodes.push({ ...v.nodes[0], hostname: "w1", mac: "02:00:00:00:00:02", role: "worker" });
        },
        "nodes[1].ip",
        /also used/,
    ],
    [
        "no control plane",
        (v) => {
            v.nodes[0].role = "worker";
        },
        "nodes",
        /controlplane/,
    ],
    [
        "unknown role",
        (v) => {
            v.nodes[0].role = "master";
        },
        "nodes[0].role",
        /controlplane, worker/,
    ],
    [
        "endpoint not https",
        (v) => {
            v.cluster.endpoint = "http://192.168.0.2:6443";
        },
        "cluster.endpoint",
        /https with a port/,
    ],
    [
        "endpoint without port",
        (v) => {
            v.cluster.endpoint = "https://192.168.0.2";
        },
        "cluster.endpoint",
        /port/,
    ],
    [
        "Talos pre-release",
        (v) => {
            v.cluster.talosVersion = "v1.13.0-alpha.1";
        },
        "cluster.talosVersion",
        /release version/,
    ],
    [
        "extension without owner",
        (v) => {
            v.image.extensions.push("i915");
        },
        "image.extensions[5]",
        /owner\/name/,
    ],
    [
        "duplicate extension",
        (v) => {
            v.image.extensions.push("siderolabs/btrfs");
        },
        "image.extensions[5]",
        /twice/,
    ],
    [
        "both installDisk and installDiskSelector",
        (v) => {
            v.nodes[0].installDiskSelector = { type: "nvme" };
        },
        "nodes[0]",
        /exactly one of installDisk/,
    ],
    [
        "neither installDisk nor selector",
        (v) => {
            delete v.nodes[0].installDisk;
        },
        "nodes[0]",
        /exactly one of installDisk/,
    ],
    [
        "ups without its password",
        (v) => {
            delete v.upsPassword;
        },
        "upsPassword",
        /required when ups is set/,
    ],
    [
        "UPS password on two lines",
        (v) => {
            v.upsPassword = "line1\nline2";
        },
        "upsPassword",
        /single line.*--secret homelab:upsPassword/,
    ],
    [
        "UPS user on two lines",
        (v) => {
            v.ups.username = "mon\nuser";
        },
        "ups.username",
        /single line/,
    ],
    [
        "UPS monitor without host",
        (v) => {
            v.ups.monitor = "ups";
        },
        "ups.monitor",
        /<upsname>@<host>/,
    ],
    [
        "no control plane, nodes given as JSON text",
        (v) => {
            v.nodes[0].role = "worker";
            v.nodes = JSON.stringify(v.nodes);
        },
        "nodes",
        /controlplane/,
    ],
    [
        "ups without nut-client",
        (v) => {
            v.image.extensions = v.image.extensions.filter((e: string) => e !== "siderolabs/nut-client");
        },
        "image.extensions",
        /nut-client/,
    ],
    [
        "plain http NAS",
        (v) => {
            v.synology.url = "http://192.168.0.6:5000";
        },
        "synology.url",
        /allowHttp/,
    ],
    [
        "hostname not a DNS label",
        (v) => {
            v.nodes[0].hostname = "Talos_CP";
        },
        "nodes[0].hostname",
        /valid hostname/,
    ],
    [
        "missing DSM password",
        (v) => {
            delete v.synologyPassword;
        },
        "synologyPassword",
        /--secret/,
    ],
    [
        "typo in a key",
        (v) => {
            v.cluster.talosVersoin = "v1.12.1";
        },
        "cluster.talosVersoin",
        /did you mean cluster.talosVersion/,
    ],
    [
        "CSI without iSCSI tools",
        (v) => {
            v.workloads = { synologyCsi: { enabled: true } };
            v.image.extensions = ["siderolabs/nut-client"];
        },
        "image.extensions",
        /siderolabs\/iscsi-tools/,
    ],
    [
        "two TLS trust modes",
        (v) => {
            v.synology.tls = { insecureSkipVerify: true, fingerprintSha256: "ab".repeat(32) };
        },
        "synology.tls",
        /only one/,
    ],
    [
        "interface name",
        (v) => {
            v.synology.interface = "lan1";
        },
        "synology.interface",
        /eth0/,
    ],
    [
        "lease time too short",
        (v) => {
            v.dhcp.leaseTime = 10;
        },
        "dhcp.leaseTime",
        /at least 120/,
    ],
    [
        "node on the NAS's address",
        (v) => {
            v.nodes[0].ip = "192.168.0.6";
        },
        "nodes[0].ip",
        /NAS/,
    ],
];

describe("bad configs", () => {
    test.each(BAD.map(([what, breakIt, keyPath, pattern]) => [what, keyPath, breakIt, pattern] as const))(
        "%s → names %s",
        (_what, keyPath, breakIt, pattern) => {
            const v = devValues();
            breakIt(v);
            const problems = problemsOf(v);
            const hit = problems.find((p) => p.startsWith(`${keyPath}: `));
            expect(hit).toBeDefined();
            if (pattern) expect(hit).toMatch(pattern);
        },
    );

    test("reports every problem at once", () => {
        const v = devValues();
        const picked = [
            "bad MAC",
            "endpoint not https",
            "Talos pre-release",
            "extension without owner",
            "plain http NAS",
            "lease time too short",
        ];
        for (const [what, breakIt] of BAD) if (picked.includes(what)) breakIt(v);
        const problems = problemsOf(v);
        for (const key of [
            "nodes[0].mac",
            "cluster.endpoint",
            "cluster.talosVersion",
            "image.extensions[5]",
            "synology.url",
            "dhcp.leaseTime",
        ]) {
            expect(problems.some((p) => p.startsWith(`${key}: `))).toBe(true);
        }
    });

    test("an empty config names every required key", () => {
        const problems = problemsOf({});
        for (const key of ["cluster", "image", "synology", "dhcp", "nodes", "synologyPassword"]) {
            expect(problems.some((p) => p.startsWith(`${key}: `))).toBe(true);
        }
    });

    test("never echoes a secret in an error", () => {
        const v = devValues();
        v.nodes[0].mac = "nope";
        v.synologyPassword = { not: "a string" } as any;
        let message = "";
        try {
            parseStackConfig({ ...v, upsPassword: SECRETS.upsPassword });
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).toMatch(/nodes\[0\]\.mac/);
        expect(message).not.toContain(SECRETS.upsPassword);
        try {
            parseStackConfig({ ...devValues(), upsPassword: "hunter2\nhunter3" });
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).toMatch(/upsPassword: must be a single line/);
        expect(message).not.toMatch(/hunter/);
    });
});

describe("Kubernetes version", () => {
    const parse = (talosVersion: string, kubernetesVersion?: string) => {
        const v = devValues();
        v.cluster.talosVersion = talosVersion;
        if (kubernetesVersion !== undefined) v.cluster.kubernetesVersion = kubernetesVersion;
        return parseStackConfig(v).cluster.kubernetesVersion;
    };
    const problem = (talosVersion: string, kubernetesVersion?: string): string => {
        const v = devValues();
        v.cluster.talosVersion = talosVersion;
        if (kubernetesVersion !== undefined) v.cluster.kubernetesVersion = kubernetesVersion;
        const problems = problemsOf(v);
        expect(problems).toHaveLength(1);
        expect(problems[0].startsWith("cluster.kubernetesVersion: ")).toBe(true);
        return problems[0];
    };

    test("unset: the Kubernetes version each Talos release ships with, never the provider's own", () => {
        // The releases the program can run: from v1.12.0, the first with the HostnameConfig it sends.
        const runnable = TALOS_RELEASES.filter((r) => !/^v1\.1[01]\./.test(r.talos));
        expect(runnable.map((r) => r.talos)).toEqual([
            ...Array.from({ length: 12 }, (_, p) => `v1.12.${p}`),
            ...Array.from({ length: 10 }, (_, p) => `v1.13.${p}`),
            "v1.14.0",
        ]);
        for (const r of runnable) expect(parse(r.talos)).toBe(r.kubernetes);
        expect(parse("v1.12.1")).not.toBe("1.36.0");
    });

    test("a 1.14 stack without kubernetesVersion gets that release's default (read at v1.14.0-rc.1)", () => {
        expect(parse("v1.14.0")).toBe("1.37.0-rc.0");
        expect(parse("1.14.1")).toBe("1.37.0-rc.0");
        expect(parse("v1.14.0", "1.37.0")).toBe("1.37.0");
        expect(parse("v1.14.0", "1.32.0")).toBe("1.32.0");
        expect(problem("v1.14.0", "1.31.4")).toContain(
            "Kubernetes 1.31.4 is too old for Talos v1.14.0, which supports Kubernetes 1.32.0 to 1.37.x",
        );
        // A pre-release is the table's default only: typed, it is refused like any other non-release.
        expect(problem("v1.14.0", "1.37.0-rc.0")).toContain("is not a Kubernetes release version");
    });

    test("set inside the release's range: kept, without its leading v", () => {
        expect(parse("v1.12.1", "v1.30.0")).toBe("1.30.0");
        expect(parse("v1.12.1", "1.35.9")).toBe("1.35.9");
        expect(parse("v1.13.0", "1.36.0")).toBe("1.36.0");
    });

    test("too new or too old for the release: refused at preview with the range, in Talos' words", () => {
        const tooNew = problem("v1.12.1", "1.36.0");
        expect(tooNew).toContain(
            "Kubernetes 1.36.0 is too new for Talos v1.12.1, which supports Kubernetes 1.30.0 to 1.35.x",
        );
        expect(tooNew).toContain('"version of Kubernetes 1.36.0 is too new to be used with Talos v1.12.1"');
        expect(tooNew).toContain("remove cluster.kubernetesVersion to use Talos v1.12.1's own, 1.35.0");
        expect(problem("v1.12.1", "1.29.4")).toContain(
            "Kubernetes 1.29.4 is too old for Talos v1.12.1, which supports Kubernetes 1.30.0 to 1.35.x",
        );
    });

    test("a release the table lacks, of a minor it knows: that minor's range and Kubernetes version", () => {
        expect(parse("v1.12.12")).toBe("1.35.4");
        expect(problem("v1.12.12", "1.36.1")).toContain(
            "1.30.0 to 1.35.x (the range of Talos v1.12.11's minor release)",
        );
    });

    test("a minor the table does not know: kubernetesVersion must be set, and is then taken as given", () => {
        const m = problem("v1.15.0");
        expect(m).toContain(
            "is not set, and Talos v1.15.0 is a release this program does not know the Kubernetes versions of",
        );
        expect(m).toContain("covers Talos v1.10, v1.11, v1.12, v1.13, v1.14");
        expect(m).toContain("pulumi config set --path homelab:cluster.kubernetesVersion <version>");
        expect(parse("v1.15.0", "1.38.0")).toBe("1.38.0");
    });
});

describe("cluster timeouts and health checks", () => {
    const KEYS = ["applyTimeout", "bootstrapTimeout", "healthTimeout", "upgradeTimeout"];

    test.each(KEYS)("%s takes any Go duration longer than zero", (key) => {
        for (const d of ["45m", "1h30m", "90s", "1.5h", "2m30.5s", "+5m"]) {
            const v = devValues();
            v.cluster[key] = d;
            expect((parseStackConfig(v).cluster as unknown as Record<string, string>)[key]).toBe(d);
        }
    });

    test.each(KEYS)("%s refuses zero, a negative, a number without unit and words, naming the key", (key) => {
        for (const [d, words] of [
            ["0", "longer than zero"],
            ["0s", "longer than zero"],
            ["-5m", "longer than zero"],
            ["30", "not a duration"],
            ["ten minutes", "not a duration"],
            ["5 m", "not a duration"],
        ]) {
            const v = devValues();
            v.cluster[key] = d;
            expect(problemsOf(v)).toEqual([
                expect.stringMatching(new RegExp(`^cluster\\.${key}: "${d.replace(/[+.]/g, "\\$&")}" .*${words}`)),
            ]);
        }
    });

    test("healthChecks.kubernetes: true unless turned off", () => {
        const v = devValues();
        v.cluster.healthChecks = { kubernetes: false };
        expect(parseStackConfig(v).cluster.healthChecks).toEqual({ kubernetes: false });
        v.cluster.healthChecks = JSON.stringify({ kubernetes: "false" });
        expect(parseStackConfig(v).cluster.healthChecks).toEqual({ kubernetes: false });
        v.cluster.healthChecks = { kubernets: false };
        expect(problemsOf(v)).toEqual([
            expect.stringMatching(
                /^cluster\.healthChecks\.kubernets: .*did you mean cluster\.healthChecks\.kubernetes\?/,
            ),
        ]);
        v.cluster.healthChecks = { kubernetes: "sometimes" };
        expect(problemsOf(v)).toEqual([
            expect.stringMatching(/^cluster\.healthChecks\.kubernetes: must be true or false/),
        ]);
    });
});

describe("cluster.upgradePath", () => {
    test("stepwise unless set; direct when set", () => {
        const v = devValues();
        expect(parseStackConfig(v).cluster.upgradePath).toBe("stepwise");
        v.cluster.upgradePath = "direct";
        expect(parseStackConfig(v).cluster.upgradePath).toBe("direct");
    });

    test.each(["Direct", "skip", "1.13"])("refuses %s, naming the key and the values it takes", (value) => {
        const v = devValues();
        v.cluster.upgradePath = value;
        expect(problemsOf(v)).toEqual([`cluster.upgradePath: must be one of stepwise, direct, got "${value}"`]);
    });

    test("a misspelt key is named with the right one", () => {
        const v = devValues();
        v.cluster.upgradepath = "direct";
        expect(problemsOf(v)).toEqual([
            expect.stringMatching(/^cluster\.upgradepath: .*did you mean cluster\.upgradePath\?/),
        ]);
    });
});

describe("cluster.applyMode and a node's applyMode", () => {
    test("auto unless set; a node may set its own", () => {
        const v = devValues();
        let cfg = parseStackConfig(v);
        expect([cfg.cluster.applyMode, cfg.nodes[0].applyMode]).toEqual(["auto", undefined]);
        v.cluster.applyMode = "staged_if_needing_reboot";
        v.nodes[0].applyMode = "no_reboot";
        cfg = parseStackConfig(v);
        expect([cfg.cluster.applyMode, cfg.nodes[0].applyMode]).toEqual(["staged_if_needing_reboot", "no_reboot"]);
    });

    test.each([
        ["cluster.applyMode", "staged-if-needing-reboot"],
        ["cluster.applyMode", "NO_REBOOT"],
        ["nodes[0].applyMode", "try"],
    ])("%s refuses %s, naming the key and the values the provider takes", (key, value) => {
        const v = devValues();
        if (key.startsWith("cluster")) v.cluster.applyMode = value;
        else v.nodes[0].applyMode = value;
        expect(problemsOf(v)).toEqual([
            `${key}: must be one of auto, reboot, no_reboot, staged, staged_if_needing_reboot, got "${value}"`,
        ]);
    });

    test("reboot is refused from Talos 1.14 on (Talos dropped it), where it is set; before 1.14 it is taken", () => {
        const v = devValues();
        v.cluster.applyMode = "reboot";
        v.nodes[0].applyMode = "reboot";
        expect(parseStackConfig(v).cluster.applyMode).toBe("reboot"); // v1.12.1
        v.cluster.talosVersion = "v1.14.0";
        const problems = problemsOf(v);
        expect(problems).toEqual([
            expect.stringMatching(
                /^cluster\.applyMode: reboot is refused by Talos v1\.14\.0 \(cluster\.talosVersion\)/,
            ),
            expect.stringMatching(/^nodes\[0\]\.applyMode: reboot is refused by Talos v1\.14\.0/),
        ]);
        expect(problems[0]).toContain("use auto (the default)");
        v.cluster.applyMode = "staged_if_needing_reboot";
        delete v.nodes[0].applyMode;
        expect(parseStackConfig(v).cluster.applyMode).toBe("staged_if_needing_reboot");
    });
});

describe("cluster.workloadIsolation", () => {
    test("unset unless set (index.ts decides from the cluster's history); true or false on Talos 1.14", () => {
        const v = devValues();
        expect(parseStackConfig(v).cluster).not.toHaveProperty("workloadIsolation");
        v.cluster.talosVersion = "v1.14.0";
        for (const value of [true, false, "false"]) {
            v.cluster.workloadIsolation = value;
            expect(parseStackConfig(v).cluster.workloadIsolation).toBe(value === true);
        }
    });

    test("true before Talos 1.14 is refused with the way out; a non-boolean is refused", () => {
        const v = devValues();
        v.cluster.workloadIsolation = true;
        expect(problemsOf(v)).toEqual([
            expect.stringMatching(
                /^cluster\.workloadIsolation: Talos v1\.12\.1 has no workload isolation .*v1\.14\.0 or later/,
            ),
        ]);
        v.cluster.workloadIsolation = false; // off where there is none: nothing to refuse
        expect(parseStackConfig(v).cluster.workloadIsolation).toBe(false);
        v.cluster.workloadIsolation = "yes";
        expect(problemsOf(v)).toEqual(['cluster.workloadIsolation: must be true or false, got string "yes"']);
    });
});

describe("addresses no machine would answer on", () => {
    const CASES: RefusalCase[] = [
        ...PLACEHOLDER_MACS.map((mac): RefusalCase => [
            `placeholder MAC ${mac}, written in capitals with dashes`,
            (v) => {
                v.nodes[0].mac = mac.toUpperCase().replace(/:/g, "-");
            },
            "nodes[0].mac",
            /is a placeholder.*real MAC address of the machine's network card/,
        ]),
        [
            "a multicast MAC",
            (v) => {
                v.nodes[0].mac = "01:00:5e:00:00:fb";
            },
            "nodes[0].mac",
            /multicast \(group\) address: the lowest bit of its first byte \(01\)/,
        ],
        [
            "a MAC of all zeros",
            (v) => {
                v.nodes[0].mac = "000000000000";
            },
            "nodes[0].mac",
            /all zeros/,
        ],
        [
            "the broadcast MAC",
            (v) => {
                v.nodes[0].mac = "FF:FF:FF:FF:FF:FF";
            },
            "nodes[0].mac",
            /broadcast address, which no network card carries/,
        ],
        [
            "a reservation's multicast MAC",
            (v) => {
                v.dhcp.extraReservations = [reservation("192.168.0.50", "33:33:00:00:00:01")];
            },
            "dhcp.extraReservations[0].mac",
            /multicast/,
        ],
        [
            "a node on the subnet's network address",
            (v) => {
                v.nodes.push(worker("192.168.0.0"));
            },
            "nodes[1].ip",
            /network address of dhcp.subnet 192.168.0.0\/24, which no machine can have; use one of its host addresses, 192.168.0.1 to 192.168.0.254/,
        ],
        [
            "a node on the subnet's broadcast address",
            (v) => {
                v.nodes.push(worker("192.168.0.255"));
            },
            "nodes[1].ip",
            /broadcast address of dhcp.subnet/,
        ],
        [
            "a reservation on the broadcast address",
            (v) => {
                v.dhcp.extraReservations = [reservation("192.168.0.255")];
            },
            "dhcp.extraReservations[0].ip",
            /broadcast address of dhcp.subnet/,
        ],
        [
            "the gateway on the network address",
            (v) => {
                v.dhcp.gateway = "192.168.0.0";
            },
            "dhcp.gateway",
            /network address of dhcp.subnet/,
        ],
        [
            "the range ending on the broadcast address",
            (v) => {
                v.dhcp.rangeEnd = "192.168.0.255";
            },
            "dhcp.rangeEnd",
            /broadcast address of dhcp.subnet/,
        ],
        [
            "a node inside the DHCP range",
            (v) => {
                v.nodes.push(worker("192.168.0.100"));
            },
            "nodes[1].ip",
            /inside the DHCP range 192.168.0.100-192.168.0.199 .*leased it to another device.*pick an address outside the range/,
        ],
        [
            "a reservation inside the DHCP range",
            (v) => {
                v.dhcp.extraReservations = [reservation("192.168.0.199")];
            },
            "dhcp.extraReservations[0].ip",
            /inside the DHCP range/,
        ],
        [
            "a reservation on the NAS's address",
            (v) => {
                v.dhcp.extraReservations = [reservation("192.168.0.6")];
            },
            "dhcp.extraReservations[0].ip",
            /NAS's own address/,
        ],
        [
            "the endpoint on a worker",
            (v) => {
                v.nodes.push(worker("192.168.0.3"));
                v.cluster.endpoint = "https://192.168.0.3:6443";
            },
            "cluster.endpoint",
            /nodes\[1\] \(w-3\), a worker; the Kubernetes API runs on control planes only; use a control plane's address \(192.168.0.2\)/,
        ],
        [
            "the endpoint outside the subnet",
            (v) => {
                v.cluster.endpoint = "https://10.0.0.2:6443";
            },
            "cluster.endpoint",
            /neither a control plane's address nor inside dhcp.subnet 192.168.0.0\/24.*DNS name/,
        ],
        [
            "the endpoint on the gateway",
            (v) => {
                v.cluster.endpoint = "https://192.168.0.1:6443";
            },
            "cluster.endpoint",
            /gateway's address/,
        ],
        [
            "the endpoint on the NAS",
            (v) => {
                v.cluster.endpoint = "https://192.168.0.6:6443";
            },
            "cluster.endpoint",
            /NAS's own address/,
        ],
        [
            "the endpoint on a reservation",
            (v) => {
                v.dhcp.extraReservations = [reservation("192.168.0.50")];
                v.cluster.endpoint = "https://192.168.0.50:6443";
            },
            "cluster.endpoint",
            /reserved for dhcp.extraReservations\[0\] \(printer\)/,
        ],
        [
            "the endpoint inside the DHCP range",
            (v) => {
                v.cluster.endpoint = "https://192.168.0.150:6443";
            },
            "cluster.endpoint",
            /inside the DHCP range/,
        ],
        [
            "the endpoint on the broadcast address",
            (v) => {
                v.cluster.endpoint = "https://192.168.0.255:6443";
            },
            "cluster.endpoint",
            /broadcast address of dhcp.subnet/,
        ],
        [
            "the endpoint on loopback",
            (v) => {
                v.cluster.endpoint = "https://127.0.0.1:6443";
            },
            "cluster.endpoint",
            /loopback address/,
        ],
        [
            "Wake-on-LAN outside the subnet",
            (v) => {
                v.cluster.wakeOnLanBroadcast = "10.0.0.255";
            },
            "cluster.wakeOnLanBroadcast",
            /outside dhcp.subnet 192.168.0.0\/24.*use 192.168.0.255 \(the default: remove the setting\)/,
        ],
        [
            "Wake-on-LAN to a host address",
            (v) => {
                v.cluster.wakeOnLanBroadcast = "192.168.0.2";
            },
            "cluster.wakeOnLanBroadcast",
            /host address of dhcp.subnet.*answers no ARP/,
        ],
        [
            "Wake-on-LAN to a host address, the cluster given as JSON text (as `pulumi config` stores it)",
            (v) => {
                v.cluster = JSON.stringify({ ...v.cluster, wakeOnLanBroadcast: "192.168.0.2" });
            },
            "cluster.wakeOnLanBroadcast",
            /host address of dhcp.subnet/,
        ],
        [
            "a DNS server on the network address",
            (v) => {
                v.dhcp.dns = ["192.168.0.0"];
            },
            "dhcp.dns[0]",
            /network address of dhcp.subnet.*not a DNS server's; give the address of your router or DNS server, e.g. 192.168.0.1/,
        ],
        [
            "a DNS server on the broadcast address",
            (v) => {
                v.dhcp.dns = ["192.168.0.1", "192.168.0.255"];
            },
            "dhcp.dns[1]",
            /broadcast address/,
        ],
        [
            "a multicast DNS server",
            (v) => {
                v.dhcp.dns = ["224.0.0.251"];
            },
            "dhcp.dns[0]",
            /multicast address/,
        ],
        [
            "a DNS server 0.0.0.0",
            (v) => {
                v.dhcp.dns = ["0.0.0.0"];
            },
            "dhcp.dns[0]",
            /"this network" address/,
        ],
        [
            "a loopback DNS server on a LAN",
            (v) => {
                v.dhcp.dns = ["127.0.0.53"];
            },
            "dhcp.dns[0]",
            /loopback address: every machine that is handed it asks itself/,
        ],
        [
            "a DNS server twice",
            (v) => {
                v.dhcp.dns = ["1.1.1.1", "192.168.0.1", "1.1.1.1"];
            },
            "dhcp.dns[2]",
            /listed twice/,
        ],
        [
            "a multicast subnet",
            (v) => {
                v.dhcp.subnet = "224.0.0.0/24";
            },
            "dhcp.subnet",
            /multicast address.*not a LAN/,
        ],
        [
            "a link-local subnet",
            (v) => {
                v.dhcp.subnet = "169.254.0.0/16";
            },
            "dhcp.subnet",
            /link-local/,
        ],
    ];

    testRefusals(CASES);

    test("all of them at once, each under its own key", () => {
        const v = devValues();
        const picked = [
            "a multicast MAC",
            "a node inside the DHCP range",
            "the endpoint outside the subnet",
            "Wake-on-LAN outside the subnet",
            "a multicast DNS server",
        ];
        for (const [what, breakIt] of CASES) if (picked.includes(what)) breakIt(v);
        const keys = problemsOf(v).map((p) => p.slice(0, p.indexOf(": ")));
        expect(keys.sort()).toEqual([
            "cluster.endpoint",
            "cluster.wakeOnLanBroadcast",
            "dhcp.dns[0]",
            "nodes[0].mac",
            "nodes[1].ip",
        ]);
    });

    test.each([
        [
            "an endpoint that is a free address of the subnet (a VIP)",
            (v: Record<string, any>) => {
                v.cluster.endpoint = "https://192.168.0.5:6443";
            },
        ],
        [
            "an endpoint given as a DNS name",
            (v: Record<string, any>) => {
                v.cluster.endpoint = "https://k8s.home.arpa:6443";
            },
        ],
        [
            "the endpoint on the second of two control planes",
            (v: Record<string, any>) => {
                v.nodes.push(worker("192.168.0.3", { role: "controlplane" }));
                v.cluster.endpoint = "https://192.168.0.3:6443";
            },
        ],
        [
            "Wake-on-LAN to the subnet's broadcast, said explicitly",
            (v: Record<string, any>) => {
                v.cluster.wakeOnLanBroadcast = "192.168.0.255";
            },
        ],
        [
            "Wake-on-LAN to the limited broadcast",
            (v: Record<string, any>) => {
                v.cluster.wakeOnLanBroadcast = "255.255.255.255";
            },
        ],
        [
            "a DNS server outside the subnet",
            (v: Record<string, any>) => {
                v.dhcp.dns = ["1.1.1.1", "9.9.9.9"];
            },
        ],
        [
            "a locally administered MAC (a virtual machine's)",
            (v: Record<string, any>) => {
                v.nodes[0].mac = "52:54:00:12:34:56";
            },
        ],
        [
            "reservations just outside the range",
            (v: Record<string, any>) => {
                v.dhcp.extraReservations = [
                    reservation("192.168.0.99"),
                    reservation("192.168.0.200", "d8:3a:dd:5e:c0:02", "scanner"),
                ];
            },
        ],
        [
            "a rehearsal on loopback: subnet, nodes, endpoint and DNS all in 127.0.0.0/24",
            (v: Record<string, any>) => {
                v.dhcp = {
                    subnet: "127.0.0.0/24",
                    rangeStart: "127.0.0.100",
                    rangeEnd: "127.0.0.199",
                    gateway: "127.0.0.254",
                    dns: ["127.0.0.254"],
                };
                v.nodes[0].ip = "127.0.0.10";
                v.cluster.endpoint = "https://127.0.0.10:6443";
                v.synology.url = "https://127.0.0.1:5001";
            },
        ],
    ])("fine: %s", (_what, change) => {
        const v = devValues();
        change(v);
        expect(() => parseStackConfig(v)).not.toThrow();
    });
});

describe("address helpers", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));

    test("ipToInt and intToIp are inverse", () => {
        fc.assert(fc.property(ip, (a) => intToIp(ipToInt(a)) === a));
    });

    test("a CIDR contains its host addresses and not its network or broadcast address", () => {
        fc.assert(
            fc.property(ip, fc.integer({ min: 8, max: 30 }), (a, prefix) => {
                const cidr = parseCidr(`${a}/${prefix}`)!;
                expect(cidrContains(cidr, intToIp(cidr.network))).toBe(false);
                expect(cidrContains(cidr, intToIp(cidr.broadcast))).toBe(false);
                expect(cidrContains(cidr, intToIp(cidr.network + 1))).toBe(true);
                expect(
                    cidrContains(
                        cidr,
                        intToIp(cidr.broadcast + 1 > 0xffffffff ? cidr.network - 1 : cidr.broadcast + 1),
                    ),
                ).toBe(false);
            }),
        );
    });

    test("normaliseMac accepts every separator style and case, and gives one form", () => {
        const hex = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 });
        fc.assert(
            fc.property(hex, fc.constantFrom(":", "-", ""), fc.boolean(), (bytes, sep, upper) => {
                const pairs = bytes.map((b) => b.toString(16).padStart(2, "0"));
                const text = pairs.join(sep);
                expect(normaliseMac(upper ? text.toUpperCase() : text)).toBe(pairs.join(":"));
            }),
        );
    });

    test("suggests the closest key", () => {
        expect(closest("enpoint", ["name", "endpoint"])).toBe("endpoint");
        expect(closest("zzzzzz", ["name", "endpoint"])).toBeUndefined();
    });
});

describe("Pulumi.yaml", () => {
    const project = YAML.parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"));

    test("is valid against Pulumi's project schema", () => {
        const ajv = new Ajv2020({ strict: false });
        const validate = ajv.compile(readReferenceJson<object>("pulumi-project-schema.json"));
        expect(validate.errors ?? []).toEqual([]);
        expect(validate(project)).toBe(true);
    });

    test("names the project homelab and declares the DSM password as a secret", () => {
        expect(project.name).toBe("homelab");
        expect(project.config.synologyPassword).toMatchObject({ type: "string", secret: true });
    });
});
