/**
 * A `talosctl` stand-in for the unit tests of the etcd snapshot (the end-to-end suite uses the real talosctl
 * against the Talos node stand-in). An executable script put first on PATH, answering the two commands the
 * snapshot code runs, as talosctl v1.13 does on the command line:
 *
 *   talosctl --talosconfig <file> --nodes <ip> --endpoints <ip> version
 *   talosctl --talosconfig <file> --nodes <ip> --endpoints <ip> get extensions -o jsonpath=<path>
 *   talosctl --talosconfig <file> --nodes <ip> --endpoints <ip> etcd snapshot <path>
 *
 * Stateful: each node (by address) answers or not, runs a Talos version, has etcd running or not, and streams a
 * snapshot of a given size: a deterministic body (from the address and a revision that rises with every
 * snapshot) ending in the SHA-256 of that body, written to `<path>.part` (0600) and renamed, as talosctl does,
 * and refused like talosctl when the size would not pass its `(size % 512) == 32` check. Faults: a node that
 * does not answer (talosctl's "connection refused" error), etcd down (machined's Unavailable), a stream cut
 * part-way (talosctl removes its `.part` file and fails). Every call is logged with the mode of the
 * talosconfig file it was given (the code under test must hand it a 0600 file).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface StandInNode {
    /** Does the node answer the Talos API at all? Default true. */
    answers?: boolean;
    /** The Talos version it runs. */
    tag: string;
    /** The Image Factory schematic it runs (`get extensions` lists it as the extension `schematic`); none when unset. */
    schematic?: string;
    /** Is etcd running on it (a control plane)? Default true. */
    etcd?: boolean;
    /** Snapshot body size in bytes, without the 32-byte trailer; a multiple of 512 passes talosctl's check. Default 64 KiB. */
    bytes?: number;
    /** Cut the stream after this many bytes. */
    cutAfter?: number;
    /** Answer this much later, ms. */
    delayMs?: number;
    /** Revision the next snapshot is made at (rises by one with each). Default 1. */
    revision?: number;
}

