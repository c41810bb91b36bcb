/** The out-of-sample walk-forward section of the meta report (data → Markdown). */
import { withRiskFree } from './_benchmark-section.js';
import { bullets, cell, code, num, pct, table } from './_markdown.js';
import { periodsHeading, periodsNoun } from './_labels.js';
import type { BacktestRow, BacktestSection } from './meta-report-data.js';

const R = 'right' as const;
const L = 'left' as const;

function rowLabel(r: BacktestRow, frequency: string | undefined): string {
  switch (r.kind) {
    case 'meta':
      return 'Meta, out of sample (walk-forward, net of costs)';
    case 'in_sample_weights':
      return `Meta, full-history weights (in sample: fitted on these ${periodsNoun(frequency)})`;
    case 'equal_weight':
      return 'Equal weight, out of sample (walk-forward, net of costs)';
    case 'sleeve':
      return `Sleeve ${code(r.label)} (its own stream)`;
  }
}

/** The rebalancing policies side by side, on the same walk-forward targets. */
function policiesBlock(policies: NonNullable<BacktestSection['policies']>, riskFree?: string): string {
  const sharpe = withRiskFree('Sharpe', riskFree === undefined ? undefined : { riskFree });
  const header = ['Policy', 'Rule', 'Net return', 'CAGR', sharpe, 'Turnover', 'Costs paid', 'Rebalances'];
  const rows = policies.map((p, k) => [
    k === 0 ? `${code(p.name)} (used)` : code(p.name),
    cell(p.settings),
    pct(p.totalReturn),
    pct(p.cagr),
    num(p.sharpe),
    pct(p.turnover),
    pct(p.costs, 3),
    p.partial > 0 ? `${p.rebalances} (${p.partial} partial)` : String(p.rebalances),
  ]);
  return (
    'Rebalancing policies on the same targets (net of costs; turnover and rebalances include the initial purchase; ' +
    '`at_refit` trades in full at every refit, the default):\n\n' +
    table(header, rows, [L, L, R, R, R, R, R, R])
  );
}

/** The cost rates per unit of turnover: the single rate, or the `costs_bps` rates by sleeve and the rest. */
function costsText(b: BacktestSection): string {
  const single = `commission ${pct(b.commission, 3)}, slippage ${pct(b.slippage, 3)}`;
  const bps = Object.entries(b.costsBps ?? {});
  if (bps.length === 0) return `Costs ${pct(b.commission + b.slippage, 3)} per unit of turnover (${single}).`;
  const rates = bps.map(([path, v]) => `${code(path)} ${pct(v / 10_000, 3)} (${String(v)} bps)`).join(', ');
  return (
    `Costs per unit of turnover by sleeve (\`rebalancing.costs_bps\`): ${rates}; any other sleeve ` +
    `${pct(b.commission + b.slippage, 3)} (${single}).`
  );
}

/** The backtest block: settings, the comparison table, turnover and costs, fallbacks. */
export function backtestBlock(b: BacktestSection, riskFree?: string, frequency?: string): string {
  if (b.status !== 'ok') {
    return (
      `_Not run: ${cell(b.reason ?? 'the history is too short')}._ The walk-forward needs at least ` +
      `train window + 1 = ${b.trainWindow + 1} common dates; use a shorter \`train_window\` ` +
      `(quant stage run meta.backtest --param train_window=...) or a longer history.`
    );
  }
  const span = b.firstDate === null ? '' : ` from ${b.firstDate} to ${b.lastDate ?? b.firstDate}`;
  const head =
    `Walk-forward, out of sample: at each of ${b.rebalances} rebalances (every ${b.rebalance} rows) the ` +
    `${code(b.method)} weights of every level are fitted on its trailing ${b.trainWindow} rows only, then held ` +
    `with drifting weights until the next rebalance. ${costsText(b)} ${b.days} periods${span}; ` +
    `A = ${b.periodsPerYear}.`;
  const header = [
    'Series',
    periodsHeading(frequency),
    'CAGR',
    'Volatility',
    withRiskFree('Sharpe', riskFree === undefined ? undefined : { riskFree }),
    withRiskFree('Sortino', riskFree === undefined ? undefined : { riskFree }),
    'Max DD',
    'Calmar',
    'Win rate',
  ];
  const rows = b.rows.map((r) => [
    rowLabel(r, frequency),
    String(r.observations),
    pct(r.cagr),
    pct(r.volatility),
    num(r.sharpe),
    num(r.sortino),
    pct(r.maxDrawdown),
    num(r.calmar),
    pct(r.winRate),
  ]);
  const t = b.turnover;
  const turnover =
    `Turnover ${pct(t.total)} in total (initial purchase ${pct(t.initial)}), ` +
    `${pct(t.meanPerRebalance)} per later rebalance, ${pct(t.annualised)} a year; costs paid ${pct(b.costs, 3)}. ` +
    `Mean effective N ${num(b.effectiveNMean)}.`;
  const fallbacks =
    b.fallbacks.length === 0
      ? 'Fallbacks: none.'
      : `Fallbacks:\n\n${bullets(b.fallbacks.map((f) => `${f.date} ${code(f.level === '' ? '(top)' : f.level)}: ${cell(f.text)}`))}`;
  return [
    head,
    table(header, rows, [L, R, R, R, R, R, R, R, R]),
    ...(b.policies === undefined ? [] : [policiesBlock(b.policies, riskFree)]),
    `The full-history row applies the weights of the optimization above to the same ${periodsNoun(frequency)}: ` +
      'its lead over the ' +
      'walk-forward row is what fitting on the whole history flatters.',
    turnover,
    fallbacks,
  ].join('\n\n');
}
