import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nullPrototypeRecord, ownValue } from '../../../src/util/own.js';
import { canonicalMethod } from '../../../src/util/vocabulary.js';

describe('name-keyed lookups', () => {
  test('ownValue finds declared names only, whatever they are called', () => {
    const record: Record<string, number> = { constructor: 1, a: 2 };
    assert.equal(ownValue(record, 'constructor'), 1, "ownValue(record, 'constructor')");
    assert.equal(ownValue(record, 'toString'), undefined, "ownValue(record, 'toString')");
    assert.equal(ownValue(record, '__proto__'), undefined, "ownValue(record, '__proto__')");
    assert.equal(ownValue(undefined, 'a'), undefined, "ownValue(undefined, 'a')");
  });

  test('nullPrototypeRecord: absent names are undefined, an own __proto__ stays a member', () => {
    const copy = nullPrototypeRecord(JSON.parse('{"__proto__": 1, "valueOf": 2}') as Record<string, number>);
    assert.equal(Object.getPrototypeOf(copy), null, 'Object.getPrototypeOf(copy)');
    assert.deepEqual(Object.keys(copy), ['__proto__', 'valueOf'], 'Object.keys(copy)');
    assert.equal(copy['__proto__'], 1, "copy['__proto__']");
    assert.equal(copy['hasOwnProperty'], undefined, "copy['hasOwnProperty']");
  });

  test('canonicalMethod knows no method called constructor or toString', () => {
    assert.equal(canonicalMethod('constructor'), undefined, "canonicalMethod('constructor')");
    assert.equal(canonicalMethod('toString'), undefined, "canonicalMethod('toString')");
    assert.equal(canonicalMethod('erc'), 'risk_parity', "canonicalMethod('erc')");
  });
});
