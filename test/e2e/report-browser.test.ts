// The HTML report of a demo meta run (test/helpers/meta-workspace.ts, built CLI), opened in headless
// Chromium (Debian's `chromium`, installed by .ci/run) through playwright-core: every chart draws, the
// page requests nothing but itself, and a screenshot lands in the run folder. A second run with missing
// artifacts still renders, with the missing sections marked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip } from '../helpers/chromium.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { quant, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace, PROFILES } from '../helpers/meta-workspace.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

interface Loaded {
  readonly page: Page;
  readonly requests: string[];
  readonly problems: string[];
}

/** Open a file, recording every request (anything but the file itself and data: URLs is aborted). */
async function open(browser: Browser, file: string, width = 1200): Promise<Loaded> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.route('**/*', (route) => {
    const target = route.request().url();
    return target === url || target.startsWith('data:') ? route.continue() : route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests: requests.filter((r) => r !== url), problems };
}

/** Every `svg.chart`: its kind, its box, and how many of its shapes have a non-empty box. */
function chartBoxes(page: Page) {
  return page.$$eval('svg.chart', (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      // Structural types: the test compiles without the DOM library.
      const shapes = [...svg.querySelectorAll('path, rect, line')] as unknown as {
        getBBox(): { width: number; height: number };
      }[];
      const drawn = shapes.filter((s) => {
        const b = s.getBBox();
        return b.width > 0 || b.height > 0;
      }).length;
      const section = svg.closest('section.profile')?.id ?? '';
      return {
        kind: svg.dataset['chart'] ?? '',
        section,
        width: box.width,
        height: box.height,
        shapes: shapes.length,
        drawn,
      };
    }),
  );
}

/**
 * The page layout at the viewport width: how wide the document is, each navigation link's box, each
 * chart's box and that of its figure, and the smallest rendered size of its text (the computed font size
 * times the chart's scale on screen).
 */
async function layout(page: Page) {
  // Structural types (the test compiles without the DOM library); no named functions inside the
  // callbacks, which run in the page, where the transpiler's name helper does not exist.
  type Rect = { left: number; right: number; width: number; height: number };
  const scrollWidth = await page.$eval('html', (html) => html.scrollWidth);
  const nav = await page.$$eval('nav a', (links) =>
    links.map((a) => {
      const r = a.getBoundingClientRect() as Rect;
      return { text: a.textContent ?? '', left: r.left, right: r.right, width: r.width, height: r.height };
    }),
  );
  const charts = await page.$$eval('svg.chart', (svgs) =>
    svgs.map((svg) => {
      const view = globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } };
      const scale = (svg as unknown as { getScreenCTM(): { a: number } | null }).getScreenCTM()?.a ?? 0;
      const sizes = [...svg.querySelectorAll('text')].map(
        (t) => Number.parseFloat(view.getComputedStyle(t).fontSize) * scale,
      );
      const f = (svg.closest('figure')?.getBoundingClientRect() ?? { left: -1, right: 1e9 }) as Rect;
      return {
        kind: svg.dataset['chart'] ?? '',
        texts: sizes.length,
        smallestText: Math.min(...sizes),
        figure: { left: f.left, right: f.right },
      };
    }),
  );
  return { scrollWidth, nav, charts };
}

/**
 * The tables as printed on A4 (print media, 718 px printable width): the page's width, how many tables
 * there are, those wider than the page (first header cell and right edge), and the number cells whose
 * text (one number, no space) the browser broke over more than one line.
 */
async function printedTables(page: Page) {
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 718, height: 1000 });
  const pageWidth = await page.$eval('html', (html) => html.clientWidth);
  const tables = await page.$$eval('table', (ts) =>
    ts.map((t) => ({
      right: t.getBoundingClientRect().right,
      head: t.querySelector('th')?.textContent ?? '',
    })),
  );
  const wide = tables.filter((t) => t.right > pageWidth + 0.5).map((t) => `${t.head} (${t.right} px)`);
  const split = await page.$$eval('td.num', (cells) => {
    // Structural types: the test compiles without the DOM library.
    type Doc = {
      createRange(): { selectNodeContents(n: unknown): void; getClientRects(): { length: number } };
    };
    const doc = (globalThis as unknown as { document: Doc }).document;
    return cells
      .filter((td) => !/\s/.test((td.textContent ?? '').trim()))
      .filter((td) => {
        const range = doc.createRange();
        range.selectNodeContents(td);
        // One rect per line box (inline children add their own on the same line: count distinct tops).
        const rects = range.getClientRects() as unknown as ArrayLike<{ top: number }>;
        return new Set(Array.from(rects, (r) => Math.round(r.top))).size > 1;
      })
      .map((td) => td.textContent ?? '');
  });
  return { pageWidth, count: tables.length, wide, split };
}

