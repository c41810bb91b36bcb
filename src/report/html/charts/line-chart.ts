/** Time-series line chart (equity, drawdown, rolling volatility) as an SVG string. */
import { escapeHtml } from '../_html.js';
import { CHART_WIDTH, c, legend, linear, niceTicks, polylinePath, svgRoot, text } from './_svg.js';

export interface LineSeries {
  readonly label: string;
  readonly color: string;
  /** SVG dash pattern, e.g. `5 3`. */
  readonly dash?: string;
  readonly width?: number;
  /** `values[t]` at `dates[t]`; NaN leaves a gap. */
  readonly values: ArrayLike<number>;
}

export interface LineChartSpec {
  /** Kind recorded in `data-chart` (e.g. `equity`). */
  readonly kind: string;
  readonly title: string;
  readonly dates: readonly string[];
  readonly lines: readonly LineSeries[];
  /** Tick label of a value given the tick step. */
  readonly tick: (value: number, step: number) => string;
  /** Value shown after each legend label (e.g. the final equity). */
  readonly legendValue?: (last: number) => string;
  /** A horizontal reference line (1 for equity, 0 for drawdowns). */
  readonly reference?: number;
  readonly height?: number;
  readonly width?: number;
}

const M = { left: 58, right: 14, bottom: 22 };

/**
 * Keep at most two points per horizontal pixel: the lowest and the highest of each pixel column (in row
 * order), plus the first and last rows, so peaks and troughs (drawdowns) survive the thinning. Returns row
 * indices in increasing order.
 */
export function thinRows(values: ArrayLike<number>, pixels: number): number[] {
  const T = values.length;
  if (T <= pixels * 2) return Array.from({ length: T }, (_, t) => t);
  const out: number[] = [0];
  for (let b = 0; b < pixels; b++) {
    const from = Math.floor((b * T) / pixels);
    const to = Math.floor(((b + 1) * T) / pixels);
    let lo = -1;
    let hi = -1;
    let gap = -1;
    for (let t = from; t < to; t++) {
      const v = values[t] as number;
      if (Number.isNaN(v)) {
        gap = t;
        continue;
      }
      if (lo < 0 || v < (values[lo] as number)) lo = t;
      if (hi < 0 || v > (values[hi] as number)) hi = t;
    }
    // A gap inside the column must still break the line.
    const keep = [lo, hi, gap].filter((t) => t > (out.at(-1) as number));
    out.push(...[...new Set(keep)].sort((x, y) => x - y));
  }
  if ((out.at(-1) as number) !== T - 1) out.push(T - 1);
  return out;
}

/** Date labels at up to `count` evenly spaced rows: `YYYY-MM` (or `YYYY` over long spans), no repeats. */
export function dateTicks(dates: readonly string[], count: number): { row: number; label: string }[] {
  const T = dates.length;
  if (T === 0) return [];
  const first = dates[0] as string;
  const last = dates[T - 1] as string;
  const years = Number(last.slice(0, 4)) - Number(first.slice(0, 4));
  const cut = years >= 4 ? 4 : 7;
  const out: { row: number; label: string }[] = [];
  const k = Math.min(count, T);
  for (let i = 0; i < k; i++) {
    const row = k === 1 ? 0 : Math.round((i * (T - 1)) / (k - 1));
    const label = (dates[row] as string).slice(0, cut);
    if (out.at(-1)?.label !== label) out.push({ row, label });
  }
  return out;
}

/** Render the chart: legend on top, y ticks on the left, date ticks below, one path per series. */
export function renderLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? CHART_WIDTH;
  const plotWidth = width - M.left - M.right;
  const items = spec.lines.map((l) => {
    let last = Number.NaN;
    for (let t = l.values.length - 1; t >= 0 && Number.isNaN(last); t--) last = l.values[t] as number;
    const suffix = spec.legendValue === undefined || Number.isNaN(last) ? '' : ` ${spec.legendValue(last)}`;
    return {
      label: l.label,
      value: suffix,
      color: l.color,
      ...(l.dash === undefined ? {} : { dash: l.dash }),
    };
  });
  const key = legend(items, M.left, 14, plotWidth);
  const top = 8 + key.height;
  const height = (spec.height ?? 200) + key.height;
  const bottom = height - M.bottom;

  let lo = Infinity;
  let hi = -Infinity;
  for (const l of spec.lines) {
    for (let t = 0; t < l.values.length; t++) {
      const v = l.values[t] as number;
      if (Number.isNaN(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (spec.reference !== undefined) {
    lo = Math.min(lo, spec.reference);
    hi = Math.max(hi, spec.reference);
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  const y = niceTicks(lo, hi, 4);
  const sy = linear(y.lo, y.hi, bottom, top);
  const T = spec.dates.length;
  const sx = linear(0, Math.max(1, T - 1), M.left, M.left + plotWidth);

  const grid = y.ticks
    .map(
      (v) =>
        `<line x1="${c(M.left)}" y1="${c(sy(v))}" x2="${c(M.left + plotWidth)}" y2="${c(sy(v))}" stroke="#e3e3e3"/>` +
        text(M.left - 6, sy(v) + 3.5, spec.tick(v, y.step), { 'text-anchor': 'end', fill: '#555' }),
    )
    .join('');
  const xTicks = dateTicks(spec.dates, 6)
    .map(
      (d, i, all) =>
        `<line x1="${c(sx(d.row))}" y1="${c(bottom)}" x2="${c(sx(d.row))}" y2="${c(bottom + 4)}" stroke="#888"/>` +
        text(sx(d.row), bottom + 15, d.label, {
          'text-anchor': i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle',
          fill: '#555',
        }),
    )
    .join('');
  const reference =
    spec.reference === undefined
      ? ''
      : `<line x1="${c(M.left)}" y1="${c(sy(spec.reference))}" x2="${c(M.left + plotWidth)}" y2="${c(sy(spec.reference))}" stroke="#999" stroke-width="1"/>`;
  const paths = spec.lines
    .map((l) => {
      const rows = thinRows(l.values, Math.round(plotWidth));
      const d = polylinePath(
        rows.map((t) => sx(t)),
        rows.map((t) => {
          const v = l.values[t] as number;
          return Number.isNaN(v) ? v : sy(v);
        }),
      );
      if (d === '') return '';
      const dash = l.dash === undefined ? '' : ` stroke-dasharray="${l.dash}"`;
      return (
        `<path d="${d}" fill="none" stroke="${l.color}" stroke-width="${l.width ?? 1.5}"${dash} ` +
        `stroke-linejoin="round"><title>${escapeHtml(l.label)}</title></path>`
      );
    })
    .join('');
  const frame = `<rect x="${c(M.left)}" y="${c(top)}" width="${c(plotWidth)}" height="${c(bottom - top)}" fill="none" stroke="#ccc"/>`;
  return svgRoot(spec.kind, spec.title, width, height, key.svg + grid + reference + frame + xTicks + paths);
}
