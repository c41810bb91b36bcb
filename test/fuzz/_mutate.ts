// Seeded mutations for the fuzzers: bit flips, byte sets, truncation, insertion of tokens that the readers
// treat specially (separators, quotes, line ends, BOM, NaN/Inf spellings, huge numbers, impossible dates,
// JSON structure, manifest keys), chunk deletion and duplication, and splicing with another corpus input.
// Same seed, same corpus → same sequence of inputs.

import { seededRandom as prng } from '../helpers/random.js';
export { prng };

/** Inputs never grow past this (the readers' cost is linear; longer inputs only slow the search). */
export const MAX_INPUT_BYTES = 1 << 16;

const encoder = new TextEncoder();
const TOKENS: readonly Uint8Array[] = [
  ',',
  '"',
  '""',
  '\n',
  '\r\n',
  '\r',
  '\uFEFF',
  '\u0000',
  ' ',
  '\t',
  'NaN',
  'nan',
  'NA',
  'null',
  'Infinity',
  '-Infinity',
  'inf',
  '1e999',
  '-1e-999',
  '1e308',
  '-',
  '+',
  '.',
  'e',
  'E',
  '0',
  '-0',
  '-1',
  '-1.5',
  '-1.0000001',
  '1e-320',
  '9'.repeat(400),
  '0x1F',
  '1_000',
  '1,5',
  '2024-02-30',
  '2024-13-01',
  '2024-01-01T25:00:00Z',
  '2024-01-01T23:30:00-05:00',
  '0000-01-01',
  '9999-12-31',
  '1970-01-01',
  '2024-01-01 00:00:00+14:00',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',"',
  'true',
  'false',
  '{}',
  '[]',
  '"profiles"',
  '"sleeves"',
  '"sleeve"',
  '"meta_profile"',
  '"profile"',
  '"id"',
  '"run_id"',
  '"min_weight"',
  '"max_weight"',
  '"risk_profiles"',
  '"meta_allocation"',
  '"features"',
  '"assets"',
  '"Weight"',
  '"Net_Weight"',
  '"Direction"',
  '"SHORT"',
  '"hrp"',
  '"erc"',
  '"__proto__"',
  '"constructor"',
  '\\u0000',
  '\\ud800',
  '\\"',
  '😀',
  'PAR1',
  '//',
  '/*',
  'date',
  'return',
  'returns',
  '__index_level_0__',
].map((t) => encoder.encode(t));

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x2c, 0x0a, 0x0d, 0x5c, 0x7b, 0x7d];

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const at = (rand: () => number, n: number): number => Math.floor(rand() * (n + 1));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One to four random mutations of `input`; `corpus` feeds the splices. */
export function mutate(input: Uint8Array, rand: () => number, corpus: readonly Uint8Array[]): Uint8Array {
  let out: Uint8Array = Uint8Array.from(input);
  const rounds = 1 + Math.floor(rand() * 4);
  for (let r = 0; r < rounds; r++) {
    const n = out.length;
    switch (Math.floor(rand() * 9)) {
      case 0: {
        if (n === 0) break;
        const i = Math.floor(rand() * n);
        out[i] = (out[i] as number) ^ (1 << Math.floor(rand() * 8));
        break;
      }
      case 1: {
        if (n === 0) break;
        out[Math.floor(rand() * n)] = rand() < 0.5 ? pick(rand, INTERESTING_BYTES) : Math.floor(rand() * 256);
        break;
      }
      case 2:
        out = out.slice(0, at(rand, n));
        break;
      case 3:
      case 4: {
        const i = at(rand, n);
        out = concat(out.subarray(0, i), pick(rand, TOKENS), out.subarray(i));
        break;
      }
      case 5: {
        const i = at(rand, n);
        const len = Math.floor(rand() * Math.min(64, n - i + 1));
        out = concat(out.subarray(0, i), out.subarray(i + len));
        break;
      }
      case 6: {
        const i = at(rand, n);
        const len = Math.floor(rand() * Math.min(256, n - i + 1));
        out = concat(out.subarray(0, i + len), out.subarray(i, i + len), out.subarray(i + len));
        break;
      }
      case 7: {
        const other = pick(rand, corpus);
        out = concat(out.subarray(0, at(rand, n)), other.subarray(at(rand, other.length)));
        break;
      }
      default: {
        // Replace a run of digits (a number or a date part) with a token: shifts values, not structure.
        const text = new TextDecoder().decode(out);
        const matches = [...text.matchAll(/\d+(\.\d+)?/g)];
        if (matches.length === 0) break;
        const m = pick(rand, matches);
        const token = new TextDecoder().decode(pick(rand, TOKENS));
        out = encoder.encode(text.slice(0, m.index) + token + text.slice((m.index ?? 0) + m[0].length));
      }
    }
  }
  return out.length > MAX_INPUT_BYTES ? out.slice(0, MAX_INPUT_BYTES) : out;
}
