/** Reading wide numeric tables and return series from CSV or Parquet (chosen by extension). */
import { statSync, type Stats } from 'node:fs';
import { extname } from 'node:path';
import { QuantError } from '../errors.js';
import { assertConfined } from './file-access.js';
import { parseCsvTable } from './csv-table.js';
import { fsFailure } from './fs-failure.js';
import { readInputBytes, readInputText } from './input-file.js';
import type { ReadTableOptions, ReadTableResult } from './numeric-table.js';
import { parseParquetTable, previewParquet, type PreviewCell } from './parquet-read.js';

const PARQUET_EXTENSIONS = new Set(['.parquet', '.pq']);
const CSV_EXTENSIONS = new Set(['.csv', '.txt']);

export async function assertReadableFile(path: string): Promise<void> {
  await assertConfined(path, 'read');
  let info: Stats | undefined;
  try {
    info = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsFailure(error, `read ${path}`);
  }
  if (info === undefined) {
    throw new QuantError('E_INPUT_NOT_FOUND', `input file ${path} does not exist`, {
      location: { file: path },
      hint: 'check the path (relative paths resolve against the current folder or the manifest folder)',
    });
  }
  if (!info.isFile())
    throw new QuantError('E_INPUT_FORMAT', `${path} is not a file`, { location: { file: path } });
}

/**
 * Read a wide table: a date column and numeric columns, from `.csv` or `.parquet` (`.pq`). Dates become
 * calendar days (a text date the day written, a timestamp its UTC date) and must be strictly increasing; missing cells are NaN unless `allowMissing` is false.
 * Errors: `E_INPUT_NOT_FOUND`, `E_INPUT_FORMAT`, `E_INPUT_COLUMN`, `E_INPUT_VALUE`, `E_INPUT_DATES`, each
 * naming the file and the line (CSV) or row and column; `E_INPUT_TOO_LARGE` above the input limit and
 * `E_INPUT_ENCODING` for a CSV that is not UTF-8 (see input-file.ts).
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<ReadTableResult> {
  await assertReadableFile(path);
  const ext = extname(path).toLowerCase();
  if (PARQUET_EXTENSIONS.has(ext)) return parseParquetTable(path, await readInputBytes(path), options);
  if (CSV_EXTENSIONS.has(ext)) return parseCsvTable(path, await readInputText(path), options);
  throw new QuantError('E_INPUT_FORMAT', `${path}: unsupported file type ${JSON.stringify(ext)}`, {
    location: { file: path },
    hint: 'use a .csv or .parquet file',
  });
}

/** Any Parquet file's row count, columns and first `headRows` rows, for display (see `previewParquet`). */
export async function readParquetPreview(
  path: string,
  headRows: number,
): Promise<{ rows: number; columns: string[]; head: Record<string, PreviewCell>[] }> {
  await assertReadableFile(path);
  return previewParquet(path, await readInputBytes(path), headRows);
}

/** One return stream: UTC calendar days and simple returns. */
export interface ReturnSeries {
  readonly dates: readonly string[];
  readonly values: Float64Array;
  /** The column the returns came from (`return`, or the predecessor's `returns`). */
  readonly column: string;
  readonly dateColumn: string;
  /** CSV: the 1-based line of each row. */
  readonly lines?: readonly number[];
}

/** Column names of a return stream, in order of preference. */
const RETURN_COLUMN_NAMES = ['return', 'returns'] as const;

/**
 * Read a return stream: `date,return` (DESIGN §4) or the predecessor's single `returns` column with a UTC
 * datetime index (e.g. `__index_level_0__`), normalised to calendar days. Other columns are ignored.
 */
export async function readReturnSeries(
  path: string,
  options: Pick<ReadTableOptions, 'allowMissing' | 'dateColumn'> = {},
): Promise<ReturnSeries> {
  const table = await readTable(path, options);
  const column = RETURN_COLUMN_NAMES.find((c) => table.columns.includes(c));
  if (column === undefined) {
    throw new QuantError(
      'E_INPUT_COLUMN',
      `${path}: no "return" column; the columns are ${table.columns.join(', ') || '(none)'}`,
      {
        location: { file: path, column: 'return' },
        hint: 'a return stream has the columns date,return (simple daily returns)',
      },
    );
  }
  return {
    dates: table.dates,
    values: table.values[table.columns.indexOf(column)] as Float64Array,
    column,
    dateColumn: table.dateColumn,
    ...(table.lines === undefined ? {} : { lines: table.lines }),
  };
}
