// The report's risk-free labels, active-risk section and data-age section, rendered from report data
// (Markdown and HTML): every Sharpe/Sortino header names the rate, the active-risk table shows each
// benchmark in and out of sample with fixed formats, the data-age section states the last date, its age,
// each stream's lag and the max_data_age_days verdict.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderMetaReportHtml,
  renderMetaReportMarkdown,
  type BenchmarkSection,
  type DataAgeSection,
  type MetaReportData,
  type RiskProfileReport,
} from '../../../src/report/index.js';
import { data, DATES, full } from './_html-fixture.js';

const OOS = DATES.slice(60);
const RF = 'r_f = 2.0 %';

const relative = (dates: readonly string[], drift: number): Float64Array =>
  Float64Array.from(dates, (_, t) => 1 + drift * t);

const benchmarks: BenchmarkSection = {
  benchmarks: [
    { id: 'spi', source: 'data/prices.csv:SPI', description: 'Swiss | equity market' },
    { id: 'bonds', source: 'data/rates.csv:SBI', description: null },
  ],
  rows: [
    {
      benchmark: 'spi',
      period: 'in_sample',
      commonRows: 130,
      portfolioLoss: 0,
      benchmarkLoss: 0.0712,
      portfolioCagr: 0.123456,
      benchmarkCagr: 0.2,
      activeReturn: -0.0765,
      trackingError: 0.0656,
      informationRatio: -1.1662,
      beta: 0.5412,
      alpha: 0.0096,
      upCapture: 0.571,
      downCapture: 0.549,
      relativeReturn: -0.06,
    },
    {
      benchmark: 'spi',
      period: 'out_of_sample',
      commonRows: 70,
      portfolioLoss: 0.0143,
      benchmarkLoss: 0,
      portfolioCagr: 0.08,
      benchmarkCagr: null,
      activeReturn: null,
      trackingError: null,
      informationRatio: null,
      beta: null,
      alpha: null,
      upCapture: null,
      downCapture: null,
      relativeReturn: null,
    },
    {
      benchmark: 'bonds',
      period: 'in_sample',
      commonRows: 130,
      portfolioLoss: 0,
      benchmarkLoss: 0,
      portfolioCagr: 0.123456,
      benchmarkCagr: 0.03,
      activeReturn: 0.09,
      trackingError: 0.18,
      informationRatio: 0.5,
      beta: -0.2,
      alpha: 0.1,
      upCapture: 1.5,
      downCapture: -0.25,
      relativeReturn: 0.09,
    },
  ],
  relativeEquity: {
    inSample: {
      dates: DATES,
      lines: [
        { label: 'spi', role: 'benchmark', values: relative(DATES, -0.0005) },
        { label: 'bonds', role: 'benchmark', values: relative(DATES, 0.0007) },
      ],
    },
    outOfSample: {
      dates: OOS,
      lines: [{ label: 'spi', role: 'benchmark', values: relative(OOS, -0.0003) }],
    },
  },
};

const fresh: DataAgeSection = {
  lastDate: '2025-12-29',
  asOf: '2026-01-01',
  ageDays: 3,
  maxAgeDays: 5,
  streams: [
    { id: 'swiss/ch', lastDate: '2025-12-29', lagDays: 0, refitDate: '2025-12-01' },
    { id: 'gulf', lastDate: '2025-12-24', lagDays: 5, refitDate: null },
  ],
};

const withAll: RiskProfileReport = { ...full, riskFree: RF, benchmarks, dataAge: fresh };
const report = (p: RiskProfileReport): MetaReportData => ({ ...data, riskProfiles: [p] });
const md = renderMetaReportMarkdown(report(withAll));
const plainMd = renderMetaReportMarkdown(report(full));

/** The body of `### title` inside `text` up to the next heading. */
function sectionOf(text: string, title: string): string {
  const start = text.indexOf(`### ${title}\n`);
  assert.ok(start >= 0, `the report has a section "${title}"`);
  const end = text.slice(start + 4).search(/\n#{2,3} /);
  return end < 0 ? text.slice(start) : text.slice(start, start + 4 + end);
}

/** The header row of the first table in `text` that starts with `first`. */
function headerRow(text: string, first: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`| ${first} |`));
  assert.ok(line !== undefined, `a table starting with "${first}"`);
  return line;
}

