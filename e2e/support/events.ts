/**
 * The engine's event log (`--event-log`, one JSON engine event a line; Pulumi's apitype.EngineEvent), read into
 * what the scenarios assert on (pure).
 */

export interface StepMetadata {
    op: string;
    urn: string;
    type: string;
    provider?: string;
    diffs?: string[];
    detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
    old?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
    new?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown>; parent?: string } | null;
}

export interface EngineEvent {
    sequence?: number;
    timestamp?: number;
    resourcePreEvent?: { metadata: StepMetadata; planning?: boolean };
    resOutputsEvent?: { metadata: StepMetadata; planning?: boolean };
    resOpFailedEvent?: { metadata: StepMetadata; status: number; steps: number };
    diagnosticEvent?: {
        urn?: string;
        prefix?: string;
        message: string;
        color?: string;
        severity: string;
        ephemeral?: boolean;
    };
    summaryEvent?: { maybeCorrupt: boolean; durationSeconds: number; resourceChanges: Record<string, number> };
    cancelEvent?: Record<string, never>;
    [other: string]: unknown;
}

/** Parses an event log; lines that are not JSON (a log cut by SIGKILL) are skipped. */
export function parseEventLog(text: string): EngineEvent[] {
    const out: EngineEvent[] = [];
    for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        try {
            out.push(JSON.parse(line) as EngineEvent);
        } catch {
            /* a partial last line */
        }
    }
    return out;
}

/** Every step the engine announced (`resourcePreEvent`), in order. */
export function steps(events: readonly EngineEvent[]): StepMetadata[] {
    return events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []));
}

/** Steps that change something (not `same`, not reads). */
export function changingSteps(events: readonly EngineEvent[]): StepMetadata[] {
    return steps(events).filter((s) => !["same", "read", "refresh"].includes(s.op));
}

/** The last resource name of a URN (`urn:pulumi:s::p::a$b::name` → `name`). */
export function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** The type chain of a URN (`a$b`), i.e. the parents' types and its own. */
export function urnTypeChain(urn: string): string {
    const parts = urn.split("::");
    return parts[parts.length - 2] ?? "";
}

/** The summary's change counts (`create`, `update`, `same`, `delete`, `replace`, …). */
export function changeCounts(events: readonly EngineEvent[]): Record<string, number> {
    const s = events.find((e) => e.summaryEvent)?.summaryEvent;
    return s ? { ...s.resourceChanges } : {};
}

/** Diagnostics of a severity (`error`, `warning`, `info`, `info#err`), non-ephemeral, with their URN. */
export function diagnostics(
    events: readonly EngineEvent[],
    severity?: string,
): { urn?: string; message: string; severity: string }[] {
    return events.flatMap((e) => {
        const d = e.diagnosticEvent;
        if (!d || d.ephemeral) return [];
        if (severity && d.severity !== severity) return [];
        return [{ urn: d.urn, message: d.message, severity: d.severity }];
    });
}

/** Steps that failed (`resOpFailedEvent`). */
export function failedSteps(events: readonly EngineEvent[]): StepMetadata[] {
    return events.flatMap((e) => (e.resOpFailedEvent ? [e.resOpFailedEvent.metadata] : []));
}
