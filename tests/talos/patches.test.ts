import { readReferenceJson } from "../support/reference";
import { parseAllDocuments, parse } from "yaml";
import {
    REDACTED_PASSWORD,
    renderHostnamePatch,
    renderInstallPatch,
    renderNodePatches,
    renderNutClientPatch,
    renderRedactedNodePatches,
    renderUpsmonConf,
    talosVersionContract,
} from "../../components/talos/patches";
import { clusterConfig, nodeConfig } from "../support/fixtures";

/** The cluster every rendering below belongs to (`homelab:cluster` of the seed). */
/** A cluster whose workloads stay off the control planes (as with workers); the scheduling patch has its own test. */
const CLUSTER = clusterConfig({ allowSchedulingOnControlPlanes: false });

const IMAGE =
    "factory.talos.dev/metal-installer/87286864e94c7d661c926a524c8e57f84d608488f0cd654a92b1e5f37d48b868:v1.12.1";

const node = nodeConfig;

describe("install patch", () => {
    test("disk + installer image + wipe false, as machine.install", () => {
        const doc = parse(renderInstallPatch(node(), IMAGE));
        expect(doc).toEqual({ machine: { install: { disk: "/dev/nvme0n1", image: IMAGE, wipe: false } } });
    });

    test("diskSelector instead of disk, empty selector fields dropped", () => {
        const n = node({ installDisk: undefined, installDiskSelector: { type: "nvme", size: ">= 200GB", model: "" } });
        const doc = parse(renderInstallPatch(n, IMAGE));
        expect(doc.machine.install).toEqual({
            diskSelector: { type: "nvme", size: ">= 200GB" },
            image: IMAGE,
            wipe: false,
        });
        expect(doc.machine.install.disk).toBeUndefined();
    });

    test("neither or both disk settings, or a bad image: refused, naming the node (the config layer explains the fix)", () => {
        expect(() => renderInstallPatch(node({ installDisk: undefined }), IMAGE)).toThrow(
            /node talos-cp-1 has neither installDisk nor installDiskSelector/,
        );
        expect(() => renderInstallPatch(node({ installDiskSelector: { type: "ssd" } }), IMAGE)).toThrow(/has both/);
        expect(() => renderInstallPatch(node(), "")).toThrow(/not an image reference/);
        expect(() => renderInstallPatch(node(), "a b")).toThrow(/"a b" is not an image reference/);
    });
});

test("hostname patch is a HostnameConfig document with auto off", () => {
    expect(parse(renderHostnamePatch("talos-w-2"))).toEqual({
        apiVersion: "v1alpha1",
        kind: "HostnameConfig",
        auto: "off",
        hostname: "talos-w-2",
    });
});

describe("nut-client ExtensionServiceConfig", () => {
    const ups = { monitor: "ups@192.168.0.6", username: "monuser" };

    test("exactly the seed's document", () => {
        const doc = parse(renderNutClientPatch(ups, "secret"));
        expect(doc).toEqual({
            apiVersion: "v1alpha1",
            kind: "ExtensionServiceConfig",
            name: "nut-client",
            configFiles: [
                {
                    content: 'MONITOR ups@192.168.0.6 1 monuser secret secondary\nSHUTDOWNCMD "/sbin/poweroff"',
                    mountPath: "/usr/local/etc/nut/upsmon.conf",
                },
            ],
        });
    });

    test("a password with spaces or quotes is quoted for upsmon, and YAML keeps it intact", () => {
        const conf = renderUpsmonConf(ups, 'p a"ss');
        expect(conf.split("\n")[0]).toBe('MONITOR ups@192.168.0.6 1 monuser "p a\\"ss" secondary');
        expect(parse(renderNutClientPatch(ups, 'p a"ss')).configFiles[0].content).toBe(conf);
    });

    test("what would break the MONITOR line is refused, without echoing the password", () => {
        let err: unknown;
        try {
            renderNutClientPatch(ups, "line1\nhunter2");
        } catch (e) {
            err = e;
        }
        expect(String((err as Error).message)).toMatch(/UPS password is empty or not one line/);
        expect(String((err as Error).message)).not.toMatch(/hunter2|line1/);
        expect(() => renderNutClientPatch({ ...ups, monitor: "ups" }, "x")).toThrow(
            /ups\.monitor "ups" is not <upsname>@<host>/,
        );
        expect(() => renderNutClientPatch({ ...ups, username: "a\nb" }, "x")).toThrow(/ups\.username/);
        expect(() => renderNutClientPatch(ups, "")).toThrow(/UPS password is empty/);
    });
});

