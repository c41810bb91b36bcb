/** The exposure table of a risk profile: each physical asset's weight against its share of the risk. */
import { code, pct, table } from './_markdown.js';
import type { ExposureRow, ExposureSection } from './meta-report-data.js';

/** Assets listed one by one; the rest share one row. */
export const EXPOSURE_ROWS = 50;
/** Contributing paths named per asset. */
const EXPOSURE_PATHS = 3;

const R = 'right' as const;
const L = 'left' as const;

/** The largest contributing paths with their signed share of the net weight, then how many more. */
export function contributorsCell(row: ExposureRow, paths = EXPOSURE_PATHS): string {
  const shown = row.contributors.slice(0, paths).map((c) => `${code(c.path)} ${pct(c.contribution)}`);
  const more = row.contributors.length - paths;
  if (more > 0) shown.push(`+${more} more`);
  return shown.join(', ');
}

const optionalSum = (rows: readonly ExposureRow[], f: (r: ExposureRow) => number | null): number | null =>
  rows.some((r) => f(r) === null) ? null : rows.reduce((s, r) => s + (f(r) ?? 0), 0);

/** Rows, rank first, ending with the assets beyond {@link EXPOSURE_ROWS} in one row and the total. */
export function exposureRows(e: ExposureSection, top = EXPOSURE_ROWS): string[][] {
  // One row for a single left-over asset would only hide its name.
  const limit = e.rows.length - top <= 1 ? e.rows.length : top;
  const share = (gross: number): string => (e.totalGross > 0 ? pct(gross / e.totalGross, 1) : 'n/a');
  let cumulative = 0;
  const body = e.rows.slice(0, limit).map((r, i) => {
    cumulative += r.gross;
    return [
      String(i + 1),
      code(r.symbol),
      pct(r.gross),
      pct(r.net),
      share(r.gross),
      share(cumulative),
      pct(r.volShare, 1),
      pct(r.cvarShare, 1),
      contributorsCell(r),
    ];
  });
  const rest = e.rows.slice(limit);
  if (rest.length > 0) {
    const gross = rest.reduce((s, r) => s + r.gross, 0);
    body.push([
      '',
      `other (${rest.length} assets)`,
      pct(gross),
      pct(rest.reduce((s, r) => s + r.net, 0)),
      share(gross),
      share(e.totalGross),
      pct(
        optionalSum(rest, (r) => r.volShare),
        1,
      ),
      pct(
        optionalSum(rest, (r) => r.cvarShare),
        1,
      ),
      '',
    ]);
  }
  body.push([
    '',
    '**Total**',
    pct(e.totalGross),
    pct(e.rows.reduce((s, r) => s + r.net, 0)),
    share(e.totalGross),
    '',
    pct(
      optionalSum(e.rows, (r) => r.volShare),
      1,
    ),
    pct(
      optionalSum(e.rows, (r) => r.cvarShare),
      1,
    ),
    '',
  ]);
  return body;
}

export function exposureBlock(e: ExposureSection): string {
  if (e.rows.length === 0) return 'No physical asset in the flattened portfolio.';
  const source =
    e.attributionFile === null
      ? 'the shares of risk are n/a: the run has no attribution file'
      : `the shares of volatility and CVaR from ${code(e.attributionFile)} (look-through)`;
  const shown = e.rows.length - EXPOSURE_ROWS <= 1 ? e.rows.length : EXPOSURE_ROWS;
  const head =
    `Every physical asset of the flattened portfolio, largest gross weight first` +
    `${shown < e.rows.length ? ` (the ${shown} largest of ${e.rows.length}, then the rest)` : ''}: its ` +
    `gross and net weight, its share of the gross weight and the running total, ${source}, and the ` +
    `sleeve paths it comes from (their net contributions, largest first). A share of risk far above the ` +
    `share of weight marks a concentration the weights alone do not show.`;
  const header = [
    '#',
    'Symbol',
    'Gross',
    'Net',
    '% of gross',
    'Cumulative',
    '% of vol',
    '% of CVaR',
    'Largest contributing paths',
  ];
  return `${head}\n\n${table(header, exposureRows(e), [R, L, R, R, R, R, R, R, L])}`;
}
