// The turnover-aware solvers: the sign-pattern method against an exhaustive search over every sign
// pattern and every active set (an independent formulation), no feasible improving direction at the
// answer, the bound binding exactly when active, λ = 0 equal to the problem without turnover, a large
// λ returning the reference, max_sharpe net of the penalty, the projection, and the infeasible bound.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import {
  maxSharpeConstrained,
  minVarianceConstrained,
} from '../../../../src/numeric/optimize/constrained-qp.js';
import {
  createLinearConstraints,
  emptyLinearConstraints,
  projectOntoConstraints,
  type LinearConstraints,
} from '../../../../src/numeric/optimize/linear-constraints.js';
import {
  maxSharpeTurnover,
  minimumTurnover,
  minVarianceTurnover,
  projectOntoTurnover,
  turnoverOf,
} from '../../../../src/numeric/optimize/turnover.js';
import { resolveBounds } from '../../../../src/numeric/optimize/feasibility.js';
import { optimizePortfolio } from '../../../../src/numeric/optimize/optimize-portfolio.js';
import { maxAbsDiff, quadForm, randomCovariance, rng, solveLinear, sum } from './_fixtures.js';
import { caughtQuantError as caught } from '../../../helpers/errors.js';

interface Ineq {
  readonly a: number[];
  readonly b: number;
}

const HI = 0.6;

/** A random long-only reference within [0, HI] summing to 1 (sometimes exactly 0 or HI somewhere). */
function randomReference(n: number, seed: number): Float64Array {
  const u = rng(seed);
  for (;;) {
    const raw = Float64Array.from({ length: n }, () => (u() < 0.2 ? 0 : u()));
    const s = sum(raw);
    if (s === 0) continue;
    const p = raw.map((x) => x / s);
    if (p.every((x) => x <= HI)) return p;
  }
}

function groupRow(n: number): LinearConstraints {
  return createLinearConstraints(n, [
    { name: 'group g', coefficients: Array.from({ length: n }, (_, i) => (i < 2 ? 1 : 0)), upper: 0.7 },
  ]);
}

const objective = (cov: Matrix, p: ArrayLike<number>, lambda: number, w: ArrayLike<number>): number =>
  quadForm(cov, w) + lambda * turnoverOf(w, p);

/**
 * Independent oracle for min wᵀΣw + λ·Σ|w − p| s.t. 1ᵀw = 1, 0 ≤ w ≤ HI, group ≤ 0.7, Σ|w − p| ≤ τ:
 * in each orthant s (2ⁿ) the problem is a QP with the linear term λ·s; every subset of its inequality
 * rows (box, group, orthant, bound) is tried as the active set, its KKT system solved by Gaussian
 * elimination, and the feasible point with the lowest true objective kept.
 */
function bruteForce(cov: Matrix, p: Float64Array, lambda: number, tau?: number): Float64Array {
  const n = cov.rows;
  let best: Float64Array | undefined;
  let bestF = Infinity;
  for (let mask = 0; mask < 1 << n; mask++) {
    const s = Array.from({ length: n }, (_, i) => (mask & (1 << i) ? 1 : -1));
    const rows: Ineq[] = [];
    for (let i = 0; i < n; i++) {
      const e = Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
      rows.push({ a: e, b: 0 }, { a: e.map((x) => -x), b: -HI });
      rows.push({ a: e.map((x) => x * s[i]!), b: s[i]! * p[i]! });
    }
    rows.push({ a: Array.from({ length: n }, (_, i) => (i < 2 ? -1 : 0)), b: -0.7 });
    if (tau !== undefined)
      rows.push({ a: s.map((x) => -x), b: -tau - s.reduce((t, x, i) => t + x * p[i]!, 0) });
    const subsets = (start: number, chosen: number[]): void => {
      if (chosen.length <= n - 1) {
        const w = kktPoint(
          cov,
          s.map((x) => lambda * x),
          chosen.map((k) => rows[k]!),
        );
        if (w !== undefined && rows.every((r) => r.a.reduce((t, a, j) => t + a * w[j]!, 0) >= r.b - 1e-10)) {
          const f = objective(cov, p, lambda, w);
          if (f < bestF) {
            bestF = f;
            best = w;
          }
        }
      }
      if (chosen.length === n - 1) return;
      for (let k = start; k < rows.length; k++) subsets(k + 1, [...chosen, k]);
    };
    subsets(0, []);
  }
  assert.ok(best !== undefined, 'the oracle found a feasible point');
  return best;
}

