// The suite's own rules: every node:assert call in test/ carries a message (scripts/check-assertions.ts).
// A failing assert.ok without one can spend minutes building its message under tsx on Node 20
// (docs/hardening.md, "Test reliability").
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { bareAssertions, bareAssertionsIn } from '../../scripts/check-assertions.js';
import { REPO } from '../helpers/cli.js';

function problems(source: string): string[] {
  return bareAssertionsIn('x.test.ts', source).map((b) => `${b.line}: ${b.problem}`);
}

describe('assertion messages', () => {
  test('every assertion under test/ carries a message', () => {
    const found = bareAssertions(join(REPO, 'test'));
    const lines = found.map((f) => `${relative(REPO, f.file)}:${f.line}:${f.column} ${f.problem}: ${f.call}`);
    assert.deepEqual(lines, [], `assertions without a message:\n${lines.join('\n')}`);
  });

  test('calls without a message are found, whatever the import style', () => {
    const source = [
      "import assert from 'node:assert/strict';",
      "import * as a2 from 'node:assert';",
      "import { ok as check, deepEqual, strict as s } from 'assert';",
      'assert(x);',
      'assert.ok(x);',
      'assert.equal(a, b);',
      'a2.deepStrictEqual(a, b);',
      'check(x);',
      'deepEqual(a, b);',
      's.match(t, /x/);',
      'assert.throws(() => f(), /boom/);',
      'await assert.rejects(p, { code: "E_X" });',
      "assert.ok(x, '');",
      'assert.ok(x, undefined);',
      'assert.ok(...args);',
      'list.forEach(assert.ok);',
      'const f = check;',
      'assert.fail();',
      'assert.ifError(e);',
    ].join('\n');
    assert.deepEqual(
      problems(source),
      [
        '4: no message argument',
        '5: no message argument',
        '6: no message argument',
        '7: no message argument',
        '8: no message argument',
        '9: no message argument',
        '10: no message argument',
        '11: no message argument',
        '12: no message argument',
        '13: the message is empty',
        '14: the message is undefined',
        '15: spread arguments: the message cannot be checked',
        '16: assert.ok used as a value: call it with a message instead',
        '17: check used as a value: call it with a message instead',
        '18: no message argument',
        '19: assert.ifError is not a known assertion with a message parameter',
      ],
      'one problem per bare call, by line',
    );
  });

  test('calls with a message pass, and other assert functions are not node:assert', () => {
    const source = [
      "import assert from 'node:assert/strict';",
      "import fc from 'fast-check';",
      "assert(x, 'x is set');",
      'assert.ok(x, `x is ${x}`);',
      'assert.equal(a, b, why());',
      "assert.deepEqual(a, b, 'same rows');",
      "assert.throws(() => f(), 'f throws');",
      "assert.throws(() => f(), /boom/, 'f throws boom');",
      "await assert.rejects(p, { code: 'E_X' }, 'p rejects with E_X');",
      "assert.fail('unreachable');",
      'fc.assert(fc.property(fc.integer(), () => true));',
      'if (e instanceof assert.AssertionError) throw e;',
    ].join('\n');
    assert.deepEqual(problems(source), [], 'no problem reported');
  });

  test('a file that does not import node:assert is not checked', () => {
    assert.deepEqual(
      problems('const assert = (x: unknown) => x;\nassert(1);'),
      [],
      'a local assert is not node:assert',
    );
  });
});
