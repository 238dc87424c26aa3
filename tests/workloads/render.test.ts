import * as fc from "fast-check";
import * as YAML from "yaml";

import {
    CSI_DRIVER_NAME,
    nasFromDsmUrl,
    nodePluginArgs,
    renderClientInfo,
    renderControllerSpec,
    renderCsiDriverSpec,
    renderNamespaceMetadata,
    renderNodeSpec,
    renderStorageClass,
    synologyCsiImages,
    synologyCsiObjectNames,
    controllerRules,
    nodeRules,
} from "../../components/workloads/render";
import { synologyCsi } from "./fixtures";

// The builders return Pulumi input types (Input<...> everywhere); they hold plain values, read them so.
const plain = (x: unknown): any => x;

describe("driver versions and images", () => {
    test("uses the configured driver version and keeps overrides", () => {
        const images = synologyCsiImages("1.2.1", { attacher: "mirror.local/csi-attacher:v4.8.0" });
        expect(images.plugin).toBe("docker.io/synology/synology-csi:v1.2.1");
        expect(images.attacher).toBe("mirror.local/csi-attacher:v4.8.0");
        expect(images.provisioner).toMatch(/^registry\.k8s\.io\/sig-storage\/csi-provisioner:v\d+\.\d+\.\d+$/);
    });
});

describe("nasFromDsmUrl", () => {
    test("takes host, port and scheme from the DSM URL", () => {
        expect(nasFromDsmUrl("https://192.168.0.6:5001")).toEqual({ host: "192.168.0.6", port: 5001, https: true });
        expect(nasFromDsmUrl("http://nas.lan:5000/")).toEqual({ host: "nas.lan", port: 5000, https: false });
    });
    test("uses the scheme's default port when the URL has none", () => {
        expect(nasFromDsmUrl("https://nas.lan")).toEqual({ host: "nas.lan", port: 443, https: true });
        expect(nasFromDsmUrl("http://nas.lan")).toEqual({ host: "nas.lan", port: 80, https: false });
    });
    test("rejects what is not an http(s) URL, naming the setting", () => {
        expect(() => nasFromDsmUrl("192.168.0.6:5001")).toThrow(/"192\.168\.0\.6:5001" is not an http\(s\) URL/);
        expect(() => nasFromDsmUrl("ftp://nas.lan")).toThrow(/"ftp:\/\/nas\.lan" is not an http\(s\) URL/);
    });
});

describe("renderClientInfo", () => {
    test("renders the driver's clients list", () => {
        const text = renderClientInfo([
            { host: "192.168.0.6", port: 5001, https: true, username: "csi", password: "pw" },
        ]);
        expect(YAML.parse(text)).toEqual({
            clients: [{ host: "192.168.0.6", port: 5001, https: true, username: "csi", password: "pw" }],
        });
    });
    test("keeps any password intact through YAML (quotes, colons, hashes, leading spaces)", () => {
        fc.assert(
            fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (username, password) => {
                const text = renderClientInfo([{ host: "nas", port: 5000, https: false, username, password }]);
                const parsed = YAML.parse(text);
                expect(parsed.clients[0].password).toBe(password);
                expect(parsed.clients[0].username).toBe(username);
            }),
        );
        const tricky = "  p: #w'\"\n- x: {y}  ";
        expect(
            YAML.parse(renderClientInfo([{ host: "nas", port: 1, https: true, username: "u", password: tricky }]))
                .clients[0].password,
        ).toBe(tricky);
    });
    test("refuses an empty client list", () => {
        expect(() => renderClientInfo([])).toThrow(/at least one/);
    });
});

