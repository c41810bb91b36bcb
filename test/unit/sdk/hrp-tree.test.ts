// hrpTree: the HRP cluster tree as a building block. It is the tree optimizePortfolio's hrp bisects (bit
// for bit from the same covariance), in SciPy's linkage format, with the leaf order and a nested tree
// labelled by asset; bad arguments are E_PARAMS naming them, unknown options with a did-you-mean. A
// labelled input types `orderedAssets` as present, an unlabelled one as absent: the type cases below are
// compiled by `npm run typecheck` (tsc over test/), where each `@ts-expect-error` line must be an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  estimateCovariance,
  expectedReturns,
  hrpTree,
  isQuantError,
  optimizePortfolio,
  type ClusterNode,
  type CovarianceEstimate,
  type ExpectedReturnsEstimate,
  type HrpTree,
} from '../../../src/index.js';

// Two pairs: bonds/stocks move together, gold/oil move together.
const RETURNS = [
  [0.01, 0.012, -0.004, 0.003],
  [-0.02, -0.018, 0.006, -0.001],
  [0.015, 0.011, 0.002, 0.004],
  [-0.005, -0.007, -0.01, -0.012],
  [0.007, 0.009, 0.012, 0.01],
  [-0.012, -0.01, 0.001, 0.002],
];
const TABLE = { assets: ['bonds', 'stocks', 'gold', 'oil'], returns: RETURNS };

function show(node: ClusterNode): string {
  return node.children === undefined
    ? String(node.asset ?? node.id)
    : `(${node.children.map(show).join(' ')})`;
}

function refused(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.ok(isQuantError(error), `a QuantError, not ${String(error)}`);
    assert.equal(error.code, 'E_PARAMS', `E_PARAMS: ${error.message}`);
    assert.match(error.message, pattern, 'the message names the problem');
    return;
  }
  assert.fail(`expected E_PARAMS matching ${String(pattern)}`);
}

test('the tree pairs the co-moving assets, labelled, in SciPy format', () => {
  for (const linkage of ['single', 'complete', 'average', 'ward'] as const) {
    const t = hrpTree(TABLE, { linkage });
    assert.equal(t.linkageMethod, linkage, 'the linkage applied');
    assert.equal(t.leafOrder, 'dendrogram', 'the default leaf order');
    assert.equal(show(t.tree), '((bonds stocks) (gold oil))', `${linkage}: the two pairs`);
    assert.equal(t.linkage.length, 3, 'n − 1 merges');
    t.linkage.forEach((row, k) => {
      assert.equal(row.length, 4, 'rows [a, b, height, count]');
      const [a, b, h] = row as [number, number, number, number];
      assert.ok(a < b && b < 4 + k, `row ${k} merges formed clusters, smaller id first`);
      if (k > 0) assert.ok(h >= (t.linkage[k - 1]?.[2] ?? 0), 'heights ascend');
    });
    assert.equal(t.tree.id, 6, 'the root is cluster 2n − 2');
    assert.equal(t.tree.count, 4, 'the root holds every asset');
    assert.deepEqual(
      t.orderedAssets,
      t.order.map((j) => TABLE.assets[j]),
      'orderedAssets follow order',
    );
    assert.deepEqual(t.assets, TABLE.assets, 'the input order is kept');
  }
});

test('the same tree as optimizePortfolio hrp: bit for bit from the same covariance', () => {
  for (const leafOrder of ['dendrogram', 'optimal'] as const) {
    const h = optimizePortfolio(TABLE, { method: 'hrp', periodsPerYear: 252, linkage: 'ward', leafOrder });
    const fromCov = hrpTree(estimateCovariance(TABLE, { periodsPerYear: 252 }), {
      linkage: 'ward',
      leafOrder,
    });
    assert.ok(h.tree !== undefined, 'hrp returns its tree');
    assert.deepEqual(fromCov.linkage.flat(), Array.from(h.tree.linkage.data), `${leafOrder}: same linkage`);
    assert.deepEqual(fromCov.order, h.tree.order, `${leafOrder}: same order`);
    // From returns the covariance is not annualised: the heights agree to rounding, the tree exactly.
    const fromReturns = hrpTree(RETURNS, { linkage: 'ward', leafOrder });
    assert.deepEqual(fromReturns.order, h.tree.order, `${leafOrder}: same order from returns`);
    fromReturns.linkage.forEach((row, k) =>
      row.forEach((v, c) =>
        assert.ok(Math.abs(v - (fromCov.linkage[k]?.[c] ?? NaN)) < 1e-12, `Z[${k}][${c}] ${v}`),
      ),
    );
    assert.equal(fromReturns.assets, undefined, 'unlabelled in, unlabelled out');
    assert.equal(fromReturns.tree.children?.[0].asset, undefined, 'leaves carry no name');
  }
  const lw = hrpTree(RETURNS, { covariance: 'ledoit_wolf' });
  assert.equal(lw.order.length, 4, 'ledoit_wolf gives a tree too');
});

test('a chain of 3,000 leaves builds without recursion', () => {
  // Single linkage on a random walk's columns: deep trees must not overflow the stack.
  const n = 3000;
  const rows: number[][] = [];
  let seed = 7;
  const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  for (let t = 0; t < 5; t++) rows.push(Array.from({ length: n }, rand));
  const t = hrpTree(rows);
  assert.equal(t.order.length, n, 'every asset once');
  assert.deepEqual(
    [...t.order].sort((a, b) => a - b),
    Array.from({ length: n }, (_, j) => j),
    'a permutation',
  );
  assert.equal(t.tree.count, n, 'the root holds them all');
});

