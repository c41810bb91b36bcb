/** The per-risk-profile sections of the meta report (DESIGN §8), each data → Markdown. */
import { bullets, cell, code, num, omittedNote, pct, table } from './_markdown.js';
import { backtestBlock } from './_backtest-section.js';
import { benchmarksBlock, dataAgeBlock, withRiskFree } from './_benchmark-section.js';
import { attributionBlock } from './_attribution-section.js';
import { exposureBlock } from './_exposure-section.js';
import { limitsBlock } from './_limits-section.js';
import { IN_SAMPLE, IN_SAMPLE_LABEL, OUT_OF_SAMPLE_LABEL, periodNoun, periodsHeading } from './_labels.js';
import {
  isOmitted,
  type AllocationSection,
  type AnomalySection,
  type AssetsSection,
  type ConcentrationFigures,
  type TailSection,
  type CalendarSection,
  type CorrelationSection,
  type HealthRow,
  type HealthSection,
  type NestedSection,
  type RiskProfileReport,
  type Section,
} from './meta-report-data.js';

/**
 * Intersection loss (1 − kept / rows) above which a sleeve's calendar is flagged (DESIGN §6): the one
 * definition, used by meta.returns for its warning and by the report for its flag.
 */
export const INTERSECTION_LOSS_WARNING = 0.2;

const R = 'right' as const;
const L = 'left' as const;

function orNote<T extends object>(section: Section<T>, render: (value: T) => string): string {
  return isOmitted(section) ? omittedNote(section.omitted, section.notRun) : render(section);
}

function metricsBlock(p: RiskProfileReport): string {
  const m = p.metrics;
  const returns = p.frequency === undefined ? 'returns' : `${p.frequency} returns`;
  const span =
    p.firstDate === null
      ? `${m.observations} ${returns}.`
      : `${m.observations} ${returns} from ${p.firstDate} to ${p.lastDate ?? p.firstDate}; ` +
        `annualisation A = ${p.periodsPerYear} (${cell(p.periodsPerYearSource)}).`;
  const period = `${IN_SAMPLE_LABEL}: the optimized weights on the history they were fitted on. ${span}`;
  const rows: [string, string][] = [
    ['TWR CAGR', pct(m.cagr)],
    ['Annualised volatility', pct(m.volatility)],
    [withRiskFree('Sharpe ratio', p), num(m.sharpe)],
    [withRiskFree('Sortino ratio', p), num(m.sortino)],
    ['Max drawdown', pct(m.maxDrawdown)],
    ['Calmar ratio', num(m.calmar)],
    ['Win rate', pct(m.winRate)],
    ['Effective N (sleeves)', num(m.effectiveN)],
  ];
  return `${period}\n\n${table(['Metric', 'Value'], rows, [L, R])}`;
}

function atBound(w: number, lo: number, hi: number): string {
  const tol = 1e-9;
  if (Math.abs(w - hi) <= tol) return ' (at max)';
  if (Math.abs(w - lo) <= tol && lo > 0) return ' (at min)';
  return '';
}

/** ` The weights maximise the Sharpe ratio over r_f = 0.0 % (...)`: max_sharpe's own rate; '' otherwise. */
function optimizerRateText(rate: number | undefined, riskFree: string | undefined): string {
  if (rate === undefined) return '';
  return (
    ` The weights maximise the Sharpe ratio over r_f = ${num(rate * 100, 1)} % ` +
    '(`meta_allocation.risk_free_rate`, recorded in `meta_optimized_*.json`)' +
    (riskFree === undefined ? '.' : `; the Sharpe figures of this report use ${riskFree}.`)
  );
}

function allocationBlock(a: AllocationSection, riskFree?: string): string {
  const method =
    a.method === a.requestedMethod
      ? `Method: ${code(a.method)}.`
      : `Method: ${code(a.method)} (requested ${code(a.requestedMethod)}).`;
  const fallbacks =
    a.fallbacks.length === 0
      ? 'Fallbacks: none.'
      : `Fallbacks:\n\n${bullets(a.fallbacks.map((f) => `${code(f.method)} failed with ${code(f.code)}: ${cell(f.message)}`))}`;
  const optimizerRate = optimizerRateText(a.optimizerRiskFree, riskFree);
  const bounds = `[${pct(a.minWeight)}, ${pct(a.maxWeight)}]`;
  const rows = a.sleeves.map((s) => [
    code(s.id),
    s.kind ?? 'n/a',
    s.profile === null ? 'n/a' : code(s.profile),
    s.runId === null ? 'n/a' : code(s.runId),
    `${pct(s.weight)}${atBound(s.weight, a.minWeight, a.maxWeight)}`,
    bounds,
    pct(s.figures.cagr),
    pct(s.figures.volatility),
    num(s.figures.sharpe),
    pct(s.figures.maxDrawdown),
  ]);
  const total = a.sleeves.reduce((sum, s) => sum + s.weight, 0);
  const header = [
    'Sleeve',
    'Kind',
    'Profile',
    'Run',
    'Weight',
    'Bounds',
    'CAGR',
    'Volatility',
    withRiskFree('Sharpe', riskFree === undefined ? undefined : { riskFree }),
    'Max DD',
  ];
  return [
    `${method}${optimizerRate} ${fallbacks}`,
    table(header, rows, [L, L, L, L, R, R, R, R, R, R]),
    `Sum of weights: ${pct(total)}. Sleeve figures, ${IN_SAMPLE}, are those of each sleeve's own stream on ` +
      `the common dates, the history the weights were fitted on.`,
    ...(a.turnover === undefined ? [] : [cell(a.turnover)]),
  ].join('\n\n');
}

