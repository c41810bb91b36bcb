import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeUtf8, findInvalidUtf8 } from '../../../src/util/utf8.js';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));

describe('strict UTF-8', () => {
  test('valid text (BOM, 2-, 3- and 4-byte characters) decodes as is, the BOM kept', () => {
    const text = '\ufeffdate,Zürich,€,😀\n2024-01-01,1,2,3\n';
    assert.equal(decodeUtf8(bytes(text)), text, 'decodeUtf8(bytes(text))');
    assert.equal(findInvalidUtf8(bytes(text)), undefined, 'findInvalidUtf8(bytes(text))');
  });

  test('the first invalid sequence is found with its line, column and bytes', () => {
    const cases: [string, Uint8Array, { line: number; column: number; bytes: string }][] = [
      ['Latin-1 ü', bytes('date,A\nZ', [0xfc], 'rich\n'), { line: 2, column: 2, bytes: '0xfc' }],
      ['overlong /', bytes('a', [0xc0, 0xaf]), { line: 1, column: 2, bytes: '0xc0 0xaf' }],
      ['surrogate', bytes('\n\n', [0xed, 0xa0, 0x80]), { line: 3, column: 1, bytes: '0xed 0xa0 0x80' }],
      ['truncated at the end', bytes('x,', [0xe2, 0x82]), { line: 1, column: 3, bytes: '0xe2 0x82' }],
      [
        'above U+10FFFF',
        bytes([0xf4, 0x90, 0x80, 0x80]),
        { line: 1, column: 1, bytes: '0xf4 0x90 0x80 0x80' },
      ],
      ['a lone continuation byte', bytes('ok\nok\n', [0x80]), { line: 3, column: 1, bytes: '0x80' }],
    ];
    for (const [name, input, expected] of cases) {
      assert.equal(decodeUtf8(input), undefined, `${name}: the fatal decoder refuses it`);
      const found = findInvalidUtf8(input);
      assert.deepEqual(
        found && { line: found.line, column: found.column, bytes: found.bytes },
        expected,
        name,
      );
    }
  });
});
