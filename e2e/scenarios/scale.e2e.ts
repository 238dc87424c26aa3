/**
 * How preview time grows with nodes on the real engine: fresh stacks of 1 and of 20 nodes (the dev stack's
 * shape), previewed alternately twice each; the best of each is recorded (`previewSeconds1`,
 * `previewSeconds20`). A preview talks to no node, so no stand-in runs. Goal: 20 nodes ≤ 1.5 × one node.
 */
import { devStackWithNodes } from "../../tests/support/shared";
import { changeCounts } from "../support/events";
import { recordFigures } from "../support/figures";
import { Harness } from "../support/scenario";

const DSM_PASSWORD = "dsm-scale-Pa55-e2e";

const stacks: Record<number, Harness> = {};

beforeAll(async () => {
    for (const n of [1, 20]) {
        stacks[n] = await Harness.start({
            values: devStackWithNodes(n),
            secrets: { synologyPassword: DSM_PASSWORD, upsPassword: "ups-scale-e2e-pw" },
            servers: { dsm: { users: { admin: DSM_PASSWORD } } },
            standIn: () => undefined,
            stack: `scale${n}`,
        });
        stacks[n].servers.dsm.state.dhcpServers.eth0 = {
            ...stacks[n].servers.dsm.state.dhcpServers.eth0,
            enable: true,
        };
    }
}, 300_000);

afterAll(async () => {
    for (const h of Object.values(stacks)) await h.close();
});

test("a preview of 20 nodes costs at most 1.5 times a preview of one node", async () => {
    const best: Record<number, number> = { 1: Infinity, 20: Infinity };
    const created: Record<number, number> = {};
    for (let round = 0; round < 2; round++) {
        for (const n of [1, 20]) {
            const r = await stacks[n].engine.run(["preview", ...stacks[n].engine.stackArgs()]);
            expect(r.code).toBe(0);
            best[n] = Math.min(best[n], r.seconds);
            created[n] = changeCounts(r.events).create;
        }
    }
    // 20 nodes plan 20 times the per-node resources (wait, apply) more than one node does.
    expect(created[20] - created[1]).toBe(19 * 2);
    recordFigures({ previewSeconds1: Number(best[1].toFixed(2)), previewSeconds20: Number(best[20].toFixed(2)) });
    expect(best[20]).toBeLessThanOrEqual(1.5 * best[1]);
});