/** argmin wᵀΣw + qᵀw s.t. 1ᵀw = 1 and the rows as equalities (undefined when singular). */
function kktPoint(cov: Matrix, q: number[], active: Ineq[]): Float64Array | undefined {
  const n = cov.rows;
  const eq = [{ a: Array<number>(n).fill(1), b: 1 }, ...active];
  const k = n + eq.length;
  const m = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * k + j] = 2 * cov.data[i * n + j]!;
    rhs[i] = -q[i]!;
  }
  eq.forEach((e, r) => {
    for (let j = 0; j < n; j++) {
      m[(n + r) * k + j] = e.a[j]!;
      m[j * k + n + r] = e.a[j]!;
    }
    rhs[n + r] = e.b;
  });
  const x = solveLinear(m, rhs, k);
  return x === undefined || !x.every(Number.isFinite) ? undefined : Float64Array.from(x.subarray(0, n));
}

describe('minVarianceTurnover', () => {
  test('equals an exhaustive search over sign patterns and active sets (n = 3, 4)', () => {
    let worst = 0;
    let flips = 0;
    let binding = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const n = 3 + (seed % 2);
      const cov = randomCovariance(n, seed);
      const p = randomReference(n, seed + 50);
      const lambda = [0, 0.002, 0.02][seed % 3]!;
      const free = turnoverOf(minVarianceConstrained(cov, groupRow(n), { maxWeight: HI }).weights, p);
      const least = minimumTurnover(p, groupRow(n), resolveBounds(n, 0, HI)).turnover;
      const tau = seed % 4 === 0 ? undefined : least + (free - least) * [0.3, 0.6, 1.5][seed % 3]!;
      const turnover = { reference: p, penalty: lambda, ...(tau === undefined ? {} : { maxTurnover: tau }) };
      const r = minVarianceTurnover(cov, groupRow(n), { maxWeight: HI, turnover });
      const oracle = bruteForce(cov, p, lambda, tau);
      const gap = objective(cov, p, lambda, r.weights) - objective(cov, p, lambda, oracle);
      assert.ok(gap <= 1e-12, `seed ${seed}: objective ${gap} above the oracle's`);
      worst = Math.max(worst, maxAbsDiff(r.weights, oracle));
      assert.ok(r.kkt.maxViolation <= 1e-9, `seed ${seed}: KKT violation ${r.kkt.maxViolation}`);
      flips += r.flips;
      if (r.binding) binding++;
    }
    assert.ok(worst <= 1e-7, `largest weight difference from the oracle ${worst}`);
    assert.ok(flips > 0 && binding > 0, `the cases flip signs (${flips}) and bind the bound (${binding})`);
  });

  test('no feasible direction improves the answer', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const n = 6;
      const cov = randomCovariance(n, seed + 300);
      const p = randomReference(n, seed + 400);
      const turnover = { reference: p, maxTurnover: 0.2, penalty: 0.01 };
      const r = minVarianceTurnover(cov, groupRow(n), { maxWeight: HI, turnover });
      const f = objective(cov, p, 0.01, r.weights);
      const u = rng(seed + 500);
      for (let k = 0; k < 40; k++) {
        // A feasible point v: the set is convex, so the segment from the answer to v is feasible.
        const target = Float64Array.from({ length: n }, () => u());
        const v = projectOntoTurnover(target, groupRow(n), {
          maxWeight: HI,
          turnover: { reference: p, maxTurnover: 0.2 },
        });
        for (const t of [1e-4, 1e-2, 0.3, 1]) {
          const w = r.weights.map((x, i) => x + t * (v.weights[i]! - x));
          const g = objective(cov, p, 0.01, w) - f;
          assert.ok(g >= -1e-13, `seed ${seed}: a step ${t} towards a feasible point improves by ${-g}`);
        }
      }
    }
  });

  test('the bound binds exactly when it is below the free answer’s turnover, and not otherwise', () => {
    const n = 5;
    const cov = randomCovariance(n, 11);
    const p = randomReference(n, 12);
    const free = minVarianceConstrained(cov, emptyLinearConstraints(n), { maxWeight: HI }).weights;
    const away = turnoverOf(free, p);
    for (const share of [0.1, 0.5, 0.9]) {
      const r = minVarianceTurnover(cov, emptyLinearConstraints(n), {
        maxWeight: HI,
        turnover: { reference: p, maxTurnover: share * away },
      });
      assert.ok(
        Math.abs(r.turnover - share * away) <= 1e-12,
        `${share}: turnover ${r.turnover} on the bound`,
      );
      assert.equal(r.binding, true, `${share}: binding`);
    }
    const loose = minVarianceTurnover(cov, emptyLinearConstraints(n), {
      maxWeight: HI,
      turnover: { reference: p, maxTurnover: away + 0.1 },
    });
    assert.equal(loose.binding, false, 'a loose bound does not bind');
    assert.ok(maxAbsDiff(loose.weights, free) <= 1e-12, 'and the answer is the free one');
  });

  test('λ = 0 equals the problem without turnover; a large λ returns the (feasible) reference', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const n = 5;
      const cov = randomCovariance(n, seed + 20);
      const p = randomReference(n, seed + 30);
      const free = minVarianceConstrained(cov, groupRow(n), { maxWeight: HI }).weights;
      const zero = minVarianceTurnover(cov, groupRow(n), {
        maxWeight: HI,
        turnover: { reference: p, penalty: 0 },
      });
      assert.ok(maxAbsDiff(zero.weights, free) <= 1e-12, `seed ${seed}: λ = 0 is the free answer`);
      const q = projectOntoConstraints(p, groupRow(n), 0, HI);
      const big = minVarianceTurnover(cov, groupRow(n), {
        maxWeight: HI,
        turnover: { reference: q, penalty: 100 },
      });
      assert.ok(maxAbsDiff(big.weights, q) <= 1e-9, `seed ${seed}: λ = 100 keeps the reference`);
      assert.ok(big.turnover <= 1e-9, `seed ${seed}: no turnover (${big.turnover})`);
    }
  });

  test('a bound below the least turnover the limits allow is E_INFEASIBLE_CONSTRAINTS with the arithmetic', () => {
    const cov = randomCovariance(3, 1);
    const e = caught(() =>
      minVarianceTurnover(cov, emptyLinearConstraints(3), {
        maxWeight: 0.4,
        labels: ['sleeve a', 'sleeve b', 'sleeve c'],
        turnover: { reference: [0.1, 0.3, 0.6], maxTurnover: 0.1 },
      }),
    );
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(e.message, /max_turnover 0\.1 < 0\.4, the least turnover .*sleeve c -0\.2/, e.message);
    const least = e.details['minimum_turnover'] as number;
    assert.ok(Math.abs(least - 0.4) <= 1e-12, `the least turnover in the details: ${least}`);
    assert.match(
      e.message,
      /the reference breaks "weight of sleeve c" max 0\.4 \(reference 0\.6\)/,
      e.message,
    );
    assert.deepEqual(
      e.details['constraints'],
      ['max_turnover', 'weight of sleeve c'],
      'the bound, the broken limit',
    );
    assert.deepEqual(e.details['sides'], ['max', 'max'], 'their sides');
  });
});

