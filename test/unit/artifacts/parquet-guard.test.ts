// Damaged Parquet files found by fuzzing (test/fixtures/bad/parquet/fuzz-*.parquet) are coded errors, each
// after little work (CPU time, not elapsed time) — before the structural checks of _parquet-guard.ts one of
// them kept hyparquet busy for minutes and three threw internal errors; later ones looped in hyparquet's
// GeoParquet marking of the footer and took seconds in its Snappy decoder — while files of a foreign writer
// (DuckDB: data pages V1 and V2, Snappy and none, dictionary encoding, nulls, several row groups) still read
// exactly as hyparquet decodes them.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { PAGE_DECOMPRESSORS } from '../../../src/artifacts/_page-codecs.js';
import { parseParquetTable } from '../../../src/artifacts/parquet-read.js';
import { encodeParquetTable } from '../../../src/artifacts/parquet-write.js';
import { REPO } from '../../helpers/cli.js';
import { quantError } from './_temp.js';

const BAD = join(REPO, 'test', 'fixtures', 'bad', 'parquet');
const FOREIGN = join(REPO, 'test', 'fixtures', 'parquet-foreign');
const bytes = (file: string): Uint8Array => new Uint8Array(readFileSync(file));

describe('damaged Parquet files', () => {
  // In a child process: without the checks each of these inputs keeps the (synchronous) decoder busy for
  // minutes or for ever, which no in-process timeout can interrupt, or aborts the process. The second has a schema element with
  // -1 children, on which hyparquet's GeoParquet marking of the footer loops; the reader does not mark.
  const hangs = [
    // (Its v2 header also lacks the repetition level length, which is now what is named; level lengths
    // past the page: "a v2 page whose level lengths exceed it" below.)
    [
      'fuzz-level-length-past-page.parquet',
      /^E_INPUT_FORMAT x\.parquet column A: damaged Parquet file: a repetition level length is malformed/,
    ],
    // A bit-packed run of no values, after which hyparquet read other runs than the guard walked: it grew
    // an array to 182 million entries and V8 aborted the process.
    [
      'fuzz-empty-bit-packed-run.parquet',
      /^E_INPUT_FORMAT x\.parquet column A: damaged Parquet file: a bit-packed run of no values/,
    ],
    // A v1 page header naming no encoding for its definition levels, which hyparquet reads as runs anyway.
    [
      'fuzz-levels-without-encoding.parquet',
      /^E_INPUT_FORMAT x\.parquet column A: damaged Parquet file: a bit-packed run of no values/,
    ],
    // A v2 page header without its repetition level length: hyparquet's reader then reads byte 0 for ever.
    [
      'fuzz-v2-without-level-length.parquet',
      /^E_INPUT_FORMAT x\.parquet column date: damaged Parquet file: a repetition level length is malformed/,
    ],
    // A repeated schema root, which hyparquet counts as a level of repetition of every column.
    [
      'fuzz-repeated-root.parquet',
      /^E_INPUT_FORMAT x\.parquet: damaged Parquet file: its schema root is a repeated field/,
    ],
    [
      'fuzz-negative-children.parquet',
      /^E_INPUT_FORMAT x\.parquet column B: damaged Parquet file: a compressed page size is malformed/,
    ],
  ] as const;
  for (const [file, message] of hangs)
    test(`${file} is a coded error in a fresh process`, () => {
      const script = `import { parseParquetTable } from ${JSON.stringify(pathToFileURL(join(REPO, 'src', 'artifacts', 'parquet-read.ts')).href)};
      import { readFileSync } from 'node:fs';
      await parseParquetTable('x.parquet', new Uint8Array(readFileSync(${JSON.stringify(join(BAD, file))}))).catch((e) => console.log(e.code, e.message));`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO,
        // Only a guard against a hang (tsx alone may take seconds to start on a busy machine): without the
        // checks the decoder runs for minutes and this fails; the assertion is on what the process printed.
        timeout: 120_000,
        encoding: 'utf8',
      });
      assert.equal(r.signal, null, 'still decoding after 120 s');
      assert.match(r.stdout, message, r.stderr);
    });

  const cases = [
    [
      'fuzz-bigint-page-field.parquet',
      'E_INPUT_FORMAT',
      /column A: damaged Parquet file: a definition level length is malformed/,
    ],
    ['fuzz-schema-children.parquet', 'E_INPUT_FORMAT', /unreadable Parquet footer/],
    ['fuzz-date-out-of-range.parquet', 'E_INPUT_DATES', /column date: row 4: "-469742322" is not a date/],
    // A column chunk whose metadata decodes as `false`: a TypeError in the guard before.
    [
      'fuzz-metadata-false.parquet',
      'E_INPUT_FORMAT',
      /cannot decode \(parquet column metadata is undefined\)/,
    ],
    // A literal whose 4-byte length hyparquet's Snappy decoder read as negative: 5–7 s of CPU before.
    [
      'fuzz-snappy-literal-length.parquet',
      'E_INPUT_FORMAT',
      /column date: damaged Parquet file: a Snappy page does not decompress \(snappy: a literal runs past the input\)/,
    ],
  ] as const;
  for (const [file, code, message] of cases) {
    test(`${file}: ${code}, with little work`, { timeout: 120_000 }, async () => {
      // CPU time of this process, not elapsed time: what the decoder did, whatever else the machine runs.
      const started = process.cpuUsage();
      await assert.rejects(
        parseParquetTable(file, bytes(join(BAD, file))),
        quantError(code, message),
        'parseParquetTable rejects',
      );
      const used = process.cpuUsage(started);
      const ms = (used.user + used.system) / 1000;
      assert.ok(ms < 1000, `rejected after ${ms.toFixed(0)} ms of CPU time (the decoder must not loop)`);
    });
  }
});

