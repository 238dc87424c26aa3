import { validatePatch, validatePatches } from "../../components/talos/validate";
import { DEPRECATED_SETTINGS } from "../../components/talos/documents";
import { talosSchemaProblem, TalosConfigSchema } from "../../components/talos/validate-schema";
import * as patches from "../../components/talos/patches";
import { closest, editDistance } from "../../components/words";
import { readReferenceText } from "../support/reference";
import { clusterConfig } from "../support/fixtures";

/** The cluster every rendering below belongs to (`homelab:cluster` of the seed). */
const CLUSTER = clusterConfig();

const schemaText = readReferenceText("talos-config-schema-v1.12.1.json");
const schema = JSON.parse(schemaText) as TalosConfigSchema;

const LABEL = "nodes[0].patches[1]";
const check = (text: string, label = LABEL): string[] => validatePatch(label, text, schema);

/** The one problem of a patch that must have exactly one. */
function only(text: string, label = LABEL): string {
    const problems = check(text, label);
    expect(problems).toHaveLength(1);
    return problems[0];
}

// ---------------------------------------------------------------------------------------------------------
// Patches of the kinds the program renders, and typical user patches: all must pass.

const FACTORY_INSTALLER =
    "factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.12.1";

const VALID: Record<string, string> = {
    "install with disk": `machine:
  install:
    disk: /dev/sda
    image: ${FACTORY_INSTALLER}
    wipe: false
`,
    "install with diskSelector": `machine:
  install:
    diskSelector:
      size: ">= 1TB"
      type: nvme
      model: WDC*
    image: ${FACTORY_INSTALLER}
    wipe: true
`,
    "hostname via machine.network.hostname (deprecated in 1.12 but still decoded)": `machine:
  network:
    hostname: cp-1
`,
    "hostname via a HostnameConfig document": `apiVersion: v1alpha1
kind: HostnameConfig
hostname: cp-1
`,
    "nut-client ExtensionServiceConfig with configFiles": `apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: nut-client
configFiles:
  - content: |-
      MONITOR ups@192.168.0.6 1 monuser "pa:ss word" secondary
      SHUTDOWNCMD "/sbin/poweroff"
    mountPath: /usr/local/etc/nut/upsmon.conf
environment:
  - NUT_UPS=ups
`,
    "typical user patch (sysctls, kubelet, labels, files, features)": `# user tweaks
machine:
  sysctls:
    vm.nr_hugepages: 1024
    net.core.somaxconn: "65535"
  kubelet:
    extraArgs:
      max-pods: 250
    nodeIP:
      validSubnets:
        - 192.168.0.0/24
  nodeLabels:
    topology.kubernetes.io/zone: rack-1
  files:
    - content: |
        [plugins]
      permissions: 0o644
      path: /var/cri/conf.d/20-customization.part
      op: create
  features:
    kubePrism:
      enabled: yes
      port: 7445
cluster:
  allowSchedulingOnControlPlanes: true
  network:
    cni:
      name: none
`,
    "multi-document: main document plus ExtensionServiceConfig": `machine:
  install:
    disk: /dev/nvme0n1
---
apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: nut-client
environment: ["NUT_UPS=ups"]
`,
    "deprecated interfaces list with $patch: delete": `machine:
  network:
    interfaces:
      - interface: eth0
        $patch: delete
  kubelet:
    $patch: delete
`,
    "deleting a named document": `apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: nut-client
$patch: delete
`,
    "JSON patch in YAML form": `- op: add
  path: /machine/install/disk
  value: /dev/sdb
- op: remove
  path: /cluster/network/cni
- op: move
  from: /machine/nodeLabels/a
  path: /machine/nodeLabels/b
`,
    "JSON patch in JSON form": `[{"op": "replace", "path": "/machine/install/wipe", "value": true}, {"op": "test", "path": "/machine/type", "value": "worker"}]`,
    "null values and an empty trailing document": `machine:
  install:
    image: null
---
`,
    "removing a node label with $patch: delete on its value (Talos docs, strategic merge)": `machine:
  nodeLabels:
    node.kubernetes.io/exclude-from-external-load-balancers:
      $patch: delete
`,
    "a logging destination whose endpoint is a URL string (Talos decodes v1alpha1.Endpoint from a string)": `machine:
  logging:
    destinations:
      - endpoint: udp://127.0.0.1:12345/
        format: json_lines
`,
    "YAML anchors and a << merge key (yaml.v3 resolves them)": `machine:
  nodeLabels: &labels
    topology.kubernetes.io/zone: rack-1
  nodeAnnotations:
    <<: *labels
    owner: homelab
`,
    "comments only": "# nothing to patch yet\n",
    "a patch read from a file by the provider": "@patches/gpu.yaml",
};

