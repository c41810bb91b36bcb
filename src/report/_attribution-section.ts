/** The risk attribution section of a risk profile (data → Markdown), and the rows its charts draw. */
import { code, num, pct, table } from './_markdown.js';
import type { AttributionRowData, AttributionSection } from './meta-report-data.js';

/**
 * Holdings shown one by one in the assets table and in an attribution chart; the smaller ones share one
 * `other (k …)` row or bar, the same in both (a single left-over holding is shown).
 */
export const ATTRIBUTION_TOP_ROWS = 10;

const R = 'right' as const;
const L = 'left' as const;

/** One shown row: a holding, the holdings not shown one by one, the unassigned part, or the total. */
export interface AttributionLine {
  readonly label: string;
  readonly kind: 'holding' | 'other' | 'unassigned' | 'total';
  /** `null` where a weight means nothing (the part without physical exposure). */
  readonly weight: number | null;
  readonly volContribution: number;
  readonly volShare: number;
  /** `null` for grouped rows: a marginal risk belongs to one holding. */
  readonly volMarginal: number | null;
  readonly cvarContribution: number;
  readonly cvarShare: number;
  readonly cvarMarginal: number | null;
}

/** Largest |share of volatility| first (a large hedge ranks as high as a large risk), then by name. */
export function largestFirst<T extends AttributionRowData>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) => Math.abs(b.volShare) - Math.abs(a.volShare) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

const share = (part: number, total: number): number => (total !== 0 ? part / total : 0);
const sum = (rows: readonly AttributionRowData[], f: (r: AttributionRowData) => number): number =>
  rows.reduce((s, r) => s + f(r), 0);

/**
 * The rows a table or chart shows, which add up to the totals: the first `top` holdings as given, the
 * others summed into one row (`other (k <noun>)`, k ≥ 2: a single one is shown), then the contribution
 * assigned to no holding when it is not zero.
 */
export function attributionLines(
  rows: readonly AttributionRowData[],
  totals: { readonly volatility: number; readonly cvar: number },
  options: {
    readonly top?: number;
    readonly noun?: string;
    readonly unassigned?: AttributionSection['unassigned'];
  } = {},
): AttributionLine[] {
  // One row for a single left-over holding would only hide its name.
  const cut = options.top ?? rows.length;
  const top = rows.length - cut <= 1 ? rows.length : cut;
  const lines: AttributionLine[] = rows.slice(0, top).map((r) => ({
    label: r.name,
    kind: 'holding',
    weight: r.weight,
    volContribution: r.volContribution,
    volShare: r.volShare,
    volMarginal: r.volMarginal,
    cvarContribution: r.cvarContribution,
    cvarShare: r.cvarShare,
    cvarMarginal: r.cvarMarginal,
  }));
  const rest = rows.slice(top);
  if (rest.length > 0) {
    lines.push({
      label: `other (${rest.length} ${options.noun ?? 'holdings'})`,
      kind: 'other',
      weight: sum(rest, (r) => r.weight),
      volContribution: sum(rest, (r) => r.volContribution),
      volShare: sum(rest, (r) => r.volShare),
      volMarginal: null,
      cvarContribution: sum(rest, (r) => r.cvarContribution),
      cvarShare: sum(rest, (r) => r.cvarShare),
      cvarMarginal: null,
    });
  }
  const u = options.unassigned;
  if (u !== undefined && (u.volContribution !== 0 || u.cvarContribution !== 0)) {
    lines.push({
      label: 'no physical exposure',
      kind: 'unassigned',
      weight: null,
      volContribution: u.volContribution,
      volShare: share(u.volContribution, totals.volatility),
      volMarginal: null,
      cvarContribution: u.cvarContribution,
      cvarShare: share(u.cvarContribution, totals.cvar),
      cvarMarginal: null,
    });
  }
  return lines;
}

/**
 * The bars of a chart: every holding (in the given order) when they fit, else the
 * {@link ATTRIBUTION_TOP_ROWS} largest and one bar for the rest, as the assets table groups them.
 */