describe('a v2 page whose compressed values are corrupt', () => {
  // The guard walks a v2 page's levels (stored uncompressed) and leaves a page of plain values to
  // hyparquet, which decompresses it once; a corrupt Snappy stream is still a coded error naming the column.
  test('is E_INPUT_FORMAT naming the file and the column, with little work', async () => {
    const dates = Array.from({ length: 40 }, (_, i) => `2024-02-${String((i % 28) + 1).padStart(2, '0')}`);
    const days = [...new Set(dates)].sort();
    const values = Float64Array.from(days, (_, i) => Math.sin(i) / 100);
    const data = encodeParquetTable({ dates: days, columns: ['A'], values: [values] });
    const meta = parquetMetadata(data.buffer.slice(0) as ArrayBuffer);
    const chunk = meta.row_groups[0]?.columns[1]?.meta_data;
    assert.equal(chunk?.codec, 'SNAPPY', 'the writer compresses with Snappy');
    const reader = { view: new DataView(data.buffer), offset: Number(chunk?.data_page_offset) };
    const header = parquetHeader(reader);
    assert.equal(header.type, 'DATA_PAGE_V2', 'a v2 data page');
    assert.equal(header.data_page_header_v2?.encoding, 'PLAIN', 'plain values');
    // After the definition levels: the Snappy stream, its length preamble first (1 byte here).
    const at = reader.offset + (header.data_page_header_v2?.definition_levels_byte_length ?? 0) + 1;
    const bad = Uint8Array.from(data);
    bad.fill(0xff, at, at + 8); // copies from 4 GiB back: no such output
    const started = process.cpuUsage();
    await assert.rejects(
      parseParquetTable('bad.parquet', bad),
      quantError(
        'E_INPUT_FORMAT',
        /^bad\.parquet column A: damaged Parquet file: a Snappy page does not decompress \(.+\) \(row group 1\)$/,
      ),
      'parseParquetTable rejects',
    );
    const used = process.cpuUsage(started);
    assert.ok((used.user + used.system) / 1000 < 1000, 'rejected after little CPU time');
    const good = await parseParquetTable('good.parquet', data);
    assert.deepEqual([...(good.values[0] ?? [])], [...values], 'the intact file reads back');
  });
});

