// sleeve.backtest with the sleeve spec's input options: periods_per_year from the manifest, missing-data
// policies (the warning and the record), and input-kind / frequency errors that name the manifest key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { QuantError } from '../../../../src/errors.js';
import { tempDir } from '../../../helpers/cli.js';
import { at, numberAt, readJson } from '../../../helpers/json-doc.js';
import { priceCsv, readDailyPrices, resample } from '../../../helpers/resample.js';

const ENV = { SOURCE_DATE_EPOCH: '1717200000' };
const ASSETS = ['BASI', 'INDU', 'TECH'];

describe('sleeve.backtest input options', () => {
  const ws = tempDir('quant-sleeve-opts-');
  before(() => {
    mkdirSync(join(ws.path, 'data'));
    const daily = readDailyPrices('spisector_prices', ASSETS);
    writeFileSync(join(ws.path, 'data', 'daily.csv'), priceCsv(daily));
    const tech = daily.columns.indexOf('TECH');
    const late = {
      ...daily,
      rows: daily.rows.map((r, i) => (i < 1500 ? r.map((v, j) => (j === tech ? Number.NaN : v)) : r)),
    };
    writeFileSync(join(ws.path, 'data', 'late.csv'), priceCsv(late).replaceAll('NaN', ''));
    writeFileSync(join(ws.path, 'data', 'monthly.csv'), priceCsv(resample(daily, 'month')));
    const odd = daily.dates.filter((_, i) => i % 11 === 0);
    writeFileSync(
      join(ws.path, 'data', 'irregular.csv'),
      priceCsv({ ...daily, dates: odd, rows: daily.rows.filter((_, i) => i % 11 === 0) }),
    );
    const s = (prices: string, extra: Record<string, unknown> = {}) => ({
      sleeve: {
        prices,
        assets: ASSETS,
        risk_profiles: ['equal_weight'],
        train_window: 60,
        test_window: 21,
        ...extra,
      },
    });
    const manifest = {
      profiles: {
        daily: s('data/daily.csv'),
        daily_as_monthly: s('data/daily.csv', { periods_per_year: 12 }),
        monthly_set: s('data/monthly.csv', { periods_per_year: 12, train_window: 24, test_window: 3 }),
        late: s('data/late.csv'),
        late_assets: s('data/late.csv', { missing: 'drop_assets', directions: { INDU: 'SHORT' } }),
        prices_as_returns: s('data/daily.csv', { input_kind: 'returns' }),
        irregular: s('data/irregular.csv', { train_window: 20, test_window: 5 }),
      },
    };
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(manifest, null, 2));
  });
  after(() => ws.cleanup());

  const run = async (profile: string) => {
    const warnings: string[] = [];
    const result = await QuantSDK.runStage(
      'sleeve.backtest',
      { profile },
      {
        workspace: ws.path,
        cwd: ws.path,
        runId: `${profile}_run`,
        env: ENV,
        onWarning: (m) => warnings.push(m),
      },
    );
    const stats = readJson(join(result.runDir, 'data', 'run_stats.json'));
    return { result, warnings, stats };
  };
  const failure = (profile: string): Promise<QuantError> =>
    run(profile).then(
      () => assert.fail(`${profile} ran`),
      (e: unknown) => {
        assert.ok(e instanceof QuantError, String(e));
        return e;
      },
    );

  test('periods_per_year from the manifest overrides the inferred 252 and scales every figure', async () => {
    const auto = (await run('daily')).stats;
    const set = (await run('daily_as_monthly')).stats;
    assert.equal(at(auto, 'annualisation', 'source'), 'inferred', "at(auto, 'annualisation', 'source')");
    assert.equal(
      at(auto, 'annualisation', 'periods_per_year'),
      252,
      "at(auto, 'annualisation', 'periods_per_year')",
    );
    assert.equal(at(set, 'periods_per_year'), 12, "at(set, 'periods_per_year')");
    assert.equal(at(set, 'annualisation', 'source'), 'manifest', "at(set, 'annualisation', 'source')");
    assert.match(
      String(at(set, 'annualisation', 'rule')),
      /^periods_per_year = 12 set in the manifest; the dates alone would give 252 \(median spacing 1 day/,
      "String(at(set, 'annualisation', 'rule')) matches /^periods_per_year = 12 set in the manifest; the dates alon…",
    );
    const ratio =
      numberAt(set, 'risk_profiles', 'equal_weight', 'volatility') /
      numberAt(auto, 'risk_profiles', 'equal_weight', 'volatility');
    assert.ok(Math.abs(ratio - Math.sqrt(12 / 252)) < 1e-12, `volatility ratio ${ratio}`);
  });

  test('a set factor that matches the dates says so without a note', async () => {
    const { stats, result } = await run('monthly_set');
    assert.equal(
      at(stats, 'annualisation', 'rule'),
      'periods_per_year = 12 set in the manifest',
      "at(stats, 'annualisation', 'rule')",
    );
    assert.match(result.summary, /\(A = 12 \(set\)\)/, 'result.summary matches /\\(A = 12 \\(set\\)\\)/');
  });

  test('a late-listed asset: one warning, recorded in run_stats and the summary', async () => {
    const { stats, warnings, result } = await run('late');
    assert.equal(warnings.length, 1, 'warnings.length');
    assert.match(
      warnings[0] ?? '',
      /^sleeve\.backtest: .*late\.csv: 1500 of \d+ rows \(\d+\.\d %\) dropped for missing values \(missing=drop_rows\), /,
      "warnings[0] ?? '' matches /^sleeve\\.backtest: .*late\\.csv: 1500 of \\d+ rows \\(\\d+\\.\\d…",
    );
    assert.match(
      warnings[0] ?? '',
      /responsible: TECH 1500 rows \(first value \d{4}-\d{2}-\d{2}\) — set profiles\.late\.sleeve\.missing = "drop_assets" in the manifest/,
      "warnings[0] ?? '' matches /responsible: TECH 1500 rows \\(first value \\d{4}-\\d{2}-\\d{2…",
    );
    assert.equal(
      at(stats, 'missing_data', 'dropped_rows'),
      1500,
      "at(stats, 'missing_data', 'dropped_rows')",
    );
    assert.equal(at(stats, 'dropped_rows'), 1500, "at(stats, 'dropped_rows')");
    assert.match(
      result.summary,
      /1500 of \d+ rows dropped for missing values/,
      'result.summary matches /1500 of \\d+ rows dropped for missing values/',
    );
  });

  test('missing=drop_assets: the sleeve runs on the other assets, directions kept', async () => {
    const { stats, warnings } = await run('late_assets');
    assert.deepEqual(at(stats, 'assets'), ['BASI', 'INDU'], "at(stats, 'assets')");
    assert.deepEqual(at(stats, 'directions'), { BASI: 'LONG', INDU: 'SHORT' }, "at(stats, 'directions')");
    assert.deepEqual(
      at(stats, 'missing_data', 'dropped_assets', 0, 'asset'),
      'TECH',
      "at(stats, 'missing_data', 'dropped_assets', 0, 'asset')",
    );
    assert.equal(warnings.length, 1, 'warnings.length');
  });

  test('prices declared as returns: E_INPUT_KIND naming the file, column and manifest key', async () => {
    const e = await failure('prices_as_returns');
    assert.equal(e.code, 'E_INPUT_KIND', 'e.code');
    assert.match(
      e.message,
      /daily\.csv:2 column BASI: input_kind is returns, but .* this looks like prices; set profiles\.prices_as_returns\.sleeve\.input_kind = "prices" in the manifest$/,
      'e.message matches /daily\\.csv:2 column BASI: input_kind is returns, but .* th…',
    );
  });

  test('irregular dates: E_FREQUENCY at the manifest key periods_per_year', async () => {
    const e = await failure('irregular');
    assert.equal(e.code, 'E_FREQUENCY', 'e.code');
    assert.match(
      e.message,
      /^sleeve profile "irregular": .*irregular\.csv \(\d+ return rows\): cannot infer the sampling frequency/,
      'e.message matches /^sleeve profile "irregular": .*irregular\\.csv \\(\\d+ return…',
    );
    assert.equal(e.location?.jsonPath, 'profiles.irregular.sleeve.periods_per_year', 'e.location?.jsonPath');
    assert.match(
      e.hint ?? '',
      /^set profiles\.irregular\.sleeve\.periods_per_year in the manifest/,
      "e.hint ?? '' matches /^set profiles\\.irregular\\.sleeve\\.periods_per_year in the …",
    );
  });
});
