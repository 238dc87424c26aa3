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

test("no Kubernetes in the stand-ins: Kubernetes health checks, workloads and upgrades are left out, each with a note", () => {
    const text = [
        "config:",
        "  homelab:cluster: {name: c, upgrades: true}",
        "  homelab:workloads: {synologyCsi: {enabled: true}}",
        "  homelab:synologyPassword: {secure: v1:abc}",
        "  other:key: x",
    ].join("\n");
    const { values, notes } = rehearsalValues(text, () => false);
    expect(values.cluster).toMatchObject({ upgrades: false, healthChecks: { kubernetes: false } });
    expect(values.workloads).toBeUndefined();
    expect(values.synologyPassword).toBeUndefined();
    expect(Object.keys(values).sort()).toEqual(["cluster"]);
    expect(notes.join("\n")).toMatch(
        /Kubernetes half of the health check is off[\s\S]*workloads is left out[\s\S]*upgrades is off/,
    );
});
