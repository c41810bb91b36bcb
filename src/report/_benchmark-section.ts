/** The report's active-risk and data-age sections (data → Markdown). */
import { bullets, cell, code, num, pct, table } from './_markdown.js';
import { IN_SAMPLE, OUT_OF_SAMPLE, periodsHeading, periodsNoun } from './_labels.js';
import type { BenchmarkSection, DataAgeSection, RiskProfileReport } from './meta-report-data.js';

const R = 'right' as const;
const L = 'left' as const;

/** `Sharpe (r_f = 2.0 %)`: a Sharpe or Sortino column header with the run's risk-free rate. */
export function withRiskFree(head: string, p: Pick<RiskProfileReport, 'riskFree'> | undefined): string {
  return p?.riskFree === undefined ? head : `${head} (${p.riskFree})`;
}

/** The active-risk table: one row per benchmark and period. */
export function benchmarksBlock(b: BenchmarkSection, frequency?: string): string {
  if (b.benchmarks.length === 0) {
    return '_No benchmark: name one under `benchmarks` of the meta profile (a column of a price or return file)._';
  }
  const sources = bullets(
    b.benchmarks.map(
      (x) => `${code(x.id)}: ${code(x.source)}${x.description === null ? '' : ` (${cell(x.description)})`}`,
    ),
  );
  const head = [
    'Benchmark',
    'Period',
    periodsHeading(frequency),
    'Loss (portfolio / benchmark)',
    'CAGR portfolio',
    'CAGR benchmark',
    'Active return',
    'Tracking error',
    'Information ratio',
    'Beta',
    'Alpha',
    'Up capture',
    'Down capture',
  ];
  const rows = b.rows.map((r) => [
    code(r.benchmark),
    r.period === 'in_sample' ? IN_SAMPLE : OUT_OF_SAMPLE,
    String(r.commonRows),
    `${pct(r.portfolioLoss, 1)} / ${pct(r.benchmarkLoss, 1)}`,
    pct(r.portfolioCagr),
    pct(r.benchmarkCagr),
    pct(r.activeReturn),
    pct(r.trackingError),
    num(r.informationRatio),
    num(r.beta),
    pct(r.alpha),
    num(r.upCapture),
    num(r.downCapture),
  ]);
  return [
    sources,
    table(head, rows, [L, L, ...head.slice(2).map(() => R)]),
    'Each benchmark is joined with the portfolio on their common dates (inner join, nothing filled); the loss ' +
      'is the share of each side’s rows without a match, the benchmark’s counted from the portfolio’s first ' +
      'to its last date (a longer benchmark history is not a loss). Active return = mean(r_p − r_b) × A, tracking error = ' +
      'std(r_p − r_b) × √A, information ratio = their ratio; beta and alpha (CAPM, annualised) over the ' +
      `risk-free rate; capture = mean portfolio return over mean benchmark return on the ${periodsNoun(frequency)} ` +
      'the benchmark ' +
      'rose (up) or fell (down).',
  ].join('\n\n');
}

/**
 * The limit that applies to this risk profile's trades, where the manifest sets it, whether the data
 * passes it, and the `allow_stale` override of the `trades` block when it lets stale data through.
 */
function ageVerdict(d: DataAgeSection): string {
  const block = d.traded === true ? ' (the `trades` block trades this risk profile after the run)' : '';
  if (d.maxAgeDays === null) {
    return `No \`max_data_age_days\` applies to the trades of this risk profile${block}: they are not refused for age.`;
  }
  const where = `${code(d.limitSource ?? 'max_data_age_days')} is ${d.maxAgeDays}${block}`;
  if (d.ageDays <= d.maxAgeDays) return `${where}: trades from this run are allowed.`;
  if (d.allowStale === true) {
    return (
      `${where}: the data is **stale** (${d.ageDays} > ${d.maxAgeDays} days); the block sets ` +
      '`allow_stale`, so the orders are produced anyway (the override is recorded in the trade list).'
    );
  }
  return `${where}: trades from this run are **refused** (stale; \`--allow-stale\` overrides).`;
}

/**
 * The last date used, its age against the run's day, and per atomic sleeve the date its weights were last
 * re-estimated next to its stream's last date and how far that lags the latest one.
 */
export function dataAgeBlock(d: DataAgeSection): string {
  const rows = d.streams.map((s) => [code(s.id), s.refitDate ?? '—', s.lastDate, String(s.lagDays)]);
  return [
    `Last data used: ${d.lastDate}, ${d.ageDays} days before ${d.asOf} (the run’s date). ${ageVerdict(d)}`,
    table(['Sleeve', 'Last refit', 'Last date', 'Lag (days)'], rows, [L, L, L, R]),
    'Last refit = the date the sleeve’s weights were last re-estimated (the start of its last walk-forward test window, `as_of` in its run’s `portfolio_flattened.json`; — when the run does not record it). Lag = days from the sleeve stream’s last date to the last date of the stream that ends last.',
  ].join('\n\n');
}
