/** The error `p` rejects with (its fields open to assertions); a test failure when it resolves. */
export async function caught(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
    try {
        await p;
    } catch (e) {
        return e as Error & Record<string, unknown>;
    }
    throw new Error("expected a rejection");
}
