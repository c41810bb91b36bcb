// The risk attribution section of the report: the rows it shows add up to the totals, in a stated order,
// with fixed formats; its charts draw one pair of bars per shown row, hedges left of zero.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTRIBUTION_TOP_ROWS,
  attributionBlock,
  attributionChartLines,
  attributionLines,
  largestFirst,
  type AttributionLine,
} from '../../../src/report/_attribution-section.js';
import { renderAttributionChart } from '../../../src/report/html/charts/attribution-chart.js';
import { renderMetaReportHtml, renderMetaReportMarkdown } from '../../../src/report/index.js';
import { attribution as a, data } from './_html-fixture.js';

const near = (x: number, y: number, what: string): void =>
  assert.ok(Math.abs(x - y) <= 1e-12, `${what}: ${x} vs ${y}`);

function sums(lines: readonly AttributionLine[]) {
  return {
    vol: lines.reduce((s, l) => s + l.volContribution, 0),
    cvar: lines.reduce((s, l) => s + l.cvarContribution, 0),
    volShare: lines.reduce((s, l) => s + l.volShare, 0),
    cvarShare: lines.reduce((s, l) => s + l.cvarShare, 0),
  };
}

/** The rows of the Markdown table that follows `intro` (cells trimmed, outer pipes dropped). */
function tableAfter(md: string, intro: string): string[][] {
  const start = md.indexOf(intro);
  assert.ok(start >= 0, `"${intro}" in the section`);
  const block = md.slice(start).split('\n\n')[1] ?? '';
  return block
    .split('\n')
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

describe('attribution rows', () => {
  test('every table adds up to the totals, with the rest and the unassigned part as rows', () => {
    for (const [what, rows, unassigned] of [
      ['sleeves', a.sleeves, undefined],
      ['leaves', a.leaves, undefined],
      ['assets', largestFirst(a.assets), a.unassigned],
    ] as const) {
      for (const top of [1, 3, 10, 100]) {
        const lines = attributionLines(rows, a, { top, ...(unassigned ? { unassigned } : {}) });
        const s = sums(lines);
        near(s.vol, a.volatility, `${what}, top ${top}: Σ vol`);
        near(s.cvar, a.cvar, `${what}, top ${top}: Σ CVaR`);
        near(s.volShare, 1, `${what}, top ${top}: Σ vol shares`);
        near(s.cvarShare, 1, `${what}, top ${top}: Σ CVaR shares`);
        // A single holding left over is shown rather than grouped.
        const shown = rows.length - top <= 1 ? rows.length : top;
        assert.equal(
          lines.filter((l) => l.kind === 'holding').length,
          shown,
          `${what}, top ${top}: holdings shown`,
        );
        assert.equal(
          lines.some((l) => l.kind === 'other'),
          rows.length - top >= 2,
          `${what}, top ${top}: one row for the rest exactly when two or more are not shown`,
        );
      }
    }
    // Without the unassigned part, the assets fall short of the totals by exactly that part.
    const bare = sums(attributionLines(a.assets, a));
    near(bare.vol, a.volatility - a.unassigned.volContribution, 'assets without the unassigned row');
  });

  test('order: largest |share of volatility| first, a hedge by its size, ties by name', () => {
    assert.deepEqual(
      largestFirst(a.assets).map((r) => r.name),
      ['NESN', 'CME_MINI:ES1!', 'X01', 'X02', 'X03', 'X04', 'X05', 'X06', 'X07', 'X08', 'X09', 'X10'],
      'largestFirst(assets)',
    );
    // A chart keeps the given (manifest) order when every holding fits.
    assert.deepEqual(
      attributionChartLines(a.leaves, a, 'sleeves').map((l) => l.label),
      ['swiss/bonds', 'swiss/equity', 'gulf', 'crypto'],
      'leaves in path order',
    );
    const many = Array.from({ length: 15 }, (_, i) => ({
      ...a.leaves[0]!,
      name: `s${String(i).padStart(2, '0')}`,
      volContribution: (i - 4) / 100,
      volShare: (i - 4) / 100 / a.volatility,
    }));
    const bars = attributionChartLines(many, a, 'sleeves');
    assert.equal(bars.length, ATTRIBUTION_TOP_ROWS + 1, 'a chart has ATTRIBUTION_TOP_ROWS bars and the rest');
    assert.deepEqual(
      bars.map((l) => l.label),
      ['s14', 's13', 's12', 's11', 's10', 's09', 's00', 's08', 's01', 's07', 'other (5 sleeves)'],
      'the largest first (the hedges s00 at −4 % and s01 at −3 % rank by size, ahead of s07 at +3 % by name), the rest in one bar',
    );
  });

  test('the Markdown tables: fixed formats, the rest, the unassigned part and the total', () => {
    const md = attributionBlock(a);
    assert.ok(
      md.startsWith(
        'In sample (fit period), from `data/meta_attribution_m_hrp.json`: volatility 20.00% (annualised), ' +
          'CVaR 95 % 2.000% (historical, per period), diversification ratio 1.42, risk-based effective N 2.74',
      ),
      `the totals lead the section: ${md.slice(0, 200)}`,
    );
    assert.deepEqual(
      tableAfter(md, 'Euler contributions'),
      [
        ['`swiss`', '45.00%', '7.00%', '35.0%', '15.56%', '0.600%', '30.0%', '1.333%'],
        ['`gulf`', '35.00%', '9.00%', '45.0%', '25.71%', '1.000%', '50.0%', '2.857%'],
        ['`crypto`', '20.00%', '4.00%', '20.0%', '20.00%', '0.400%', '20.0%', '2.000%'],
        ['**Total**', '100.00%', '20.00%', '100.0%', '', '2.000%', '100.0%', ''],
      ],
      'sleeves table',
    );
    const leaves = tableAfter(md, 'Atomic sleeves through the nested branches');
    assert.deepEqual(
      leaves[0],
      ['`swiss/bonds`', '20.00%', '-1.00%', '-5.0%', '-5.00%', '-0.100%', '-5.0%', '-0.500%'],
      'a hedge: negative contribution and share',
    );
    assert.equal(leaves.length, 5, 'four atomic sleeves and the total');
    assert.ok(
      md.includes('diversification ratio is 1.55, the effective N 2.99'),
      'the leaf-level figures are named',
    );
    const assets = tableAfter(md, 'Physical assets, the 10 largest of 12');
    assert.deepEqual(
      assets.map((r) => r[0]),
      [
        '`NESN`',
        '`CME_MINI:ES1!`',
        ...['01', '02', '03', '04', '05', '06', '07', '08'].map((k) => `\`X${k}\``),
        'other (2 assets)',
        'no physical exposure',
        '**Total**',
      ],
      'assets: the ten largest, the rest, the unassigned part, the total',
    );
    assert.deepEqual(
      assets.at(-3),
      ['other (2 assets)', '2.00%', '2.00%', '10.0%', '', '0.220%', '11.0%', ''],
      'the rest summed; no marginal for a group',
    );
    assert.deepEqual(
      assets.at(-2),
      ['no physical exposure', '', '2.00%', '10.0%', '', '0.200%', '10.0%', ''],
      'the unassigned part has no weight',
    );
    assert.deepEqual(
      assets.at(-1),
      ['**Total**', '30.00%', '20.00%', '100.0%', '', '2.000%', '100.0%', ''],
      'total: Σ net weight, the totals',
    );
    assert.deepEqual(
      tableAfter(md, 'Without each sleeve'),
      [
        ['`swiss`', '25.00%', '2.400%', '0.70'],
        ['`gulf`', '15.00%', '1.400%', '1.10'],
        ['`crypto`', '12.00%', 'n/a', 'n/a'],
      ],
      'leave-one-out table',
    );
    assert.ok(md.includes('Sharpe 0.91:'), 'the full portfolio Sharpe precedes the leave-one-out table');
  });

  test('without nesting, no table of atomic sleeves; without assets, no asset table', () => {
    const flat = {
      ...a,
      sleeves: a.sleeves.map((s) => ({ ...s, kind: 'atomic' as const })),
      assets: [],
      unassigned: { volContribution: 0, cvarContribution: 0 },
    };
    const md = attributionBlock(flat);
    assert.ok(!md.includes('Atomic sleeves through'), 'no leaves table without a branch');
    assert.ok(!md.includes('Physical assets'), 'no asset table without assets');
    assert.ok(md.includes('Without each sleeve'), 'leave-one-out is always there');
  });

  test('the report places the section after the assets, the same numbers in Markdown and HTML', () => {
    const md = renderMetaReportMarkdown(data);
    const hrp = md.slice(md.indexOf('## Risk profile `hrp`'), md.indexOf('## Risk profile `min_variance`'));
    const titles = [...hrp.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    const at = titles.indexOf('Risk attribution');
    assert.equal(titles[at - 1], 'Top physical assets', `section order: ${titles.join(', ')}`);
    assert.ok(hrp.includes(attributionBlock(a)), 'the section body is the block of the data');
    assert.ok(
      md.includes(
        '### Risk attribution\n\n_Section omitted: data/meta_attribution_m_min_variance.json not found._',
      ),
      'a run without the artifact says which file is missing',
    );
    const html = renderMetaReportHtml(data);
    const section = html.slice(
      html.indexOf('id="profile-hrp-attribution"'),
      html.indexOf('id="profile-hrp-health"'),
    );
    assert.equal((section.match(/data-chart="attribution"/g) ?? []).length, 2, 'two attribution charts');
    assert.ok(
      section.includes('<td>other (2 assets)</td><td class="num">2.00%</td>'),
      'the HTML table carries the Markdown cells',
    );
    // The assets chart groups the same holdings as the assets table: 10 bars and "other (2 assets)".
    const charts = section.split('data-chart="attribution"');
    const assetsChart = charts[2]!.slice(0, charts[2]!.indexOf('</svg>'));
    const chartLabels = [...assetsChart.matchAll(/text-anchor="end" fill="#222">([^<]+)<\/text>/g)].map(
      (m) => m[1],
    );
    const tableLabels = attributionLines(largestFirst(a.assets), a, {
      top: 10,
      noun: 'assets',
      unassigned: a.unassigned,
    }).map((l) => l.label.replace('&', '&amp;'));
    assert.deepEqual(chartLabels, tableLabels, 'the chart shows the table’s holdings and other row');
  });
});

describe('attribution chart', () => {
  test('one pair of bars per row; hedges left of zero; the values printed beside the bars', () => {
    const svg = renderAttributionChart({
      title: 't <x>',
      rows: [
        { label: 'long', volShare: 0.8, cvarShare: 0.9 },
        { label: 'hedge', volShare: -0.3, cvarShare: -0.1 },
        { label: 'other (3 sleeves)', volShare: 0.5, cvarShare: 0.2 },
      ],
      cvarLabel: 'CVaR 95',
    });
    const rects = [
      ...svg.matchAll(/<rect x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="10" fill="(#\w+)">/g),
    ];
    assert.equal(rects.length, 6, 'two bars per row');
    const zero = Number(/<line x1="([-\d.]+)"/.exec(svg)![1]);
    const [long, , hedge] = rects.map((m) => ({ x: Number(m[1]), w: Number(m[3]) }));
    assert.ok(Math.abs(long!.x - zero) < 0.06, `a positive bar starts at zero (${long!.x} vs ${zero})`);
    assert.ok(Math.abs(hedge!.x + hedge!.w - zero) < 0.11, 'a negative bar ends at zero');
    // Widths are proportional to the shares: 0.8 against 0.3.
    assert.ok(Math.abs(long!.w / hedge!.w - 0.8 / 0.3) < 0.01, `widths ${long!.w} / ${hedge!.w}`);
    for (const v of ['80.0%', '-30.0%', '-10.0%', '50.0%'])
      assert.ok(svg.includes(`>${v}</text>`), `value ${v} printed`);
    assert.ok(svg.includes('<title>hedge: -30.0% of volatility</title>'), 'tooltip names the measure');
    assert.ok(svg.includes('>% of CVaR 95</text>'), 'the key names the CVaR level');
    assert.ok(svg.includes('aria-label="t &lt;x&gt;"'), 'the title is escaped');
    // The value of a negative bar stays right of the labels.
    const labelRight = Number(
      /<text x="([-\d.]+)" y="[-\d.]+" text-anchor="end" fill="#222">long</.exec(svg)![1],
    );
    const hedgeValue = Number(
      /<text x="([-\d.]+)" y="[-\d.]+" fill="#222" text-anchor="end">-30\.0%</.exec(svg)![1],
    );
    assert.ok(
      hedgeValue - 7 * 6 > labelRight,
      `value at ${hedgeValue} clears the labels ending at ${labelRight}`,
    );
  });

  test('long labels are cut with an ellipsis; the tooltip keeps the full name', () => {
    const label = `branch/${'x'.repeat(60)}/leaf`;
    const svg = renderAttributionChart({
      title: 't',
      rows: [{ label, volShare: 1, cvarShare: 1 }],
      cvarLabel: 'CVaR 95',
    });
    const shown = /text-anchor="end" fill="#222">(?:<title>[^<]*<\/title>)?([^<]+)<\/text>/.exec(svg)![1]!;
    assert.ok(shown.endsWith('…') && shown.length * 7 <= 200, `label shown as ${shown}`);
    assert.ok(svg.includes(`<title>${label}: 100.0% of volatility</title>`), 'full label in the tooltip');
    assert.ok(svg.includes(`<title>${label}</title>${shown}</text>`), 'and on the label itself');
    assert.doesNotMatch(svg, /NaN|undefined|Infinity/, 'finite output');
  });
});
