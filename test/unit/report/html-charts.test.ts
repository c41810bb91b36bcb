import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownToHtml, inlineHtml } from '../../../src/report/html/_markdown-to-html.js';
import { code, table } from '../../../src/report/_markdown.js';
import { niceTicks, percentTick, polylinePath } from '../../../src/report/html/charts/_svg.js';
import { dateTicks, renderLineChart, thinRows } from '../../../src/report/html/charts/line-chart.js';
import { correlationColor, renderHeatmap } from '../../../src/report/html/charts/heatmap.js';
import { renderDendrogram } from '../../../src/report/html/charts/dendrogram.js';
import { renderWeightsChart } from '../../../src/report/html/charts/weights-chart.js';
import {
  contributorBands,
  renderContributorsChart,
} from '../../../src/report/html/charts/contributors-chart.js';
import {
  renderWeightsHistoryChart,
  weightBands,
} from '../../../src/report/html/charts/weights-history-chart.js';

/** A dendrogram of `labels` in order, each leaf merged into the cluster of those before it; equal weights. */
const chainDendrogram = (labels: string[]) => {
  const n = labels.length;
  return {
    title: 'm',
    labels,
    order: Array.from({ length: n }, (_, i) => i),
    merges: Array.from({ length: n - 1 }, (_, k) => ({
      left: k === 0 ? 0 : n + k - 1,
      right: k + 1,
      height: 0.1 * (k + 1),
    })),
    weights: Array.from({ length: n }, () => 1 / n),
  };
};

const numbers = (d: string): number[][] =>
  [...d.matchAll(/([MLHV])([-\d.]+)(?: ([-\d.]+))?/g)].map((m) => [Number(m[2]), Number(m[3] ?? Number.NaN)]);

describe('markdownToHtml (the subset the report emits)', () => {
  test('tables keep alignment, unescape pipes and code spans with any fence', () => {
    const md = table(
      ['Sleeve', 'Weight'],
      [
        [code('a|b'), '12.50%'],
        [code('x`y'), 'n/a'],
      ],
      ['left', 'right'],
    );
    assert.equal(
      markdownToHtml(md),
      '<div class="table-wrap"><table>\n<thead><tr><th>Sleeve</th><th class="num">Weight</th></tr></thead>\n<tbody>\n' +
        '<tr><td><code>a|b</code></td><td class="num">12.50%</td></tr>\n' +
        '<tr><td><code>x`y</code></td><td class="num">n/a</td></tr>\n</tbody>\n</table></div>',
      'markdownToHtml(md)',
    );
  });

  test('notes, strong, quotes, lists and headings; everything else is escaped text', () => {
    assert.equal(
      markdownToHtml('_Section omitted: data/portfolio_optimized_meta_x.json not found._'),
      '<p class="note"><em>Section omitted: data/portfolio_optimized_meta_x.json not found.</em></p>',
      "markdownToHtml('_Section omitted: data/portfolio_optimized_meta_x.jso…",
    );
    assert.equal(
      markdownToHtml('> **Warning:** a <b> & c'),
      '<blockquote><p><strong>Warning:</strong> a &lt;b&gt; &amp; c</p></blockquote>',
      "markdownToHtml('> **Warning:** a <b> & c')",
    );
    assert.equal(
      markdownToHtml('- one\n- `two`'),
      '<ul>\n<li>one</li>\n<li><code>two</code></li>\n</ul>',
      "markdownToHtml('- one\\n- `two`')",
    );
    assert.equal(
      markdownToHtml('#### `swiss` (meta)'),
      '<h4><code>swiss</code> (meta)</h4>',
      "markdownToHtml('#### `swiss` (meta)')",
    );
    assert.equal(
      inlineHtml('min_weight and max_weight'),
      'min_weight and max_weight',
      "inlineHtml('min_weight and max_weight')",
    );
    assert.equal(inlineHtml('a \\| b'), 'a | b', "inlineHtml('a \\\\| b')");
  });
});

