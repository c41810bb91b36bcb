import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalJson,
  canonicalJsonOf,
  toJsonValue,
  type JsonValue,
} from '../../../src/artifacts/canonical-json.js';
import { sha256Hex } from '../../../src/artifacts/hash.js';
import { QuantError } from '../../../src/errors.js';
import { seededRandom } from '../../helpers/random.js';
import { quantError } from './_temp.js';

/** The definition written out plainly: keys sorted by code units at every level, JSON.stringify's atoms. */
function referenceCanonical(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceCanonical(value[k] as JsonValue)}`).join(',')}}`;
}

/** A random JSON tree: numbers of every magnitude and sign (−0 too), strings that need escapes, nesting. */
function randomTree(rand: () => number, depth: number): JsonValue {
  const pick = Math.floor(rand() * (depth > 3 ? 5 : 8));
  const atoms = ['', 'a', 'é"\\\n', '\u2028', 'x y', '0', '\ud83d\ude00'];
  switch (pick) {
    case 0:
      return (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
    case 1:
      return [0, -0, 1e21, 5e-324, Number.MAX_VALUE][Math.floor(rand() * 5)] as number;
    case 2:
      return atoms[Math.floor(rand() * atoms.length)] as string;
    case 3:
      return rand() < 0.5 ? null : rand() < 0.5;
    case 4:
      return Array.from({ length: Math.floor(rand() * 6) }, () => rand() - 0.5);
    case 5:
      return Array.from({ length: Math.floor(rand() * 5) }, () => randomTree(rand, depth + 1));
    default: {
      const out: Record<string, JsonValue> = {};
      const count = Math.floor(rand() * 6);
      for (let i = 0; i < count; i++)
        out[atoms[Math.floor(rand() * atoms.length)] + String(i % 3)] = randomTree(rand, depth + 1);
      return out;
    }
  }
}

describe('canonicalJson', () => {
  test('sorts keys recursively and drops whitespace', () => {
    const a = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } });
    assert.equal(a, '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}', 'a');
  });

  test('key order of the input does not change the output (hash-stable)', () => {
    assert.equal(
      canonicalJson({ x: 1, y: [1, 2], z: null }),
      canonicalJson({ z: null, y: [1, 2], x: 1 }),
      'canonicalJson({ x: 1, y: [1, 2], z: null })',
    );
  });

  test('keys sort by UTF-16 code units, not locale', () => {
    assert.equal(
      canonicalJson({ b: 1, B: 2, a: 3, é: 4, _: 5 }),
      '{"B":2,"_":5,"a":3,"b":1,"é":4}',
      'canonicalJson({ b: 1, B: 2, a: 3, é: 4, _: 5 })',
    );
  });

  test('numbers keep full precision (shortest round trip) and -0 is 0', () => {
    const x = 0.1 + 0.2;
    assert.equal(
      canonicalJson([x, 1e-300, -0, 5e21]),
      '[0.30000000000000004,1e-300,0,5e+21]',
      'canonicalJson([x, 1e-300, -0, 5e21])',
    );
    assert.equal(JSON.parse(canonicalJson({ x }))['x'], x, "JSON.parse(canonicalJson({ x }))['x']");
  });

  test('rejects non-finite numbers with their JSON path', () => {
    assert.throws(
      () => canonicalJson({ a: [1, Number.NaN] }),
      quantError('E_OUTPUT', /\$\.a\[1\]/),
      'canonicalJson throws E_OUTPUT',
    );
    assert.throws(
      () => canonicalJson({ 'a b': Infinity }),
      quantError('E_OUTPUT', /\$\["a b"\]/),
      'canonicalJson throws E_OUTPUT',
    );
    try {
      canonicalJson({ w: -Infinity });
      assert.fail('expected a throw');
    } catch (error) {
      assert.ok(error instanceof QuantError, 'error is a QuantError');
      assert.equal(error.location?.jsonPath, '$.w', 'error.location?.jsonPath');
    }
  });

  test('mirrors JSON.stringify for undefined, toJSON and typed arrays', () => {
    assert.equal(
      canonicalJson({ a: undefined, b: [undefined, 1] }),
      '{"b":[null,1]}',
      'canonicalJson({ a: undefined, b: [undefined, 1] })',
    );
    assert.equal(
      canonicalJson({ d: new Date(0) }),
      '{"d":"1970-01-01T00:00:00.000Z"}',
      'canonicalJson({ d: new Date(0) })',
    );
    assert.equal(
      canonicalJson({ w: new Float64Array([0.5, 0.25]) }),
      '{"w":[0.5,0.25]}',
      'canonicalJson({ w: new Float64Array([0.5, 0.25]) })',
    );
  });

  test('rejects bigint, functions, Map and cycles', () => {
    assert.throws(() => canonicalJson({ a: 1n }), TypeError, 'canonicalJson throws TypeError');
    assert.throws(() => canonicalJson({ f: () => 1 }), TypeError, 'canonicalJson throws TypeError');
    assert.throws(() => canonicalJson(new Map()), TypeError, 'canonicalJson throws TypeError');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.throws(() => canonicalJson(cyclic), /cyclic/, 'canonicalJson throws an error matching /cyclic/');
  });

  test('shared subobjects are not cycles', () => {
    const shared = { v: 1 };
    assert.equal(
      canonicalJson({ a: shared, b: shared }),
      '{"a":{"v":1},"b":{"v":1}}',
      'canonicalJson({ a: shared, b: shared })',
    );
  });

  test('is the plain definition on 500 random trees, whether or not the tree is converted first', () => {
    const rand = seededRandom(20261207);
    for (let k = 0; k < 500; k++) {
      const tree = randomTree(rand, 0);
      const expected = referenceCanonical(tree);
      assert.equal(canonicalJson(tree), expected, `tree ${k}: canonicalJson`);
      assert.equal(canonicalJsonOf(toJsonValue(tree)), expected, `tree ${k}: canonicalJsonOf`);
      assert.deepEqual(JSON.parse(expected), JSON.parse(JSON.stringify(tree)), `tree ${k}: parses back`);
    }
  });

  test('names the path of a non-finite number deep in arrays and odd keys', () => {
    const value = { rows: [{ ok: [1, 2] }, { 'w t': [0, [3, Number.NaN]] }] };
    assert.throws(
      () => canonicalJson(value),
      quantError('E_OUTPUT', /at \$\.rows\[1\]\["w t"\]\[1\]\[1\] as JSON/),
      'canonicalJson names the member',
    );
    assert.throws(
      () => toJsonValue({ a: [{ b: Infinity }] }, '$.data'),
      quantError('E_OUTPUT', /at \$\.data\.a\[0\]\.b as JSON/),
      'toJsonValue names the member below its base path',
    );
    assert.throws(() => toJsonValue({ a: [1, { f: 2n }] }), /at \$\.a\[1\]\.f to JSON/, 'a bigint is named');
  });

  test('toJsonValue round-trips through JSON.parse(JSON.stringify())', () => {
    const value = { n: 1.5, s: 'ü\n"', l: [true, false, null], o: { k: [] } };
    assert.deepEqual(
      JSON.parse(JSON.stringify(toJsonValue(value))),
      value,
      'JSON.parse(JSON.stringify(toJsonValue(value)))',
    );
  });
});

describe('sha256Hex', () => {
  test('known vectors (FIPS 180-2 "abc", empty string)', () => {
    assert.equal(
      sha256Hex('abc'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      "sha256Hex('abc')",
    );
    assert.equal(
      sha256Hex(new Uint8Array()),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'sha256Hex(new Uint8Array())',
    );
  });
});
