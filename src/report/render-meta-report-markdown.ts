/** The forensic meta portfolio report as Markdown (DESIGN §8). Pure: data in, string out. */
import { bullets, cell, code, num, pct, table } from './_markdown.js';
import { INTERSECTION_LOSS_WARNING, renderRiskProfileSections } from './_meta-report-sections.js';
import { isOmitted, type MetaReportData, type RiskProfileReport } from './meta-report-data.js';
import {
  IN_SAMPLE_LABEL,
  OUT_OF_SAMPLE_LABEL,
  periodNoun,
  periodsHeading,
  periodsNoun,
  sharedFrequency,
} from './_labels.js';
import { withRiskFree } from './_benchmark-section.js';

/** The walk-forward's definitions, worded by the run's calendar (`day`, `month`, ..., `period`). */
const backtestDefinitions = (frequency: string | undefined): string[] => [
  'Out-of-sample backtest (walk-forward): at each rebalance every level of the sleeve tree is fitted on its own ' +
    'trailing train window only (nested branches first), and the resulting weights are held until the next ' +
    'rebalance, drifting with the returns: w_{t+1,i} ∝ w_{t,i} (1 + r_{t,i}). The same metrics as above are ' +
    `computed on the held ${periodsNoun(frequency)} only.`,
  'Turnover = Σ |w_target − w_drifted| over the atomic sleeves at a rebalance (1 for the initial purchase); each ' +
    `rebalance costs (commission + slippage) × turnover, taken from that ${periodNoun(frequency)}’s return.`,
  'Mean effective N = the mean of 1 / Σ wᵢ² over the rebalances.',
];

function header(data: MetaReportData): string {
  const lines = [
    `- Run: ${code(data.runId)}`,
    `- Created: ${cell(data.createdAt)}`,
    `- Risk profiles: ${data.riskProfiles.length === 0 ? 'none' : data.riskProfiles.map((p) => code(p.riskProfile)).join(', ')}`,
  ];
  if (data.toolVersion !== null) lines.push(`- Tool version: ${cell(data.toolVersion)}`);
  return `# Meta portfolio report: ${code(data.metaProfile)}\n\n${lines.join('\n')}`;
}

/** The `## Warnings` the run's stages gave, each under its stage; empty when there are none. */
export function warningsSection(data: MetaReportData): string {
  const warnings = data.warnings ?? [];
  if (warnings.length === 0) return '';
  return (
    `## Warnings\n\nThe run's stages gave ${warnings.length} warning(s) (kept in its ledger, audit.jsonl); ` +
    `the risk profiles they name are flagged in the summary and in their own section.\n\n` +
    bullets(warnings.map((w) => `${code(w.stage)}: ${cell(w.message)}`))
  );
}

/** The risk profile's name, flagged when a warning of the run names it. */
function riskProfileCell(p: RiskProfileReport): string {
  const n = p.warnings?.length ?? 0;
  return n === 0 ? code(p.riskProfile) : `${code(p.riskProfile)} **(${n} warning${n === 1 ? '' : 's'})**`;
}

/** The `## Summary` table across risk profiles. */
export function summary(profiles: readonly RiskProfileReport[]): string {
  const head = [
    'Risk profile',
    'Method',
    periodsHeading(sharedFrequency(profiles.map((p) => p.frequency))),
    'CAGR',
    'Volatility',
    withRiskFree('Sharpe', profiles[0]),
    withRiskFree('Sortino', profiles[0]),
    'Max DD',
    'Calmar',
    'Win rate',
    'Eff. N',
  ];
  const rows = profiles.map((p) => {
    const m = p.metrics;
    const method =
      p.allocation.method === p.allocation.requestedMethod
        ? code(p.allocation.method)
        : `${code(p.allocation.method)} (fallback)`;
    return [
      riskProfileCell(p),
      method,
      String(m.observations),
      pct(m.cagr),
      pct(m.volatility),
      num(m.sharpe),
      num(m.sortino),
      pct(m.maxDrawdown),
      num(m.calmar),
      pct(m.winRate),
      num(m.effectiveN),
    ];
  });
  const oos = outOfSampleSummary(profiles);
  return (
    `## Summary\n\n${IN_SAMPLE_LABEL}: the optimized weights held over the whole common history they were ` +
    `fitted on, so these figures flatter the method.\n\n` +
    `${table(head, rows, ['left', 'left', ...head.slice(2).map(() => 'right' as const)])}${oos}`
  );
}

