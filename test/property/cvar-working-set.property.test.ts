// Property test of the min_cvar vertex simplex's scenario working set: on random factor-model scenarios
// with enough rows for the working set to be used, random bounds and levels, the solve on the working
// set reaches the vertex of the solve on every scenario (weights within 1e-12, the same CVaR).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cvarVertexSimplex } from '../../src/numeric/optimize/_cvar-vertex-simplex.js';
import { factorReturns } from '../unit/numeric/optimize/_fixtures.js';

const cases = fc.record({
  n: fc.integer({ min: 10, max: 40 }),
  T: fc.integer({ min: 200, max: 2000 }),
  loFrac: fc.noBias(fc.integer({ min: 0, max: 1000 })).map((k) => k / 1000),
  hiFrac: fc.noBias(fc.integer({ min: 0, max: 1000 })).map((k) => k / 1000),
  beta: fc.noBias(fc.integer({ min: 80, max: 99 })).map((k) => k / 100),
  seed: fc.nat({ max: 1e6 }),
});

describe('min_cvar scenario working set', () => {
  test('the working set reaches the vertex of the solve on every scenario', () => {
    let used = 0;
    fc.assert(
      fc.property(cases, ({ n, T, loFrac, hiFrac, beta, seed }) => {
        const R = factorReturns(n, T, seed, 3);
        const lo = new Float64Array(n).fill((loFrac / n) * 0.999);
        const hi = new Float64Array(n).fill(1 / n + (1 - 1 / n) * hiFrac + 1e-9);
        const all = cvarVertexSimplex(R, beta, lo, hi, { workingSet: false });
        const ws = cvarVertexSimplex(R, beta, lo, hi);
        if (ws.iterations !== all.iterations) used++;
        for (let i = 0; i < n; i++) {
          const d = Math.abs((ws.weights[i] as number) - (all.weights[i] as number));
          assert.ok(d <= 1e-12, `n=${n} T=${T} β=${beta} seed=${seed}: w${i} differs by ${d}`);
        }
        assert.ok(
          Math.abs(ws.value - all.value) <= 1e-12 * Math.max(1, Math.abs(all.value)),
          `n=${n} T=${T} β=${beta} seed=${seed}: CVaR ${ws.value} against ${all.value}`,
        );
        assert.ok(ws.dualResidual <= 1e-9, `dual residual ${ws.dualResidual}`);
        assert.ok(ws.primalResidual <= 1e-9, `primal residual ${ws.primalResidual}`);
      }),
      { numRuns: 30, seed: 1717 },
    );
    assert.ok(used >= 10, `the working set took a different path in only ${used} of 30 cases`);
  });
});
