import type { MissingPolicy } from '../../util/vocabulary.js';

/**
 * Share of a table's rows above which dropping rows for missing values is reported as a warning (the
 * one definition of "more than 5 %"): dropped rows / rows of the table.
 */
export const MISSING_ROWS_WARNING_SHARE = 0.05;

/** How `ffill` fills a gap: the last price (a level), or 0 (a return: the price did not move). */
export type FillValue = 'last' | 'zero';

export interface MissingDataOptions {
  readonly policy: MissingPolicy;
  /** `ffill`: at most this many consecutive missing cells after an observed value are filled. */
  readonly ffillLimit: number;
  readonly fill: FillValue;
}

/** One asset's part in what was dropped. */
export interface MissingAsset {
  /** Index of the column (into the columns given). */
  readonly column: number;
  /** Rows dropped while this asset had no value there (after any fill). */
  readonly droppedRows: number;
  readonly firstDropped: string | null;
  readonly lastDropped: string | null;
  /** First and last date with a value. */
  readonly firstValue: string | null;
  readonly lastValue: string | null;
  /** Its first value comes after another asset's: rows before it were dropped (a late listing). */
  readonly lateStart: boolean;
  /** Its last value comes before another asset's: rows after it were dropped (a delisting). */
  readonly earlyEnd: boolean;
}

/** What the policy removed and filled, for the artifact and the warning. */
export interface MissingDataReport {
  readonly policy: MissingPolicy;
  readonly ffillLimit: number | null;
  readonly rows: number;
  readonly keptRows: number;
  readonly droppedRows: number;
  /** droppedRows / rows. */
  readonly droppedShare: number;
  readonly firstDropped: string | null;
  readonly lastDropped: string | null;
  readonly filledCells: number;
  /** `drop_assets`: the columns removed (each had a missing value). */
  readonly droppedColumns: readonly MissingAsset[];
  /** The assets missing in dropped rows, most rows first. */
  readonly responsible: readonly MissingAsset[];
  /**
   * More than {@link MISSING_ROWS_WARNING_SHARE} of the rows dropped, a late-starting or early-ending
   * asset that cost rows, or an asset dropped.
   */
  readonly warn: boolean;
}

export interface MissingDataResult {
  /** Indices of the columns kept, ascending. */
  readonly columns: readonly number[];
  /** Indices of the rows kept, ascending. */
  readonly rows: readonly number[];
  /** Per kept column, its values on the kept rows (filled where the policy filled). */
  readonly values: readonly Float64Array[];
  readonly report: MissingDataReport;
}

function forwardFill(
  col: Float64Array,
  limit: number,
  fill: FillValue,
): { col: Float64Array; filled: number } {
  const out = Float64Array.from(col);
  let last = Number.NaN;
  let run = 0;
  let filled = 0;
  for (let t = 0; t < out.length; t++) {
    const v = out[t] as number;
    if (!Number.isNaN(v)) {
      last = v;
      run = 0;
    } else if (!Number.isNaN(last) && run < limit) {
      out[t] = fill === 'last' ? last : 0;
      run++;
      filled++;
    } else {
      run++;
    }
  }
  return { col: out, filled };
}

function valueSpan(col: Float64Array): [number, number] {
  let first = -1;
  let last = -1;
  for (let t = 0; t < col.length; t++) {
    if (Number.isNaN(col[t] as number)) continue;
    if (first < 0) first = t;
    last = t;
  }
  return [first, last];
}

function describeAsset(
  j: number,
  col: Float64Array,
  dropped: readonly number[],
  dates: readonly string[],
  span: { readonly first: number; readonly last: number },
): MissingAsset {
  const mine = dropped.filter((t) => Number.isNaN(col[t] as number));
  const [first, last] = valueSpan(col);
  return {
    column: j,
    droppedRows: mine.length,
    firstDropped: mine.length === 0 ? null : (dates[mine[0] as number] as string),
    lastDropped: mine.length === 0 ? null : (dates[mine[mine.length - 1] as number] as string),
    firstValue: first < 0 ? null : (dates[first] as string),
    lastValue: last < 0 ? null : (dates[last] as string),
    lateStart: first < 0 || first > span.first,
    earlyEnd: last < 0 || last < span.last,
  };
}

/**
 * Apply a missing-data policy to the columns of a table (NaN = missing):
 * - `drop_rows`: drop every row with a missing value in any column;
 * - `drop_assets`: drop every column with a missing value, keep every row;
 * - `ffill`: fill at most `ffillLimit` consecutive missing cells after an observed value (pandas'
 *   `ffill(limit=…)`) with the last value or 0, then drop the rows still missing (values before an
 *   asset's first observation are never filled).
 *
 * @param columns one length-T Float64Array per asset.
 * @param dates the T row dates (for the report).
 */
export function applyMissingPolicy(
  columns: readonly Float64Array[],
  dates: readonly string[],
  options: MissingDataOptions,
): MissingDataResult {
  const T = dates.length;
  let filledCells = 0;
  let cols: Float64Array[] = columns.map((c) => Float64Array.from(c));
  if (options.policy === 'ffill') {
    cols = cols.map((c) => {
      const r = forwardFill(c, options.ffillLimit, options.fill);
      filledCells += r.filled;
      return r.col;
    });
  }
  const spans = cols.map(valueSpan).filter(([first]) => first >= 0);
  const span = {
    first: Math.min(...spans.map(([first]) => first)),
    last: Math.max(...spans.map(([, last]) => last)),
  };
  const hasMissing = (c: Float64Array): boolean => c.some((v) => Number.isNaN(v));
  const keptColumns = cols
    .map((c, j) => j)
    .filter((j) => options.policy !== 'drop_assets' || !hasMissing(cols[j] as Float64Array));
  const rows: number[] = [];
  const dropped: number[] = [];
  for (let t = 0; t < T; t++) {
    (keptColumns.every((j) => !Number.isNaN(cols[j]?.[t] ?? Number.NaN)) ? rows : dropped).push(t);
  }
  const droppedColumns = cols
    .map((c, j) => j)
    .filter((j) => !keptColumns.includes(j))
    .map((j) => describeAsset(j, cols[j] as Float64Array, [], dates, span));
  const responsible = keptColumns
    .map((j) => describeAsset(j, cols[j] as Float64Array, dropped, dates, span))
    .filter((a) => a.droppedRows > 0)
    .sort((a, b) => b.droppedRows - a.droppedRows || a.column - b.column);
  const droppedShare = T === 0 ? 0 : dropped.length / T;
  const report: MissingDataReport = {
    policy: options.policy,
    ffillLimit: options.policy === 'ffill' ? options.ffillLimit : null,
    rows: T,
    keptRows: rows.length,
    droppedRows: dropped.length,
    droppedShare,
    firstDropped: dropped.length === 0 ? null : (dates[dropped[0] as number] as string),
    lastDropped: dropped.length === 0 ? null : (dates[dropped[dropped.length - 1] as number] as string),
    filledCells,
    droppedColumns,
    responsible,
    warn:
      droppedShare > MISSING_ROWS_WARNING_SHARE ||
      droppedColumns.length > 0 ||
      responsible.some((a) => a.lateStart || a.earlyEnd),
  };
  const values = keptColumns.map((j) => Float64Array.from(rows, (t) => cols[j]?.[t] as number));
  return { columns: keptColumns, rows, values, report };
}
