/**
 * Waiting for a node before its apply (components/talos/node-wait.ts): against real TCP listeners on loopback,
 * and the pure diff that decides when an `up` waits at all.
 */
import * as net from "net";
import {
    diffNodeWait,
    NodeWaitState,
    nodeWaitHint,
    TalosNodeWait,
    waitForTalosApi,
} from "../../components/talos/node-wait";

function state(over: Partial<NodeWaitState> = {}): NodeWaitState {
    return {
        hostname: "cp-1",
        ip: "127.0.0.1",
        port: 1,
        timeoutSeconds: 1,
        timeoutText: "1s",
        configHash: "h1",
        hint: nodeWaitHint({
            hostname: "cp-1",
            mac: "52:54:00:12:34:56",
            ip: "192.168.0.2",
            stack: "dev",
            wakeOnLan: false,
        }),
        ...over,
    };
}

async function freePort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
}

test("resolves as soon as something listens on the port, also when it starts listening late", async () => {
    const port = await freePort();
    const server = net.createServer((c) => c.destroy());
    setTimeout(() => server.listen(port, "127.0.0.1"), 300);
    try {
        await expect(waitForTalosApi(state({ port, timeoutSeconds: 5 }), 100)).resolves.toBeUndefined();
    } finally {
        await new Promise((r) => server.close(r));
    }
});

test("a node that never answers fails after the timeout, naming node, address, port, setting and what to check", async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await waitForTalosApi(state({ port, timeoutSeconds: 1 }), 100).catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((err as Error).message).toMatch(
        /^node cp-1 \(127\.0\.0\.1\) did not answer on the Talos API port \d+ within 1s \(cluster\.applyTimeout; last attempt: ECONNREFUSED\)/,
    );
    expect((err as Error).message).toContain("the NAS's DHCP server hands 52:54:00:12:34:56 the address 192.168.0.2");
    expect((err as Error).message).toContain("npm run doctor -- --stack dev --only nodes,dhcp,tftp");
});

test("the hint says when a Wake-on-LAN packet was sent", () => {
    expect(
        nodeWaitHint({ hostname: "w", mac: "aa:bb:cc:dd:ee:ff", ip: "10.0.0.2", stack: "s", wakeOnLan: true }),
    ).toContain("(a Wake-on-LAN packet was sent to aa:bb:cc:dd:ee:ff)");
});

describe("when an up waits", () => {
    test("a new config, address or port: changes (the update waits); nothing changed: no change", () => {
        expect(diffNodeWait(state(), state()).changes).toBe(false);
        for (const over of [{ configHash: "h2" }, { ip: "127.0.0.9" }, { port: 2 }]) {
            expect(diffNodeWait(state(), state(over)).changes).toBe(true);
        }
    });

    test("only the message or timeout changed: recorded without waiting for the node", async () => {
        const port = await freePort(); // nothing listens: a wait would fail
        const olds = state({ port });
        const news = state({ port, timeoutSeconds: 60, timeoutText: "1m", hint: "other" });
        expect(diffNodeWait(olds, news).changes).toBe(true);
        await expect(TalosNodeWait.provider.update!("id", olds, news)).resolves.toEqual({ outs: news });
    });
});