describe("validatePatch accepts valid patches", () => {
    for (const [name, text] of Object.entries(VALID)) {
        test(name, () => {
            expect(check(text)).toEqual([]);
        });
    }
});

// ---------------------------------------------------------------------------------------------------------
// Realistic broken patches: each fails, naming the label, the patch's first line, the path and a fix.

describe("validatePatch rejects broken patches with plain messages", () => {
    test("typo in a key: names the path and suggests the right key (the issue's example)", () => {
        const m = only("machine:\n  instal:\n    disk: /dev/sda\n");
        expect(m).toBe(
            `${LABEL}: machine.instal is not a Talos setting — did you mean machine.install? (patch beginning "machine:")`,
        );
    });

    test("wrong case of a key", () => {
        const m = only("machine:\n  install:\n    diskselector:\n      size: '>= 1TB'\n");
        expect(m).toContain(
            "machine.install.diskselector is not a Talos setting — did you mean machine.install.diskSelector?",
        );
    });

    test("a right key at the wrong level points to where it lives", () => {
        const m = only("machine:\n  hostname: cp-1\n");
        expect(m).toContain(
            `${LABEL}: machine.hostname is not a Talos setting at this level — did you mean machine.network.hostname?`,
        );
    });

    test("an unknown key with no near match lists what is allowed there", () => {
        const m = only("cluster:\n  network:\n    flannelBackend: vxlan\n");
        expect(m).toContain(
            "cluster.network.flannelBackend is not a Talos setting; allowed under cluster.network: cni, dnsDomain, podSubnets, serviceSubnets",
        );
    });

    test("a list where a string belongs", () => {
        expect(only("machine:\n  install:\n    disk: [/dev/sda]\n")).toContain(
            `${LABEL}: machine.install.disk must be a string, got a list`,
        );
    });

    test("a list where a map belongs", () => {
        expect(only("machine:\n  install:\n    - disk: /dev/sda\n")).toContain(
            "machine.install must be a map of settings, got a list",
        );
    });

    test("a string where a list belongs", () => {
        expect(only("cluster:\n  network:\n    podSubnets: 10.244.0.0/16\n")).toContain(
            "cluster.network.podSubnets must be a list, got a string",
        );
    });

    test("a quoted number where a whole number belongs", () => {
        expect(only('machine:\n  features:\n    kubePrism:\n      port: "7445"\n')).toContain(
            'machine.features.kubePrism.port must be a whole number, got the quoted text "7445" (remove the quotes)',
        );
    });

    test("unknown kind: suggests the near one and lists the known kinds", () => {
        const m = only("apiVersion: v1alpha1\nkind: ExtensionServiceConfg\nname: nut-client\n");
        expect(m).toContain(
            `${LABEL}: kind "ExtensionServiceConfg" is not a Talos document kind — did you mean ExtensionServiceConfig?`,
        );
        expect(m).toMatch(/known kinds: .*HostnameConfig.*TimeSyncConfig/);
        expect(m).toContain('(patch beginning "apiVersion: v1alpha1")');
    });

    test("wrong apiVersion for a kind", () => {
        const m = only("apiVersion: v1alpha2\nkind: ExtensionServiceConfig\nname: nut-client\n");
        expect(m).toBe(
            `${LABEL}: ExtensionServiceConfig "nut-client": apiVersion "v1alpha2" is not valid for kind ExtensionServiceConfig; use apiVersion: v1alpha1 (patch beginning "apiVersion: v1alpha2")`,
        );
    });

    test("apiVersion on the main document", () => {
        expect(only("apiVersion: v1alpha1\nmachine:\n  install:\n    disk: /dev/sda\n")).toContain(
            "apiVersion is set but kind is missing; the main machine config document has no apiVersion (it uses version: v1alpha1)",
        );
    });

    test("YAML syntax error gives line and column", () => {
        expect(only("machine:\n  install:\n\tdisk: /dev/sda\n")).toBe(
            `${LABEL}: YAML syntax error at line 3, column 1: Tabs are not allowed as indentation (patch beginning "machine:")`,
        );
        expect(only("machine:\n  install:\n    disk: /dev/sda\n    disk: /dev/sdb\n")).toContain(
            "YAML syntax error at line 4, column 5: Map keys must be unique",
        );
    });

    test("typo inside a kind document's list item names the document and the item", () => {
        const m = only(`apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: nut-client
configFiles:
  - content: x
    mountpath: /usr/local/etc/nut/upsmon.conf
`);
        expect(m).toContain(
            `${LABEL}: ExtensionServiceConfig "nut-client": configFiles[0].mountpath is not an ExtensionServiceConfig setting — did you mean configFiles[0].mountPath?`,
        );
    });

    test("a map where the ExtensionServiceConfig environment list belongs", () => {
        expect(
            only(
                "apiVersion: v1alpha1\nkind: ExtensionServiceConfig\nname: nut-client\nenvironment:\n  NUT_UPS: ups\n",
            ),
        ).toContain('ExtensionServiceConfig "nut-client": environment must be a list, got a map');
    });

    test("a kind document missing a required key", () => {
        expect(only("apiVersion: v1alpha1\nkind: ExtensionServiceConfig\nconfigFiles: []\n")).toContain(
            "ExtensionServiceConfig: name is missing; every ExtensionServiceConfig document needs apiVersion, kind, name",
        );
    });

    test("a value outside an enum suggests the near value", () => {
        expect(only("apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stabel\n")).toContain(
            'HostnameConfig: auto must be one of "stable", "off", got "stabel" — did you mean "stable"?',
        );
    });

    test("a value not matching a pattern is explained in words", () => {
        expect(only("apiVersion: v1alpha1\nkind: TimeSyncConfig\nbootTimeout: 5 minutes\n")).toContain(
            'TimeSyncConfig: bootTimeout must be a duration like 30s, 5m or 1h30m, got "5 minutes"',
        );
        expect(only("cluster:\n  controlPlane:\n    endpoint: http://192.168.0.2:6443\n")).toContain(
            'cluster.controlPlane.endpoint must be a URL starting with https://, got "http://192.168.0.2:6443"',
        );
    });

    test("JSON patch with a bad op, a dotted path and a missing value", () => {
        const problems = check(`- op: replac
  path: machine.install.disk
  value: /dev/sdb
- op: add
  path: /machine/nodeLabels/x
- op: copy
  path: /machine/nodeLabels/y
- op: add
  path: /kubelet/extraArgs
  value: {}
`);
        expect(problems).toEqual([
            `${LABEL}: JSON-patch operation 1: op "replac" is not a JSON-patch operation — did you mean replace? (allowed: add, remove, replace, move, copy, test) (patch beginning "- op: replac")`,
            `${LABEL}: JSON-patch operation 1: path "machine.install.disk" is not a JSON pointer; it must start with / — did you mean "/machine/install/disk"? (patch beginning "- op: replac")`,
            `${LABEL}: JSON-patch operation 2 (add) has no value; add needs one (patch beginning "- op: replac")`,
            `${LABEL}: JSON-patch operation 3 (copy) has no from; copy needs the JSON pointer it takes the value from (patch beginning "- op: replac")`,
            `${LABEL}: JSON-patch operation 4 (add): path "/kubelet/extraArgs": "kubelet" is not a Talos setting under / — did you mean "/machine/kubelet/extraArgs"? (patch beginning "- op: replac")`,
        ]);
    });

    test("JSON patch with a misspelt field and a bad ~ escape", () => {
        const problems = check(`[{"op": "add", "path": "/machine/nodeLabels/a~b", "valeu": "x"}]`);
        expect(problems).toContain(
            `${LABEL}: JSON-patch operation 1: valeu is not a JSON-patch field — did you mean value? (patch beginning "[{\\"op\\": \\"add\\", \\"path\\": \\"/machine/nodeLabels/a~b\\", \\"valeu\\"…")`,
        );
        expect(problems.some((p) => p.includes('path "/machine/nodeLabels/a~b" has a ~ that is not ~0'))).toBe(true);
        expect(problems.some((p) => p.includes("(add) has no value"))).toBe(true);
    });

    test("a JSON patch mixed with --- documents", () => {
        expect(
            only("machine:\n  install:\n    disk: /dev/sda\n---\n- op: remove\n  path: /machine/install\n"),
        ).toContain("a JSON patch (a list of operations) cannot be combined with other documents using ---");
    });

    test("a patch that touches the same document twice", () => {
        const m = only(
            "apiVersion: v1alpha1\nkind: ExtensionServiceConfig\nname: nut-client\n---\napiVersion: v1alpha1\nkind: ExtensionServiceConfig\nname: nut-client\nenvironment: [A=b]\n",
        );
        expect(m).toContain('documents 1 and 2 both patch the ExtensionServiceConfig "nut-client" document');
    });

    test("multi-document patches say which document is wrong", () => {
        const problems = check(
            "machine:\n  install:\n    disk: /dev/sda\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostnam: cp-1\n",
        );
        expect(problems).toEqual([
            `${LABEL}: document 2: HostnameConfig: hostnam is not a HostnameConfig setting — did you mean hostname? (patch beginning "machine:")`,
        ]);
    });

    test("deleting the main document is refused", () => {
        expect(only("$patch: delete\n")).toContain("$patch: delete cannot remove the main machine config document");
    });

    test("a scalar patch", () => {
        expect(only("machine.install.disk=/dev/sda\n")).toContain(
            "must be a map of settings (a strategic-merge patch) or a list of JSON-patch operations, got a string",
        );
    });

    test("reports every problem of a patch, not just the first", () => {
        const problems = check(
            "machine:\n  instal: {}\n  install:\n    wipe: [true]\n  kubelet:\n    extraArgs: [a]\n",
        );
        expect(problems).toHaveLength(3);
        expect(problems.join("\n")).toMatch(/machine\.instal .*machine\.install\?/);
        expect(problems.join("\n")).toContain("machine.install.wipe must be true or false, got a list");
        expect(problems.join("\n")).toContain("machine.kubelet.extraArgs must be a map, got a list");
    });

    test("keys that are not identifiers are quoted in paths", () => {
        expect(only("machine:\n  sysctls:\n    net.ipv4.ip_forward: [1]\n")).toContain(
            'machine.sysctls["net.ipv4.ip_forward"] must be a string, got a list',
        );
    });
});

