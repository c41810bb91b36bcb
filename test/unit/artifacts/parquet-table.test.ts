import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { parseParquetTable } from '../../../src/artifacts/parquet-read.js';
import { encodeParquetTable, writeParquetTable } from '../../../src/artifacts/parquet-write.js';
import type { NumericTable } from '../../../src/artifacts/numeric-table.js';
import { readReturnSeries, readTable } from '../../../src/artifacts/tables.js';
import { quantError, tempDir } from './_temp.js';

const table: NumericTable = {
  dates: ['1999-12-31', '2024-01-02', '2024-01-03'],
  columns: ['sleeve_a', 'sleeve b'],
  values: [new Float64Array([0.1 + 0.2, Number.NaN, -1e-300]), new Float64Array([1, 2, 3])],
};

function foreign(columnData: ColumnSource[], schema: SchemaElement[], pandasIndex?: string[]): Uint8Array {
  const kvMetadata =
    pandasIndex === undefined
      ? []
      : [{ key: 'pandas', value: JSON.stringify({ index_columns: pandasIndex }) }];
  return new Uint8Array(
    parquetWriteBuffer({
      columnData,
      schema: [{ name: 'root', num_children: columnData.length }, ...schema],
      kvMetadata,
    }),
  );
}

describe('Parquet tables', () => {
  for (const dateType of ['date32', 'string'] as const) {
    test(`round trip with ${dateType} dates: exact values, NaN kept as missing, identical bytes on rewrite`, async () => {
      const dir = tempDir();
      const a = join(dir, 'a.parquet');
      await writeParquetTable(a, table, { dateType });
      await writeParquetTable(join(dir, 'b.parquet'), table, { dateType });
      assert.ok(readFileSync(a).equals(readFileSync(join(dir, 'b.parquet'))), 'deterministic bytes');
      const back = await readTable(a);
      assert.deepEqual(back.dates, table.dates, 'back.dates');
      assert.deepEqual(back.columns, table.columns, 'back.columns');
      assert.deepEqual(back.values, table.values, 'back.values'); // deepEqual treats NaN as equal to NaN
      assert.equal(back.format, 'parquet', 'back.format');
    });
  }

  test('the written schema: date first (DATE), float64 columns, nulls for missing — as hyparquet reads it', async () => {
    const bytes = encodeParquetTable(table);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(buffer);
    assert.deepEqual(
      meta.schema.slice(1).map((e) => [e.name, e.type, e.converted_type ?? null]),
      [
        ['date', 'INT32', 'DATE'],
        ['sleeve_a', 'DOUBLE', null],
        ['sleeve b', 'DOUBLE', null],
      ],
      'meta.schema.slice(1).map((e) => [e.name, e.type, e.converted_type ?? …',
    );
    assert.equal(meta.row_groups.length, 1, 'meta.row_groups.length');
    const rows = await parquetReadObjects({ file: buffer });
    assert.equal(
      (rows[1]!['date'] as Date).toISOString(),
      '2024-01-02T00:00:00.000Z',
      "(rows[1]['date']).toISOString()",
    );
    assert.equal(rows[1]!['sleeve_a'], null, "rows[1]['sleeve_a']");
    assert.equal(rows[0]!['sleeve_a'], 0.30000000000000004, "rows[0]['sleeve_a']");
  });

  test('an empty table writes and reads as a file with no rows (E_INPUT_FORMAT)', async () => {
    const file = join(tempDir(), 'e.parquet');
    await writeParquetTable(file, { dates: [], columns: ['a'], values: [new Float64Array(0)] });
    await assert.rejects(
      readTable(file),
      quantError('E_INPUT_FORMAT', /no rows/),
      'readTable rejects with E_INPUT_FORMAT',
    );
  });

  test('writing refuses malformed tables with E_OUTPUT', async () => {
    const file = join(tempDir(), 'bad.parquet');
    const bad: Array<[NumericTable, RegExp]> = [
      [{ dates: ['2024-01-02'], columns: ['a'], values: [new Float64Array(2)] }, /1 dates/],
      [
        { dates: ['2024-01-02'], columns: ['a', 'b'], values: [new Float64Array(1)] },
        /2 column names but 1 value arrays/,
      ],
      [{ dates: ['2024-01-02'], columns: ['date'], values: [new Float64Array(1)] }, /"date"/],
      [
        { dates: ['2024-01-03', '2024-01-02'], columns: ['a'], values: [new Float64Array(2)] },
        /strictly increasing/,
      ],
      [{ dates: ['2024/01/02'], columns: ['a'], values: [new Float64Array(1)] }, /not YYYY-MM-DD/],
      [
        { dates: ['2024-01-02'], columns: ['a'], values: [new Float64Array([Infinity])] },
        /Infinity at row 1/,
      ],
    ];
    for (const [t, re] of bad)
      await assert.rejects(
        writeParquetTable(file, t),
        quantError('E_OUTPUT', re),
        'writeParquetTable rejects with E_OUTPUT',
      );
  });

  test("the predecessor's layout: one `returns` column, UTC nanosecond index from pandas metadata", async () => {
    const day = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
    const bytes = foreign(
      [
        { name: 'returns', data: new Float64Array([0.01, -0.02, 0.03]) },
        {
          name: '__index_level_0__',
          data: [day('2024-01-02T00:00:00Z'), day('2024-01-03T23:59:59Z'), day('2024-01-04T00:00:00Z') + 1n],
        },
      ],
      [
        { name: 'returns', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        {
          name: '__index_level_0__',
          type: 'INT64',
          repetition_type: 'OPTIONAL',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' },
        },
      ],
      ['__index_level_0__'],
    );
    const file = join(tempDir(), 'hrp_cvxportfolio_hrp.parquet');
    writeFileSync(file, bytes);
    const series = await readReturnSeries(file);
    assert.deepEqual(series.dates, ['2024-01-02', '2024-01-03', '2024-01-04'], 'series.dates');
    assert.deepEqual([...series.values], [0.01, -0.02, 0.03], '[...series.values]');
    assert.equal(series.column, 'returns', 'series.column');
    assert.equal(series.dateColumn, '__index_level_0__', 'series.dateColumn');
  });

  test('a column name with a line break: E_INPUT_VALUE naming the schema position and the character', async () => {
    const bytes = foreign(
      [
        { name: 'date', data: Int32Array.from([19724, 19725]) },
        { name: 'A\r\n| forged | row |', data: new Float64Array([1, 2]) },
      ],
      [
        { name: 'date', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
        { name: 'A\r\n| forged | row |', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ],
    );
    await assert.rejects(
      parseParquetTable('x.parquet', bytes),
      quantError(
        'E_INPUT_VALUE',
        /^x\.parquet: column 2 of the schema is named "A\\u000d\\u000a\| forged \| row \|", which holds U\+000D \(a control character\) at character 2/,
      ),
      'the schema position, the escaped name and the character',
    );
  });

  test('timestamps off midnight UTC: read as their UTC date, with one warning naming the column and the first', async () => {
    const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
    const schema: SchemaElement[] = [
      {
        name: 'date',
        type: 'INT64',
        repetition_type: 'REQUIRED',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' },
      },
      { name: 'A', type: 'DOUBLE', repetition_type: 'REQUIRED' },
    ];
    const values = { name: 'A', data: new Float64Array([1, 2, 3]) };
    // Tokyo midnights as instants: 15:00 UTC of the day before.
    const tokyo = foreign(
      [
        {
          name: 'date',
          data: [ns('2024-01-01T15:00:00Z'), ns('2024-01-02T15:00:00Z') + 5n, ns('2024-01-03T15:00:00Z')],
        },
        values,
      ],
      schema,
    );
    const t = await parseParquetTable('tokyo.parquet', tokyo);
    assert.deepEqual(t.dates, ['2024-01-01', '2024-01-02', '2024-01-03'], 'each row is its UTC date');
    assert.deepEqual(
      t.warnings,
      [
        'tokyo.parquet column date: 2024-01-01T15:00:00Z at row 1 is not midnight UTC; a timestamp is an instant, each row is read as its UTC date (this one as 2024-01-01) — store dates as date32 or YYYY-MM-DD strings to keep the day you mean',
      ],
      'one warning, naming the column, the first timestamp off midnight and the day it was read as',
    );
    const late = foreign(
      [
        {
          name: 'date',
          data: [ns('2024-01-02T00:00:00Z'), ns('2024-01-03T00:00:00Z') + 1n, ns('2024-01-04T00:00:00Z')],
        },
        values,
      ],
      schema,
    );
    assert.match(
      (await parseParquetTable('late.parquet', late)).warnings?.[0] ?? '',
      /^late\.parquet column date: 2024-01-03T00:00:00\.000000001Z at row 2 is not midnight UTC/,
      'a nanosecond past midnight is named to the nanosecond, at its row',
    );
    const midnights = foreign(
      [
        {
          name: 'date',
          data: [ns('2024-01-02T00:00:00Z'), ns('2024-01-03T00:00:00Z'), ns('2024-01-04T00:00:00Z')],
        },
        values,
      ],
      schema,
    );
    assert.equal(
      (await parseParquetTable('m.parquet', midnights)).warnings,
      undefined,
      'midnights: no warning',
    );
  });

  test('timestamps before 1970 floor to the right day; millisecond timestamps in an `index` column', async () => {
    const bytes = foreign(
      [
        { name: 'index', data: [new Date('1969-12-31T12:00:00Z'), new Date('1970-01-01T00:00:00Z')] },
        { name: 'return', data: new Float64Array([1, 2]) },
      ],
      [
        { name: 'index', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
        { name: 'return', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ],
    );
    const t = await parseParquetTable('x.parquet', bytes);
    assert.deepEqual(t.dates, ['1969-12-31', '1970-01-01'], 't.dates');
  });

  test('int32, int64 and float32 value columns and ISO string dates are read as numbers / days', async () => {
    const bytes = foreign(
      [
        { name: 'Datum', data: ['2024-01-02', '2024-01-03T10:00:00+00:00'] },
        { name: 'i32', data: Int32Array.from([1, -2]) },
        { name: 'i64', data: [3n, null] },
        { name: 'f32', data: Float32Array.from([0.5, 0.25]) },
      ],
      [
        { name: 'Datum', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'i32', type: 'INT32', repetition_type: 'REQUIRED' },
        { name: 'i64', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: 'f32', type: 'FLOAT', repetition_type: 'REQUIRED' },
      ],
    );
    const t = await parseParquetTable('x.parquet', bytes, { dateColumn: 'Datum' });
    assert.deepEqual(t.dates, ['2024-01-02', '2024-01-03'], 't.dates');
    assert.deepEqual(
      t.values.map((v) => [...v]),
      [
        [1, -2],
        [3, Number.NaN],
        [0.5, 0.25],
      ],
      't.values.map((v) => [...v])',
    );
    await assert.rejects(
      parseParquetTable('x.parquet', bytes, { dateColumn: 'Datum', allowMissing: false }),
      quantError('E_INPUT_VALUE', /column i64: row 2: missing value/),
      'parseParquetTable rejects with E_INPUT_VALUE',
    );
    await assert.rejects(
      parseParquetTable('x.parquet', bytes),
      quantError('E_INPUT_COLUMN', /x\.parquet: no "date" column .*Datum, i32/),
      'parseParquetTable rejects with E_INPUT_COLUMN',
    );
  });

  test('wrong types and bad rows name the file, column and row', async () => {
    const schema = (dateType: SchemaElement, valueType: SchemaElement): SchemaElement[] => [
      dateType,
      valueType,
    ];
    const numDate = foreign(
      [
        { name: 'date', data: new Float64Array([1, 2]) },
        { name: 'a', data: new Float64Array([1, 2]) },
      ],
      schema(
        { name: 'date', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'a', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ),
    );
    await assert.rejects(
      parseParquetTable('f.parquet', numDate),
      quantError('E_INPUT_COLUMN', /^f\.parquet column date: type DOUBLE is not a date/),
      'parseParquetTable rejects with E_INPUT_COLUMN',
    );
    const textValue = foreign(
      [
        { name: 'date', data: ['2024-01-02'] },
        { name: 'a', data: ['x'] },
      ],
      schema(
        { name: 'date', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'a', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      ),
    );
    await assert.rejects(
      parseParquetTable('f.parquet', textValue),
      quantError('E_INPUT_COLUMN', /^f\.parquet column a: type BYTE_ARRAY\/UTF8 is not numeric/),
      'parseParquetTable rejects with E_INPUT_COLUMN',
    );
    const unsorted = foreign(
      [
        { name: 'date', data: ['2024-01-03', '2024-01-02'] },
        { name: 'a', data: new Float64Array([1, 2]) },
      ],
      schema(
        { name: 'date', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'a', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ),
    );
    await assert.rejects(
      parseParquetTable('f.parquet', unsorted),
      quantError('E_INPUT_DATES', /2024-01-02 at row 2 comes after 2024-01-03 at row 1/),
      'parseParquetTable rejects with E_INPUT_DATES',
    );
    const badDate = foreign(
      [
        { name: 'date', data: ['2024-01-02', 'soon'] },
        { name: 'a', data: new Float64Array([1, 2]) },
      ],
      schema(
        { name: 'date', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'a', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ),
    );
    await assert.rejects(
      parseParquetTable('f.parquet', badDate),
      quantError('E_INPUT_DATES', /^f\.parquet column date: row 2: "soon" is not a date/),
      'parseParquetTable rejects with E_INPUT_DATES',
    );
    const inf = foreign(
      [
        { name: 'date', data: ['2024-01-02'] },
        { name: 'a', data: new Float64Array([Infinity]) },
      ],
      schema(
        { name: 'date', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'a', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ),
    );
    await assert.rejects(
      parseParquetTable('f.parquet', inf),
      quantError('E_INPUT_VALUE', /^f\.parquet column a: row 1: Infinity is not a finite number/),
      'parseParquetTable rejects with E_INPUT_VALUE',
    );
    await assert.rejects(
      parseParquetTable('f.parquet', new TextEncoder().encode('date,a\n2024-01-02,1\n')),
      quantError('E_INPUT_FORMAT', /not a Parquet file/),
      'parseParquetTable rejects with E_INPUT_FORMAT',
    );
  });

  test('readReturnSeries: date,return CSV; a file without a return column is E_INPUT_COLUMN', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hrp.csv'), 'date,return\n2024-01-02,0.01\n2024-01-03,-0.005\n');
    const s = await readReturnSeries(join(dir, 'hrp.csv'));
    assert.deepEqual([...s.values], [0.01, -0.005], '[...s.values]');
    assert.equal(s.column, 'return', 's.column');
    await writeParquetTable(join(dir, 'w.parquet'), table);
    await assert.rejects(
      readReturnSeries(join(dir, 'w.parquet')),
      quantError('E_INPUT_COLUMN', /no "return" column; the columns are sleeve_a, sleeve b/),
      'readReturnSeries rejects with E_INPUT_COLUMN',
    );
  });

  test('2,520 x 500 float64: write and read timings', async (t) => {
    const rows = 2520;
    const cols = 500;
    const dates = Array.from({ length: rows }, (_, i) =>
      new Date(Date.UTC(2015, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
    );
    const values = Array.from({ length: cols }, (_, j) =>
      Float64Array.from({ length: rows }, (_, i) => Math.sin(i * 0.37 + j) * 0.01),
    );
    const big: NumericTable = { dates, columns: values.map((_, j) => `asset_${j}`), values };
    const file = join(tempDir(), 'big.parquet');
    const t0 = performance.now();
    await writeParquetTable(file, big);
    const t1 = performance.now();
    const back = await readTable(file);
    const t2 = performance.now();
    assert.deepEqual(back.values, big.values, 'back.values');
    const csvFile = join(tempDir(), 'big.csv');
    const { writeCsvTable } = await import('../../../src/artifacts/csv-table.js');
    await writeCsvTable(csvFile, big);
    const t3 = performance.now();
    const csvBack = await readTable(csvFile);
    const t4 = performance.now();
    assert.deepEqual(csvBack.values, big.values, 'csvBack.values');
    t.diagnostic(
      `parquet write ${(t1 - t0).toFixed(0)} ms (${(readFileSync(file).length / 1e6).toFixed(1)} MB), read ${(t2 - t1).toFixed(0)} ms; csv read ${(t4 - t3).toFixed(0)} ms`,
    );
    assert.ok(t1 - t0 < 10_000 && t2 - t1 < 10_000, 'interactive at this size');
  });
});