function correlationBlock(c: CorrelationSection | null): string {
  if (c === null) return '_Not computed: fewer than 2 common dates._';
  const rows = c.ids.map((id, i) => [code(id), ...c.ids.map((_, j) => num(c.values[i]?.[j] ?? null))]);
  return table(['', ...c.ids.map(code)], rows, [L, ...c.ids.map(() => R)]);
}

function tailBlock(t: TailSection, frequency: string | undefined): string {
  const noun = periodNoun(frequency);
  const head = [
    'Series',
    'Sample',
    periodsHeading(frequency),
    'VaR 95',
    'CVaR 95',
    'VaR 99',
    'CVaR 99',
    'Skew',
    'Ex. kurt',
    'CDaR 95',
    'Ulcer',
    'Omega',
  ];
  const rows = t.rows.map((r) => {
    const f = r.figures;
    return [
      code(r.label),
      r.sample === 'in_sample' ? IN_SAMPLE_LABEL : OUT_OF_SAMPLE_LABEL,
      String(r.observations),
      pct(f.var95),
      pct(f.cvar95),
      pct(f.var99),
      pct(f.cvar99),
      num(f.skewness),
      num(f.excessKurtosis),
      pct(f.cdar95),
      pct(f.ulcerIndex),
      num(f.omega),
    ];
  });
  const note =
    `Historical, per period, every ${noun} one equally likely scenario: VaR / CVaR = the loss exceeded on ` +
    `5 % (1 %) of the ${noun}s / the mean loss beyond it; CDaR 95 = the mean of the worst 5 % of the ` +
    'drawdowns of the uncompounded cumulative return; Ulcer index = the root mean square of those ' +
    'drawdowns; skewness and excess kurtosis from population moments; Omega = Σ gains / Σ losses around 0.';
  return `${note}\n\n${table(head, rows, [L, L, ...head.slice(2).map(() => R)])}`;
}

function concentrationLine(c: ConcentrationFigures): string {
  const largest =
    c.largest === null
      ? 'no position'
      : `largest position ${code(c.largest.symbol)} ${pct(c.largest.gross)} (${c.largest.cap === null ? 'no cap set' : `cap ${pct(c.largest.cap)}`})`;
  return `Concentration of the flattened gross weights: ${largest}; top 10 hold ${pct(c.top10Share)}; HHI ${num(c.hhi)} (effective N ${num(c.effectiveN)}).`;
}

function assetsBlock(a: AssetsSection): string {
  const totals =
    `${a.assetCount} physical assets; gross ${pct(a.totals.gross)}, net ${pct(a.totals.net)}, ` +
    `long ${pct(a.totals.long)}, short ${pct(a.totals.short)}. Top ${Math.min(a.limit, a.assetCount)} by gross weight:`;
  const contributors = (list: AssetsSection['top'][number]['contributors']): string => {
    const shown = list.slice(0, 5).map((c) => `${code(c.path)} ${pct(c.contribution)}`);
    if (list.length > 5) shown.push(`+${list.length - 5} more`);
    return shown.join(', ');
  };
  const rows = a.top.map((r, i) => [
    String(i + 1),
    code(r.symbol),
    r.direction,
    pct(r.gross),
    pct(r.net),
    contributors(r.contributors),
  ]);
  const parts = [
    totals,
    table(['#', 'Symbol', 'Direction', 'Gross', 'Net', 'Contributors'], rows, [R, L, L, R, R, L]),
  ];
  if (a.concentration !== undefined) parts.push(concentrationLine(a.concentration));
  if (a.missing.length > 0) {
    parts.push(
      `Sleeves without physical weights (they contribute nothing):\n\n` +
        bullets(a.missing.map((m) => `${code(m.path)}: ${cell(m.reason)}`)),
    );
  }
  if (a.fallbacks.length > 0) {
    parts.push(
      `Sleeves flattened from their atoms file (a recorded fallback):\n\n` +
        bullets(a.fallbacks.map((f) => `${code(f.path)}: ${cell(f.reason)}`)),
    );
  }
  return parts.join('\n\n');
}