describe("JSON patches are checked against the main document's schema too", () => {
    const problems = check(`- op: add
  path: /machine/instal/disk
  value: /dev/sdb
- op: replace
  path: /machine/install/disk
  value: [/dev/sdb]
- op: add
  path: /machine/files/-
  value: {content: x, permissions: "0644", path: /var/x, op: create}
- op: add
  path: /machine/files/first
  value: {}
- op: move
  from: /machine/nodeLabel/a
  path: /machine/nodeLabels/b
- op: add
  path: /machine/sysctls/net.ipv4.ip_forward
  value: "1"
- op: add
  path: /machine/network/interfaces
  value: [{interface: eth0, dhcp: true}]
- op: remove
  path: /cluster/network/cni
`);
    const tail = ' (patch beginning "- op: add")';

    test("a typo in a path is found, with the corrected path", () => {
        expect(problems).toContain(
            `${LABEL}: JSON-patch operation 1 (add): path "/machine/instal/disk": "instal" is not a Talos setting under /machine — did you mean "/machine/install/disk"?${tail}`,
        );
        expect(problems).toContain(
            `${LABEL}: JSON-patch operation 5 (move): from "/machine/nodeLabel/a": "nodeLabel" is not a Talos setting under /machine — did you mean "/machine/nodeLabels/a"?${tail}`,
        );
    });

    test("the value is checked against the setting the path points at", () => {
        expect(problems).toContain(
            `${LABEL}: JSON-patch operation 2 (replace): machine.install.disk must be a string, got a list${tail}`,
        );
        expect(problems).toContain(
            `${LABEL}: JSON-patch operation 3 (add): machine.files["-"].permissions must be a whole number, got the quoted text "0644" (remove the quotes)${tail}`,
        );
    });

    test("an unknown key with nothing near lists what is allowed", () => {
        expect(check("[{op: remove, path: /settings}]")).toEqual([
            `${LABEL}: JSON-patch operation 1 (remove): path "/settings": "settings" is not a Talos setting under /; allowed there: version, debug, machine, cluster, persist (patch beginning "[{op: remove, path: /settings}]")`,
        ]);
    });

    test("a list needs an index or -", () => {
        expect(problems).toContain(
            `${LABEL}: JSON-patch operation 4 (add): path "/machine/files/first": /machine/files is a list, so "first" must be an index (0, 1, …) or - (append)${tail}`,
        );
    });

    test("free-form maps, deprecated settings and removals pass", () => {
        expect(problems).toHaveLength(5);
        expect(problems.join("\n")).not.toMatch(/operation (6|7|8)/);
    });
});

