/**
 * What the program asks the engine for first, before it loads the rest of its modules (index.ts imports this module
 * before any other of the program's), so that the engine works while the program loads and runs `main()` (issue
 * 27): the stack's previous outputs, and the start of the dynamic-provider host.
 *
 * Why the order matters. The engine answers every request that needs a default provider (every invoke and resource
 * without an explicit provider, the engine's built-in `pulumi` package included) through one queue, and the request
 * that first needs a package's provider holds that queue until the provider's plugin has started. The
 * dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`, a Node.js process of its own) takes about 0.8 s to
 * start: Node.js, `@pulumi/pulumi`, the providers' modules. It used to start at the program's first dynamic
 * resource, at the end of `main()`, so every `preview` and `up` waited for it after the program had done its own
 * work. Now: first the read of the previous outputs (the built-in provider answers at once; `main()` waits for it),
 * then the host's start, while the program loads its modules and runs `main()`.
 *
 * Only with an engine: under the mock runtime of the unit tests nothing is asked early (readPreviousOutputs asks when
 * called). Nothing here can fail a run that would otherwise pass: the host's start is an answer dropped, and an error
 * of the early read reaches `main()` as the same read would have.
 */
import * as pulumi from "@pulumi/pulumi";

/** The Pulumi engine's built-in function that reads a stack's outputs (the one a StackReference reads through). */
export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/**
 * The invoke that starts the host: a function of the package `pulumi-nodejs` that does not exist. The engine starts
 * the package's default provider (the one every dynamic resource of the program uses) to ask it; dynamic providers
 * implement no function, so it answers "unknown function". Nothing is read or written anywhere.
 */
export const START_HOST_TOKEN = "pulumi-nodejs:dynamic:startHost";

interface StackOutputsRead {
    outputs?: Record<string, unknown>;
    secretOutputNames?: string[];
}

type Invoke = (token: string, args: Record<string, unknown>) => Promise<unknown>;

/** The read started early, taken by the first readPreviousOutputs. */
let early: Promise<StackOutputsRead> | undefined;

function readOwnOutputs(invoke: Invoke): Promise<StackOutputsRead> {
    const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    return invoke(READ_STACK_OUTPUTS, { name }) as Promise<StackOutputsRead>;
}

/**
 * The named outputs of this stack's previous `up` (none on its first), from the engine's built-in
 * {@link READ_STACK_OUTPUTS} on the stack itself (`<organization>/<project>/<stack>`; the engine reads the last
 * checkpoint, from the file backend as from Pulumi Cloud). An invoke, not a StackReference: a StackReference is a
 * resource whose stored copy of the outputs would be out of date after every `up` that changes them, a change
 * `pulumi refresh` would report. Only outputs in clear are taken: a secret one is left out, so nothing secret
 * goes further than this function. The first call takes the read {@link startEngineRequests} started.
 */
export async function readPreviousOutputs(
    names: readonly string[],
    invoke: Invoke = pulumi.runtime.invoke,
): Promise<Record<string, unknown>> {
    const started = early;
    early = undefined;
    const read = await (started ?? readOwnOutputs(invoke));
    const outputs = read.outputs ?? {};
    const secret = new Set(read.secretOutputNames ?? []);
    const out: Record<string, unknown> = {};
    for (const key of names) if (outputs[key] !== undefined && !secret.has(key)) out[key] = outputs[key];
    return out;
}

/**
 * With an engine: starts the read of the previous outputs, then the dynamic-provider host (module comment); returns
 * what it asked, in order. Without one (the mock runtime), asks nothing.
 */
export function startEngineRequests(
    invoke: Invoke = pulumi.runtime.invoke,
    hasEngine: () => boolean = pulumi.runtime.hasEngine,
): string[] {
    if (!hasEngine()) return [];
    const asked: string[] = [];
    try {
        early = readOwnOutputs(invoke);
        // Handled here so that a failure the program has not asked for yet is not "unhandled"; main() still sees it.
        early.catch(() => undefined);
        asked.push(READ_STACK_OUTPUTS);
        void Promise.resolve(invoke(START_HOST_TOKEN, {})).catch(() => undefined);
        asked.push(START_HOST_TOKEN);
    } catch {
        // An invoke that could not even be sent: main() asks again, and the host starts at the first dynamic resource.
    }
    return asked;
}

startEngineRequests();
