/** Dendrogram of a hierarchical clustering with the leaves' weights below it, as an SVG string. */
import { escapeHtml } from '../_html.js';
import {
  CHART_WIDTH,
  CHAR_WIDTH,
  c,
  fixed,
  labelText,
  linear,
  niceTicks,
  numberTick,
  paletteColor,
  svgRoot,
  text,
} from './_svg.js';

export interface DendrogramSpec {
  readonly title: string;
  readonly labels: readonly string[];
  /** Leaf indices left to right (every cluster contiguous). */
  readonly order: readonly number[];
  /** SciPy linkage: merge k joins nodes `left` and `right` (leaves < n, merge m is n + m) at `height`. */
  readonly merges: readonly { readonly left: number; readonly right: number; readonly height: number }[];
  /** Leaf weights by leaf index. */
  readonly weights: readonly number[];
  readonly width?: number;
}

/**
 * Leaves are spaced evenly in `order`; a merge sits at the mean position of its two children and at its
 * height, drawn as a bracket. Under each leaf a bar proportional to its weight, the weight and the label.
 */
export function renderDendrogram(spec: DendrogramSpec): string {
  const n = spec.labels.length;
  const width = spec.width ?? CHART_WIDTH;
  const left = 52;
  const right = width - 14;
  const top = 14;
  const treeBottom = top + 150;
  const barTop = treeBottom + 10;
  const barHeight = 70;
  const rotate = n > 8 || Math.max(...spec.labels.map((l) => l.length)) * CHAR_WIDTH > (right - left) / n;
  const labelSpace = rotate
    ? 14 + Math.min(150, (Math.max(...spec.labels.map((l) => l.length)) + 7) * CHAR_WIDTH * 0.72)
    : 18;
  const height = barTop + barHeight + 18 + labelSpace;

  const slot = (right - left) / Math.max(1, n);
  const x = new Float64Array(n + spec.merges.length);
  const h = new Float64Array(n + spec.merges.length);
  spec.order.forEach((leaf, pos) => (x[leaf] = left + (pos + 0.5) * slot));
  const maxHeight = Math.max(0, ...spec.merges.map((m) => m.height));
  const axis = niceTicks(0, maxHeight > 0 ? maxHeight : 1, 3);
  const sy = linear(0, axis.hi, treeBottom, top);
  const links = spec.merges
    .map((m, k) => {
      const id = n + k;
      x[id] = ((x[m.left] as number) + (x[m.right] as number)) / 2;
      h[id] = m.height;
      const yl = sy(h[m.left] as number);
      const yr = sy(h[m.right] as number);
      const ym = sy(m.height);
      return (
        `<path d="M${c(x[m.left] as number)} ${c(yl)}V${c(ym)}H${c(x[m.right] as number)}V${c(yr)}" ` +
        `fill="none" stroke="#333" stroke-width="1.4"><title>distance ${escapeHtml(fixed(m.height, 4))}</title></path>`
      );
    })
    .join('');
  const ticks = axis.ticks
    .map(
      (v) =>
        `<line x1="${c(left - 4)}" y1="${c(sy(v))}" x2="${c(left)}" y2="${c(sy(v))}" stroke="#888"/>` +
        text(left - 7, sy(v) + 3.5, numberTick(v, axis.step), { 'text-anchor': 'end', fill: '#555' }),
    )
    .join('');
  const yAxis =
    `<line x1="${c(left)}" y1="${c(top)}" x2="${c(left)}" y2="${c(treeBottom)}" stroke="#888"/>` +
    text(12, (top + treeBottom) / 2, 'distance', {
      transform: `rotate(-90 12 ${c((top + treeBottom) / 2)})`,
      'text-anchor': 'middle',
      fill: '#555',
    });
  // Rotated labels sit slot·sin 45° apart: shrink them so neighbours do not overlap.
  const fontSize = Math.max(7, Math.min(11, slot * 0.7));
  /**
   * Characters a rotated label (weight included) has room for: it runs down and left at 45° from its
   * leaf, so it must end above the chart's bottom and, its glyphs' height included, right of the chart's
   * left edge (2 units of margin each).
   */
  const rotatedChars = (cx: number): number =>
    Math.floor(
      (Math.min(labelSpace, cx - 2 - fontSize * 0.75 * Math.SQRT1_2) * Math.SQRT2) /
        ((CHAR_WIDTH * fontSize) / 11),
    );
  const maxWeight = Math.max(1e-12, ...spec.weights);
  const bw = Math.min(36, slot * 0.6);
  const leaves = spec.order
    .map((leaf, pos) => {
      const cx = left + (pos + 0.5) * slot;
      const w = spec.weights[leaf] ?? 0;
      const hBar = (barHeight - 14) * (Math.max(0, w) / maxWeight);
      const label = spec.labels[leaf] ?? '';
      const value = `${fixed(w * 100, 2)}%`;
      const labelY = barTop + barHeight + 16;
      return (
        `<line x1="${c(cx)}" y1="${c(treeBottom)}" x2="${c(cx)}" y2="${c(barTop)}" stroke="#bbb"/>` +
        `<rect x="${c(cx - bw / 2)}" y="${c(barTop)}" width="${c(bw)}" height="${c(Math.max(0.5, hBar))}" fill="${paletteColor(leaf)}">` +
        `<title>${escapeHtml(`${label}: ${value}`)}</title></rect>` +
        // Rotated labels carry the weight too: side by side, the values would overlap.
        (rotate ? '' : text(cx, barTop + hBar + 12, value, { 'text-anchor': 'middle', fill: '#222' })) +
        (rotate
          ? labelText(
              cx,
              labelY,
              label,
              rotatedChars(cx) - value.length - 1,
              {
                'font-size': fixed(fontSize, 1),
                transform: `rotate(-45 ${c(cx)} ${c(labelY)})`,
                'text-anchor': 'end',
                fill: '#222',
              },
              ` ${value}`,
            )
          : text(cx, labelY, label, { 'text-anchor': 'middle', fill: '#222' }))
      );
    })
    .join('');
  return svgRoot('dendrogram', spec.title, width, height, yAxis + ticks + links + leaves);
}
