// The typed-array decoder of src/artifacts/_parquet-plain.ts against hyparquet on random tables: float64
// columns with nulls (none, a few, half, all), signed zeros, subnormals and extremes, date32 dates, PLAIN
// or dictionary-encoded (with repeated values or none), one or several row groups and pages, Snappy or
// uncompressed. Every column of such a file takes the typed-array path, and `parseParquetTable` reads
// the same bits as hyparquet decodes — and as were written.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { assertParquetStructure } from '../../src/artifacts/_parquet-guard.js';
import { decodePlainColumn } from '../../src/artifacts/_parquet-plain.js';
import { parseParquetTable } from '../../src/artifacts/parquet-read.js';
import { epochDayToIsoDay } from '../../src/artifacts/numeric-table.js';
import { encodeParquetTable } from '../../src/artifacts/parquet-write.js';
import { propertyRuns } from '../helpers/property-runs.js';
import { seededRandom } from '../helpers/random.js';

const SPECIAL = [0, -0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, -1e-300, 1, -1];

interface Case {
  readonly rows: number;
  readonly columns: number;
  readonly nullShare: number;
  readonly pageSize: number;
  readonly rowGroupSize: number;
  readonly codec: 'SNAPPY' | 'UNCOMPRESSED';
  /** Columns dictionary-encoded: none, the values, or the dates too. */
  readonly dictionary: 0 | 1 | 2;
  /** Distinct values per column when dictionary-encoded (0: every value its own). */
  readonly distinct: number;
  readonly seed: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  rows: fc.integer({ min: 1, max: 3000 }),
  columns: fc.integer({ min: 1, max: 4 }),
  nullShare: fc.constantFrom(0, 0.01, 0.5, 1),
  pageSize: fc.constantFrom(64, 1000, 1 << 20),
  rowGroupSize: fc.integer({ min: 1, max: 4000 }),
  codec: fc.constantFrom('SNAPPY' as const, 'UNCOMPRESSED' as const),
  dictionary: fc.constantFrom(0 as const, 1 as const, 2 as const),
  distinct: fc.constantFrom(0, 1, 3, 300),
  seed: fc.nat({ max: 1e6 }),
});

/** The table of a case: day numbers from 2000-01-01 on (gaps of 1–3 days) and its float64 columns. */
function tableOf(c: Case): { days: Int32Array; values: Float64Array[] } {
  const random = seededRandom(c.seed);
  const days = new Int32Array(c.rows);
  for (let t = 0, day = 10_957; t < c.rows; t++, day += 1 + Math.floor(random() * 3)) days[t] = day;
  const value = (): number => {
    const r = random();
    return r < 0.05 ? (SPECIAL[Math.floor(random() * SPECIAL.length)] as number) : (r - 0.5) / 10;
  };
  const values = Array.from({ length: c.columns }, () => {
    const pool = Array.from({ length: c.distinct }, value);
    return Float64Array.from({ length: c.rows }, () => {
      if (random() < c.nullShare) return Number.NaN;
      return c.distinct === 0 ? value() : (pool[Math.floor(random() * c.distinct)] as number);
    });
  });
  return { days, values };
}

