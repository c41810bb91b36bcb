import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdWithPolicy, type RebalancePolicy } from '../../../../src/numeric/backtest/rebalance-policy.js';
import { walkForwardBacktest } from '../../../../src/numeric/backtest/walk-forward.js';
import type { WindowSpan } from '../../../../src/numeric/backtest/walk-forward-windows.js';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { seededRandom } from '../../../helpers/random.js';

// Two assets held at (½, ½); A gains 10 % on days 1 and 3 and loses 20 % on day 6, B stays flat.
// Weights drift after each day's return: after day 1 A is 0.55/1.05 = 0.5238 (gap 0.0238), after
// day 3 0.57619/1.05238 = 0.5475 (gap 0.0475); after a trade back to ½ on day 4, day 6 takes A to
// 0.4/0.9 = 0.4444 (gap 0.0556).
const A = [0, 0.1, 0, 0.1, 0, 0, -0.2, 0];
const DATES = A.map((_, t) => `2024-01-${String(t + 1).padStart(2, '0')}`);
const RETURNS: Matrix = { rows: A.length, cols: 2, data: Float64Array.from(A.flatMap((a) => [a, 0])) };
const SPAN: WindowSpan = {
  index: 0,
  trainStart: 0,
  trainEnd: 0,
  testStart: 0,
  testEnd: A.length,
  heldEnd: A.length,
  continues: false,
};
const hold = (policy: RebalancePolicy) =>
  holdWithPolicy(RETURNS, [SPAN], [Float64Array.of(0.5, 0.5)], DATES, policy, 0.001);
const tradeDays = (policy: RebalancePolicy) => hold(policy).events.map((e) => [e.row, e.reason]);

test('a drift band rebalances exactly on the days some weight leaves it', () => {
  // Absolute 3 %: day 4 (gap 0.0475) and day 7 (0.0556); days 2 and 3 (0.0238) stay inside.
  assert.deepEqual(
    tradeDays({ calendar: { every: 1 }, bandAbsolute: 0.03 }),
    [
      [0, 'entry'],
      [4, 'band'],
      [7, 'band'],
    ],
    'absolute band 0.03',
  );
  // Relative 9 % of ½ = 0.045: days 4 and 7 as above. Relative 10 % (0.05): day 4 stays inside, and
  // without that trade day 6 takes A from 0.5475 to 0.438/0.8905 = 0.4919, inside again: no trade at all.
  assert.deepEqual(
    tradeDays({ calendar: { every: 1 }, bandRelative: 0.09 }),
    [
      [0, 'entry'],
      [4, 'band'],
      [7, 'band'],
    ],
    'relative band 0.09',
  );
  assert.deepEqual(
    tradeDays({ calendar: { every: 1 }, bandRelative: 0.1 }),
    [[0, 'entry']],
    'relative band 0.1',
  );
  // Bands are checked on calendar days only: every 2 rows → days 2 (inside), 4 (outside), 6 (back at ½).
  assert.deepEqual(
    tradeDays({ calendar: { every: 2 }, bandAbsolute: 0.03 }),
    [
      [0, 'entry'],
      [4, 'band'],
    ],
    'absolute band 0.03 on every second row',
  );
});

test('a calendar without bands trades on every calendar day; monthly on the first day of each month', () => {
  assert.deepEqual(
    tradeDays({ calendar: { every: 3 } }),
    [
      [0, 'entry'],
      [3, 'calendar'],
      [6, 'calendar'],
    ],
    'every 3 rows',
  );
  const dates = [
    '2024-01-30',
    '2024-01-31',
    '2024-02-01',
    '2024-02-02',
    '2024-03-28',
    '2024-04-01',
    '2024-04-02',
    '2024-07-01',
  ];
  const monthly = holdWithPolicy(
    RETURNS,
    [SPAN],
    [Float64Array.of(0.5, 0.5)],
    dates,
    { calendar: 'monthly' },
    0,
  );
  assert.deepEqual(
    monthly.events.map((e) => e.date),
    ['2024-01-30', '2024-02-01', '2024-03-28', '2024-04-01', '2024-07-01'],
    'monthly',
  );
  const quarterly = holdWithPolicy(
    RETURNS,
    [SPAN],
    [Float64Array.of(0.5, 0.5)],
    dates,
    { calendar: 'quarterly' },
    0,
  );
  assert.deepEqual(
    quarterly.events.map((e) => e.date),
    ['2024-01-30', '2024-04-01', '2024-07-01'],
    'quarterly',
  );
});

