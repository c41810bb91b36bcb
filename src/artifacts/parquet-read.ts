/**
 * Reading Parquet tables (hyparquet, pure JS), including files from pandas/pyarrow: dates as date32,
 * timestamps of any unit (read as their UTC calendar day, with a warning when one is not at midnight UTC)
 * or ISO strings (the calendar day written); numbers as
 * float64/float32/int32/int64/decimal; pandas index columns (file metadata) are not value columns.
 * Codecs: uncompressed and Snappy (pandas' and DuckDB's default); others are `E_INPUT_FORMAT`.
 */
import {
  parquetMetadata,
  parquetRead,
  parquetReadObjects,
  parquetSchema,
  type DecodedArray,
  type FileMetaData,
  type SchemaElement,
} from 'hyparquet';
import { QuantError } from '../errors.js';
import { RESERVED_NAME } from '../util/own.js';
import { assertParquetStructure } from './_parquet-guard.js';
import { decodePlainColumn } from './_parquet-plain.js';
import { CODEC_HINT, PAGE_DECOMPRESSORS } from './_page-codecs.js';
import { createDayParsers, type DayParsers, type OffMidnight } from './_parquet-timestamps.js';
import { RESERVED_COLUMN } from './numeric-table.js';
import {
  assertPrintableColumnName,
  assertStrictlyIncreasing,
  epochDayToIsoDay,
  FIRST_EPOCH_DAY,
  LAST_EPOCH_DAY,
  normalizeIsoDay,
  resolveDateColumn,
  type ReadTableOptions,
  type ReadTableResult,
} from './numeric-table.js';

const TEMPORAL = new Set([
  'DATE',
  'TIME_MILLIS',
  'TIME_MICROS',
  'TIMESTAMP_MILLIS',
  'TIMESTAMP_MICROS',
  'INTERVAL',
]);

function dateKind(el: SchemaElement): 'days' | 'string' | undefined {
  const ct = el.converted_type;
  const lt = el.logical_type?.type;
  if (el.type === 'INT32' && (ct === 'DATE' || lt === 'DATE')) return 'days';
  if (el.type === 'INT64' && (ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || lt === 'TIMESTAMP'))
    return 'days';
  if (el.type === 'INT96') return 'days';
  if (
    el.type === 'BYTE_ARRAY' &&
    (ct === undefined || ct === 'UTF8') &&
    (lt === undefined || lt === 'STRING')
  )
    return 'string';
  return undefined;
}

function isNumeric(el: SchemaElement): boolean {
  if (el.converted_type === 'DECIMAL' || el.logical_type?.type === 'FLOAT16') return true;
  if (el.converted_type !== undefined && TEMPORAL.has(el.converted_type)) return false;
  const lt = el.logical_type?.type;
  if (lt === 'DATE' || lt === 'TIME' || lt === 'TIMESTAMP') return false;
  return el.type === 'DOUBLE' || el.type === 'FLOAT' || el.type === 'INT32' || el.type === 'INT64';
}

function describeType(el: SchemaElement): string {
  return [el.type ?? 'group', el.converted_type, el.logical_type?.type]
    .filter((x) => x !== undefined)
    .join('/');
}

function formatError(file: string, message: string, cause?: unknown, hint?: string): QuantError {
  return new QuantError('E_INPUT_FORMAT', `${file}: ${message}`, {
    location: { file },
    ...(hint === undefined ? {} : { hint }),
    ...(cause === undefined ? {} : { cause }),
  });
}

function pandasIndexColumns(metadata: FileMetaData): string[] {
  const raw = metadata.key_value_metadata?.find((kv) => kv.key === 'pandas')?.value;
  if (raw === undefined) return [];
  try {
    const parsed = JSON.parse(raw) as { index_columns?: unknown };
    return Array.isArray(parsed.index_columns)
      ? parsed.index_columns.filter((c): c is string => typeof c === 'string')
      : [];
  } catch {
    return [];
  }
}

interface Chunk {
  readonly data: DecodedArray;
  readonly rowStart: number;
}

