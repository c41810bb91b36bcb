/**
 * Top physical assets as diverging stacked bars: each asset's net weight split into its sleeves'
 * signed contributions (longs to the right of zero, shorts to the left), as an SVG string.
 */
import { escapeHtml } from '../_html.js';
import {
  CHART_WIDTH,
  CHAR_WIDTH,
  c,
  fixed,
  labelText,
  legend,
  linear,
  niceTicks,
  paletteColor,
  percentTick,
  svgRoot,
  text,
} from './_svg.js';

export interface ContributorsSpec {
  readonly title: string;
  readonly assets: readonly {
    readonly symbol: string;
    readonly net: number;
    readonly contributors: readonly { readonly path: string; readonly contribution: number }[];
  }[];
  readonly width?: number;
}

const ROW = 22;
/** Contributing sleeves with their own colour at most; the rest share one grey `other` band. */
const MAX_CONTRIBUTORS = 11;
const OTHER = '#b8b8b8';

type Asset = ContributorsSpec['assets'][number];

/**
 * The sleeves that keep their own colour (the largest by total |contribution| over the assets shown,
 * in order of first appearance) and the assets with the others merged into `other` segments, by sign.
 */
export function contributorBands(assets: readonly Asset[]): {
  paths: string[];
  other: string | null;
  assets: Asset[];
} {
  const total = new Map<string, number>();
  for (const a of assets)
    for (const k of a.contributors) total.set(k.path, (total.get(k.path) ?? 0) + Math.abs(k.contribution));
  const all = [...total.keys()];
  if (all.length <= MAX_CONTRIBUTORS) return { paths: all, other: null, assets: [...assets] };
  const ranked = [...all].sort(
    (x, y) => (total.get(y) as number) - (total.get(x) as number) || all.indexOf(x) - all.indexOf(y),
  );
  const kept = new Set(ranked.slice(0, MAX_CONTRIBUTORS - 1));
  const other = `other (${all.length - kept.size} sleeves)`;
  return {
    paths: [...all.filter((p) => kept.has(p)), other],
    other,
    assets: assets.map((a) => {
      const own = a.contributors.filter((k) => kept.has(k.path));
      const rest = a.contributors.filter((k) => !kept.has(k.path));
      const sum = (sign: 1 | -1) =>
        rest.reduce((acc, k) => (Math.sign(k.contribution) === sign ? acc + k.contribution : acc), 0);
      const merged = [sum(1), sum(-1)]
        .filter((v) => v !== 0)
        .map((contribution) => ({ path: other, contribution }));
      return { ...a, contributors: [...own, ...merged] };
    }),
  };
}

export function renderContributorsChart(input: ContributorsSpec): string {
  const width = input.width ?? CHART_WIDTH;
  const bands = contributorBands(input.assets);
  const spec = { ...input, assets: bands.assets };
  const paths = bands.paths;
  const color = new Map(paths.map((p, i) => [p, p === bands.other ? OTHER : paletteColor(i)]));
  const labelWidth = Math.min(200, 12 + Math.max(4, ...spec.assets.map((a) => a.symbol.length)) * CHAR_WIDTH);
  const left = labelWidth + 6;
  const chars = Math.floor((labelWidth - 12) / CHAR_WIDTH);
  const right = width - 70;
  let lo = 0;
  let hi = 0;
  for (const a of spec.assets) {
    let pos = 0;
    let neg = 0;
    for (const k of a.contributors) {
      if (k.contribution >= 0) pos += k.contribution;
      else neg += k.contribution;
    }
    hi = Math.max(hi, pos);
    lo = Math.min(lo, neg);
  }
  const axis = niceTicks(lo, hi > lo ? hi : lo + 0.01, 4);
  const sx = linear(axis.lo, axis.hi, left, right);
  const key = legend(
    paths.map((p) => ({ label: p, color: color.get(p) as string })),
    left,
    14,
    right - left,
  );
  const top = 8 + key.height;
  const bottom = top + spec.assets.length * ROW;
  const height = bottom + 24;
  const rows = spec.assets
    .map((a, i) => {
      const y = top + i * ROW;
      let pos = 0;
      let neg = 0;
      const segments = a.contributors
        .map((k) => {
          const from = k.contribution >= 0 ? pos : neg + k.contribution;
          if (k.contribution >= 0) pos += k.contribution;
          else neg += k.contribution;
          const x0 = sx(from);
          const w = Math.abs(sx(from + Math.abs(k.contribution)) - x0);
          const label = `${a.symbol} ← ${k.path}: ${fixed(k.contribution * 100, 2)}%`;
          return (
            `<rect x="${c(x0)}" y="${c(y + 4)}" width="${c(Math.max(0.5, w))}" height="${ROW - 8}" ` +
            `fill="${color.get(k.path) as string}"><title>${escapeHtml(label)}</title></rect>`
          );
        })
        .join('');
      return (
        labelText(left - 8, y + 15, a.symbol, chars, { 'text-anchor': 'end', fill: '#222' }) +
        segments +
        text(Math.max(sx(pos), sx(0)) + 6, y + 15, `${fixed(a.net * 100, 2)}%`, { fill: '#222' })
      );
    })
    .join('');
  const grid = axis.ticks
    .map(
      (v) =>
        `<line x1="${c(sx(v))}" y1="${c(top)}" x2="${c(sx(v))}" y2="${c(bottom)}" stroke="${Math.abs(v) < axis.step * 1e-9 ? '#555' : '#e3e3e3'}"/>` +
        text(sx(v), bottom + 15, percentTick(v, axis.step), { 'text-anchor': 'middle', fill: '#555' }),
    )
    .join('');
  return svgRoot('contributors', spec.title, width, height, key.svg + grid + rows);
}
