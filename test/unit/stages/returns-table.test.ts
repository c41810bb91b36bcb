// Cleaning a price or return table into returns (stages/_returns-table.ts) and portfolio.optimize's
// input_kind, missing and periods_per_year, on the bundled tables and small hand-made ones.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { join } from 'node:path';
import { parseCsvTable, readLedger } from '../../../src/artifacts/index.js';
import { QuantError } from '../../../src/errors.js';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { tableToReturns } from '../../../src/stages/_returns-table.js';
import { priceCsv, readDailyPrices, type PriceTable } from '../../helpers/resample.js';
import { quantError, tempDir } from '../artifacts/_temp.js';
import { at, numberAt, readJson } from '../../helpers/json-doc.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const csv = (file: string, text: string) => parseCsvTable(file, text);

/**
 * The SPI sector table (its 17 rows with a missing price dropped: 2199 rows) with TECH listed only from
 * row `from` (its earlier prices removed).
 */
function lateListed(from: number): PriceTable {
  const t = readDailyPrices('spisector_prices');
  const tech = t.columns.indexOf('TECH');
  return {
    ...t,
    rows: t.rows.map((r, i) => (i < from ? r.map((v, j) => (j === tech ? Number.NaN : v)) : r)),
  };
}
const lateCsv = (from: number): string => priceCsv(lateListed(from)).replaceAll('NaN', '');

function caught(run: () => unknown): QuantError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof QuantError, `not a QuantError: ${String(error)}`);
    return error;
  }
  assert.fail('no error');
}