export interface StandInCall {
    args: string[];
    node: string;
    command: string;
    /** Octal mode of the talosconfig file at the time of the call ("missing" when there was none). */
    talosconfigMode: string;
    talosconfigText: string;
    exit: number;
}

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require("fs");
const crypto = require("crypto");
const STATE = process.env.TALOSCTL_STANDIN_STATE || __STATE__;
const LOG = __LOG__;
const argv = process.argv.slice(2);
let config = "", node = "", words = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--talosconfig") config = argv[++i];
  else if (a === "--nodes" || a === "-n") node = argv[++i];
  else if (a === "--endpoints" || a === "-e") argv[++i];
  else words.push(a);
}
const state = JSON.parse(fs.readFileSync(STATE, "utf8"));
let mode = "missing", text = "";
try { mode = (fs.statSync(config).mode & 0o777).toString(8); text = fs.readFileSync(config, "utf8"); } catch (e) {}
const finish = (code, out, err) => {
  fs.appendFileSync(LOG, JSON.stringify({ args: argv, node, command: words.join(" "), talosconfigMode: mode, talosconfigText: text, exit: code }) + "\n");
  if (out) process.stdout.write(out);
  if (err) process.stderr.write(err);
  process.exit(code);
};
const n = state.nodes[node];
const refused = 'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ' + node + ':50000: connect: connection refused"';
setTimeout(() => {
  if (!config || mode === "missing") return finish(1, "", "error constructing client: failed to open config file " + JSON.stringify(config) + ": no such file or directory\n");
  if (words[0] === "version") {
    const client = "Client:\n\tTag:         v1.13.0\n\tSHA:         standin\n\tOS/Arch:     linux/amd64\n";
    if (!n || n.answers === false) return finish(1, client, "error getting version: " + refused + "\n");
    return finish(0, client + "Server:\n\tNODE:        " + node + "\n\tTag:         " + n.tag + "\n\tSHA:         standin\n\tEnabled:     RBAC\n", "");
  }
  if (words[0] === "get" && words[1] === "extensions") {
    // each result of the jsonpath on a line: an extension's name, then its version
    if (!n || n.answers === false) return finish(1, "", "error listing resources: " + refused + "\n");
    return finish(0, "iscsi-tools\nv0.2.0\n" + (n.schematic ? "schematic\n" + n.schematic + "\n" : ""), "");
  }
  if (words[0] === "etcd" && words[1] === "snapshot" && words[2]) {
    const dest = words[2];
    if (!n || n.answers === false) return finish(1, "", "error reading file: " + refused + "\n");
    if (n.etcd === false) return finish(1, "", 'error reading file: rpc error: code = Unavailable desc = failed reading etcd snapshot: connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused"\n');
    const bytes = n.bytes === undefined ? 65536 : n.bytes;
    const revision = n.revision || 1;
    n.revision = revision + 1;
    fs.writeFileSync(STATE, JSON.stringify(state));
    const part = dest + ".part";
    const fd = fs.openSync(part, "w", 0o600);
    const sum = crypto.createHash("sha256");
    let written = 0, block = 0;
    while (written < bytes) {
      let chunk = crypto.createHash("sha512").update(node + "/" + revision + "/" + block++).digest();
      chunk = chunk.subarray(0, Math.min(chunk.length, bytes - written));
      if (n.cutAfter !== undefined && written + chunk.length > n.cutAfter) {
        fs.closeSync(fd); fs.rmSync(part, { force: true });
        return finish(1, "", "error reading file: unexpected EOF\n");
      }
      fs.writeSync(fd, chunk); sum.update(chunk); written += chunk.length;
    }
    fs.writeSync(fd, sum.digest());
    fs.closeSync(fd);
    const size = bytes + 32;
    if (size % 512 !== 32) { fs.rmSync(part, { force: true }); return finish(1, "", "sha256 checksum not found (size " + size + ")\n"); }
    fs.renameSync(part, dest);
    return finish(0, "etcd snapshot saved to " + JSON.stringify(dest) + " (" + size + " bytes)\n", "");
  }
  return finish(1, "", "unknown command " + JSON.stringify(words.join(" ")) + " for \"talosctl\"\n");
}, (n && n.delayMs) || 0);
`;

/** The body a stand-in node streams for `revision` (what lands in the file), for comparisons. */
export function standInSnapshotBytes(ip: string, bytes: number, revision: number): Buffer {
    const parts: Buffer[] = [];
    let written = 0;
    for (let block = 0; written < bytes; block++) {
        const chunk = createHash("sha512")
            .update(`${ip}/${revision}/${block}`)
            .digest()
            .subarray(0, Math.min(64, bytes - written));
        parts.push(chunk);
        written += chunk.length;
    }
    const body = Buffer.concat(parts);
    return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

export class TalosctlStandIn {
    private constructor(
        readonly dir: string,
        private readonly stateFile: string,
        private readonly logFile: string,
    ) {}

    /** Writes the script (talosctl) and its state into a fresh folder. */
    static create(nodes: Record<string, StandInNode>): TalosctlStandIn {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "talosctl-standin-"));
        const stateFile = path.join(dir, "state.json");
        const logFile = path.join(dir, "calls.jsonl");
        fs.writeFileSync(stateFile, JSON.stringify({ nodes }));
        fs.writeFileSync(
            path.join(dir, "talosctl"),
            SCRIPT.replace("__STATE__", JSON.stringify(stateFile)).replace("__LOG__", JSON.stringify(logFile)),
            { mode: 0o755 },
        );
        return new TalosctlStandIn(dir, stateFile, logFile);
    }

    get bin(): string {
        return path.join(this.dir, "talosctl");
    }

    /** PATH with this talosctl first. */
    pathEnv(base = process.env.PATH ?? ""): string {
        return `${this.dir}${path.delimiter}${base}`;
    }

    node(ip: string): StandInNode {
        return (JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as { nodes: Record<string, StandInNode> }).nodes[
            ip
        ];
    }

    set(ip: string, change: Partial<StandInNode>): void {
        const s = JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as { nodes: Record<string, StandInNode> };
        s.nodes[ip] = { ...s.nodes[ip], ...change };
        fs.writeFileSync(this.stateFile, JSON.stringify(s));
    }

    calls(): StandInCall[] {
        if (!fs.existsSync(this.logFile)) return [];
        return fs
            .readFileSync(this.logFile, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as StandInCall);
    }

    close(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