/**
 * A three-row file of one column A, and its page header with the first run of `bytes` in it (after the
 * header's start) at `at`: the Thrift compact fields a test then changes.
 */
function threeRows(values: Float64Array, bytes: readonly number[]) {
  const days = ['2024-01-02', '2024-01-03', '2024-01-04'];
  const data = encodeParquetTable({ dates: days, columns: ['A'], values: [values] });
  const chunk = parquetMetadata(data.buffer.slice(0) as ArrayBuffer).row_groups[0]?.columns[1]?.meta_data;
  const start = Number(chunk?.data_page_offset);
  const header = parquetHeader({ view: new DataView(data.buffer), offset: start });
  const at = data.findIndex((_, i) => i >= start && bytes.every((b, k) => data[i + k] === b));
  assert.ok(at > 0, `the bytes ${bytes.join(' ')} in the page header`);
  return { data, header, at };
}

describe('a v2 page whose level lengths exceed it', () => {
  test('is E_INPUT_FORMAT naming the column', async () => {
    // Thrift compact: field 5 (i32) = 2 as zigzag 4, then field 6 (i32) = 0.
    const { data, header, at } = threeRows(Float64Array.of(0.1, 0.2, 0.3), [0x15, 0x04, 0x15, 0x00]);
    assert.equal(header.data_page_header_v2?.definition_levels_byte_length, 2, 'two bytes of levels');
    const bad = Uint8Array.from(data);
    bad[at + 1] = 0x7e; // 63 bytes of levels
    await assert.rejects(
      parseParquetTable('bad.parquet', bad),
      quantError(
        'E_INPUT_FORMAT',
        /^bad\.parquet column A: damaged Parquet file: level lengths 0 \+ 63 exceed the page \(\d+ bytes\)/,
      ),
      'parseParquetTable rejects',
    );
  });
});

describe("a v2 page whose header's null count disagrees with its definition levels", () => {
  // hyparquet counts the values stored from the header, the guard from the levels.
  test('is E_INPUT_FORMAT naming the column', async () => {
    // Thrift compact: num_values = 3 (zigzag 6), num_nulls = 1 (zigzag 2), num_rows = 3.
    const { data, header, at } = threeRows(
      Float64Array.of(0.1, Number.NaN, 0.3),
      [0x15, 0x06, 0x15, 0x02, 0x15, 0x06],
    );
    assert.equal(header.data_page_header_v2?.num_nulls, 1, 'one null');
    const bad = Uint8Array.from(data);
    bad[at + 3] = 0x00; // no nulls
    await assert.rejects(
      parseParquetTable('bad.parquet', bad),
      quantError(
        'E_INPUT_FORMAT',
        /^bad\.parquet column A: damaged Parquet file: the page header counts 0 nulls, its definition levels 1/,
      ),
      'parseParquetTable rejects',
    );
  });
});

describe('dictionary indices of 0 bits (a dictionary of one value)', () => {
  // hyparquet still reads their run headers: an RLE run longer than the page would have it fill an array
  // of that length (up to 2^30 entries: V8 aborts). The guard walks them at width 0 too.
  test('an RLE run longer than the page is E_INPUT_FORMAT naming the column', async () => {
    const data = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'date', data: Int32Array.from({ length: 200 }, (_, i) => 19_000 + i) },
          { name: 'a', data: new Float64Array(200).fill(1), encoding: 'RLE_DICTIONARY' },
        ],
        schema: [
          { name: 'root', num_children: 2 },
          { name: 'date', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
          { name: 'a', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        ],
        codec: 'UNCOMPRESSED',
      }),
    );
    const chunk = parquetMetadata(data.buffer.slice(0) as ArrayBuffer).row_groups[0]?.columns[1]?.meta_data;
    const reader = { view: new DataView(data.buffer), offset: Number(chunk?.data_page_offset) };
    const header = parquetHeader(reader);
    const def = header.data_page_header_v2?.definition_levels_byte_length ?? 0;
    const at = reader.offset + def;
    // After the levels: the indices' bit width (0), then one RLE run of the 200 values (header 400).
    assert.deepEqual([...data.subarray(at, at + 3)], [0, 0x90, 0x03], 'width 0, one run of 200');
    assert.deepEqual(
      (await parseParquetTable('good.parquet', data)).values[0]?.[199],
      1,
      'the intact file reads',
    );
    const bad = Uint8Array.from(data);
    bad.set([0xfe, 0x7f], at + 1); // a run of 8,191 values
    await assert.rejects(
      parseParquetTable('bad.parquet', bad),
      quantError(
        'E_INPUT_FORMAT',
        /^bad\.parquet column a: damaged Parquet file: an RLE run of 8191 values in a page of 200/,
      ),
      'parseParquetTable rejects',
    );
  });
});