type SchemaNode = ReturnType<typeof parquetSchema>['children'][number];

/** The file's bytes as a buffer, its footer metadata and top-level schema columns; `E_INPUT_FORMAT` if unreadable. */
function openParquet(
  file: string,
  bytes: Uint8Array,
): { buffer: ArrayBuffer; metadata: FileMetaData; top: SchemaNode[] } {
  const magic = (at: number): boolean => String.fromCharCode(...bytes.subarray(at, at + 4)) === 'PAR1';
  if (bytes.length < 12 || !magic(0) || !magic(bytes.length - 4)) {
    throw formatError(
      file,
      'not a Parquet file (no PAR1 magic bytes)',
      undefined,
      'check the extension: .parquet files must be Parquet, anything else is read as CSV',
    );
  }
  // hyparquet takes an ArrayBuffer: the bytes' own when they fill it (a file read whole), else a copy.
  // Nothing here writes to it.
  const whole =
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength;
  const buffer = whole
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  try {
    // No GeoParquet marking: the tables hold no geometry, and hyparquet's marking loops forever on a schema
    // element with a negative child count (found by fuzzing: test/fixtures/bad/parquet/fuzz-negative-children.parquet).
    const metadata = parquetMetadata(buffer, { geoparquet: false });
    return { buffer, metadata, top: parquetSchema(metadata).children };
  } catch (error) {
    throw formatError(file, `unreadable Parquet footer (${(error as Error).message})`, error);
  }
}

/**
 * How the date column decodes and which columns hold values (all but the date and pandas index columns):
 * a date column that is no date, or a value column that is not numeric, is `E_INPUT_COLUMN`.
 */
function classifyColumns(
  file: string,
  top: readonly SchemaNode[],
  dateColumn: string,
  indexColumns: readonly string[],
): { kind: 'days' | 'string'; valueNames: string[] } {
  const columnError = (column: string, message: string, hint?: string): QuantError =>
    new QuantError('E_INPUT_COLUMN', `${file} column ${column}: ${message}`, {
      location: { file, column },
      ...(hint === undefined ? {} : { hint }),
    });
  const dateNode = top.find((c) => c.element.name === dateColumn);
  const kind =
    dateNode === undefined || dateNode.children.length > 0 ? undefined : dateKind(dateNode.element);
  if (dateNode === undefined || kind === undefined) {
    throw columnError(
      dateColumn,
      `type ${dateNode === undefined ? '?' : describeType(dateNode.element)} is not a date, timestamp or ISO string`,
      'store dates as date32, a timestamp or YYYY-MM-DD strings',
    );
  }
  const valueNames: string[] = [];
  for (const node of top) {
    const name = node.element.name;
    if (name === dateColumn || indexColumns.includes(name)) continue;
    if (node.children.length > 0 || !isNumeric(node.element)) {
      throw columnError(
        name,
        `type ${describeType(node.element)} is not numeric`,
        'keep only the date column and numeric columns in the file',
      );
    }
    valueNames.push(name);
  }
  return { kind, valueNames };
}

/**
 * Decode `columns` into chunks per column name; a decoding failure (codec, corruption) is `E_INPUT_FORMAT`:
 * `explain` first (which throws the error naming the column when it finds the cause), else a general one.
 */
async function decodeColumns(
  file: string,
  buffer: ArrayBuffer,
  metadata: FileMetaData,
  columns: string[],
  parsers: DayParsers['parsers'],
  explain: () => void,
): Promise<Map<string, Chunk[]>> {
  const chunks = new Map<string, Chunk[]>();
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns,
      parsers,
      compressors: { ...PAGE_DECOMPRESSORS },
      onChunk: (c) => {
        const list = chunks.get(c.columnName) ?? [];
        list.push({ data: c.columnData, rowStart: c.rowStart });
        chunks.set(c.columnName, list);
      },
    });
  } catch (error) {
    explain();
    const reason = (error as Error).message;
    throw formatError(
      file,
      `cannot decode (${reason})`,
      error,
      /compression|codec/i.test(reason) ? CODEC_HINT : undefined,
    );
  }
  return chunks;
}

