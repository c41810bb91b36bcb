// The simplex of min_cdar's constraint generation (F⁻¹ of the basic columns on the tight rows instead of
// the m × m basis inverse, perturbed costs removed by primal pivots): on random LPs that grow by rows it
// reaches the optimum of the dense dual simplex after every row, with and without the perturbation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CutMasterSimplex } from '../../../../src/numeric/optimize/_cut-master-simplex.js';
import { DualSimplex } from '../../../../src/numeric/optimize/_dual-simplex.js';
import { rng } from './_fixtures.js';

test('CutMasterSimplex: the optimum of DualSimplex on 300 random LPs grown row by row', () => {
  const u = rng(4242);
  let pivots = 0;
  let cleaned = 0;
  for (let k = 0; k < 300; k++) {
    const n = 2 + Math.floor(u() * 6);
    const cost = Float64Array.from({ length: n }, () => (u() < 0.3 ? 0 : u()));
    const lo = Float64Array.from({ length: n }, () => (u() < 0.5 ? 0 : -1));
    // An open upper bound only on a column with a cost, as θ in a cutting-plane master.
    const hi = Float64Array.from({ length: n }, (_, j) => (cost[j]! > 0 && u() < 0.2 ? Infinity : 1 + u()));
    const dense = new DualSimplex(cost, lo, hi);
    const plain = new CutMasterSimplex(cost, lo, hi);
    const perturbed = new CutMasterSimplex(cost, lo, hi, { perturb: true });
    const rows = 1 + Math.floor(u() * 12);
    for (let r = 0; r < rows; r++) {
      const coef = Float64Array.from({ length: n }, () => (u() < 0.25 ? 0 : 2 * u() - 1));
      const mid = 2 * u() - 1;
      const rowLo = u() < 0.2 ? -Infinity : mid - u();
      const rowHi = u() < 0.2 ? Infinity : u() < 0.2 && rowLo > -Infinity ? rowLo : mid + u();
      if (rowLo === -Infinity && rowHi === Infinity) continue;
      dense.addRow(coef, rowLo, rowHi);
      plain.addRow(coef, rowLo, rowHi);
      perturbed.addRow(coef, rowLo, rowHi);
      const want = dense.solve(100000);
      const got = plain.solve(100000);
      const pert = perturbed.solve(100000);
      const what = `LP ${k}, row ${r}`;
      assert.equal(got.status, want.status, `${what}: status`);
      assert.equal(pert.status, want.status, `${what}: status with perturbed costs`);
      if (want.status === 'infeasible') break;
      const exact = perturbed.unperturb(100000);
      cleaned++;
      for (const [name, rep] of [
        ['plain', got],
        ['perturbed, then restored', exact],
      ] as const) {
        const tol = 1e-9 * (1 + Math.abs(want.objective));
        assert.ok(
          Math.abs(rep.objective - want.objective) <= tol,
          `${what} (${name}): ${rep.objective} vs ${want.objective}`,
        );
        assert.ok(rep.primalResidual <= 1e-9, `${what} (${name}): primal residual ${rep.primalResidual}`);
        assert.ok(rep.dualResidual <= 1e-9, `${what} (${name}): dual residual ${rep.dualResidual}`);
      }
      assert.equal(perturbed.perturbed, false, `${what}: the costs are restored`);
      perturbed.perturb();
      pivots += got.pivots;
    }
  }
  assert.ok(
    pivots > 1000 && cleaned > 1000,
    `the LPs pivot (${pivots}) and were cleaned up ${cleaned} times`,
  );
});

test('CutMasterSimplex: the same problem gives the same bytes', () => {
  const run = (): number[] => {
    const u = rng(7);
    const lp = new CutMasterSimplex(
      Float64Array.of(0, 0, 0, 1),
      new Float64Array(4),
      Float64Array.of(1, 1, 1, Infinity),
      {
        perturb: true,
      },
    );
    lp.addRow(Float64Array.of(1, 1, 1, 0), 1, 1);
    for (let r = 0; r < 20; r++) {
      lp.addRow(Float64Array.of(2 * u() - 1, 2 * u() - 1, 2 * u() - 1, 1), 0, Infinity);
      lp.solve(1000);
    }
    lp.unperturb(1000);
    return Array.from(lp.solution());
  };
  assert.deepEqual(run(), run(), 'a rerun gives the same answer');
});
