// Plain JSON for viewers: typed arrays become arrays, non-finite numbers null; and a diff of documents.

/** `value` as `JSON.stringify` should see it: typed arrays as arrays, NaN and ±∞ as null. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>, (x) => jsonSafe(x));
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    Object.defineProperty(out, k, {
      value: jsonSafe(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The leaves of a JSON document by JSON path (`$.profiles.m.sleeves[0].id`); an empty object or array is a leaf. */
function leaves(value: unknown, at: string, out: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(value) && value.length > 0) value.forEach((v, i) => leaves(v, `${at}[${i}]`, out));
  else if (typeof value === 'object' && value !== null && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value))
      leaves(v, /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`, out);
  } else out.set(at, value);
  return out;
}

/**
 * The JSON paths whose value differs between documents (a document that is null is absent), each with
 * the value in every document (null where the path is absent), in the order of first appearance.
 */
export function jsonDiff(docs: readonly unknown[]): { path: string; values: unknown[] }[] {
  const maps = docs.map((d) => (d === null ? new Map<string, unknown>() : leaves(d, '$', new Map())));
  const paths = [...new Set(maps.flatMap((m) => [...m.keys()]))];
  const out: { path: string; values: unknown[] }[] = [];
  for (const path of paths) {
    const values = maps.map((m) => (m.has(path) ? m.get(path) : null));
    const texts = new Set(maps.map((m) => (m.has(path) ? JSON.stringify(m.get(path)) : '\u0000absent')));
    if (texts.size > 1) out.push({ path, values });
  }
  return out;
}
