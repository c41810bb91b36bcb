// Property tests on singular but valid covariances: random factor-model returns with constant columns (a
// riskless asset, at, above or below r_f = 0) and duplicated columns, random feasible bounds. The answers are
// checked without the solvers' own bookkeeping: feasibility, no improving pairwise transfer of weight (for a
// convex problem with a budget and a box this is optimality), never beaten by random feasible portfolios,
// duplicates split equally, and failures only where the problem is ill posed, naming the assets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuantError } from '../../src/errors.js';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';
import { sampleCovariance, meanReturns } from '../../src/numeric/covariance/sample-covariance.js';
import { applyBounds } from '../../src/numeric/optimize/bounded-projection.js';
import { minVariance } from '../../src/numeric/optimize/min-variance.js';
import { maxSharpe } from '../../src/numeric/optimize/max-sharpe.js';
import { riskParity } from '../../src/numeric/optimize/risk-parity.js';
import {
  factorReturns,
  improvingTransfer,
  quadForm,
  relativeRiskContributions,
  rng,
  sharpe,
  sum,
} from '../unit/numeric/optimize/_fixtures.js';
import { propertyRuns } from '../helpers/property-runs.js';

interface Case {
  readonly cov: Matrix;
  readonly mu: Float64Array;
  readonly lo: number;
  readonly hi: number;
  /** Constant columns. */
  readonly riskless: readonly number[];
  /** [original, copy] pairs of duplicated columns. */
  readonly duplicates: readonly (readonly [number, number])[];
  readonly seed: number;
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 3, max: 8 }),
    extraRows: fc.integer({ min: 10, max: 80 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    constants: fc.array(fc.constantFrom(0, 0.0001, -0.0001), { maxLength: 2 }),
    copies: fc.integer({ min: 0, max: 2 }),
    loFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    hiFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ n, extraRows, seed, constants, copies, loFrac, hiFrac }) => {
    const base = factorReturns(n, n + extraRows, seed, 3);
    const m = n + copies;
    const T = base.rows;
    const data = new Float64Array(T * m);
    const pick = rng(seed + 11);
    const duplicates: [number, number][] = [];
    for (let c = 0; c < copies; c++) duplicates.push([Math.floor(pick() * n), n + c]);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < n; j++) data[t * m + j] = base.data[t * n + j]!;
      for (const [of, at] of duplicates) data[t * m + at] = base.data[t * n + of]!;
    }
    // Constant columns replace the first columns that are not duplicated.
    const riskless: number[] = [];
    const used = new Set(duplicates.flat());
    for (const c of constants) {
      const j = Array.from({ length: n }, (_, i) => i).find((i) => !used.has(i) && !riskless.includes(i));
      if (j === undefined) break;
      riskless.push(j);
      for (let t = 0; t < T; t++) data[t * m + j] = c;
    }
    const returns: Matrix = { rows: T, cols: m, data };
    // A cap within 1e-6 of 1 is 1: otherwise a riskless asset at its cap leaves the risky assets a sliver
    // (1e-12 of the budget) whose split is below the solver's resolution of multipliers (1e-12 of the
    // largest variance), and with it the Sharpe ratio of the mix.
    const hi = 1 / m + hiFrac * (1 - 1 / m);
    return {
      cov: sampleCovariance(returns),
      mu: meanReturns(returns),
      lo: loFrac / m,
      hi: hi > 1 - 1e-6 ? 1 : hi,
      riskless: riskless.sort((a, b) => a - b),
      duplicates: duplicates.filter(([of]) => !riskless.includes(of)),
      seed,
    };
  });

const fill = (n: number, v: number): Float64Array => new Float64Array(n).fill(v);

function assertFeasible(w: Float64Array, lo: number, hi: number, what: string): void {
  assert.ok(Math.abs(sum(w) - 1) <= 1e-12, `${what}: sum ${sum(w)}`);
  for (const x of w) assert.ok(x >= lo - 1e-12 && x <= hi + 1e-12, `${what}: ${x} outside [${lo}, ${hi}]`);
}

function randomFeasible(n: number, lo: number, hi: number, u: () => number): Float64Array {
  return applyBounds(
    Float64Array.from({ length: n }, () => -Math.log(u() + 1e-300)),
    lo,
    hi,
  );
}

const runs = { numRuns: propertyRuns(150), seed: 20260412 };

