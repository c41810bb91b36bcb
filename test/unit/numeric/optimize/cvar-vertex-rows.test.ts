// min_cvar's vertex simplex with general linear rows: where it starts, what it refuses, what it reports.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError } from '../../../../src/errors.js';
import { NotAVertexError, cvarVertexSimplex } from '../../../../src/numeric/optimize/_cvar-vertex-simplex.js';
import {
  minCdar,
  minCvar,
  minCvarByCuts,
  tailVertexSimplex,
  vertexSolve,
} from '../../../../src/numeric/optimize/min-cvar.js';
import { rowsOf } from '../../../helpers/linear-rows.js';
import { factorReturns } from './_fixtures.js';

const n = 6;
const R = factorReturns(n, 300, 11, 2);
const lo = new Float64Array(n);
const hi = new Float64Array(n).fill(0.5);
/** Assets 0–2 together at most 15 % (about 27 % without the row). */
const group = {
  n,
  rows: 1,
  a: Float64Array.of(1, 1, 1, 0, 0, 0),
  lower: Float64Array.of(-Infinity),
  upper: Float64Array.of(0.15),
  names: ['first three ≤ 15 %'],
};

describe('min_cvar with linear rows', () => {
  test('an answer outside the constraints (a walk through a singular active set) is not returned', () => {
    // Two equality rows alike but for a few weights, on returns left unscaled: the dense simplex walks
    // through active sets where the rows are dependent on the free weights and ends 2.7 % outside them.
    const m = 35;
    const returns = factorReturns(m, 60, 1144, 3);
    const pick = [0, 0, 0, 0, 0, 0, 0, 0, 400, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 400, 0, 0, 400, 400, 0, 400];
    const rows = rowsOf(m, 2, [...pick, 400, 0, 400, 400, 0, 0, 400, 0, 400, 400, 0, 200, 458, 100]);
    const bounds = [new Float64Array(m), new Float64Array(m).fill(0.4)] as const;
    const walked = (
      tailVertexSimplex(returns, 0.8, ...bounds, rows, { compact: false }) as NonNullable<
        ReturnType<typeof tailVertexSimplex>
      >
    ).solve();
    assert.ok(walked.primalResidual > 0.01, `the walk ends outside the rows (${walked.primalResidual})`);
    assert.equal(vertexSolve(returns, 0.8, ...bounds, rows), null, 'constraint generation takes it instead');
    const cuts = minCvarByCuts(returns, { level: 0.8, maxWeight: 0.4, linear: rows });
    const r = minCvar(returns, { level: 0.8, maxWeight: 0.4, linear: rows });
    assert.ok(Math.abs(r.value - cuts.value) <= 1e-10 * cuts.value, 'min_cvar finds the optimum');
  });

  test('solved by the vertex simplex, at the optimum of constraint generation, the row binding', () => {
    const r = minCvar(R, { maxWeight: 0.5, linear: group });
    const cuts = minCvarByCuts(R, { maxWeight: 0.5, linear: group });
    assert.equal(r.lp.solver, 'vertex simplex', 'the vertex simplex takes linear rows');
    assert.equal(r.lp.cuts, 0, 'no cuts');
    assert.ok(Math.abs(r.value - cuts.value) <= 1e-12 * Math.abs(cuts.value), `${r.value} vs ${cuts.value}`);
    const first = (r.weights[0] as number) + (r.weights[1] as number) + (r.weights[2] as number);
    assert.ok(first <= 0.15 + 1e-12, `the group holds ${first}`);
    const free = minCvar(R, { maxWeight: 0.5 });
    const freeFirst = (free.weights[0] as number) + (free.weights[1] as number) + (free.weights[2] as number);
    assert.ok(freeFirst > 0.15 + 1e-6, `without the row the group would hold ${freeFirst}: the row binds`);
    assert.ok(Math.abs(first - 0.15) <= 1e-12, `a binding row holds exactly its bound: ${first}`);
  });

  test('an equality row holds exactly', () => {
    const equal = { ...group, lower: Float64Array.of(0.25), upper: Float64Array.of(0.25), names: ['= 25 %'] };
    const r = minCvar(R, { maxWeight: 0.5, linear: equal });
    const cuts = minCvarByCuts(R, { maxWeight: 0.5, linear: equal });
    const first = (r.weights[0] as number) + (r.weights[1] as number) + (r.weights[2] as number);
    assert.ok(Math.abs(first - 0.25) <= 1e-12, `the group holds ${first}`);
    assert.ok(Math.abs(r.value - cuts.value) <= 1e-12 * Math.abs(cuts.value), `${r.value} vs ${cuts.value}`);
  });

  test('rows no weights satisfy are E_INFEASIBLE_CONSTRAINTS naming them', () => {
    const impossible = {
      ...group,
      lower: Float64Array.of(0.9),
      upper: Float64Array.of(Infinity),
      names: ['≥ 90 %'],
    };
    // Three assets of at most 20 % each hold at most 60 %.
    assert.throws(
      () => minCvar(R, { maxWeight: 0.2, linear: impossible }),
      (e: unknown) =>
        isQuantError(e) && e.code === 'E_INFEASIBLE_CONSTRAINTS' && e.message.includes('≥ 90 %'),
      'infeasible rows',
    );
  });

  test('a start that is not a vertex is refused, so that constraint generation takes the problem', () => {
    // Equal weights, the row (≤ 60 %) at 50 %: only the budget is tight there, 1 constraint of 6.
    const rows = {
      count: 1,
      a: group.a,
      lower: group.lower,
      upper: Float64Array.of(0.6),
      start: new Float64Array(n).fill(1 / n),
    };
    assert.throws(
      () => cvarVertexSimplex(R, 0.95, lo, hi, { rows }),
      (e: unknown) => e instanceof NotAVertexError && /1 of 6 constraints/.test(e.message),
      'an interior start',
    );
  });
});

describe('constraint generation on a degenerate master', () => {
  test('min_cdar with a group row that made the dual simplex cycle is solved (Bland after a stall)', () => {
    // 26 assets × 1,770 days, the first 13 at most 60.8 %: the 29th cut's re-optimisation cycled among
    // degenerate bases and ran out of pivots (E_SOLVER, even with 4 million); past a stall the dual
    // simplex now follows Bland's rule, which cannot cycle.
    const m = 26;
    const returns = factorReturns(m, 1770, 1001, 3);
    const row = {
      n: m,
      rows: 1,
      a: Float64Array.from({ length: m }, (_, i) => (i < 13 ? 1 : 0)),
      lower: Float64Array.of(0),
      upper: Float64Array.of(0.6075851440429687),
      names: ['first half'],
    };
    const r = minCdar(returns, { level: 0.95, maxWeight: 0.5, linear: row });
    const free = minCdar(returns, { level: 0.95, maxWeight: 0.5 });
    let held = 0;
    let sum = 0;
    for (let i = 0; i < m; i++) {
      sum += r.weights[i] as number;
      if (i < 13) held += r.weights[i] as number;
    }
    assert.ok(held <= 0.6075851440429687 + 1e-12, `the group holds ${held}`);
    assert.ok(Math.abs(sum - 1) <= 1e-12, `the budget: ${sum}`);
    assert.ok(r.value >= free.value - 1e-15, `a row cannot lower the optimum: ${r.value} < ${free.value}`);
    assert.ok(r.lp.dualResidual <= 1e-9 && r.lp.gap <= 1e-12, `certified: ${JSON.stringify(r.lp)}`);
  });
});
