// Golden: annualisation on monthly and weekly data. The tables are the bundled daily SWX, SPI-sector and
// GCC price tables (data/PROVENANCE.md) resampled in the test to the last close of each calendar month
// or ISO week (test/helpers/resample.ts). The figures below are worked by hand from the printed prices
// (30 significant digits, Python's decimal module); the tolerance is 1e-12.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../src/sdk/quant-sdk.js';
import { readTable } from '../../src/artifacts/index.js';
import { inferFrequency } from '../../src/numeric/series/periods-per-year.js';
import { performanceMetrics } from '../../src/numeric/stats/performance.js';
import { tempDir } from '../helpers/cli.js';
import { at, numberAt, readJson } from '../helpers/json-doc.js';
import { priceCsv, readDailyPrices, resample, type PriceTable } from '../helpers/resample.js';

const TOL = 1e-12;
const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const close = (actual: number | null, expected: number, what: string): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= TOL, `${what}: ${actual} vs ${expected}`);
};

/** The old rule: 365 when any date is a Saturday or Sunday, else 252. */
const oldRule = (dates: readonly string[]): number =>
  dates.some((d) => [0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay())) ? 365 : 252;

/** Simple returns of column j of a price table, with the dates they belong to. */
function returnsOf(table: PriceTable, j: number): { dates: string[]; r: Float64Array } {
  const r = new Float64Array(table.dates.length - 1);
  for (let t = 1; t < table.dates.length; t++)
    r[t - 1] = (table.rows[t]?.[j] as number) / (table.rows[t - 1]?.[j] as number) - 1;
  return { dates: table.dates.slice(1), r };
}

/** Sample standard deviation (ddof 1), written out independently of the library. */
function sd(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i] as number;
  m /= x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += ((x[i] as number) - m) ** 2;
  return Math.sqrt(ss / (x.length - 1));
}

const SWX = readDailyPrices('swx_prices');
const MONTHLY = resample(SWX, 'month');
const WEEKLY = resample(SWX, 'week');

describe('frequency inference on resampled bundled data', () => {
  for (const name of ['swx_prices', 'spisector_prices', 'gccindex_prices']) {
    test(`${name}: daily 252, weekly 52, monthly 12`, () => {
      const daily = readDailyPrices(name);
      assert.equal(
        inferFrequency(daily.dates).periodsPerYear,
        252,
        'inferFrequency(daily.dates).periodsPerYear',
      );
      const weekly = inferFrequency(resample(daily, 'week').dates);
      assert.equal(weekly.frequency, 'weekly', 'weekly.frequency');
      assert.equal(weekly.periodsPerYear, 52, 'weekly.periodsPerYear');
      const monthly = inferFrequency(resample(daily, 'month').dates);
      assert.equal(monthly.frequency, 'monthly', 'monthly.frequency');
      assert.equal(monthly.periodsPerYear, 12, 'monthly.periodsPerYear');
      // What the old rule gave: month ends and Friday closes are business days, so 252 both times.
      assert.equal(oldRule(resample(daily, 'month').dates), 252, "oldRule(resample(daily, 'month').dates)");
    });
  }

  test('SWX monthly: 89 month ends, rule as recorded in the artifacts', () => {
    assert.equal(MONTHLY.dates.length, 89, 'MONTHLY.dates.length');
    assert.equal(MONTHLY.dates[0], '2000-01-31', 'MONTHLY.dates[0]');
    const r = inferFrequency(MONTHLY.dates);
    assert.match(
      r.rule,
      /^median spacing 30\.5 days, 12\.1 rows\/year → monthly$/,
      'r.rule matches /^median spacing 30\\.5 days, 12\\.1 rows\\/year → monthly$/',
    );
  });
});

