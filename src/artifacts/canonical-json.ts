/**
 * JSON normalisation and canonical serialisation. Every JSON artifact and every ledger record goes through
 * {@link toJsonValue} first, so what is hashed is exactly what a reader parses back from disk.
 */
import { QuantError } from '../errors.js';

/** A plain JSON value tree. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

interface ToJsonCapable {
  toJSON(key: string): unknown;
}

function hasToJson(value: object): value is ToJsonCapable {
  return typeof (value as Partial<ToJsonCapable>).toJSON === 'function';
}

/** The JSON path of the member `keys` below `base`, built only when an error needs it. */
function pathOf(base: string, keys: readonly (string | number)[]): string {
  let path = base;
  for (const key of keys) {
    if (typeof key === 'number') path = `${path}[${key}]`;
    else path = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
  }
  return path;
}

/**
 * Convert a value to a plain JSON tree with `JSON.stringify` semantics (`toJSON` is honoured, `undefined`
 * object members are dropped, `undefined` array items become `null`), except that it refuses what
 * `JSON.stringify` would silently corrupt: non-finite numbers (which would become `null`) throw
 * `E_OUTPUT` naming the JSON path; typed arrays become arrays (not index-keyed objects); bigint, functions,
 * symbols, Map, Set and cycles throw a TypeError.
 */
export function toJsonValue(value: unknown, path = '$'): JsonValue {
  return new JsonConversion(path).convert(value, '');
}

/**
 * One conversion: the members on the way down (`keys`) and the objects being converted (cycles); the path
 * of a member is spelled out only for an error, so a large tree costs no string per member.
 */
class JsonConversion {
  private readonly keys: (string | number)[] = [];
  private readonly stack = new Set<object>();

  constructor(private readonly base: string) {}

  private path(): string {
    return pathOf(this.base, this.keys);
  }

  convert(value: unknown, key: string): JsonValue {
    if (value === null) return null;
    switch (typeof value) {
      case 'boolean':
      case 'string':
        return value;
      case 'number':
        if (!Number.isFinite(value)) {
          const path = this.path();
          throw new QuantError('E_OUTPUT', `cannot write the non-finite number ${value} at ${path} as JSON`, {
            location: { jsonPath: path },
            hint: 'replace it with null or a finite value before writing',
          });
        }
        return value;
      case 'object':
        break;
      default:
        throw new TypeError(`cannot convert a ${typeof value} at ${this.path()} to JSON`);
    }
    if (hasToJson(value)) return this.convert(value.toJSON(key), key);
    if (value instanceof Map || value instanceof Set) {
      throw new TypeError(
        `cannot convert a ${value.constructor.name} at ${this.path()} to JSON; use a plain object or array`,
      );
    }
    const { stack, keys } = this;
    if (stack.has(value))
      throw new TypeError(`cyclic structure at ${this.path()} cannot be converted to JSON`);
    stack.add(value);
    try {
      if (Array.isArray(value) || ArrayBuffer.isView(value)) {
        const items = ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<unknown>) : value;
        const out: JsonValue[] = new Array<JsonValue>(items.length);
        for (let i = 0; i < items.length; i++) {
          const item: unknown = items[i];
          if (item === undefined) {
            out[i] = null;
            continue;
          }
          keys.push(i);
          out[i] = this.convert(item, String(i));
          keys.pop();
        }
        return out;
      }
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        keys.push(k);
        out[k] = this.convert(v, k);
        keys.pop();
      }
      return out;
    } finally {
      stack.delete(value);
    }
  }
}

/**
 * Canonical JSON of a value: object keys sorted by UTF-16 code units at every level, no whitespace,
 * numbers in ECMAScript's shortest round-trip form (as RFC 8785). Throws on non-finite numbers (E_OUTPUT)
 * and on values JSON cannot represent. Used for hashing, so equal data always gives equal bytes.
 */
export function canonicalJson(value: unknown): string {
  return canonicalJsonOf(toJsonValue(value));
}

/**
 * {@link canonicalJson} of a value that is already a plain JSON tree (what {@link toJsonValue} returns,
 * or what `JSON.parse` gives): the same text without converting the tree again.
 */
export function canonicalJsonOf(value: JsonValue): string {
  const out: string[] = [];
  serialize(value, out);
  return out.join('');
}

// Appends the pieces of one value to `out` (one join at the end, not one per nested array or object). An
// array of numbers is JSON.stringify's own text: the same numbers in the same form, comma-separated.
function serialize(value: JsonValue, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    out.push(JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'number')) {
      out.push(JSON.stringify(value));
      return;
    }
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      serialize(value[i] as JsonValue, out);
    }
    out.push(']');
    return;
  }
  const keys = Object.keys(value).sort();
  out.push('{');
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out.push(i === 0 ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
    serialize(value[k] as JsonValue, out);
  }
  out.push('}');
}