test('a turnover limit moves part of the way; asset costs are charged per asset', () => {
  const limited = hold({ calendar: { every: 1 }, bandAbsolute: 0.03, maxTurnover: 0.05 });
  const day4 = limited.events.find((e) => e.row === 4);
  assert.ok(day4 !== undefined && day4.partial, 'the day-4 trade is partial');
  assert.ok(Math.abs(day4.turnover - 0.05) < 1e-15, `turnover capped at 0.05 (${day4.turnover})`);
  assert.ok(Math.abs(day4.cost - 0.05 * 0.001) < 1e-18, 'cost = rate × the turnover traded');
  const priced = hold({ calendar: 'window', assetCosts: Float64Array.of(0.001, 0.003) });
  // Entry: ½ × 0.001 + ½ × 0.003 = 0.002, taken from day 0's return (0).
  assert.ok(Math.abs((priced.returns[0] as number) + 0.002) < 1e-15, `entry cost ${priced.returns[0]}`);
});

test("the 'window' calendar holds exactly as the default walk-forward, bit for bit", () => {
  const rand = seededRandom(3);
  const T = 90;
  const data = Float64Array.from({ length: T * 3 }, () => (rand() - 0.5) * 0.04);
  const dates = Array.from({ length: T }, (_, t) =>
    new Date(Date.UTC(2024, 0, 1 + t)).toISOString().slice(0, 10),
  );
  const base = {
    dates,
    directions: ['LONG', 'SHORT', 'LONG'] as const,
    trainWindow: 20,
    testWindow: 10,
    step: 7,
    riskProfiles: ['hrp', 'min_variance'] as const,
    costs: { commission: 0.0002, slippage: 0.0005 },
  };
  const plain = walkForwardBacktest(
    { rows: T, cols: 3, data },
    { ...base, directions: [...base.directions], riskProfiles: [...base.riskProfiles] },
  );
  const policy = walkForwardBacktest(
    { rows: T, cols: 3, data },
    {
      ...base,
      directions: [...base.directions],
      riskProfiles: [...base.riskProfiles],
      policy: { calendar: 'window' },
    },
  );
  plain.profiles.forEach((p, k) => {
    const q = policy.profiles[k];
    assert.deepEqual(q?.dates, p.dates, `${p.profile}: dates`);
    assert.deepEqual(
      Array.from(q?.returns ?? []),
      Array.from(p.returns),
      `${p.profile}: returns bit for bit`,
    );
    assert.deepEqual(
      q?.windows.map((w) => [w.turnover, w.cost]),
      p.windows.map((w) => [w.turnover, w.cost]),
      `${p.profile}: turnover and cost`,
    );
  });
});

