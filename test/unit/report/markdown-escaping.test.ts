// User text in the Markdown report (a benchmark's description, a health warning, an asset's symbol) can
// carry raw HTML or line breaks: the Markdown escapes `&`, `<` and `>` in plain text and flattens line
// breaks everywhere, so it renders no markup of its own and forges no heading or table; the HTML report,
// converted from it, shows the same text escaped exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderMetaReportHtml,
  renderMetaReportMarkdown,
  type RiskProfileReport,
} from '../../../src/report/index.js';
import { cell, code } from '../../../src/report/_markdown.js';
import { data, full } from './_html-fixture.js';

const SCRIPT = "<script>alert('bench')</script>";
const FORGED = 'EVIL\n## Forged heading\n| a | b |';

const hostile: RiskProfileReport = {
  ...full,
  benchmarks: {
    benchmarks: [{ id: 'spi', source: 'data/prices.csv:SPI', description: `${SCRIPT} & more` }],
    rows: [],
    relativeEquity: { inSample: { dates: [], lines: [] }, outOfSample: null },
  },
  assets:
    'omitted' in full.assets
      ? full.assets
      : {
          ...full.assets,
          concentration: {
            largest: { symbol: FORGED, gross: 0.3, cap: null },
            top10Share: 1,
            hhi: 0.5,
            effectiveN: 2,
          },
        },
};

const md = renderMetaReportMarkdown({ ...data, riskProfiles: [hostile] });
const html = renderMetaReportHtml({ ...data, riskProfiles: [hostile] });

test('plain text: &, < and > become entities, line breaks spaces; code spans: line breaks flattened', () => {
  assert.equal(cell('a <b> & c\nd | e'), 'a &lt;b&gt; &amp; c d \\| e', 'cell escapes and flattens');
  assert.equal(code('x\n## y\r\nz'), '`x ## y z`', 'a code span is one line');
});

test('the Markdown report renders no raw HTML from user text', () => {
  assert.ok(!md.includes('<script'), 'no script element in the Markdown');
  assert.ok(!md.includes('<img'), 'no img element in the Markdown (health warning)');
  assert.ok(
    md.includes(`(&lt;script&gt;alert('bench')&lt;/script&gt; &amp; more)`),
    'the description, escaped',
  );
  assert.ok(
    md.includes('sleeve &lt;img src=x onerror=alert(1)&gt; &amp; "quotes" \\| pipes'),
    'the health warning, escaped',
  );
});

test('a line break in a user string forges no heading or table row', () => {
  const lines = md.split('\n');
  assert.ok(!lines.some((l) => l.startsWith('## Forged')), 'no forged heading');
  assert.ok(!lines.includes('| a | b |'), 'no forged table row');
  assert.ok(md.includes('largest position `EVIL ## Forged heading | a | b |`'), 'the symbol on one line');
});

test('the HTML report escapes that text once', () => {
  assert.ok(!html.includes('<script'), 'no script element in the HTML');
  assert.ok(
    html.includes('(&lt;script&gt;alert(&#39;bench&#39;)&lt;/script&gt; &amp; more)'),
    'the description escaped once',
  );
  assert.ok(!html.includes('&amp;lt;'), 'no double escaping');
  assert.ok(
    html.includes('sleeve &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; | pipes'),
    'the health warning escaped once',
  );
  assert.ok(!html.includes('<h2>Forged'), 'no forged heading in the HTML');
});