describe('report: the risk-free rate labels every Sharpe and Sortino', () => {
  test('summary, metrics, backtest and allocation headers carry the label', () => {
    const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Risk profile'));
    assert.ok(
      headerRow(summary, 'Risk profile').includes(`| Sharpe (${RF}) | Sortino (${RF}) |`),
      `in-sample summary header: ${headerRow(summary, 'Risk profile')}`,
    );
    const oos = summary.slice(summary.indexOf('| Risk profile | OOS periods'));
    assert.equal(
      headerRow(oos, 'Risk profile'),
      `| Risk profile | OOS periods | CAGR | Sharpe (${RF}) | Max DD | Sharpe, full-history weights (${RF}) | ` +
        `Sharpe, equal weight (${RF}) | Turnover / year |`,
      'every Sharpe column of the out-of-sample summary names the rate',
    );
    const metrics = sectionOf(md, 'Metrics, in sample (fit period)');
    assert.ok(metrics.includes(`| Sharpe ratio (${RF}) | 1.23 |`), `metrics Sharpe row: ${metrics}`);
    assert.ok(metrics.includes(`| Sortino ratio (${RF}) | n/a |`), `metrics Sortino row: ${metrics}`);
    const backtest = sectionOf(md, 'Backtest, out of sample (walk-forward)');
    assert.ok(
      headerRow(backtest, 'Series').includes(`| Sharpe (${RF}) | Sortino (${RF}) |`),
      `backtest header: ${headerRow(backtest, 'Series')}`,
    );
    const allocation = sectionOf(md, 'Sleeve allocation');
    assert.ok(
      headerRow(allocation, 'Sleeve').includes(`| Sharpe (${RF}) | Max DD |`),
      `allocation header: ${headerRow(allocation, 'Sleeve')}`,
    );
    assert.ok(
      md.includes(
        `(${RF}; the meta profile's \`risk_free\`, else \`meta_allocation.risk_free_rate\`, else 0)`,
      ),
      'the appendix names the rate and where it comes from',
    );
  });

  test('without a recorded rate the headers stay plain and the appendix says r_f = 0', () => {
    const rows = plainMd.split('\n').filter((l) => l.startsWith('|'));
    assert.ok(
      rows.some((l) => l.includes('| Sharpe |')),
      'the plain report has Sharpe headers',
    );
    const labelled = rows.filter((l) => l.includes('r_f'));
    assert.deepEqual(labelled, [], 'no table header names a rate without one');
    assert.ok(plainMd.includes('(r_f = 0; '), 'the appendix says the rate is 0');
  });
});

