// The CLI on a price table with a cash-like column (constant price: zero returns, zero variance) and a
// duplicated column: min_variance and max_sharpe give the exact answers, risk_parity fails with one coded
// line naming the column.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { businessDays, randomReturns } from '../helpers/sleeve-fixtures.js';

describe('portfolio.optimize with a riskless and a duplicated column', () => {
  let ws: { path: string; cleanup(): void };
  let csv: string;
  // Returns of A and B (A2 = A), for the closed forms below.
  let ra: Float64Array;
  let rb: Float64Array;

  before(() => {
    ws = tempDir();
    const dates = businessDays('2023-01-02', 200);
    ra = randomReturns(11, dates.length - 1, { mean: 0.002, vol: 0.01 });
    rb = randomReturns(12, dates.length - 1, { mean: 0.002, vol: 0.015 });
    let pa = 100;
    let pb = 50;
    const lines = ['date,CASH,A,A2,B'];
    dates.forEach((d, t) => {
      if (t > 0) {
        pa *= 1 + ra[t - 1]!;
        pb *= 1 + rb[t - 1]!;
      }
      lines.push(`${d},100,${pa},${pa},${pb}`);
    });
    csv = join(ws.path, 'cash.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
  });
  after(() => ws.cleanup());

  const optimize = (runId: string, ...params: string[]): ReturnType<typeof quant> =>
    quant([
      'stage',
      'run',
      'portfolio.optimize',
      '--run-id',
      runId,
      '--param',
      `input=${csv}`,
      ...params.flatMap((p) => ['--param', p]),
      '--workspace',
      ws.path,
    ]);
  const weights = (runId: string, method: string): Record<string, number> =>
    (
      JSON.parse(readFileSync(join(ws.path, 'runs', runId, 'data', `weights_${method}.json`), 'utf8')) as {
        weights: Record<string, number>;
      }
    ).weights;

  // Prices are rebuilt from the returns, so the returns read back differ from ra, rb by rounding only; the
  // closed forms are checked to 1e-9.
  const cov = (x: Float64Array, y: Float64Array): number => {
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    return x.reduce((s, v, t) => s + (v - mx) * (y[t]! - my), 0);
  };

  test('min_variance: cash at its cap, the rest the two-asset minimum variance, A and A2 split equally', () => {
    const r = optimize('mv', 'method=min_variance', 'max_weight=0.4');
    assert.equal(r.code, 0, r.stderr);
    const w = weights('mv', 'min_variance');
    assert.equal(w['CASH'], 0.4, "w['CASH']");
    // 0.6 between the group {A, A2} (cap 0.8, one asset to the variance) and B (cap 0.4):
    // group = clamp(0.6·(σB² − σAB) / (σA² + σB² − 2σAB), 0.2, 0.6).
    const group = Math.min(
      0.6,
      Math.max(0.2, (0.6 * (cov(rb, rb) - cov(ra, rb))) / (cov(ra, ra) + cov(rb, rb) - 2 * cov(ra, rb))),
    );
    assert.ok(Math.abs(w['A']! + w['A2']! - group) < 1e-9, `A + A2 = ${w['A']! + w['A2']!} vs ${group}`);
    assert.equal(w['A'], w['A2'], "w['A']");
    assert.ok(Math.abs(w['B']! - (0.6 - group)) < 1e-9, `B ${w['B']}`);
  });

  test('max_sharpe: cash earning r_f = 0 ties along the capital market line; the least cash is held', () => {
    const r = optimize('ms', 'method=max_sharpe');
    assert.equal(r.code, 0, r.stderr);
    const w = weights('ms', 'max_sharpe');
    assert.equal(w['CASH'], 0, "w['CASH']");
    assert.equal(w['A'], w['A2'], "w['A']");
  });

  test('risk_parity: one coded line naming the cash column, exit 1', () => {
    const r = optimize('rp', 'method=risk_parity');
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_SINGULAR_COVARIANCE: .*cash\.csv.*risk parity is undefined: asset 0 \(CASH\) has zero variance/,
      'r.stderr names E_SINGULAR_COVARIANCE',
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