describe('annualised figures by hand', () => {
  test('SPI month ends Jan–May 2000: volatility = sd × √12', () => {
    // Month-end SPI closes: 4717.22 (2000-01-31), 4750.92 (02-29), 5075.78 (03-31), 5062.73 (04-28),
    // 5269.66 (05-31). Returns:
    //   r1 = 4750.92 / 4717.22 − 1 =  0.00714403822590424
    //   r2 = 5075.78 / 4750.92 − 1 =  0.0683783351435090
    //   r3 = 5062.73 / 5075.78 − 1 = −0.00257103341752401
    //   r4 = 5269.66 / 5062.73 − 1 =  0.0408732047729190
    // mean = 0.113824544724808 / 4 = 0.0284561361812021
    // deviations² = 0.000454205519256210, 0.00159378196998603, 0.000962685253308111, 0.000154183592411402
    // Σ = 0.00316485633496175; / 3 = 0.00105495211165392; sd = 0.0324800263493415
    // A = 12 (dates 02-29, 03-31, 04-28, 05-31: spacings 31, 28, 33 days, median 31 → monthly)
    // volatility = 0.0324800263493415 × √12 = 0.112514111736471   (old rule: × √252 = 0.515604433783096)
    // Sharpe = mean × 12 / volatility = 0.341473634174425 / 0.112514111736471 = 3.03494049683493
    // CAGR = (Π (1 + r))^(12/4) − 1 = 1.11711134948126^3 − 1 = 0.394085443118228
    const spi = MONTHLY.columns.indexOf('SPI');
    const { dates, r } = returnsOf(
      { ...MONTHLY, dates: MONTHLY.dates.slice(0, 5), rows: MONTHLY.rows.slice(0, 5) },
      spi,
    );
    assert.deepEqual(dates, ['2000-02-29', '2000-03-31', '2000-04-28', '2000-05-31'], 'dates');
    const A = inferFrequency(dates).periodsPerYear;
    assert.equal(A, 12, 'A');
    const m = performanceMetrics(r, A);
    close(r[0] as number, 0.00714403822590424, 'r1');
    close(m.volatility, 0.112514111736471, 'volatility');
    close(m.sharpe, 3.03494049683493, 'Sharpe');
    close(m.cagr, 0.394085443118228, 'CAGR');
  });

  test('SPI Friday closes, weeks 1–5 of 2000: volatility = sd × √52', () => {
    // Week closes: 4971.8 (01-07), 5042.25 (01-14), 4902.42 (01-21), 4804.86 (01-28), 4869.56 (02-04).
    //   r = 0.0141699183394344, −0.0277316674103823, −0.0199003757328014, 0.0134655328146918
    //   mean = −0.00499914799726435; Σ dev² = 0.00144721156860230; / 3 = 0.000482403856200766
    //   sd = 0.0219636940472400; A = 52 (spacings 7, 7, 7 days → weekly)
    //   volatility = 0.0219636940472400 × √52 = 0.158382450171854   (old rule: × √252 = 0.348662833927841)
    const spi = WEEKLY.columns.indexOf('SPI');
    const { dates, r } = returnsOf(
      { ...WEEKLY, dates: WEEKLY.dates.slice(0, 5), rows: WEEKLY.rows.slice(0, 5) },
      spi,
    );
    const A = inferFrequency(dates).periodsPerYear;
    assert.equal(A, 52, 'A');
    close(performanceMetrics(r, A).volatility, 0.158382450171854, 'volatility');
  });
});

interface WeightsDoc {
  weights: Record<string, number>;
  diagnostics: { periods_per_year: number; annualisation: Record<string, unknown> };
}