describe('chart geometry', () => {
  test('thinRows keeps the extremes, the ends and gaps, at most two points per pixel', () => {
    const T = 10_000;
    const v = Float64Array.from({ length: T }, (_, t) => Math.sin(t / 37));
    v[4321] = -5;
    v[777] = 9;
    v[5000] = Number.NaN;
    const rows = thinRows(v, 500);
    assert.ok(rows.length <= 2 * 500 + 2, `${rows.length}`);
    for (const r of [0, 777, 4321, 5000, T - 1]) assert.ok(rows.includes(r), `row ${r}`);
    assert.deepEqual(
      rows,
      [...rows].sort((a, b) => a - b),
      'rows',
    );
    assert.deepEqual(
      thinRows(Float64Array.from([1, 2, 3]), 500),
      [0, 1, 2],
      'thinRows(Float64Array.from([1, 2, 3]), 500)',
    );
  });

  test('compact paths: relative steps on a 0.1 grid add up to the snapped points exactly; NaN breaks', () => {
    const xs = Array.from({ length: 500 }, (_, i) => 58 + i * 1.2987);
    const ys = xs.map((x, i) => (i === 250 ? Number.NaN : 100 + 40 * Math.sin(x / 13)));
    const d = polylinePath(xs, ys);
    const decoded: [number, number][] = [];
    for (const run of d.split('M').slice(1)) {
      const [head, tail = ''] = run.split('l');
      let [x, y] = head!.trim().split(' ').map(Number) as [number, number];
      decoded.push([x, y]);
      const steps = tail.trim() === '' ? [] : tail.trim().split(' ').map(Number);
      for (let k = 0; k < steps.length; k += 2) {
        x += steps[k]!;
        y += steps[k + 1]!;
        decoded.push([x, y]);
      }
    }
    assert.equal(decoded.length, 499, 'decoded.length');
    const expected = xs.flatMap((x, i) =>
      i === 250 ? [] : [[Math.round(x * 10) / 10, Math.round(ys[i]! * 10) / 10]],
    );
    decoded.forEach(([x, y], i) => {
      assert.ok(Math.abs(x - expected[i]![0]!) < 1e-9 && Math.abs(y - expected[i]![1]!) < 1e-9, `point ${i}`);
    });
    assert.equal(polylinePath([1, 2], [0.04, -0.26]), 'M1 0l1 -.3', 'polylinePath([1, 2], [0.04, -0.26])');
  });

  test('ticks: round 1-2-5 steps covering the range; date ticks without repeats', () => {
    const t = niceTicks(-0.0694, 0.5514, 4);
    assert.equal(t.step, 0.2, 't.step');
    assert.deepEqual(
      t.ticks.map((x) => percentTick(x, t.step)),
      ['-20%', '0%', '20%', '40%', '60%'],
      't.ticks.map((x) => percentTick(x, t.step))',
    );
    assert.ok(t.lo <= -0.0694 && t.hi >= 0.5514, 't.lo <= -0.0694 && t.hi >= 0.5514');
    assert.deepEqual(
      dateTicks(['2024-01-02', '2024-01-03', '2024-02-01', '2024-03-01'], 4),
      [
        { row: 0, label: '2024-01' },
        { row: 2, label: '2024-02' },
        { row: 3, label: '2024-03' },
      ],
      "dateTicks(['2024-01-02', '2024-01-03', '2024-02-01', '2024-03-01'], 4)",
    );
  });

  test('a line breaks at NaN; the legend carries the final value', () => {
    const svg = renderLineChart({
      kind: 'equity',
      title: 'x',
      dates: ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'],
      lines: [{ label: 'Meta', color: '#000', values: Float64Array.from([1, 1.1, Number.NaN, 1.2]) }],
      tick: (v) => v.toFixed(1),
      legendValue: (v) => v.toFixed(3),
      reference: 1,
    });
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    assert.equal(d.split('M').length - 1, 2, "d.split('M').length - 1");
    assert.ok(svg.includes('>Meta 1.200</text>'), "svg includes '>Meta 1.200</text>'");
    assert.match(
      svg,
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart" data-chart="equity" viewBox="0 0 720\.0 /,
      'svg matches /^<svg xmlns="http:\\/\\/www\\.w3\\.org\\/2000\\/svg" class="char…',
    );
  });

  test('heatmap colours: blue at −1, near white at 0, red at +1', () => {
    assert.equal(correlationColor(-1), '#2166ac', 'correlationColor(-1)');
    assert.equal(correlationColor(0), '#f7f7f7', 'correlationColor(0)');
    assert.equal(correlationColor(1), '#b2182b', 'correlationColor(1)');
    const svg = renderHeatmap({
      title: 'c',
      ids: ['a', 'b'],
      values: [
        [1, -0.25],
        [-0.25, 1],
      ],
    });
    assert.equal(
      (svg.match(/<rect [^>]*stroke="#fff"/g) ?? []).length,
      4,
      '(svg.match(/<rect [^>]*stroke="#fff"/g) ?? []).length',
    );
    assert.ok(svg.includes('<title>a / b: -0.25</title>'), "svg includes '<title>a / b: -0.25</title>'");
  });

  test('dendrogram: a merge spans its children at its height; leaves carry their weights', () => {
    const svg = renderDendrogram({
      title: 'd',
      labels: ['a', 'b', 'c'],
      order: [2, 0, 1],
      merges: [
        { left: 0, right: 1, height: 0.3 },
        { left: 2, right: 3, height: 0.6 },
      ],
      weights: [0.5, 0.3, 0.2],
    });
    const links = [...svg.matchAll(/<path d="([^"]+)" fill="none" stroke="#333"/g)].map((m) =>
      numbers(m[1]!),
    );
    assert.equal(links.length, 2, 'links.length');
    // Leaves at x = 52 + (pos + 0.5)·(706 − 52)/3: c at 161.0, a at 379.0, b at 597.0.
    const [m0, m1] = links as [number[][], number[][]];
    assert.equal(m0[0]![0], 379, 'm0[0][0]'); // from a
    assert.equal(m0[2]![0], 597, 'm0[2][0]'); // across to b
    assert.equal(m1[0]![0], 161, 'm1[0][0]'); // c ...
    assert.equal(m1[2]![0], 488, 'm1[2][0]'); // ... to the middle of (a, b)
    assert.ok(m1[1]![0]! < m0[1]![0]!, 'the higher merge is drawn higher up');
    for (const w of ['50.00%', '30.00%', '20.00%']) assert.ok(svg.includes(`>${w}</text>`), w);
    // Many leaves: rotated labels carry their weights (no overlapping value row).
    const n = 12;
    const many = renderDendrogram(chainDendrogram(Array.from({ length: n }, (_, i) => `leaf${i}`)));
    assert.ok(many.includes('>leaf11 8.33%</text>'), "many includes '>leaf11 8.33%</text>'");
    assert.doesNotMatch(many, />8\.33%<\/text>/, 'many does not match />8\\.33%<\\/text>/');
  });

  test('many sleeves and rebalances stay small: top bands plus other, areas instead of columns', () => {
    const n = 50;
    const K = 465;
    const ids = Array.from({ length: n }, (_, j) => `sleeve_${j}`);
    const raw = (k: number, j: number) => 1 + j + 0.5 * Math.sin(k / 9 + j);
    const weights = Array.from({ length: K }, (_, k) => {
      const row = ids.map((_, j) => raw(k, j));
      const sum = row.reduce((a, b) => a + b, 0);
      return row.map((w) => w / sum);
    });
    const dates = Array.from({ length: K }, (_, k) =>
      new Date(Date.UTC(1990, 0, 1 + 21 * k)).toISOString().slice(0, 10),
    );
    const spec = { title: 'w', ids, dates, weights };
    const bands = weightBands(spec);
    assert.equal(bands.length, 10, 'bands.length');
    assert.deepEqual(
      bands.slice(0, 9).map((b) => b.label),
      ids.slice(41),
      'bands.slice(0, 9).map((b) => b.label)',
    ); // the largest, in sleeve order
    assert.equal(bands[9]!.label, 'other (41 sleeves)', 'bands[9].label');
    for (let k = 0; k < K; k += 50) {
      assert.ok(Math.abs(bands.reduce((s, b) => s + b.values[k]!, 0) - 1) < 1e-12, `stack ${k}`);
    }
    const svg = renderWeightsHistoryChart(spec);
    assert.equal(
      (svg.match(/<path d="M[^"]+Z" fill=/g) ?? []).length,
      10,
      '(svg.match(/<path d="M[^"]+Z" fill=/g) ?? []).length',
    );
    assert.doesNotMatch(svg, /<rect x=/, 'svg does not match /<rect x=/');
    assert.ok(svg.length < 80_000, `${svg.length} bytes`);
    const few = renderWeightsHistoryChart({
      ...spec,
      ids: ids.slice(0, 3),
      dates: dates.slice(0, 4),
      weights: weights.slice(0, 4).map((r) => r.slice(0, 3)),
    });
    assert.equal(
      (few.match(/<rect x=[^>]*><title>/g) ?? []).length,
      12,
      '(few.match(/<rect x=[^>]*><title>/g) ?? []).length',
    );
    const heat = renderHeatmap({
      title: 'h',
      ids,
      values: ids.map((_, i) => ids.map((_, j) => (i === j ? 1 : 0.1))),
    });
    assert.doesNotMatch(heat, /<title>sleeve/, 'heat does not match /<title>sleeve/');
    assert.ok(heat.length < 80_000, `${heat.length} bytes`);
    assert.equal((heat.match(/<path d="M/g) ?? []).length, 2, '(heat.match(/<path d="M/g) ?? []).length'); // two colours: the diagonal and 0.1
  });

  test('contributors beyond eleven sleeves share one grey band; every asset keeps its net weight', () => {
    const assets = Array.from({ length: 6 }, (_, i) => ({
      symbol: `A${i}`,
      net: 0,
      contributors: Array.from({ length: 15 }, (_, j) => ({
        path: `p${j}`,
        contribution: ((j % 3) - 0.9) * (j + 1) * 0.001 * (i + 1),
      })),
    }));
    // Totals ∝ |j % 3 − 0.9|·(j + 1): the ten largest are p14, p11, p12, p8, p9, p5, p6, p3, p2, p13.
    const bands = contributorBands(assets);
    assert.equal(bands.paths.length, 11, 'bands.paths.length');
    assert.equal(bands.other, 'other (5 sleeves)', 'bands.other');
    assert.deepEqual(
      bands.paths.slice(0, 10),
      ['p2', 'p3', 'p5', 'p6', 'p8', 'p9', 'p11', 'p12', 'p13', 'p14'],
      'bands.paths.slice(0, 10)',
    );
    bands.assets.forEach((a, i) => {
      const before = assets[i]!.contributors.reduce((s, k) => s + k.contribution, 0);
      const after = a.contributors.reduce((s, k) => s + k.contribution, 0);
      assert.ok(Math.abs(before - after) < 1e-15, 'before ≈ after within 1e-15');
      assert.ok(
        a.contributors.filter((k) => k.path === bands.other).length <= 2,
        'a.contributors.filter((k) => k.path === bands.other).length <= 2',
      );
    });
    const svg = renderContributorsChart({ title: 'k', assets });
    assert.ok(
      svg.includes('>other (5 sleeves)</text>') && svg.includes('fill="#b8b8b8"'),
      "svg.includes('>other (5 sleeves)</text>') && svg.includes('fill=\"#b8b…",
    );
  });

  test('weights with bounds, contributors around zero', () => {
    const w = renderWeightsChart({
      title: 'w',
      bars: [
        { label: 'a', weight: 0.7 },
        { label: 'b', weight: 0.3 },
      ],
      minWeight: 0.1,
      maxWeight: 0.7,
    });
    assert.ok(
      w.includes('>min 10.00%</text>') && w.includes('>max 70.00%</text>'),
      "w.includes('>min 10.00%</text>') && w.includes('>max 70.00%</text>')",
    );
    const k = renderContributorsChart({
      title: 'k',
      assets: [
        {
          symbol: 'X',
          net: 0.2,
          contributors: [
            { path: 'p', contribution: 0.3 },
            { path: 'q', contribution: -0.1 },
          ],
        },
      ],
    });
    const rects = [...k.matchAll(/<rect x="([-\d.]+)" y="[-\d.]+" width="([-\d.]+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    assert.equal(rects.length, 2, 'rects.length');
    // The short leg ends where the long leg starts (zero), on the left of it.
    assert.ok(
      Math.abs(rects[1]![0]! + rects[1]![1]! - rects[0]![0]!) < 0.11,
      'rects[1][0] + rects[1][1] ≈ rects[0][0] within 0.11',
    );
  });
});

describe('long labels are cut with an ellipsis, the full text on hover', () => {
  const LONG = `sleeve_${'x'.repeat(100)}_end`; // 111 characters
  /** The visible text of every `<text>` (its `<title>` removed) with its x and anchor. */
  const texts = (svg: string): { x: number; anchor: string; shown: string; title: string | null }[] =>
    [...svg.matchAll(/<text x="([-\d.]+)"[^>]*?(?: text-anchor="(\w+)")?[^>]*>(.*?)<\/text>/g)].map((m) => {
      const title = /<title>(.*?)<\/title>/.exec(m[3]!)?.[1] ?? null;
      return {
        x: Number(m[1]),
        anchor: m[2] ?? 'start',
        shown: m[3]!.replace(/<title>.*?<\/title>/, ''),
        title,
      };
    });
  const cut = (svg: string) => texts(svg).filter((t) => t.shown.includes('…'));

  test('the equity legend keeps the final value inside the chart', () => {
    const svg = renderLineChart({
      kind: 'equity',
      title: 'x',
      dates: ['2024-01-01', '2024-01-02'],
      lines: [
        { label: LONG, color: '#000', values: Float64Array.from([1, 1.234]) },
        { label: 'Equal weight', color: '#111', values: Float64Array.from([1, 1.1]) },
      ],
      tick: (v) => v.toFixed(1),
      legendValue: (v) => v.toFixed(3),
    });
    const [entry] = cut(svg);
    assert.ok(entry !== undefined, 'the long legend entry is cut');
    assert.ok(entry.shown.endsWith('… 1.234'), `the value follows the cut: ${entry.shown}`);
    assert.equal(entry.title, `${LONG} 1.234`, 'the full label and value on hover');
    assert.ok(entry.x + entry.shown.length * 7 <= 720, `the entry ends inside the chart: ${entry.x}`);
    assert.ok(svg.includes('>Equal weight 1.100</text>'), 'a short entry is as before');
  });

  test('weights, top-assets and correlation labels are cut, not clipped', () => {
    const weights = renderWeightsChart({
      title: 'w',
      bars: [
        { label: LONG, weight: 0.6 },
        { label: 'b', weight: 0.4 },
      ],
      minWeight: 0,
      maxWeight: 1,
    });
    const assets = renderContributorsChart({
      title: 'k',
      assets: [{ symbol: LONG, net: 0.2, contributors: [{ path: 'p', contribution: 0.2 }] }],
    });
    const heat = renderHeatmap({
      title: 'c',
      ids: [LONG, 'b'],
      values: [
        [1, 0.5],
        [0.5, 1],
      ],
    });
    for (const [name, svg, expected] of [
      ['weights', weights, 1],
      ['top assets', assets, 1],
      ['correlation', heat, 2],
    ] as const) {
      const labels = cut(svg);
      assert.equal(labels.length, expected, `${name}: the long label is cut (${labels.length})`);
      for (const l of labels) {
        assert.equal(l.title, LONG, `${name}: full label on hover`);
        assert.ok(l.shown.length <= 30, `${name}: the shown label fits its room: ${l.shown}`);
        if (l.anchor === 'end') assert.ok(l.x - l.shown.length * 7 >= 0, `${name}: starts inside the chart`);
      }
      assert.ok(!texts(svg).some((t) => t.shown === LONG), `${name}: the full label is not drawn`);
    }
  });

  test('dendrogram: rotated leaf labels are cut to their room, the weight kept whole', () => {
    const n = 12;
    const labels = Array.from({ length: n }, (_, i) => `leaf${i}`);
    labels[0] = 'momentum_us_large_cap'; // leftmost: would run past the chart's left edge
    labels[5] = LONG;
    const spec = chainDendrogram(labels);
    const svg = renderDendrogram(spec);
    const height = Number(/viewBox="0 0 [\d.]+ ([\d.]+)"/.exec(svg)?.[1]);
    const rotated = [
      ...svg.matchAll(
        /<text x="([\d.]+)" y="([\d.]+)" font-size="([\d.]+)" transform="rotate\(-45[^"]*"[^>]*>(.*?)<\/text>/g,
      ),
    ].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      charWidth: (7 * Number(m[3])) / 11,
      shown: m[4]!.replace(/<title>.*?<\/title>/, ''),
      title: /<title>(.*?)<\/title>/.exec(m[4]!)?.[1] ?? null,
    }));
    assert.equal(rotated.length, n, 'every leaf has a rotated label');
    const cutOnes = rotated.filter((t) => t.shown.includes('…'));
    assert.deepEqual(
      cutOnes.map((t) => t.title),
      ['momentum_us_large_cap 8.33%', `${LONG} 8.33%`],
      'the two long labels are cut, their full text and weight on hover',
    );
    for (const t of rotated) {
      const run = t.shown.length * t.charWidth * Math.SQRT1_2;
      assert.ok(t.x - run >= 0, `"${t.shown}" ends right of the chart's left edge (x ${t.x}, run ${run})`);
      assert.ok(t.y + run <= height, `"${t.shown}" ends above the chart's bottom (y ${t.y}, run ${run})`);
    }
    for (const t of cutOnes) assert.ok(t.shown.endsWith('… 8.33%'), `the weight follows the cut: ${t.shown}`);
    assert.ok(svg.includes('>leaf11 8.33%</text>'), 'a label that fits is drawn as before, without a title');
  });
});