test('turnover, costs and net returns of a band policy, by hand', () => {
  // Rate 0.001 per unit of turnover. Entry from cash: turnover 1, cost 0.001, day 0 return 0 − 0.001.
  // Day 4: A = 0.5·1.1² / (0.5·1.1² + 0.5) = 0.605 / 1.105; both legs move by 0.605/1.105 − ½, so the
  // turnover is 2·(0.605/1.105 − ½) = 0.105/1.105 and the cost 0.001 × that, taken from day 4's return (0).
  // Day 6: A loses 20 % from ½: return −0.1; A = 0.4/0.9. Day 7: turnover 2·(½ − 0.4/0.9) = 0.1/0.9.
  const held = hold({ calendar: { every: 1 }, bandAbsolute: 0.03 });
  const t4 = 0.105 / 1.105;
  const t7 = 0.1 / 0.9;
  const expected = [
    [0, 1, 0.001],
    [4, t4, 0.001 * t4],
    [7, t7, 0.001 * t7],
  ];
  assert.equal(held.events.length, 3, 'three trades');
  held.events.forEach((e, k) => {
    const [row, turnover, cost] = expected[k] as [number, number, number];
    assert.equal(e.row, row, `trade ${k}: row`);
    assert.ok(Math.abs(e.turnover - turnover) < 1e-15, `trade ${k}: turnover ${e.turnover} vs ${turnover}`);
    assert.ok(Math.abs(e.cost - cost) < 1e-18, `trade ${k}: cost ${e.cost} vs ${cost}`);
    assert.equal(e.partial, false, `trade ${k}: in full`);
  });
  const net = [-0.001, 0.05, 0, 0.05 * (1.1 / 1.05), -0.001 * t4, 0, -0.1, -0.001 * t7];
  // Day 1: ½ × 10 %; day 3: A's drifted weight 0.55/1.05 × 10 %.
  net.forEach((r, t) =>
    assert.ok(Math.abs((held.returns[t] as number) - r) < 1e-15, `day ${t}: ${held.returns[t]} vs ${r}`),
  );
  assert.deepEqual(held.windows.length, 1, 'one window');
  assert.ok(
    Math.abs((held.windows[0]?.turnover ?? 0) - (1 + t4 + t7)) < 1e-15 &&
      Math.abs((held.windows[0]?.cost ?? 0) - 0.001 * (1 + t4 + t7)) < 1e-18,
    'the window sums its trades',
  );
});

test('per-asset costs on a partial trade, by hand', () => {
  // Costs 10 and 30 bps. Day 4 (band 0.03) wants turnover 0.105/1.105 = 0.0950 but the limit is 0.05:
  // each leg moves 0.025, A from 0.605/1.105 down, B up; the cost is 0.025 × 0.001 + 0.025 × 0.003 = 0.0001.
  // A is then 0.605/1.105 − 0.025 = 0.522511...; day 6 (−20 %) takes it to 0.8a / (0.8a + 1 − a) with
  // gap ½ − that = 0.0332 > 0.03, so day 7 trades again, capped at 0.05 (wanted 2 × 0.0332 = 0.0664).
  const held = hold({
    calendar: { every: 1 },
    bandAbsolute: 0.03,
    maxTurnover: 0.05,
    assetCosts: Float64Array.of(0.001, 0.003),
  });
  const a = 0.605 / 1.105 - 0.025;
  const after6 = (0.8 * a) / (0.8 * a + 1 - a);
  assert.ok(0.5 - after6 > 0.03, `day 6 leaves the band (${after6})`);
  assert.deepEqual(
    held.events.map((e) => [e.row, e.partial]),
    [
      [0, false],
      [4, true],
      [7, true],
    ],
    'entry in full, then two capped trades',
  );
  const [entry, d4, d7] = held.events;
  assert.ok(Math.abs((entry?.cost ?? 0) - 0.002) < 1e-18, `entry: ½ × 10 bps + ½ × 30 bps (${entry?.cost})`);
  assert.ok(Math.abs((d4?.turnover ?? 0) - 0.05) < 1e-15, 'day 4: turnover at the limit');
  assert.ok(Math.abs((d4?.cost ?? 0) - 0.0001) < 1e-17, `day 4: 0.025 × (10 + 30) bps (${d4?.cost})`);
  assert.ok(Math.abs((d7?.cost ?? 0) - 0.0001) < 1e-17, `day 7: the same capped move (${d7?.cost})`);
  assert.ok(
    Math.abs((held.returns[6] as number) - -0.2 * a) < 1e-15,
    `day 6 return = A's weight after the partial trade × −20 % (${held.returns[6]})`,
  );
});
