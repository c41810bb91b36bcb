/**
 * Writing Parquet tables (hyparquet-writer, pure JS): the date column first (date32 or UTF-8 string), then
 * one float64 column per series, missing values as Parquet nulls (pandas reads NaN), one row group, Snappy.
 * The bytes are built in memory and written atomically; the same table gives the same bytes.
 */
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { writeFileAtomic } from './atomic-write.js';
import { assertWritableTable, isoDayToEpochDay, type NumericTable } from './numeric-table.js';

/** How the date column is stored: Parquet DATE (`date32`, default) or a UTF-8 `YYYY-MM-DD` string. */
export type ParquetDateType = 'date32' | 'string';

export interface WriteParquetOptions {
  readonly dateType?: ParquetDateType;
  readonly dateColumn?: string;
}

/** Parquet bytes of a table (see the module comment). Same table and options → identical bytes. */
export function encodeParquetTable(table: NumericTable, options: WriteParquetOptions = {}): Uint8Array {
  const dateColumn = options.dateColumn ?? 'date';
  const dateType = options.dateType ?? 'date32';
  const schema: SchemaElement[] = [
    { name: 'root', num_children: table.columns.length + 1 },
    dateType === 'date32'
      ? {
          name: dateColumn,
          type: 'INT32',
          converted_type: 'DATE',
          logical_type: { type: 'DATE' },
          repetition_type: 'REQUIRED',
        }
      : {
          name: dateColumn,
          type: 'BYTE_ARRAY',
          converted_type: 'UTF8',
          logical_type: { type: 'STRING' },
          repetition_type: 'REQUIRED',
        },
  ];
  const columnData: ColumnSource[] = [
    {
      name: dateColumn,
      data: dateType === 'date32' ? Int32Array.from(table.dates, isoDayToEpochDay) : [...table.dates],
    },
  ];
  table.columns.forEach((name, j) => {
    const col = table.values[j] as Float64Array;
    schema.push({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
    // Nulls, not NaN: Parquet's missing marker, which DuckDB and polars treat as missing too.
    const data = col.some(Number.isNaN) ? Array.from(col, (v) => (Number.isNaN(v) ? null : v)) : col;
    columnData.push({ name, data });
  });
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    rowGroupSize: Math.max(1, table.dates.length),
    createdBy: 'metafolio',
  });
  return new Uint8Array(buffer);
}

/** Atomically write a table as Parquet; `E_OUTPUT` for a malformed table (see `assertWritableTable`). */
export async function writeParquetTable(
  path: string,
  table: NumericTable,
  options: WriteParquetOptions = {},
): Promise<void> {
  assertWritableTable(path, table, options.dateColumn ?? 'date');
  await writeFileAtomic(path, encodeParquetTable(table, options));
}

/** A column of a record table: UTF-8 strings or float64 values (NaN stored as null). */
export type RecordColumn =
  | { readonly name: string; readonly type: 'string'; readonly values: readonly string[] }
  | { readonly name: string; readonly type: 'double'; readonly values: ArrayLike<number> };

/**
 * Parquet bytes of a table without a date index (one row per record, e.g. one per sleeve or asset):
 * the columns in the order given, strings required, doubles optional (NaN → null), one row group.
 * Same columns → identical bytes.
 */
function encodeParquetRecords(columns: readonly RecordColumn[]): Uint8Array {
  const rows = columns[0]?.values.length ?? 0;
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  const columnData: ColumnSource[] = [];
  for (const c of columns) {
    if (c.values.length !== rows)
      throw new RangeError(`column ${c.name} has ${c.values.length} rows, not ${rows}`);
    if (c.type === 'string') {
      schema.push({
        name: c.name,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
        repetition_type: 'REQUIRED',
      });
      columnData.push({ name: c.name, data: [...c.values] });
    } else {
      schema.push({ name: c.name, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
      columnData.push({ name: c.name, data: Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)) });
    }
  }
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    rowGroupSize: Math.max(1, rows),
    createdBy: 'metafolio',
  });
  return new Uint8Array(buffer);
}

/** Atomically write a record table as Parquet (see {@link encodeParquetRecords}). */
export async function writeParquetRecords(path: string, columns: readonly RecordColumn[]): Promise<void> {
  await writeFileAtomic(path, encodeParquetRecords(columns));
}
