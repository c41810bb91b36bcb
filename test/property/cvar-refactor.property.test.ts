// Property tests of how the min_cvar vertex simplex keeps the inverse of its active set: how often it is
// computed afresh (every 300 pivots, or every n + 1 from 300 assets) and whether the rows of the weights
// held at a bound are stored (dense) or implicit (compact, from 300 assets). Both change the rounding of
// the pivots, not the vertex they reach: on random problems — bounds, fixed weights, linear rows — every
// variant finds the same weights (within 1e-12) and the same CVaR. The WebAssembly SIMD kernels change
// nothing at all: with them or without, the same pivots and the same bits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cvarVertexSimplex,
  type VertexSimplexResult,
} from '../../src/numeric/optimize/_cvar-vertex-simplex.js';
import { isQuantError } from '../../src/errors.js';
import { tailVertexSimplex } from '../../src/numeric/optimize/min-cvar.js';
import { scaledReturns } from '../../src/numeric/optimize/_tail-cutting-plane.js';
import { rowsOf } from '../helpers/linear-rows.js';
import { factorReturns } from '../unit/numeric/optimize/_fixtures.js';

const cases = fc.record({
  n: fc.integer({ min: 5, max: 40 }),
  T: fc.integer({ min: 60, max: 1200 }),
  hiFrac: fc.noBias(fc.integer({ min: 0, max: 1000 })).map((k) => k / 1000),
  fixed: fc.integer({ min: 0, max: 3 }),
  beta: fc.noBias(fc.integer({ min: 80, max: 99 })).map((k) => k / 100),
  seed: fc.nat({ max: 1e6 }),
});

function assertSameVertex(a: VertexSimplexResult, b: VertexSimplexResult, what: string): void {
  for (let i = 0; i < a.weights.length; i++) {
    const d = Math.abs((a.weights[i] as number) - (b.weights[i] as number));
    assert.ok(d <= 1e-12, `${what}: w${i} differs by ${d}`);
  }
  assert.ok(
    Math.abs(a.value - b.value) <= 1e-12 * Math.max(1, Math.abs(a.value)),
    `${what}: CVaR ${a.value} against ${b.value}`,
  );
  assert.ok(b.primalResidual <= 1e-9, `${what}: primal residual ${b.primalResidual}`);
  // Fixed weights (lo = hi) included: their multipliers may have either sign.
  assert.ok(b.dualResidual <= 1e-9, `${what}: dual residual ${b.dualResidual}`);
}

/** Bounds [0, hi] with the first `fixed` weights held at 1/(2n) (lo = hi), the others able to hold the rest. */
function bounds(n: number, hiFrac: number, fixed: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(n);
  const rest = (1 - fixed / (2 * n)) / (n - fixed);
  const hi = new Float64Array(n).fill(rest + (1 - rest) * hiFrac + 1e-9);
  for (let i = 0; i < fixed; i++) lo[i] = hi[i] = 1 / (2 * n);
  return { lo, hi };
}