function healthRow(s: HealthRow): string[] {
  const b = s.branch;
  if (b === undefined) {
    return [
      code(s.id),
      String(s.windows),
      String(s.successes),
      s.windows === 0 ? 'n/a (no records)' : pct(s.successRate),
      s.healthy ? 'healthy' : 'unhealthy',
    ];
  }
  if (isOmitted(b))
    return [`${code(s.id)} (branch)`, 'n/a', 'n/a', 'n/a', `unknown: ${cell(b.omitted)} not found`];
  return [
    `${code(s.id)} (branch)`,
    String(s.windows),
    String(s.successes),
    s.windows === 0 ? 'n/a (no records)' : pct(s.successRate),
    `${b.healthySleeves} of ${b.sleeves} sleeves healthy`,
  ];
}

function healthBlock(h: HealthSection): string {
  const rows = h.sleeves.map(healthRow);
  const parts = [table(['Sleeve', 'Windows', 'Successes', 'Success rate', 'Status'], rows, [L, R, R, R, L])];
  if (h.sleeves.some((s) => s.branch !== undefined)) {
    parts.push(
      'A branch row sums the windows and successes of the atomic sleeves the branch includes, at every depth.',
    );
  }
  if (h.excluded.length === 0) parts.push('Excluded sleeves: none.');
  else {
    const ex = h.excluded.map((e) => [
      code(e.id),
      e.kind,
      code(e.profile),
      e.runId === null ? 'n/a' : code(e.runId),
      code(e.reason),
      cell(e.detail),
    ]);
    parts.push(`Excluded sleeves:\n\n${table(['Sleeve', 'Kind', 'Profile', 'Run', 'Reason', 'Detail'], ex)}`);
  }
  if (h.warnings.length > 0) parts.push(`Warnings:\n\n${bullets(h.warnings.map(cell))}`);
  return parts.join('\n\n');
}

function anomaliesBlock(a: AnomalySection): string {
  const rule =
    `Blocks of ${a.window} consecutive rows with |annualised Sharpe| > ${num(a.sharpeLimit, 0)} or annualised ` +
    `volatility > ${pct(a.volatilityLimit, 0)}, checked ${IN_SAMPLE} on ${a.series.map(code).join(', ')}.`;
  if (a.windows.length === 0) return `${rule}\n\nNo anomalous window.`;
  const rows = a.windows.map((w) => [
    code(w.series),
    w.start,
    w.end,
    String(w.rows),
    num(w.sharpe),
    pct(w.volatility),
    w.breaches.join(', '),
  ]);
  return `${rule}\n\n${table(['Series', 'Start', 'End', 'Rows', 'Sharpe', 'Volatility', 'Breach'], rows, [L, L, L, R, R, R, L])}`;
}

function calendarBlock(c: CalendarSection): string {
  const span = c.firstDate === null ? '' : ` from ${c.firstDate} to ${c.lastDate ?? c.firstDate}`;
  const head =
    `${c.commonRows} common dates${span} (inner join, nothing filled); weekend dates: ${c.weekendDates ? 'yes' : 'no'}; ` +
    `A = ${c.periodsPerYear}.`;
  const flagged = c.sleeves.filter((s) => s.intersectionLoss > INTERSECTION_LOSS_WARNING);
  const rows = c.sleeves.map((s) => [
    code(s.id),
    String(s.rows),
    String(s.kept),
    pct(s.intersectionLoss),
    s.intersectionLoss > INTERSECTION_LOSS_WARNING ? '**warning**' : '',
  ]);
  const parts = [head, table(['Sleeve', 'Rows', 'Kept', 'Intersection loss', 'Flag'], rows, [L, R, R, R, L])];
  if (flagged.length > 0) {
    parts.push(
      `> **Warning:** the inner join dropped more than ${pct(INTERSECTION_LOSS_WARNING, 0)} of the dates of ` +
        `${flagged.map((s) => code(s.id)).join(', ')}: every figure covers a much shorter history than these sleeves have.`,
    );
  }
  return parts.join('\n\n');
}