/** The out-of-sample line of each risk profile with a completed backtest (empty when there is none). */
function outOfSampleSummary(profiles: readonly RiskProfileReport[]): string {
  const rows = profiles.flatMap((p) => {
    const b = p.backtest;
    if (b === undefined || isOmitted(b) || b.status !== 'ok') return [];
    const by = (kind: string) => b.rows.find((r) => r.kind === kind);
    const meta = by('meta');
    return [
      [
        riskProfileCell(p),
        String(b.days),
        pct(meta?.cagr ?? null),
        num(meta?.sharpe ?? null),
        pct(meta?.maxDrawdown ?? null),
        num(by('in_sample_weights')?.sharpe ?? null),
        num(by('equal_weight')?.sharpe ?? null),
        pct(b.turnover.annualised),
      ],
    ];
  });
  if (rows.length === 0) return '';
  const head = [
    'Risk profile',
    'OOS periods',
    'CAGR',
    withRiskFree('Sharpe', profiles[0]),
    'Max DD',
    withRiskFree('Sharpe, full-history weights', profiles[0]),
    withRiskFree('Sharpe, equal weight', profiles[0]),
    'Turnover / year',
  ];
  return (
    `\n\n${OUT_OF_SAMPLE_LABEL}: each level refitted on its trailing window at every rebalance, net of ` +
    `costs; see each risk profile's backtest section.\n\n` +
    table(head, rows, ['left', ...head.slice(1).map(() => 'right' as const)])
  );
}

/** The risk-free rate in words, for the definitions. */
function riskFreeText(profiles: readonly RiskProfileReport[]): string {
  const labels = [...new Set(profiles.map((p) => p.riskFree ?? 'r_f = 0'))];
  return `${labels.join('; ')}; the meta profile's \`risk_free\`, else \`meta_allocation.risk_free_rate\`, else 0`;
}

/**
 * The `## Appendix` with the metric definitions and the annualisation factor per risk profile; `extra`
 * definitions (e.g. of chart series) are appended to the list.
 */
export function appendix(profiles: readonly RiskProfileReport[], extra: readonly string[] = []): string {
  const backtest = profiles.some((p) => p.backtest !== undefined);
  const definitions = bullets([
    'All figures use the simple returns of the meta portfolio, one per common date of its sleeves (daily, ' +
      'weekly or monthly as the dates are), r_t = Σᵢ wᵢ·rᵢ,t with the optimized sleeve weights held constant ' +
      '(rebalanced every period).',
    'TWR CAGR = (Π (1 + r_t))^(A/T) − 1, with T the number of returns and A the annualisation factor.',
    'Volatility = sample standard deviation of r (ddof 1) × √A.',
    `Sharpe = mean(x) × A / (std(x) × √A) on the excess returns x = r − r_f, with r_f per period = the ` +
      `annual risk-free rate / A (${riskFreeText(profiles)}).`,
    'Sortino = mean(x) × A / (√(mean(min(x, 0)²)) × √A) on the same excess returns; the downside deviation ' +
      'averages over all periods.',
    'Max drawdown = the largest fall of the compounded equity curve (starting at 1) from its running peak.',
    'Calmar = CAGR / max drawdown.',
    'Win rate = share of periods with r > 0.',
    'Effective N = 1 / Σ wᵢ² over the sleeve weights.',
    'Anomalies: consecutive, non-overlapping blocks of rows (a shorter trailing block is not checked) with ' +
      '|annualised Sharpe| > 10 (a screen for data errors, with r_f = 0) or annualised volatility > 200%.',
    `Calendar: intersection loss = 1 − kept / rows per sleeve; above ${pct(INTERSECTION_LOSS_WARNING, 0)} is a warning.`,
    ...(backtest ? backtestDefinitions(sharedFrequency(profiles.map((p) => p.frequency))) : []),
    '`n/a` marks a figure that is not defined (e.g. a Sharpe ratio at zero volatility, a Calmar ratio without drawdown).',
    ...extra,
  ]);
  const factors = table(
    ['Risk profile', 'A', 'Source'],
    profiles.map((p) => [code(p.riskProfile), String(p.periodsPerYear), cell(p.periodsPerYearSource)]),
    ['left', 'right', 'left'],
  );
  return (
    `## Appendix: definitions\n\n${definitions}\n\n` +
    `Annualisation factor A: inferred from the spacing of the dates (median spacing and rows per year: ` +
    `daily 252 on business days or 365 on calendar days, weekly 52, monthly 12, quarterly 4, annual 1), ` +
    `unless the meta profile sets \`meta_allocation.periods_per_year\`; the source says which.\n\n` +
    factors
  );
}

/**
 * Render the meta portfolio report: a title with the meta profile, run id and creation time given in
 * `data`; a summary table across risk profiles; per risk profile the sections of DESIGN §8 (metrics,
 * sleeve allocation, correlation, top physical assets, health, anomalies, calendar, nested sub-metas),
 * where a section whose optional artifact is missing is replaced by a visible note; and an appendix
 * with the metric definitions. Deterministic: the same data gives the same bytes.
 */
export function renderMetaReportMarkdown(data: MetaReportData): string {
  const warnings = warningsSection(data);
  const parts = [
    header(data),
    ...(warnings === '' ? [] : [warnings]),
    summary(data.riskProfiles),
    ...data.riskProfiles.map(renderRiskProfileSections),
    appendix(data.riskProfiles),
  ];
  return `${parts.join('\n\n')}\n`;
}