describe('min_cvar: the inverse of the active set', () => {
  test('refactorised every 5 pivots, every 300 or only at the end, dense or compact: the same vertex', () => {
    let long = 0;
    fc.assert(
      fc.property(cases, ({ n, T, hiFrac, fixed, beta, seed }) => {
        const R = factorReturns(n, T, seed, 3);
        const { lo, hi } = bounds(n, hiFrac, fixed);
        const usual = cvarVertexSimplex(R, beta, lo, hi, { refactorEvery: 300, compact: false });
        const what = `n=${n} T=${T} fixed=${fixed} β=${beta} seed=${seed}`;
        for (const compact of [false, true]) {
          for (const refactorEvery of [5, 300, 1e9]) {
            const other = cvarVertexSimplex(R, beta, lo, hi, { refactorEvery, compact });
            assertSameVertex(usual, other, `${what}, every ${refactorEvery}, compact ${compact}`);
          }
        }
        if (usual.iterations > 5) long++;
      }),
      { numRuns: 40, seed: 20261207 },
    );
    assert.ok(long >= 30, `only ${long} of 40 solves took more than 5 pivots`);
  });

  test('with linear rows (a phase-1 start, rows entering and leaving): compact and dense, the same vertex', () => {
    let solved = 0;
    let singular = 0;
    fc.assert(
      fc.property(
        cases,
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.noBias(fc.integer({ min: 0, max: 999 })), { minLength: 40, maxLength: 40 }),
        ({ n, T, beta, seed }, count, pick) => {
          // Scaled to O(1), as min_cvar hands them to the simplex.
          const R = scaledReturns(factorReturns(n, T, seed, 3)).scaled;
          const linear = rowsOf(n, count, pick);
          const lo = new Float64Array(n);
          const hi = new Float64Array(n).fill(Math.max(0.4, 2 / n));
          let dense;
          try {
            dense = tailVertexSimplex(R, beta, lo, hi, linear, { compact: false });
          } catch {
            return; // infeasible rows: not this test's subject
          }
          const compact = tailVertexSimplex(R, beta, lo, hi, linear, { compact: true });
          if (dense === null || compact === null) {
            assert.equal(dense, compact, 'both start at a vertex or neither');
            return;
          }
          // Rows that are dependent on the free weights (two equalities alike but for weights at a bound)
          // can walk either path into a singular active set, which is E_SOLVER and, in min_cvar,
          // constraint generation instead: only where both finish is the vertex compared.
          const finish = (v: NonNullable<typeof dense>): VertexSimplexResult | null => {
            try {
              return v.solve();
            } catch (error) {
              assert.ok(isQuantError(error) && error.code === 'E_SOLVER', `unexpected ${String(error)}`);
              return null;
            }
          };
          const a = finish(dense);
          const b = finish(compact);
          if (a === null || b === null) {
            singular++;
            return;
          }
          assertSameVertex(a, b, `n=${n} T=${T} rows=${count} seed=${seed}`);
          solved++;
        },
      ),
      { numRuns: 60, seed: 7 },
    );
    assert.ok(solved >= 30, `only ${solved} of 60 problems solved on both paths (${singular} singular)`);
  });

  test('the WebAssembly SIMD kernels (slopes, gradient, update, refactorisation) or JavaScript: the same pivots and bits', () => {
    let kernel = 0;
    fc.assert(
      fc.property(
        cases,
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.noBias(fc.integer({ min: 0, max: 999 })), { minLength: 40, maxLength: 40 }),
        ({ n, T, hiFrac, fixed, beta, seed }, count, pick) => {
          const R = scaledReturns(factorReturns(n, T, seed, 3)).scaled;
          const { lo, hi } = bounds(n, hiFrac, fixed);
          const what = `n=${n} T=${T} fixed=${fixed} β=${beta} seed=${seed} rows=${count}`;
          const linear = count === 0 ? undefined : rowsOf(n, count, pick);
          const solve = (simd: boolean, compact: boolean): VertexSimplexResult | string => {
            try {
              const simplex = tailVertexSimplex(R, beta, lo, hi, linear, { simd, compact });
              if (simplex === null) return 'no vertex';
              try {
                return simplex.solve();
              } finally {
                simplex.release();
              }
            } catch (error) {
              return isQuantError(error) ? error.code : String(error);
            }
          };
          // Dense and compact inverses (their refactorisations differ: a Gauss–Jordan of every row, or of
          // the free weights' block with the bounds' columns as products).
          for (const compact of [false, true]) {
            const js = solve(false, compact);
            const wasm = solve(true, compact);
            const how = `${what} compact=${compact}`;
            if (typeof js === 'string' || typeof wasm === 'string') {
              assert.equal(wasm, js, `${how}: the same outcome`);
              continue;
            }
            assert.equal(wasm.iterations, js.iterations, `${how}: pivots`);
            assert.ok(Object.is(wasm.value, js.value), `${how}: CVaR ${wasm.value} against ${js.value}`);
            for (let i = 0; i < n; i++) {
              assert.ok(
                Object.is(wasm.weights[i], js.weights[i]),
                `${how}: w${i} ${wasm.weights[i]} against ${js.weights[i]}`,
              );
            }
          }
          if (n * T >= 4096) kernel++;
        },
      ),
      { numRuns: 40, seed: 41 },
    );
    assert.ok(kernel >= 20, `only ${kernel} of 40 problems were large enough for the kernel`);
  });

  test('340 assets: the default (compact, every 341 pivots) reaches the vertex of the dense inverse every 300', () => {
    const n = 340;
    const R = factorReturns(n, 1000, 7);
    const lo = new Float64Array(n);
    const hi = new Float64Array(n).fill(1);
    const usual = cvarVertexSimplex(R, 0.95, lo, hi, { refactorEvery: 300, compact: false });
    const fewer = cvarVertexSimplex(R, 0.95, lo, hi);
    assert.ok(usual.iterations > 341, `${usual.iterations} pivots: the intervals differ within the solve`);
    assertSameVertex(usual, fewer, '340 assets');
  });
});