function write(c: Case, days: Int32Array, values: readonly Float64Array[]): Uint8Array {
  const schema: SchemaElement[] = [
    { name: 'root', num_children: values.length + 1 },
    { name: 'date', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
  ];
  const encoding = (dictionary: boolean): Partial<ColumnSource> =>
    dictionary ? { encoding: 'RLE_DICTIONARY' } : { encoding: 'PLAIN' };
  const columnData: ColumnSource[] = [{ name: 'date', data: days, ...encoding(c.dictionary === 2) }];
  values.forEach((col, j) => {
    schema.push({ name: `s${j}`, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
    columnData.push({
      name: `s${j}`,
      data: Array.from(col, (v) => (Number.isNaN(v) ? null : v)),
      ...encoding(c.dictionary > 0),
    });
  });
  return new Uint8Array(
    parquetWriteBuffer({
      columnData,
      schema,
      codec: c.codec,
      pageSize: c.pageSize,
      rowGroupSize: c.rowGroupSize,
    }),
  );
}

const bufferOf = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** Which columns of the file the typed-array decoder takes (the rest go to hyparquet). */
function plainColumns(bytes: Uint8Array): string[] {
  const buffer = bufferOf(bytes);
  const metadata = parquetMetadata(buffer);
  const elements = new Map(parquetSchema(metadata).children.map((c) => [c.element.name, c.element]));
  const structure = assertParquetStructure('x.parquet', buffer, metadata, elements);
  return [...elements].flatMap(([name, element]) =>
    decodePlainColumn(element, structure.get(name) ?? [], metadata.row_groups.length) === undefined
      ? []
      : [name],
  );
}

describe('PLAIN and dictionary-encoded Parquet columns decoded into typed arrays', () => {
  test('read the same bits as hyparquet decodes and as were written', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const { days, values } = tableOf(c);
        const bytes = write(c, days, values);
        const groups = parquetMetadata(bufferOf(bytes)).row_groups.length;
        assert.equal(groups, Math.ceil(c.rows / c.rowGroupSize), 'row groups as written');
        assert.deepEqual(
          plainColumns(bytes),
          ['date', ...values.map((_, j) => `s${j}`)],
          'every column takes the typed-array path',
        );
        const table = await parseParquetTable('x.parquet', bytes);
        const rows = (await parquetReadObjects({
          file: bufferOf(bytes),
          parsers: { dateFromDays: (v: number) => v },
        })) as Record<string, unknown>[];
        assert.deepEqual(table.dates, Array.from(days, epochDayToIsoDay), 'the dates as written');
        assert.deepEqual(
          table.dates,
          rows.map((r) => epochDayToIsoDay(r['date'] as number)),
          'the dates as hyparquet decodes them',
        );
        values.forEach((col, j) => {
          const got = table.values[j] as Float64Array;
          for (let t = 0; t < c.rows; t++) {
            const raw = rows[t]?.[`s${j}`];
            const hyparquet = raw === null || raw === undefined ? Number.NaN : (raw as number);
            // hyparquet-writer's dictionary keeps one entry for 0 and -0 (a Map key), so a dictionary-encoded
            // -0 is written as 0: the sign is the writer's, the reader is held to hyparquet's bits below.
            const written =
              c.dictionary > 0
                ? got[t] === col[t] || (Number.isNaN(got[t]!) && Number.isNaN(col[t]!))
                : Object.is(got[t], col[t]);
            assert.ok(written, `s${j}[${t}]: ${got[t]} read, ${col[t]} written`);
            assert.ok(Object.is(got[t], hyparquet), `s${j}[${t}]: ${got[t]} read, hyparquet ${hyparquet}`);
          }
        });
      }),
      { numRuns: propertyRuns(120), seed: 20261207 },
    );
  });

  test("metafolio's own files take it for every column", () => {
    const dates = ['2024-01-02', '2024-01-03', '2024-01-05'];
    const bytes = encodeParquetTable({
      dates,
      columns: ['a', 'b'],
      values: [Float64Array.of(0.1, Number.NaN, -0), Float64Array.of(1, 2, 3)],
    });
    assert.deepEqual(plainColumns(bytes), ['date', 'a', 'b'], 'the PLAIN columns');
  });

  test('a date column with a null is left to hyparquet, and the missing date is an error as before', async () => {
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'date', data: [19_000, null, 19_002] },
          { name: 'a', data: Float64Array.of(1, 2, 3) },
        ],
        schema: [
          { name: 'root', num_children: 2 },
          { name: 'date', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
          { name: 'a', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        ],
      }),
    );
    assert.deepEqual(plainColumns(bytes), ['a'], 'only the value column is decoded into a typed array');
    await assert.rejects(
      parseParquetTable('x.parquet', bytes),
      (error: unknown) =>
        (error as { code?: string }).code === 'E_INPUT_DATES' &&
        /^x\.parquet column date: row 2: missing date$/.test((error as Error).message),
      'E_INPUT_DATES naming the row',
    );
  });

  test('other encodings are left to hyparquet', async () => {
    const values = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i) / 100);
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'date', data: Int32Array.from({ length: 200 }, (_, i) => 19_000 + i) },
          { name: 'a', data: values, encoding: 'BYTE_STREAM_SPLIT' },
        ],
        schema: [
          { name: 'root', num_children: 2 },
          { name: 'date', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
          { name: 'a', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        ],
      }),
    );
    assert.deepEqual(plainColumns(bytes), ['date'], 'the byte-stream-split column goes to hyparquet');
    const table = await parseParquetTable('x.parquet', bytes);
    assert.deepEqual([...(table.values[0] ?? [])], [...values], 'and reads as written');
  });
});