/** Parse Parquet bytes into a table; `file` names the source in errors (rows are 1-based data rows). */
export async function parseParquetTable(
  file: string,
  bytes: Uint8Array,
  options: ReadTableOptions = {},
): Promise<ReadTableResult> {
  const allowMissing = options.allowMissing ?? true;
  const { buffer, metadata, top } = openParquet(file, bytes);
  const names = top.map((c) => c.element.name);
  assertColumnNames(file, names);
  const indexColumns = pandasIndexColumns(metadata);
  const dateColumn = resolveDateColumn(file, names, options.dateColumn, indexColumns);
  const { kind, valueNames } = classifyColumns(file, top, dateColumn, indexColumns);
  const checked = new Map(
    top
      .filter((c) => [dateColumn, ...valueNames].includes(c.element.name))
      .map((c) => [c.element.name, c.element]),
  );
  const structure = assertParquetStructure(file, buffer, metadata, checked);
  // PLAIN doubles and dates straight into typed arrays (_parquet-plain.ts); hyparquet decodes the rest.
  const plain = new Map<string, Chunk[]>();
  for (const [name, element] of checked) {
    const decoded = decodePlainColumn(element, structure.get(name) ?? [], metadata.row_groups.length);
    if (decoded !== undefined) plain.set(name, decoded);
  }
  const rest = [dateColumn, ...valueNames].filter((name) => !plain.has(name));
  const days = createDayParsers();
  const chunks =
    rest.length === 0
      ? new Map<string, Chunk[]>()
      : await decodeColumns(file, buffer, metadata, rest, days.parsers, () => {
          assertParquetStructure(file, buffer, metadata, checked, { decompressAll: true });
        });
  for (const [name, decoded] of plain) chunks.set(name, decoded);

  const rows = Number(metadata.num_rows);
  if (rows === 0) throw formatError(file, 'the file has no rows');
  const dates = readDates(file, dateColumn, kind, chunks.get(dateColumn) ?? [], rows);
  assertStrictlyIncreasing(
    file,
    dates,
    (i) => `row ${i + 1}`,
    () => ({ column: dateColumn }),
  );
  const values = valueNames.map((name) =>
    readNumbers(file, name, chunks.get(name) ?? [], rows, allowMissing),
  );
  const warnings = offMidnightWarning(file, dateColumn, dates, days.offMidnight());
  return {
    dates,
    columns: valueNames,
    values,
    dateColumn,
    format: 'parquet',
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}

/** The warning about timestamps not at midnight UTC, naming the first (none when all are at midnight). */
function offMidnightWarning(
  file: string,
  column: string,
  dates: readonly string[],
  off: OffMidnight | undefined,
): string[] {
  if (off === undefined) return [];
  const day = epochDayToIsoDay(off.day);
  return [
    `${file} column ${column}: ${off.text} at row ${dates.indexOf(day) + 1} is not midnight UTC; a timestamp is an instant, each row is read as its UTC date (this one as ${day}) — store dates as date32 or YYYY-MM-DD strings to keep the day you mean`,
  ];
}

function readDates(
  file: string,
  column: string,
  kind: 'days' | 'string',
  chunks: readonly Chunk[],
  rows: number,
): string[] {
  const dates = new Array<string>(rows).fill('');
  let filled = 0;
  for (const { data, rowStart } of chunks) {
    for (let i = 0; i < data.length && rowStart + i < rows; i++) {
      const v: unknown = data[i];
      const row = rowStart + i;
      const day =
        kind === 'days'
          ? typeof v === 'number' && v >= FIRST_EPOCH_DAY && v <= LAST_EPOCH_DAY
            ? epochDayToIsoDay(v)
            : undefined
          : typeof v === 'string'
            ? normalizeIsoDay(v)
            : undefined;
      if (day === undefined) {
        throw new QuantError(
          'E_INPUT_DATES',
          `${file} column ${column}: row ${row + 1}: ${v === null || v === undefined ? 'missing date' : `${JSON.stringify(String(v))} is not a date`}`,
          {
            location: { file, column },
            details: { row: row + 1 },
          },
        );
      }
      dates[row] = day;
      filled++;
    }
  }
  if (filled < rows) throw formatError(file, `column ${column} has ${filled} values for ${rows} rows`);
  return dates;
}

function readNumbers(
  file: string,
  column: string,
  chunks: readonly Chunk[],
  rows: number,
  allowMissing: boolean,
): Float64Array {
  const out = new Float64Array(rows);
  let filled = 0;
  const bad = (row: number, message: string): QuantError =>
    new QuantError('E_INPUT_VALUE', `${file} column ${column}: row ${row + 1}: ${message}`, {
      location: { file, column },
      details: { row: row + 1 },
    });
  for (const { data, rowStart } of chunks) {
    const n = Math.min(data.length, rows - rowStart);
    if (data instanceof Float64Array || data instanceof Float32Array || data instanceof Int32Array) {
      out.set(n === data.length ? data : data.subarray(0, n), rowStart);
    } else {
      for (let i = 0; i < n; i++) {
        const v: unknown = data[i];
        out[rowStart + i] = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN;
      }
    }
    filled += n;
  }
  if (filled < rows) throw formatError(file, `column ${column} has ${filled} values for ${rows} rows`);
  for (let t = 0; t < rows; t++) {
    const v = out[t] as number;
    if (Number.isFinite(v)) continue;
    if (!Number.isNaN(v)) throw bad(t, `${v} is not a finite number`);
    if (!allowMissing) throw bad(t, 'missing value');
  }
  return out;
}

/**
 * Column names are keys of the table: a name twice (hyparquet would merge both columns' chunks into one)
 * is refused like a CSV header that repeats a name, and so is the reserved `__proto__`.
 */
function assertColumnNames(file: string, names: readonly string[]): void {
  names.forEach((name, k) => {
    // A damaged schema can leave a name undefined; the structure guard reports that file later.
    if (typeof name === 'string') assertPrintableColumnName(file, name, `column ${k + 1} of the schema`, {});
    const fail = (message: string, hint: string): never => {
      throw new QuantError('E_INPUT_FORMAT', `${file} column ${name}: ${message}`, {
        location: { file, column: name },
        hint,
      });
    };
    if (names.indexOf(name) !== k)
      fail(
        `the name appears twice in the schema (columns ${names.indexOf(name) + 1} and ${k + 1})`,
        'give every column its own name',
      );
    if (name === RESERVED_NAME) fail(`the name ${RESERVED_COLUMN}`, 'rename the column');
  });
}

/** A cell of a table preview: numbers as numbers, everything else as text, missing as null. */
export type PreviewCell = string | number | null;

function previewCell(value: unknown): PreviewCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) {
    const iso = Number.isNaN(value.getTime()) ? null : value.toISOString();
    return iso === null ? null : iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * Any Parquet file as its row count, its top-level columns and its first `headRows` rows, for display
 * (a table with no date column, e.g. the attribution tables). `E_INPUT_FORMAT` if it cannot be read.
 */
export async function previewParquet(
  file: string,
  bytes: Uint8Array,
  headRows: number,
): Promise<{ rows: number; columns: string[]; head: Record<string, PreviewCell>[] }> {
  const { buffer, metadata, top } = openParquet(file, bytes);
  const columns = top.map((c) => c.element.name);
  assertColumnNames(file, columns);
  const rows = Number(metadata.num_rows);
  let objects: Record<string, unknown>[];
  try {
    objects =
      rows === 0
        ? []
        : await parquetReadObjects({
            file: buffer,
            metadata,
            rowStart: 0,
            rowEnd: Math.min(headRows, rows),
            compressors: { ...PAGE_DECOMPRESSORS },
          });
  } catch (error) {
    throw formatError(file, `cannot decode (${(error as Error).message})`, error);
  }
  const head = objects.map((o) => {
    const row: Record<string, PreviewCell> = {};
    for (const c of columns) row[c] = previewCell(o[c]);
    return row;
  });
  return { rows, columns, head };
}
