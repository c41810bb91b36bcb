import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, toJsonValue } from '../../../src/artifacts/canonical-json.js';
import { sha256Hex } from '../../../src/artifacts/hash.js';
import { QuantError } from '../../../src/errors.js';
import { quantError } from './_temp.js';

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
