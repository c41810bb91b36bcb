// The exported estimators (covariance, expected returns, risk contributions, portfolio statistics) give
// the textbook values on small hand-checked inputs, keep asset names of a labelled input, and refuse bad
// arguments with E_PARAMS naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  estimateCovariance,
  hrpTree,
  optimizePortfolio,
  expectedReturns,
  portfolioStats,
  QuantError,
  riskContributions,
} from '../../../src/index.js';

const ROWS = [
  [0.01, 0.02],
  [0.03, -0.01],
  [-0.01, 0.02],
];

const close = (a: number, b: number, what: string): void =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('sample covariance is 1/(T − 1) and annualised', () => {
  // asset 0: mean 0.01, deviations 0, 0.02, −0.02 → var (0 + 4e-4 + 4e-4)/2 = 4e-4
  // asset 1: mean 0.01, deviations 0.01, −0.02, 0.01 → var (1e-4 + 4e-4 + 1e-4)/2 = 3e-4
  // cov: (0·0.01 + 0.02·(−0.02) + (−0.02)·0.01)/2 = −3e-4
  const c = estimateCovariance({ assets: ['x', 'y'], returns: ROWS }, { periodsPerYear: 12 });
  assert.deepEqual(c.assets, ['x', 'y'], 'asset names kept');
  const expected = [
    [4e-4 * 12, -3e-4 * 12],
    [-3e-4 * 12, 3e-4 * 12],
  ];
  c.matrix.forEach((row, i) => row.forEach((v, j) => close(v, expected[i]?.[j] ?? NaN, `cov[${i}][${j}]`)));
  const lw = estimateCovariance(ROWS, { estimator: 'ledoit_wolf', periodsPerYear: 12 });
  assert.ok(lw.shrinkage !== undefined && lw.shrinkage >= 0 && lw.shrinkage <= 1, 'shrinkage in [0, 1]');
});

test('expected returns: mean × A and CAGR', () => {
  const mean = expectedReturns(ROWS, { periodsPerYear: 12 });
  close(mean.values[0] ?? NaN, 0.01 * 12, 'mean of asset 0');
  const cagr = expectedReturns(ROWS, { method: 'cagr', periodsPerYear: 3 });
  close(cagr.values[0] ?? NaN, 1.01 * 1.03 * 0.99 - 1, 'CAGR over exactly one year');
});

test('CAGR of a column with a return below −1 is refused, named, whatever the number of such returns', () => {
  // Wealth 1 → −2 → … : an odd number of such returns gave +1e26 through an even root, an even number
  // a positive product; both have no growth rate.
  for (const column of [
    [-3, 0.01, 0.01],
    [-3, -3, 0.01],
  ]) {
    const returns = column.map((b, t) => [[0.01, 0.012, 0.008][t] ?? 0, b]);
    assert.throws(
      () => expectedReturns({ assets: ['A', 'B'], returns }, { method: 'cagr', periodsPerYear: 252 }),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_VALUE' &&
        /^the return of B in row 0 is -3, below −1/.test(e.message),
      `${JSON.stringify(column)}: E_INPUT_VALUE naming B`,
    );
    const mean = expectedReturns({ assets: ['A', 'B'], returns }, { periodsPerYear: 252 });
    assert.equal(mean.values.length, 2, 'the arithmetic mean is still given');
  }
});

test('risk contributions sum to 1 and are equal for equal weights on equal variances', () => {
  const rc = riskContributions(
    [0.5, 0.5],
    [
      [0.04, 0],
      [0, 0.04],
    ],
  );
  assert.deepEqual(rc, [0.5, 0.5], 'equal contributions');
  const skew = riskContributions(
    [0.5, 0.5],
    [
      [0.09, 0],
      [0, 0.01],
    ],
  );
  close(skew[0] ?? NaN, 0.9, 'the riskier asset carries 90 %');
});