describe('maxSharpeTurnover', () => {
  const cov: Matrix = {
    rows: 3,
    cols: 3,
    data: Float64Array.from([0.04, 0.01, 0, 0.01, 0.09, 0.02, 0, 0.02, 0.16]),
  };
  const mu = Float64Array.from([0.05, 0.08, 0.1]);
  const p = Float64Array.from([0.1, 0.3, 0.6]);
  const netSharpe = (w: ArrayLike<number>, lambda: number): number =>
    (Array.from(w).reduce((s, x, i) => s + x * mu[i]!, 0) - lambda * turnoverOf(w, p)) /
    Math.sqrt(quadForm(cov, w));

  test('a loose bound and λ = 0 give the tangency portfolio; a tight bound binds', () => {
    const free = maxSharpeConstrained(cov, mu, emptyLinearConstraints(3)).weights;
    const loose = maxSharpeTurnover(cov, mu, emptyLinearConstraints(3), {
      turnover: { reference: p, maxTurnover: 2 },
    });
    assert.ok(maxAbsDiff(loose.weights, free) <= 1e-10, 'the tangency portfolio');
    const tight = maxSharpeTurnover(cov, mu, emptyLinearConstraints(3), {
      turnover: { reference: p, maxTurnover: 0.3 },
    });
    assert.ok(Math.abs(tight.turnover - 0.3) <= 1e-12 && tight.binding, `binding at ${tight.turnover}`);
  });

  test('the answer has the best Sharpe ratio net of the penalty among feasible points', () => {
    for (const [lambda, tau] of [
      [0.01, undefined],
      [0.02, 0.4],
      [0, 0.2],
    ] as const) {
      const turnover = { reference: p, penalty: lambda, ...(tau === undefined ? {} : { maxTurnover: tau }) };
      const r = maxSharpeTurnover(cov, mu, emptyLinearConstraints(3), { turnover });
      const best = netSharpe(r.weights, lambda);
      // A grid over the simplex: no feasible point beats it.
      for (let i = 0; i <= 100; i++) {
        for (let j = 0; i + j <= 100; j++) {
          const w = [i / 100, j / 100, (100 - i - j) / 100];
          if (tau !== undefined && turnoverOf(w, p) > tau) continue;
          assert.ok(
            netSharpe(w, lambda) <= best + 1e-12,
            `λ ${lambda}, τ ${tau}: ${w.join(',')} beats the answer`,
          );
        }
      }
    }
  });
});