describe("renderNodePatches", () => {
    const ups = { monitor: "ups@192.168.0.6", username: "monuser" };

    test("cluster.allowSchedulingOnControlPlanes: a patch for each control plane, none for a worker", () => {
        const cluster = { ...CLUSTER, allowSchedulingOnControlPlanes: true };
        const cp = renderNodePatches({ cluster, node: node(), index: 0, installerImage: IMAGE });
        expect(cp.map((p) => p.label)).toContain("cluster.allowSchedulingOnControlPlanes");
        expect(parse(cp.find((p) => p.label === "cluster.allowSchedulingOnControlPlanes")!.text)).toEqual({
            cluster: { allowSchedulingOnControlPlanes: true },
        });
        // After the node's own settings, before the UPS and the node's own patches (which may still override it).
        expect(cp.map((p) => p.label)).toEqual([
            "nodes[0].install",
            "nodes[0].hostname",
            "cluster.allowSchedulingOnControlPlanes",
        ]);
        const worker = renderNodePatches({ cluster, node: node({ role: "worker" }), index: 0, installerImage: IMAGE });
        expect(worker.map((p) => p.label)).not.toContain("cluster.allowSchedulingOnControlPlanes");
        expect(renderNodePatches({ cluster: CLUSTER, node: node(), index: 0, installerImage: IMAGE })).toHaveLength(2);
    });

    test("order, labels and secrecy: install, hostname, ups, then the node's own patches", () => {
        const n = node({
            patches: [
                "machine:\n  kubelet:\n    extraArgs:\n      max-pods: '150'\n",
                '[{"op":"add","path":"/a","value":1}]',
            ],
        });
        const ps = renderNodePatches({
            cluster: CLUSTER,
            node: n,
            index: 3,
            installerImage: IMAGE,
            ups,
            upsPassword: "s3cr3t",
        });
        expect(ps.map((p) => p.label)).toEqual([
            "nodes[3].install",
            "nodes[3].hostname",
            "ups.nutClient",
            "nodes[3].patches[0]",
            "nodes[3].patches[1]",
        ]);
        expect(ps.map((p) => p.secret)).toEqual([false, false, true, false, false]);
        expect(ps[2].text).toContain("s3cr3t");
        // Only the UPS patch holds the password.
        expect(ps.filter((p) => p.text.includes("s3cr3t")).map((p) => p.label)).toEqual(["ups.nutClient"]);
        expect(ps[3].text).toBe(n.patches[0]);
        expect(parse(ps[0].text).machine.install.image).toBe(IMAGE);
        expect(parse(ps[1].text).hostname).toBe("talos-cp-1");
    });

    test("without ups there is no nut-client patch", () => {
        const ps = renderNodePatches({ cluster: CLUSTER, node: node(), index: 0, installerImage: IMAGE });
        expect(ps.map((p) => p.label)).toEqual(["nodes[0].install", "nodes[0].hostname"]);
        const kinds = ps.flatMap((p) => parseAllDocuments(p.text).map((d) => d.toJS()?.kind));
        expect(kinds).not.toContain("ExtensionServiceConfig");
    });

    test("ups without password is refused; the redacted rendering needs none and hides it", () => {
        expect(() =>
            renderNodePatches({ cluster: CLUSTER, node: node(), index: 0, installerImage: IMAGE, ups }),
        ).toThrow(/ups is set but no UPS password was given/);
        const red = renderRedactedNodePatches({ cluster: CLUSTER, node: node(), index: 0, installerImage: IMAGE, ups });
        const nut = red.find((p) => p.label === "ups.nutClient")!;
        expect(nut.secret).toBe(false);
        expect(parse(nut.text).configFiles[0].content.split("\n")[0]).toBe(
            `MONITOR ups@192.168.0.6 1 monuser ${REDACTED_PASSWORD} secondary`,
        );
    });
});

test("talosVersionContract keeps major.minor", () => {
    expect(talosVersionContract("v1.12.1")).toBe("v1.12");
    expect(talosVersionContract("1.13.0")).toBe("v1.13");
    // The one release-version parser (components/version.ts): what the config layer refuses, this refuses too.
    for (const bad of ["latest", "v1.12", "v1.12.0-beta.1"])
        expect(() => talosVersionContract(bad)).toThrow(/not a Talos release version/);
});

describe("rendered patches against the Talos v1.12.1 config schema (the project's validator)", () => {
    // Cross-check with components/talos/validate.ts: what we render must be valid Talos config.

    test("install (disk and selector), hostname and nut-client patches validate cleanly", async () => {
        const { validatePatches } = await import("../../components/talos/validate");
        const schema = readReferenceJson<Record<string, unknown>>("talos-config-schema-v1.12.1.json");
        const ups = { monitor: "ups@192.168.0.6", username: "monuser" };
        const patches = [
            ...renderNodePatches({
                cluster: CLUSTER,
                node: node(),
                index: 0,
                installerImage: IMAGE,
                ups,
                upsPassword: "secret",
            }),
            ...renderRedactedNodePatches({
                cluster: CLUSTER,
                node: node({ installDisk: undefined, installDiskSelector: { type: "nvme", size: ">= 100GB" } }),
                index: 1,
                installerImage: IMAGE,
                ups,
            }),
        ];
        expect(validatePatches(patches, schema)).toEqual([]);
        // And the validator does reject a wrong rendering (so the check above means something).
        expect(
            validatePatches(
                [{ label: "x", text: "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: sometimes\n" }],
                schema,
            ).length,
        ).toBeGreaterThan(0);
        expect(
            validatePatches([{ label: "y", text: "machine:\n  install:\n    wipe: maybe\n" }], schema).length,
        ).toBeGreaterThan(0);
    });
});
