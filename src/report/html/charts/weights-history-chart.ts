/**
 * The target sleeve weights at each rebalance, stacked to 100 %, as an SVG string: one column per
 * rebalance when there are few (each with its values on hover), stacked areas when there are many.
 * Beyond {@link MAX_SERIES} sleeves the smallest are summed into one `other` band, so the chart stays
 * small and legible at any scale.
 */
import { escapeHtml } from '../_html.js';
import { CHART_WIDTH, c, fixed, legend, linear, paletteColor, polylinePath, svgRoot, text } from './_svg.js';
import { dateTicks } from './line-chart.js';

export interface WeightsHistorySpec {
  readonly title: string;
  readonly ids: readonly string[];
  /** Rebalance dates (first held day). */
  readonly dates: readonly string[];
  /** `weights[k][j]`: sleeve j at rebalance k. */
  readonly weights: readonly (readonly number[])[];
  readonly width?: number;
  /** The chart's `data-chart` kind (default `weights-history`). */
  readonly kind?: string;
}

/** Bands drawn at most (the largest by mean weight; the rest are summed). */
const MAX_SERIES = 10;
/** Rebalances drawn as separate columns at most; more become stacked areas. */
const MAX_COLUMNS = 60;

/** The bands to draw: the largest sleeves by mean weight in their own order, plus `other` when needed. */
export function weightBands(spec: WeightsHistorySpec): { label: string; color: string; values: number[] }[] {
  const n = spec.ids.length;
  const column = (j: number) => spec.weights.map((row) => Math.max(0, row[j] ?? 0));
  if (n <= MAX_SERIES)
    return spec.ids.map((id, j) => ({ label: id, color: paletteColor(j), values: column(j) }));
  const mean = spec.ids.map((_, j) => column(j).reduce((a, b) => a + b, 0));
  const ranked = spec.ids.map((_, j) => j).sort((a, b) => (mean[b] as number) - (mean[a] as number) || a - b);
  const kept = new Set(ranked.slice(0, MAX_SERIES - 1));
  const bands = spec.ids.flatMap((id, j) =>
    kept.has(j) ? [{ label: id, color: paletteColor(j), values: column(j) }] : [],
  );
  const other = spec.weights.map((row) => row.reduce((s, w, j) => (kept.has(j) ? s : s + Math.max(0, w)), 0));
  bands.push({ label: `other (${n - kept.size} sleeves)`, color: '#b8b8b8', values: other });
  return bands;
}

export function renderWeightsHistoryChart(spec: WeightsHistorySpec): string {
  const width = spec.width ?? CHART_WIDTH;
  const left = 44;
  const plotWidth = width - left - 14;
  const bands = weightBands(spec);
  const key = legend(
    bands.map((b) => ({ label: b.label, color: b.color })),
    left,
    14,
    plotWidth,
  );
  const top = 8 + key.height;
  const bottom = top + 160;
  const height = bottom + 22;
  const K = spec.weights.length;
  const slot = plotWidth / Math.max(1, K);
  const sy = linear(0, 1, bottom, top);
  const cumulative = spec.weights.map(() => 0);
  let marks = '';
  if (K <= MAX_COLUMNS) {
    const gap = slot > 6 ? Math.min(4, slot * 0.2) : 0;
    for (const b of bands) {
      b.values.forEach((w, k) => {
        const y0 = sy(cumulative[k] as number);
        cumulative[k] = (cumulative[k] as number) + w;
        const y1 = sy(cumulative[k] as number);
        const label = `${spec.dates[k] ?? ''} ${b.label}: ${fixed(w * 100, 2)}%`;
        marks +=
          `<rect x="${c(left + k * slot + gap / 2)}" y="${c(y1)}" width="${c(Math.max(0.5, slot - gap))}" ` +
          `height="${c(Math.max(0, y0 - y1))}" fill="${b.color}"><title>${escapeHtml(label)}</title></rect>`;
      });
    }
  } else {
    const xs = spec.weights.map((_, k) => left + (k + 0.5) * slot);
    for (const b of bands) {
      const lower = cumulative.map((v) => sy(v));
      b.values.forEach((w, k) => (cumulative[k] = (cumulative[k] as number) + w));
      const upper = cumulative.map((v) => sy(v));
      const d = polylinePath([...xs, ...[...xs].reverse()], [...upper, ...lower.reverse()]);
      const mean = b.values.reduce((a, v) => a + v, 0) / Math.max(1, K);
      marks +=
        `<path d="${d}Z" fill="${b.color}" stroke="none">` +
        `<title>${escapeHtml(`${b.label}: mean ${fixed(mean * 100, 2)}%`)}</title></path>`;
    }
  }
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${c(left)}" y1="${c(sy(v))}" x2="${c(left + plotWidth)}" y2="${c(sy(v))}" stroke="#e3e3e3"/>` +
        text(left - 6, sy(v) + 3.5, `${fixed(v * 100, 0)}%`, { 'text-anchor': 'end', fill: '#555' }),
    )
    .join('');
  const ticks = dateTicks(spec.dates, Math.min(6, K))
    .map((d, i, all) => {
      const anchor =
        all.length > 1 && i === 0 ? 'start' : all.length > 1 && i === all.length - 1 ? 'end' : 'middle';
      return text(left + (d.row + 0.5) * slot, bottom + 15, d.label, { 'text-anchor': anchor, fill: '#555' });
    })
    .join('');
  return svgRoot(spec.kind ?? 'weights-history', spec.title, width, height, key.svg + grid + marks + ticks);
}