describe("messages do not leak values", () => {
    test("credentials in a quoted URL are blanked", () => {
        const m = only(
            "apiVersion: v1alpha1\nkind: RegistryMirrorConfig\nname: docker.io\nendpoints:\n  - url: ftp://robot:t0psecret@mirror.lan/v2\n",
        );
        expect(m).toContain(
            'endpoints[0].url must be a URL starting with http:// or https://, got "ftp://…@mirror.lan/v2"',
        );
        expect(m).not.toContain("t0psecret");
    });

    test("a secret given with the wrong type is not quoted, and a secret-looking first line is blanked", () => {
        const problems = check("machine: {token: s3cr3t-t0ken, ca: {crt: [s3cr3t-cert], key: s3cr3t-key}}\n");
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain("machine.ca.crt must be a string, got a list");
        expect(problems.join("\n")).not.toMatch(/s3cr3t/);
    });

    test("the UPS password in a nut-client file never appears, even when the document is wrong", () => {
        const problems = check(`apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: nut-client
configFiles:
  - content: ['MONITOR ups@nas 1 monuser hunter2 secondary']
    mountPath: /usr/local/etc/nut/upsmon.conf
`);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain("configFiles[0].content must be a string, got a list");
        expect(problems[0]).not.toContain("hunter2");
    });
});

