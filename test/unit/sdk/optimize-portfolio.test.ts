// The library face of the optimizer (`optimizePortfolio` from the public entry): arguments are checked at
// run time with the schemas of the portfolio.optimize stage — aliases accepted, unknown options refused
// with a did-you-mean, wrong types and ranges refused naming the option, the value and what is allowed —
// and the everyday shapes of a returns table are accepted, labelled in → labelled out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { optimizePortfolio, QuantError, StageRegistry } from '../../../src/index.js';
import { PORTFOLIO_METHODS, METHOD_ALIASES } from '../../../src/util/vocabulary.js';
import { resolveStageParams } from '../../../src/core/params.js';

function returnsRows(T: number, n: number, seed = 7): number[][] {
  let s = seed;
  const next = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.02;
  return Array.from({ length: T }, () => Array.from({ length: n }, next));
}
const ROWS = returnsRows(80, 3);
const MATRIX = { rows: 80, cols: 3, data: Float64Array.from(ROWS.flat()) };
const BASE = { method: 'hrp', periodsPerYear: 252 } as const;

/** Call with arbitrary (untyped) arguments, as a plain-JavaScript caller would. */
const call = optimizePortfolio as unknown as (returns: unknown, options: unknown) => unknown;

function paramsError(fn: () => unknown, ...parts: (string | RegExp)[]): QuantError {
  let caught: unknown;
  try {
    const value = fn();
    assert.fail(`expected E_PARAMS, got a result ${JSON.stringify(value)}`);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof QuantError, `a QuantError, not ${String(caught)}`);
  assert.equal(caught.code, 'E_PARAMS', `code E_PARAMS for: ${caught.message}`);
  for (const p of parts) {
    const ok = typeof p === 'string' ? caught.message.includes(p) : p.test(caught.message);
    assert.ok(ok, `message "${caught.message}" mentions ${String(p)}`);
  }
  return caught;
}

