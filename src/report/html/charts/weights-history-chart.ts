/** Stacked columns of the target sleeve weights at each rebalance, as an SVG string. */
import { escapeHtml } from '../_html.js';
import { CHART_WIDTH, c, fixed, legend, linear, paletteColor, svgRoot, text } from './_svg.js';
import { dateTicks } from './line-chart.js';

export interface WeightsHistorySpec {
  readonly title: string;
  readonly ids: readonly string[];
  /** Rebalance dates (first held day). */
  readonly dates: readonly string[];
  /** `weights[k][j]`: sleeve j at rebalance k. */
  readonly weights: readonly (readonly number[])[];
  readonly width?: number;
}

export function renderWeightsHistoryChart(spec: WeightsHistorySpec): string {
  const width = spec.width ?? CHART_WIDTH;
  const left = 44;
  const plotWidth = width - left - 14;
  const key = legend(
    spec.ids.map((id, j) => ({ label: id, color: paletteColor(j) })),
    left,
    14,
    plotWidth,
  );
  const top = 8 + key.height;
  const bottom = top + 160;
  const height = bottom + 22;
  const K = spec.weights.length;
  const slot = plotWidth / Math.max(1, K);
  const gap = slot > 6 ? Math.min(4, slot * 0.2) : 0;
  const sy = linear(0, 1, bottom, top);
  const columns = spec.weights
    .map((row, k) => {
      let acc = 0;
      const x = left + k * slot + gap / 2;
      return row
        .map((w, j) => {
          const y0 = sy(acc);
          acc += Math.max(0, w);
          const y1 = sy(acc);
          const label = `${spec.dates[k] ?? ''} ${spec.ids[j] ?? ''}: ${fixed(w * 100, 2)}%`;
          return (
            `<rect x="${c(x)}" y="${c(y1)}" width="${c(Math.max(0.5, slot - gap))}" height="${c(Math.max(0, y0 - y1))}" ` +
            `fill="${paletteColor(j)}"><title>${escapeHtml(label)}</title></rect>`
          );
        })
        .join('');
    })
    .join('');
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${c(left)}" y1="${c(sy(v))}" x2="${c(left + plotWidth)}" y2="${c(sy(v))}" stroke="#e3e3e3"/>` +
        text(left - 6, sy(v) + 3.5, `${fixed(v * 100, 0)}%`, { 'text-anchor': 'end', fill: '#555' }),
    )
    .join('');
  const ticks = dateTicks(spec.dates, Math.min(6, K))
    .map((d, i, all) =>
      text(left + (d.row + 0.5) * slot, bottom + 15, d.label, {
        'text-anchor':
          all.length > 1 && i === 0 ? 'start' : all.length > 1 && i === all.length - 1 ? 'end' : 'middle',
        fill: '#555',
      }),
    )
    .join('');
  return svgRoot('weights-history', spec.title, width, height, key.svg + grid + columns + ticks);
}
