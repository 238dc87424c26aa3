/** Key lists the compiler keeps complete (pure; no runtime cost beyond returning the list). */

/**
 * `allKeys<T>()([...])`: the list, checked both ways at compile time: every entry is a key of `T`, and every
 * key of `T` is listed (a forgotten one fails with `Property 'missing' is missing … { missing: "<key>" }`).
 * For the lists that must name every field of an interface: known config settings, SDK property names.
 */
export function allKeys<T>() {
    return <const K extends readonly (keyof T & string)[]>(
        keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> }),
    ): K => keys;
}
