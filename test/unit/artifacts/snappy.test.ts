// Snappy decompression (src/artifacts/_snappy.ts): what hyparquet-writer compresses comes back byte for
// byte and as hyparquet decompresses it; every element kind (literals with 0–4 length bytes, copies with
// 1-, 2- and 4-byte offsets, overlapping copies) against a plain reference decoder written from the format
// description; damaged streams — among them the literal length that made hyparquet's decoder step
// backwards for seconds — are errors, and a mutated stream is either an error or the reference's bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { snappyUncompress } from 'hyparquet';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { snappyDecompress } from '../../../src/artifacts/_snappy.js';
import { propertyRuns } from '../../helpers/property-runs.js';
import { seededRandom } from '../../helpers/random.js';

/** The format description read literally: one element at a time, one byte at a time; null when damaged. */
function reference(input: Uint8Array, size: number): Uint8Array | null {
  let pos = 0;
  let length = 0;
  let shift = 0;
  for (;;) {
    if (pos >= input.length || shift > 28) return null;
    const b = input[pos++] as number;
    length += (b & 127) * 2 ** shift;
    shift += 7;
    if (b < 128) break;
  }
  if (length !== size) return null;
  const out = elements(input, pos, size);
  return out !== null && out.length === size ? out : null;
}

/** The elements of `input` from `pos` on, decoded; null when damaged or longer than `limit` bytes. */
function elements(input: Uint8Array, pos: number, limit: number): Uint8Array | null {
  const out: number[] = [];
  const byteAt = (i: number): number | null => (i < input.length ? (input[i] as number) : null);
  while (pos < input.length) {
    const tag = input[pos++] as number;
    const type = tag % 4;
    if (type === 0) {
      let len = Math.floor(tag / 4) + 1;
      if (len > 60) {
        let value = 0;
        for (let k = 0; k < len - 60; k++) {
          const b = byteAt(pos + k);
          if (b === null) return null;
          value += b * 256 ** k;
        }
        pos += len - 60;
        len = value + 1;
      }
      for (let k = 0; k < len; k++) {
        const b = byteAt(pos++);
        if (b === null) return null;
        out.push(b);
      }
    } else {
      const extra = type === 1 ? 1 : type === 2 ? 2 : 4;
      let offset = 0;
      for (let k = 0; k < extra; k++) {
        const b = byteAt(pos + k);
        if (b === null) return null;
        offset += b * 256 ** k;
      }
      pos += extra;
      let len = Math.floor(tag / 4) + 1;
      if (type === 1) {
        len = (Math.floor(tag / 4) % 8) + 4;
        offset += Math.floor(tag / 32) * 256;
      }
      if (offset === 0 || offset > out.length) return null;
      for (let k = 0; k < len; k++) out.push(out[out.length - offset] as number);
    }
    if (out.length > limit) return null;
  }
  return Uint8Array.from(out);
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n >= 128) {
    bytes.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
}

/** Inputs that compress in different ways: noise, runs, a small alphabet, text, zeros. */
function sample(kind: number, length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    if (kind === 0) out[i] = Math.floor(random() * 256);
    else if (kind === 1)
      out[i] = i > 0 && random() < 0.9 ? (out[i - 1] as number) : Math.floor(random() * 256);
    else if (kind === 2) out[i] = 65 + Math.floor(random() * 4);
    else if (kind === 3) out[i] = 'the quick brown fox jumps over the lazy dog '.charCodeAt(i % 44);
  }
  return out;
}

const decompress = (stream: Uint8Array, size: number): Uint8Array | null => {
  try {
    return snappyDecompress(stream, size);
  } catch {
    return null;
  }
};

