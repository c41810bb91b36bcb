// The user's data through the built CLI: a late-listed asset costs most rows — one warning line on
// stderr, exit 0, the count in the summary; monthly data is annualised monthly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantAsync, tempDir } from '../helpers/cli.js';
import { priceCsv, readDailyPrices, resample } from '../helpers/resample.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

describe('quant on real-world tables', () => {
  let ws: { path: string; cleanup(): void };
  before(() => {
    ws = tempDir('quant-input-');
    const t = readDailyPrices('spisector_prices');
    const tech = t.columns.indexOf('TECH');
    const late = {
      ...t,
      rows: t.rows.map((r, i) => (i < 1927 ? r.map((v, j) => (j === tech ? Number.NaN : v)) : r)),
    };
    writeFileSync(join(ws.path, 'late.csv'), priceCsv(late).replaceAll('NaN', ''));
    writeFileSync(join(ws.path, 'monthly.csv'), priceCsv(resample(readDailyPrices('swx_prices'), 'month')));
    const manifest = {
      profiles: {
        late: {
          sleeve: {
            prices: 'late.csv',
            assets: ['BASI', 'TECH'],
            risk_profiles: ['equal_weight'],
            train_window: 60,
            test_window: 21,
          },
        },
      },
    };
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(manifest));
  });
  after(() => ws.cleanup());

  test('stage run: rows lost to a late listing are one warning line naming the asset and dates', async () => {
    const r = await quantAsync(
      [
        'stage',
        'run',
        'portfolio.optimize',
        '--run-id',
        'late',
        '--param',
        'input=late.csv',
        '--param',
        'method=hrp',
        '--workspace',
        ws.path,
      ],
      { cwd: ws.path, env: EPOCH },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0] ?? '',
      /^warning: portfolio\.optimize: late\.csv: 1927 of 2199 rows \(87\.6 %\) dropped for missing values \(missing=drop_rows\), 1999-12-30 to 2007-08-27; responsible: TECH 1927 rows \(first value 2007-08-28\) — set missing=drop_assets/,
      "lines[0] ?? '' matches /^warning: portfolio\\.optimize: late\\.csv: 1927 of 2199 row…",
    );
    assert.match(
      r.stdout,
      /hrp on 10 assets x 271 returns \(daily business, A = 252; 1927 of 2199 rows dropped for missing values\)/,
      'r.stdout matches /hrp on 10 assets x 271 returns \\(daily business, A = 252; …',
    );
  });

  test('sleeve run: the same warning, with the manifest key to change', async () => {
    const r = await quantAsync(
      ['sleeve', 'run', '--profile', 'late', '--run-id', 'late_sleeve', '--workspace', ws.path],
      {
        cwd: ws.path,
        env: EPOCH,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^warning: sleeve\.backtest: .*late\.csv: 1927 of 2199 rows .* set profiles\.late\.sleeve\.missing = "drop_assets" in the manifest/m,
      'r.stderr matches /^warning: sleeve\\.backtest: .*late\\.csv: 1927 of 2199 rows…',
    );
    const stats = JSON.parse(
      readFileSync(join(ws.path, 'runs', 'late_sleeve', 'data', 'run_stats.json'), 'utf8'),
    ) as {
      missing_data: { dropped_rows: number; warning: string };
    };
    assert.equal(stats.missing_data.dropped_rows, 1927, 'stats.missing_data.dropped_rows');
  });

  test('monthly prices: no warning, A = 12 in the summary and the weights file', async () => {
    const r = await quantAsync(
      [
        'stage',
        'run',
        'portfolio.optimize',
        '--run-id',
        'monthly',
        '--param',
        'input=monthly.csv',
        '--param',
        'method=min_variance',
        '--json',
        '--workspace',
        ws.path,
      ],
      { cwd: ws.path, env: EPOCH },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'r.stderr');
    const out = JSON.parse(r.stdout) as { summary: string; value: { output: string } };
    assert.match(out.summary, /\(monthly, A = 12\)/, 'out.summary matches /\\(monthly, A = 12\\)/');
    const doc = JSON.parse(readFileSync(out.value.output, 'utf8')) as {
      diagnostics: { annualisation: { rule: string } };
    };
    assert.match(
      doc.diagnostics.annualisation.rule,
      /→ monthly$/,
      'doc.diagnostics.annualisation.rule matches /→ monthly$/',
    );
  });
});
