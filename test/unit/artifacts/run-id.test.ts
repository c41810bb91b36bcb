import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveNow, toIsoSeconds } from '../../../src/artifacts/clock.js';
import {
  assertValidRunId,
  defaultRunId,
  isValidRunId,
  RUN_ID_PATTERN,
} from '../../../src/artifacts/run-id.js';
import { QuantError } from '../../../src/errors.js';
import { quantError } from './_temp.js';

describe('run ids', () => {
  test('the pattern is exactly DESIGN §2', () => {
    assert.equal(RUN_ID_PATTERN.source, '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', 'RUN_ID_PATTERN.source');
  });

  test('accepts ordinary ids, including a..b (a harmless folder name)', () => {
    for (const id of ['a', 'hrp_20260101-000000', 'X.y-z_1', 'a..b', '9'.repeat(128)]) {
      assert.equal(isValidRunId(id), true, id);
      assert.doesNotThrow(() => assertValidRunId(id), 'assertValidRunId does not throw');
    }
  });

  test('rejects traversal, separators, hidden names, empty and over-long ids with E_RUN_ID', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['', /empty/],
      ['..', /start with a letter or digit/],
      ['.', /start with a letter or digit/],
      ['../x', /start with a letter or digit/],
      ['a/b', /character other than/],
      ['a\\b', /character other than/],
      ['x y', /character other than/],
      ['_x', /start with a letter or digit/],
      ['a'.repeat(129), /129 characters/],
      [42, /not a string/],
    ];
    for (const [id, re] of cases) {
      assert.throws(() => assertValidRunId(id), quantError('E_RUN_ID', re), String(id));
    }
    try {
      assertValidRunId('../x');
    } catch (error) {
      assert.ok(error instanceof QuantError, 'error is a QuantError');
      assert.match(error.hint ?? '', /1-128 characters/, "error.hint ?? '' matches /1-128 characters/");
    }
  });

  test('defaultRunId is <profile>_<YYYYMMDD-HHMMSS> in UTC, sanitised and bounded', () => {
    const now = new Date('2026-01-21T09:05:07.999Z');
    assert.equal(
      defaultRunId('swiss_sectors', now),
      'swiss_sectors_20260121-090507',
      "defaultRunId('swiss_sectors', now)",
    );
    assert.equal(defaultRunId('a/b c', now), 'a_b_c_20260121-090507', "defaultRunId('a/b c', now)");
    assert.equal(defaultRunId('../evil', now), 'evil_20260121-090507', "defaultRunId('../evil', now)");
    assert.equal(defaultRunId('', now), 'run_20260121-090507', "defaultRunId('', now)");
    const long = defaultRunId('p'.repeat(300), now);
    assert.equal(long.length, 128, 'long.length');
    assert.equal(isValidRunId(long), true, 'isValidRunId(long)');
  });
});

describe('clock', () => {
  test('SOURCE_DATE_EPOCH pins now; unset or empty uses the current time', () => {
    assert.equal(
      resolveNow({ SOURCE_DATE_EPOCH: '1767225600' }).toISOString(),
      '2026-01-01T00:00:00.000Z',
      "resolveNow({ SOURCE_DATE_EPOCH: '1767225600' }).toISOString()",
    );
    // The current time lies between two readings of the clock taken around the call, however long it took.
    for (const env of [{}, { SOURCE_DATE_EPOCH: '' }, { SOURCE_DATE_EPOCH: '  ' }]) {
      const before = Date.now();
      const t = resolveNow(env).getTime();
      const after = Date.now();
      assert.ok(t >= before && t <= after, `${JSON.stringify(env)}: ${t} lies in [${before}, ${after}]`);
    }
  });

  test('a malformed SOURCE_DATE_EPOCH is E_USAGE', () => {
    for (const bad of ['abc', '1.5', '-1', '1e9', '99999999999999999']) {
      assert.throws(
        () => resolveNow({ SOURCE_DATE_EPOCH: bad }),
        quantError('E_USAGE', /SOURCE_DATE_EPOCH/),
        bad,
      );
    }
  });

  test('toIsoSeconds drops milliseconds', () => {
    assert.equal(
      toIsoSeconds(new Date('2026-01-21T09:05:07.999Z')),
      '2026-01-21T09:05:07Z',
      "toIsoSeconds(new Date('2026-01-21T09:05:07.999Z'))",
    );
  });
});
