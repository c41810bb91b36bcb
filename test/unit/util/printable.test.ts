import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENVIRONMENT_CODES, QuantError, environmentError, printable } from '../../../src/errors.js';

const errno = (code: string, path?: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: failed, open '${path ?? ''}'`), {
    code,
    syscall: 'open',
    ...(path === undefined ? {} : { path }),
  });

describe('printable messages', () => {
  test('C0 (but the line feed), DEL, C1, separators and bidi controls become \\uXXXX escapes', () => {
    assert.equal(
      printable('a\u001b[31mb\rc\u0007d\te'),
      'a\\u001b[31mb\\u000dc\\u0007d\\u0009e',
      "printable('a\\u001b[31mb\\rc\\u0007d\\te')",
    );
    assert.equal(printable('x\u007fy\u009bz'), 'x\\u007fy\\u009bz', "printable('x\\u007fy\\u009bz')");
    assert.equal(
      printable('evil\u202ecod.exe \u2066i\u2069 \u200f \u2028'),
      'evil\\u202ecod.exe \\u2066i\\u2069 \\u200f \\u2028',
      "printable('evil\\u202ecod.exe \\u2066i\\u2069 \\u200f \\u2028')",
    );
    assert.equal(
      printable('SII\u200b \u200cx\u200d \u2060y\ufeff'),
      'SII\\u200b \\u200cx\\u200d \\u2060y\\ufeff',
      'zero-width characters (which make two names look alike) are escaped too',
    );
    assert.equal(
      printable('Zürich 😀 → ok\nnext'),
      'Zürich 😀 → ok\nnext',
      "printable('Zürich 😀 → ok\\nnext')",
    );
  });

  test('the escape keeps JSON valid and its values the same', () => {
    const value = { name: 'a\u202eb\u009bc\u007f' };
    const json = printable(JSON.stringify(value));
    assert.doesNotMatch(json, /[\u007f-\u009f\u202e]/, 'json does not match /[\\u007f-\\u009f\\u202e]/');
    assert.deepEqual(JSON.parse(json), value, 'JSON.parse(json)');
  });

  test("QuantError's one line escapes what its message, location and hint carry", () => {
    const error = new QuantError('E_INPUT_VALUE', 'column A\u001b[2J is bad\r', {
      location: { file: 'f\u202e.csv', line: 3 },
      hint: 'ring\u0007',
    });
    assert.equal(
      error.oneLine(),
      'E_INPUT_VALUE: column A\\u001b[2J is bad\\u000d (at f\\u202e.csv:3) — ring\\u0007',
      'error.oneLine()',
    );
    assert.equal(error.message, 'column A\u001b[2J is bad\r', 'the message itself stays the data');
  });
});

describe('environmentError: errno → code, in one place', () => {
  test('each errno family has its code and names the errno', () => {
    const table: [string, string][] = [
      ['EROFS', 'E_READ_ONLY'],
      ['EACCES', 'E_PERMISSION'],
      ['EPERM', 'E_PERMISSION'],
      ['ENOSPC', 'E_DISK_FULL'],
      ['EDQUOT', 'E_DISK_FULL'],
      ['ENOTDIR', 'E_WORKSPACE_IO'],
      ['EIO', 'E_WORKSPACE_IO'],
      ['EWHATEVER', 'E_WORKSPACE_IO'],
    ];
    for (const [code, expected] of table) {
      const error = environmentError(errno(code, '/ws/runs/r/run.json'), 'write /ws/runs/r/run.json');
      assert.equal(error?.code, expected, code);
      assert.ok(ENVIRONMENT_CODES.has(error.code), `${code}: an environment code`);
      assert.ok(error.message.startsWith('cannot write /ws/runs/r/run.json: '), error.message);
      assert.ok(error.message.endsWith(`(${code})`), error.message);
      assert.equal(error.details['errno'], code, "error.details['errno']");
    }
  });

  test('an error without an errno is not the environment; a QuantError passes through', () => {
    assert.equal(environmentError(new Error('boom')), undefined, "environmentError(new Error('boom'))");
    assert.equal(environmentError('text'), undefined, "environmentError('text')");
    const coded = new QuantError('E_PARAMS', 'x');
    assert.equal(environmentError(coded), coded, 'environmentError(coded)');
  });
});
