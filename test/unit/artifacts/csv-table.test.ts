import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { csvParse } from 'd3-dsv';
import { formatCsvTable, parseCsvTable, writeCsvTable } from '../../../src/artifacts/csv-table.js';
import { normalizeIsoDay } from '../../../src/artifacts/numeric-table.js';
import { readTable } from '../../../src/artifacts/tables.js';
import { QuantError } from '../../../src/errors.js';
import { quantError, tempDir } from './_temp.js';

const F = 'in.csv';

describe('normalizeIsoDay', () => {
  test('a datetime is the calendar day written: its time and offset are checked, then ignored', () => {
    const cases: Array<[string, string | undefined]> = [
      ['2024-02-29', '2024-02-29'],
      ['2023-02-29', undefined],
      ['2024-13-01', undefined],
      ['2024-01-02 00:00:00', '2024-01-02'],
      ['2024-01-02T00:00:00Z', '2024-01-02'],
      ['2024-01-02 00:00:00+00:00', '2024-01-02'],
      ['2024-01-02T01:00:00+02:00', '2024-01-02'],
      ['2024-01-02 00:00:00+09:00', '2024-01-02'],
      ['2024-01-01T23:30:00-01:00', '2024-01-01'],
      ['2024-01-01T23:30:00.123456789-0130', '2024-01-01'],
      ['0000-01-01T00:00:00+14:00', '0000-01-01'],
      ['9999-12-31T23:59:59-12:00', '9999-12-31'],
      ['2024-01-02T25:00:00', undefined],
      ['2024-01-02T10:60:00+09:00', undefined],
      ['2024-01-02T10:00:00+9', undefined],
      ['2023-01-02T00:00:00+99:99', undefined],
      ['2023-01-02T00:00:00+25:00', undefined],
      ['2023-01-02T00:00:00-01:60', undefined],
      ['2023-01-02T00:00:00+0960', undefined],
      ['2023-01-02T00:00:00+23:59', '2023-01-02'],
      ['2023-01-02T00:00:00+05', '2023-01-02'],
      ['0050-01-01', '0050-01-01'],
      ['02/01/2024', undefined],
      ['', undefined],
    ];
    for (const [text, day] of cases) assert.equal(normalizeIsoDay(text), day, text);
  });
});

