// Property tests of mean_cvar (the maximum mean excess return per unit of CVaR): Dinkelbach's steps on
// the vertex simplex against constraint generation on the homogenised LP (`meanCvarByCuts`, an
// independent solve of the same problem) — the same ratio, the same errors, weights inside every
// constraint — under bounds alone and with linear rows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isQuantError } from '../../src/errors.js';
import { meanCvar, meanCvarByCuts } from '../../src/numeric/optimize/mean-cvar.js';
import { conditionalValueAtRisk } from '../../src/numeric/stats/tail-risk.js';
import { rowsOf, violation } from '../helpers/linear-rows.js';
import { factorReturns } from '../unit/numeric/optimize/_fixtures.js';

const cases = fc.record({
  n: fc.integer({ min: 2, max: 24 }),
  T: fc.integer({ min: 30, max: 600 }),
  count: fc.integer({ min: 0, max: 3 }),
  pick: fc.array(fc.noBias(fc.integer({ min: 0, max: 999 })), { minLength: 40, maxLength: 40 }),
  beta: fc.constantFrom(0.8, 0.9, 0.95, 0.99),
  // Added to the first asset's returns: negative drifts leave some problems without a positive excess.
  drift: fc.constantFrom(-0.0004, 0, 0.0002, 0.0006),
  hi: fc.constantFrom(0.3, 0.5, 1),
  seed: fc.nat({ max: 1e6 }),
});

describe('mean_cvar: Dinkelbach on the vertex simplex', () => {
  test('the ratio of constraint generation, the same errors, inside every constraint', () => {
    const seen = { solved: 0, errors: 0, vertex: 0 };
    fc.assert(
      fc.property(cases, ({ n, T, count, pick, beta, drift, hi, seed }) => {
        const R = factorReturns(n, T, seed, 3);
        for (let t = 0; t < T; t++) R.data[t * n] = (R.data[t * n] as number) + drift;
        const cap = Math.max(hi, 2 / n);
        const linear = count === 0 ? undefined : rowsOf(n, count, pick);
        const options = { level: beta, maxWeight: cap, ...(linear === undefined ? {} : { linear }) };
        const label = `n=${n} T=${T} rows=${count} β=${beta} drift=${drift} cap=${cap} seed=${seed}`;
        let cuts;
        try {
          cuts = meanCvarByCuts(R, options);
        } catch (e) {
          assert.ok(isQuantError(e), `${label}: unexpected ${String(e)}`);
          assert.throws(
            () => meanCvar(R, options),
            (f: unknown) => isQuantError(f) && f.code === e.code,
            `${label}: the same error ${e.code}`,
          );
          seen.errors++;
          return;
        }
        const r = meanCvar(R, options);
        seen.solved++;
        if (r.lp.solver === 'vertex simplex') seen.vertex++;
        assert.ok(
          Math.abs(r.ratio - cuts.ratio) <= 1e-9 * Math.abs(cuts.ratio),
          `${label}: ratio ${r.ratio} (${r.lp.solver}) vs ${cuts.ratio} by cuts`,
        );
        const rows = linear ?? rowsOf(n, 0, pick);
        assert.ok(violation(r.weights, rows, cap) <= 1e-10, `${label}: a constraint violated`);
        // The figures reported are those of the weights: CVaR by sorting, the excess from the means.
        let mean = 0;
        for (let t = 0; t < T; t++) {
          for (let i = 0; i < n; i++) mean += (R.data[t * n + i] as number) * (r.weights[i] as number);
        }
        mean /= T;
        const losses = Array.from({ length: T }, (_, t) => {
          let s = 0;
          for (let i = 0; i < n; i++) s += (R.data[t * n + i] as number) * (r.weights[i] as number);
          return s;
        });
        const cvar = conditionalValueAtRisk(losses, beta) as number;
        assert.ok(
          Math.abs(r.cvar - cvar) <= 1e-12 * Math.max(1e-3, cvar),
          `${label}: CVaR ${r.cvar} vs ${cvar}`,
        );
        assert.ok(
          Math.abs(r.excessReturn - mean) <= 1e-12 * Math.max(1e-3, Math.abs(mean)),
          `${label}: excess ${r.excessReturn} vs ${mean}`,
        );
      }),
      { numRuns: 150, seed: 4242 },
    );
    assert.ok(
      seen.vertex >= 100 && seen.errors >= 5,
      `the vertex simplex solved ${seen.vertex} of ${seen.solved}; ${seen.errors} errors`,
    );
  });
});