function nestedBlock(n: NestedSection, riskFree?: string): string {
  if (n.branches.length === 0) return 'No nested sub-metas.';
  return n.branches
    .map((b) => {
      const head =
        `#### ${code(b.path)} (meta profile ${code(b.profile)})\n\n` +
        `Weight in parent ${pct(b.weightInParent)}, in the root ${pct(b.effectiveWeight)}; branch stream: ` +
        `${b.branchWeights === null ? 'n/a' : code(b.branchWeights)}.`;
      const body = orNote(b.allocation, (a) => {
        const rows = a.sleeves.map((s) => [
          code(s.id),
          s.kind ?? 'n/a',
          pct(s.weight),
          pct(s.effectiveWeight),
        ]);
        return `Method: ${code(a.method)}.${optimizerRateText(a.optimizerRiskFree, riskFree)}\n\n${table(['Sleeve', 'Kind', 'Weight in branch', 'Weight in root'], rows, [L, L, R, R])}`;
      });
      return `${head}\n\n${body}`;
    })
    .join('\n\n');
}

/** Stable keys of the per-risk-profile sections (the HTML report hangs its charts on them). */
export type SectionKey =
  | 'warnings'
  | 'metrics'
  | 'backtest'
  | 'allocation'
  | 'correlation'
  | 'assets'
  | 'health'
  | 'anomalies'
  | 'calendar'
  | 'nested'
  | 'tail'
  | 'benchmarks'
  | 'data_age'
  | 'attribution'
  | 'exposure'
  | 'limits';

/** One section of a risk profile: its key, `###` title and Markdown body. */
export interface SectionBlock {
  readonly key: SectionKey;
  readonly title: string;
  readonly body: string;
}

/** The sections of one risk profile in report order; the backtest only when the data carries one. */
export function riskProfileSectionBlocks(p: RiskProfileReport): SectionBlock[] {
  const blocks: SectionBlock[] = [];
  if (p.warnings !== undefined && p.warnings.length > 0) {
    blocks.push({
      key: 'warnings',
      title: 'Warnings',
      body:
        `**The run warned about this risk profile:**\n\n` +
        bullets(p.warnings.map((w) => `**Warning**: ${cell(w)}`)),
    });
  }
  blocks.push({ key: 'metrics', title: `Metrics, ${IN_SAMPLE}`, body: metricsBlock(p) });
  if (p.backtest !== undefined) {
    blocks.push({
      key: 'backtest',
      title: `Backtest, ${OUT_OF_SAMPLE_LABEL.toLowerCase()}`,
      body: orNote(p.backtest, (b) => backtestBlock(b, p.riskFree, p.frequency)),
    });
  }
  if (p.benchmarks !== undefined) {
    blocks.push({
      key: 'benchmarks',
      title: 'Active risk against benchmarks',
      body: orNote(p.benchmarks, (b) => benchmarksBlock(b, p.frequency)),
    });
  }
  blocks.push(
    ...(p.tail === undefined
      ? []
      : [{ key: 'tail' as const, title: 'Tail risk', body: tailBlock(p.tail, p.frequency) }]),
    { key: 'allocation', title: 'Sleeve allocation', body: allocationBlock(p.allocation, p.riskFree) },
    ...(p.limits === undefined
      ? []
      : [{ key: 'limits' as const, title: 'Limits', body: limitsBlock(p.limits) }]),
    { key: 'correlation', title: 'Sleeve correlation', body: correlationBlock(p.correlation) },
    { key: 'assets', title: 'Top physical assets', body: orNote(p.assets, assetsBlock) },
    ...(p.attribution === undefined
      ? []
      : [
          {
            key: 'attribution' as const,
            title: 'Risk attribution',
            body: orNote(p.attribution, attributionBlock),
          },
        ]),
    ...(p.exposure === undefined
      ? []
      : [
          {
            key: 'exposure' as const,
            title: 'Exposure by physical asset',
            body: orNote(p.exposure, exposureBlock),
          },
        ]),
    { key: 'health', title: 'Sleeve health', body: orNote(p.health, healthBlock) },
    { key: 'anomalies', title: 'Anomalies', body: anomaliesBlock(p.anomalies) },
    { key: 'calendar', title: 'Calendar', body: orNote(p.calendar, calendarBlock) },
    { key: 'nested', title: 'Nested sub-metas', body: orNote(p.nested, (n) => nestedBlock(n, p.riskFree)) },
  );
  if (p.dataAge !== undefined)
    blocks.push({ key: 'data_age', title: 'Data age', body: dataAgeBlock(p.dataAge) });
  return blocks;
}

/** All sections of one risk profile, starting with its `##` heading. */
export function renderRiskProfileSections(p: RiskProfileReport): string {
  return [
    `## Risk profile ${code(p.riskProfile)}`,
    ...riskProfileSectionBlocks(p).map((b) => `### ${b.title}\n\n${b.body}`),
  ].join('\n\n');
}