export function attributionChartLines(
  rows: readonly AttributionRowData[],
  a: AttributionSection,
  noun: string,
  unassigned?: AttributionSection['unassigned'],
): AttributionLine[] {
  const fits = rows.length - ATTRIBUTION_TOP_ROWS <= 1;
  return attributionLines(fits ? rows : largestFirst(rows), a, {
    top: ATTRIBUTION_TOP_ROWS,
    noun,
    ...(unassigned === undefined ? {} : { unassigned }),
  });
}

function contributionTable(first: string, lines: readonly AttributionLine[], a: AttributionSection): string {
  const head = [
    first,
    'Weight',
    'Vol contrib.',
    '% of vol',
    'Marginal vol',
    'CVaR contrib.',
    '% of CVaR',
    'Marginal CVaR',
  ];
  const weights = lines.filter((l) => l.weight !== null).reduce((s, l) => s + (l.weight ?? 0), 0);
  const total: AttributionLine = {
    label: 'Total',
    kind: 'total',
    weight: weights,
    volContribution: a.volatility,
    volShare: 1,
    volMarginal: null,
    cvarContribution: a.cvar,
    cvarShare: 1,
    cvarMarginal: null,
  };
  const opt = (x: number | null, digits?: number): string => (x === null ? '' : pct(x, digits));
  const body = [...lines, total].map((l) => [
    l.kind === 'holding' ? code(l.label) : l.kind === 'total' ? '**Total**' : l.label,
    opt(l.weight),
    pct(l.volContribution),
    pct(l.volShare, 1),
    opt(l.volMarginal),
    pct(l.cvarContribution, 3),
    pct(l.cvarShare, 1),
    opt(l.cvarMarginal, 3),
  ]);
  return table(head, body, [L, R, R, R, R, R, R, R]);
}

function assetsPart(a: AttributionSection): string[] {
  if (a.assets.length === 0) return [];
  const shown = a.assets.length - ATTRIBUTION_TOP_ROWS <= 1 ? a.assets.length : ATTRIBUTION_TOP_ROWS;
  const lines = attributionLines(largestFirst(a.assets), a, {
    top: shown,
    noun: 'assets',
    unassigned: a.unassigned,
  });
  const which =
    shown === a.assets.length
      ? `all ${shown}, largest |share of volatility| first`
      : `the ${shown} largest of ${a.assets.length} by |share of volatility|`;
  return [
    `Physical assets, ${which} (look-through: each atomic sleeve's contribution split by its gross ` +
      `exposure; weight = net weight):`,
    contributionTable('Symbol', lines, a),
  ];
}

/** Totals, the contribution tables (sleeves, atomic sleeves when nested, assets) and leave-one-out. */
export function attributionBlock(a: AttributionSection): string {
  const level = `${Math.round(a.cvarLevel * 100)} %`;
  const parts = [
    `In sample (fit period), from ${code(a.file)}: volatility ${pct(a.volatility)} (annualised), CVaR ` +
      `${level} ${pct(a.cvar, 3)} (historical, per period), diversification ratio ` +
      `${num(a.diversificationRatio)}, risk-based effective N ${num(a.effectiveN)} (1 / Σ share² of the ` +
      `volatility shares). Euler contributions: each holding's weight × its marginal risk; each table ` +
      `adds up to its total (a hedge contributes a negative amount).`,
    contributionTable('Sleeve', attributionLines(a.sleeves, a), a),
  ];
  if (a.sleeves.some((s) => s.kind === 'meta')) {
    parts.push(
      `Atomic sleeves through the nested branches (weight = product along the path); over them the ` +
        `diversification ratio is ${num(a.leafDiversificationRatio)}, the effective N ` +
        `${num(a.leafEffectiveN)}:`,
      contributionTable('Path', attributionLines(a.leaves, a), a),
    );
  }
  parts.push(...assetsPart(a));
  const loo = a.leaveOneOut.map((r) => [code(r.name), pct(r.volatility), pct(r.cvar, 3), num(r.sharpe)]);
  parts.push(
    `Without each sleeve (the other weights divided by their sum, not re-optimised; Sharpe annualised ` +
      `with r_f = 0); the full portfolio: volatility ${pct(a.volatility)}, CVaR ${pct(a.cvar, 3)}, ` +
      `Sharpe ${num(a.sharpe)}:`,
    table(['Without', 'Volatility', `CVaR ${level}`, 'Sharpe'], loo, [L, R, R, R]),
  );
  return parts.join('\n\n');
}
