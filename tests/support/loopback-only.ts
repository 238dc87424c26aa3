/**
 * Jest setup (package.json `setupFiles`): tests may only talk to this machine. Any TCP connect or UDP
 * send from a test process to an address other than loopback throws instead of leaving the machine,
 * so a default config (the dev stack's 192.168.0.x NAS, factory.talos.dev, GitHub) can never be
 * contacted by accident. Child processes that tests start inside their own network namespaces are
 * separate processes and are not affected.
 */
import * as dgram from "dgram";
import * as net from "net";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i;

function check(host: unknown, what: string): void {
    const h = typeof host === "string" && host !== "" ? host.replace(/^\[|\]$/g, "") : "localhost";
    if (!LOOPBACK.test(h)) {
        throw new Error(
            `tests may only talk to loopback: ${what} to ${h} refused (point the client at a local server)`,
        );
    }
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with .apply(this, args)
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    if (first && typeof first === "object") {
        const o = first as { path?: string; host?: string };
        if (typeof o.path !== "string") check(o.host, "TCP connect");
    } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
        check(args[1], "TCP connect");
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
};

// eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with .apply(this, args)
const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    // send(msg, [offset, length,] port, address, cb): the address is the first string after the port.
    const address = args.slice(1).find((a) => typeof a === "string");
    if (address !== undefined) check(address, "UDP send");
    return (send as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;