describe('optimizePortfolio: options', () => {
  test('the documented alias erc is risk_parity, as in manifests', () => {
    const viaAlias = optimizePortfolio(MATRIX, { method: 'erc', periodsPerYear: 252 });
    const direct = optimizePortfolio(MATRIX, { method: 'risk_parity', periodsPerYear: 252 });
    assert.ok(viaAlias !== undefined, 'erc returns a result');
    assert.equal(viaAlias.method, 'risk_parity', 'the canonical method is reported');
    assert.deepEqual([...viaAlias.weights], [...direct.weights], 'same weights as risk_parity');
  });

  test('an unknown method is E_PARAMS with the allowed ids and a did-you-mean', () => {
    paramsError(
      () => call(MATRIX, { ...BASE, method: 'ercc' }),
      'options.method',
      '"ercc"',
      'did you mean "erc"',
      'min_variance',
    );
  });

  test('a misspelt option is refused with a did-you-mean, not ignored', () => {
    paramsError(
      () => call(MATRIX, { ...BASE, maxWieght: 0.5 }),
      'options.maxWieght',
      'unknown option',
      'did you mean "maxWeight"',
    );
  });

  test('an unknown linkage is refused', () => {
    paramsError(
      () => call(MATRIX, { ...BASE, linkage: 'wart' }),
      'options.linkage',
      '"wart"',
      'single, complete, average, ward',
    );
  });

  test('a string where a number belongs is refused, not coerced', () => {
    paramsError(
      () => call(MATRIX, { ...BASE, minWeight: '0.1' }),
      'options.minWeight',
      '"0.1"',
      'a finite number',
    );
    paramsError(() => call(MATRIX, { ...BASE, riskFreeRate: '0.02' }), 'options.riskFreeRate');
  });

  test('periodsPerYear negative, zero, NaN, infinite or missing is E_PARAMS naming it', () => {
    for (const bad of [-252, 0, Number.NaN, Number.POSITIVE_INFINITY]) {
      paramsError(
        () => call(MATRIX, { ...BASE, periodsPerYear: bad }),
        'options.periodsPerYear',
        String(bad),
      );
    }
    paramsError(() => call(MATRIX, { method: 'hrp' }), 'options.periodsPerYear', 'missing');
  });

  test('weights bounds outside [0, 1] are refused like the stage params', () => {
    paramsError(() => call(MATRIX, { ...BASE, maxWeight: 1.5 }), 'options.maxWeight', '1.5', '≤ 1');
    paramsError(() => call(MATRIX, { ...BASE, minWeight: -0.1 }), 'options.minWeight', '≥ 0');
  });

  test('no options, null options or a non-object are E_PARAMS, never a TypeError', () => {
    for (const bad of [undefined, null, 'hrp', 252, [], true]) {
      paramsError(() => call(MATRIX, bad), 'options: received');
    }
  });

  test('every problem is listed as an issue with its path', () => {
    const error = paramsError(() => call(MATRIX, { method: 'x', periodsPerYear: -1, foo: 1 }));
    const paths = error.issues.map((i) => i.path).sort();
    assert.deepEqual(
      paths,
      ['options.foo', 'options.method', 'options.periodsPerYear'],
      'one issue per problem',
    );
  });

  test('a bad value inside a by-asset or per-column option names the asset (or column) and the value', () => {
    const labelled = { assets: ['bonds', 'stocks', 'gold'], returns: ROWS };
    const cases: [Record<string, unknown>, string][] = [
      [
        { riskBudget: { bonds: 1, stocks: NaN, gold: 1 } },
        'options.riskBudget.stocks: received number NaN; expected a finite number',
      ],
      [
        { riskBudget: { bonds: 1, stocks: '2', gold: 1 } },
        'options.riskBudget.stocks: received "2"; expected a finite number',
      ],
      [{ riskBudget: [1, NaN, 1] }, 'options.riskBudget[1]: received number NaN; expected a finite number'],
      [{ riskBudget: 'x' }, 'options.riskBudget: received "x"; expected an array or an object'],
      [
        {
          method: 'min_variance',
          constraints: [{ name: 'eq', coefficients: { stocks: Infinity }, upper: 0.5 }],
        },
        'options.constraints[0].coefficients.stocks: received number Infinity; expected a finite number',
      ],
      [
        { method: 'min_variance', constraints: [{ name: 'eq', coefficients: [1, '1', 0], upper: 0.5 }] },
        'options.constraints[0].coefficients[1]: received "1"; expected a finite number',
      ],
      [
        {
          method: 'min_variance',
          turnover: { reference: { bonds: 0.5, stocks: 0.5, gold: null }, maxTurnover: 0.2 },
        },
        'options.turnover.reference.gold: received null; expected a finite number',
      ],
    ];
    for (const [options, message] of cases) {
      const e = paramsError(
        () => call(labelled, { method: 'risk_parity', periodsPerYear: 252, ...options }),
        message,
      );
      assert.ok(!e.message.includes('Invalid input'), `no "Invalid input" in: ${e.message}`);
    }
    // The stage params name the asset the same way.
    const stage = StageRegistry.getStage('portfolio.optimize');
    const parsed = stage.params.safeParse({
      input: 'x.csv',
      turnover: { reference: { AAPL: 0.5, MSFT: null }, max_turnover: 0.2 },
    });
    assert.equal(parsed.success, false, 'a null reference weight is refused by the stage params');
    assert.throws(
      () =>
        resolveStageParams(stage, {
          input: 'x.csv',
          turnover: { reference: { AAPL: 0.5, MSFT: null }, max_turnover: 0.2 },
        }),
      (e: unknown) =>
        e instanceof QuantError &&
        /turnover\.reference\.MSFT: .*received null/.test(e.message) &&
        !/reference: Invalid input/.test(e.message),
      'the stage param names the asset and the value, not the whole reference',
    );
  });

  test('the stage params and the library accept and refuse the same values', () => {
    const stage = StageRegistry.getStage('portfolio.optimize');
    assert.ok(stage !== undefined, 'portfolio.optimize is registered');
    const cases: [string, string, unknown][] = [
      ...[...PORTFOLIO_METHODS, ...Object.keys(METHOD_ALIASES), 'ercc', 'HRP', 1].map(
        (v) => ['method', 'method', v] as [string, string, unknown],
      ),
      ...['single', 'ward', 'wart', 3].map((v) => ['linkage', 'linkage', v] as [string, string, unknown]),
      ...['dendrogram', 'optimal', 'none'].map(
        (v) => ['leaf_order', 'leafOrder', v] as [string, string, unknown],
      ),
      ...['sample', 'ledoit_wolf', 'shrunk'].map(
        (v) => ['covariance', 'covariance', v] as [string, string, unknown],
      ),
      ...['mean', 'cagr', 'median'].map(
        (v) => ['expected_returns', 'expectedReturns', v] as [string, string, unknown],
      ),
      ...[0, 0.3, 1, -0.1, 1.1, '0.2', Number.NaN].map(
        (v) => ['min_weight', 'minWeight', v] as [string, string, unknown],
      ),
      ...[0.02, -0.01, Number.POSITIVE_INFINITY, '0'].map(
        (v) => ['risk_free_rate', 'riskFreeRate', v] as [string, string, unknown],
      ),
      ...[252, 12, 0, -1, Number.NaN, '252'].map(
        (v) => ['periods_per_year', 'periodsPerYear', v] as [string, string, unknown],
      ),
    ];
    for (const [stageKey, libKey, value] of cases) {
      const stageOk = stage.params.safeParse({ input: 'x.csv', [stageKey]: value }).success;
      let libOk = true;
      try {
        call(MATRIX, { ...BASE, [libKey]: value });
      } catch (error) {
        assert.ok(error instanceof QuantError, `QuantError for ${libKey}=${String(value)}`);
        libOk = error.code !== 'E_PARAMS';
      }
      assert.equal(
        libOk,
        stageOk,
        `${stageKey}=${String(value)}: stage ${stageOk ? 'accepts' : 'refuses'}, library agrees`,
      );
    }
  });
});