describe('files of a foreign writer pass the checks unchanged', () => {
  for (const file of readdirSync(FOREIGN).filter((f) => f.endsWith('.parquet'))) {
    test(file, async () => {
      const data = bytes(join(FOREIGN, file));
      const table = await parseParquetTable(file, data);
      const rows = (await parquetReadObjects({
        file: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
        compressors: { ...PAGE_DECOMPRESSORS },
      })) as Record<string, unknown>[];
      assert.equal(table.dates.length, rows.length, 'table.dates.length');
      assert.equal(rows.length, 600, 'rows.length');
      table.columns.forEach((name, j) => {
        rows.forEach((row, t) => {
          const raw = row[name];
          const want = raw === null || raw === undefined ? Number.NaN : Number(raw);
          assert.ok(
            Object.is(table.values[j]?.[t], want),
            `${name}[${t}]: ${table.values[j]?.[t]} vs ${String(raw)}`,
          );
        });
      });
      const nulls = table.values[table.columns.indexOf(table.columns.includes('A') ? 'A' : 'return')]?.filter(
        Number.isNaN,
      ).length;
      assert.equal(nulls, 36, 'nulls'); // every 17th of 600 rows
    });
  }
});

describe('page compression', () => {
  test('gzip and Brotli pages (pyarrow) read as the days and numbers written', async () => {
    for (const file of ['pyarrow-gzip.parquet', 'pyarrow-brotli-v2.parquet']) {
      const table = await parseParquetTable(file, bytes(join(FOREIGN, file)));
      assert.equal(table.dates[0], '2020-01-01', `${file}: first day`);
      assert.equal(table.dates[599], '2021-08-22', `${file}: last day`);
      const a = table.values[table.columns.indexOf('A')] as Float64Array;
      a.forEach((v, i) =>
        assert.ok(Object.is(v, i % 17 === 0 ? Number.NaN : 100 + (i % 7)), `${file}: A[${i}] = ${v}`),
      );
    }
  });

  test('ZSTD and LZ4 are refused by name with how to write the file, not as a damaged file', async () => {
    for (const [file, codec] of [
      ['zstd.parquet', 'ZSTD'],
      ['lz4.parquet', 'LZ4_RAW'],
    ] as const) {
      await assert.rejects(
        parseParquetTable('x.parquet', bytes(join(REPO, 'test', 'fixtures', 'bad', 'parquet', file))),
        (e: unknown) =>
          quantError(
            'E_INPUT_FORMAT',
            new RegExp(`^x\\.parquet column \\w+: unsupported Parquet compression ${codec}$`),
          )(e) &&
          /^write the file with Snappy, gzip or no compression/.test((e as { hint?: string }).hint ?? ''),
        file,
      );
    }
  });

  test('a damaged gzip page is a damaged file', async () => {
    const data = bytes(join(FOREIGN, 'pyarrow-gzip.parquet'));
    // The gzip magic of the first page (after PAR1 and its page header) broken.
    const at = data.indexOf(0x1f, 4);
    assert.equal(data[at + 1], 0x8b, 'gzip magic found');
    data[at + 1] = 0;
    await assert.rejects(
      parseParquetTable('x.parquet', data),
      quantError(
        'E_INPUT_FORMAT',
        /^x\.parquet column \w+: damaged Parquet file: a GZIP page does not decompress/,
      ),
      'damaged gzip page',
    );
  });
});
