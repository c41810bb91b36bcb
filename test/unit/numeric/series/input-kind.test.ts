import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  inputKindFinding,
  lag1Autocorrelation,
  logToSimpleReturns,
  returnScaleFinding,
} from '../../../../src/numeric/series/input-kind.js';
import { loadDatasetReturns } from '../../../helpers/datasets.js';
import { readDailyPrices } from '../../../helpers/resample.js';

const col = (...v: number[]): Float64Array => Float64Array.from(v);
/** The columns of a bundled price table. */
function priceColumns(name: 'swx_prices' | 'gccindex_prices'): Float64Array[] {
  const t = readDailyPrices(name);
  return t.columns.map((_, j) => Float64Array.from(t.rows, (r) => r[j] as number));
}
/** The columns of a bundled table's simple returns. */
function returnColumns(name: 'swx_prices' | 'gccindex_prices'): Float64Array[] {
  const { returns } = loadDatasetReturns(name);
  return Array.from({ length: returns.cols }, (_, j) =>
    Float64Array.from({ length: returns.rows }, (_, t) => returns.data[t * returns.cols + j] as number),
  );
}

describe('inputKindFinding', () => {
  test('real prices and real returns pass as what they are', () => {
    for (const name of ['swx_prices', 'gccindex_prices'] as const) {
      assert.equal(inputKindFinding(priceColumns(name), 'prices'), undefined, `${name} prices`);
      assert.equal(inputKindFinding(returnColumns(name), 'returns'), undefined, `${name} returns`);
      assert.equal(inputKindFinding(returnColumns(name), 'log_returns'), undefined, `${name} log returns`);
    }
  });

  test('SWX prices declared as returns: more than half the values above 1', () => {
    const f = inputKindFinding(priceColumns('swx_prices'), 'returns');
    assert.equal(f?.looksLike, 'prices', 'f?.looksLike');
    assert.equal(f?.column, 0, 'f?.column');
    assert.equal(f?.row, 0, 'f?.row');
    assert.equal(f?.value, 95.88, 'f?.value');
    assert.match(
      f?.evidence ?? '',
      /^1917 of 1917 values \(100\.0 %\) are above 1, a gain of more than 100 % in one period$/,
      "f?.evidence ?? '' matches /^1917 of 1917 values \\(100\\.0 %\\) are above 1, a gain of m…",
    );
  });

  test('a price level below 1 (an FX rate) declared as returns: level-like', () => {
    const fx = Float64Array.from({ length: 40 }, (_, t) => 0.85 + 0.002 * t + 0.001 * Math.sin(t));
    const f = inputKindFinding(
      [returnColumns('swx_prices')[0] as Float64Array, fx.slice(0, 1916)],
      'returns',
    );
    // Column 1 is shorter than column 0: NaN-free and level-like on its own 40 values.
    assert.equal(f?.looksLike, 'prices', 'f?.looksLike');
    assert.equal(f?.column, 1, 'f?.column');
    assert.match(
      f?.evidence ?? '',
      /^all 40 values are positive \(0\.85 to 0\.928964\) with lag-1 autocorrelation 0\.92, like a price level/,
      "f?.evidence ?? '' matches /^all 40 values are positive \\(0\\.85 to 0\\.928964\\) with la…",
    );
  });

  test('small positive cash returns are not mistaken for a level', () => {
    const cash = Float64Array.from({ length: 250 }, (_, t) => 0.0001 + 0.00001 * Math.sin(t / 20));
    assert.ok(lag1Autocorrelation([...cash]) > 0.9, 'cash returns are autocorrelated');
    assert.equal(
      inputKindFinding([cash, cash], 'returns'),
      undefined,
      "inputKindFinding([cash, cash], 'returns')",
    );
  });

  test('SWX returns declared as prices: many non-positive values', () => {
    const f = inputKindFinding(returnColumns('swx_prices'), 'prices');
    assert.equal(f?.looksLike, 'returns', 'f?.looksLike');
    assert.equal(f?.column, 0, 'f?.column');
    assert.match(
      f?.evidence ?? '',
      /^\d+ of 1916 values \(\d+\.\d %\) are zero or negative and every value is within \[-1, 1\]$/,
      "f?.evidence ?? '' matches /^\\d+ of 1916 values \\(\\d+\\.\\d %\\) are zero or negative and…",
    );
  });

  test('a few returns (one negative) declared as prices: every value within [-1, 1]', () => {
    const f = inputKindFinding([col(0.01, -0.02, 0.005)], 'prices');
    assert.equal(f?.looksLike, 'returns', 'f?.looksLike');
    assert.equal(f?.row, 1, 'f?.row');
    assert.equal(f?.value, -0.02, 'f?.value');
  });

  test('percent returns declared as prices: at least 10 % non-positive', () => {
    const pct = Float64Array.from({ length: 50 }, (_, t) => 3 * Math.sin(t));
    assert.equal(
      inputKindFinding([pct], 'prices')?.looksLike,
      'returns',
      "inputKindFinding([pct], 'prices')?.looksLike",
    );
  });

  test('one bad price among real prices is left to the price check', () => {
    assert.equal(
      inputKindFinding([col(100, 0, 102, 103), col(50, 51, 52, 53)], 'prices'),
      undefined,
      "inputKindFinding([col(100, 0, 102, 103), col(50, 51, 52, 53)], 'price…",
    );
    assert.equal(
      inputKindFinding([col(100, 101, 102, 103), col(50, 51, -52, 53)], 'prices'),
      undefined,
      "inputKindFinding([col(100, 101, 102, 103), col(50, 51, -52, 53)], 'pr…",
    );
  });

  test('missing values are ignored', () => {
    assert.equal(
      inputKindFinding([col(Number.NaN, 100, Number.NaN, 101)], 'prices'),
      undefined,
      "inputKindFinding([col(Number.NaN, 100, Number.NaN, 101)], 'prices')",
    );
    assert.equal(
      inputKindFinding([col(Number.NaN, 100, 101, Number.NaN)], 'returns')?.row,
      1,
      "inputKindFinding([col(Number.NaN, 100, 101, Number.NaN)], 'returns')?…",
    );
  });
});

