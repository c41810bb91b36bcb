/**
 * Shares of volatility and of CVaR per holding (sleeve, atomic sleeve or physical asset) as paired
 * horizontal bars, an SVG string: negative shares (hedges) extend left of the zero line.
 */
import { escapeHtml } from '../_html.js';
import { CHART_WIDTH, CHAR_WIDTH, c, fixed, labelText, linear, svgRoot, text } from './_svg.js';

export interface AttributionChartSpec {
  readonly title: string;
  readonly rows: readonly { readonly label: string; readonly volShare: number; readonly cvarShare: number }[];
  readonly cvarLabel: string;
  readonly width?: number;
}

const ROW = 30;
const BAR = 10;
const LABEL_MAX = 200;
/** Room for a value printed beside a bar (`-100.0%`). */
const VALUE_ROOM = 7 * CHAR_WIDTH + 8;
const VOL_COLOR = '#0b4f9c';
const CVAR_COLOR = '#c0392b';

function bar(
  sx: (v: number) => number,
  y: number,
  v: number,
  style: { color: string; what: string; label: string },
): string {
  const zero = sx(0);
  const x0 = Math.min(zero, sx(v));
  const w = Math.max(Math.abs(sx(v) - zero), 0.5);
  const value = `${fixed(v * 100, 1)}%`;
  return (
    `<rect x="${c(x0)}" y="${c(y)}" width="${c(w)}" height="${BAR}" fill="${style.color}">` +
    `<title>${escapeHtml(style.label)}: ${value} of ${escapeHtml(style.what)}</title></rect>` +
    text(v < 0 ? x0 - 4 : x0 + w + 4, y + BAR - 1, value, {
      fill: '#222',
      'text-anchor': v < 0 ? 'end' : 'start',
    })
  );
}

export function renderAttributionChart(spec: AttributionChartSpec): string {
  const width = spec.width ?? CHART_WIDTH;
  const longest = Math.max(4, ...spec.rows.map((r) => r.label.length));
  const labelWidth = Math.min(LABEL_MAX, 12 + longest * CHAR_WIDTH);
  const chars = Math.floor((labelWidth - 12) / CHAR_WIDTH);
  const values = spec.rows.flatMap((r) => [r.volShare, r.cvarShare]);
  const lo = Math.min(0, ...values);
  const hi = Math.max(1e-12, ...values);
  // Negative bars print their value on their left: leave room for it after the labels.
  const left = labelWidth + 8 + (lo < 0 ? VALUE_ROOM : 0);
  const right = width - VALUE_ROOM;
  const top = 28;
  const bottom = top + spec.rows.length * ROW;
  const sx = linear(lo, hi, left, right);
  const rows = spec.rows
    .map((r, i) => {
      const y = top + i * ROW;
      return (
        labelText(labelWidth, y + 18, r.label, chars, { 'text-anchor': 'end', fill: '#222' }) +
        bar(sx, y + 4, r.volShare, { color: VOL_COLOR, what: 'volatility', label: r.label }) +
        bar(sx, y + 6 + BAR, r.cvarShare, { color: CVAR_COLOR, what: spec.cvarLabel, label: r.label })
      );
    })
    .join('');
  const key =
    `<rect x="${c(left)}" y="8" width="10" height="10" fill="${VOL_COLOR}"/>` +
    text(left + 14, 17, '% of volatility', { fill: '#222' }) +
    `<rect x="${c(left + 130)}" y="8" width="10" height="10" fill="${CVAR_COLOR}"/>` +
    text(left + 144, 17, `% of ${spec.cvarLabel}`, { fill: '#222' });
  const axis = `<line x1="${c(sx(0))}" y1="${c(top)}" x2="${c(sx(0))}" y2="${c(bottom)}" stroke="#888"/>`;
  return svgRoot('attribution', spec.title, width, bottom + 10, key + axis + rows);
}