describe("validatePatches", () => {
    test("returns the problems of all patches in order, each with its own label", () => {
        const problems = validatePatches(
            [
                { label: "nodes[0].patches[0]", text: VALID["install with disk"] },
                { label: "nodes[0].patches[1]", text: "machine:\n  instal: {}\n" },
                { label: "nodes[1].patches[0]", text: "apiVersion: v1alpha1\nkind: Nope\n" },
                { label: "ups", text: VALID["nut-client ExtensionServiceConfig with configFiles"] },
            ],
            schema,
        );
        expect(problems).toHaveLength(2);
        expect(problems[0].startsWith("nodes[0].patches[1]: machine.instal")).toBe(true);
        expect(problems[1].startsWith('nodes[1].patches[0]: kind "Nope" is not a Talos document kind')).toBe(true);
    });

    test("is empty for an empty list", () => {
        expect(validatePatches([], schema)).toEqual([]);
    });

    test("lets a later patch change a document an earlier one added without repeating its required fields", () => {
        const bond =
            "apiVersion: v1alpha1\nkind: BondConfig\nname: bond0\nlinks: [enp1s2, enp1s3]\nbondMode: 802.3ad\n";
        const mtu = "apiVersion: v1alpha1\nkind: BondConfig\nname: bond0\nmtu: 9000\n";
        expect(
            validatePatches(
                [
                    { label: "nodes[0].patches[0]", text: bond },
                    { label: "nodes[0].patches[1]", text: mtu },
                ],
                schema,
            ),
        ).toEqual([]);
        // On its own (nothing added it before) the partial document is incomplete, and still reported;
        // so is a missing name even after the document was added, and a wrong type.
        const alone = validatePatches([{ label: "nodes[0].patches[0]", text: mtu }], schema);
        expect(alone.join("\n")).toContain("links is missing");
        const later = validatePatches(
            [
                { label: "nodes[0].patches[0]", text: bond },
                { label: "nodes[0].patches[1]", text: "apiVersion: v1alpha1\nkind: BondConfig\nmtu: nine\n" },
            ],
            schema,
        );
        expect(later.join("\n")).toContain("name is missing");
        expect(later.join("\n")).toContain("mtu must be a whole number");
        // Deleting the document makes a later partial patch incomplete again.
        const deleted = validatePatches(
            [
                { label: "nodes[0].patches[0]", text: bond },
                {
                    label: "nodes[0].patches[1]",
                    text: "apiVersion: v1alpha1\nkind: BondConfig\nname: bond0\n$patch: delete\n",
                },
                { label: "nodes[0].patches[2]", text: mtu },
            ],
            schema,
        );
        expect(deleted.join("\n")).toContain('nodes[0].patches[2]: BondConfig "bond0": links is missing');
    });

    test("still reports a wrong type for a setting that is not a delete directive", () => {
        expect(only("machine:\n  nodeLabels:\n    zone:\n      name: a\n")).toContain(
            "machine.nodeLabels.zone must be a string, got a map",
        );
        expect(
            only(
                "machine:\n  logging:\n    destinations:\n      - endpoint: [udp://127.0.0.1:1/]\n        format: json_lines\n",
            ),
        ).toContain("machine.logging.destinations[0].endpoint must be a string, got a list");
    });
});

