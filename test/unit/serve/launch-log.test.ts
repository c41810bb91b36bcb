// The Launch page's log: a sleeve's per-window progress is one line that counts up, not 661 lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendEvent, type LoggedEvent } from '../../../web/src/launch-log.js';

const progress = (text: string): LoggedEvent => ({ type: 'progress', text });

test('per-window progress updates one line per sleeve; other lines are kept in order', () => {
  let log: LoggedEvent[] = [{ type: 'started', text: 'sleeve run --profile s1 started' }];
  for (let w = 1; w <= 661; w++) log = appendEvent(log, progress(`sleeve.backtest: s1: window ${w}/661`));
  assert.deepEqual(
    log.map((e) => e.text),
    ['sleeve run --profile s1 started', 'sleeve.backtest: s1: window 661/661'],
    'one line for the sleeve, at its last window',
  );
  log = appendEvent(log, progress('sleeves 0/2 done — a: window 1/10'));
  log = appendEvent(log, progress('sleeves 0/2 done — b: window 1/10'));
  log = appendEvent(log, progress('sleeves 0/2 done — a: window 2/10'));
  log = appendEvent(log, progress('meta.returns: small hrp'));
  log = appendEvent(log, progress('meta.returns: small hrp'));
  assert.deepEqual(
    log.slice(2).map((e) => e.text),
    [
      'sleeves 0/2 done — a: window 2/10',
      'sleeves 0/2 done — b: window 1/10',
      'meta.returns: small hrp',
      'meta.returns: small hrp',
    ],
    'each sleeve keeps its own line in place; lines without a counter are never merged',
  );
});
