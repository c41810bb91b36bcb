// meta.benchmark and the manifest's `benchmarks` / `risk_free`: the figures in the artifacts, the
// calendar join, and every bad spec refused before the run folder exists with a code and a JSON path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { readTable } from '../../../../src/artifacts/index.js';
import { QuantError } from '../../../../src/errors.js';
import { innerJoin } from '../../../../src/numeric/series/inner-join.js';
import { activeRisk } from '../../../../src/numeric/stats/active-risk.js';
import { sharpe } from '../../../../src/numeric/stats/performance.js';
import { metaBenchmarkPaths } from '../../../../src/stages/meta/_artifact-types.js';
import type { MetaBenchmarkDoc } from '../../../../src/stages/meta/_benchmark-doc.js';
import { tempDir } from '../../../helpers/cli.js';
import { businessDays, writeManifest } from '../../../helpers/sleeve-fixtures.js';
import { buildSmallMetaWorkspace, SMALL_META_PROFILE as M } from '../../../helpers/small-meta-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const sdk = new QuantSDK();
let ws: { path: string; cleanup(): void };
// The sleeves' streams cover 80 business days from 2024-01-01; the benchmark lacks 5 of them.
const DATES = businessDays('2024-01-01', 80);
const MISSING = new Set(DATES.slice(20, 25));

function manifest(meta: Record<string, unknown>): Record<string, unknown> {
  return {
    profiles: {
      [M]: {
        sleeves: [
          { id: 'a', profile: 's1' },
          { id: 'b', profile: 's2' },
        ],
        risk_profiles: ['hrp'],
        ...meta,
      },
    },
  };
}

const GOOD = {
  benchmarks: [{ id: 'idx', file: 'bench.csv', column: 'IDX', description: 'a price index' }],
  risk_free: { file: 'rates.csv', column: 'RATE' },
};

before(async () => {
  ws = tempDir('mf-bench-');
  await buildSmallMetaWorkspace(ws.path);
  // A price index from ten business days before the streams start (2023-12-18 .. 2023-12-29): its first
  // nine returns fall before the portfolio's first date.
  const rows = ['date,IDX,OTHER'];
  let p = 100;
  for (const [t, d] of [...businessDays('2023-12-18', 10), ...DATES].entries()) {
    p *= 1 + 0.004 * Math.sin(t * 1.7) + 0.0005;
    if (!MISSING.has(d)) rows.push(`${d},${p.toFixed(6)},1`);
  }
  writeFileSync(join(ws.path, 'bench.csv'), `${rows.join('\n')}\n`);
  // Annual rates that change twice: 2 %, then 3 % from Feb 1st, then 4 % from Mar 1st.
  writeFileSync(join(ws.path, 'rates.csv'), 'date,RATE\n2023-12-01,0.02\n2024-02-01,0.03\n2024-03-01,0.04\n');
});
after(() => ws.cleanup());

const run = (runId: string) =>
  sdk.runMeta(M, { workspace: ws.path, runId, env: ENV, backtest: false, cache: false });

