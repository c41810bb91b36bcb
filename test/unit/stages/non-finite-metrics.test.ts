// A figure beyond the range of a double (a sleeve stream that compounds 21-fold a day: its CAGR is
// Infinity) is E_INPUT_VALUE naming the meta profile, the risk profile and the sleeve, from the one guard
// in performanceMetrics that the library's portfolioStats and the pipeline share (a sleeve's run_stats too); never Infinity or NaN
// in an artifact (the JSON writer's E_OUTPUT before).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { QuantError } from '../../../src/errors.js';
import { profileStats } from '../../../src/stages/sleeve/_sleeve-artifacts.js';
import { portfolioStats } from '../../../src/sdk/building-blocks.js';
import type { ProfileBacktest } from '../../../src/numeric/backtest/walk-forward.js';
import { tempDir } from '../../helpers/cli.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../../helpers/sleeve-fixtures.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const ws = tempDir('mf-nonfinite-');
after(() => ws.cleanup());

test('a sleeve stream compounding beyond a double: E_INPUT_VALUE naming the sleeve and the figure', async () => {
  const dates = businessDays('2024-01-01', 300);
  for (const [i, id] of ['a', 'b', 'c'].entries()) {
    const r = randomReturns(10 + i, dates.length, { vol: 0.01 });
    await writeSleeveRun(ws.path, {
      runId: `${id}_run`,
      profile: id,
      // b gains 2000 % a day with a σ of 0.01: below the percent check's limit, every value above −1.
      streams: { hrp: { dates, returns: id === 'b' ? r.map((x) => 20 + x) : r } },
      weights: { hrp: [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
      health: { hrp: { windows: 4, successes: 4 } },
    });
  }
  await writeManifest(ws.path, {
    profiles: { m: { sleeves: ['a', 'b', 'c'].map((id) => ({ id, profile: id })), risk_profiles: ['hrp'] } },
  });
  await assert.rejects(
    QuantSDK.runMeta('m', { workspace: ws.path, cwd: ws.path, runId: 'r', env: ENV, cache: false }),
    (e: unknown) => {
      assert.ok(e instanceof QuantError, `a coded error, got ${String(e)}`);
      assert.equal(e.code, 'E_INPUT_VALUE', `the figure is refused, not written: ${e.message}`);
      assert.match(
        e.message,
        /meta\.backtest: meta profile m \(hrp\): the out-of-sample returns of sleeve b: the cagr of the \d+ returns is Infinity: it exceeds the range of a double/,
        'the message names the level, the sleeve and the figure',
      );
      assert.match(e.hint ?? '', /check the return stream of sleeve b/, `the hint: ${e.hint}`);
      assert.equal(e.details['sleeve'], 'b', 'details.sleeve');
      assert.equal(e.details['metric'], 'cagr', 'details.metric');
      return true;
    },
    'the meta run is refused',
  );
});

/** The figures of sleeve profile s1's hrp stream of `returns` (daily), as run_stats.json gets them. */
const sleeveStats = (returns: Float64Array) => (): unknown => {
  const p = { profile: 'hrp', dates: [], returns, windows: [], lastWeights: new Float64Array() };
  return profileStats(p as ProfileBacktest, 252, 's1');
};

test("a sleeve's own out-of-sample stream beyond a double: E_INPUT_VALUE naming the sleeve profile", () => {
  const returns = Float64Array.from({ length: 50 }, (_, t) => 20 + 0.01 * Math.sin(t));
  assert.throws(
    sleeveStats(returns),
    (e: unknown) =>
      e instanceof QuantError &&
      e.code === 'E_INPUT_VALUE' &&
      e.message.startsWith(
        'sleeve profile s1 (hrp): the out-of-sample returns: the cagr of the 50 returns is Infinity',
      ) &&
      e.details['profile'] === 's1',
    'run_stats.json would hold Infinity',
  );
});

test('a figure named in camelCase by the library is named by its artifact key in the pipeline', () => {
  // A loss of 10^10 times the stake then gains of 10^10: the equity is negative (no CAGR) and its
  // drawdown from the first peak leaves the double range.
  const returns = Float64Array.from({ length: 40 }, (_, t) => (t === 0 ? -1e10 : 1e10 + t));
  assert.throws(
    sleeveStats(returns),
    (e: unknown) =>
      e instanceof QuantError &&
      e.code === 'E_INPUT_VALUE' &&
      e.message.includes('the max_drawdown of the 40 returns is Infinity') &&
      e.details['metric'] === 'max_drawdown',
    'run_stats.json names it max_drawdown',
  );
  assert.throws(
    () => portfolioStats(Array.from(returns), { periodsPerYear: 252 }),
    (e: unknown) =>
      e instanceof QuantError &&
      e.message.startsWith('portfolioStats: the maxDrawdown of the 40 returns is Infinity') &&
      e.details['metric'] === 'maxDrawdown',
    "the library names its own result's field",
  );
});