test('portfolio statistics: drawdown and win rate', () => {
  const s = portfolioStats([0.1, -0.5, 0.2], { periodsPerYear: 252 });
  close(s.maxDrawdown ?? NaN, 0.5, 'max drawdown 50 %');
  close(s.winRate ?? NaN, 2 / 3, 'two of three periods up');
});

test('portfolioStats on growth beyond a double: finite figures in logs, or E_INPUT_VALUE naming the figure', () => {
  // 400 periods of +900 %: the equity reaches 10^400 (beyond 1.8e308), then falls by half.
  const s = portfolioStats([...Array.from({ length: 400 }, () => 9), -0.5, 0.2], {
    periodsPerYear: 252,
  });
  assert.ok(Math.abs((s.maxDrawdown ?? NaN) - 0.5) < 1e-12, `the fall of 50 % is seen: ${s.maxDrawdown}`);
  const cagr = 10 ** ((400 * 252) / 402) * (0.5 * 1.2) ** (252 / 402) - 1;
  assert.ok(Math.abs((s.cagr ?? NaN) / cagr - 1) < 1e-9, `cagr in logs: ${s.cagr} vs ${cagr}`);
  assert.ok(Math.abs((s.calmar ?? NaN) / (cagr / 0.5) - 1) < 1e-9, `calmar finite: ${s.calmar}`);
  // One return of 1e100 a day: the annual growth factor is beyond any double.
  for (const returns of [
    [1e100, 0.01, -0.5],
    [1e200, -0.5, 0.1],
  ]) {
    assert.throws(
      () => portfolioStats(returns, { periodsPerYear: 252 }),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_VALUE' &&
        /^portfolioStats: the cagr of the 3 returns is Infinity: it exceeds the range of a double/.test(
          e.message,
        ) &&
        /not prices, amounts or percentages/.test(e.hint ?? ''),
      `${returns[0]}: refused naming the figure, never Infinity`,
    );
  }
});

test("the optimizer's Float64Array weights and typed-array series chain into the building blocks", () => {
  const rows = [
    [0.01, 0.02, -0.01],
    [0.03, -0.01, 0.0],
    [-0.01, 0.02, 0.01],
    [0.02, 0.0, -0.02],
    [0.0, 0.01, 0.02],
  ];
  const { weights } = optimizePortfolio(rows, { method: 'inverse_variance', periodsPerYear: 252 });
  assert.ok(weights instanceof Float64Array, 'the unlabelled optimizer returns a Float64Array');
  const cov = estimateCovariance(rows, { periodsPerYear: 252 }).matrix;
  assert.deepEqual(
    riskContributions(weights, cov),
    riskContributions(Array.from(weights), cov),
    'a Float64Array of weights gives the contributions of the same array',
  );
  assert.deepEqual(
    riskContributions(
      weights,
      cov.map((r) => Float64Array.from(r)),
    ),
    riskContributions(Array.from(weights), cov),
    'covariance rows may be typed arrays too',
  );
  const series = rows.map((r) => r[0] as number);
  assert.deepEqual(
    portfolioStats(Float64Array.from(series), { periodsPerYear: 252 }),
    portfolioStats(series, { periodsPerYear: 252 }),
    'portfolioStats takes a Float64Array',
  );
  assert.deepEqual(
    estimateCovariance(
      rows.map((r) => Float64Array.from(r)),
      { periodsPerYear: 252 },
    ).matrix,
    cov,
    'rows of returns may be typed arrays',
  );
  // What is still refused says what is taken, without a made-up count.
  assert.throws(
    () => riskContributions(5 as never, cov),
    (e: unknown) =>
      e instanceof QuantError &&
      e.code === 'E_PARAMS' &&
      /received number 5; expected an array or typed array of numbers$/.test(e.message),
    'a number as weights is E_PARAMS naming what is taken',
  );
  assert.throws(
    () => portfolioStats(Float64Array.from([0.1, Number.NaN]), { periodsPerYear: 252 }),
    (e: unknown) => e instanceof QuantError && e.code === 'E_PARAMS' && /row 1/.test(e.message),
    'a NaN inside a typed array is named by its row',
  );
});

