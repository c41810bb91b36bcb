// Reading members of parsed JSON artifacts in tests without `any`: `at(doc, 'calendar', 'periods_per_year')`.
import { readFileSync } from 'node:fs';

/** A JSON file, parsed. */
export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/** The member at `keys` (undefined when a step is missing or not an object/array). */
export function at(doc: unknown, ...keys: (string | number)[]): unknown {
  let v = doc;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** The number at `keys`; fails when it is not one. */
export function numberAt(doc: unknown, ...keys: (string | number)[]): number {
  const v = at(doc, ...keys);
  if (typeof v !== 'number') throw new Error(`${keys.join('.')} is ${JSON.stringify(v)}, not a number`);
  return v;
}