describe('snappyDecompress', () => {
  test('gives back what hyparquet-writer compressed, as hyparquet decompresses it', () => {
    for (const length of [0, 1, 15, 16, 17, 60, 61, 300, 4_096, 70_000, 300_000])
      for (let kind = 0; kind < 5; kind++) {
        const input = sample(kind, length, length * 7 + kind);
        const stream = snappyCompress(input);
        const ours = snappyDecompress(stream, length);
        assert.deepEqual(ours, input, `kind ${kind}, ${length} bytes`);
        const theirs = new Uint8Array(length);
        snappyUncompress(stream, theirs);
        assert.deepEqual(ours, theirs, `kind ${kind}, ${length} bytes: as hyparquet`);
      }
  });

  test('every element kind, as the format description reads it', () => {
    const literal = (bytes: number[]): number[] => {
      const n = bytes.length - 1;
      if (n < 60) return [n * 4, ...bytes];
      const length = n < 256 ? [n] : n < 65_536 ? [n % 256, n >> 8] : [n % 256, (n >> 8) % 256, n >> 16];
      return [(59 + length.length) * 4, ...length, ...bytes];
    };
    const text = Array.from({ length: 300 }, (_, i) => (i * 37) % 251);
    const streams: [string, number[]][] = [
      ['short literal', literal([1, 2, 3])],
      ['literal, 1 length byte', literal(text.slice(0, 100))],
      ['literal, 2 length bytes', literal(text)],
      ['literal, 4 length bytes', [63 * 4, 4, 0, 0, 0, 9, 8, 7, 6, 5]],
      // Copy with a 1-byte offset: 4–11 bytes, offsets to 2,047; overlapping repeats the last bytes.
      ['copy, 1-byte offset', [...literal(text.slice(0, 20)), 1 + 4 * 7 + 32 * 0, 20]],
      ['copy, 1-byte offset, overlapping', [...literal([5, 6]), 1 + 4 * 7, 2]],
      ['copy, 2-byte offset', [...literal(text), 2 + 4 * 63, 44, 1]],
      ['copy, 2-byte offset, overlapping', [...literal([1, 2, 3]), 2 + 4 * 40, 3, 0]],
      ['copy, 4-byte offset', [...literal(text), 3 + 4 * 20, 200, 0, 0, 0]],
    ];
    for (const [name, body] of streams) {
      const want = elements(Uint8Array.from(body), 0, Infinity);
      assert.ok(want !== null && want.length > 0, `${name}: the reference decodes it`);
      const stream = Uint8Array.from([...varint(want.length), ...body]);
      assert.deepEqual(snappyDecompress(stream, want.length), want, name);
    }
  });

  test('damaged streams are errors', () => {
    const cases: [string, number[], number, RegExp][] = [
      // hyparquet reads this length as -1 and steps backwards.
      ['a literal of 2^32 bytes', [10, 63 * 4, 255, 255, 255, 255, 1, 2], 10, /literal runs past the input/],
      ['a literal past the input', [10, 9 * 4, 1, 2], 10, /literal runs past the input/],
      ['a literal past the output', [2, 2 * 4, 1, 2, 3], 2, /literal runs past the output/],
      ['a length header of another size', [5, 4 * 4, 1, 2, 3, 4, 5], 6, /holds 5 bytes, the page 6/],
      ['a length header of 6 bytes', [128, 128, 128, 128, 128, 1], 0, /invalid length header/],
      ['a copy from before the start', [10, 0, 7, 1 + 4 * 2, 5], 10, /copy from 5 bytes back at byte 1/],
      ['a copy of offset 0', [10, 0, 7, 2 + 4 * 3, 0, 0], 10, /copy from 0 bytes back/],
      ['a copy past the output', [5, 0, 7, 1 + 4 * 7, 1], 5, /copy runs past the output/],
      ['a copy past the input', [5, 0, 7, 3 + 4 * 3, 1, 0], 5, /copy runs past the input/],
      ['a stream that ends early', [5, 0, 7], 5, /ends after 1 of 5 bytes/],
    ];
    for (const [name, bytes, size, message] of cases)
      assert.throws(() => snappyDecompress(Uint8Array.from(bytes), size), message, name);
  });

  test('a mutated stream is an error or the reference decoder’s bytes', () => {
    const input = sample(2, 3_000, 1);
    const stream = snappyCompress(input);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: stream.length - 1 }), fc.nat({ max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: -3, max: 3 }),
        (edits, sizeDelta) => {
          const mutated = Uint8Array.from(stream);
          for (const [at, value] of edits) mutated[at] = value;
          const size = Math.max(0, input.length + sizeDelta);
          const got = decompress(mutated, size);
          const want = reference(mutated, size);
          assert.deepEqual(got, want, 'the same bytes, or an error where the reference finds damage');
        },
      ),
      { numRuns: propertyRuns(400), seed: 7 },
    );
  });
});
