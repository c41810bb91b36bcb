import { QuantError, formatLocation, isQuantError } from '../errors.js';
import type { NumericTable } from '../artifacts/index.js';
import type { Matrix } from '../numeric/linalg/matrix.js';
import { simpleReturns } from '../numeric/series/simple-returns.js';
import { assertFiniteReturns } from '../numeric/series/validate-returns.js';
import { inferPeriodsPerYear } from '../numeric/series/periods-per-year.js';

export interface ReturnsData {
  readonly assets: string[];
  /** Dates of the return rows. */
  readonly dates: string[];
  readonly returns: Matrix;
  /** Rows dropped because a value was missing. */
  readonly droppedRows: number;
  periodsPerYear(setting: 'auto' | number): number;
}

/**
 * Clean a wide table into a T x n return matrix: select the assets, drop rows with any missing value,
 * turn prices into simple returns (or use returns as given), and validate the values.
 */
export function tableToReturns(
  table: NumericTable,
  options: {
    readonly file: string;
    readonly kind: 'prices' | 'returns';
    readonly assets?: readonly string[] | undefined;
  },
): ReturnsData {
  const assets = options.assets === undefined ? [...table.columns] : [...options.assets];
  const index = assets.map((a) => {
    const i = table.columns.indexOf(a);
    if (i < 0) {
      throw new QuantError('E_INPUT_COLUMN', `column "${a}" is not in ${options.file}`, {
        location: { file: options.file, column: a },
        hint: `available columns: ${table.columns.join(', ')}`,
      });
    }
    return i;
  });
  if (assets.length < 2) {
    throw new QuantError(
      'E_TOO_FEW_ASSETS',
      `${options.file} has ${assets.length} asset column(s); at least 2 are needed`,
      {
        location: { file: options.file },
      },
    );
  }
  const keep: number[] = [];
  for (let t = 0; t < table.dates.length; t++) {
    if (index.every((j) => !Number.isNaN(table.values[j]?.[t] ?? Number.NaN))) keep.push(t);
  }
  const n = assets.length;
  const levels: Matrix = { rows: keep.length, cols: n, data: new Float64Array(keep.length * n) };
  keep.forEach((t, r) => index.forEach((j, c) => (levels.data[r * n + c] = table.values[j]?.[t] as number)));
  const keptDates = keep.map((t) => table.dates[t] as string);
  const minRows = options.kind === 'prices' ? 3 : 2;
  if (keep.length < minRows) {
    throw new QuantError(
      'E_TOO_FEW_OBSERVATIONS',
      `${options.file} has ${keep.length} complete row(s) after dropping rows with missing values; at least ${minRows} are needed`,
      { location: { file: options.file } },
    );
  }
  const names = { columns: assets, dates: keptDates };
  const dates = options.kind === 'prices' ? keptDates.slice(1) : keptDates;
  let returns: Matrix;
  try {
    returns = options.kind === 'prices' ? simpleReturns(levels, names) : levels;
  } catch (error) {
    throw locateCell(error, options.file, table, (row) => keep[row]);
  }
  try {
    assertFiniteReturns(returns, { columns: assets, dates });
  } catch (error) {
    // Return row r comes from table row keep[r + 1] (prices: the later of its two prices) or keep[r].
    throw locateCell(error, options.file, table, (row) => keep[options.kind === 'prices' ? row + 1 : row]);
  }
  return {
    assets,
    dates,
    returns,
    droppedRows: table.dates.length - keep.length,
    periodsPerYear: (setting) => (setting === 'auto' ? inferPeriodsPerYear(dates) : setting),
  };
}

/**
 * A numeric cell error (`E_INPUT_VALUE` with row/column details) restated at its place in the table:
 * the file, the CSV line (or the data row) and the column, then the date, the problem and the value.
 */
function locateCell(
  error: unknown,
  file: string,
  table: NumericTable & { readonly lines?: readonly number[] },
  tableRow: (row: number) => number | undefined,
): unknown {
  if (!isQuantError(error) || error.code !== 'E_INPUT_VALUE') return error;
  const { row, asset, date, problem, value } = error.details as {
    row?: number;
    asset?: string;
    date?: string;
    problem?: string;
    value?: string;
  };
  const t = row === undefined ? undefined : tableRow(row);
  if (t === undefined || asset === undefined || problem === undefined) return error;
  const line = table.lines?.[t];
  const location = { file, column: asset, ...(line === undefined ? {} : { line }) };
  const where =
    line === undefined
      ? `${formatLocation({ file, column: asset })}, row ${t + 1}`
      : formatLocation(location);
  return new QuantError('E_INPUT_VALUE', `${where}: ${problem} on ${date ?? table.dates[t]}: ${value}`, {
    location,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    details: { ...error.details, table_row: t + 1 },
    cause: error,
  });
}

/**
 * A numeric error that names assets by index (`asset 0`, `asset index 3`), restated with the table's
 * column names and the file: the numeric layer knows positions, only the adapter knows the names.
 */
export function nameAssetsInError(error: unknown, file: string, assets: readonly string[]): unknown {
  if (!isQuantError(error)) return error;
  const named = error.message.replace(/\basset (index )?(\d+)\b/g, (all: string, _: string, i: string) => {
    const name = assets[Number(i)];
    return name === undefined ? all : `${all} (${name})`;
  });
  const index = error.details['assetIndex'] ?? error.details['asset'];
  const column = typeof index === 'number' ? assets[index] : undefined;
  return new QuantError(error.code, `${file}: ${named}`, {
    location: { ...error.location, file, ...(column === undefined ? {} : { column }) },
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    issues: error.issues,
    details: error.details,
    cause: error,
  });
}
