import { QuantError } from '../../errors.js';

/**
 * Optional names for the rows and columns of a T x n matrix. Numeric code finds problems by index;
 * when the caller passes names, messages also carry the date and the asset so a user can find the cell.
 */
export interface SeriesLabels {
  /** One name per column (asset). */
  readonly columns?: readonly string[];
  /** One date per row. */
  readonly dates?: readonly string[];
}

/** `row 12 (2020-01-03), column 3 (SPI)`: indices are 0-based, names added when known. */
function describeCell(row: number, column: number, labels: SeriesLabels | undefined): string {
  const date = labels?.dates?.[row];
  const name = labels?.columns?.[column];
  const r = date === undefined ? `row ${row}` : `row ${row} (${date})`;
  const c = name === undefined ? `column ${column}` : `column ${column} (${name})`;
  return `${r}, ${c}`;
}

/** An `E_INPUT_VALUE` error about one cell, with its indices (and names) in `details`. */
export function cellValueError(
  row: number,
  column: number,
  value: number,
  problem: string,
  hint: string,
  labels: SeriesLabels | undefined,
): QuantError {
  const date = labels?.dates?.[row];
  const name = labels?.columns?.[column];
  const details: Record<string, unknown> = { row, column, value: String(value), problem };
  if (date !== undefined) details['date'] = date;
  if (name !== undefined) details['asset'] = name;
  return new QuantError(
    'E_INPUT_VALUE',
    `${problem} at ${describeCell(row, column, labels)}: ${String(value)}`,
    {
      hint,
      details,
      ...(name === undefined ? {} : { location: { column: name } }),
    },
  );
}