describe('CSV tables', () => {
  test('BOM, CRLF, blank lines, missing cells and quoted names', () => {
    const t = parseCsvTable(
      F,
      '\uFEFFdate,A,"B,1"\r\n2024-01-02,1.5,\r\n\r\n2024-01-03,-2e-3,NaN\r\n2024-01-04, 3 ,4\r\n',
    );
    assert.deepEqual(t.dates, ['2024-01-02', '2024-01-03', '2024-01-04'], 't.dates');
    assert.deepEqual(t.columns, ['A', 'B,1'], 't.columns');
    assert.deepEqual([...t.values[0]!], [1.5, -0.002, 3], '[...t.values[0]]');
    assert.deepEqual([...t.values[1]!], [Number.NaN, Number.NaN, 4], '[...t.values[1]]');
    assert.equal(t.dateColumn, 'date', 't.dateColumn');
    assert.equal(t.format, 'csv', 't.format');
  });

  test('the date column may be anywhere, named by option, or the unnamed pandas index', () => {
    assert.deepEqual(
      parseCsvTable(F, 'A,date\n1,2024-01-02\n').columns,
      ['A'],
      "parseCsvTable(F, 'A,date\\n1,2024-01-02\\n').columns",
    );
    const t = parseCsvTable(F, 'Datum,A\n2024-01-02,1\n', { dateColumn: 'Datum' });
    assert.equal(t.dateColumn, 'Datum', 't.dateColumn');
    const p = parseCsvTable(F, ',returns\n2024-01-02 00:00:00+00:00,0.01\n2024-01-03 00:00:00+00:00,0.02\n');
    assert.deepEqual(p.dates, ['2024-01-02', '2024-01-03'], 'p.dates');
    assert.deepEqual(p.columns, ['returns'], 'p.columns');
    assert.throws(
      () => parseCsvTable(F, 'when,A\n2024-01-02,1\n'),
      quantError('E_INPUT_COLUMN', /no "date" column .*columns are when, A/),
      'parseCsvTable throws E_INPUT_COLUMN',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-02,1\n', { dateColumn: 'Datum' }),
      quantError('E_INPUT_COLUMN', /no date column "Datum"/),
      'parseCsvTable throws E_INPUT_COLUMN',
    );
  });

  test('a named date column wins over an unnamed first column, refused as a pandas index when it counts rows', () => {
    const hinted =
      (re: RegExp, hint: RegExp) =>
      (e: unknown): boolean =>
        quantError('E_INPUT_FORMAT', re)(e) && hint.test((e as QuantError).hint ?? '');
    for (const name of ['Date', 'date']) {
      assert.throws(
        () => parseCsvTable(F, `,${name},A\n0,2024-01-02,1\n1,2024-01-03,2\n`),
        hinted(/^in\.csv:1: column 1 of the header has no name/, /pandas index .*index=False/),
        `a pandas RangeIndex before ${name}`,
      );
    }
    assert.throws(
      () => parseCsvTable(F, ',Date,A\nx,2024-01-02,1\n'),
      hinted(/^in\.csv:1: column 1 of the header has no name/, /^name the column, or delete it$/),
      'an unnamed first column of other values',
    );
    assert.throws(
      () => parseCsvTable(F, ',Date,A\n'),
      quantError('E_INPUT_FORMAT', /column 1 of the header has no name/),
      'an unnamed first column without rows',
    );
    const p = parseCsvTable(F, ',A\n2024-01-02,1\n');
    assert.equal(p.dateColumn, '', 'without a named date column the unnamed first column is the date');
  });

  test("a spreadsheet's leftovers: rows of empty fields are skipped, a trailing empty column is named", () => {
    const t = parseCsvTable(F, 'date,A,B\n2024-01-02,1,2\n,,\n   \n2024-01-03,3,4\n,,\n , ,\n');
    assert.deepEqual(t.dates, ['2024-01-02', '2024-01-03'], 'rows of empty or blank fields skipped');
    assert.deepEqual(t.lines, [2, 5], 'line numbers kept');
    assert.throws(
      () => parseCsvTable(F, 'date,A,B,\n2024-01-02,1,2,\n'),
      (e: unknown) =>
        quantError('E_INPUT_FORMAT', /^in\.csv:1: column 4 of the header has no name/)(e) &&
        /^an empty trailing column: remove the extra separator/.test((e as QuantError).hint ?? ''),
      'a trailing separator on every line',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A,,B\n2024-01-02,1,2,3\n'),
      (e: unknown) =>
        quantError('E_INPUT_FORMAT', /column 3 of the header has no name/)(e) &&
        (e as QuantError).hint === undefined,
      'an unnamed column in the middle has no trailing-column hint',
    );
  });

  test('errors name the file, the line and the column', () => {
    assert.throws(
      () => parseCsvTable(F, ''),
      quantError('E_INPUT_FORMAT', /^in\.csv:1: the file is empty/),
      'parseCsvTable throws E_INPUT_FORMAT',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A\n'),
      quantError('E_INPUT_FORMAT', /^in\.csv:1: the file has a header but no data rows/),
      'parseCsvTable throws E_INPUT_FORMAT',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A,B\n2024-01-02,1,2\n2024-01-03,1\n'),
      quantError('E_INPUT_FORMAT', /^in\.csv:3: the row has 2 fields, the header has 3/),
      'parseCsvTable throws E_INPUT_FORMAT',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A,B\n2024-01-02,1,2\n2024-01-03,1,abc\n'),
      quantError('E_INPUT_VALUE', /^in\.csv:3 column B: "abc" is not a number/),
      'parseCsvTable throws E_INPUT_VALUE',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-02,0x10\n'),
      quantError('E_INPUT_VALUE', /"0x10" is not a number/),
      'parseCsvTable throws E_INPUT_VALUE',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-02,1e999\n'),
      quantError('E_INPUT_VALUE', /out of range/),
      'parseCsvTable throws E_INPUT_VALUE',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-02,\n', { allowMissing: false }),
      quantError('E_INPUT_VALUE', /^in\.csv:2 column A: missing value/),
      'parseCsvTable throws E_INPUT_VALUE',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-02,1\n2024-02-30,1\n'),
      quantError('E_INPUT_DATES', /^in\.csv:3 column date: "2024-02-30" is not a date/),
      'parseCsvTable throws E_INPUT_DATES',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A,A\n2024-01-02,1,1\n'),
      quantError('E_INPUT_FORMAT', /"A" appears twice/),
      'parseCsvTable throws E_INPUT_FORMAT',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,,B\n2024-01-02,1,1\n'),
      quantError('E_INPUT_FORMAT', /column 2 of the header has no name/),
      'parseCsvTable throws E_INPUT_FORMAT',
    );
  });

  test('a table written with a UTC offset has the days of the same table written without one', () => {
    const plain = parseCsvTable(F, 'date,A\n2024-01-02,1\n2024-01-03,2\n2024-01-04,3\n');
    const tokyo = parseCsvTable(
      F,
      'date,A\n2024-01-02 00:00:00+09:00,1\n2024-01-03 00:00:00+09:00,2\n2024-01-04 00:00:00+09:00,3\n',
    );
    const newYork = parseCsvTable(
      F,
      'date,A\n2024-01-02T16:00-05:00,1\n2024-01-03T16:00-05:00,2\n2024-01-04T16:00-05:00,3\n',
    );
    assert.deepEqual(
      tokyo.dates,
      plain.dates,
      'a +09:00 midnight is the day written, not the UTC day before',
    );
    assert.deepEqual(
      newYork.dates,
      plain.dates,
      'a 16:00 −05:00 close is the day written, not the UTC day after',
    );
  });

  test('duplicate and unsorted dates name both lines (a datetime counts as the day written)', () => {
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-02,1\n2024-01-03,1\n\n2024-01-03T12:00:00+09:00,1\n'),
      quantError(
        'E_INPUT_DATES',
        /^in\.csv: duplicate date: 2024-01-03 at line 5 repeats 2024-01-03 at line 3/,
      ),
      'parseCsvTable throws E_INPUT_DATES',
    );
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-03,1\n2024-01-02,1\n'),
      quantError(
        'E_INPUT_DATES',
        /dates out of order: 2024-01-02 at line 3 comes after 2024-01-03 at line 2/,
      ),
      'parseCsvTable throws E_INPUT_DATES',
    );
  });

  test('a column name with a control or bidi character: E_INPUT_VALUE naming the column and the character', () => {
    const forged = 'date,A,"X\n\n## INJECTED HEADING\n\nY"\n2024-01-02,1,2\n';
    assert.throws(
      () => parseCsvTable(F, forged),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_VALUE' &&
        e.message ===
          'in.csv: line 1: column 3 of the header is named "X\\u000a\\u000a## INJECTED HEADING\\u000a\\u000aY", which holds U+000A (a control character) at character 2: column names are shown in reports and messages, where it could forge or reorder lines' &&
        /^rename the column/.test(e.hint ?? '') &&
        !e.oneLine().includes('\n'),
      'the line, the column position, the escaped name and the character, on one line',
    );
    for (const [name, code] of [
      ['A\tB', 'U+0009'],
      ['A\u0085B', 'U+0085'],
      ['A\u202eB', 'U+202E'],
      ['A\u2066B', 'U+2066'],
      ['\u0007', 'U+0007'],
    ] as const) {
      assert.throws(
        () => parseCsvTable(F, `date,"${name}"\n2024-01-02,1\n`),
        (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE' && e.message.includes(code),
        `${code} is refused`,
      );
    }
    assert.deepEqual(
      parseCsvTable(F, 'date,Zürich Ä,"a, b",日本\n2024-01-02,1,2,3\n').columns,
      ['Zürich Ä', 'a, b', '日本'],
      'letters of any script, spaces and punctuation stay allowed',
    );
  });

  test('a column name with a zero-width character is refused like a bidi one; the file BOM is not', () => {
    assert.throws(
      () => parseCsvTable(F, 'date,SPY,SPY\u200b\n2024-01-02,1,2\n'),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_VALUE' &&
        e.location?.file === F &&
        e.location.line === 1 &&
        e.message ===
          'in.csv: line 1: column 3 of the header is named "SPY\\u200b", which holds U+200B (an invisible zero-width character) at character 4: two columns that look the same would be different names, and the column would never match the name written without it in a universe, benchmark or trades block' &&
        /^retype the column name without the invisible character/.test(e.hint ?? ''),
      'the file, the line, the column position, the escaped name, the character and the fix',
    );
    for (const [name, code, kind] of [
      ['A\u200cB', 'U+200C', 'zero-width'],
      ['A\u200dB', 'U+200D', 'zero-width'],
      ['A\u2060B', 'U+2060', 'zero-width'],
      ['A\u2063B', 'U+2063', 'zero-width'],
      ['A\ufeffB', 'U+FEFF', 'byte order mark inside the name'],
      ['A\u200eB', 'U+200E', 'bidi mark'],
      ['A\u061cB', 'U+061C', 'bidi mark'],
      ['A\u2028B', 'U+2028', 'line or paragraph separator'],
    ] as const) {
      assert.throws(
        () => parseCsvTable(F, `date,"${name}"\n2024-01-02,1\n`),
        (e: unknown) =>
          e instanceof QuantError &&
          e.code === 'E_INPUT_VALUE' &&
          e.message.includes(`holds ${code} (`) &&
          e.message.includes(kind),
        `${code} is refused as ${kind}`,
      );
    }
    assert.deepEqual(
      parseCsvTable(F, '\uFEFFdate,SPY\n2024-01-02,1\n').columns,
      ['SPY'],
      'a BOM at the very start of the file belongs to the file, not to the first name',
    );
  });

  test('a file separated by semicolons or tabs: the hint says so, not an option no stage has', () => {
    assert.throws(
      () => parseCsvTable(F, 'date;A;B\n2024-01-02;1;2\n'),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_COLUMN' &&
        e.hint ===
          'the header reads as one column: the file looks separated by semicolons; save it with commas between the columns',
      'semicolons: save with commas',
    );
    assert.throws(
      () => parseCsvTable(F, 'Day,A\n2024-01-02,1\n'),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_COLUMN' &&
        e.hint === 'name the date column "date" (or use a pandas index column)',
      'no date column: name it "date"',
    );
    assert.throws(
      () => parseCsvTable(F, 'date\tA\n2024-01-02\t1\n'),
      (e: unknown) =>
        e instanceof QuantError &&
        /^if the file is separated by tabs, save it with commas/.test(e.hint ?? ''),
      'tabs: save with commas',
    );
  });

  test('line numbers stay right after a quoted field spanning lines', () => {
    assert.throws(
      () => parseCsvTable(F, 'date,A\n2024-01-02,"1\n"\n2024-01-03,x\n'),
      quantError('E_INPUT_VALUE', /^in\.csv:4 column A/),
      'parseCsvTable throws E_INPUT_VALUE',
    );
  });

  test('format → parse round-trips exactly, NaN as an empty cell', async () => {
    const table = {
      dates: ['2024-01-02', '2024-01-03'],
      columns: ['a', 'b"q'],
      values: [new Float64Array([0.1 + 0.2, Number.NaN]), new Float64Array([-1e-300, 5])],
    };
    const text = formatCsvTable(table);
    assert.equal(text, 'date,a,"b""q"\n2024-01-02,0.30000000000000004,-1e-300\n2024-01-03,,5\n', 'text');
    const back = parseCsvTable(F, text);
    assert.deepEqual(back.values, table.values, 'back.values');
    const file = join(tempDir(), 'out.csv');
    await writeCsvTable(file, table);
    assert.equal(readFileSync(file, 'utf8'), text, "readFileSync(file, 'utf8')");
  });

  test('reads the bundled SWX prices like a plain d3 parse', async () => {
    const path = fileURLToPath(new URL('../../../data/swx_prices.csv', import.meta.url));
    const table = await readTable(path);
    const rows = csvParse(readFileSync(path, 'utf8'));
    assert.equal(table.dates.length, rows.length, 'table.dates.length');
    assert.deepEqual(
      table.columns,
      rows.columns.filter((c) => c !== 'date'),
      'table.columns',
    );
    const last = rows[rows.length - 1]!;
    for (const [j, c] of table.columns.entries()) {
      const cell = last[c] ?? '';
      assert.ok(Object.is(table.values[j]![rows.length - 1], cell === '' ? Number.NaN : Number(cell)), c);
    }
  });

  test('readTable: missing file and unsupported extension', async () => {
    const dir = tempDir();
    await assert.rejects(
      readTable(join(dir, 'none.csv')),
      quantError('E_INPUT_NOT_FOUND', /none\.csv does not exist/),
      'readTable rejects with E_INPUT_NOT_FOUND',
    );
    writeFileSync(join(dir, 'x.xlsx'), 'x');
    await assert.rejects(
      readTable(join(dir, 'x.xlsx')),
      quantError('E_INPUT_FORMAT', /unsupported file type ".xlsx"/),
      'readTable rejects with E_INPUT_FORMAT',
    );
    await assert.rejects(
      readTable(dir),
      quantError('E_INPUT_FORMAT', /is not a file/),
      'readTable rejects with E_INPUT_FORMAT',
    );
  });
});