describe('logToSimpleReturns', () => {
  test('exp(r) − 1 exactly, NaN kept', () => {
    const out = logToSimpleReturns(col(0, Math.log(1.1), Math.log(0.5), -3, Number.NaN));
    assert.equal(out[0], 0, 'out[0]');
    assert.ok(Math.abs((out[1] as number) - 0.1) < 1e-15, `${out[1]}`);
    assert.ok(Math.abs((out[2] as number) + 0.5) < 1e-15, `${out[2]}`);
    assert.equal(out[3], Math.expm1(-3), 'out[3]');
    assert.ok(Number.isNaN(out[4] as number), 'NaN stays missing');
  });
});

describe('returnScaleFinding', () => {
  test('daily returns in percent (σ 0.3) are beyond 400 % a year; the same in fractions are not', () => {
    const pct = col(0.3, -0.2, 0.5, -0.4, 0.1, -0.3, 0.35, -0.25);
    const f = returnScaleFinding([col(0.001, -0.002, 0.003, 0.0), pct], 252);
    assert.equal(f?.column, 1, 'the percent column is found');
    assert.ok(Math.abs((f?.limit ?? 0) - 4 / Math.sqrt(252)) < 1e-15, 'limit 4 / √252');
    assert.equal(returnScaleFinding([pct.map((v) => v / 100)], 252), undefined, 'fractions pass');
  });

  test('the limit scales with A: a monthly σ of 0.3 is plausible, a daily one is not', () => {
    const r = col(0.3, -0.3, 0.3, -0.3, 0.3, -0.3);
    assert.equal(returnScaleFinding([r], 12), undefined, 'monthly 0.33 < 1.15');
    assert.notEqual(returnScaleFinding([r], 252), undefined, 'daily 0.33 > 0.252');
  });

  test('bundled daily prices as returns stay below the limit', () => {
    for (const name of ['swx_prices', 'spisector_prices', 'gccindex_prices']) {
      const t = readDailyPrices(name);
      const columns = t.columns.map((_, j) =>
        Float64Array.from(t.rows.slice(1), (row, i) => (row[j] as number) / (t.rows[i]?.[j] as number) - 1),
      );
      assert.equal(returnScaleFinding(columns, 252), undefined, `${name}: no finding`);
    }
  });
});

