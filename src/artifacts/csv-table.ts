/** CSV tables (d3-dsv): a header row, a date column and numeric columns. */
import { csvFormatRows, csvParseRows } from 'd3-dsv';
import { formatLocation, QuantError } from '../errors.js';
import { RESERVED_NAME } from '../util/own.js';
import { writeFileAtomic } from './atomic-write.js';
import {
  assertStrictlyIncreasing,
  assertWritableTable,
  normalizeIsoDay,
  RESERVED_COLUMN,
  assertPrintableColumnName,
  resolveDateColumn,
  type NumericTable,
  type ReadTableOptions,
  type ReadTableResult,
} from './numeric-table.js';

/** Cell texts read as a missing value (NaN). */
const MISSING_MARKERS: ReadonlySet<string> = new Set(['', 'NaN', 'nan', 'NA', 'null']);

const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function lineBreaks(field: string): number {
  if (!field.includes('\n') && !field.includes('\r')) return 0;
  return field.match(/\r\n|\r|\n/g)?.length ?? 0;
}

function fail(
  code: 'E_INPUT_FORMAT' | 'E_INPUT_VALUE' | 'E_INPUT_DATES',
  file: string,
  line: number,
  message: string,
  column?: string,
  hint?: string,
): never {
  const location = { file, line, ...(column === undefined ? {} : { column }) };
  throw new QuantError(code, `${formatLocation(location)}: ${message}`, {
    location,
    ...(hint === undefined ? {} : { hint }),
  });
}

/**
 * Refuse a header whose value columns are unnamed, repeated or reserved (errors on `line`). Column `skip`
 * is left to the caller (an unnamed first column, refused with the first row that shows what it holds).
 */
function checkHeaderNames(
  file: string,
  line: number,
  names: readonly string[],
  dateIndex: number,
  skip: number,
): void {
  names.forEach((name, k) => {
    if (k === dateIndex || k === skip) return;
    if (name === '')
      fail(
        'E_INPUT_FORMAT',
        file,
        line,
        `column ${k + 1} of the header has no name`,
        undefined,
        k === names.length - 1
          ? 'an empty trailing column: remove the extra separator at the end of the lines'
          : undefined,
      );
    if (names.indexOf(name) !== k)
      fail('E_INPUT_FORMAT', file, line, `column ${JSON.stringify(name)} appears twice in the header`);
    if (name === RESERVED_NAME)
      fail(
        'E_INPUT_FORMAT',
        file,
        line,
        `column ${JSON.stringify(name)} ${RESERVED_COLUMN}`,
        name,
        'rename the column',
      );
  });
}

/** Whether every field of `row` is empty or spaces: a blank line, or a spreadsheet's `,,,` (skipped). */
function blankRow(row: readonly string[]): boolean {
  return row.every((field) => field.trim() === '');
}

/** Whether `cell` is non-empty and holds only the characters 0-9 . e E + -. */
function plainNumberChars(cell: string): boolean {
  if (cell.length === 0) return false;
  for (let i = 0; i < cell.length; i++) {
    const c = cell.charCodeAt(i);
    // 0-9, '+' (43), '-' (45), '.' (46), 'E' (69), 'e' (101)
    if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 69 || c === 101)) return false;
  }
  return true;
}

/** The number in a cell of `column` on `line`: a missing marker is NaN (when allowed), else a finite decimal. */
function parseCell(
  file: string,
  line: number,
  cell: string,
  column: string | undefined,
  allowMissing: boolean,
): number {
  // The common case first: a cell of digits, '.', 'e', 'E', '+' and '-' only is no missing marker, and
  // Number gives a finite value exactly when it is a decimal DECIMAL accepts (empty, overflowing or
  // malformed cells take the checks below and their messages).
  if (plainNumberChars(cell)) {
    const v = Number(cell);
    if (Number.isFinite(v)) return v;
  }
  if (MISSING_MARKERS.has(cell.trim())) {
    if (!allowMissing)
      fail('E_INPUT_VALUE', file, line, 'missing value', column, 'fill the cell or drop the row');
    return Number.NaN;
  }
  if (!DECIMAL.test(cell)) {
    fail(
      'E_INPUT_VALUE',
      file,
      line,
      `${JSON.stringify(cell)} is not a number`,
      column,
      'use plain decimal numbers (e.g. 0.0123, 1e-4); leave the cell empty for a missing value',
    );
  }
  const v = Number(cell);
  if (!Number.isFinite(v))
    fail('E_INPUT_VALUE', file, line, `${cell.trim()} is out of range (overflows to infinity)`, column);
  return v;
}

/** The ISO day of the date cell of a row on `line`, or `E_INPUT_DATES`. */
function parseRowDate(file: string, line: number, rawDate: string, dateColumn: string): string {
  const day = normalizeIsoDay(rawDate);
  if (day === undefined) {
    fail(
      'E_INPUT_DATES',
      file,
      line,
      `${JSON.stringify(rawDate)} is not a date`,
      dateColumn,
      'write dates as YYYY-MM-DD (or ISO datetimes)',
    );
  }
  return day;
}

/**
 * Refuse an unnamed first column beside a named date column (header on `line`). `first` is its cell in
 * the first row: `0` is what pandas writes for a default index (`to_csv` without `index=False`).
 */
