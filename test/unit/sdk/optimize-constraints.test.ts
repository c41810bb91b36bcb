// optimizePortfolio with linear constraints: every method respects a group limit and a cap (exact for
// the quadratic methods and risk parity, projected for the others, recorded), conflicting limits are
// E_INFEASIBLE_CONSTRAINTS naming them, malformed constraints E_PARAMS naming the option.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { optimizePortfolio, PORTFOLIO_METHODS } from '../../../src/index.js';
import { caughtQuantError as caught } from '../../helpers/errors.js';

function returnsRows(T: number, n: number, seed = 11): number[][] {
  let s = seed;
  const next = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.02;
  return Array.from({ length: T }, (_, t) =>
    Array.from({ length: n }, (_, j) => next() + 0.0004 * (j + 1) + (j === 0 ? 0.001 * Math.sin(t) : 0)),
  );
}
const ASSETS = ['A', 'B', 'C', 'D', 'E'];
const INPUT = { assets: ASSETS, returns: returnsRows(300, 5) };
const LIMITS = [
  { name: 'group AB', coefficients: { A: 1, B: 1 }, upper: 0.3 },
  { name: 'cap E', coefficients: { E: 1 }, upper: 0.15 },
];

describe('optimizePortfolio with constraints', () => {
  for (const method of PORTFOLIO_METHODS) {
    test(`${method}: the group limit and the cap hold, the budget is 1`, () => {
      const r = optimizePortfolio(INPUT, { method, periodsPerYear: 252, constraints: LIMITS });
      const w = r.weights;
      assert.ok(w.A! + w.B! <= 0.3 + 1e-12, `${method}: group AB ${w.A! + w.B!}`);
      assert.ok(w.E! <= 0.15 + 1e-12, `${method}: cap E ${w.E}`);
      const total = Object.values(w).reduce((s, x) => s + x, 0);
      assert.ok(Math.abs(total - 1) < 1e-12, `${method}: budget ${total}`);
      assert.ok(
        Object.values(w).every((x) => x >= -1e-15),
        `${method}: long-only`,
      );
      if (method === 'min_variance' || method === 'max_sharpe' || method === 'risk_parity') {
        const kkt = r.diagnostics['kkt_max_violation'] as number;
        assert.ok(kkt <= 1e-9, `${method}: KKT residual ${kkt} in the diagnostics`);
      } else if (method === 'min_cvar' || method === 'min_cdar' || method === 'mean_cvar') {
        assert.ok(r.diagnostics['lp'] !== undefined, `${method}: the limits are rows of its LP`);
      } else {
        const p = r.diagnostics['projection'] as { before: number[]; after: number[] };
        assert.equal(p.before.length, 5, `${method}: the projection records the weights before`);
        assert.deepEqual(
          p.after,
          ASSETS.map((a) => w[a]),
          `${method}: and after`,
        );
      }
    });
  }

  test('without constraints the result is unchanged (same bytes)', () => {
    for (const method of PORTFOLIO_METHODS) {
      const a = optimizePortfolio(INPUT, { method, periodsPerYear: 252 });
      const b = optimizePortfolio(INPUT, { method, periodsPerYear: 252, constraints: [] });
      assert.deepEqual(b.weights, a.weights, `${method}: an empty constraint list changes nothing`);
    }
  });

  test('a binding group limit changes min_variance and is reported binding', () => {
    const free = optimizePortfolio(INPUT, { method: 'min_variance', periodsPerYear: 252 });
    const cap = (free.weights.A! + free.weights.B!) / 2;
    const r = optimizePortfolio(INPUT, {
      method: 'min_variance',
      periodsPerYear: 252,
      constraints: [{ name: 'group AB', coefficients: { A: 1, B: 1 }, upper: cap }],
    });
    assert.ok(Math.abs(r.weights.A! + r.weights.B! - cap) < 1e-12, 'the group sits at its limit');
    assert.deepEqual(r.diagnostics['binding_constraints'], ['group AB max'], 'reported binding');
  });

  test('conflicting limits are E_INFEASIBLE_CONSTRAINTS with the arithmetic', () => {
    const e = caught(() =>
      optimizePortfolio(INPUT, {
        method: 'hrp',
        periodsPerYear: 252,
        constraints: [
          { name: 'group AB', coefficients: { A: 1, B: 1 }, lower: 0.7 },
          { name: 'group CDE', coefficients: { C: 1, D: 1, E: 1 }, lower: 0.4 },
        ],
      }),
    );
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(e.message, /group AB min 0\.7 \+ group CDE min 0\.4 = 1\.1 > 1/, e.message);
  });

  test('malformed constraints are E_PARAMS naming the option', () => {
    const base = { method: 'hrp', periodsPerYear: 252 } as const;
    const call = optimizePortfolio as unknown as (r: unknown, o: unknown) => unknown;
    let e = caught(() =>
      call(INPUT, { ...base, constraints: [{ name: 'g', coefficients: { X: 1 }, upper: 0.2 }] }),
    );
    assert.equal(e.code, 'E_PARAMS', e.message);
    assert.match(e.message, /options\.constraints\[0\]\.coefficients\.X: unknown asset/, e.message);
    e = caught(() => call(INPUT, { ...base, constraints: [{ name: 'g', coefficients: [1, 1] }] }));
    assert.equal(e.code, 'E_PARAMS', e.message);
    assert.match(e.message, /options\.constraints\[0\]/, e.message);
    e = caught(() =>
      call(INPUT, { ...base, constraints: [{ name: 'g', coefficients: [1, 1], upper: 0.5 }] }),
    );
    assert.equal(e.code, 'E_PARAMS', e.message);
    assert.match(e.message, /expected 5, one per column/, e.message);
  });
});