/** Run the demo meta run once (the first test that needs it); the path of its HTML report. */
let demo: string | undefined;
function demoReport(workspace: string): string {
  if (demo !== undefined) return demo;
  const r = quant(['meta', 'run', '--profile', 'meta_root', '--run-id', 'demo', '--workspace', workspace], {
    env: EPOCH,
  });
  assert.equal(r.code, 0, r.stderr);
  demo = join(workspace, 'runs', 'demo', 'reports', 'meta_portfolio_report.html');
  return demo;
}

describe('HTML report in headless Chromium', { skip: chromiumSkip }, () => {
  let ws: { path: string; cleanup(): void };
  let browser: Browser;
  before(async () => {
    ws = tempDir('mf-browser-');
    await buildMetaWorkspace(ws.path);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    ws.cleanup();
  });

  test('a demo run: every chart draws, no network request, a PNG screenshot in the run folder', async (t) => {
    const t0 = performance.now();
    const r = quant(['meta', 'run', '--profile', 'meta_root', '--run-id', 'demo', '--workspace', ws.path], {
      env: EPOCH,
    });
    assert.equal(r.code, 0, r.stderr);
    const run = join(ws.path, 'runs', 'demo');
    const file = join(run, 'reports', 'meta_portfolio_report.html');
    demo = file;
    assert.match(
      r.stdout,
      /meta\.report: .*hrp Sharpe -?\d+\.\d\d in sample \(fit period\), -?\d+\.\d\d out of sample \(walk-forward\)/,
      `the CLI labels the Sharpe ratios of meta.report: ${r.stdout}`,
    );
    assert.match(
      r.stdout,
      /\nhtml report: .*runs\/demo\/reports\/meta_portfolio_report\.html\n$/,
      'r.stdout matches /\\nhtml report: .*runs\\/demo\\/reports\\/meta_portfolio_repor…',
    );
    const path = quant(['report', 'path', '--run-id', 'demo', '--workspace', ws.path]);
    assert.equal(path.code, 0, path.stderr);
    assert.equal(path.stdout, `${file}\n`, 'path.stdout');
    const t1 = performance.now();

    const { page, requests, problems } = await open(browser, file);
    assert.deepEqual(requests, [], 'the report requested something besides itself');
    assert.deepEqual(problems, [], 'console errors (a CSP violation would show here)');
    const charts = await chartBoxes(page);
    for (const ch of charts) {
      assert.ok(ch.width > 100 && ch.height > 50, `${ch.section} ${ch.kind}: ${ch.width} x ${ch.height}`);
      assert.ok(
        ch.drawn > 0 && ch.drawn >= ch.shapes / 2,
        `${ch.section} ${ch.kind}: ${ch.drawn}/${ch.shapes} shapes drawn`,
      );
    }
    const common = [
      'equity',
      'drawdown',
      'rolling-volatility',
      'equity',
      'drawdown',
      'weights-history',
      // meta_root nests meta_inner: the traded weights of its atomic sleeves, by path.
      'leaf-weights-history',
      'weights',
    ];
    for (const P of PROFILES) {
      const kinds = charts.filter((ch) => ch.section === `profile-${P}`).map((ch) => ch.kind);
      const expected = [
        ...common,
        ...(P === 'hrp' ? ['dendrogram'] : []),
        'correlation',
        'contributors',
        // Shares of volatility and CVaR by atomic sleeve (through the nested branch) and by asset.
        'attribution',
        'attribution',
      ];
      assert.deepEqual(kinds, expected, P);
    }
    assert.equal(
      await page.locator('[data-missing]').count(),
      0,
      "await page.locator('[data-missing]').count()",
    );
    // The tables carry the Markdown report's numbers (spot check: the summary's hrp row).
    const md = readFileSync(join(run, 'reports', 'meta_portfolio_report.md'), 'utf8');
    const hrpRow = /^\| `hrp` \| `hrp` \| (.*) \|$/m.exec(md)![1]!.split(' | ');
    const htmlRow = await page.locator('#summary tbody tr').first().locator('td').allInnerTexts();
    assert.deepEqual(htmlRow.slice(2), hrpRow, 'htmlRow.slice(2)');

    const png = join(run, 'reports', 'meta_portfolio_report.png');
    await page.screenshot({ path: png, fullPage: true });
    assert.deepEqual(
      [...readFileSync(png).subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      '[...readFileSync(png).subarray(0, 8)]',
    );
    assert.ok(statSync(png).size > 50_000, `${statSync(png).size} bytes`);

    // Printed: no navigation, charts kept within the page width.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('nav').isVisible(), false, "await page.locator('nav').isVisible()");
    const printed = await chartBoxes(page);
    for (const ch of printed) assert.ok(ch.width > 100 && ch.width <= 1200, `print ${ch.kind} ${ch.width}`);
    // At A4's printable width (~718 px) every table fits the page: smaller type, headers that wrap.
    const printedPage = await printedTables(page);
    assert.ok(printedPage.count > 50, `the report has its tables: ${printedPage.count}`);
    assert.deepEqual(
      printedPage.wide,
      [],
      `tables wider than the printed page (${printedPage.pageWidth} px): ${printedPage.wide.join(', ')}`,
    );
    assert.deepEqual(printedPage.split, [], 'no number is broken over two lines in print');
    const pdf = await page.pdf({ format: 'A4' });
    assert.ok(pdf.length > 20_000, 'pdf.length > 20_000');
    await page.close();
    const t2 = performance.now();
    const size = statSync(file).size;
    t.diagnostic(
      `report ${size} bytes; meta run + report path ${(t1 - t0).toFixed(0)} ms; browser checks ${(t2 - t1).toFixed(0)} ms`,
    );
  });

  test('a run of 25 sleeves: every table fits the printed page, no number split or lost', async () => {
    const many = tempDir('mf-browser-many-');
    try {
      const dates = businessDays('2023-01-02', 200);
      const ids = Array.from({ length: 25 }, (_, i) => `equity_sleeve_${String(i + 1).padStart(2, '0')}`);
      for (const [i, id] of ids.entries()) {
        await writeSleeveRun(many.path, {
          runId: `${id}_run`,
          profile: id,
          createdAt: '2024-01-01T00:00:00Z',
          streams: {
            hrp: { dates, returns: randomReturns(100 + i, dates.length, { vol: 0.008 + 0.0005 * i }) },
          },
          weights: { hrp: [{ Symbol: `ASSET_${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
        });
      }
      await writeManifest(many.path, {
        profiles: {
          meta_many: {
            sleeves: ids.map((id) => ({ id, profile: id })),
            meta_allocation: { min_weight: 0, max_weight: 0.2 },
            risk_profiles: ['hrp'],
          },
        },
      });
      const r = quant(
        ['meta', 'run', '--profile', 'meta_many', '--run-id', 'many', '--workspace', many.path],
        {
          env: EPOCH,
        },
      );
      assert.equal(r.code, 0, r.stderr);
      const file = join(many.path, 'runs', 'many', 'reports', 'meta_portfolio_report.html');
      const { page, problems } = await open(browser, file);
      assert.deepEqual(problems, [], 'console errors');
      const screenWide = await page.$$eval(
        'table',
        (ts) => ts.filter((t) => t.querySelectorAll('tr:first-child th').length > 20).length,
      );
      assert.ok(screenWide >= 1, `the sleeve correlation table has a column per sleeve: ${screenWide}`);
      // Visible number cells (a table hidden in this medium has no box).
      const numbers = () =>
        page.$$eval('td.num', (tds) => tds.filter((td) => td.getBoundingClientRect().width > 0).length);
      const onScreen = await numbers();
      const printed = await printedTables(page);
      assert.deepEqual(
        printed.wide,
        [],
        `tables wider than the printed page (${printed.pageWidth} px): ${printed.wide.join(', ')}`,
      );
      assert.deepEqual(printed.split, [], 'no number is broken over two lines in print');
      // The 26-column correlation table prints as blocks of its columns, each repeating the sleeve column.
      assert.equal(await numbers(), onScreen, 'print shows every number the screen shows, each once');
      const captions = await page.$$eval('.table-print caption', (cs) => cs.map((c) => c.textContent ?? ''));
      assert.deepEqual(
        captions,
        ['Columns 1–13 of 25', 'Columns 14–25 of 25'],
        'the blocks say their columns',
      );
      const pdf = await page.pdf({ format: 'A4' });
      assert.ok(pdf.length > 20_000, 'pdf.length > 20_000');
      await page.close();
    } finally {
      many.cleanup();
    }
  });

  for (const width of [390, 1400]) {
    test(`at ${width} px: no sideways page scroll, navigation visible, chart text at least 9 px`, async () => {
      const file = demoReport(ws.path);
      const { page, problems } = await open(browser, file, width);
      assert.deepEqual(problems, [], 'console errors');
      const l = await layout(page);
      assert.ok(l.scrollWidth <= width, `the page is ${l.scrollWidth} px wide in a ${width} px viewport`);
      assert.ok(l.nav.length >= 3, `${l.nav.length} navigation links`);
      for (const a of l.nav) {
        assert.ok(
          a.width > 0 && a.height > 0 && a.left >= 0 && a.right <= width,
          `nav link ${a.text} at ${a.left}..${a.right} in ${width} px`,
        );
      }
      assert.ok(l.charts.length >= 20, `${l.charts.length} charts`);
      for (const ch of l.charts) {
        assert.ok(ch.texts > 0, `${ch.kind} has text`);
        assert.ok(
          ch.smallestText >= 9,
          `${ch.kind}: smallest text ${ch.smallestText.toFixed(2)} px at ${width} px`,
        );
        assert.ok(
          ch.figure.left >= 0 && ch.figure.right <= width,
          `${ch.kind}: its figure ${ch.figure.left}..${ch.figure.right} stays within ${width} px`,
        );
      }
      const png = join(file, '..', `meta_portfolio_report-${width}px.png`);
      await page.screenshot({ path: png, fullPage: true });
      assert.ok(statSync(png).size > 20_000, `${png}: ${statSync(png).size} bytes`);
      await page.close();
    });
  }

  test('an incomplete run still renders; the missing sections are marked', async () => {
    const r = quant(
      [
        'meta',
        'run',
        '--profile',
        'meta_root',
        '--run-id',
        'partial',
        '--no-backtest',
        '--no-cache',
        '--workspace',
        ws.path,
      ],
      { env: EPOCH },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /meta\.backtest/, 'r.stdout does not match /meta\\.backtest/');
    const run = join(ws.path, 'runs', 'partial');
    assert.equal(
      existsSync(join(run, 'data', 'meta_backtest_meta_root_hrp.json')),
      false,
      'data/meta_backtest_meta_root_hrp.json does not exist',
    );
    for (const f of [
      'portfolio_optimized_meta_meta_root_hrp.json',
      'meta_cluster_tree_meta_root_hrp.json',
      'meta_manifest_meta_root_min_variance.json',
    ]) {
      rmSync(join(run, 'data', f));
    }
    const rep = quant(
      [
        'stage',
        'run',
        'meta.report',
        '--run-id',
        'partial',
        '--param',
        'meta_profile=meta_root',
        '--workspace',
        ws.path,
      ],
      { env: EPOCH },
    );
    assert.equal(rep.code, 0, rep.stderr);

    const { page, requests, problems } = await open(
      browser,
      join(run, 'reports', 'meta_portfolio_report.html'),
    );
    assert.deepEqual(requests, [], 'requests');
    assert.deepEqual(problems, [], 'problems');
    const marked = await page.$$eval('[data-missing]', (els) =>
      els.map((e) => [
        e.closest('section.profile')?.id ?? '',
        e.getAttribute('data-missing') ?? '',
        (e as unknown as { innerText: string }).innerText,
      ]),
    );
    const files = new Set(marked.map(([, f]) => f));
    for (const f of [
      'data/portfolio_optimized_meta_meta_root_hrp.json',
      'data/meta_cluster_tree_meta_root_hrp.json',
      'data/meta_manifest_meta_root_min_variance.json',
      ...PROFILES.map((P) => `data/meta_backtest_meta_root_${P}.json`),
    ]) {
      assert.ok(files.has(f), `${f} not marked`);
    }
    // Each note is visible and names its file.
    const notes = await page
      .locator('p.missing')
      .evaluateAll((ps) =>
        ps.map((p) => [
          (p as unknown as { innerText: string }).innerText,
          p.getBoundingClientRect().height > 0,
        ]),
      );
    assert.ok(notes.length >= 7, 'notes.length >= 7');
    // A missing file says so; the backtest of this --no-backtest run says it was not run.
    for (const [text, visible] of notes)
      assert.ok(
        visible &&
          (/ omitted: data\/.+ not found\.$/.test(String(text)) ||
            /^Not run: meta\.backtest was not part of this run \(--no-backtest skips it\), so there is no data\/meta_backtest_.+\.json\.$/.test(
              String(text),
            )),
        String(text),
      );
    assert.equal(
      notes.filter(([text]) => String(text).startsWith('Not run: meta.backtest')).length,
      PROFILES.length,
      'each risk profile says its backtest was not run',
    );
    // What could be drawn still is.
    const charts = await chartBoxes(page);
    assert.ok(charts.length >= 3 * 5, 'charts.length >= 3 * 5');
    for (const ch of charts)
      assert.ok(ch.width > 100 && ch.height > 50 && ch.drawn > 0, `${ch.section} ${ch.kind}`);
    assert.equal(
      charts.filter((ch) => ch.kind === 'dendrogram').length,
      0,
      "charts.filter((ch) => ch.kind === 'dendrogram').length",
    );
    await page.screenshot({ path: join(run, 'reports', 'meta_portfolio_report.png'), fullPage: true });
    await page.close();
  });
});
