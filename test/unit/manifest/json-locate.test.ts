import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonWithLocations } from '../../../src/manifest/json-locate.js';
import { catchQuantError } from './_helpers.js';

const DOC = [
  '{',
  '  "a": 1,',
  '  "b": [',
  '    10,',
  '    {"c": "x\\"y\\u00e9\\ud83d\\ude00\\n"}',
  '  ],',
  '  "d": {"e": [true, false, null, -1.5e3, 0, {}, []]}',
  '}',
].join('\n');

describe('parseJsonWithLocations', () => {
  test('returns what JSON.parse returns, escapes and surrogate pairs included', () => {
    const { value } = parseJsonWithLocations(DOC, 'x.json');
    assert.deepEqual(value, JSON.parse(DOC), 'value');
    assert.equal(
      (value as { b: [number, { c: string }] }).b[1].c,
      'x"yé😀\n',
      '(value as { b: [number, { c: string }] }).b[1].c',
    );
  });

  test('locates values and keys (1-based line and column)', () => {
    const doc = parseJsonWithLocations(DOC, 'x.json');
    assert.deepEqual(doc.lineOf([]), { line: 1, column: 1 }, 'doc.lineOf([])');
    assert.deepEqual(doc.lineOf(['a'], 'key'), { line: 2, column: 3 }, "doc.lineOf(['a'], 'key')");
    assert.deepEqual(doc.lineOf(['a']), { line: 2, column: 8 }, "doc.lineOf(['a'])");
    assert.deepEqual(doc.lineOf(['b', 0]), { line: 4, column: 5 }, "doc.lineOf(['b', 0])");
    assert.deepEqual(
      doc.lineOf(['b', 1, 'c'], 'key'),
      { line: 5, column: 6 },
      "doc.lineOf(['b', 1, 'c'], 'key')",
    );
    assert.deepEqual(doc.lineOf(['b', 1, 'c']), { line: 5, column: 11 }, "doc.lineOf(['b', 1, 'c'])");
    assert.deepEqual(doc.lineOf(['d', 'e', 3]), { line: 7, column: 34 }, "doc.lineOf(['d', 'e', 3])");
    assert.equal(doc.has(['d', 'e', 6]), true, "doc.has(['d', 'e', 6])");
    assert.equal(doc.has(['d', 'e', 7]), false, "doc.has(['d', 'e', 7])");
  });

  test('a missing path resolves to its deepest existing ancestor', () => {
    const doc = parseJsonWithLocations(DOC, 'x.json');
    assert.deepEqual(
      doc.lineOf(['b', 1, 'missing', 'deeper']),
      doc.lineOf(['b', 1]),
      "doc.lineOf(['b', 1, 'missing', 'deeper'])",
    );
    assert.deepEqual(doc.lineOf(['nope']), { line: 1, column: 1 }, "doc.lineOf(['nope'])");
  });

  test('a BOM and CRLF line ends change neither values nor positions; a lone CR ends a line', () => {
    const lf = parseJsonWithLocations(DOC, 'x.json');
    const crlf = parseJsonWithLocations(`\uFEFF${DOC.replace(/\n/g, '\r\n')}`, 'x.json');
    assert.deepEqual(crlf.value, lf.value, 'crlf.value');
    for (const path of [['a'], ['b', 0], ['b', 1, 'c'], ['d', 'e', 3]]) {
      assert.deepEqual(crlf.lineOf(path), lf.lineOf(path), 'crlf.lineOf(path)');
    }
    const cr = parseJsonWithLocations('{\r"a":\r  2}', 'x.json');
    assert.deepEqual(cr.lineOf(['a']), { line: 3, column: 3 }, "cr.lineOf(['a'])");
  });

  test('duplicate keys are recorded with both positions; the last one wins', () => {
    const doc = parseJsonWithLocations('{\n "k": {"x": 1},\n "k": 2\n}', 'x.json');
    assert.deepEqual(doc.value, { k: 2 }, 'doc.value');
    assert.equal(doc.duplicateKeys.length, 1, 'doc.duplicateKeys.length');
    assert.deepEqual(
      doc.duplicateKeys[0],
      {
        path: ['k'],
        at: { line: 3, column: 2 },
        first: { line: 2, column: 2 },
      },
      'doc.duplicateKeys[0]',
    );
    assert.equal(doc.has(['k', 'x']), false, 'positions inside the overridden value are forgotten');
  });

  test('"__proto__" is an ordinary own key, as with JSON.parse', () => {
    const { value } = parseJsonWithLocations('{"__proto__": {"polluted": true}}', 'x.json');
    assert.deepEqual(Object.keys(value as object), ['__proto__'], 'Object.keys(value)');
    assert.equal(Object.getPrototypeOf(value), Object.prototype, 'Object.getPrototypeOf(value)');
  });

  const syntaxCases: [string, string, number, number, RegExp][] = [
    ['trailing comma in an object', '{\n  "a": 1,\n}', 3, 1, /trailing comma before "}"/],
    ['trailing comma in an array', '[1,\n 2,\n]', 3, 1, /trailing comma before "]"/],
    ['missing comma', '{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected "," or "}" after a value but found '"'/],
    ['raw line break in a string', '{\n  "a": "abc\n}', 2, 12, /unescaped control character in a string/],
    ['unterminated string', '{\n  "a": "abc', 2, 8, /unterminated string/],
    ['bad escape', '{"a": "\\x"}', 1, 8, /invalid escape "\\x"/],
    ['single quotes', "{'a': 1}", 1, 2, /expected a "quoted" key but found "'"/],
    ['comment', '{\n  // note\n  "a": 1}', 2, 3, /comments are not allowed/],
    ['garbage after the value', '{}\n x', 2, 2, /unexpected "x" after the end/],
    ['empty file', '\uFEFF  \n', 2, 1, /the file is empty/],
    ['unexpected end', '{"a": [1, 2', 1, 12, /expected "," or "]" after a value but found end of input/],
  ];
  for (const [name, text, line, column, reason] of syntaxCases) {
    test(`syntax error: ${name} → E_MANIFEST with line ${line}, column ${column}`, () => {
      const error = catchQuantError(() => parseJsonWithLocations(text, 'manifest.json'));
      assert.equal(error.code, 'E_MANIFEST', 'error.code');
      assert.match(
        error.message,
        /^manifest\.json is not valid JSON: /,
        'error.message matches /^manifest\\.json is not valid JSON: /',
      );
      assert.match(error.message, reason, 'error.message matches reason');
      assert.deepEqual(
        error.location,
        { file: 'manifest.json', line, column: String(column) },
        'error.location',
      );
    });
  }

  test('deep nesting is an error, not a stack overflow', () => {
    const error = catchQuantError(() => parseJsonWithLocations('['.repeat(10_000), 'x.json'));
    assert.match(
      error.message,
      /nesting deeper than 512 levels/,
      'error.message matches /nesting deeper than 512 levels/',
    );
  });

  test('property: agrees with JSON.parse on every JSON value, pretty or compact', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (v, pretty) => {
        const text = JSON.stringify(v, null, pretty ? 2 : undefined);
        assert.deepEqual(
          parseJsonWithLocations(text, 'x.json').value,
          JSON.parse(text),
          "parseJsonWithLocations(text, 'x.json').value",
        );
      }),
      { numRuns: 300 },
    );
  });

  test('property: rejects exactly the texts JSON.parse rejects', () => {
    const chars = fc.constantFrom(...'{}[],:"a1-.e \\tnul0/'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        let expected = true;
        try {
          JSON.parse(text);
        } catch {
          expected = false;
        }
        let actual = true;
        try {
          parseJsonWithLocations(text, 'x.json');
        } catch {
          actual = false;
        }
        assert.equal(actual, expected, `text ${JSON.stringify(text)}`);
      }),
      { numRuns: 3000 },
    );
  });
});
