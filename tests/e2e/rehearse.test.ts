/**
 * The rehearsal's stack (e2e/rehearse.ts, pure part): what it changes in a user's stack file beyond moving it
 * onto loopback, and that it says so.
 */
import * as fs from "fs";
import * as path from "path";
import { rehearsalValues } from "../../e2e/rehearse";
import { isPlaceholderMac } from "../../components/net";
import { repoRoot } from "../support/shared";

test("the example's placeholder MAC is replaced by a locally administered one, and the note says to edit it", () => {
    const { values, notes } = rehearsalValues(
        fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8"),
        isPlaceholderMac,
    );
    expect(isPlaceholderMac(values.nodes[0].mac)).toBe(false);
    expect(parseInt(values.nodes[0].mac.slice(0, 2), 16) & 0b11).toBe(0b10);
    expect(notes[0]).toContain("nodes[0].mac is still the example's placeholder");
});

test("the whole stack is rehearsed, Kubernetes included: only upgrades are turned off, and the notes say what cannot run", () => {
    const text = [
        "config:",
        "  homelab:cluster: {name: c, upgrades: true}",
        "  homelab:workloads: {synologyCsi: {enabled: true}}",
        "  homelab:synologyPassword: {secure: v1:abc}",
        "  other:key: x",
    ].join("\n");
    const { values, notes } = rehearsalValues(text, () => false);
    // The stand-ins run Kubernetes' own control plane: the Kubernetes half of the health check stays as the stack
    // says (on by default) and the workloads stay.
    expect(values.cluster).toMatchObject({ upgrades: false });
    expect(values.cluster.healthChecks).toBeUndefined();
    expect(values.workloads).toEqual({ synologyCsi: { enabled: true } });
    expect(values.synologyPassword).toBeUndefined();
    expect(Object.keys(values).sort()).toEqual(["cluster", "workloads"]);
    expect(notes.join("\n")).toMatch(/kwok's kubelets, which run no containers[\s\S]*upgrades is off/);
});

test("a stack that turns the Kubernetes checks off keeps them off", () => {
    const { values } = rehearsalValues(
        "config:\n  homelab:cluster: {name: c, healthChecks: {kubernetes: false}}\n",
        () => false,
    );
    expect(values.cluster.healthChecks).toEqual({ kubernetes: false });
});
