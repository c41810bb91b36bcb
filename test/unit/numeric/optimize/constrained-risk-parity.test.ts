import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { riskParityConstrained } from '../../../../src/numeric/optimize/constrained-risk-parity.js';
import {
  createLinearConstraints,
  emptyLinearConstraints,
  projectOntoConstraints,
} from '../../../../src/numeric/optimize/linear-constraints.js';
import { riskParity } from '../../../../src/numeric/optimize/risk-parity.js';
import { matVec, maxAbsDiff, randomCovariance, relativeRiskContributions, rng, sum } from './_fixtures.js';

/** −Σ (1/n) ln(w_i / √(wᵀΣw)): the cone objective at the best scale of w (constant ½ dropped). */
function rayObjective(cov: Parameters<typeof matVec>[0], w: Float64Array): number {
  if (!w.every((x) => x > 0)) return Infinity; // the log-barrier is +∞ on the boundary
  const sw = matVec(cov, w);
  let v = 0;
  for (let i = 0; i < w.length; i++) v += w[i]! * sw[i]!;
  let f = 0;
  for (let i = 0; i < w.length; i++) f -= Math.log(w[i]! / Math.sqrt(v)) / w.length;
  return f;
}

describe('riskParityConstrained', () => {
  test('without a binding limit it is the ERC portfolio (equal risk contributions)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const n = 4 + (seed % 5);
      const cov = randomCovariance(n, seed);
      const r = riskParityConstrained(cov, emptyLinearConstraints(n));
      const erc = riskParity(cov).weights;
      assert.ok(maxAbsDiff(r.weights, erc) < 1e-10, `seed ${seed}: ${maxAbsDiff(r.weights, erc)}`);
      assert.ok(r.kkt.maxViolation <= 1e-9, `seed ${seed}: KKT ${r.kkt.maxViolation}`);
      const rc = relativeRiskContributions(cov, r.weights);
      assert.ok(maxAbsDiff(rc, new Float64Array(n).fill(1 / n)) < 1e-10, `seed ${seed}: equal contributions`);
    }
  });

  test('a binding group cap: feasible, KKT ≤ 1e-9, and no feasible point does better on the cone objective', () => {
    let binds = 0;
    for (let seed = 1; seed <= 15; seed++) {
      const n = 5 + (seed % 4);
      const cov = randomCovariance(n, seed);
      const erc = riskParity(cov).weights;
      const members = [0, 1];
      const cap = 0.6 * ((erc[0] as number) + (erc[1] as number));
      const c = createLinearConstraints(n, [
        {
          name: 'group g',
          coefficients: Array.from({ length: n }, (_, i) => (members.includes(i) ? 1 : 0)),
          upper: cap,
        },
      ]);
      const r = riskParityConstrained(cov, c);
      assert.ok(r.kkt.maxViolation <= 1e-9, `seed ${seed}: KKT ${r.kkt.maxViolation}`);
      assert.ok(Math.abs(sum(r.weights) - 1) < 1e-14, `seed ${seed}: budget`);
      assert.ok(
        (r.weights[0] as number) + (r.weights[1] as number) <= cap + 1e-12,
        `seed ${seed}: cap holds`,
      );
      if (r.binding.includes('group g max')) binds++;
      // Independent optimality check: w minimises G(w) = −Σ b_i ln(w_i / √(wᵀΣw)) (the objective on the
      // ray through w at its best scale) over the feasible set; random feasible points never do better.
      const u = rng(seed + 11);
      const best = rayObjective(cov, r.weights);
      for (let k = 0; k < 40; k++) {
        const v = projectOntoConstraints(
          Float64Array.from({ length: n }, () => u()),
          c,
          0,
          1,
        );
        assert.ok(
          rayObjective(cov, v) >= best - 1e-12,
          `seed ${seed}: a feasible point beats it (${rayObjective(cov, v)} < ${best})`,
        );
      }
    }
    assert.equal(binds, 15, 'the cap binds in every case (it is below the ERC weight of the group)');
  });

  test('risk budgets without binding limits are met exactly (1e-8)', () => {
    const n = 6;
    const cov = randomCovariance(n, 3);
    const u = rng(5);
    const budget = Array.from({ length: n }, () => 0.5 + u());
    const r = riskParityConstrained(cov, emptyLinearConstraints(n), { riskBudget: budget });
    const total = sum(budget);
    const rc = relativeRiskContributions(cov, r.weights);
    assert.ok(
      maxAbsDiff(
        rc,
        budget.map((b) => b / total),
      ) < 1e-8,
      'contributions equal the budgets',
    );
  });
});