test('bad arguments are E_PARAMS naming them', () => {
  refused(() => hrpTree(TABLE, { linkage: 'wards' as never }), /linkage.*"wards".*did you mean "ward"/);
  refused(
    () => hrpTree(TABLE, { linkag: 'ward' } as never),
    /options\.linkag: unknown option \(did you mean "linkage"\?\)/,
  );
  refused(() => hrpTree(TABLE, { leafOrder: 'best' as never }), /leafOrder/);
  refused(() => hrpTree(TABLE, null as never), /hrpTree options: received null/);
  refused(() => hrpTree('prices.csv' as never), /returns: received "prices\.csv"/);
  refused(
    () =>
      hrpTree({
        matrix: [
          [1, 0.5],
          [0.4, 1],
        ],
      }),
    /covariance\.matrix\[0\]\[1\] = 0\.5 but \[1\]\[0\] = 0\.4; expected a symmetric/,
  );
  refused(
    () =>
      hrpTree({
        matrix: [
          [1, 0, 0],
          [0, 1, 0],
        ],
      }),
    /received 2 × 3; expected a square/,
  );
  refused(
    () =>
      hrpTree({
        matrix: [
          [1, 0],
          [0, Number.NaN],
        ],
      }),
    /covariance\.matrix\[1\]\[1\].*NaN/,
  );
  refused(
    () =>
      hrpTree({
        matrix: [
          [1, 0],
          [0, 1],
        ],
        assets: ['a'],
      }),
    /covariance\.assets: received 1 names; expected 2/,
  );
  refused(
    () =>
      hrpTree({
        matrix: [
          [1, 0],
          [0, 1],
        ],
        assets: ['a', 'a'],
      }),
    /covariance\.assets\[1\]/,
  );
  refused(
    () =>
      hrpTree({
        matrix: [
          [1, 0],
          [0, 1],
        ],
        colour: 1,
      } as never),
    /covariance\.colour: unknown key/,
  );
  refused(
    () =>
      hrpTree(
        {
          matrix: [
            [1, 0],
            [0, 1],
          ],
        },
        { covariance: 'sample' },
      ),
    /options\.covariance.*with a covariance input/,
  );
});

/** true when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiled, never called: the types of a labelled and an unlabelled input. */
export function typeCases(): void {
  // A labelled covariance (an estimate of a labelled table) or table: the names are there, no `!` needed.
  const labelledCov = estimateCovariance(TABLE, { periodsPerYear: 252 });
  const namedCov: true = true as Equal<typeof labelledCov.assets, readonly string[]>;
  const fromCov = hrpTree(labelledCov);
  const ordered: readonly string[] = fromCov.orderedAssets;
  const names: readonly string[] = hrpTree(TABLE).assets;
  const literal = hrpTree({ matrix: [[1]], assets: ['x'] }).orderedAssets.join(' ');
  // Unlabelled: rows, a matrix, a covariance without names, the estimate of rows.
  const unlabelledCov = estimateCovariance(RETURNS, { periodsPerYear: 252 });
  const noNames: true = true as Equal<typeof unlabelledCov.assets, undefined>;
  const none: undefined = hrpTree(RETURNS).orderedAssets;
  const noneCov: undefined = hrpTree(unlabelledCov).orderedAssets;
  const noneMatrix: undefined = hrpTree({ rows: 1, cols: 1, data: [0.01] }).orderedAssets;
  // @ts-expect-error -- rows have no asset names
  const unnamed: readonly string[] = hrpTree(RETURNS).orderedAssets;
  // @ts-expect-error -- nor has a covariance without `assets`
  const unnamedCov: readonly string[] = hrpTree({ matrix: [[1]] }).orderedAssets;
  // An input whose labelling is not known statically keeps the optional member.
  const either = (input: CovarianceEstimate): HrpTree => hrpTree(input);
  // @ts-expect-error -- it may be absent
  const maybe: readonly string[] = either(labelledCov).orderedAssets;
  void [namedCov, ordered, names, literal, noNames, none, noneCov, noneMatrix, unnamed, unnamedCov, maybe];
  // expectedReturns likewise: a labelled table's names are there, an unlabelled one's are absent.
  const namedMu: readonly string[] = expectedReturns(TABLE, { periodsPerYear: 252 }).assets;
  const unlabelledMu = expectedReturns(RETURNS, { periodsPerYear: 252 });
  const noneMu: true = true as Equal<typeof unlabelledMu.assets, undefined>;
  // @ts-expect-error -- rows have no asset names
  const unnamedMu: readonly string[] = unlabelledMu.assets;
  // An input whose labelling is not known statically keeps the optional member.
  const eitherMu = (estimate: ExpectedReturnsEstimate): readonly string[] | undefined => estimate.assets;
  void [namedMu, noneMu, unnamedMu, eitherMu];
}

test('the labelled overloads return what their types say', () => {
  const labelled = hrpTree(estimateCovariance(TABLE, { periodsPerYear: 252 }));
  assert.deepEqual(
    labelled.orderedAssets,
    labelled.order.map((j) => TABLE.assets[j]),
    'a labelled covariance has its orderedAssets',
  );
  const unlabelled = hrpTree(estimateCovariance(RETURNS, { periodsPerYear: 252 }));
  assert.deepEqual(
    [unlabelled.assets, unlabelled.orderedAssets, 'assets' in unlabelled],
    [undefined, undefined, false],
    'an unlabelled covariance has neither',
  );
});