describe("namespace, driver and RBAC", () => {
    test("labels the namespace privileged for Pod Security Admission", () => {
        const meta = renderNamespaceMetadata("storage");
        expect(meta.name).toBe("storage");
        expect(meta.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/audit": "privileged",
            "pod-security.kubernetes.io/warn": "privileged",
        });
    });
    test("declares the CSIDriver as attach-required, persistent volumes only", () => {
        expect(renderCsiDriverSpec()).toEqual({
            attachRequired: true,
            podInfoOnMount: true,
            volumeLifecycleModes: ["Persistent"],
        });
        expect(synologyCsiObjectNames().csiDriver).toBe("csi.san.synology.com");
    });
    test("lets the controller create and delete PVs and update attachments, and the node nothing of that", () => {
        const can = (rules: ReturnType<typeof controllerRules>, group: string, resource: string, verb: string) =>
            rules.some(
                (r) =>
                    plain(r.apiGroups).includes(group) &&
                    plain(r.resources).includes(resource) &&
                    plain(r.verbs).includes(verb),
            );
        expect(can(controllerRules(), "", "persistentvolumes", "create")).toBe(true);
        expect(can(controllerRules(), "", "persistentvolumes", "delete")).toBe(true);
        expect(can(controllerRules(), "storage.k8s.io", "volumeattachments/status", "patch")).toBe(true);
        expect(can(controllerRules(), "", "persistentvolumeclaims/status", "patch")).toBe(true);
        expect(can(nodeRules(), "", "persistentvolumes", "delete")).toBe(false);
        expect(can(nodeRules(), "", "persistentvolumes", "create")).toBe(false);
        expect(can(nodeRules(), "storage.k8s.io", "volumeattachments", "get")).toBe(true);
    });
});

describe("controller", () => {
    const spec = plain(renderControllerSpec(synologyCsiImages("v1.2.1"), synologyCsiObjectNames("storage")));
    const containers = spec.template.spec.containers;
    test("runs one replica with provisioner, attacher, resizer and the plugin", () => {
        expect(spec.replicas).toBe(1);
        expect(containers.map((c: { name: string }) => c.name)).toEqual([
            "csi-provisioner",
            "csi-attacher",
            "csi-resizer",
            "csi-plugin",
        ]);
        expect(containers[0].image).toMatch(/csi-provisioner/);
        expect(containers[1].image).toMatch(/csi-attacher/);
        expect(containers[2].image).toMatch(/csi-resizer/);
        expect(containers[3].image).toBe("docker.io/synology/synology-csi:v1.2.1");
        expect(spec.template.spec.serviceAccountName).toBe("synology-csi-controller");
    });
    test("has sidecars and plugin share one socket, and the plugin read client-info", () => {
        for (const c of containers.slice(0, 3)) {
            expect(c.args).toContain("--csi-address=$(ADDRESS)");
            expect(c.env).toContainEqual({ name: "ADDRESS", value: "/var/lib/csi/sockets/pluginproxy/csi.sock" });
        }
        const plugin = containers[3];
        expect(plugin.env).toContainEqual({
            name: "CSI_ENDPOINT",
            value: "unix:///var/lib/csi/sockets/pluginproxy/csi.sock",
        });
        expect(plugin.args).toContain("--client-info=/etc/synology/client-info.yml");
        expect(plugin.volumeMounts).toContainEqual({ name: "client-info", mountPath: "/etc/synology", readOnly: true });
        expect(spec.template.spec.volumes).toContainEqual({
            name: "client-info",
            secret: { secretName: "client-info-secret" },
        });
    });
    test("selects its own pods", () => {
        for (const [k, v] of Object.entries(spec.selector.matchLabels))
            expect(spec.template.metadata.labels[k]).toBe(v);
    });
});