function failUnnamedFirst(file: string, line: number, first: string | undefined): never {
  const hint =
    first?.trim() === '0'
      ? 'it looks like a pandas index (0, 1, 2, …): write the file with index=False, or delete the column'
      : 'name the column, or delete it';
  fail('E_INPUT_FORMAT', file, line, 'column 1 of the header has no name', undefined, hint);
}

/** Columns of capacity `cap`, copied into twice the room. */
function grow(cols: readonly Float64Array[], cap: number): Float64Array[] {
  return cols.map((c) => {
    const grown = new Float64Array(cap);
    grown.set(c);
    return grown;
  });
}

/**
 * Parse CSV text into a table. `file` names the source in errors, which carry 1-based line numbers. A BOM
 * and CRLF line ends are accepted; blank lines and rows of empty fields (`,,,`) are skipped; a pandas unnamed index column (empty header) is
 * accepted as the date column when no column has a date column's name (`date`, `Date`, …); beside one, an
 * unnamed first column is refused (a pandas row-number index when it starts at 0).
 */
export function parseCsvTable(file: string, text: string, options: ReadTableOptions = {}): ReadTableResult {
  const allowMissing = options.allowMissing ?? true;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let header: string[] | undefined;
  let dateIndex = -1;
  let headerLine = 1;
  // An unnamed first column that is not the date column: refused with the first row (see failUnnamedFirst).
  let unnamedFirst = false;
  let valueIndex: number[] = [];
  let cap = 256;
  let cols: Float64Array[] = [];
  const dates: string[] = [];
  const lines: number[] = [];
  let line = 1;

  csvParseRows(body, (row) => {
    const rowLine = line;
    line += 1 + row.reduce((acc, f) => acc + lineBreaks(f), 0);
    if (header === undefined) {
      // Blank lines before the header are skipped like any blank line: a file of them is empty.
      if (blankRow(row)) return null;
      header = row.map((h) => h.trim());
      const names = header;
      names.forEach((name, k) =>
        assertPrintableColumnName(file, name, `line ${rowLine}: column ${k + 1} of the header`, {
          line: rowLine,
        }),
      );
      const unnamed = names[0] === '' ? [''] : [];
      const dateColumn = resolveDateColumn(file, names, options.dateColumn, [], unnamed);
      dateIndex = names.indexOf(dateColumn);
      headerLine = rowLine;
      unnamedFirst = names[0] === '' && dateIndex !== 0;
      checkHeaderNames(file, rowLine, names, dateIndex, unnamedFirst ? 0 : -1);
      valueIndex = names.map((_, k) => k).filter((k) => k !== dateIndex);
      cols = valueIndex.map(() => new Float64Array(cap));
      return null;
    }
    if (blankRow(row)) return null;
    if (row.length !== header.length) {
      fail(
        'E_INPUT_FORMAT',
        file,
        rowLine,
        `the row has ${row.length} fields, the header has ${header.length}`,
        undefined,
        'every row needs one field per header column (empty for missing)',
      );
    }
    if (unnamedFirst) failUnnamedFirst(file, headerLine, row[0]);
    const day = parseRowDate(file, rowLine, row[dateIndex] as string, header[dateIndex] as string);
    const t = dates.length;
    if (t === cap) {
      cap *= 2;
      cols = grow(cols, cap);
    }
    for (let j = 0; j < valueIndex.length; j++) {
      const k = valueIndex[j] as number;
      (cols[j] as Float64Array)[t] = parseCell(file, rowLine, row[k] as string, header[k], allowMissing);
    }
    dates.push(day);
    lines.push(rowLine);
    return null;
  });

  if (header === undefined) fail('E_INPUT_FORMAT', file, 1, 'the file is empty; a header row is required');
  if (unnamedFirst) failUnnamedFirst(file, headerLine, undefined);
  if (dates.length === 0) fail('E_INPUT_FORMAT', file, 1, 'the file has a header but no data rows');
  assertStrictlyIncreasing(
    file,
    dates,
    (i) => `line ${lines[i]}`,
    (i) => ({ line: lines[i] as number }),
  );
  const dateColumn = header[dateIndex] as string;
  return {
    dates,
    columns: valueIndex.map((k) => header?.[k] as string),
    values: cols.map((c) => c.slice(0, dates.length)),
    dateColumn,
    format: 'csv',
    lines,
  };
}

/** CSV text of a table: `date` (or `dateColumn`) first, numbers in shortest round-trip form, NaN as empty. */
export function formatCsvTable(table: NumericTable, dateColumn = 'date'): string {
  const rows: string[][] = [[dateColumn, ...table.columns]];
  for (let t = 0; t < table.dates.length; t++) {
    const row = [table.dates[t] as string];
    for (const col of table.values) {
      const v = col[t] as number;
      row.push(Number.isNaN(v) ? '' : String(v));
    }
    rows.push(row);
  }
  return `${csvFormatRows(rows)}\n`;
}

/** Atomically write a table as CSV (see {@link formatCsvTable}); `E_OUTPUT` for a malformed table. */
export async function writeCsvTable(
  path: string,
  table: NumericTable,
  options: { dateColumn?: string } = {},
): Promise<void> {
  const dateColumn = options.dateColumn ?? 'date';
  assertWritableTable(path, table, dateColumn);
  await writeFileAtomic(path, formatCsvTable(table, dateColumn));
}