test('bad arguments are E_PARAMS naming them', () => {
  const cases: [() => unknown, string][] = [
    [
      () => estimateCovariance(ROWS, { estimator: 'shrunk' as 'sample', periodsPerYear: 12 }),
      'options.estimator',
    ],
    [() => estimateCovariance(ROWS, { periodsPerYear: -1 }), 'options.periodsPerYear'],
    [() => expectedReturns(ROWS, { periodsPerYear: 12, methd: 'cagr' } as never), 'did you mean "method"'],
    [() => riskContributions([0.5, 0.5], [[0.04]]), 'expected 2 × 2'],
    [() => portfolioStats([0.1, Number.NaN], { periodsPerYear: 252 }), 'row 1'],
    [() => portfolioStats([0.1], undefined as never), 'portfolioStats options'],
  ];
  for (const [fn, mention] of cases) {
    assert.throws(
      fn,
      (e: unknown) => e instanceof QuantError && e.code === 'E_PARAMS' && e.message.includes(mention),
      `E_PARAMS mentioning ${mention}`,
    );
  }
});

test('a matrix that is no covariance is E_SINGULAR_COVARIANCE, as every optimizer says', () => {
  const refused = (what: string, fn: () => unknown, re: RegExp): void => {
    assert.throws(
      fn,
      (e: unknown) => e instanceof QuantError && e.code === 'E_SINGULAR_COVARIANCE' && re.test(e.message),
      what,
    );
  };
  refused(
    'asymmetric',
    () =>
      riskContributions(
        [0.5, 0.5],
        [
          [0.09, 0.05],
          [0, 0.01],
        ],
      ),
    /not symmetric/,
  );
  refused(
    'a correlation of 5',
    () =>
      riskContributions(
        [0.5, 0.5],
        [
          [0.01, 0.05],
          [0.05, 0.01],
        ],
      ),
    /exceeds the product/,
  );
  refused(
    'hrpTree on a correlation of 2',
    () =>
      hrpTree({
        matrix: [
          [1, 2],
          [2, 1],
        ],
      }),
    /exceeds the product/,
  );
  refused(
    'a negative variance',
    () =>
      hrpTree({
        matrix: [
          [-1, 0],
          [0, 1],
        ],
      }),
    /variance -1/,
  );
  assert.deepEqual(riskContributions([1], [[0.04]]), [1], 'one asset carries all the risk');
});

