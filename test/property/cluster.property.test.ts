// Property tests (fast-check) of the clustering and of HRP:
// - linkage: a valid SciPy Z (ids, counts, sorted heights) whose leaf order is a permutation;
// - optimal leaf ordering: the same merges, reoriented; leaf order still a permutation;
// - HRP: weights finite, ≥ 0, within the bounds and summing to 1 (1e-12) for arbitrary return matrices
//   (fast-check's doubles include zeros, duplicates and subnormals, so degenerate columns are exercised);
// - permutation: permuting the columns permutes the tree (same heights); with leafOrder 'optimal' the
//   weights permute with the columns when no two distances tie. With 'dendrogram' they need not: SciPy
//   orients a merge of two single assets by column index, so the quasi-diagonal order (and hence the
//   bisection) can depend on the column order (about 1 case in 3 on random data) — there we assert only
//   what holds: equal leaf orders give equal weights.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';
import { linkage, LINKAGE_METHODS, type LinkageMatrix } from '../../src/numeric/cluster/linkage.js';
import { leavesList } from '../../src/numeric/cluster/leaf-order.js';
import { optimalLeafOrdering } from '../../src/numeric/cluster/optimal-leaf-ordering.js';
import { correlationDistance } from '../../src/numeric/cluster/correlation-distance.js';
import { covarianceToCorrelation } from '../../src/numeric/stats/correlation.js';
import { sampleCovariance } from '../../src/numeric/covariance/sample-covariance.js';
import { hierarchicalRiskParity } from '../../src/numeric/optimize/hierarchical-risk-parity.js';
import { propertyRuns } from '../helpers/property-runs.js';

const RUNS = { numRuns: propertyRuns(150) };

const distanceMatrix = fc.integer({ min: 2, max: 16 }).chain((n) =>
  fc
    .array(fc.double({ min: 0, max: 1, noNaN: true }), {
      minLength: (n * (n - 1)) / 2,
      maxLength: (n * (n - 1)) / 2,
    })
    .map((upper): Matrix => {
      const data = new Float64Array(n * n);
      let k = 0;
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) data[i * n + j] = data[j * n + i] = upper[k++]!;
      return { rows: n, cols: n, data };
    }),
);

const returnsMatrix = fc
  .record({ T: fc.integer({ min: 2, max: 50 }), n: fc.integer({ min: 2, max: 12 }) })
  .chain(({ T, n }) =>
    fc
      .array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: T * n, maxLength: T * n })
      .map((v): Matrix => ({ rows: T, cols: n, data: Float64Array.from(v) })),
  );

function assertPermutation(order: readonly number[], n: number): void {
  assert.equal(order.length, n, 'order.length');
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i),
    '[...order].sort((a, b) => a - b)',
  );
}

function assertValidLinkage(z: LinkageMatrix, n: number): void {
  assert.equal(z.rows, n - 1, 'z.rows');
  const count = new Array<number>(2 * n - 1).fill(1);
  const used = new Set<number>();
  for (let k = 0; k < n - 1; k++) {
    const [a, b, h, c] = [z.data[k * 4]!, z.data[k * 4 + 1]!, z.data[k * 4 + 2]!, z.data[k * 4 + 3]!];
    assert.ok(
      a < n + k && b < n + k && a !== b && !used.has(a) && !used.has(b),
      'a < n + k && b < n + k && a !== b && !used.has(a) && !used.has(b)',
    );
    used.add(a).add(b);
    count[n + k] = count[a]! + count[b]!;
    assert.equal(c, count[n + k], 'c');
    if (k > 0) assert.ok(h >= z.data[(k - 1) * 4 + 2]!, 'h >= z.data[(k - 1) * 4 + 2]');
  }
}

/** Deterministic continuous returns (no ties with probability 1), from a fast-check seed. */
function continuousReturns(seed: number, T: number, n: number): Matrix {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.04;
  const common = Array.from({ length: T }, next);
  const data = new Float64Array(T * n);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < n; j++) data[t * n + j] = next() + ((j % 3) / 2) * common[t]!;
  return { rows: T, cols: n, data };
}

function permuteColumns(m: Matrix, perm: readonly number[]): Matrix {
  const data = new Float64Array(m.data.length);
  for (let t = 0; t < m.rows; t++)
    for (let j = 0; j < m.cols; j++) data[t * m.cols + j] = m.data[t * m.cols + perm[j]!]!;
  return { rows: m.rows, cols: m.cols, data };
}