describe('meta.benchmark', () => {
  test('the artifacts hold the active figures of the joined series and the labelled risk-free rate', async () => {
    await writeManifest(ws.path, manifest(GOOD));
    const r = await run('b1');
    assert.ok(
      r.stages.some((s) => s.stageId === 'meta.benchmark'),
      'the meta pipeline runs meta.benchmark',
    );
    const paths = metaBenchmarkPaths(M, 'hrp');
    const dir = join(ws.path, 'runs', 'b1');
    const doc = JSON.parse(readFileSync(join(dir, paths.summary), 'utf8')) as MetaBenchmarkDoc;
    assert.equal(doc.risk_free.kind, 'series', 'a file of rates is a series');
    assert.match(
      doc.risk_free.label,
      /^r_f = rates\.csv:RATE \(mean \d\.\d %\)$/,
      'the label names the series',
    );
    const entry = doc.benchmarks[0];
    assert.ok(entry !== undefined, 'one benchmark');
    assert.equal(entry.id, 'idx', 'its id');
    assert.equal(entry.in_sample.calendar.portfolio_rows, 80, 'the portfolio has every stream day');
    assert.equal(entry.in_sample.calendar.common_rows, 75, 'the 5 days the benchmark lacks are lost');
    assert.equal(entry.in_sample.calendar.portfolio_loss, 5 / 80, 'the loss is reported like a sleeve’s');
    assert.equal(entry.in_sample.calendar.benchmark_rows, 84, '9 returns before the portfolio, 75 within it');
    assert.equal(
      entry.in_sample.calendar.benchmark_loss,
      1 - 75 / 84,
      'over all rows the early history counts',
    );
    assert.equal(
      entry.in_sample.calendar.benchmark_rows_in_span,
      75,
      'the rows from the first to the last date',
    );
    assert.equal(entry.in_sample.calendar.benchmark_loss_in_span, 0, 'within the span nothing is lost');
    assert.equal(entry.out_of_sample, null, 'no walk-forward: no out-of-sample figures');

    const table = await readTable(join(dir, paths.table));
    const col = (name: string) => table.values[table.columns.indexOf(name)] as Float64Array;
    const rf = col('risk_free');
    const A = doc.periods_per_year;
    const jan = table.dates.indexOf('2024-01-31');
    const feb = table.dates.indexOf('2024-02-01');
    assert.equal(rf[jan], 0.02 / A, 'the 2 % rate is in force on Jan 31st, per period');
    assert.equal(rf[feb], 0.03 / A, 'the 3 % rate from Feb 1st');
    const keep = table.dates.map((_, t) => t).filter((t) => !Number.isNaN(col('benchmark:idx')[t]));
    const pick = (x: Float64Array) => Float64Array.from(keep, (t) => x[t] as number);
    const expected = activeRisk(pick(col('portfolio')), pick(col('benchmark:idx')), A, pick(rf));
    assert.equal(entry.in_sample.tracking_error, expected.trackingError, 'tracking error of the joined rows');
    assert.equal(entry.in_sample.beta, expected.beta, 'beta over the series r_f');
    assert.equal(entry.in_sample.alpha, expected.alpha, 'alpha over the series r_f');
    assert.equal(entry.in_sample.up_capture, expected.upCapture, 'up capture');
    assert.equal(
      doc.portfolio.in_sample.sharpe,
      sharpe(col('portfolio'), A, rf),
      'the portfolio Sharpe ratio uses the risk-free rate',
    );
    const joined = innerJoin([
      { dates: table.dates, values: col('portfolio') },
      { dates: [...table.dates.filter((d) => !MISSING.has(d))], values: pick(col('benchmark:idx')) },
    ]);
    assert.equal(joined.dates.length, 75, 'the parquet table lets the join be redone');

    const md = readFileSync(r.reportPath, 'utf8');
    assert.match(
      md,
      /\| Sharpe \(r_f = rates\.csv:RATE \(mean \d\.\d %\)\) \|/,
      'the summary labels Sharpe with r_f',
    );
    assert.match(md, /\| Sharpe ratio \(r_f = rates\.csv:RATE/, 'so does the metrics table');
    const active = md.slice(md.indexOf('### Active risk against benchmarks'));
    assert.ok(md.includes('### Active risk against benchmarks'), 'the report has the active-risk section');
    const te = (expected.trackingError as number) * 100;
    assert.ok(
      active.includes(`| \`idx\` | in sample (fit period) | 75 | 6.3% / 0.0% |`) &&
        active.includes(`| ${te.toFixed(2)}% |`),
      `the row shows the common days, the losses and the tracking error: ${active.slice(0, 900)}`,
    );
    assert.match(
      md,
      /### Data age\n\nLast data used: 2024-04-19, \d+ days before 2026-01-01/,
      'the data age',
    );
    const html = readFileSync(r.htmlReportPath, 'utf8');
    assert.ok(
      html.includes('relative equity (portfolio / benchmark), in sample'),
      'the HTML draws the relative equity',
    );
  });

  test('a price after empty cells gives no return: it would span the gap', async () => {
    // The same index with the 5 days as empty cells of their rows (a data gap, not a closed market).
    const lines = readFileSync(join(ws.path, 'bench.csv'), 'utf8').trim().split('\n');
    const byDate = new Map(lines.slice(1).map((l) => [l.slice(0, 10), l] as const));
    const rows = [lines[0]];
    for (const d of [...businessDays('2023-12-18', 10), ...DATES]) rows.push(byDate.get(d) ?? `${d},,1`);
    writeFileSync(join(ws.path, 'bench-gaps.csv'), `${rows.join('\n')}\n`);
    await writeManifest(
      ws.path,
      manifest({ benchmarks: [{ id: 'idx', file: 'bench-gaps.csv', column: 'IDX' }] }),
    );
    await run('gaps1');
    const dir = join(ws.path, 'runs', 'gaps1');
    const paths = metaBenchmarkPaths(M, 'hrp');
    const doc = JSON.parse(readFileSync(join(dir, paths.summary), 'utf8')) as MetaBenchmarkDoc;
    const calendar = doc.benchmarks[0]?.in_sample.calendar;
    assert.equal(calendar?.common_rows, 74, 'the 5 empty days and the first day after them are not paired');
    const table = await readTable(join(dir, paths.table));
    const b = table.values[table.columns.indexOf('benchmark:idx')] as Float64Array;
    const after = table.dates.indexOf(DATES[25] as string);
    assert.ok(after > 0 && Number.isNaN(b[after] as number), 'no six-day return on the day after the gap');
    assert.ok(Number.isFinite(b[after + 1] as number), 'the day after that is a one-day return again');
  });

  test('a constant rate, and meta_allocation.risk_free_rate when risk_free is absent', async () => {
    await writeManifest(ws.path, manifest({ risk_free: { rate: 0.02 } }));
    await run('b2');
    const read = (id: string) =>
      JSON.parse(
        readFileSync(join(ws.path, 'runs', id, metaBenchmarkPaths(M, 'hrp').summary), 'utf8'),
      ) as MetaBenchmarkDoc;
    assert.equal(read('b2').risk_free.label, 'r_f = 2.0 %', 'the constant label');
    assert.deepEqual(read('b2').benchmarks, [], 'no benchmark declared');
    await writeManifest(ws.path, manifest({ meta_allocation: { risk_free_rate: 0.01 } }));
    await run('b3');
    assert.equal(read('b3').risk_free.source, 'meta_allocation.risk_free_rate', 'the optimizer’s rate');
    assert.equal(read('b3').risk_free.label, 'r_f = 1.0 %', 'and its label');
  });
});

describe('bad benchmark specs are refused before the run folder exists', () => {
  const cases: {
    name: string;
    meta: Record<string, unknown>;
    code: string;
    jsonPath?: string;
    message?: RegExp;
  }[] = [
    {
      name: 'a missing file',
      meta: { benchmarks: [{ id: 'x', file: 'nope.csv', column: 'IDX' }] },
      code: 'E_INPUT_NOT_FOUND',
      jsonPath: `profiles.${M}.benchmarks[0].file`,
    },
    {
      name: 'an unknown column',
      meta: { benchmarks: [{ id: 'x', file: 'bench.csv', column: 'IXD' }] },
      code: 'E_INPUT_COLUMN',
      jsonPath: `profiles.${M}.benchmarks[0].column`,
      message: /did you mean "IDX"/,
    },
    {
      name: 'a file outside the workspace',
      meta: { benchmarks: [{ id: 'x', file: '../bench.csv', column: 'IDX' }] },
      code: 'E_PATH_ESCAPE',
      jsonPath: `profiles.${M}.benchmarks[0].file`,
    },
    {
      name: 'returns declared on a price column',
      meta: { benchmarks: [{ id: 'x', file: 'bench.csv', column: 'IDX', input_kind: 'returns' }] },
      code: 'E_INPUT_KIND',
      jsonPath: `profiles.${M}.benchmarks[0].input_kind`,
    },
    {
      name: 'a rate file in percent',
      meta: { risk_free: { file: 'bench.csv', column: 'IDX' } },
      code: 'E_INPUT_VALUE',
      jsonPath: `profiles.${M}.risk_free.column`,
      message: /fraction/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      await writeManifest(ws.path, manifest(c.meta));
      const runId = `bad_${c.code.toLowerCase()}`;
      const error = await run(runId).catch((e: unknown) => e);
      assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
      assert.equal(error.code, c.code, `the code: ${error.oneLine()}`);
      if (c.jsonPath !== undefined)
        assert.equal(error.location?.jsonPath, c.jsonPath, `the JSON path: ${error.oneLine()}`);
      if (c.message !== undefined) assert.match(error.message, c.message, 'the message helps');
      assert.equal(existsSync(join(ws.path, 'runs', runId)), false, 'no run folder was written');
    });
  }

  const schemaCases: { name: string; meta: Record<string, unknown>; path: string; message: RegExp }[] = [
    {
      name: 'a benchmark without a column',
      meta: { benchmarks: [{ id: 'x', file: 'bench.csv' }] },
      path: `profiles.${M}.benchmarks[0].column`,
      message: /is required/,
    },
    {
      name: 'a misspelt benchmark key',
      meta: { benchmarks: [{ id: 'x', file: 'bench.csv', column: 'IDX', colum: 'IDX' }] },
      path: `profiles.${M}.benchmarks[0].colum`,
      message: /did you mean "column"/,
    },
    {
      name: 'two benchmarks with one id',
      meta: {
        benchmarks: [
          { id: 'x', file: 'bench.csv', column: 'IDX' },
          { id: 'x', file: 'bench.csv', column: 'OTHER' },
        ],
      },
      path: `profiles.${M}.benchmarks[1].id`,
      message: /duplicate benchmark id "x"/,
    },
    {
      name: 'a risk-free rate with both a rate and a file',
      meta: { risk_free: { rate: 0.02, file: 'rates.csv', column: 'RATE' } },
      path: `profiles.${M}.risk_free.file`,
      message: /both "rate" and "file"/,
    },
    {
      name: 'a negative max_data_age_days',
      meta: { max_data_age_days: -1 },
      path: `profiles.${M}.max_data_age_days`,
      message: /0/,
    },
  ];
  for (const c of schemaCases) {
    test(`manifest: ${c.name}`, async () => {
      await writeManifest(ws.path, manifest(c.meta));
      const error = await run('bad_schema').catch((e: unknown) => e);
      assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
      assert.equal(error.code, 'E_MANIFEST', `the code: ${error.oneLine()}`);
      const issue = error.issues.find((i) => i.path.endsWith(c.path));
      assert.ok(issue !== undefined, `an issue at ${c.path}: ${JSON.stringify(error.issues)}`);
      assert.match(issue.message, c.message, `the issue says what is wrong: ${issue.message}`);
      assert.equal(existsSync(join(ws.path, 'runs', 'bad_schema')), false, 'no run folder was written');
    });
  }
});