describe('input_kind plausibility', () => {
  const swx = readFileSync(new URL('../../../data/swx_prices.csv', import.meta.url), 'utf8');

  test('prices declared as returns: E_INPUT_KIND naming the file, line, column, value and the fix', () => {
    const e = caught(() =>
      tableToReturns(csv('data/swx_prices.csv', swx), { file: 'data/swx_prices.csv', kind: 'returns' }),
    );
    assert.equal(e.code, 'E_INPUT_KIND', 'e.code');
    assert.equal(
      e.message,
      'data/swx_prices.csv:2 column SBI: input_kind is returns, but 1917 of 1917 values (100.0 %) are above 1, ' +
        'a gain of more than 100 % in one period (first 95.88 on 2000-01-03): this looks like prices; set input_kind=prices',
      'e.message',
    );
    assert.deepEqual(e.location, { file: 'data/swx_prices.csv', column: 'SBI', line: 2 }, 'e.location');
    assert.equal(e.details['looks_like'], 'prices', "e.details['looks_like']");
  });

  test('returns declared as prices: "this looks like returns", never "fix or remove the price"', () => {
    const text = 'date,A,B\n2024-01-01,0.01,0.02\n2024-01-02,-0.02,0.01\n2024-01-03,0.005,-0.01\n';
    const e = caught(() => tableToReturns(csv('r.csv', text), { file: 'r.csv', kind: 'prices' }));
    assert.equal(e.code, 'E_INPUT_KIND', 'e.code');
    assert.match(
      e.message,
      /^r\.csv:3 column A: input_kind is prices, but 1 of 3 values \(33\.3 %\) are zero or negative/,
      'e.message matches /^r\\.csv:3 column A: input_kind is prices, but 1 of 3 value…',
    );
    assert.match(
      e.message,
      /\(first -0\.02 on 2024-01-02\): this looks like returns; set input_kind=returns \(or log_returns/,
      'e.message matches /\\(first -0\\.02 on 2024-01-02\\): this looks like returns; s…',
    );
    assert.ok(!/fix or remove/.test(`${e.message} ${e.hint ?? ''}`), 'no advice to damage the data');
  });

  test('one bad price in a price table keeps the price advice', () => {
    const text = 'date,A,B\n2024-01-01,100,50\n2024-01-02,0,51\n2024-01-03,102,52\n2024-01-04,103,53\n';
    const e = caught(() => tableToReturns(csv('p.csv', text), { file: 'p.csv', kind: 'prices' }));
    assert.equal(e.code, 'E_INPUT_VALUE', 'e.code');
    assert.match(e.hint ?? '', /fix or remove the price/, "e.hint ?? '' matches /fix or remove the price/");
  });

  test('placeholders 0, -1 and -999 before listing: one E_INPUT_VALUE naming count, dates and value', () => {
    for (const [p, prices] of [
      ['0', 'zero price(s)'],
      ['-1', 'price(s) of -1'],
      ['-999', 'price(s) of -999'],
    ] as const) {
      const rows = Array.from({ length: 20 }, (_, t) => {
        const day = new Date(Date.UTC(2024, 0, 1 + t)).toISOString().slice(0, 10);
        return `${day},${100 + t},${t < 6 ? p : String(50 + (t % 3))}`;
      });
      const text = `date,A,B\n${rows.join('\n')}\n`;
      const e = caught(() => tableToReturns(csv('late.csv', text), { file: 'late.csv', kind: 'prices' }));
      assert.equal(e.code, 'E_INPUT_VALUE', `${p}: e.code`);
      assert.equal(
        e.message,
        `late.csv:2 column B: B holds 6 ${prices} (the first on 2024-01-01, the last on 2024-01-06); prices must be > 0`,
        `${p}: e.message`,
      );
      assert.match(
        e.hint ?? '',
        new RegExp(`^leave the cells of missing prices empty \\(not ${p}\\) .* missing=drop_assets`),
        `${p}: the hint says to leave the cells empty`,
      );
      assert.equal(e.details['placeholder'], Number(p), `${p}: details.placeholder`);
    }
  });

  test('placeholders 0 and -1 in one column: one E_INPUT_VALUE naming each value and its count', () => {
    const rows = Array.from({ length: 20 }, (_, t) => {
      const day = new Date(Date.UTC(2024, 0, 1 + t)).toISOString().slice(0, 10);
      return `${day},${100 + t},${t < 4 ? '0' : t >= 17 ? '-1' : String(50 + (t % 3))}`;
    });
    const text = `date,A,B\n${rows.join('\n')}\n`;
    const e = caught(() => tableToReturns(csv('mixed.csv', text), { file: 'mixed.csv', kind: 'prices' }));
    assert.equal(e.code, 'E_INPUT_VALUE', `e.code: ${e.message}`);
    assert.equal(
      e.message,
      'mixed.csv:2 column B: B holds 7 placeholder prices: 4 of 0, 3 of -1 (the first on 2024-01-01, the last on 2024-01-20); prices must be > 0',
      'e.message',
    );
    assert.match(
      e.hint ?? '',
      /^leave the cells of missing prices empty \(not 0 or -1\) .* missing=drop_assets/,
      'the hint names both values',
    );
    assert.deepEqual(
      e.details['placeholders'],
      [
        { value: 0, count: 4 },
        { value: -1, count: 3 },
      ],
      'details.placeholders',
    );
  });

  test('a sleeve names the manifest key to set', () => {
    const e = caught(() =>
      tableToReturns(csv('data/swx_prices.csv', swx), {
        file: 'data/swx_prices.csv',
        kind: 'log_returns',
        setting: (k, v) => `profiles.s.sleeve.${k} = "${v}" in the manifest`,
      }),
    );
    assert.match(
      e.message,
      /this looks like prices; set profiles\.s\.sleeve\.input_kind = "prices" in the manifest$/,
      'e.message matches /this looks like prices; set profiles\\.s\\.sleeve\\.input_kin…',
    );
  });

  test('log returns become exactly the simple returns of the prices', () => {
    const prices = tableToReturns(csv('swx.csv', swx), { file: 'swx.csv', kind: 'prices' });
    const t = readDailyPrices('swx_prices');
    const logs = t.rows.slice(1).map((r, i) => r.map((p, j) => Math.log(p / (t.rows[i]?.[j] as number))));
    const text = [
      'date,' + t.columns.join(','),
      ...logs.map((r, i) => `${t.dates[i + 1]},${r.join(',')}`),
    ].join('\n');
    const fromLogs = tableToReturns(csv('log.csv', text), { file: 'log.csv', kind: 'log_returns' });
    assert.equal(fromLogs.inputKind, 'log_returns', 'fromLogs.inputKind');
    assert.deepEqual(fromLogs.dates, prices.dates, 'fromLogs.dates');
    let worst = 0;
    prices.returns.data.forEach(
      (r, k) => (worst = Math.max(worst, Math.abs(r - (fromLogs.returns.data[k] as number)))),
    );
    assert.ok(worst < 1e-15, `max |exp(log r) − 1 − r| = ${worst}`);
    // Read as plain returns, the same numbers are the log returns themselves: not what the prices give.
    const asIs = tableToReturns(csv('log.csv', text), { file: 'log.csv', kind: 'returns' });
    assert.ok(
      Math.abs((asIs.returns.data[1] as number) - (prices.returns.data[1] as number)) > 1e-7,
      'log ≠ simple',
    );
  });
});

describe('missing-data policy', () => {
  test('a late-listed asset: the warning names the share, the dates lost and the asset', () => {
    const d = tableToReturns(csv('late.csv', lateCsv(1927)), { file: 'late.csv', kind: 'prices' });
    const m = d.missingData;
    // The 1927 rows before TECH's first price: 1927 / 2199 = 87.6 % (the 87 %).
    assert.equal(m.policy, 'drop_rows', 'm.policy');
    assert.equal(m.rows, 2199, 'm.rows');
    assert.equal(m.dropped_rows, 1927, 'm.dropped_rows');
    assert.equal(m.responsible[0]?.asset, 'TECH', 'm.responsible[0]?.asset');
    assert.equal(m.responsible[0]?.late_start, true, 'm.responsible[0]?.late_start');
    assert.equal(m.responsible[0]?.first_value, '2007-08-28', 'm.responsible[0]?.first_value');
    assert.equal(m.first_dropped, '1999-12-30', 'm.first_dropped');
    assert.equal(m.last_dropped, '2007-08-27', 'm.last_dropped');
    assert.match(
      m.warning ?? '',
      new RegExp(
        `^late\\.csv: 1927 of 2199 rows \\(87\\.6 %\\) dropped for missing values \\(missing=drop_rows\\), ` +
          `1999-12-30 to 2007-08-27; responsible: TECH 1927 rows \\(first value 2007-08-28\\)`,
      ),
      "m.warning ?? '' matches new RegExp( `^late\\\\.csv: 1927 of 2199 rows \\\\(87\\\\.6 %\\\\) …",
    );
    assert.match(
      m.warning ?? '',
      /— set missing=drop_assets to drop the assets instead, missing=ffill to fill short gaps/,
      "m.warning ?? '' matches /— set missing=drop_assets to drop the assets instead, miss…",
    );
    assert.deepEqual(d.warnings, [m.warning], 'd.warnings');
  });

  test('drop_assets drops the late asset and keeps every row', () => {
    const d = tableToReturns(csv('late.csv', lateCsv(1927)), {
      file: 'late.csv',
      kind: 'prices',
      missing: 'drop_assets',
    });
    assert.deepEqual(
      d.assets,
      ['SPI', 'BASI', 'INDU', 'CONG', 'HLTH', 'CONS', 'TELE', 'UTIL', 'FINA'],
      'd.assets',
    );
    assert.equal(d.returns.rows, 2198, 'd.returns.rows');
    assert.deepEqual(
      d.missingData.dropped_assets,
      [{ asset: 'TECH', first_value: '2007-08-28', last_value: '2008-10-17' }],
      'd.missingData.dropped_assets',
    );
    assert.match(
      d.missingData.warning ?? '',
      /^late\.csv: missing=drop_assets dropped 1 of 10 assets with missing values: TECH \(values 2007-08-28 to 2008-10-17\) — set missing=drop_rows or missing=ffill to keep those assets$/,
      "d.missingData.warning ?? '' matches /^late\\.csv: missing=drop_assets dropped 1 of 10 assets wit…",
    );
  });

  test('drop_assets leaving one asset is E_TOO_FEW_ASSETS naming the dropped ones and the fix', () => {
    const text = 'date,A,B\n2024-01-01,100,50\n2024-01-02,101,\n2024-01-03,102,52\n';
    const e = caught(() =>
      tableToReturns(csv('x.csv', text), { file: 'x.csv', kind: 'prices', missing: 'drop_assets' }),
    );
    assert.equal(e.code, 'E_TOO_FEW_ASSETS', 'e.code');
    assert.match(
      e.message,
      /^x\.csv: missing=drop_assets dropped B \(each has missing values\), leaving 1 asset column/,
      'e.message matches /^x\\.csv: missing=drop_assets dropped B \\(each has missing …',
    );
    assert.match(
      e.hint ?? '',
      /missing=drop_rows or missing=ffill/,
      "e.hint ?? '' matches /missing=drop_rows or missing=ffill/",
    );
  });

  test('a selection of one asset: E_TOO_FEW_ASSETS says the selection has one, not the file', () => {
    const text = 'date,A,B,C\n2024-01-01,100,50,10\n2024-01-02,101,51,11\n2024-01-03,102,52,12\n';
    const e = caught(() =>
      tableToReturns(csv('p.csv', text), {
        file: 'p.csv',
        kind: 'prices',
        assets: ['A'],
        assetsKey: 'profiles.S.sleeve.assets',
      }),
    );
    assert.equal(e.code, 'E_TOO_FEW_ASSETS', e.oneLine());
    assert.equal(
      e.message,
      'profiles.S.sleeve.assets selects 1 asset(s) of p.csv (A); at least 2 are needed',
      'the key that selected, the count and the assets',
    );
    assert.equal(
      e.hint,
      "list at least two of the file's 3 asset columns (A, B, C) in profiles.S.sleeve.assets",
      'the columns to choose from',
    );
  });

  test('rows all dropped for missing values: E_TOO_FEW_OBSERVATIONS names the columns responsible', () => {
    const text =
      'date,A,B,NOTES,NEW\n2024-01-01,100,50,,\n2024-01-02,101,51,,\n2024-01-03,102,52,,10\n2024-01-04,103,53,,11\n';
    const e = caught(() => tableToReturns(csv('p.csv', text), { file: 'p.csv', kind: 'prices' }));
    assert.equal(e.code, 'E_TOO_FEW_OBSERVATIONS', e.oneLine());
    assert.match(
      e.message,
      /after dropping 4 of 4 rows .*; responsible: NOTES 4 rows \(no value at all\), NEW 2 rows \(first value 2024-01-03\)$/,
      'the message names each column responsible, with its first value',
    );
    assert.equal(
      e.hint,
      'set missing=drop_assets, leave NOTES, NEW out of assets=..., or provide a longer history',
      'the hint says how to drop the columns responsible',
    );
    assert.deepEqual(e.details['responsible'], ['NOTES', 'NEW'], 'details.responsible');
  });

  test('a table too short with nothing missing: the row count, not the missing-data policy', () => {
    const e = caught(() =>
      tableToReturns(csv('p.csv', 'date,A,B\n2024-01-01,100,50\n2024-01-02,101,51\n'), {
        file: 'p.csv',
        kind: 'prices',
        historyNeed: 'train_window 252 needs at least 253 return rows',
      }),
    );
    assert.equal(e.code, 'E_TOO_FEW_OBSERVATIONS', e.oneLine());
    assert.equal(
      e.message,
      'p.csv has 2 row(s), none missing a value; at least 3 rows of prices (2 returns) are needed',
      'the rows there are and the rows needed',
    );
    assert.equal(
      e.hint,
      'provide a longer history (train_window 252 needs at least 253 return rows)',
      'what the caller needs, no missing-data advice',
    );
  });

  test('ffill carries a price (a return of 0), within the limit', () => {
    const text = 'date,A,B\n2024-01-01,100,50\n2024-01-02,101,\n2024-01-03,102,\n2024-01-04,103,55\n';
    const d = tableToReturns(csv('f.csv', text), {
      file: 'f.csv',
      kind: 'prices',
      missing: 'ffill',
      ffillLimit: 2,
    });
    assert.deepEqual(d.dates, ['2024-01-02', '2024-01-03', '2024-01-04'], 'd.dates');
    assert.deepEqual(
      [...d.returns.data].filter((_, k) => k % 2 === 1),
      [0, 0, 55 / 50 - 1],
      '[...d.returns.data].filter((_, k) => k % 2 === 1)',
    );
    assert.equal(d.missingData.filled_cells, 2, 'd.missingData.filled_cells');
    assert.equal(d.missingData.warning, null, 'd.missingData.warning');
    const short = tableToReturns(csv('f.csv', text), {
      file: 'f.csv',
      kind: 'prices',
      missing: 'ffill',
      ffillLimit: 1,
    });
    assert.deepEqual(short.dates, ['2024-01-02', '2024-01-04'], 'the second missing day is dropped');
  });
});

describe('portfolio.optimize: input_kind, missing, periods_per_year at the seam', () => {
  const ws = tempDir('mf-optimize-');
  const run = async (input: string, params: Record<string, unknown>, runId: string) => {
    const warnings: string[] = [];
    const result = await QuantSDK.runStage(
      'portfolio.optimize',
      { input, output: join(ws, `${runId}.json`), ...params },
      { workspace: ws, cwd: ws, runId, env: ENV, onWarning: (m) => warnings.push(m) },
    );
    const doc = readJson(join(ws, `${runId}.json`));
    return { result, warnings, doc };
  };

  test('the late-listing warning reaches onWarning, the result, the artifact and the ledger', async () => {
    writeFileSync(join(ws, 'late.csv'), lateCsv(1927));
    const { result, warnings, doc } = await run('late.csv', { method: 'equal_weight' }, 'late');
    assert.equal(warnings.length, 1, 'warnings.length');
    assert.match(
      warnings[0] ?? '',
      /^portfolio\.optimize: late\.csv: 1927 of 2199 rows \(87\.6 %\) dropped/,
      "warnings[0] ?? '' matches /^portfolio\\.optimize: late\\.csv: 1927 of 2199 rows \\(87\\.6…",
    );
    assert.deepEqual(result.warnings, warnings, 'result.warnings');
    assert.equal(
      at(doc, 'diagnostics', 'missing_data', 'responsible', 0, 'asset'),
      'TECH',
      "at(doc, 'diagnostics', 'missing_data', 'responsible', 0, 'asset')",
    );
    assert.match(
      result.summary,
      /\(daily business, A = 252; 1927 of 2199 rows dropped for missing values\)/,
      'result.summary matches /\\(daily business, A = 252; 1927 of 2199 rows dropped for m…',
    );
    const ledger = await readLedger(join(result.runDir, 'audit.jsonl'));
    assert.ok(
      ledger.some((r) => r.type === 'decision' && r.step === 'input.missing_data'),
      'a decision record',
    );
  });

  test("Parquet timestamps off midnight UTC: the reader's warning reaches onWarning", async () => {
    const days = Array.from({ length: 6 }, (_, i) => Date.UTC(2024, 0, 1 + i, 15));
    const bytes = parquetWriteBuffer({
      columnData: [
        { name: 'date', data: days.map((d) => BigInt(d) * 1000n) },
        { name: 'A', data: new Float64Array([100, 101, 99, 102, 103, 101]) },
        { name: 'B', data: new Float64Array([50, 51, 52, 50, 49, 51]) },
      ],
      schema: [
        { name: 'root', num_children: 3 },
        {
          name: 'date',
          type: 'INT64',
          repetition_type: 'REQUIRED',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
        },
        { name: 'A', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'B', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ],
    });
    writeFileSync(join(ws, 'afternoon.parquet'), new Uint8Array(bytes));
    const { warnings } = await run(
      'afternoon.parquet',
      { method: 'equal_weight', periods_per_year: 252 },
      'afternoon',
    );
    assert.equal(warnings.length, 1, 'one warning');
    assert.match(
      warnings[0] ?? '',
      /afternoon\.parquet column date: 2024-01-01T15:00:00Z at row 1 is not midnight UTC; .* \(this one as 2024-01-01\)/,
      'the warning names the file, the column, the first timestamp and the day it was read as',
    );
  });

  test('missing=drop_assets changes the assets used (and warns once)', async () => {
    const { doc, warnings } = await run(
      'late.csv',
      { method: 'equal_weight', missing: 'drop_assets' },
      'late_assets',
    );
    assert.equal(at(doc, 'weights', 'TECH'), undefined, 'TECH dropped');
    assert.equal(warnings.length, 1, 'warnings.length');
  });

  test('ffill_limit without missing=ffill is E_PARAMS', async () => {
    await assert.rejects(
      run('late.csv', { ffill_limit: 3 }, 'bad_ffill'),
      quantError('E_PARAMS', /ffill_limit applies only with missing=ffill/),
      'run rejects with E_PARAMS',
    );
  });

  test('periods_per_year outside 1 to 527,040: E_PARAMS saying the range', async () => {
    writeFileSync(
      join(ws, 'swx.csv'),
      readFileSync(new URL('../../../data/swx_prices.csv', import.meta.url)),
    );
    for (const [value, re] of [
      [1e-300, /periods_per_year: must be at least 1 period a year \(annual data\)/],
      [1e308, /periods_per_year: must be at most 527040 periods a year \(one a minute\)/],
    ] as const) {
      await assert.rejects(
        run('swx.csv', { method: 'equal_weight', periods_per_year: value }, `ppy_${String(value)}`),
        quantError('E_PARAMS', re),
        `${value} is refused with the range`,
      );
    }
  });

  test('irregular dates: E_FREQUENCY names the file, the dates and the param to set', async () => {
    const lines = ['date,A,B'];
    for (let i = 0; i < 30; i++) {
      const day = new Date(Date.UTC(2001, 0, 3) + i * 17 * 86_400_000).toISOString().slice(0, 10);
      lines.push(`${day},${100 + i + (i % 3)},${50 + (i % 4)}`);
    }
    writeFileSync(join(ws, 'irregular.csv'), `${lines.join('\n')}\n`);
    const e = await run('irregular.csv', {}, 'irregular').then(
      () => assert.fail('accepted'),
      (error: unknown) => error as QuantError,
    );
    assert.equal(e.code, 'E_FREQUENCY', 'e.code');
    assert.match(
      e.message,
      /^irregular\.csv \(29 return rows\): cannot infer the sampling frequency of 29 dates from 2001-01-20 to /,
      'e.message matches /^irregular\\.csv \\(29 return rows\\): cannot infer the sampl…',
    );
    assert.match(
      e.hint ?? '',
      /^set periods_per_year \(--param periods_per_year=<A>\) \(252 business days/,
      "e.hint ?? '' matches /^set periods_per_year \\(--param periods_per_year=<A>\\) \\(2…",
    );
    const ok = await run(
      'irregular.csv',
      { periods_per_year: 21.5, method: 'equal_weight' },
      'irregular_set',
    );
    assert.deepEqual(
      at(ok.doc, 'diagnostics', 'annualisation'),
      {
        periods_per_year: 21.5,
        source: 'params',
        frequency: null,
        rule: 'periods_per_year = 21.5 set in the stage params',
      },
      "at(ok.doc, 'diagnostics', 'annualisation')",
    );
  });

  test('a table that changes frequency: E_FREQUENCY also when periods_per_year is set', async () => {
    const lines = ['date,A,B'];
    const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
    // 24 month ends (the 1st of the next month, less a day), then 40 weekdays of daily closes.
    for (let m = 0; m < 24; m++) lines.push(`${day(Date.UTC(2020, m + 1, 0))},${100 + m},${50 + (m % 3)}`);
    for (let d = 1, n = 0; n < 40; d++) {
      const ms = Date.UTC(2022, 0, d);
      const weekday = new Date(ms).getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      lines.push(`${day(ms)},${124 + (n % 5)},${52 + (n % 4)}`);
      n++;
    }
    writeFileSync(join(ws, 'mixed.csv'), `${lines.join('\n')}\n`);
    for (const [params, runId] of [
      [{}, 'mixed_auto'],
      [{ periods_per_year: 252 }, 'mixed_252'],
      [{ periods_per_year: 12 }, 'mixed_12'],
    ] as const) {
      await assert.rejects(
        run('mixed.csv', { method: 'equal_weight', ...params }, runId),
        (error: unknown) => {
          const e = error as QuantError;
          assert.equal(e.code, 'E_FREQUENCY', `${runId}: e.code`);
          assert.match(
            e.message,
            /^mixed\.csv \(63 return rows\): cannot infer one sampling frequency .* the table changes frequency at 2021-12-31$/,
            `${runId}: the message names the file and where the frequency changes`,
          );
          assert.match(e.hint ?? '', /^split the table at 2021-12-31/, `${runId}: the hint says to split it`);
          return true;
        },
        `${runId}: refused`,
      );
    }
  });

  test('input_kind=log_returns is applied (weights differ from reading the same numbers as returns)', async () => {
    const lines = ['date,A,B,C'];
    const t = readDailyPrices('swx_prices', ['SBI', 'SPI', 'SII']);
    for (let i = 1; i < t.dates.length; i++)
      lines.push(
        `${t.dates[i]},${t.rows[i]?.map((p, j) => Math.log(p / (t.rows[i - 1]?.[j] as number))).join(',')}`,
      );
    writeFileSync(join(ws, 'logs.csv'), `${lines.join('\n')}\n`);
    const params = { method: 'max_sharpe', expected_returns: 'cagr' };
    const logs = await run('logs.csv', { ...params, input_kind: 'log_returns' }, 'logs');
    const simple = await run('logs.csv', { ...params, input_kind: 'returns' }, 'logs_as_simple');
    assert.equal(
      at(logs.doc, 'diagnostics', 'input_kind'),
      'log_returns',
      "at(logs.doc, 'diagnostics', 'input_kind')",
    );

    const diff = Math.max(
      ...['A', 'B', 'C'].map((k) =>
        Math.abs(numberAt(logs.doc, 'weights', k) - numberAt(simple.doc, 'weights', k)),
      ),
    );
    assert.ok(diff > 1e-6, `log_returns must change the weights, max |Δw| = ${diff}`);
  });
});
