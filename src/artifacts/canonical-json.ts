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

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Convert a value to a plain JSON tree with `JSON.stringify` semantics (`toJSON` is honoured, `undefined`
 * object members are dropped, `undefined` array items become `null`), except that it refuses what
 * `JSON.stringify` would silently corrupt: non-finite numbers (which would become `null`) throw
 * `E_OUTPUT` naming the JSON path; typed arrays become arrays (not index-keyed objects); bigint, functions,
 * symbols, Map, Set and cycles throw a TypeError.
 */
export function toJsonValue(value: unknown, path = '$'): JsonValue {
  return convert(value, path, new Set<object>(), '');
}

function convert(value: unknown, path: string, stack: Set<object>, key: string): JsonValue {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new QuantError('E_OUTPUT', `cannot write the non-finite number ${value} at ${path} as JSON`, {
          location: { jsonPath: path },
          hint: 'replace it with null or a finite value before writing',
        });
      }
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot convert a ${typeof value} at ${path} to JSON`);
  }
  if (hasToJson(value)) return convert(value.toJSON(key), path, stack, key);
  if (value instanceof Map || value instanceof Set) {
    throw new TypeError(
      `cannot convert a ${value.constructor.name} at ${path} to JSON; use a plain object or array`,
    );
  }
  if (stack.has(value)) throw new TypeError(`cyclic structure at ${path} cannot be converted to JSON`);
  stack.add(value);
  try {
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      const items = ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<unknown>) : value;
      return items.map((item: unknown, i) =>
        item === undefined ? null : convert(item, childPath(path, i), stack, String(i)),
      );
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] = convert(v, childPath(path, k), stack, k);
    }
    return out;
  } finally {
    stack.delete(value);
  }
}

/**
 * Canonical JSON of a value: object keys sorted by UTF-16 code units at every level, no whitespace,
 * numbers in ECMAScript's shortest round-trip form (as RFC 8785). Throws on non-finite numbers (E_OUTPUT)
 * and on values JSON cannot represent. Used for hashing, so equal data always gives equal bytes.
 */
export function canonicalJson(value: unknown): string {
  return serialize(toJsonValue(value));
}

function serialize(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) parts.push(`${JSON.stringify(k)}:${serialize(value[k] as JsonValue)}`);
  return `{${parts.join(',')}}`;
}
