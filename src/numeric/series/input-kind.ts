import type { InputKind } from '../../util/vocabulary.js';

/**
 * Thresholds of the input-kind plausibility checks. A column "looks like returns" when it holds a
 * non-positive value and either all its values are within [−1, 1] or at least 2 of them, and
 * {@link RETURNS_NONPOSITIVE_SHARE} of them, are ≤ 0 — a price column with one bad cell is left to the
 * price check — unless its non-positive cells are placeholders (checked first): at most
 * {@link MAX_PLACEHOLDER_VALUES} values (0, −1, −999), each in 2 or more cells, among prices mostly above 1. A column "looks like prices" when more than half its values are above 1 (a gain of more
 * than 100 % in one period), or when it moves like a level: at least {@link LEVEL_MIN_VALUES} values,
 * all positive, a median of at least {@link LEVEL_MIN_MEDIAN} and a lag-1 autocorrelation of at least
 * {@link LEVEL_MIN_AUTOCORRELATION} (returns have an autocorrelation near 0).
 */
const RETURNS_NONPOSITIVE_SHARE = 0.1;
const LEVEL_MIN_VALUES = 10;
const LEVEL_MIN_MEDIAN = 0.1;
const LEVEL_MIN_AUTOCORRELATION = 0.9;
/** How many distinct placeholder values a price column may mix (0 before listing, −1 after delisting…). */
const MAX_PLACEHOLDER_VALUES = 3;

/** Why a column does not look like its declared kind. */
export interface InputKindFinding {
  /**
   * `returns`: a price table holding returns; `prices`: a return table holding price levels;
   * `placeholders`: a price column with cells of a few non-positive values among prices, e.g. 0 before
   * listing and −1 after delisting ({@link InputKindFinding.value} is the first cell's value,
   * {@link InputKindFinding.placeholders} each value and its count).
   */
  readonly looksLike: 'returns' | 'prices' | 'placeholders';
  /** Index of the column (into the columns given). */
  readonly column: number;
  /** Row of the first value that gives it away. */
  readonly row: number;
  readonly value: number;
  /** One clause with the evidence: `812 of 1916 values (42.4 %) are zero or negative`. */
  readonly evidence: string;
  /** `placeholders`: how many cells hold a placeholder and the row of the last. */
  readonly count?: number;
  readonly lastRow?: number;
  /** `placeholders`: each placeholder value with its count, in the order of their first cells. */
  readonly placeholders?: readonly { readonly value: number; readonly count: number }[];
}

const short = (x: number): string => String(Number(x.toPrecision(6)));
const share = (k: number, n: number): string => `${k} of ${n} values (${((k / n) * 100).toFixed(1)} %)`;

function finiteValues(col: Float64Array): { values: number[]; rows: number[] } {
  const values: number[] = [];
  const rows: number[] = [];
  for (let t = 0; t < col.length; t++) {
    const v = col[t] as number;
    if (!Number.isNaN(v)) {
      values.push(v);
      rows.push(t);
    }
  }
  return { values, rows };
}

/** Lag-1 autocorrelation Σ(x_t − m)(x_{t+1} − m) / Σ(x_t − m)²; 0 for a constant series. */
export function lag1Autocorrelation(x: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const m = x.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  for (let t = 0; t < n; t++) {
    const d = (x[t] as number) - m;
    den += d * d;
    if (t + 1 < n) num += d * ((x[t + 1] as number) - m);
  }
  return den === 0 ? 0 : num / den;
}

/** A value as the messages print it: 0 as `zero`, others as written (`-999`). */
const placeholderName = (v: number): string => (v === 0 ? 'zero' : short(v));

/**
 * Placeholders for missing prices (0, −1 or −999 before listing or after delisting): the column's
 * non-positive cells hold at most {@link MAX_PLACEHOLDER_VALUES} values, each in 2 or more cells (a stray
 * bad value is left to the price check), and its positive values are mostly above 1 (a gain of over
 * 100 % if they were returns). Percent returns have negative values of many sizes, few of them repeated.
 */
function asPlaceholders(
  values: readonly number[],
  rows: readonly number[],
  column: number,
): InputKindFinding | undefined {
  const first = values.findIndex((v) => v <= 0);
  const counts = new Map<number, number>();
  let count = 0;
  let last = first;
  for (let i = first; i < values.length; i++) {
    const v = values[i] as number;
    if (v > 0) continue;
    // A Map keeps −0 and 0 as one key (0).
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (counts.size > MAX_PLACEHOLDER_VALUES) return undefined;
    count++;
    last = i;
  }
  const positive = values.filter((v) => v > 0);
  if ([...counts.values()].some((k) => k < 2) || positive.filter((v) => v > 1).length <= positive.length / 2)
    return undefined;
  const placeholders = [...counts].map(([value, k]) => ({ value, count: k }));
  const what = placeholders.map((p) => placeholderName(p.value)).join(' or ');
  return {
    looksLike: 'placeholders',
    column,
    row: rows[first] as number,
    value: (placeholders[0] as { value: number }).value,
    evidence: `${share(count, values.length)} are ${what} among prices`,
    count,
    lastRow: rows[last] as number,
    placeholders,
  };
}