describe('optimizers on covariances with constant and duplicated columns', () => {
  test('min_variance: exact, feasible, no improving transfer, never beaten, duplicates split equally', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const n = c.cov.rows;
        const r = minVariance(c.cov, { minWeight: c.lo, maxWeight: c.hi });
        assertFeasible(r.weights, c.lo, c.hi, 'min_variance');
        // Relative to the gradient terms, floored at 10⁻³ of the largest variance (the solver resolves
        // multipliers to 10⁻¹² of it: a remainder of 1e-13 left to the risky assets is split within that).
        let largest = 0;
        for (let i = 0; i < n; i++) largest = Math.max(largest, c.cov.data[i * n + i]!);
        const t = improvingTransfer(
          c.cov,
          undefined,
          r.weights,
          fill(n, c.lo),
          fill(n, c.hi),
          1e-12,
          1e-3 * largest,
        );
        assert.ok(t <= 1e-9, `improving transfer ${t}`);
        assert.ok(r.kkt.maxViolation <= 1e-9, `kkt ${r.kkt.maxViolation}`);
        for (const [a, b] of c.duplicates) {
          assert.ok(Math.abs(r.weights[a]! - r.weights[b]!) <= 1e-15, `duplicates ${a}, ${b}: ${r.weights}`);
        }
        const best = quadForm(c.cov, r.weights);
        const u = rng(c.seed);
        for (let k = 0; k < 50; k++) {
          const x = randomFeasible(n, c.lo, c.hi, u);
          assert.ok(
            best <= quadForm(c.cov, x) * (1 + 1e-9) + 1e-18,
            `beaten: ${best} > ${quadForm(c.cov, x)}`,
          );
        }
      }),
      runs,
    );
  });

  test('max_sharpe: exact where bounded; unbounded only when riskless assets above r_f may hold everything', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const n = c.cov.rows;
        let r: ReturnType<typeof maxSharpe>;
        try {
          r = maxSharpe(c.cov, c.mu, { minWeight: c.lo, maxWeight: c.hi });
        } catch (error) {
          assert.ok(error instanceof QuantError, String(error));
          if (error.code === 'E_NO_POSITIVE_EXCESS_RETURN') return;
          assert.equal(error.code, 'E_UNBOUNDED_SHARPE', error.message);
          const named = error.details['assets'] as number[];
          assert.ok(named.length > 0, 'names the assets');
          for (const i of named) assert.ok(c.riskless.includes(i) && c.mu[i]! > 0, `asset ${i} named`);
          const risky = n - c.riskless.length;
          assert.ok(
            risky * c.lo <= 1e-12 && c.riskless.length * c.hi >= 1 - 1e-12,
            'only when all-riskless is feasible',
          );
          return;
        }
        assertFeasible(r.weights, c.lo, c.hi, 'max_sharpe');
        assert.ok(r.kkt.maxViolation <= 1e-10, `kkt ${r.kkt.maxViolation}`);
        // ∂S/∂w_i = m_i/σ − (mᵀw)(Σw)_i/σ³: moving weight from a to b raises S iff ∂S_b > ∂S_a.
        const w = r.weights;
        const v = quadForm(c.cov, w);
        const sd = Math.sqrt(v);
        const ex = c.mu.reduce((s, m, i) => s + m * w[i]!, 0);
        const grad = new Float64Array(n);
        let scale = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          let a = 0;
          for (let j = 0; j < n; j++) {
            s += c.cov.data[i * n + j]! * w[j]!;
            a += Math.abs(c.cov.data[i * n + j]! * w[j]!);
          }
          grad[i] = c.mu[i]! / sd - (ex * s) / (sd * v);
          scale = Math.max(scale, Math.abs(c.mu[i]!) / sd, (Math.abs(ex) * a) / (sd * v));
        }
        for (let a = 0; a < n; a++) {
          if (!(w[a]! > c.lo + 1e-12)) continue;
          for (let b = 0; b < n; b++) {
            if (b === a || !(w[b]! < c.hi - 1e-12)) continue;
            assert.ok(
              grad[b]! - grad[a]! <= 1e-9 * scale,
              `transfer ${a} → ${b} improves: ${grad[b]! - grad[a]!}`,
            );
          }
        }
        for (const [a, b] of c.duplicates) {
          assert.ok(Math.abs(w[a]! - w[b]!) <= 1e-15, `duplicates ${a}, ${b}: ${w}`);
        }
        const best = sharpe(c.cov, c.mu, w);
        const u = rng(c.seed);
        for (let k = 0; k < 50; k++) {
          const x = randomFeasible(n, c.lo, c.hi, u);
          assert.ok(sharpe(c.cov, c.mu, x) <= best * (1 + 1e-9) + 1e-12, `beaten by ${x}`);
        }
      }),
      runs,
    );
  });

  test('risk_parity: riskless assets are named; duplicates share equal weights and contributions', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        if (c.riskless.length > 0) {
          assert.throws(
            () => riskParity(c.cov, { minWeight: c.lo, maxWeight: c.hi }),
            (e: unknown) => {
              assert.ok(e instanceof QuantError && e.code === 'E_SINGULAR_COVARIANCE', String(e));
              assert.deepEqual(e.details['assets'], c.riskless, "e.details['assets']");
              return true;
            },
            'riskParity throws E_SINGULAR_COVARIANCE',
          );
          return;
        }
        const r = riskParity(c.cov, { minWeight: c.lo, maxWeight: c.hi });
        assertFeasible(r.weights, c.lo, c.hi, 'risk_parity');
        assert.ok(r.maxDeviation <= 1e-9, `max deviation ${r.maxDeviation}`);
        const rc = relativeRiskContributions(c.cov, r.weights);
        for (const [a, b] of c.duplicates) {
          assert.ok(Math.abs(r.weights[a]! - r.weights[b]!) <= 1e-9, `duplicates ${a}, ${b}: ${r.weights}`);
          assert.ok(Math.abs(rc[a]! - rc[b]!) <= 1e-9, `contributions ${a}, ${b}: ${rc}`);
        }
      }),
      runs,
    );
  });
});
