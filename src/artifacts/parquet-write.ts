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
