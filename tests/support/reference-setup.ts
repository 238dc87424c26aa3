/**
 * Jest `globalSetup` (package.json): before any test runs, makes every pinned reference file available
 * (tests/support/reference.ts). A no-op without network when ../shared or the cache holds them; else the
 * missing ones are downloaded once. When that fails, the run stops here with one message saying what is
 * missing and how to get it, instead of failing test by test.
 *
 * It runs in jest's own process, outside the loopback-only guard of the test files: this is the one place
 * of the suite allowed to reach the public source (raw.githubusercontent.com, or HOMELAB_REFERENCE_BASE_URL).
 */
import { ensureReferenceFiles, ReferenceDataError } from "./reference";

export default async function referenceSetup(): Promise<void> {
    try {
        await ensureReferenceFiles({ log: (m) => console.log(m) });
    } catch (e) {
        if (e instanceof ReferenceDataError) {
            // The message is the whole story; a stack trace into this file would only hide it.
            e.stack = `${e.name}: ${e.message}`;
        }
        throw e;
    }
}
