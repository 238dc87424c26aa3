/** cluster.applyMode and a node's applyMode (components/talos/apply-mode.ts). */
import { APPLY_MODES, planApplyModes } from "../../components/talos/apply-mode";
import { readFileSync } from "fs";
import * as path from "path";
import { repoRoot } from "../support/shared";

const nodes = [{ hostname: "cp-1" }, { hostname: "cp-2", applyMode: "reboot" as const }, { hostname: "w-1" }];

test("the modes are the provider's own: the OneOf of talos_machine_configuration_apply.apply_mode, default auto", () => {
    const source = readFileSync(
        path.join(
            repoRoot,
            "third_party/talos-provider-0.8.1/tf-talos/pkg/talos/talos_machine_configuration_apply_resource.go",
        ),
        "utf8",
    );
    const attribute = /"apply_mode": schema\.StringAttribute\{([\s\S]*?)\n\t\t\t\},/.exec(source)![1];
    const oneOf = /stringvalidator\.OneOf\(([^)]*)\)/.exec(attribute)![1];
    expect(JSON.parse(`[${oneOf}]`)).toEqual([...APPLY_MODES]);
    expect(attribute).toContain('Default: stringdefault.StaticString("auto")');
});

describe("planApplyModes", () => {
    test.each([
        [
            "installed nodes: the node's own mode, else the cluster's",
            "staged",
            ["cp-1", "cp-2", "w-1"],
            { "cp-1": "staged", "cp-2": "reboot", "w-1": "staged" },
        ],
        ["the default everywhere", "auto", undefined, { "cp-1": "auto", "cp-2": "reboot", "w-1": "auto" }],
        [
            "a first up: maintenance mode takes reboot, not no_reboot",
            "no_reboot",
            undefined,
            { "cp-1": "auto", "cp-2": "reboot", "w-1": "auto" },
        ],
        [
            "one new node among installed ones",
            "staged_if_needing_reboot",
            ["cp-1", "cp-2"],
            { "cp-1": "staged_if_needing_reboot", "cp-2": "reboot", "w-1": "auto" },
        ],
    ] as const)("%s", (_what, mode, installed, expected) => {
        expect(planApplyModes({ applyMode: mode }, nodes, installed).modes).toEqual(expected);
    });

    test("the preview names the nodes whose first apply is made in auto mode, and why", () => {
        expect(planApplyModes({ applyMode: "staged" }, nodes, ["cp-1"]).note).toBe(
            "applyMode: the first apply of w-1 (staged) is made in auto mode: a node not installed yet is in Talos' " +
                "maintenance mode, which takes only auto and reboot. The mode applies from the next up on (that up " +
                "updates the apply, with the same config, in the new mode)",
        );
        expect(planApplyModes({ applyMode: "staged" }, nodes, ["cp-1", "cp-2", "w-1"]).note).toBeUndefined();
        expect(planApplyModes({ applyMode: "reboot" }, nodes, undefined).note).toBeUndefined();
    });
});