function asPrices(col: Float64Array, column: number): InputKindFinding | undefined {
  const { values, rows } = finiteValues(col);
  const first = values.findIndex((v) => v <= 0);
  if (first < 0) return undefined;
  const placeholders = asPlaceholders(values, rows, column);
  if (placeholders !== undefined) return placeholders;
  const nonPositive = values.filter((v) => v <= 0).length;
  const withinOne = values.every((v) => Math.abs(v) <= 1);
  const many = nonPositive >= 2 && nonPositive >= RETURNS_NONPOSITIVE_SHARE * values.length;
  if (!withinOne && !many) return undefined;
  const evidence = withinOne
    ? `${share(nonPositive, values.length)} are zero or negative and every value is within [-1, 1]`
    : `${share(nonPositive, values.length)} are zero or negative`;
  return {
    looksLike: 'returns',
    column,
    row: rows[first] as number,
    value: values[first] as number,
    evidence,
  };
}

function asReturns(col: Float64Array, column: number): InputKindFinding | undefined {
  const { values, rows } = finiteValues(col);
  if (values.length === 0) return undefined;
  const above = values.filter((v) => v > 1).length;
  if (above > values.length / 2) {
    const first = values.findIndex((v) => v > 1);
    return {
      looksLike: 'prices',
      column,
      row: rows[first] as number,
      value: values[first] as number,
      evidence: `${share(above, values.length)} are above 1, a gain of more than 100 % in one period`,
    };
  }
  if (values.length < LEVEL_MIN_VALUES || values.some((v) => !(v > 0))) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const rho = lag1Autocorrelation(values);
  if (median < LEVEL_MIN_MEDIAN || rho < LEVEL_MIN_AUTOCORRELATION) return undefined;
  return {
    looksLike: 'prices',
    column,
    row: rows[0] as number,
    value: values[0] as number,
    evidence:
      `all ${values.length} values are positive (${short(sorted[0] as number)} to ${short(sorted[sorted.length - 1] as number)}) with lag-1 ` +
      `autocorrelation ${rho.toFixed(2)}, like a price level rather than returns`,
  };
}

/**
 * The first column (in column order) whose values do not look like `kind`, or `undefined` when every
 * column is plausible. Missing values (NaN) are ignored. See the thresholds above.
 *
 * @param columns one Float64Array per asset, rows oldest first.
 */
export function inputKindFinding(
  columns: readonly Float64Array[],
  kind: InputKind,
): InputKindFinding | undefined {
  for (let j = 0; j < columns.length; j++) {
    const col = columns[j] as Float64Array;
    const finding = kind === 'prices' ? asPrices(col, j) : asReturns(col, j);
    if (finding !== undefined) return finding;
  }
  return undefined;
}

/**
 * Annualised volatility (σ per period × √A) above which a return column is taken for percentages: 4,
 * i.e. 400 % a year — a daily σ of 0.252 at A = 252, monthly 1.15, annual 4. The most volatile traded
 * assets (single small caps, crypto at its wildest) stay below 200 %; daily percent returns of even a
 * bond fund (σ ≈ 0.3 in percent) are above.
 */
export const MAX_ANNUAL_VOLATILITY = 4;

/** A return column whose spread is beyond any real asset's. */
export interface ReturnScaleFinding {
  readonly column: number;
  /** Sample standard deviation per period (ddof 1). */
  readonly sd: number;
  /** The largest plausible σ per period: {@link MAX_ANNUAL_VOLATILITY} / √A. */
  readonly limit: number;
}

/**
 * The first column of simple returns whose per-period standard deviation exceeds
 * {@link MAX_ANNUAL_VOLATILITY} / √`periodsPerYear` (returns written in percent), or `undefined`.
 *
 * @param columns one Float64Array of simple returns per asset (NaN ignored).
 */
export function returnScaleFinding(
  columns: readonly Float64Array[],
  periodsPerYear: number,
): ReturnScaleFinding | undefined {
  const limit = MAX_ANNUAL_VOLATILITY / Math.sqrt(periodsPerYear);
  for (let j = 0; j < columns.length; j++) {
    const { values } = finiteValues(columns[j] as Float64Array);
    if (values.length < 2) continue;
    const m = values.reduce((a, v) => a + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
    if (sd > limit) return { column: j, sd, limit };
  }
  return undefined;
}

/** Simple returns of log returns, exactly: exp(l) − 1 (NaN stays NaN). */
export function logToSimpleReturns(col: Float64Array): Float64Array {
  return col.map((l) => Math.expm1(l));
}