function hasDistanceTies(cov: Matrix): boolean {
  const d = correlationDistance(covarianceToCorrelation(cov));
  const seen = new Set<number>();
  for (let i = 0; i < d.rows; i++) {
    for (let j = i + 1; j < d.rows; j++) {
      const v = d.data[i * d.rows + j]!;
      if (seen.has(v)) return true;
      seen.add(v);
    }
  }
  return false;
}

describe('linkage properties', () => {
  test('every method gives a valid Z whose leaf order is a permutation; so does optimal leaf ordering', () => {
    fc.assert(
      fc.property(distanceMatrix, (d) => {
        for (const method of LINKAGE_METHODS) {
          const z = linkage(d, method);
          assertValidLinkage(z, d.rows);
          assertPermutation(leavesList(z), d.rows);
          const o = optimalLeafOrdering(z, d);
          assertPermutation(leavesList(o), d.rows);
          for (let k = 0; k < z.rows; k++) {
            const pair = (m: LinkageMatrix) => [m.data[k * 4]!, m.data[k * 4 + 1]!].sort((a, b) => a - b);
            assert.deepEqual(pair(o), pair(z), 'pair(o)');
            assert.equal(o.data[k * 4 + 2], z.data[k * 4 + 2], 'o.data[k * 4 + 2]');
          }
        }
      }),
      RUNS,
    );
  });
});

describe('HRP properties', () => {
  test('weights are finite, ≥ 0 and sum to 1 (1e-12) for any return matrix', () => {
    fc.assert(
      fc.property(returnsMatrix, fc.constantFrom(...LINKAGE_METHODS), fc.boolean(), (m, method, optimal) => {
        const r = hierarchicalRiskParity(sampleCovariance(m), {
          linkage: method,
          leafOrder: optimal ? 'optimal' : 'dendrogram',
        });
        assertPermutation(r.order, m.cols);
        let sum = 0;
        for (const w of r.weights) {
          assert.ok(Number.isFinite(w) && w >= 0, `weight ${w}`);
          sum += w;
        }
        assert.ok(Math.abs(sum - 1) <= 1e-12, `sum ${sum}`);
      }),
      RUNS,
    );
  });

  test('with feasible bounds every weight lies within them (1e-12)', () => {
    fc.assert(
      fc.property(
        returnsMatrix,
        fc.constantFrom(...LINKAGE_METHODS),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (m, method, a, b) => {
          const n = m.cols;
          const lo = (a / n) * 0.999;
          const hi = 1 / n + b * (1 - 1 / n);
          const r = hierarchicalRiskParity(sampleCovariance(m), {
            linkage: method,
            leafOrder: 'optimal',
            minWeight: lo,
            maxWeight: hi,
          });
          let sum = 0;
          for (const w of r.weights) {
            assert.ok(w >= lo - 1e-12 && w <= hi + 1e-12, `weight ${w} outside [${lo}, ${hi}]`);
            sum += w;
          }
          assert.ok(Math.abs(sum - 1) <= 1e-12, `sum ${sum}`);
        },
      ),
      RUNS,
    );
  });

  test('permuting columns permutes the tree; with optimal leaf order the weights follow (no ties)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 14 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: n, maxLength: n },
            ),
          ),
        ),
        fc.constantFrom(...LINKAGE_METHODS),
        (seed, [n, perm], method) => {
          const m = continuousReturns(seed, 40, n);
          const cov = sampleCovariance(m);
          fc.pre(!hasDistanceTies(cov));
          const covP = sampleCovariance(permuteColumns(m, perm));
          for (const leafOrder of ['dendrogram', 'optimal'] as const) {
            const a = hierarchicalRiskParity(cov, { linkage: method, leafOrder });
            const b = hierarchicalRiskParity(covP, { linkage: method, leafOrder });
            for (let k = 0; k < n - 1; k++) {
              assert.ok(
                Math.abs(a.linkage.data[k * 4 + 2]! - b.linkage.data[k * 4 + 2]!) <= 1e-12,
                'heights',
              );
            }
            const sameOrder = b.order.every((p, i) => perm[p] === a.order[i]);
            // n = 2: the root is a merge of two single assets, oriented by index and never flipped; the
            // weights still agree (the split of two assets is symmetric).
            if (leafOrder === 'optimal' && n > 2)
              assert.ok(sameOrder, 'optimal leaf order follows the permutation');
            if (sameOrder || leafOrder === 'optimal') {
              for (let j = 0; j < n; j++)
                assert.ok(Math.abs(b.weights[j]! - a.weights[perm[j]!]!) <= 1e-12, 'weights');
            }
          }
        },
      ),
      RUNS,
    );
  });
});