test('a 3 × 3 (or larger) matrix that is not positive semidefinite is E_SINGULAR_COVARIANCE', () => {
  // Every pair is a valid 2 × 2 covariance, but A–B 0.9, B–C 0.9, A–C −0.9 no returns can have together:
  // A − B + C has variance 3 − 2 · 3 · 0.9 = −2.4.
  const bad = [
    [1, 0.9, -0.9],
    [0.9, 1, 0.9],
    [-0.9, 0.9, 1],
  ];
  // The same in a 5 × 5, scaled to daily variances, with two clean assets around it.
  const v = 1e-4;
  const bigger = [
    [2 * v, 0, 0, 0, 0],
    [0, v, 0.9 * v, 0, -0.9 * v],
    [0, 0.9 * v, v, 0, 0.9 * v],
    [0, 0, 0, 3 * v, 0],
    [0, -0.9 * v, 0.9 * v, 0, v],
  ];
  const notPsd = (e: unknown): boolean =>
    e instanceof QuantError &&
    e.code === 'E_SINGULAR_COVARIANCE' &&
    /^the covariance matrix is not positive semidefinite: asset #(\d) \(row \1 of the covariance\) hedged with assets #\d(, #\d)* \(rows \d(, \d)*\) has a variance of -\d/.test(
      e.message,
    ) &&
    /so some portfolio would have a negative variance \(pivoted LDLᵀ, tolerance 1e-10 × the largest variance\)$/.test(
      e.message,
    );
  for (const [what, cov] of [
    ['3 × 3', bad],
    ['5 × 5', bigger],
  ] as const) {
    const n = cov.length;
    assert.throws(() => riskContributions(Array(n).fill(1 / n), cov), notPsd, `riskContributions ${what}`);
    assert.throws(() => hrpTree({ matrix: cov }), notPsd, `hrpTree ${what}`);
  }
  // Unlabelled, an asset is #i, row i of the covariance (from 0, as `covariance[i] (row i)` elsewhere).
  assert.throws(
    () => riskContributions([1 / 3, 1 / 3, 1 / 3], bad),
    (e: unknown) =>
      e instanceof QuantError &&
      e.message.startsWith(
        'the covariance matrix is not positive semidefinite: asset #2 (row 2 of the covariance) hedged with assets #0, #1 (rows 0, 1) has a variance of -15.2',
      ),
    'riskContributions names asset #2 as row 2 of the covariance, and the rows it is hedged with',
  );
  // A covariance left between two assets whose variances are spent: both rows named.
  const pair = [
    [1, 0.5, 0.5],
    [0.5, 0.25, 0.15],
    [0.5, 0.15, 0.25],
  ];
  assert.throws(
    () => riskContributions([1 / 3, 1 / 3, 1 / 3], pair),
    (e: unknown) =>
      e instanceof QuantError &&
      e.message.startsWith(
        'the covariance matrix is not positive semidefinite: assets #1 and #2 (rows 1 and 2 of the covariance) hedged with asset #0 (row 0) have a covariance of -0.1',
      ),
    'a covariance left names both rows',
  );
  // With asset names, the message names the assets.
  assert.throws(
    () => hrpTree({ matrix: bigger, assets: ['A', 'B', 'C', 'D', 'E'] }),
    (e: unknown) =>
      e instanceof QuantError &&
      /not positive semidefinite: asset "[A-E]" hedged with assets ("[A-E]"(, )?)+ has a variance of -/.test(
        e.message,
      ),
    'hrpTree names the assets it was given',
  );
  // Positive semidefinite but singular (a duplicated asset, a riskless one) still passes, also when its
  // entries carry rounding: C is A + B.
  const singular = [
    [0.04, 0.01, 0.05, 0],
    [0.01, 0.09, 0.1, 0],
    [0.05, 0.1, 0.15 * (1 + 1e-15), 0],
    [0, 0, 0, 0],
  ];
  const rc = riskContributions([0.25, 0.25, 0.25, 0.25], singular);
  assert.ok(Math.abs(rc.reduce((a, b) => a + b, 0) - 1) < 1e-12, 'contributions of a singular Σ sum to 1');
  assert.doesNotThrow(() => hrpTree({ matrix: singular }), 'hrpTree takes a singular Σ');
});

test('returns whose covariance overflows are E_INPUT_VALUE, not a matrix of Infinity', () => {
  const huge = ROWS.map((row) => row.map((x) => x * 1e160));
  for (const estimator of ['sample', 'ledoit_wolf'] as const) {
    assert.throws(
      () => estimateCovariance(huge, { estimator, periodsPerYear: 252 }),
      (e: unknown) =>
        e instanceof QuantError && e.code === 'E_INPUT_VALUE' && /overflows a double/.test(e.message),
      `${estimator}: coded`,
    );
  }
});

test('expected returns that are not finite are E_INPUT_VALUE naming the asset', () => {
  const coded = (what: string, fn: () => unknown, re: RegExp): void =>
    assert.throws(
      fn,
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE' && re.test(e.message),
      what,
    );
  const labelled = {
    assets: ['a', 'b'],
    returns: [
      [0.01, 1e308],
      [0.02, 1e308],
    ],
  };
  coded(
    'a mean that overflows',
    () => expectedReturns(labelled, { periodsPerYear: 252 }),
    /mean return of b is Infinity/,
  );
  coded(
    'a compounded return that overflows',
    () => expectedReturns(labelled, { method: 'cagr', periodsPerYear: 252 }),
    /cagr return of b/,
  );
});
