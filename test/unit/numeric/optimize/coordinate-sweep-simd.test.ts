// The risk-parity coordinate sweep in WebAssembly SIMD against the JavaScript sweep: equal bit for bit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coordinateSweep } from '../../../../src/numeric/optimize/_log-barrier-newton.js';
import { simdSweeper } from '../../../../src/numeric/optimize/_coordinate-sweep-simd.js';
import { factorReturns, sampleCov } from './_fixtures.js';

function firstDifference(a: Float64Array, b: Float64Array): string {
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return `entry ${k}: ${a[k]} vs ${b[k]}`;
  return 'none';
}

function matVec(sigma: Float64Array, n: number, x: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += sigma[i * n + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

describe('SIMD coordinate sweep', () => {
  test('small problems stay on the JavaScript sweep', () => {
    const z = new Float64Array(4);
    assert.equal(simdSweeper(new Float64Array(16), 4, z, z), undefined, 'no SIMD sweeper below 24 assets');
  });

  // Odd and even n (the last entry outside the pairs), free and boxed (clipped coordinates, δ = 0 at a
  // bound), several sweeps in a row from a crude start and several values of c.
  for (const [n, boxed] of [
    [24, false],
    [25, true],
    [61, false],
    [64, true],
    [201, true],
  ] as const) {
    test(`${n} assets${boxed ? ', boxed' : ''}: x and Σx equal the JavaScript sweep's after every sweep`, () => {
      const cov = sampleCov(factorReturns(n, 300, n * 7 + 1), 252);
      const sigma = cov.data;
      const lo = new Float64Array(n).fill(boxed ? 0.2 / n : 0);
      const hi = new Float64Array(n).fill(boxed ? 1.6 / n : Infinity);
      for (const c of [1 / n, 0.3 / n]) {
        const x0 = new Float64Array(n);
        for (let i = 0; i < n; i++) x0[i] = (i % 3 === 0 ? 3 : 1) / (n * Math.sqrt(sigma[i * n + i]!));
        const [xs, xj] = [x0.slice(), x0.slice()];
        const [sxs, sxj] = [matVec(sigma, n, xs), matVec(sigma, n, xj)];
        const sweep = simdSweeper(sigma, n, lo, hi);
        assert.ok(sweep !== undefined, `${n} assets: the SIMD sweeper is made (WebAssembly SIMD available)`);
        let clipped = 0;
        for (let k = 0; k < 6; k++) {
          sweep(c, xs, sxs);
          coordinateSweep(sigma, n, c, lo, hi, xj, sxj);
          assert.equal(firstDifference(xs, xj), 'none', `${n} assets, c = ${c}, sweep ${k + 1}: x`);
          assert.equal(firstDifference(sxs, sxj), 'none', `${n} assets, c = ${c}, sweep ${k + 1}: Σx`);
          for (let i = 0; i < n; i++) if (xj[i] === lo[i] || xj[i] === hi[i]) clipped++;
        }
        if (boxed) assert.ok(clipped > 0, `${n} assets, c = ${c}: some coordinates were clipped to the box`);
      }
    });
  }
});