describe('portfolio.optimize max_sharpe with expected_returns=cagr', () => {
  const ws = tempDir('quant-freq-');
  after(() => ws.cleanup());
  const optimize = async (file: string, extra: Record<string, unknown>, id: string): Promise<WeightsDoc> => {
    const params = {
      input: file,
      method: 'max_sharpe',
      expected_returns: 'cagr',
      output: join(ws.path, `${id}.json`),
      ...extra,
    };
    await QuantSDK.runStage('portfolio.optimize', params, {
      workspace: ws.path,
      cwd: ws.path,
      runId: id,
      env: ENV,
    });
    return JSON.parse(readFileSync(join(ws.path, `${id}.json`), 'utf8')) as WeightsDoc;
  };
  const maxDiff = (a: WeightsDoc, b: WeightsDoc): number =>
    Math.max(
      ...Object.keys(a.weights).map((k) => Math.abs((a.weights[k] as number) - (b.weights[k] as number))),
    );

  // The old factor changes CAGR-based μ nonlinearly ((Π(1+r))^(A/T) − 1), so the weights move: measured
  // max |Δw| = 0.063 monthly and 0.0092 weekly; the solver agrees with itself to 1e-12.
  for (const [label, table, A, frequency, moved] of [
    ['monthly', MONTHLY, 12, 'monthly', 0.05],
    ['weekly', WEEKLY, 52, 'weekly', 0.005],
  ] as const) {
    test(`${label}: inferred A = ${A} gives the weights of periods_per_year=${A}, not those of the old ${oldRule(table.dates)}`, async () => {
      const file = join(ws.path, `swx_${label}.csv`);
      writeFileSync(file, priceCsv(table));
      const auto = await optimize(file, {}, `${label}_auto`);
      const explicit = await optimize(file, { periods_per_year: A }, `${label}_explicit`);
      const old = await optimize(file, { periods_per_year: oldRule(table.dates) }, `${label}_old`);
      assert.deepEqual(auto.weights, explicit.weights, 'auto.weights');
      assert.equal(auto.diagnostics.periods_per_year, A, 'auto.diagnostics.periods_per_year');
      assert.equal(
        auto.diagnostics.annualisation['source'],
        'inferred',
        "auto.diagnostics.annualisation['source']",
      );
      assert.equal(
        auto.diagnostics.annualisation['frequency'],
        frequency,
        "auto.diagnostics.annualisation['frequency']",
      );
      assert.equal(
        explicit.diagnostics.annualisation['source'],
        'params',
        "explicit.diagnostics.annualisation['source']",
      );
      assert.match(
        String(old.diagnostics.annualisation['rule']),
        new RegExp(`the dates alone would give ${A}`),
        "String(old.diagnostics.annualisation['r… matches new RegExp(`the dates alone would give ${A}`)",
      );
      const d = maxDiff(auto, old);
      assert.ok(d > moved, `${label}: max |Δw| against the old factor is only ${d}`);
    });
  }
});

