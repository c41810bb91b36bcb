/**
 * Name-keyed lookups that only see names the data declares. On a plain object, `obj[name]` and
 * `name in obj` also find what every object inherits (`constructor`, `toString`, `hasOwnProperty`, ...),
 * so a profile, sleeve or asset of such a name would be "found" without being declared, or a declared one
 * would be shadowed. Lookups keyed by a user's names go through these helpers or a `Map`.
 */

/**
 * The one name no object can hold as an ordinary key: assigning `__proto__` replaces an object's
 * prototype, and zod, object spread and many JSON tools drop or reinterpret it. It is refused wherever a
 * name is read (manifest keys and names, table columns, params keys).
 */
export const RESERVED_NAME = '__proto__';

/** `record[key]` if `record` has it as its own property, else `undefined`. */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy of `record` without a prototype: a lookup of an absent name is `undefined`, whatever the name. */
export function nullPrototypeRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [key, value] of Object.entries(record)) {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
