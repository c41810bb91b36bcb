import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, type Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { hierarchicalRiskParity } from '../../../../src/numeric/optimize/hierarchical-risk-parity.js';
import { LINKAGE_METHODS } from '../../../../src/numeric/cluster/linkage.js';
import { leavesList } from '../../../../src/numeric/cluster/leaf-order.js';
import { sampleCovariance } from '../../../../src/numeric/covariance/sample-covariance.js';
import { QuantError } from '../../../../src/errors.js';
import { randomCovariance } from './_fixtures.js';
import { loadDatasetReturns } from '../../../helpers/datasets.js';

const code = (c: string) => (e: unknown) => e instanceof QuantError && e.code === c;
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.equal(a.length, b.length, 'a.length');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

// Two blocks: (0, 1) with ρ = 0.8, σ = (1, 2); (2, 3) with ρ = 0.8, σ = (1, 3); no correlation across.
const BLOCKS = matrixFromRows([
  [1, 1.6, 0, 0],
  [1.6, 4, 0, 0],
  [0, 0, 1, 2.4],
  [0, 0, 2.4, 9],
]);

describe('hierarchicalRiskParity', () => {
  test('hand-computed two-block example', () => {
    // Order 0, 1, 2, 3. Inverse-variance portfolios: left (0.8, 0.2), variance 0.64 + 2·0.16·1.6 + 0.04·4
    // = 1.312; right (0.9, 0.1), variance 0.81 + 2·0.09·2.4 + 0.01·9 = 1.332. α = 1.332 / 2.644.
    // Inside each pair the split is the inverse-variance one: 0.8 / 0.2 and 0.9 / 0.1.
    const a = 1.332 / 2.644;
    const r = hierarchicalRiskParity(BLOCKS);
    assert.deepEqual(r.order, [0, 1, 2, 3], 'r.order');
    close(r.weights, [0.8 * a, 0.2 * a, 0.9 * (1 - a), 0.1 * (1 - a)], 1e-15);
    close([r.bisections[0]!.leftVariance, r.bisections[0]!.rightVariance], [1.312, 1.332], 1e-15);
  });

  test('two assets: the inverse-variance split', () => {
    const r = hierarchicalRiskParity(
      matrixFromRows([
        [0.04, 0.01],
        [0.01, 0.09],
      ]),
    );
    close(r.weights, [0.09 / 0.13, 0.04 / 0.13], 1e-15);
  });

  test('scale-free: annualising the covariance does not move the weights', () => {
    const cov = sampleCovariance(loadDatasetReturns('gccindex_prices').returns);
    const annual: Matrix = { rows: cov.rows, cols: cov.cols, data: cov.data.map((x) => x * 252) };
    for (const linkage of LINKAGE_METHODS) {
      close(
        hierarchicalRiskParity(annual, { linkage }).weights,
        hierarchicalRiskParity(cov, { linkage }).weights,
        1e-14,
      );
    }
  });

  test('tree output: 2n − 1 nodes whose weights add up, order = leaves of the returned linkage', () => {
    const cov = sampleCovariance(loadDatasetReturns('swx_prices').returns);
    for (const leafOrder of ['dendrogram', 'optimal'] as const) {
      const r = hierarchicalRiskParity(cov, { linkage: 'ward', leafOrder });
      const n = cov.rows;
      assert.deepEqual(r.order, leavesList(r.linkage), 'r.order');
      assert.equal(r.nodes.length, 2 * n - 1, 'r.nodes.length');
      r.nodes.forEach((node, id) => {
        assert.equal(node.id, id, 'node.id');
        if (id < n) assert.equal(node.weight, r.weights[id], 'node.weight');
        else
          assert.ok(
            Math.abs(node.weight - r.nodes[node.left!]!.weight - r.nodes[node.right!]!.weight) < 1e-15,
            'node.weight - r.nodes[node.left].weight ≈ r.nodes[node.right].weight within 1e-15',
          );
      });
      assert.ok(
        Math.abs(r.nodes[2 * n - 2]!.weight - 1) < 1e-12,
        'r.nodes[2 * n - 2].weight ≈ 1 within 1e-12',
      );
      assert.equal(r.nodes[2 * n - 2]!.count, n, 'r.nodes[2 * n - 2].count');
      assert.deepEqual(
        [r.bisections[0]!.start, r.bisections[0]!.mid, r.bisections[0]!.end, r.bisections[0]!.weight],
        [0, 3, 6, 1],
        '[r.bisections[0].start, r.bisections[0].mid, r.bisections[0].end, r.b…',
      );
      assert.equal(r.bisections.length, n - 1, 'r.bisections.length');
    }
  });

  test('bounds clamp the split factor: variances 1 and 100 with [0.05, 0.5] → [0.5, 0.5]', () => {
    const cov = matrixFromRows([
      [1, 0],
      [0, 100],
    ]);
    close(hierarchicalRiskParity(cov).weights, [100 / 101, 1 / 101], 1e-15);
    const r = hierarchicalRiskParity(cov, { minWeight: 0.05, maxWeight: 0.5 });
    close(r.weights, [0.5, 0.5], 0);
    assert.equal(r.bisections[0]!.rawAlpha, 1 - 1 / 101, 'r.bisections[0].rawAlpha');
    assert.equal(r.bisections[0]!.alpha, 0.5, 'r.bisections[0].alpha');
  });

  test('bounds hold for every linkage and leaf order on real data', () => {
    const cov = sampleCovariance(loadDatasetReturns('gccindex_prices').returns);
    for (const linkage of LINKAGE_METHODS) {
      for (const leafOrder of ['dendrogram', 'optimal'] as const) {
        const w = hierarchicalRiskParity(cov, {
          linkage,
          leafOrder,
          minWeight: 0.06,
          maxWeight: 0.2,
        }).weights;
        assert.ok(
          Math.abs(w.reduce((s, x) => s + x, 0) - 1) < 1e-12,
          'w.reduce((s, x) => s + x, 0) ≈ 1 within 1e-12',
        );
        for (const x of w) assert.ok(x >= 0.06 - 1e-12 && x <= 0.2 + 1e-12, `${linkage}/${leafOrder}: ${x}`);
      }
    }
  });

  test('each bisection variance is the textbook w̃ᵀΣw̃ through the leaf order, to the last bit', () => {
    // The bisection reads Σ from the two ordered diagonal blocks of the first split; this recomputes every
    // half's inverse-variance portfolio from Σ itself, in the same order of summation.
    const textbook = (cov: Matrix, order: readonly number[], start: number, end: number): number => {
      const n = cov.rows;
      const inverse = order.slice(start, end).map((i) => 1 / (cov.data[i * n + i] as number));
      if (inverse.includes(Infinity)) return 0;
      const total = inverse.reduce((a, b) => a + b, 0);
      const w = inverse.map((x) => x / total);
      let variance = 0;
      for (let a = 0; a < w.length; a++) {
        let s = 0;
        for (let b = 0; b < w.length; b++) {
          s += (cov.data[(order[start + a] as number) * n + (order[start + b] as number)] as number) * w[b]!;
        }
        variance += w[a]! * s;
      }
      return variance > 0 ? variance : 0;
    };
    for (const n of [2, 3, 7, 40, 101]) {
      const cov = randomCovariance(n, 11 * n);
      if (n > 3) for (let j = 0; j < n; j++) cov.data[5 * n + j] = cov.data[j * n + 5] = 0;
      for (const leafOrder of ['dendrogram', 'optimal'] as const) {
        const r = hierarchicalRiskParity(cov, { linkage: 'ward', leafOrder });
        assert.equal(r.bisections.length, n - 1, 'one bisection per merge');
        for (const b of r.bisections) {
          const where = `n = ${n}, ${leafOrder}, [${b.start}, ${b.mid}, ${b.end})`;
          assert.ok(Object.is(b.leftVariance, textbook(cov, r.order, b.start, b.mid)), `${where}: left`);
          assert.ok(Object.is(b.rightVariance, textbook(cov, r.order, b.mid, b.end)), `${where}: right`);
        }
      }
    }
  });

  test("a zero-variance asset is riskless: it takes its cluster's weight, no NaN", () => {
    const cov = matrixFromRows([
      [0, 0, 0],
      [0, 1, 0.5],
      [0, 0.5, 1],
    ]);
    const r = hierarchicalRiskParity(cov);
    assert.deepEqual(r.order, [0, 1, 2], 'r.order');
    close(r.weights, [1, 0, 0], 0);
    // With bounds the riskless asset is capped and the rest split as usual (equal variances → 50/50).
    close(hierarchicalRiskParity(cov, { minWeight: 0.1, maxWeight: 0.8 }).weights, [0.8, 0.1, 0.1], 1e-15);
  });

  test('two zero-variance assets split 50/50 between themselves', () => {
    const r = hierarchicalRiskParity(
      matrixFromRows([
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 1],
      ]),
    );
    assert.deepEqual(r.order, [2, 0, 1], 'r.order');
    close(r.weights, [0.5, 0.5, 0], 0);
  });

  test('infeasible or invalid bounds are E_INFEASIBLE_BOUNDS, checked before any work', () => {
    for (const [minWeight, maxWeight] of [
      [0.3, 1],
      [0, 0.2],
      [0.2, 0.1],
      [Number.NaN, 1],
    ]) {
      assert.throws(
        () => hierarchicalRiskParity(BLOCKS, { minWeight: minWeight!, maxWeight: maxWeight! }),
        (e: unknown) => {
          assert.ok(e instanceof QuantError, 'e is a QuantError');
          assert.equal(e.code, 'E_INFEASIBLE_BOUNDS', 'e.code');
          assert.equal(e.details['assets'], 4, "e.details['assets']");
          return true;
        },
        'hierarchicalRiskParity throws E_INFEASIBLE_BOUNDS',
      );
    }
    // Bounds that cannot bind are accepted and change nothing.
    close(
      hierarchicalRiskParity(BLOCKS, { minWeight: -0.1, maxWeight: 1.5 }).weights,
      hierarchicalRiskParity(BLOCKS).weights,
      0,
    );
    // Exactly feasible: n·min = 1 gives equal weights.
    close(hierarchicalRiskParity(BLOCKS, { minWeight: 0.25 }).weights, [0.25, 0.25, 0.25, 0.25], 1e-15);
  });

  test('input errors', () => {
    assert.throws(
      () => hierarchicalRiskParity(matrixFromRows([[1]])),
      code('E_TOO_FEW_ASSETS'),
      'hierarchicalRiskParity throws E_TOO_FEW_ASSETS',
    );
    assert.throws(
      () => hierarchicalRiskParity({ rows: 2, cols: 3, data: new Float64Array(6) }),
      code('E_INPUT_VALUE'),
      'hierarchicalRiskParity throws E_INPUT_VALUE',
    );
    assert.throws(
      () =>
        hierarchicalRiskParity(
          matrixFromRows([
            [1, Number.NaN],
            [Number.NaN, 1],
          ]),
        ),
      code('E_INPUT_VALUE'),
      'hierarchicalRiskParity throws E_INPUT_VALUE',
    );
    assert.throws(
      () =>
        hierarchicalRiskParity(
          matrixFromRows([
            [-1, 0],
            [0, 1],
          ]),
        ),
      code('E_SINGULAR_COVARIANCE'),
      'hierarchicalRiskParity throws E_SINGULAR_COVARIANCE',
    );
  });
});
