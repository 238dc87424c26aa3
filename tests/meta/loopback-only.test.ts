/** The loopback guard itself: a test that tried to reach the LAN or the internet would fail, not connect. */
import * as dgram from "dgram";
import * as http from "http";
import * as net from "net";
import axios from "axios";

test("a TCP connection to a LAN address is refused before any packet leaves", () => {
    expect(() => net.connect({ host: "192.168.0.6", port: 5001 })).toThrow(/only talk to loopback.*192\.168\.0\.6/);
    expect(() => net.connect(5001, "10.0.0.1")).toThrow(/only talk to loopback/);
});

test("an HTTP client pointed at a public host fails with the guard's message", async () => {
    await expect(axios.get("https://factory.talos.dev/versions", { timeout: 1000 })).rejects.toThrow(
        /only talk to loopback.*factory\.talos\.dev/,
    );
});

test("a UDP send to a broadcast address is refused", () => {
    const s = dgram.createSocket("udp4");
    try {
        expect(() => s.send(Buffer.from("x"), 9, "192.168.0.255")).toThrow(/only talk to loopback/);
    } finally {
        s.close();
    }
});

test("loopback still works", async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as net.AddressInfo;
    try {
        expect((await axios.get(`http://127.0.0.1:${port}/`)).data).toBe("ok");
        expect((await axios.get(`http://localhost:${port}/`)).data).toBe("ok");
    } finally {
        server.close();
    }
});
