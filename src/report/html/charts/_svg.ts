/** SVG building blocks of the report's charts: the root element, number formats, scales, palette. */
import { escapeHtml } from '../_html.js';

/** Default chart width in SVG user units (the SVG scales to its container). */
export const CHART_WIDTH = 720;
const FONT_SIZE = 11;
/** Rough advance of one character at {@link FONT_SIZE}, for laying out legends without a text engine. */
export const CHAR_WIDTH = 7;

/** Colour-blind-safe categorical palette (Okabe & Ito 2008, extended with darker tones). */
const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#8C6D00',
  '#332288',
  '#117733',
  '#882255',
  '#44AA99',
  '#666666',
] as const;

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

/** A coordinate with one decimal, without a negative zero. */
export function c(x: number): string {
  const text = x.toFixed(1);
  return text === '-0.0' ? '0.0' : text;
}

/** A tenth of a unit as compact text: `12.3`, `-.4`, `0`. */
function tenths(q: number): string {
  const sign = q < 0 ? '-' : '';
  const a = Math.abs(q);
  const whole = Math.floor(a / 10);
  const digit = a % 10;
  if (digit === 0) return `${sign}${whole}`;
  return `${sign}${whole === 0 ? '' : whole}.${digit}`;
}

/**
 * Compact path data of polylines: points are snapped to a 0.1 grid, each run starts with an absolute
 * `M` and continues with relative `l` steps between grid points, so long curves stay small and the steps
 * add up exactly (no drift). A NaN coordinate ends the current run.
 */
export function polylinePath(xs: ArrayLike<number>, ys: ArrayLike<number>): string {
  let d = '';
  let px = 0;
  let py = 0;
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      pen = false;
      continue;
    }
    const qx = Math.round(x * 10);
    const qy = Math.round(y * 10);
    if (!pen) d += `M${tenths(qx)} ${tenths(qy)}l`;
    else d += `${tenths(qx - px)} ${tenths(qy - py)} `;
    px = qx;
    py = qy;
    pen = true;
  }
  // A run of one point leaves a bare `l`; drop it and the trailing space.
  return d.replace(/l(?=M|$)/g, '').trimEnd();
}

/** The smallest rendered size of chart text, in CSS pixels, on any screen. */
const MIN_TEXT_PX = 9;

/** The smallest font size in a chart: the root's, or a smaller one set on some of its text. */
function smallestFont(body: string): number {
  let least = FONT_SIZE;
  for (const m of body.matchAll(/font-size="([0-9.]+)"/g)) least = Math.min(least, Number(m[1]));
  return least;
}

/**
 * The root `<svg>` of a chart: sized by its viewBox so it scales with the page, with an accessible
 * title and a `data-chart` kind the tests and print styles can find. It shrinks with a narrow page only
 * down to the width at which its smallest text renders at {@link MIN_TEXT_PX}; below that its figure
 * scrolls sideways (the page does not).
 */
export function svgRoot(kind: string, title: string, width: number, height: number, body: string): string {
  const minWidth = Math.ceil((width * MIN_TEXT_PX) / smallestFont(body));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${escapeHtml(kind)}" ` +
    `viewBox="0 0 ${c(width)} ${c(height)}" width="${c(width)}" height="${c(height)}" role="img" ` +
    `style="min-width:${minWidth}px" ` +
    `aria-label="${escapeHtml(title)}" font-size="${FONT_SIZE}">` +
    `<title>${escapeHtml(title)}</title>${body}</svg>`
  );
}

/** `<text>` with escaped content. */
export function text(
  x: number,
  y: number,
  content: string,
  attrs: Readonly<Record<string, string>> = {},
): string {
  const extra = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join('');
  return `<text x="${c(x)}" y="${c(y)}"${extra}>${escapeHtml(content)}</text>`;
}

/** A label cut to `chars` characters with an ellipsis; as is when it fits. */
function truncateLabel(label: string, chars: number): string {
  return label.length <= chars ? label : `${label.slice(0, Math.max(1, chars - 1))}…`;
}

/**
 * `<text>` of a label cut to `chars` characters (see {@link truncateLabel}); a cut label carries its
 * full text in a `<title>`, shown on hover. `suffix` (a value) is appended after the cut, never cut.
 */
export function labelText(
  x: number,
  y: number,
  label: string,
  chars: number,
  attrs: Readonly<Record<string, string>> = {},
  suffix = '',
): string {
  const shown = truncateLabel(label, chars);
  if (shown === label) return text(x, y, `${label}${suffix}`, attrs);
  const plain = text(x, y, `${shown}${suffix}`, attrs);
  const open = plain.indexOf('>') + 1;
  return `${plain.slice(0, open)}<title>${escapeHtml(`${label}${suffix}`)}</title>${plain.slice(open)}`;
}

/** A linear map from [d0, d1] onto [r0, r1]; a degenerate domain maps to the middle of the range. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** A 1-2-5 step near `span / count`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** A padded domain with round ticks covering [lo, hi]. */
export function niceTicks(
  lo: number,
  hi: number,
  count = 4,
): { lo: number; hi: number; ticks: number[]; step: number } {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 0.01;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; start + k * step <= end + step * 1e-9; k++) ticks.push(start + k * step);
  return { lo: start, hi: end, ticks, step };
}

/** Decimals enough to tell ticks `step` apart. */
function decimalsFor(step: number): number {
  return Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
}

/** Fixed decimals without a negative zero. */
export function fixed(x: number, digits: number): string {
  const t = x.toFixed(digits);
  return /^-0(\.0+)?$/.test(t) ? t.slice(1) : t;
}

/** A tick label as a percentage with the decimals its step needs. */
export function percentTick(v: number, step: number): string {
  return `${fixed(v * 100, decimalsFor(step * 100))}%`;
}

/** A tick label as a plain number with the decimals its step needs. */
export function numberTick(v: number, step: number): string {
  return fixed(v, decimalsFor(step));
}

/**
 * One legend row: swatches and labels laid out left to right, wrapping at `width`. A label too long for
 * a row of its own is cut with an ellipsis (full text on hover); its `value` is always shown whole.
 */
export function legend(
  items: readonly { label: string; value?: string; color: string; dash?: string }[],
  x0: number,
  y0: number,
  width: number,
): { svg: string; height: number } {
  let x = x0;
  let y = y0;
  const parts: string[] = [];
  for (const item of items) {
    const value = item.value ?? '';
    const chars = Math.max(4, Math.floor((width - 36) / CHAR_WIDTH) - value.length);
    const label = truncateLabel(item.label, chars);
    const w = 22 + (label.length + value.length) * CHAR_WIDTH + 14;
    if (x > x0 && x + w > x0 + width) {
      x = x0;
      y += 16;
    }
    const dash = item.dash === undefined ? '' : ` stroke-dasharray="${item.dash}"`;
    parts.push(
      `<line x1="${c(x)}" y1="${c(y - 4)}" x2="${c(x + 16)}" y2="${c(y - 4)}" stroke="${item.color}" stroke-width="3"${dash}/>`,
      labelText(x + 21, y, item.label, chars, { fill: '#222' }, value),
    );
    x += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: y - y0 + 16 };
}
