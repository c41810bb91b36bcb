// Risk budgeting (riskParity with riskBudget): relative risk contributions equal the budgets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuantError } from '../../../../src/errors.js';
import { riskParity } from '../../../../src/numeric/optimize/risk-parity.js';
import { randomCovariance, relativeRiskContributions, sum } from './_fixtures.js';

const maxGap = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};
const isCode = (code: string, reason?: string) => (e: unknown) =>
  e instanceof QuantError &&
  e.code === code &&
  (reason === undefined || (e.details as Record<string, unknown>)['reason'] === reason);

describe('riskParity with risk budgets', () => {
  test('diagonal covariance: wᵢ ∝ √bᵢ / σᵢ (by hand)', () => {
    // σ = 0.2, 0.1, 0.4; b = 0.5, 0.3, 0.2 → x = √b/σ = 3.5355, 5.4772, 1.1180.
    const cov = { rows: 3, cols: 3, data: Float64Array.from([0.04, 0, 0, 0, 0.01, 0, 0, 0, 0.16]) };
    const r = riskParity(cov, { riskBudget: [0.5, 0.3, 0.2] });
    const x = [Math.sqrt(0.5) / 0.2, Math.sqrt(0.3) / 0.1, Math.sqrt(0.2) / 0.4];
    const s = x.reduce((a, b) => a + b, 0);
    assert.ok(
      maxGap(
        r.weights,
        x.map((v) => v / s),
      ) < 1e-14,
      `weights ${[...r.weights]}`,
    );
    assert.ok(maxGap(r.riskContributions, [0.5, 0.3, 0.2]) < 1e-14, 'contributions are the budgets');
    assert.ok(r.maxDeviation < 1e-14, `maxDeviation is |RC − b|: ${r.maxDeviation}`);
    assert.deepEqual([...(r.riskBudget ?? [])], [0.5, 0.3, 0.2], 'the budgets are reported');
  });

  test('budgets are relative: 5, 3, 2 is 0.5, 0.3, 0.2', () => {
    const cov = randomCovariance(3, 7);
    const a = riskParity(cov, { riskBudget: [5, 3, 2] });
    const b = riskParity(cov, { riskBudget: [0.5, 0.3, 0.2] });
    assert.ok(maxGap(a.weights, b.weights) < 1e-15, 'same weights');
    assert.ok(maxGap(a.riskBudget ?? [], [0.5, 0.3, 0.2]) < 1e-16, 'normalised budgets reported');
  });

  test('equal budgets reproduce the ERC portfolio', () => {
    const cov = randomCovariance(6, 11);
    const erc = riskParity(cov);
    const eq = riskParity(cov, { riskBudget: [1, 1, 1, 1, 1, 1] });
    assert.ok(maxGap(erc.weights, eq.weights) < 1e-12, 'equal budgets = ERC');
  });

  test('property: random covariances and budgets, contributions equal budgets to 1e-8', () => {
    const sizes: number[] = [];
    const ratios: number[] = [];
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            seed: fc.integer({ min: 1, max: 1_000_000 }),
            budget: fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: n, maxLength: n }),
          }),
        ),
        ({ n, seed, budget }) => {
          const cov = randomCovariance(n, seed);
          const r = riskParity(cov, { riskBudget: budget });
          const total = budget.reduce((a, b) => a + b, 0);
          const b = budget.map((v) => v / total);
          sizes.push(n);
          ratios.push(Math.max(...budget) / Math.min(...budget));
          assert.ok(Math.abs(sum(r.weights) - 1) < 1e-14, 'weights sum to 1');
          assert.ok(
            r.weights.every((w) => w > 0),
            'long only',
          );
          const rc = relativeRiskContributions(cov, r.weights);
          assert.ok(maxGap(rc, b) <= 1e-8 * Math.max(...b), `RC vs budget: ${maxGap(rc, b)}`);
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(new Set(sizes).size >= 8, `sizes spread ${[...new Set(sizes)]}`);
    assert.ok(
      ratios.some((x) => x > 100),
      'some budgets differ by more than 100×',
    );
  });

  test('bad budgets are E_PARAMS naming the entry', () => {
    const cov = randomCovariance(3, 2);
    for (const [budget, why] of [
      [[0.5, -0.1, 0.6], 'negative'],
      [[0.5, 0, 0.5], 'zero'],
      [[0.5, NaN, 0.5], 'NaN'],
      [[0.5, Infinity, 0.5], 'infinite'],
      [[0.5, 0.5], 'too short'],
    ] as const) {
      assert.throws(
        () => riskParity(cov, { riskBudget: budget, labels: ['a', 'b', 'c'] }),
        isCode('E_PARAMS'),
        why,
      );
    }
    assert.throws(
      () => riskParity(cov, { riskBudget: [0.5, -0.1, 0.6], labels: ['a', 'bonds', 'c'] }),
      (e: unknown) => e instanceof QuantError && e.message.includes('bonds'),
      'the message names the entry by its label',
    );
  });

  test('bounds that cut off the budgeted portfolio are refused, naming the asset', () => {
    const cov = { rows: 3, cols: 3, data: Float64Array.from([0.04, 0, 0, 0, 0.01, 0, 0, 0, 0.16]) };
    // Unbounded weights ≈ 0.349, 0.541, 0.110: a cap of 0.5 cuts asset 1 off.
    assert.throws(
      () => riskParity(cov, { riskBudget: [0.5, 0.3, 0.2], maxWeight: 0.5 }),
      (e: unknown) =>
        isCode('E_INFEASIBLE_BOUNDS', 'risk_budget_unreachable')(e) &&
        (e as QuantError).message.includes('asset 1 needs weight 0.5407'),
      'asset 1 named with the weight it needs',
    );
    const ok = riskParity(cov, { riskBudget: [0.5, 0.3, 0.2], maxWeight: 0.6, minWeight: 0.1 });
    assert.ok(maxGap(ok.riskContributions, [0.5, 0.3, 0.2]) < 1e-14, 'bounds that do not bind are fine');
  });

  test('a riskless asset is E_SINGULAR_COVARIANCE, as for ERC', () => {
    const cov = { rows: 2, cols: 2, data: Float64Array.from([0.04, 0, 0, 0]) };
    assert.throws(
      () => riskParity(cov, { riskBudget: [0.5, 0.5] }),
      isCode('E_SINGULAR_COVARIANCE'),
      'riskless',
    );
    const hedge = { rows: 3, cols: 3, data: Float64Array.from([1, -1, 0, -1, 1, 0, 0, 0, 1]) };
    assert.throws(
      () => riskParity(hedge, { riskBudget: [0.2, 0.3, 0.5] }),
      isCode('E_SINGULAR_COVARIANCE'),
      'hedge',
    );
  });
});
