/**
 * e2e/support/processes.ts: what a run starts is found (by the marker every descendant inherits) and stopped,
 * including a grandchild that outlives its parent, the way a plugin outlives a killed `pulumi`.
 */
import * as fs from "fs";
import { OWNER_ENV, ProcessOwner, processesWithEnv, RUN_ENV, runMarker, survivors } from "../../e2e/support/processes";

const linux = fs.existsSync("/proc/self/environ");
const maybe = linux ? test : test.skip;

const exited = (child: {
    exitCode: number | null;
    signalCode: string | null;
    once: (e: "exit", f: () => void) => void;
}) =>
    child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((r) => child.once("exit", () => r()));

maybe("an orphaned grandchild is found by its marker and stopped with its owner; nothing survives", async () => {
    const owner = new ProcessOwner("test");
    // The child starts a grandchild in a session of its own (not in the child's process group), prints its pid
    // and exits: the grandchild lives on as an orphan, as a plugin does when `pulumi` is SIGKILLed.
    const child = owner.spawn("sh", ["-c", "setsid sleep 300 & echo $!"], { stdio: ["ignore", "pipe", "ignore"] });
    const out = await new Promise<string>((resolve) => {
        let text = "";
        child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
        child.once("exit", () => resolve(text));
    });
    const grandchild = Number(out.trim());
    expect(grandchild).toBeGreaterThan(0);

    // Not in the child's group, and the child is gone: only the inherited marker leads to it.
    const marked = processesWithEnv(OWNER_ENV, owner.id).map((p) => p.pid);
    expect(marked).toEqual([grandchild]);
    expect(survivors(runMarker()).map((p) => p.pid)).toContain(grandchild);

    await owner.stop(2000);
    expect(processesWithEnv(OWNER_ENV, owner.id)).toEqual([]);
    expect(survivors(runMarker()).map((p) => p.pid)).not.toContain(grandchild);
});

maybe("stop() ends a child that ignores SIGTERM, with SIGKILL after the grace period", async () => {
    const owner = new ProcessOwner("stubborn");
    const child = owner.spawn("sh", ["-c", "trap '' TERM; sleep 300"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await owner.stop(500);
    await exited(child);
    expect(child.signalCode ?? "").toBe("SIGKILL");
    // Bounded: the grace period, then SIGKILL (generous: the machine may be busy).
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(owner.alive()).toEqual([]);
});

test("every process an owner starts carries the run's marker and the owner's", () => {
    const owner = new ProcessOwner("env");
    const env = owner.env({ PATH: "/bin" });
    expect(env[RUN_ENV]).toBe(runMarker());
    expect(env[OWNER_ENV]).toBe(owner.id);
    expect(env.PATH).toBe("/bin");
    return owner.stop(0);
});
