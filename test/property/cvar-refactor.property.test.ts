// Property test of the min_cvar vertex simplex's refactorisations: how often the inverse of the active set
// is computed afresh (every 300 pivots, or every n + 1 from 300 assets) changes the rounding of the
// pivots between, not the vertex they reach — the answer, computed from a fresh inverse of the final
// active set, is the same on random problems whether the inverse is refactorised every 5 pivots, every
// 300 or only at the end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cvarVertexSimplex } from '../../src/numeric/optimize/_cvar-vertex-simplex.js';
import { factorReturns } from '../unit/numeric/optimize/_fixtures.js';

const cases = fc.record({
  n: fc.integer({ min: 5, max: 40 }),
  T: fc.integer({ min: 60, max: 1200 }),
  hiFrac: fc.noBias(fc.integer({ min: 0, max: 1000 })).map((k) => k / 1000),
  beta: fc.noBias(fc.integer({ min: 80, max: 99 })).map((k) => k / 100),
  seed: fc.nat({ max: 1e6 }),
});

function assertSameVertex(
  a: ReturnType<typeof cvarVertexSimplex>,
  b: ReturnType<typeof cvarVertexSimplex>,
  what: string,
): void {
  for (let i = 0; i < a.weights.length; i++) {
    const d = Math.abs((a.weights[i] as number) - (b.weights[i] as number));
    assert.ok(d <= 1e-12, `${what}: w${i} differs by ${d}`);
  }
  assert.ok(
    Math.abs(a.value - b.value) <= 1e-12 * Math.max(1, Math.abs(a.value)),
    `${what}: CVaR ${a.value} against ${b.value}`,
  );
  assert.ok(b.dualResidual <= 1e-9 && b.primalResidual <= 1e-9, `${what}: residuals of the optimum`);
}

describe('min_cvar refactorisations', () => {
  test('every 5 pivots, every 300 or only at the end: the same vertex', () => {
    let long = 0;
    fc.assert(
      fc.property(cases, ({ n, T, hiFrac, beta, seed }) => {
        const R = factorReturns(n, T, seed, 3);
        const lo = new Float64Array(n);
        const hi = new Float64Array(n).fill(1 / n + (1 - 1 / n) * hiFrac + 1e-9);
        const usual = cvarVertexSimplex(R, beta, lo, hi, { refactorEvery: 300 });
        const what = `n=${n} T=${T} β=${beta} seed=${seed}`;
        assertSameVertex(usual, cvarVertexSimplex(R, beta, lo, hi, { refactorEvery: 5 }), `${what}, every 5`);
        assertSameVertex(
          usual,
          cvarVertexSimplex(R, beta, lo, hi, { refactorEvery: 1e9 }),
          `${what}, at the end`,
        );
        if (usual.iterations > 5) long++;
      }),
      { numRuns: 40, seed: 20261207 },
    );
    assert.ok(long >= 30, `only ${long} of 40 solves took more than 5 pivots`);
  });

  test('340 assets: the default (every 341 pivots) reaches the vertex of every 300, bit for bit', () => {
    const n = 340;
    const R = factorReturns(n, 1000, 7);
    const lo = new Float64Array(n);
    const hi = new Float64Array(n).fill(1);
    const usual = cvarVertexSimplex(R, 0.95, lo, hi, { refactorEvery: 300 });
    const fewer = cvarVertexSimplex(R, 0.95, lo, hi);
    assert.ok(usual.iterations > 341, `${usual.iterations} pivots: the intervals differ within the solve`);
    assert.deepEqual([...fewer.weights], [...usual.weights], 'the same weights');
    assert.equal(fewer.value, usual.value, 'the same CVaR');
  });
});