describe('zero placeholders in a price column', () => {
  test('zeros before the first price are placeholders, not returns: count, first and last row', () => {
    const gold = col(0, 0, 0, 0, 0, 1200, 1210, 1190, 1205, 1220, 0, 0);
    const f = inputKindFinding(
      [col(100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111), gold],
      'prices',
    );
    assert.equal(f?.looksLike, 'placeholders', 'f.looksLike');
    assert.equal(f?.column, 1, 'f.column');
    assert.equal(f?.row, 0, 'f.row');
    assert.equal(f?.lastRow, 11, 'f.lastRow');
    assert.equal(f?.count, 7, 'f.count');
  });

  test('a return column with many zeros still looks like returns', () => {
    const f = inputKindFinding([col(0, 0.01, 0, -0.02, 0, 0.5, 0, 0.01, 0, 0)], 'prices');
    assert.equal(f?.looksLike, 'returns', 'f.looksLike');
  });

  test('negative placeholders (-1, -999) are placeholders too, with their value', () => {
    for (const p of [-1, -999]) {
      const gold = col(p, p, p, 1200, 1210, 1190, 1205, 1220, 1215, 1230, p, p);
      const f = inputKindFinding([gold], 'prices');
      assert.equal(f?.looksLike, 'placeholders', `${p}: f.looksLike`);
      assert.equal(f?.value, p, `${p}: f.value`);
      assert.equal(f?.count, 5, `${p}: f.count`);
      assert.equal(f?.row, 0, `${p}: f.row`);
      assert.equal(f?.lastRow, 11, `${p}: f.lastRow`);
    }
  });

  test('a short run of placeholders in a long price column (below 10 %) is still named', () => {
    const prices = Array.from({ length: 200 }, (_, t) => (t < 5 ? -1 : 100 + (t % 7)));
    const f = inputKindFinding([Float64Array.from(prices)], 'prices');
    assert.equal(f?.looksLike, 'placeholders', 'f.looksLike');
    assert.equal(f?.count, 5, 'f.count');
  });

  test('several placeholder values (0 before listing, -1 after delisting): each with its count', () => {
    const gold = col(0, 0, 0, 0, 1200, 1210, 1190, 1205, 1220, 1215, -1, -1, -1);
    const f = inputKindFinding([gold], 'prices');
    assert.equal(f?.looksLike, 'placeholders', `f.looksLike: ${f?.evidence}`);
    assert.equal(f?.count, 7, 'f.count');
    assert.equal(f?.value, 0, 'f.value: the first cell');
    assert.deepEqual(
      f?.placeholders,
      [
        { value: 0, count: 4 },
        { value: -1, count: 3 },
      ],
      'f.placeholders',
    );
    assert.equal(f?.row, 0, 'f.row');
    assert.equal(f?.lastRow, 12, 'f.lastRow');
    assert.match(f?.evidence ?? '', /7 of 13 values \(53\.8 %\) are zero or -1 among prices/, 'f.evidence');
    const three = inputKindFinding([col(0, 0, -999, -999, 1200, 1210, 1190, 1205, 1220, -1, -1)], 'prices');
    assert.deepEqual(
      three?.placeholders?.map((p) => p.value),
      [0, -999, -1],
      'three values, in the order of their first cells',
    );
  });

  test('mixed non-positive values are not placeholders when one is alone or there are more than 3', () => {
    const single = inputKindFinding([col(0, 0, 0, 1200, 1210, 1190, 1205, 1220, 1215, -5)], 'prices');
    assert.notEqual(single?.looksLike, 'placeholders', 'a value in one cell (-5) is not a placeholder');
    const four = inputKindFinding(
      [col(0, 0, -1, -1, -2, -2, -3, -3, 1200, 1210, 1190, 1205, 1220, 1215, 1230, 1240, 1250)],
      'prices',
    );
    assert.equal(four?.looksLike, 'returns', 'four distinct values are more than placeholders');
  });

  test('negative values of many sizes among prices are not placeholders', () => {
    const f = inputKindFinding([col(-3, -2, 101, 102, 103, -4, 105, 106, 107, 108)], 'prices');
    assert.equal(f?.looksLike, 'returns', 'f.looksLike');
  });
});
