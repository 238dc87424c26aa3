/** Error helpers shared by code that runs inside a dynamic provider (pure). */

/**
 * Serialised for a dynamic provider (pulumi.runtime.serializeFunction), `super(message)` in an Error
 * subclass becomes `Error.call(this, ...)`, which sets nothing on `this`, and the prototype no longer chains
 * to Error.prototype. Set message, stack and toString explicitly so a failure still says what went wrong.
 */
export function fixErrorFields(e: Error, name: string, message: string): void {
    e.name = name;
    if (e.message !== message)
        Object.defineProperty(e, "message", { value: message, enumerable: false, writable: true, configurable: true });
    if (typeof e.stack !== "string" || !e.stack.includes(message)) {
        const holder: { stack?: string } = {};
        Error.captureStackTrace?.(holder);
        Object.defineProperty(e, "stack", {
            value: `${name}: ${message}\n${(holder.stack ?? "").split("\n").slice(1).join("\n")}`,
            enumerable: false,
            writable: true,
            configurable: true,
        });
    }
    if (!(e instanceof Error) || e.toString === Object.prototype.toString) {
        Object.defineProperty(e, "toString", {
            value: () => `${name}: ${message}`,
            enumerable: false,
            configurable: true,
            writable: true,
        });
    }
}