describe('a sleeve and a meta run on monthly prices', () => {
  const ws = tempDir('quant-freq-meta-');
  let runs: { a: string; b: string; meta: string };
  before(async () => {
    mkdirSync(join(ws.path, 'data'));
    writeFileSync(join(ws.path, 'data', 'swx_monthly.csv'), priceCsv(MONTHLY));
    const sleeve = (assets: string[]) => ({
      sleeve: {
        prices: 'data/swx_monthly.csv',
        assets,
        risk_profiles: ['min_variance', 'equal_weight'],
        train_window: 24,
        test_window: 3,
      },
    });
    const manifest = {
      profiles: {
        core: sleeve(['SBI', 'SPI', 'SII']),
        pension: sleeve(['LP25', 'LP40', 'LP60']),
        meta_m: {
          sleeves: [
            { id: 'core', profile: 'core' },
            { id: 'pension', profile: 'pension' },
          ],
          risk_profiles: ['min_variance', 'equal_weight'],
        },
      },
    };
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const options = { workspace: ws.path, cwd: ws.path, env: ENV };
    const a = await QuantSDK.runStage(
      'sleeve.backtest',
      { profile: 'core' },
      { ...options, runId: 'core_m' },
    );
    const b = await QuantSDK.runStage(
      'sleeve.backtest',
      { profile: 'pension' },
      { ...options, runId: 'pension_m' },
    );
    const meta = await QuantSDK.runMeta('meta_m', {
      ...options,
      runId: 'meta_m_run',
      sleeveRuns: { core: a.runId, pension: b.runId },
      cache: false,
    });
    runs = { a: a.runDir, b: b.runDir, meta: meta.runDir };
  });
  after(() => ws.cleanup());

  test('run_stats: A = 12 inferred, and each volatility is sd(out-of-sample returns) × √12', async () => {
    const stats = readJson(join(runs.a, 'data', 'run_stats.json'));
    assert.equal(at(stats, 'periods_per_year'), 12, "at(stats, 'periods_per_year')");
    assert.equal(at(stats, 'annualisation', 'source'), 'inferred', "at(stats, 'annualisation', 'source')");
    assert.equal(
      at(stats, 'annualisation', 'frequency'),
      'monthly',
      "at(stats, 'annualisation', 'frequency')",
    );
    for (const P of ['min_variance', 'equal_weight']) {
      const stream = await readTable(join(runs.a, 'data', 'returns', `${P}.parquet`));
      const r = stream.values[0] as Float64Array;
      assert.equal(r.length, 88 - 24, `${P}: out-of-sample months`);
      close(numberAt(stats, 'risk_profiles', P, 'volatility'), sd(r) * Math.sqrt(12), `${P} volatility`);
    }
  });

  test('meta artifacts record A = 12 and how it was inferred; the report uses it and says so', async () => {
    const paths = (P: string) => `meta_m_${P}`;
    for (const P of ['min_variance', 'equal_weight']) {
      const manifest = readJson(join(runs.meta, 'data', `meta_manifest_${paths(P)}.json`));
      assert.equal(
        at(manifest, 'calendar', 'periods_per_year'),
        12,
        "at(manifest, 'calendar', 'periods_per_year')",
      );
      assert.equal(
        at(manifest, 'calendar', 'annualisation', 'frequency'),
        'monthly',
        "at(manifest, 'calendar', 'annualisation', 'frequency')",
      );
      const optimized = readJson(join(runs.meta, 'data', `meta_optimized_${paths(P)}.json`));
      assert.equal(
        at(optimized, 'parameters', 'periods_per_year'),
        12,
        "at(optimized, 'parameters', 'periods_per_year')",
      );
      assert.equal(
        at(optimized, 'annualisation', 'source'),
        'inferred',
        "at(optimized, 'annualisation', 'source')",
      );
      const backtest = readJson(join(runs.meta, 'data', `meta_backtest_${paths(P)}.json`));
      assert.equal(
        at(backtest, 'params', 'periods_per_year'),
        12,
        "at(backtest, 'params', 'periods_per_year')",
      );
      assert.equal(
        at(backtest, 'annualisation', 'frequency'),
        'monthly',
        "at(backtest, 'annualisation', 'frequency')",
      );
    }
    // The equal-weight meta portfolio: r_t = (core_t + pension_t) / 2 on the common months.
    const table = await readTable(join(runs.meta, 'data', `meta_returns_${paths('equal_weight')}.parquet`));
    const portfolio = Float64Array.from(
      table.dates,
      (_, t) => ((table.values[0]?.[t] ?? 0) + (table.values[1]?.[t] ?? 0)) / 2,
    );
    const volatility = `${(sd(portfolio) * Math.sqrt(12) * 100).toFixed(2)}%`;
    const md = readFileSync(join(runs.meta, 'reports', 'meta_portfolio_report.md'), 'utf8');
    assert.ok(
      md.includes(`| Annualised volatility | ${volatility} |`),
      `report volatility ${volatility} (× √12)`,
    );
    assert.match(
      md,
      new RegExp(`${table.dates.length} monthly returns from ${table.dates[0]}`),
      'md matches new RegExp(`${table.dates.length} monthly returns from ${ta…',
    );
    assert.match(
      md,
      /annualisation A = 12 \(inferred from the dates: median spacing \d+ days, 12\.\d rows\/year → monthly\)/,
      'md matches /annualisation A = 12 \\(inferred from the dates: median spa…',
    );
    const html = readFileSync(join(runs.meta, 'reports', 'meta_portfolio_report.html'), 'utf8');
    assert.ok(html.includes(volatility), 'the HTML report carries the same volatility');
    assert.ok(html.includes('A = 12'), 'the HTML report names the factor');
  });
});
