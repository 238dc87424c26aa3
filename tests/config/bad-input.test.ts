/**
 * Bad input, round 3 (issue 24): what a homelab owner really types when copying values between a router, DSM's UI,
 * a switch and `talosctl`. Each case breaks one thing in a valid stack and names the key path its message must carry
 * and what the message must say; every one is refused by parseStackConfig, so `preview` and `up` stop before any
 * remote call. The must-accept cases below are correct stacks that must pass.
 */
import { parseStackConfig } from "../../components/config";
import { devValues, problemsOf, REAL_MAC, RefusalCase, reservation, testRefusals, Values, worker } from "./values";

const patch = (v: Values, text: string) => {
    v.nodes[0].patches = [text];
};

/** `[case, mutate, keyPath, /message/]`: the message under `keyPath` must match. */
const ROUND3: RefusalCase[] = [
    // The same machine or address twice in another spelling.
    [
        "the node's MAC again on a worker, upper case with dashes",
        (v) => v.nodes.push(worker("192.168.0.3", { mac: "D8-3A-DD-5E-A0-01" })),
        "nodes[1].mac",
        /d8:3a:dd:5e:a0:01 is also used by nodes\[0\]; each mac must be unique/,
    ],
    [
        "the node's MAC on a reservation, in the switch's dotted form",
        (v) => {
            v.dhcp.extraReservations = [reservation("192.168.0.50", "d83a.dd5e.a001")];
        },
        "dhcp.extraReservations[0].mac",
        /d8:3a:dd:5e:a0:01 is also used by nodes\[0\]/,
    ],
    [
        "two reservations of one MAC, dotted and dashed",
        (v) => {
            v.dhcp.extraReservations = [
                reservation("192.168.0.50", "d83a.dd5e.c001"),
                reservation("192.168.0.51", "D8-3A-DD-5E-C0-01", "scanner"),
            ];
        },
        "dhcp.extraReservations[1].mac",
        /also used by dhcp\.extraReservations\[0\]/,
    ],
    [
        "a reservation on the node's IP",
        (v) => {
            v.dhcp.extraReservations = [reservation("192.168.0.2")];
        },
        "dhcp.extraReservations[0].ip",
        /192\.168\.0\.2 is also used by nodes\[0\]/,
    ],
    [
        "a reservation with the node's hostname",
        (v) => {
            v.dhcp.extraReservations = [reservation("192.168.0.50", undefined, "talos-cp-1")];
        },
        "dhcp.extraReservations[0].hostname",
        /talos-cp-1 is also used by nodes\[0\]/,
    ],
    // Addresses the DHCP server may lease to someone else (the range is inclusive at both ends).
    [
        "a node on the first address of the range",
        (v) => v.nodes.push(worker("192.168.0.100")),
        "nodes[1].ip",
        /inside the DHCP range 192\.168\.0\.100-192\.168\.0\.199/,
    ],
    [
        "a reservation on the last address of the range",
        (v) => {
            v.dhcp.extraReservations = [reservation("192.168.0.199")];
        },
        "dhcp.extraReservations[0].ip",
        /inside the DHCP range/,
    ],
    [
        "an endpoint VIP on the first address of the range",
        (v) => {
            v.cluster.endpoint = "https://192.168.0.100:6443";
        },
        "cluster.endpoint",
        /inside the DHCP range/,
    ],
    // An endpoint no worker can reach.
    [
        "the endpoint on a worker",
        (v) => {
            v.nodes.push(worker("192.168.0.3"));
            v.cluster.endpoint = "https://192.168.0.3:6443";
        },
        "cluster.endpoint",
        /a worker; the Kubernetes API runs on control planes only/,
    ],
    [
        "the endpoint outside the subnet, no control plane's",
        (v) => {
            v.cluster.endpoint = "https://10.0.0.2:6443";
        },
        "cluster.endpoint",
        /neither a control plane's address nor inside dhcp\.subnet/,
    ],
    [
        "the endpoint on localhost",
        (v) => {
            v.cluster.endpoint = "https://localhost:6443";
        },
        "cluster.endpoint",
        /localhost is the machine that asks.*use a control plane's address \(192\.168\.0\.2\)/,
    ],
    [
        "the endpoint on IPv6 loopback",
        (v) => {
            v.cluster.endpoint = "https://[::1]:6443";
        },
        "cluster.endpoint",
        /\[::1\] is the machine that asks/,
    ],
    [
        "the endpoint on IPv4 loopback",
        (v) => {
            v.cluster.endpoint = "https://127.0.0.1:6443";
        },
        "cluster.endpoint",
        /loopback address/,
    ],
    [
        "a path after the endpoint's port",
        (v) => {
            v.cluster.endpoint = "https://192.168.0.2:6443/api";
        },
        "cluster.endpoint",
        /has a path \(\/api\).*https:\/\/192\.168\.0\.2:6443/,
    ],
    // Wake-on-LAN.
    [
        "Wake-on-LAN to another subnet's broadcast",
        (v) => {
            v.cluster.wakeOnLanBroadcast = "192.168.1.255";
        },
        "cluster.wakeOnLanBroadcast",
        /outside dhcp\.subnet 192\.168\.0\.0\/24.*use 192\.168\.0\.255/,
    ],
    [
        "Wake-on-LAN to a host address",
        (v) => {
            v.cluster.wakeOnLanBroadcast = "192.168.0.2";
        },
        "cluster.wakeOnLanBroadcast",
        /host address of dhcp\.subnet/,
    ],
    // Versions.
    [
        "a Talos release older than the HostnameConfig the program sends",
        (v) => {
            v.cluster.talosVersion = "v1.11.5";
        },
        "cluster.talosVersion",
        /v1\.11\.5 is older than v1\.12\.0.*HostnameConfig.*use v1\.12\.0 or later/,
    ],
    [
        "the Talos version typed into the Kubernetes field",
        (v) => {
            v.cluster.kubernetesVersion = "v1.12.1";
        },
        "cluster.kubernetesVersion",
        /"v1\.12\.1" is a Talos version \(cluster\.talosVersion's\), not a Kubernetes one.*remove cluster\.kubernetesVersion/,
    ],
    [
        "another Talos release typed into the Kubernetes field",
        (v) => {
            v.cluster.kubernetesVersion = "1.11.5";
        },
        "cluster.kubernetesVersion",
        /"1\.11\.5" looks like a Talos version, not a Kubernetes one/,
    ],
    // Extensions.
    [
        "an extension as its image reference",
        (v) => {
            v.image.extensions[0] = "ghcr.io/siderolabs/i915:20250701-v1.12.1";
        },
        "image.extensions[0]",
        /is an image reference.*owner\/name.*siderolabs\/i915/,
    ],
    [
        "an extension with a tag",
        (v) => {
            v.image.extensions[0] = "siderolabs/i915:v1.12.1";
        },
        "image.extensions[0]",
        /is an image reference.*siderolabs\/i915/,
    ],
    [
        "an extension behind a registry host",
        (v) => {
            v.image.extensions[0] = "docker.io/siderolabs/i915";
        },
        "image.extensions[0]",
        /is an image reference.*siderolabs\/i915/,
    ],
    // NAS values DSM cannot take.
    [
        "the share homes",
        (v) => {
            v.synology.share = "homes";
        },
        "synology.share",
        /"homes" is a name DSM reserves.*pick another name, e\.g\. pxe/,
    ],
    [
        "the share Surveillance (DSM's names are case-insensitive)",
        (v) => {
            v.synology.share = "Surveillance";
        },
        "synology.share",
        /reserves/,
    ],
    [
        "a share named like an external drive's",
        (v) => {
            v.synology.share = "usbshare1";
        },
        "synology.share",
        /usbshare.*external drive/,
    ],
    [
        "a volume without its slash",
        (v) => {
            v.synology.volume = "volume1";
        },
        "synology.volume",
        /must be a DSM volume path like \/volume1/,
    ],
    [
        "a folder where the volume belongs",
        (v) => {
            v.synology.volume = "/volume1/pxe";
        },
        "synology.volume",
        /a folder.*synology\.volume: \/volume1 and synology\.share: pxe/,
    ],
    [
        "a DSM URL without a scheme",
        (v) => {
            v.synology.url = "192.168.0.6:5001";
        },
        "synology.url",
        /has no scheme; write https:\/\/192\.168\.0\.6:5001/,
    ],
    [
        "a DSM URL with a host name and no scheme",
        (v) => {
            v.synology.url = "nas.home.arpa:5001";
        },
        "synology.url",
        /has no scheme; write https:\/\/nas\.home\.arpa:5001/,
    ],
    [
        "a DSM URL with a user and password in it",
        (v) => {
            v.synology.url = "https://admin:hunter2@192.168.0.6:5001";
        },
        "synology.url",
        /holds a user name and password.*in clear.*https:\/\/192\.168\.0\.6:5001.*synology\.username.*--secret homelab:synologyPassword/,
    ],
    [
        "DSM's label where the interface name belongs",
        (v) => {
            v.synology.interface = "LAN 1";
        },
        "synology.interface",
        /"LAN 1" is DSM's label for the port.*eth0/,
    ],
    [
        "a file path where the PEM text belongs",
        (v) => {
            v.synology.tls = { caCertPem: "/home/me/nas.pem" };
        },
        "synology.tls.caCertPem",
        /is a file path, not the certificate.*"\$\(cat \/home\/me\/nas\.pem\)"/,
    ],
    // DHCP values DSM's DHCPv4 server cannot use.
    [
        "a DNS server listed twice",
        (v) => {
            v.dhcp.dns = ["192.168.0.1", "192.168.0.1"];
        },
        "dhcp.dns[1]",
        /listed twice/,
    ],
    [
        "an IPv6 DNS server",
        (v) => {
            v.dhcp.dns = ["192.168.0.1", "2606:4700:4700::1111"];
        },
        "dhcp.dns[1]",
        /IPv6 address.*DHCPv4 server hands out IPv4 DNS servers only/,
    ],
    [
        "a lease of 0",
        (v) => {
            v.dhcp.leaseTime = 0;
        },
        "dhcp.leaseTime",
        /at least 120/,
    ],
    // Install targets Talos refuses.
    [
        "a partition as install disk (sd)",
        (v) => {
            v.nodes[0].installDisk = "/dev/sda1";
        },
        "nodes[0].installDisk",
        /\/dev\/sda1 is a partition; Talos installs to a whole disk.*: \/dev\/sda$/,
    ],
    [
        "a partition as install disk (nvme)",
        (v) => {
            v.nodes[0].installDisk = "/dev/nvme0n1p1";
        },
        "nodes[0].installDisk",
        /partition.*\/dev\/nvme0n1\b/,
    ],
    [
        "a partition as install disk (by-id)",
        (v) => {
            v.nodes[0].installDisk = "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64A-part2";
        },
        "nodes[0].installDisk",
        /partition.*\/dev\/disk\/by-id\/nvme-Samsung_SSD_980_1TB_S64A\b/,
    ],
    [
        "a disk-selector size Talos cannot parse",
        (v) => {
            delete v.nodes[0].installDisk;
            v.nodes[0].installDiskSelector = { size: "1 terabyte" };
        },
        "nodes[0].installDiskSelector.size",
        /"1 terabyte" is not a size Talos reads.*>= 1TB/,
    ],
    [
        "a disk-selector size with an operator Talos lacks",
        (v) => {
            delete v.nodes[0].installDiskSelector;
            delete v.nodes[0].installDisk;
            v.nodes[0].installDiskSelector = { size: "=> 500GB" };
        },
        "nodes[0].installDiskSelector.size",
        /not a size Talos reads/,
    ],
    ["an empty item in the nodes list", (v) => v.nodes.push(null), "nodes[1]", /is an empty item.*remove the lone -/],
    [
        "a hostname written as an FQDN",
        (v) => {
            v.nodes[0].hostname = "talos-cp-1.home.arpa";
        },
        "nodes[0].hostname",
        /fully qualified.*talos-cp-1\b.*dhcp\.domain/,
    ],
    [
        "a hostname that is not ASCII",
        (v) => {
            v.nodes[0].hostname = "tälos-cp-1";
        },
        "nodes[0].hostname",
        /not ASCII \(ä\)/,
    ],
    // Patches, checked without the schema and without the network.
    [
        "a patch that is not YAML",
        (v) => patch(v, "machine:\n  install: [wipe: true\n"),
        "nodes[0].patches[0]",
        /YAML syntax error/,
    ],
    [
        "a patch with a key twice",
        (v) => patch(v, "machine:\n  install:\n    wipe: true\nmachine:\n  kubelet: {}\n"),
        "nodes[0].patches[0]",
        /Map keys must be unique/,
    ],
    [
        "an RFC 6902 patch",
        (v) => patch(v, '[{"op": "add", "path": "/machine/install/wipe", "value": true}]'),
        "nodes[0].patches[0]",
        /JSON patches \(RFC 6902\) only to a single-document machine config/,
    ],
    [
        "a patch setting another install disk",
        (v) => patch(v, "machine:\n  install:\n    disk: /dev/sdb\n"),
        "nodes[0].patches[0]",
        /machine\.install\.disk \/dev\/sdb contradicts nodes\[0\]\.installDisk \(\/dev\/nvme0n1\)/,
    ],
    [
        "a patch adding a disk selector to a node with an install disk",
        (v) => patch(v, "machine:\n  install:\n    diskSelector:\n      type: ssd\n"),
        "nodes[0].patches[0]",
        /machine\.install\.diskSelector contradicts nodes\[0\]\.installDisk/,
    ],
    [
        "a patch setting the installer image",
        (v) => patch(v, "machine:\n  install:\n    image: ghcr.io/siderolabs/installer:v1.12.1\n"),
        "nodes[0].patches[0]",
        /machine\.install\.image .*contradicts the installer image the program sets.*image\.extensions.*cluster\.talosVersion/,
    ],
    [
        "a patch with a HostnameConfig of another name",
        (v) => patch(v, "apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: cp-one\nauto: off\n"),
        "nodes[0].patches[0]",
        /HostnameConfig hostname cp-one contradicts nodes\[0\]\.hostname \(talos-cp-1\)/,
    ],
    [
        "a patch with machine.network.hostname",
        (v) => patch(v, "machine:\n  network:\n    hostname: cp-one\n"),
        "nodes[0].patches[0]",
        /machine\.network\.hostname cannot be set here/,
    ],
    // The rest.
    [
        "keep no etcd snapshot",
        (v) => {
            v.backups = { etcd: { keep: 0 } };
        },
        "backups.etcd.keep",
        /at least 1/,
    ],
    [
        "the CSI driver version latest",
        (v) => {
            v.workloads.synologyCsi.version = "latest";
        },
        "workloads.synologyCsi.version",
        /"latest" is not a synology\/synology-csi release tag.*v1\.2\.1/,
    ],
    [
        "the CSI driver version latest, with CSI off",
        (v) => {
            v.workloads.synologyCsi = { enabled: false, version: "latest" };
        },
        "workloads.synologyCsi.version",
        /release tag/,
    ],
    [
        "a misspelt secret key",
        (v) => {
            v.synologyPasword = v.synologyPassword;
            delete v.synologyPassword;
        },
        "homelab.synologyPasword",
        /is not a known setting — did you mean homelab\.synologyPassword\?/,
    ],
    // Secrets of blanks only are missing.
    [
        "a DSM user of blanks",
        (v) => {
            v.synology.username = "   ";
        },
        "synology.username",
        /is blank/,
    ],
    [
        "a DSM password of blanks",
        (v) => {
            v.synologyPassword = "   ";
        },
        "synologyPassword",
        /is blank \(spaces only\).*pulumi config set --secret homelab:synologyPassword/,
    ],
    [
        "a UPS password of blanks",
        (v) => {
            v.upsPassword = " \t ";
        },
        "upsPassword",
        /is blank \(spaces only\).*--secret homelab:upsPassword/,
    ],
];

describe("round 3: what a homelab owner really types is refused, each under its key with the fix", () => {
    testRefusals(ROUND3);

    test("many of them at once, in one error, each under its own key", () => {
        const picked = [
            "the endpoint on localhost",
            "a Talos release older than the HostnameConfig the program sends",
            "an extension as its image reference",
            "the share homes",
            "a DSM URL with a user and password in it",
            "an IPv6 DNS server",
            "a disk-selector size Talos cannot parse",
            "a patch setting the installer image",
            "keep no etcd snapshot",
            "the CSI driver version latest",
            "a misspelt secret key",
            "a UPS password of blanks",
        ];
        const v = devValues();
        const keys: string[] = [];
        for (const [what, breakIt, key] of ROUND3) {
            if (!picked.includes(what)) continue;
            breakIt(v);
            keys.push(key);
        }
        expect(keys).toHaveLength(picked.length);
        const problems = problemsOf(v).map((p) => p.slice(0, p.indexOf(": ")));
        // The misspelt DSM password is also missing under its right name.
        expect(problems.sort()).toEqual([...keys, "synologyPassword"].sort());
    });

    test("a password in the DSM URL never reaches a message", () => {
        const v = devValues();
        v.synology.url = "https://admin:hunter2@192.168.0.6:5001";
        v.synologyPassword = "hunter2 ";
        v.nodes[0].mac = "nope";
        expect(problemsOf(v).join("\n")).not.toContain("hunter2");
    });
});

/** Correct stacks, each one change away from the dev stack: accepted. */
const MUST_ACCEPT: Array<[string, (v: Values) => void]> = [
    [
        "an endpoint given as a DNS name with :443 written out",
        (v) => {
            v.cluster.endpoint = "https://k8s.home.arpa:443";
        },
    ],
    [
        "an endpoint given as a DNS name with its port and a trailing slash",
        (v) => {
            v.cluster.endpoint = "https://k8s.home.arpa:6443/";
        },
    ],
    [
        "the control plane's address on port 443",
        (v) => {
            v.cluster.endpoint = "https://192.168.0.2:443";
        },
    ],
    [
        "a MAC in the switch's dotted form",
        (v) => {
            v.nodes[0].mac = "d83a.dd5e.a001";
        },
    ],
    [
        "a whole disk by id, and by its plain name",
        (v) => {
            v.nodes[0].installDisk = "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64A";
            v.nodes.push(worker("192.168.0.3", { installDisk: "/dev/mmcblk0" }));
        },
    ],
    [
        "disk-selector sizes as Talos writes them",
        (v) => {
            delete v.nodes[0].installDisk;
            v.nodes[0].installDiskSelector = { size: ">= 1TB" };
            v.nodes.push(worker("192.168.0.3", { installDisk: undefined, installDiskSelector: { size: "<=2 TB" } }));
            v.nodes.push(worker("192.168.0.4", { installDisk: undefined, installDiskSelector: { size: "500GiB" } }));
            v.nodes.push(worker("192.168.0.5", { installDisk: undefined, installDiskSelector: { size: "1,000 GB" } }));
        },
    ],
    [
        "a patch that sets what the stack says anyway, and other settings",
        (v) =>
            patch(
                v,
                "machine:\n  install:\n    disk: /dev/nvme0n1\n    wipe: true\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: talos-cp-1\nauto: off\n",
            ),
    ],
    [
        "the first Talos release with HostnameConfig, and the newest the table knows",
        (v) => {
            v.cluster.talosVersion = "v1.12.0";
            v.nodes.push(worker("192.168.0.3"));
        },
    ],
    [
        "Talos 1.13 with its Kubernetes",
        (v) => {
            v.cluster.talosVersion = "1.13.0";
            v.cluster.kubernetesVersion = "1.36.0";
        },
    ],
    [
        "a share whose name only starts like a reserved one",
        (v) => {
            v.synology.share = "homes-pxe";
        },
    ],
    [
        "a DSM URL with a host name, and ovs_eth0",
        (v) => {
            v.synology.url = "https://nas.home.arpa:5001";
            v.synology.interface = "ovs_eth0";
        },
    ],
    [
        "CSI off with a release tag",
        (v) => {
            v.workloads.synologyCsi = { enabled: false, version: "v1.2.1" };
        },
    ],
    [
        "passwords with blanks around and inside",
        (v) => {
            v.synologyPassword = " s3cret ";
            v.upsPassword = "  two words ";
        },
    ],
];

describe("round 3: what must be accepted", () => {
    test.each(MUST_ACCEPT)("%s", (_what, change) => {
        const v = devValues();
        change(v);
        expect(() => parseStackConfig(v)).not.toThrow();
    });

    test("MACs in any spelling become one form, and the endpoint is kept as written", () => {
        const v = devValues();
        v.nodes[0].mac = "D83A.DD5E.A001";
        v.cluster.endpoint = "https://k8s.home.arpa:443";
        const cfg = parseStackConfig(v);
        expect(cfg.nodes[0].mac).toBe(REAL_MAC);
        expect(cfg.cluster.endpoint).toBe("https://k8s.home.arpa:443");
    });

    test("a password is never trimmed or changed: the program has exactly what was typed", () => {
        const v = devValues();
        v.synologyPassword = " s3cret ";
        v.upsPassword = "  two words ";
        const cfg = parseStackConfig(v);
        expect(cfg.synologyPassword).toBe(" s3cret ");
        expect(cfg.upsPassword).toBe("  two words ");
    });
});
