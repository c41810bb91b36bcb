/** Correlation heatmap (diverging colours, values in the cells) as an SVG string. */
import { escapeHtml } from '../_html.js';
import { CHAR_WIDTH, c, fixed, labelText, svgRoot, text } from './_svg.js';

export interface HeatmapSpec {
  readonly title: string;
  readonly ids: readonly string[];
  /** `values[i][j]` in [−1, 1]. */
  readonly values: readonly (readonly number[])[];
}

const NEG = [33, 102, 172] as const; // −1: blue
const MID = [247, 247, 247] as const; // 0: near white
const POS = [178, 24, 43] as const; // +1: red

/** The colour of a correlation on a blue–white–red scale (ColorBrewer RdBu end points). */
export function correlationColor(v: number): string {
  const x = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const end = x < 0 ? NEG : POS;
  const t = Math.abs(x);
  const ch = (k: 0 | 1 | 2): string =>
    Math.round(MID[k] + (end[k] - MID[k]) * t)
      .toString(16)
      .padStart(2, '0');
  return `#${ch(0)}${ch(1)}${ch(2)}`;
}

/** One rect per cell with its value on hover (and in the cell when it is large enough). */
function titledCells(
  spec: HeatmapSpec,
  left: number,
  top: number,
  cell: number,
  showValues: boolean,
): string {
  return spec.ids
    .map((row, i) =>
      spec.ids
        .map((col, j) => {
          const v = spec.values[i]?.[j] ?? 0;
          const x = left + j * cell;
          const y = top + i * cell;
          const value = fixed(v, 2);
          return (
            `<rect x="${c(x)}" y="${c(y)}" width="${cell}" height="${cell}" fill="${correlationColor(v)}" stroke="#fff">` +
            `<title>${escapeHtml(`${row} / ${col}: ${value}`)}</title></rect>` +
            (showValues
              ? text(x + cell / 2, y + cell / 2 + 4, value, {
                  'text-anchor': 'middle',
                  fill: Math.abs(v) > 0.6 ? '#fff' : '#222',
                })
              : '')
          );
        })
        .join(''),
    )
    .join('');
}

/**
 * Past a couple of dozen sleeves, one path per colour step of 0.05 holding all its squares: a tooltip
 * per cell would cost more bytes than it helps, and the table below the chart carries every value.
 */
function bucketedCells(spec: HeatmapSpec, left: number, top: number, cell: number): string {
  const buckets = new Map<number, string[]>();
  spec.ids.forEach((_, i) =>
    spec.ids.forEach((_, j) => {
      const v = Math.max(-1, Math.min(1, spec.values[i]?.[j] ?? 0));
      const q = Math.round(v * 20);
      const squares = buckets.get(q) ?? [];
      squares.push(`M${c(left + j * cell)} ${c(top + i * cell)}h${cell - 1}v${cell - 1}h-${cell - 1}z`);
      buckets.set(q, squares);
    }),
  );
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([q, squares]) => `<path d="${squares.join('')}" fill="${correlationColor(q / 20)}"/>`)
    .join('');
}

export function renderHeatmap(spec: HeatmapSpec): string {
  const n = spec.ids.length;
  const cell = Math.max(18, Math.min(56, Math.floor(480 / Math.max(1, n))));
  const labelWidth = Math.min(180, 18 + Math.max(...spec.ids.map((s) => s.length), 2) * CHAR_WIDTH);
  const left = labelWidth;
  const top = Math.min(150, 14 + Math.max(...spec.ids.map((s) => s.length), 2) * CHAR_WIDTH * 0.72);
  // Labels cut to the room they get: rows (labelWidth - 18), rotated columns ((top - 14) / 0.72).
  const rowChars = Math.floor((labelWidth - 18) / CHAR_WIDTH);
  const colChars = Math.floor((top - 14) / (CHAR_WIDTH * 0.72) + 1e-9);
  const legendTop = top + n * cell + 18;
  const width = Math.max(left + n * cell + 16, left + 260);
  const height = legendTop + 34;
  const showValues = cell >= 30;
  const cells =
    n <= 24 ? titledCells(spec, left, top, cell, showValues) : bucketedCells(spec, left, top, cell);
  const rowLabels = spec.ids
    .map((id, i) =>
      labelText(left - 6, top + i * cell + cell / 2 + 4, id, rowChars, {
        'text-anchor': 'end',
        fill: '#222',
      }),
    )
    .join('');
  const colLabels = spec.ids
    .map((id, j) => {
      const x = left + j * cell + cell / 2;
      return labelText(x, top - 6, id, colChars, {
        transform: `rotate(-45 ${c(x)} ${c(top - 6)})`,
        fill: '#222',
      });
    })
    .join('');
  const steps = 11;
  const swatch = 20;
  const scale = Array.from({ length: steps }, (_, k) => {
    const v = -1 + (2 * k) / (steps - 1);
    return `<rect x="${c(left + k * swatch)}" y="${c(legendTop)}" width="${swatch}" height="10" fill="${correlationColor(v)}"/>`;
  }).join('');
  const scaleLabels =
    text(left, legendTop + 24, '−1', { fill: '#555' }) +
    text(left + (steps * swatch) / 2, legendTop + 24, '0', { 'text-anchor': 'middle', fill: '#555' }) +
    text(left + steps * swatch, legendTop + 24, '+1', { 'text-anchor': 'end', fill: '#555' });
  return svgRoot(
    'correlation',
    spec.title,
    width,
    height,
    cells + rowLabels + colLabels + scale + scaleLabels,
  );
}
