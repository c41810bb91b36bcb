// AbortSignal.any exists from Node 20.3 only, and package.json accepts Node 20.0: the source goes through
// anySignal, whose fallback (combineSignals) behaves as AbortSignal.any does.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anySignal, combineSignals } from '../../../src/util/any-signal.js';
import { REPO } from '../../helpers/cli.js';

describe('anySignal', () => {
  for (const [name, combine] of [
    ['combineSignals (Node before 20.3)', combineSignals],
    ['anySignal', anySignal],
  ] as const) {
    test(`${name}: aborts on the first abort, with its reason; at once when one already is`, () => {
      const a = new AbortController();
      const b = new AbortController();
      const both = combine([a.signal, b.signal]);
      assert.equal(both.aborted, false, 'not aborted while neither is');
      const seen: unknown[] = [];
      both.addEventListener('abort', () => seen.push(both.reason));
      b.abort('second');
      assert.deepEqual(
        [both.aborted, both.reason, seen],
        [true, 'second', ['second']],
        'takes the reason of b',
      );
      a.abort('first');
      assert.deepEqual([both.reason, seen], ['second', ['second']], 'a later abort changes nothing');

      const done = new AbortController();
      done.abort('already');
      const late = combine([new AbortController().signal, done.signal]);
      assert.deepEqual([late.aborted, late.reason], [true, 'already'], 'aborted at once');
    });
  }

  test('the source calls AbortSignal.any only through anySignal', () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (
          p.endsWith('.ts') &&
          !p.endsWith('any-signal.ts') &&
          readFileSync(p, 'utf8').includes('AbortSignal.any')
        )
          found.push(p.slice(REPO.length));
      }
    };
    walk(join(REPO, 'src'));
    assert.deepEqual(found, [], 'AbortSignal.any needs Node 20.3; package.json accepts 20.0');
  });
});