describe('projectOntoTurnover and optimizePortfolio', () => {
  test('the projection is the nearest point of the ball within the limits', () => {
    const target = Float64Array.from([1 / 3, 1 / 3, 1 / 3]);
    const p = [0.1, 0.3, 0.6];
    const r = projectOntoTurnover(target, emptyLinearConstraints(3), {
      turnover: { reference: p, maxTurnover: 0.2 },
    });
    assert.ok(
      maxAbsDiff(r.weights, [0.2, 0.3, 0.5]) <= 1e-12,
      `nearest point ${Array.from(r.weights).join(', ')}`,
    );
  });

  test('optimizePortfolio records the turnover step: exact for min_variance, projected for hrp', () => {
    const u = rng(9);
    const T = 200;
    const n = 4;
    const data = Float64Array.from({ length: T * n }, (_, k) => (u() - 0.5) * 0.02 * (1 + (k % n)));
    const returns = { rows: T, cols: n, data };
    const reference = [0.25, 0.25, 0.25, 0.25];
    for (const method of ['min_variance', 'hrp'] as const) {
      const r = optimizePortfolio(returns, {
        method,
        periodsPerYear: 252,
        turnover: { reference, maxTurnover: 0.1 },
      });
      const t = r.diagnostics['turnover'] as {
        solver: string;
        achieved: number;
        before: { turnover: number };
      };
      assert.equal(t.solver, method === 'min_variance' ? 'exact_sign_pattern' : 'projection', method);
      assert.ok(t.before.turnover > 0.1 && Math.abs(t.achieved - 0.1) <= 1e-12, `${method}: ${t.achieved}`);
      assert.ok(Math.abs(turnoverOf(r.weights, reference) - 0.1) <= 1e-12, `${method}: weights on the bound`);
    }
  });
});