describe('numeric cells', () => {
  /** What the cell checks say, as plain expressions: the value, or the start of the error message. */
  function expected(cell: string): number | string {
    if (['', 'NaN', 'nan', 'NA', 'null'].includes(cell.trim())) return Number.NaN;
    if (!/^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(cell))
      return `${JSON.stringify(cell)} is not a number`;
    const v = Number(cell);
    return Number.isFinite(v) ? v : `${cell.trim()} is out of range (overflows to infinity)`;
  }

  function parsed(cell: string): number | string {
    try {
      return parseCsvTable(F, `date,A\n2024-01-02,${cell}\n`).values[0]![0]!;
    } catch (error) {
      assert.ok(
        error instanceof QuantError && error.code === 'E_INPUT_VALUE',
        `E_INPUT_VALUE, not ${String(error)}`,
      );
      return error.message.slice(error.message.indexOf('column A: ') + 'column A: '.length);
    }
  }

  test('random cells of digits, signs, points, exponents, spaces and letters parse as the plain checks say', () => {
    const chars = '0123456789.eE+- xaN';
    let seed = 17;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const cells = [
      '',
      '1e999',
      '-1e999',
      '-0',
      '+.5',
      '5.',
      '.',
      'e5',
      '1e+',
      ' 1',
      '1 ',
      '1e-400',
      '0.0123',
      '1E+05',
      '--1',
      '1-2',
      'NaN',
      ' nan ',
    ];
    for (let k = 0; k < 5000; k++) {
      const length = Math.floor(next() * 8);
      let cell = '';
      for (let i = 0; i < length; i++) cell += chars[Math.floor(next() * chars.length)];
      cells.push(cell);
    }
    let numbers = 0;
    for (const cell of cells) {
      const want = expected(cell);
      const got = parsed(cell);
      if (typeof want === 'number') {
        assert.ok(
          typeof got === 'number' && Object.is(got, want),
          `${JSON.stringify(cell)}: ${String(got)}, expected ${want}`,
        );
        if (!Number.isNaN(want)) numbers++;
      } else
        assert.ok(
          typeof got === 'string' && got.startsWith(want),
          `${JSON.stringify(cell)}: "${String(got)}", expected "${want}"`,
        );
    }
    assert.ok(numbers > 500, `${numbers} cells were numbers`);
  });
});
