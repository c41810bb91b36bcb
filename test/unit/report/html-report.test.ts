import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderMetaReportHtml,
  renderMetaReportMarkdown,
  type BacktestSection,
  type MetaReportData,
} from '../../../src/report/index.js';
import { data, DATES, full } from './_html-fixture.js';

const html = renderMetaReportHtml(data);
const md = renderMetaReportMarkdown(data);

const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
};
const plain = (s: string): string =>
  s
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|amp|quot|#39);/g, (e) => ENTITIES[e]!)
    .trim();

/** Every table row of the Markdown report as cell texts (code spans unwrapped, pipes unescaped). */
function markdownRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|( ?-{3,}:? \|)+$/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) =>
          c
            .trim()
            .replace(/\\\|/g, '|')
            .replace(/`+ ?([^`]*?) ?`+/g, '$1')
            .replace(/\*\*(.*?)\*\*/g, '$1'),
        ),
    );
}

/** Every table row of the HTML report as cell texts. */
function htmlRows(text: string): string[][] {
  return [...text.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((c) => plain(c[1]!)),
  );
}

const charts = (part: string): string[] => [...part.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]!);
const profile = (id: string): string => {
  const start = html.indexOf(`<section class="profile" id="profile-${id}">`);
  assert.ok(start > 0, id);
  return html.slice(start, html.indexOf('</section>\n<section class="profile"', start + 1) + 1 || undefined);
};

describe('renderMetaReportHtml', () => {
  test('one self-contained file: no script, no external resource, a CSP that forbids fetching', () => {
    assert.ok(
      html.startsWith('<!DOCTYPE html>\n<html lang="en">'),
      'html.startsWith(\'<!DOCTYPE html>\\n<html lang="en">\')',
    );
    for (const banned of [
      /<script/i,
      /<[a-z]+[^>]*\ssrc=/i,
      /<link/i,
      /url\(/i,
      /@import/i,
      /<iframe/i,
      /<img/i,
    ]) {
      assert.doesNotMatch(html, banned, 'html does not match banned');
    }
    // The only URL is the SVG namespace, which is a name, not a request.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg'], '[...new Set(urls)]');
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'/,
      'html matches /<meta http-equiv="Content-Security-Policy" content="defaul…',
    );
    assert.match(html, /<a href="#profile-hrp">hrp<\/a>/, 'html matches /<a href="#profile-hrp">hrp<\\/a>/');
  });

  test('every table of the Markdown report, with the same cells and numbers, in the same order', () => {
    const expected = markdownRows(md);
    const actual = htmlRows(html);
    assert.ok(expected.length > 40, `${expected.length} rows`);
    assert.deepEqual(actual, expected, 'actual');
    // The summary's out-of-sample line: walk-forward vs full-history weights vs equal weight.
    assert.ok(
      md.includes('| `hrp` | 70 | 8.00% | 0.70 | 5.00% | 0.85 | 0.50 | 111.60% |'),
      "md includes '| `hrp` | 70 | 8.00% | 0.70 | 5.00% | 0.85 | 0.50 | 111.60…",
    );
    // Spot checks of formatted figures in both.
    for (const s of ['12.35%', '1.23', '8.00%', '0.70', '10.00%', '0.85']) {
      assert.ok(md.includes(s) && html.includes(s), s);
    }
  });

  test('the weights inside a nested branch are drawn: one band per atomic sleeve, by path', () => {
    const hrp = profile('hrp');
    const svg = /<svg[^>]*data-chart="leaf-weights-history"[^]*?<\/svg>/.exec(hrp)?.[0] ?? '';
    assert.ok(svg !== '', 'the leaf weights chart is drawn');
    for (const path of ['swiss/bonds', 'swiss/equity', 'gulf', 'crypto'])
      assert.ok(svg.includes(`>${path}</text>`), `the legend names ${path}`);
    assert.ok(
      svg.includes('swiss/equity: 35.00%'),
      'a column carries the weight of a sleeve inside the branch',
    );
    assert.equal(
      profile('min_variance').includes('leaf-weights-history'),
      false,
      'no leaf chart without leaf weights',
    );
  });

  test('the summary tables say which is in sample and which is out of sample', () => {
    const summary = html.slice(html.indexOf('<section id="summary">'), html.indexOf('</section>'));
    const inSample = summary.indexOf('<p>In sample (fit period): ');
    const outOfSample = summary.indexOf('<p>Out of sample (walk-forward): ');
    const tables = [...summary.matchAll(/<table>/g)].map((m) => m.index);
    assert.equal(tables.length, 2, 'the summary has the in-sample and the out-of-sample table');
    assert.ok(
      inSample >= 0 && inSample < (tables[0] as number),
      'the first table is introduced as in sample',
    );
    assert.ok(
      outOfSample > (tables[0] as number) && outOfSample < (tables[1] as number),
      'the second table is introduced as out of sample',
    );
  });

  test('the full profile draws every chart; the backtest table sits in its section', () => {
    const hrp = profile('hrp');
    assert.deepEqual(
      charts(hrp),
      [
        'equity',
        'drawdown',
        'rolling-volatility',
        'equity',
        'drawdown',
        'weights-history',
        'leaf-weights-history',
        'weights',
        'dendrogram',
        'correlation',
        'contributors',
        'attribution',
        'attribution',
      ],
      'charts(hrp)',
    );
    const bt = hrp.slice(
      hrp.indexOf('id="profile-hrp-backtest"'),
      hrp.indexOf('id="profile-hrp-allocation"'),
    );
    assert.ok(
      bt.includes(
        '<td>Meta, out of sample (walk-forward, net of costs)</td><td class="num">70</td><td class="num">8.00%</td>',
      ),
      'the walk-forward row is labelled out of sample, with its figures',
    );
    assert.ok(
      bt.includes('<td>Meta, full-history weights (in sample: fitted on these days)</td>'),
      'the full-history row is labelled in sample',
    );
    assert.ok(
      bt.includes('<h3>Backtest, out of sample (walk-forward)</h3>'),
      'the backtest section title says out of sample',
    );
    assert.ok(
      bt.includes('hrp failed with E_SOLVER, used inverse_variance'),
      "bt includes 'hrp failed with E_SOLVER, used inverse_variance'",
    );
    assert.doesNotMatch(hrp, /data-missing/, 'hrp does not match /data-missing/');
  });

  test('missing sources are marked where their section or chart would be', () => {
    const mv = profile('min_variance');
    const marked = [...mv.matchAll(/<section class="block" id="([^"]+)" data-missing="([^"]+)">/g)].map(
      (m) => [m[1], m[2]],
    );
    assert.deepEqual(
      marked,
      [
        ['profile-min_variance-backtest', 'data/meta_backtest_m_min_variance.json'],
        ['profile-min_variance-assets', 'data/portfolio_optimized_meta_m_min_variance.json'],
        ['profile-min_variance-attribution', 'data/meta_attribution_m_min_variance.json'],
        ['profile-min_variance-exposure', 'data/portfolio_optimized_meta_m_min_variance.json'],
        ['profile-min_variance-health', 'data/meta_manifest_m_min_variance.json'],
        ['profile-min_variance-calendar', 'data/meta_manifest_m_min_variance.json'],
        ['profile-min_variance-nested', 'data/meta_manifest_m_min_variance.json'],
      ],
      'marked',
    );
    assert.ok(
      mv.includes(
        '<p class="missing" data-missing="data/meta_cluster_tree_m_min_variance.json">Dendrogram omitted: data/meta_cluster_tree_m_min_variance.json not found.</p>',
      ),
      'mv includes \'<p class="missing" data-missing="data/meta_cluster_tree_m_…',
    );
    assert.ok(mv.includes('Rolling volatility not drawn'), "mv includes 'Rolling volatility not drawn'");
    assert.deepEqual(charts(mv), ['equity', 'drawdown', 'weights', 'correlation'], 'charts(mv)');
  });

  test('text from artifacts is escaped; numbers are fixed-format; output is deterministic', () => {
    assert.ok(
      html.includes('sleeve &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; | pipes'),
      "html includes 'sleeve &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quot…",
    );
    assert.doesNotMatch(
      html,
      /NaN|undefined|Infinity|-0\.0\b/,
      'html does not match /NaN|undefined|Infinity|-0\\.0\\b/',
    );
    assert.equal(renderMetaReportHtml(data), html, 'renderMetaReportHtml(data)');
    assert.ok(
      html.includes('Created: 2026-01-01T00:00:00Z'),
      "html includes 'Created: 2026-01-01T00:00:00Z'",
    );
  });

  test('long histories stay small: curves are thinned to about two points per pixel column', () => {
    const T = 5000;
    const dates = Array.from({ length: T }, (_, i) =>
      new Date(Date.UTC(2005, 0, 1 + i)).toISOString().slice(0, 10),
    );
    const long = (k: number): Float64Array =>
      Float64Array.from({ length: T }, (_, t) => 1 + Math.sin(t / (50 + k)) * 0.2 + t / 1e4);
    const big: MetaReportData = {
      ...data,
      riskProfiles: [
        {
          ...full,
          charts: {
            ...full.charts!,
            inSample: {
              equity: {
                dates,
                lines: [0, 1, 2].map((k) => ({ label: `s${k}`, role: 'meta' as const, values: long(k) })),
              },
              drawdown: {
                dates,
                lines: [0, 1, 2].map((k) => ({
                  label: `s${k}`,
                  role: 'meta' as const,
                  values: long(k).map((v) => v - 1),
                })),
              },
            },
          },
        },
      ],
    };
    const out = renderMetaReportHtml(big);
    const equity = out.slice(out.indexOf('data-chart="equity"'), out.indexOf('data-chart="drawdown"'));
    for (const d of [...equity.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!)) {
      const points = (d.match(/-?(\d+\.?\d*|\.\d+)/g) ?? []).length / 2;
      assert.ok(points <= 2 * 648 + 2, `${points} points`);
    }
    assert.ok(out.length < 400_000, `${out.length} bytes`);
    assert.ok(DATES.length > 0, 'DATES.length > 0');
  });
});

describe('a table too wide for a printed page', () => {
  const ids = Array.from({ length: 25 }, (_, i) => `s${i + 1}`);
  const values = ids.map((_, i) => ids.map((_, j) => (i === j ? 1 : ((i + 1) * (j + 1)) / 1000)));
  const wide = renderMetaReportHtml({
    ...data,
    riskProfiles: [{ ...full, correlation: { ids, values } }],
  });
  /** Rows of each `<table>` in a piece of HTML, as the texts of their cells. */
  const tables = (part: string): string[][][] =>
    [...part.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) =>
      [...m[1]!.matchAll(/<tr>(.*?)<\/tr>/g)].map((r) =>
        [...r[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((c) => plain(c[1]!)),
      ),
    );

  test('is whole on screen and printed as blocks of its columns, each repeating the first column', () => {
    const screen = /<div class="table-screen">([\s\S]*?)<\/div>\n<div class="table-print"/.exec(wide)?.[1];
    const print = /<div class="table-print" data-columns="26">([\s\S]*?)\n<\/div>/.exec(wide)?.[1];
    assert.ok(
      screen !== undefined && print !== undefined,
      'the correlation table has a screen and a print form',
    );
    const [whole] = tables(screen);
    assert.equal(whole?.[0]?.length, 26, 'on screen: one table with every column');
    const blocks = tables(print);
    assert.deepEqual(
      blocks.map((b) => b[0]?.length),
      [14, 13],
      'printed: 25 sleeve columns in blocks of at most 16 columns, the first column repeated',
    );
    assert.deepEqual(
      [...print.matchAll(/<caption>(.*?)<\/caption>/g)].map((m) => m[1]),
      ['Columns 1–13 of 25', 'Columns 14–25 of 25'],
      'each block says which columns it holds',
    );
    // Put back together, the blocks are the whole table, row by row.
    const joined = whole!.map((_, r) => [blocks[0]![r]![0]!, ...blocks.flatMap((b) => b[r]!.slice(1))]);
    assert.deepEqual(joined, whole, 'the blocks hold every cell once, in order');
    for (const b of blocks) {
      assert.deepEqual(
        b.map((row) => row[0]),
        whole!.map((row) => row[0]),
        'every block repeats the sleeve column',
      );
    }
  });

  test('a table of at most 16 columns is as before; the print forms are hidden on screen', () => {
    assert.ok(!html.includes('table-print"'), 'the fixture report has no table in blocks');
    assert.ok(html.includes('.table-print { display: none; }'), 'print blocks are hidden on screen');
  });
});

describe('the backtest costs with rebalancing.costs_bps', () => {
  const backtest = full.backtest as BacktestSection;
  const withBps: MetaReportData = {
    ...data,
    riskProfiles: [{ ...full, backtest: { ...backtest, costsBps: { 'swiss/bonds': 10, gulf: 30 } } }],
  };
  const mdBps = renderMetaReportMarkdown(withBps);
  const htmlBps = plain(renderMetaReportHtml(withBps));

  test('state the rate of each sleeve named and the single rate of the others, in Markdown and HTML', () => {
    for (const [name, text] of [
      ['Markdown', mdBps.replace(/`/g, '')],
      ['HTML', htmlBps],
    ] as const) {
      assert.ok(
        text.includes(
          'Costs per unit of turnover by sleeve (rebalancing.costs_bps): swiss/bonds 0.100% (10 bps), ' +
            'gulf 0.300% (30 bps); any other sleeve 0.060% (commission 0.010%, slippage 0.050%).',
        ),
        `${name} states the costs_bps rates`,
      );
      assert.ok(
        !text.includes('Costs 0.060% per unit of turnover'),
        `${name} does not claim one rate for all`,
      );
    }
  });

  test('without costs_bps the single rate is stated as before', () => {
    assert.ok(
      md.includes('Costs 0.060% per unit of turnover (commission 0.010%, slippage 0.050%).'),
      'one rate for every sleeve',
    );
  });
});