describe('report: active risk against benchmarks', () => {
  const active = sectionOf(md, 'Active risk against benchmarks');

  test('sits after the backtest and before the allocation', () => {
    const at = (t: string) => md.indexOf(`### ${t}\n`);
    assert.ok(
      at('Backtest, out of sample (walk-forward)') < at('Active risk against benchmarks') &&
        at('Active risk against benchmarks') < at('Sleeve allocation'),
      'section order: backtest, active risk, allocation',
    );
    assert.equal(plainMd.indexOf('### Active risk against benchmarks'), -1, 'absent without benchmark data');
  });

  test('lists the sources and one row per benchmark and period, fixed formats, n/a for undefined', () => {
    assert.ok(
      active.includes(
        '- `spi`: `data/prices.csv:SPI` (Swiss \\| equity market)\n- `bonds`: `data/rates.csv:SBI`\n',
      ),
      `the sources, description escaped: ${active}`,
    );
    assert.ok(
      active.includes(
        '| Benchmark | Period | Days | Loss (portfolio / benchmark) | CAGR portfolio | CAGR benchmark | ' +
          'Active return | Tracking error | Information ratio | Beta | Alpha | Up capture | Down capture |\n' +
          '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
          '| `spi` | in sample (fit period) | 130 | 0.0% / 7.1% | 12.35% | 20.00% | -7.65% | 6.56% | -1.17 | 0.54 | 0.96% | 0.57 | 0.55 |\n' +
          '| `spi` | out of sample (walk-forward) | 70 | 1.4% / 0.0% | 8.00% | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |\n' +
          '| `bonds` | in sample (fit period) | 130 | 0.0% / 0.0% | 12.35% | 3.00% | 9.00% | 18.00% | 0.50 | -0.20 | 10.00% | 1.50 | -0.25 |',
      ),
      `the active-risk table: ${active}`,
    );
    assert.ok(
      active.includes('inner join, nothing filled') &&
        active.includes('tracking error = std(r_p − r_b) × √A'),
      'the section says how the calendars join and defines the measures',
    );
  });

  test('no benchmark named: a note saying where to name one; a missing artifact: the omitted note', () => {
    const none = renderMetaReportMarkdown(
      report({ ...full, benchmarks: { benchmarks: [], rows: [], relativeEquity: null } }),
    );
    assert.ok(
      sectionOf(none, 'Active risk against benchmarks').includes(
        '_No benchmark: name one under `benchmarks` of the meta profile',
      ),
      'the empty section tells how to add a benchmark',
    );
    const missing = renderMetaReportMarkdown(
      report({ ...full, benchmarks: { omitted: 'data/meta_benchmark_m_hrp.parquet' } }),
    );
    assert.ok(
      sectionOf(missing, 'Active risk against benchmarks').includes(
        '_Section omitted: data/meta_benchmark_m_hrp.parquet not found._',
      ),
      'a missing benchmark table is a visible note',
    );
  });

  test('HTML: the same table and a relative-equity chart in and out of sample inside the section', () => {
    const html = renderMetaReportHtml(report(withAll));
    const start = html.indexOf('id="profile-hrp-benchmarks"');
    assert.ok(start > 0, 'the HTML has the active-risk section');
    const part = html.slice(start, html.indexOf('id="profile-hrp-', start + 30));
    const kinds = [...part.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(kinds, ['relative-equity', 'relative-equity'], 'two relative-equity charts');
    assert.ok(
      part.includes('hrp: relative equity (portfolio / benchmark), in sample (fit period)') &&
        part.includes('hrp: relative equity (portfolio / benchmark), out of sample (walk-forward)'),
      'the charts are titled in and out of sample',
    );
    assert.ok(
      part.includes(
        '<td><code>spi</code></td><td>in sample (fit period)</td><td class="num">130</td><td class="num">0.0% / 7.1%</td>',
      ),
      'the HTML table has the Markdown row',
    );
    const noOos = renderMetaReportHtml(
      report({
        ...withAll,
        benchmarks: { ...benchmarks, relativeEquity: { ...benchmarks.relativeEquity!, outOfSample: null } },
      }),
    );
    const noOosPart = noOos.slice(noOos.indexOf('id="profile-hrp-benchmarks"'));
    assert.equal(
      [
        ...noOosPart
          .slice(0, noOosPart.indexOf('id="profile-hrp-', 30))
          .matchAll(/data-chart="relative-equity"/g),
      ].length,
      1,
      'without an out-of-sample series only the in-sample chart is drawn',
    );
  });
});

describe('report: data age', () => {
  test('last date, age against the run date, each stream lag and the verdict, last in the profile', () => {
    const age = sectionOf(md, 'Data age');
    assert.ok(
      age.startsWith(
        '### Data age\n\nLast data used: 2025-12-29, 3 days before 2026-01-01 (the run’s date). ' +
          '`max_data_age_days` is 5: trades from this run are allowed.\n\n' +
          '| Sleeve | Last refit | Last date | Lag (days) |\n| --- | --- | --- | ---: |\n' +
          '| `swiss/ch` | 2025-12-01 | 2025-12-29 | 0 |\n| `gulf` | — | 2025-12-24 | 5 |\n',
      ),
      `the data-age section: ${age}`,
    );
    assert.ok(
      md.indexOf('### Data age') > md.indexOf('### Nested sub-metas'),
      'the data age closes the risk profile',
    );
    assert.equal(plainMd.indexOf('### Data age'), -1, 'absent without a meta manifest');
  });

  test('older than max_data_age_days: trades refused, with the override named; unset: never refused', () => {
    const stale = renderMetaReportMarkdown(report({ ...full, dataAge: { ...fresh, ageDays: 6 } }));
    assert.ok(
      sectionOf(stale, 'Data age').includes(
        '6 days before 2026-01-01 (the run’s date). `max_data_age_days` is 5: trades from this run are ' +
          '**refused** (stale; `--allow-stale` overrides).',
      ),
      'one day past the limit is refused',
    );
    const atLimit = renderMetaReportMarkdown(report({ ...full, dataAge: { ...fresh, ageDays: 5 } }));
    assert.ok(
      sectionOf(atLimit, 'Data age').includes('trades from this run are allowed.'),
      'exactly at the limit is allowed',
    );
    const unset = renderMetaReportMarkdown(report({ ...full, dataAge: { ...fresh, maxAgeDays: null } }));
    assert.ok(
      sectionOf(unset, 'Data age').includes(
        'No `max_data_age_days` applies to the trades of this risk profile: they are not refused for age.',
      ),
      'without a limit the section says so',
    );
  });

  test('the limit of the trades block: where it is set, stale, and the allow_stale override', () => {
    const overridden = renderMetaReportMarkdown(
      report({
        ...full,
        dataAge: {
          ...fresh,
          ageDays: 9,
          limitSource: 'profiles.M.trades.max_data_age_days',
          traded: true,
          allowStale: true,
        },
      }),
    );
    const line = sectionOf(overridden, 'Data age');
    assert.ok(
      line.includes(
        '`profiles.M.trades.max_data_age_days` is 5 (the `trades` block trades this risk profile after the run): ' +
          'the data is **stale** (9 > 5 days); the block sets `allow_stale`, so the orders are produced anyway',
      ),
      `the limit's key, the verdict and the override: ${line}`,
    );
    assert.ok(!line.includes('**refused**'), 'an overridden limit is not said to refuse');
  });

  test("max_sharpe's weights state the rate the optimiser used next to the report's own", () => {
    const allocation = { ...full.allocation, method: 'max_sharpe', requestedMethod: 'max_sharpe' };
    const sharpe = renderMetaReportMarkdown(
      report({ ...withAll, allocation: { ...allocation, optimizerRiskFree: 0 } }),
    );
    assert.ok(
      sharpe.includes(
        'Method: `max_sharpe`. The weights maximise the Sharpe ratio over r_f = 0.0 % ' +
          '(`meta_allocation.risk_free_rate`, recorded in `meta_optimized_*.json`); the Sharpe figures of ' +
          'this report use r_f = 2.0 %.',
      ),
      'the optimiser’s rate and the report’s',
    );
    const other = renderMetaReportMarkdown(report({ ...withAll, allocation }));
    assert.ok(!other.includes('maximise the Sharpe ratio over'), 'nothing without a recorded rate');
  });
});

describe('report: row counts are labelled by the run’s calendar', () => {
  const tail = {
    rows: [
      {
        label: 'meta',
        sample: 'in_sample' as const,
        observations: 125,
        figures: {
          var95: 0.02,
          cvar95: 0.03,
          var99: 0.04,
          cvar99: 0.05,
          skewness: -0.1,
          excessKurtosis: 1.2,
          cdar95: 0.06,
          ulcerIndex: 0.01,
          omega: 1.1,
        },
      },
    ],
  };
  const headers = (text: string): string[] => [
    headerRow(text.slice(text.indexOf('## Summary')), 'Risk profile'),
    headerRow(sectionOf(text, 'Backtest, out of sample (walk-forward)'), 'Series'),
    headerRow(sectionOf(text, 'Active risk against benchmarks'), 'Benchmark'),
    headerRow(sectionOf(text, 'Tail risk'), 'Series'),
  ];

  test('monthly data says Months, in the tables and in the tail-risk note', () => {
    const monthly = renderMetaReportMarkdown(
      report({ ...withAll, tail, periodsPerYear: 12, frequency: 'monthly' }),
    );
    for (const h of headers(monthly)) {
      assert.ok(h.includes('| Months |') && !h.includes('Days'), `header counts months: ${h}`);
    }
    const note = sectionOf(monthly, 'Tail risk');
    assert.ok(
      note.includes('every month one equally likely scenario') && note.includes('5 % (1 %) of the months'),
      `tail-risk note speaks of months: ${note.slice(0, 200)}`,
    );
    assert.ok(!/\bdays?\b/.test(note), `no "day" in the tail-risk section: ${note.slice(0, 200)}`);
    const html = renderMetaReportHtml(report({ ...withAll, tail, periodsPerYear: 12, frequency: 'monthly' }));
    assert.ok(
      !html.includes('>Days</th>') && html.includes('>Months</th>'),
      'the HTML report counts months too',
    );
  });

  test('daily data keeps Days; an unknown calendar says Periods', () => {
    for (const h of headers(renderMetaReportMarkdown(report({ ...withAll, tail })))) {
      assert.ok(h.includes('| Days |'), `daily header: ${h}`);
    }
    const { frequency: _, ...unknown } = withAll;
    const bare = renderMetaReportMarkdown(report({ ...unknown, tail, periodsPerYear: 260 }));
    for (const h of headers(bare)) {
      assert.ok(h.includes('| Periods |') && !h.includes('Days'), `unknown calendar header: ${h}`);
    }
    assert.ok(sectionOf(bare, 'Tail risk').includes('every period one equally likely scenario'), 'tail note');
  });

  test('running text speaks of months too: the definitions, the backtest and active-risk notes, the charts', () => {
    const monthly = report({ ...withAll, tail, periodsPerYear: 12, frequency: 'monthly' });
    const texts = { markdown: renderMetaReportMarkdown(monthly), html: renderMetaReportHtml(monthly) };
    for (const [kind, text] of Object.entries(texts)) {
      for (const phrase of [
        'computed on the held months only.',
        'taken from that month’s return.',
        'fitted on these months)',
        'to the same months: its lead',
        'mean benchmark return on the months the benchmark rose',
      ]) {
        assert.ok(text.includes(phrase), `${kind}: "${phrase}"`);
      }
      // Days that are days: the data's age in calendar days, and the appendix's list of calendars.
      const calendarDays = text
        .replace(/\d+ days before/g, '')
        .replace(/Lag \(days\)|Lag = days from/g, '')
        .replace(/\(daily, weekly or monthly as the dates are\)/g, '')
        .replace(/daily 252 on business days or 365 on calendar days/g, '')
        .replace(/max_data_age_days/g, '');
      const left = calendarDays.match(/.{0,60}\b(days?|daily|day’s)\b.{0,20}/g) ?? [];
      assert.deepEqual(left, [], `${kind}: no other day-word in a monthly report`);
    }
    assert.ok(
      texts.html.includes('rebalanced every month in-sample') &&
        texts.html.includes('the sleeves’ monthly returns on the common dates'),
      'the chart definitions and captions speak of months',
    );
    const { frequency: _, ...unknown } = withAll;
    const bare = renderMetaReportHtml(report({ ...unknown, tail, periodsPerYear: 260 }));
    for (const phrase of [
      'taken from that period’s return.',
      'rebalanced every period in-sample',
      'the sleeves’ returns on',
    ]) {
      assert.ok(bare.includes(phrase), `an unknown calendar says period: "${phrase}"`);
    }
    const daily = renderMetaReportHtml(report({ ...withAll, tail }));
    for (const phrase of [
      'taken from that day’s return.',
      'rebalanced daily in-sample',
      'the sleeves’ daily returns',
    ]) {
      assert.ok(daily.includes(phrase), `daily wording is unchanged: "${phrase}"`);
    }
  });
});