describe("node plugin on Talos", () => {
    const spec = plain(renderNodeSpec(synologyCsiImages("v1.4.0")));
    const pod = spec.template.spec;
    const plugin = pod.containers.find((c: { name: string }) => c.name === "csi-plugin");
    const registrar = pod.containers.find((c: { name: string }) => c.name === "csi-driver-registrar");
    const volume = (name: string) => pod.volumes.find((v: { name: string }) => v.name === name);

    test("runs privileged, as root, on the host network, on every node", () => {
        expect(pod.hostNetwork).toBe(true);
        expect(plugin.securityContext.privileged).toBe(true);
        expect(plugin.securityContext.runAsUser).toBe(0);
        expect(pod.tolerations).toContainEqual({ operator: "Exists" });
    });
    test("passes the Talos arguments: chroot into /host, absolute iscsiadm path", () => {
        expect(nodePluginArgs()).toEqual(
            expect.arrayContaining([
                "--chroot-dir=/host",
                "--iscsiadm-path=/usr/local/sbin/iscsiadm",
                "--nodeid=$(KUBE_NODE_NAME)",
            ]),
        );
        expect(plugin.args).toEqual(nodePluginArgs());
    });
    test("mounts the host's / at /host, /dev, and the kubelet dir with bidirectional propagation", () => {
        const mount = (name: string) => plugin.volumeMounts.find((m: { name: string }) => m.name === name);
        expect(mount("host-root").mountPath).toBe("/host");
        expect(volume("host-root").hostPath.path).toBe("/");
        expect(mount("device-dir").mountPath).toBe("/dev");
        expect(volume("device-dir").hostPath.path).toBe("/dev");
        expect(mount("kubelet-dir")).toMatchObject({
            mountPath: "/var/lib/kubelet",
            mountPropagation: "Bidirectional",
        });
        expect(volume("kubelet-dir").hostPath.path).toBe("/var/lib/kubelet");
    });
    test("registers the plugin socket with the kubelet under the driver's name", () => {
        expect(volume("plugin-dir").hostPath.path).toBe(`/var/lib/kubelet/plugins/${CSI_DRIVER_NAME}`);
        expect(registrar.env).toContainEqual({
            name: "REGISTRATION_PATH",
            value: `/var/lib/kubelet/plugins/${CSI_DRIVER_NAME}/csi.sock`,
        });
        expect(volume("registration-dir").hostPath.path).toBe("/var/lib/kubelet/plugins_registry");
        // The socket the plugin listens on is the one the registrar reads, through the same volume.
        expect(plugin.env).toContainEqual({ name: "CSI_ENDPOINT", value: "unix:///csi/csi.sock" });
        expect(registrar.env).toContainEqual({ name: "ADDRESS", value: "/csi/csi.sock" });
        const pluginDirMount = (c: { volumeMounts: { name: string; mountPath: string }[] }) =>
            c.volumeMounts.find((m) => m.name === "plugin-dir")!.mountPath;
        expect(pluginDirMount(plugin)).toBe("/csi");
        expect(pluginDirMount(registrar)).toBe("/csi");
    });
    test("only mounts volumes it declares", () => {
        const declared = new Set(pod.volumes.map((v: { name: string }) => v.name));
        for (const c of pod.containers) for (const m of c.volumeMounts) expect(declared.has(m.name)).toBe(true);
    });
});

describe("renderStorageClass", () => {
    test("provisions iSCSI LUNs on the configured NAS volume with the configured filesystem", () => {
        const sc = renderStorageClass(
            synologyCsi({ fsType: "xfs", location: "/volume2", reclaimPolicy: "Retain" }),
            "192.168.0.6",
        );
        expect(sc.provisioner).toBe("csi.san.synology.com");
        expect(sc.parameters).toEqual({ dsm: "192.168.0.6", location: "/volume2", fsType: "xfs", protocol: "iscsi" });
        expect(sc.reclaimPolicy).toBe("Retain");
        expect(sc.allowVolumeExpansion).toBe(true);
    });
    test("is the default class only when asked", () => {
        expect(renderStorageClass(synologyCsi({ isDefault: true }), "nas").annotations).toEqual({
            "storageclass.kubernetes.io/is-default-class": "true",
        });
        expect(renderStorageClass(synologyCsi({ isDefault: false }), "nas").annotations).toEqual({});
    });
});