describe('optimizePortfolio: input shapes', () => {
  test('number[][] rows of observations give the same weights as the matrix', () => {
    const fromRows = optimizePortfolio(ROWS, BASE);
    const fromMatrix = optimizePortfolio(MATRIX, BASE);
    assert.deepEqual([...fromRows.weights], [...fromMatrix.weights], 'same weights');
  });

  test('a labelled input gives weights keyed by asset, in input order', () => {
    const r = optimizePortfolio({ assets: ['Z', 'A', 'M'], returns: ROWS }, BASE);
    const plain = optimizePortfolio(MATRIX, BASE);
    assert.deepEqual(Object.keys(r.weights), ['Z', 'A', 'M'], 'keys in input order');
    assert.deepEqual(r.assets, ['Z', 'A', 'M'], 'assets echoed');
    assert.deepEqual(Object.values(r.weights), [...plain.weights], 'weights of the same columns');
  });

  test('rows × cols not matching the data length is E_PARAMS before any computation', () => {
    paramsError(
      () => call({ rows: 81, cols: 3, data: MATRIX.data }, BASE),
      'returns.data',
      '240 values',
      '81 × 3 = 243',
    );
    paramsError(() => call({ rows: 2.5, cols: 3, data: MATRIX.data }, BASE), 'returns.rows', '2.5');
    paramsError(() => call({ rows: 80, cols: 3, data: 'abc' }, BASE), 'returns.data');
  });

  test('a non-finite or non-numeric cell is named by row and column (or asset)', () => {
    const rows = ROWS.map((r) => [...r]);
    (rows[5] as unknown[])[1] = Number.NaN;
    paramsError(() => call(rows, BASE), 'returns[5][1] (row 5, column 1)', 'NaN', 'a finite number');
    paramsError(() => call({ assets: ['A', 'B', 'C'], returns: rows }, BASE), 'row 5, asset "B"');
    const data = Float64Array.from(MATRIX.data);
    data[7] = Number.POSITIVE_INFINITY;
    paramsError(() => call({ ...MATRIX, data }, BASE), 'returns.data[7] (row 2, column 1)', 'Infinity');
    const strings = ROWS.map((r) => r.map(String));
    paramsError(() => call(strings, BASE), 'returns[0][0]', 'a finite number');
  });

  test('ragged rows, bad asset names and unknown keys are refused', () => {
    paramsError(() => call([[0.1, 0.2], [0.1]], BASE), 'returns[1] (row 1)', '2 values');
    paramsError(
      () => call({ assets: ['A', 'B'], returns: ROWS }, BASE),
      'returns.returns[0] (row 0)',
      'one per asset',
    );
    paramsError(() => call({ assets: ['A', 'A', 'B'], returns: ROWS }, BASE), 'returns.assets[1]', '"A"');
    paramsError(() => call({ assets: ['A', '', 'B'], returns: ROWS }, BASE), 'returns.assets[1]');
    paramsError(
      () => call({ assets: ['A', 'B', 'C'], retruns: ROWS }, BASE),
      'unknown key',
      'did you mean "returns"',
    );
    paramsError(
      () => call({ rows: 80, cols: 3, data: MATRIX.data, colz: 3 }, BASE),
      'returns.colz',
      'unknown key',
    );
  });

  test('a returns argument of no known shape is E_PARAMS listing the shapes', () => {
    for (const bad of [undefined, null, 42, 'csv', {}, new Float64Array(4)]) {
      paramsError(() => call(bad, BASE), 'returns: received', 'number[][]');
    }
  });

  test('labels must match the columns, and come from assets with a labelled input', () => {
    paramsError(() => call(MATRIX, { ...BASE, labels: ['a', 'b'] }), 'options.labels', '3 names');
    paramsError(
      () => call({ assets: ['A', 'B', 'C'], returns: ROWS }, { ...BASE, labels: ['a', 'b', 'c'] }),
      'options.labels',
    );
    const r = optimizePortfolio(MATRIX, { ...BASE, labels: ['a', 'b', 'c'] });
    assert.equal(r.weights.length, 3, 'labels accepted when one per column');
  });

  test('an asset name is used in a numeric error of a labelled input', () => {
    const rows = ROWS.map((r) => [r[0] as number, r[1] as number, 0]);
    let caught: unknown;
    try {
      optimizePortfolio(
        { assets: ['A', 'B', 'cash'], returns: rows },
        { method: 'inverse_variance', periodsPerYear: 252 },
      );
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof QuantError, `a QuantError for a zero-variance asset, got ${String(caught)}`);
    assert.ok(caught.message.includes('cash'), `the asset is named: ${caught.message}`);
  });
});
