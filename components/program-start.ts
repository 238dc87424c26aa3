/**
 * What `main()` asks the engine for first, once the stack's config has passed its checks (issue 27): the stack's
 * previous outputs, then the start of the dynamic-provider host, so that the host starts while the program works.
 *
 * The dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`, a Node.js process of its own) takes about 0.8 s to
 * start: Node.js, `@pulumi/pulumi`, the providers' modules. The engine starts it the first time the program asks
 * anything of the package `pulumi-nodejs`; the program's first dynamic resource registers at the end of `main()`, so
 * every `preview` and `up` used to wait for that start after the program had done its own work.
 * {@link startProviderHost} asks for it as `main()` begins.
 *
 * Why the read goes first. The engine answers every request that needs a default provider (every invoke and resource
 * without an explicit provider, the engine's own built-in `pulumi` package included) through one queue, and the
 * request that first needs a package's provider holds that queue until the provider has started. `main()` waits for
 * the previous outputs; asked after the host, the read would wait for the host's start too.
 *
 * What it costs: the host's default provider is registered from the start of the run, as any dynamic resource would
 * register it. A run that then fails at the NAS pre-flight (or a patch check) records the stack's config in that
 * provider's entry of the state, as a run that got further did before; nothing else, and nothing remote.
 */
import * as pulumi from "@pulumi/pulumi";

/** The Pulumi engine's built-in function that reads a stack's outputs (the one a StackReference reads through). */
export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/**
 * The invoke that starts the host: a function of the package `pulumi-nodejs` that does not exist. The engine starts
 * the package's default provider (the one every dynamic resource of the program uses) to ask it; dynamic providers
 * implement no function, so it answers "unknown function", an answer the program drops. Nothing is read or written
 * anywhere.
 */
export const START_HOST_TOKEN = "pulumi-nodejs:dynamic:startHost";

type Invoke = (token: string, args: Record<string, unknown>) => Promise<unknown>;

/**
 * The named outputs of this stack's previous `up` (none on its first), from the engine's built-in
 * {@link READ_STACK_OUTPUTS} on the stack itself (`<organization>/<project>/<stack>`; the engine reads the last
 * checkpoint, from the file backend as from Pulumi Cloud). An invoke, not a StackReference: a StackReference is a
 * resource whose stored copy of the outputs would be out of date after every `up` that changes them, a change
 * `pulumi refresh` would report. Only outputs in clear are taken: a secret one is left out, so nothing secret
 * goes further than this function.
 */
export async function readPreviousOutputs(
    names: readonly string[],
    invoke: Invoke = pulumi.runtime.invoke,
): Promise<Record<string, unknown>> {
    const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    const read = (await invoke(READ_STACK_OUTPUTS, { name })) as {
        outputs?: Record<string, unknown>;
        secretOutputNames?: string[];
    };
    const outputs = read.outputs ?? {};
    const secret = new Set(read.secretOutputNames ?? []);
    const out: Record<string, unknown> = {};
    for (const key of names) if (outputs[key] !== undefined && !secret.has(key)) out[key] = outputs[key];
    return out;
}

/**
 * Asks the engine to start the dynamic-provider host now (module comment); returns whether it asked. Call it right
 * after asking for what `main()` waits on. Only with an engine: under the mock runtime of the unit tests nothing is
 * asked. Nothing here can fail the run: the answer is dropped, and an invoke that cannot be sent leaves the host to
 * start at the first dynamic resource, as before.
 */
export function startProviderHost(
    invoke: Invoke = pulumi.runtime.invoke,
    hasEngine: () => boolean = pulumi.runtime.hasEngine,
): boolean {
    if (!hasEngine()) return false;
    try {
        void Promise.resolve(invoke(START_HOST_TOKEN, {})).catch(() => undefined);
    } catch {
        return false;
    }
    return true;
}