describe("schema handling", () => {
    test("compiles per schema object: a different schema object gives its own answers", () => {
        const widened = JSON.parse(schemaText) as { $defs: Record<string, { properties: Record<string, unknown> }> };
        widened.$defs["v1alpha1.InstallConfig"].properties.instal = { type: "string" };
        const typo = "machine:\n  install:\n    instal: x\n";
        expect(validatePatch(LABEL, typo, schema)).toHaveLength(1);
        expect(validatePatch(LABEL, typo, widened as unknown as TalosConfigSchema)).toEqual([]);
        expect(validatePatch(LABEL, typo, schema)).toHaveLength(1);
    });

    test("does not modify the schema it is given", () => {
        const copy = JSON.parse(schemaText) as TalosConfigSchema;
        validatePatch(LABEL, "machine:\n  network:\n    hostname: a\n", copy);
        expect(copy).toEqual(JSON.parse(schemaText));
    });

    test("the deprecated settings it tolerates are really missing from the v1.12.1 schema", () => {
        const defs = (schema as { $defs: Record<string, { properties?: Record<string, unknown> }> }).$defs;
        const missing = Object.entries(DEPRECATED_SETTINGS).flatMap(([d, keys]) =>
            keys.filter((k) => !(k in (defs[d]?.properties ?? {}))),
        );
        expect(missing).toEqual(expect.arrayContaining(["hostname", "interfaces", "persist", "extraKernelArgs"]));
    });

    test("talosSchemaProblem accepts the real schema and rejects look-alikes", () => {
        expect(talosSchemaProblem(schema)).toBeUndefined();
        expect(talosSchemaProblem("<html>")).toBe("it is not a JSON object");
        expect(talosSchemaProblem({ message: "API rate limit exceeded" })).toBe("it has no JSON-schema $schema");
        expect(talosSchemaProblem({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" })).toBe(
            "it has no $defs",
        );
        const noMain = JSON.parse(schemaText) as { oneOf: { $ref: string }[] };
        noMain.oneOf = noMain.oneOf.filter((b) => !b.$ref.endsWith("v1alpha1.Config"));
        expect(talosSchemaProblem(noMain)).toContain("main (v1alpha1)");
    });
});

describe("edit distance", () => {
    test("counts case-insensitive edits with transpositions", () => {
        expect(editDistance("instal", "install")).toBe(1);
        expect(editDistance("diskselector", "diskSelector")).toBe(0);
        expect(editDistance("mountPaht", "mountPath")).toBe(1);
        expect(editDistance("abc", "xyz")).toBe(3);
    });

    test("suggests only within a typo's reach", () => {
        expect(closest("instal", ["image", "install", "disk"])).toBe("install");
        expect(closest("flannelBackend", ["cni", "dnsDomain", "podSubnets"])).toBeUndefined();
        expect(closest("dsk", ["disk", "wipe"])).toBe("disk");
    });
});

describe("the program's own rendered patches (components/talos/patches.ts) pass the v1.12.1 schema", () => {
    // The real renderers, so a drift between what the program renders and the schema fails here.
    const base = {
        mac: "00:11:22:33:44:55",
        ip: "192.168.0.21",
        role: "worker" as const,
        patches: [] as string[],
        wakeOnLan: false,
    };

    test("install with disk, install with diskSelector, hostname and the nut-client document", () => {
        const rendered = [
            ...patches.renderNodePatches({
                cluster: CLUSTER,
                node: { ...base, hostname: "w-1", installDisk: "/dev/sda" },
                index: 0,
                installerImage: FACTORY_INSTALLER,
                ups: { monitor: "ups@192.168.0.6", username: "monuser" },
                upsPassword: 'pa ss"word',
            }),
            ...patches.renderNodePatches({
                cluster: CLUSTER,
                node: {
                    ...base,
                    hostname: "w-2",
                    installDiskSelector: { size: ">= 500GB", type: "nvme", model: "Samsung*" },
                },
                index: 1,
                installerImage: FACTORY_INSTALLER,
            }),
        ];
        expect(rendered.map((p) => p.label)).toEqual([
            "nodes[0].install",
            "nodes[0].hostname",
            "ups.nutClient",
            "nodes[1].install",
            "nodes[1].hostname",
        ]);
        expect(validatePatches(rendered, schema)).toEqual([]);
    });

    test("a node's own broken patch is reported under the renderer's label", () => {
        const rendered = patches.renderNodePatches({
            cluster: CLUSTER,
            node: {
                ...base,
                hostname: "w-1",
                installDisk: "/dev/sda",
                patches: ["machine:\n  kubelet:\n    extraArg:\n      max-pods: '250'\n"],
            },
            index: 3,
            installerImage: FACTORY_INSTALLER,
        });
        expect(validatePatches(rendered, schema)).toEqual([
            'nodes[3].patches[0]: machine.kubelet.extraArg is not a Talos setting — did you mean machine.kubelet.extraArgs? (patch beginning "machine:")',
        ]);
    });

    test("a node's own machine.network.hostname is refused: it conflicts with the program's HostnameConfig", () => {
        const own = "machine:\n  network:\n    hostname: other-name\n";
        // On its own (no HostnameConfig before it) the deprecated setting is still accepted.
        expect(check(own)).toEqual([]);
        const rendered = patches.renderNodePatches({
            cluster: CLUSTER,
            node: {
                ...base,
                hostname: "w-1",
                installDisk: "/dev/sda",
                patches: [own, "machine:\n  network:\n    hostname: null\n"],
            },
            index: 4,
            installerImage: FACTORY_INSTALLER,
        });
        const problems = validatePatches(rendered, schema);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(
            /^nodes\[4\]\.patches\[0\]: machine\.network\.hostname cannot be set here: an earlier patch added a HostnameConfig document/,
        );
        expect(problems[0]).toContain("its hostname setting in homelab:nodes");
    });

    test("a node's own JSON patch is refused: the HostnameConfig the program adds makes the config multi-document", () => {
        const jsonAdd = "- op: add\n  path: /machine/install/disk\n  value: /dev/sdb\n";
        const jsonRemove = '[{"op": "remove", "path": "/cluster/proxy"}]';
        // On its own the JSON patch is well-formed...
        expect(check(jsonAdd)).toEqual([]);
        // ...but after the program's own patches Talos would refuse it during the `up`.
        const rendered = patches.renderNodePatches({
            cluster: CLUSTER,
            node: {
                ...base,
                hostname: "w-1",
                installDisk: "/dev/sda",
                patches: [jsonAdd, "machine:\n  sysctls:\n    a.b: '1'\n", jsonRemove],
            },
            index: 2,
            installerImage: FACTORY_INSTALLER,
        });
        const problems = validatePatches(rendered, schema);
        expect(problems).toHaveLength(2);
        expect(problems[0]).toMatch(
            /^nodes\[2\]\.patches\[0\]: Talos applies JSON patches \(RFC 6902\) only to a single-document machine config/,
        );
        expect(problems[0]).toContain("other documents (HostnameConfig, from an earlier patch)");
        expect(problems[0]).toContain(
            "write it as a strategic-merge YAML patch instead (e.g. machine.install.disk as nested keys)",
        );
        expect(problems[1]).toMatch(/^nodes\[2\]\.patches\[2\]: .*"\$patch: delete" under cluster\.proxy/);
    });
});

describe("without the schema, the rules that need none still run", () => {
    const bare = (text: string): string[] => validatePatch(LABEL, text, undefined);

    test.each([
        [
            "YAML that does not parse",
            "machine:\n  install:\n\tdisk: /dev/sda\n",
            "YAML syntax error at line 3, column 1",
        ],
        [
            "a JSON patch with a bad op",
            "- op: replac\n  path: /machine/install/disk\n  value: x\n",
            'op "replac" is not a JSON-patch operation — did you mean replace?',
        ],
        [
            "a JSON patch mixed with --- documents",
            "machine: {}\n---\n- op: remove\n  path: /machine\n",
            "cannot be combined with other documents",
        ],
        [
            "one document patched twice",
            "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: off\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: a\n",
            "documents 1 and 2 both patch the HostnameConfig document",
        ],
        ["apiVersion without kind", "apiVersion: v1alpha1\nmachine: {}\n", "apiVersion is set but kind is missing"],
        ["kind without apiVersion", "kind: HostnameConfig\nhostname: a\n", "HostnameConfig: apiVersion is missing"],
        [
            "a kind that is not text",
            "apiVersion: v1alpha1\nkind: [HostnameConfig]\n",
            "kind must be the name of a Talos document kind",
        ],
        ["deleting the main document", "$patch: delete\n", "cannot remove the main machine config document"],
        [
            "a directive Talos does not have",
            "machine:\n  install:\n    $patch: replace\n",
            'machine.install.$patch: the only strategic-merge directive Talos supports is "$patch: delete"',
        ],
        ["a scalar", "just text\n", "must be a map of settings"],
    ])("%s", (_what, text, words) => {
        const problems = bare(text);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(words);
        expect(problems[0].startsWith(`${LABEL}: `)).toBe(true);
    });

    test("JSON patches and machine.network.hostname after the program's HostnameConfig", () => {
        const problems = validatePatches(
            [
                {
                    label: "nodes[0].hostname",
                    text: "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: off\nhostname: cp-1\n",
                },
                { label: "nodes[0].patches[0]", text: '[{"op": "remove", "path": "/cluster/proxy"}]' },
                { label: "nodes[0].patches[1]", text: "machine:\n  network:\n    hostname: other\n" },
            ],
            undefined,
        );
        expect(problems).toHaveLength(2);
        expect(problems[0]).toMatch(
            /^nodes\[0\]\.patches\[0\]: Talos applies JSON patches \(RFC 6902\) only to a single-document/,
        );
        expect(problems[1]).toMatch(/^nodes\[0\]\.patches\[1\]: machine\.network\.hostname cannot be set here/);
    });

    test("what only the schema can tell passes: a typo'd setting, an unknown kind, a wrong type", () => {
        expect(bare("machine:\n  instal:\n    disk: /dev/sda\n")).toEqual([]);
        expect(bare("apiVersion: v1alpha1\nkind: Nope\n")).toEqual([]);
        expect(bare("machine:\n  install:\n    disk: [/dev/sda]\n")).toEqual([]);
    });

    test("a missing apiVersion is reported once, with or without the schema", () => {
        const text = "kind: HostnameConfig\nhostname: a\n";
        expect(check(text)).toEqual(bare(text));
    });

    test("every patch of this file: the schema-free problems come first and are among those with the schema", () => {
        const texts = [
            ...Object.values(VALID),
            "machine:\n  instal:\n    disk: /dev/sda\n",
            "machine:\n  install:\n\tdisk: /dev/sda\n",
            "$patch: delete\n",
            "apiVersion: v1alpha1\nkind: ExtensionServiceConfig\nname: a\n$patch: merge\nconfigFiles: 3\n",
            "kind: Nope\n",
            "- op: replac\n  path: machine.install.disk\n- op: add\n  path: /machine/instal\n  value: 1\n",
            "machine:\n  install:\n    $patch: replace\n    disk: [a]\n",
        ];
        for (const text of texts) {
            const without = bare(text);
            expect(check(text).slice(0, without.length)).toEqual(without);
        }
        for (const text of Object.values(VALID)) expect(bare(text)).toEqual([]);
    });
});
