/** Horizontal bars of sleeve weights with the weight bounds marked, as an SVG string. */
import { escapeHtml } from '../_html.js';
import { CHART_WIDTH, CHAR_WIDTH, c, fixed, labelText, linear, paletteColor, svgRoot, text } from './_svg.js';

export interface WeightsChartSpec {
  readonly title: string;
  readonly bars: readonly { readonly label: string; readonly weight: number }[];
  readonly minWeight: number;
  readonly maxWeight: number;
  readonly width?: number;
}

const ROW = 24;

export function renderWeightsChart(spec: WeightsChartSpec): string {
  const width = spec.width ?? CHART_WIDTH;
  const labelWidth = Math.min(200, 12 + Math.max(4, ...spec.bars.map((b) => b.label.length)) * CHAR_WIDTH);
  const left = labelWidth + 8;
  const chars = Math.floor((labelWidth - 12) / CHAR_WIDTH);
  const right = width - 64;
  const top = 10;
  const height = top + spec.bars.length * ROW + 26;
  const domainHi = Math.max(
    spec.maxWeight < 1 ? spec.maxWeight : 0,
    ...spec.bars.map((b) => b.weight),
    1e-12,
  );
  const sx = linear(0, domainHi, left, right);
  const bottom = top + spec.bars.length * ROW;
  const rows = spec.bars
    .map((b, i) => {
      const y = top + i * ROW;
      const w = Math.max(0, sx(Math.max(0, b.weight)) - left);
      const value = `${fixed(b.weight * 100, 2)}%`;
      return (
        labelText(left - 8, y + 16, b.label, chars, { 'text-anchor': 'end', fill: '#222' }) +
        `<rect x="${c(left)}" y="${c(y + 4)}" width="${c(Math.max(w, 0.5))}" height="${ROW - 8}" fill="${paletteColor(i)}">` +
        `<title>${escapeHtml(b.label)}: ${value}</title></rect>` +
        text(left + w + 6, y + 16, value, { fill: '#222' })
      );
    })
    .join('');
  const bound = (v: number, name: string): string =>
    `<line x1="${c(sx(v))}" y1="${c(top)}" x2="${c(sx(v))}" y2="${c(bottom)}" stroke="#b00" stroke-dasharray="4 3"/>` +
    text(sx(v), bottom + 14, `${name} ${fixed(v * 100, 2)}%`, { 'text-anchor': 'middle', fill: '#b00' });
  const bounds =
    (spec.minWeight > 0 ? bound(spec.minWeight, 'min') : '') +
    (spec.maxWeight < 1 && spec.maxWeight <= domainHi ? bound(spec.maxWeight, 'max') : '');
  const axis = `<line x1="${c(left)}" y1="${c(top)}" x2="${c(left)}" y2="${c(bottom)}" stroke="#888"/>`;
  return svgRoot('weights', spec.title, width, height, axis + rows + bounds);
}
