// `quant serve` driven end to end in headless Chromium (Debian's `chromium`, through playwright-core, as
// report-browser.test.ts does) on a copy of the demo workspace with two meta runs that differ in one
// manifest bound: the runs table (filters, the latest run marked, keyboard navigation), a run (the fractal
// tree expanded, charts drawn, an artifact downloaded byte for byte), a comparison of the two runs, and a
// launch whose progress events arrive before the new run opens and joins the table. Screenshots at 390
// and 1,400 px go to test-results/serve-browser/; no request leaves the loopback interface.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip } from '../helpers/chromium.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { quant, REPO, tempDir } from '../helpers/cli.js';
import { isLocal, startServer, stopServer, type Server } from '../helpers/serve-browser.js';

const SHOTS = join(REPO, 'test-results', 'serve-browser');

/** Two meta runs of the demo: d1 as shipped, d2 with meta_global's max_weight lowered to 0.8. */
function prepareWorkspace(ws: string): void {
  cpSync(join(REPO, 'examples', 'demo'), ws, { recursive: true });
  rmSync(join(ws, 'runs'), { recursive: true, force: true });
  rmSync(join(ws, '.cache'), { recursive: true, force: true });
  const run = (id: string) => {
    const r = quant([
      'meta',
      'run',
      '--profile',
      'meta_global',
      '--execute-sleeves',
      '--run-id',
      id,
      '--workspace',
      ws,
    ]);
    assert.equal(r.code, 0, `meta run ${id}: ${r.stderr}`);
  };
  run('d1');
  const file = join(ws, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
    profiles: Record<string, { meta_allocation?: Record<string, unknown> }>;
  };
  const global = manifest.profiles['meta_global'];
  assert.ok(global?.meta_allocation !== undefined, 'the demo manifest has meta_global.meta_allocation');
  global.meta_allocation['max_weight'] = 0.8;
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  run('d2');
}

/** The run id of the focused row. */
function focusedRun(page: Page): Promise<string | null> {
  return page.locator(':focus').getAttribute('data-run');
}

describe('quant serve in headless Chromium', { skip: chromiumSkip, timeout: 600_000 }, () => {
  let ws: { path: string; cleanup(): void };
  let holdDir: { path: string; cleanup(): void };
  const hold = (): string => join(holdDir.path, 'go');
  let server: Server | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const foreign: string[] = [];
  const problems: string[] = [];

  before(async () => {
    ws = tempDir('mf-serve-browser-');
    holdDir = tempDir('mf-serve-hold-');
    prepareWorkspace(ws.path);
    // Launches wait while this file is absent (the test hook of src/serve/_launch-hold.ts); it exists
    // except while a test looks at a launch that must still be running.
    writeFileSync(hold(), '');
    server = await startServer(ws.path, { QUANT_HOLD_LAUNCHES: hold() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    // Every request of every page (iframes and downloads included): a foreign host is recorded and refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    context.on('request', (r) => {
      if (!isLocal(r.url())) foreign.push(r.url());
    });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await stopServer(server);
    ws?.cleanup();
    holdDir?.cleanup();
  });

  test('the runs table: every run, statuses, the latest run marked, the token gone from the address', async () => {
    assert.ok(server !== undefined, 'the server started');
    await page.goto(server.url);
    await page.waitForSelector('tr[data-run="d2"]');
    assert.ok(!page.url().includes('token='), `the token is stripped from the address bar: ${page.url()}`);
    const rows = await page.$$eval('tbody tr[data-run]', (trs) =>
      trs.map((tr) => ({
        id: (tr as unknown as { dataset: Record<string, string> }).dataset['run'] ?? '',
        latest: tr.querySelector('.badge') !== null,
        text: tr.textContent ?? '',
      })),
    );
    const ids = rows.map((r) => r.id);
    assert.ok(ids.includes('d1') && ids.includes('d2'), `both meta runs are listed: ${ids.join(', ')}`);
    assert.ok(ids.length >= 5, `the sleeve runs are listed too: ${ids.join(', ')}`);
    assert.equal(ids[0], 'd2', `newest first: ${ids.join(', ')}`);
    assert.ok(rows.find((r) => r.id === 'd2')?.latest, 'd2 is the latest successful meta_global run');
    assert.ok(!rows.find((r) => r.id === 'd1')?.latest, 'd1 is not the latest');
    assert.match(
      rows[0]?.text ?? '',
      /meta.*meta_global.*success/,
      `the row shows kind, profile and status: ${rows[0]?.text}`,
    );

    await page.selectOption('select[name="kind"]', 'meta');
    const metaOnly = await page.$$eval('tbody tr[data-run]', (trs) => trs.length);
    assert.equal(metaOnly, 2, 'the kind filter keeps the two meta runs');
    await page.selectOption('select[name="kind"]', '');
    await page.screenshot({ path: join(SHOTS, 'runs-1400.png'), fullPage: true });
  });

  test('keyboard navigation on the runs table: arrows move, Space selects, Enter opens', async () => {
    await page.goto(`${server?.origin}/#/runs`);
    await page.waitForSelector('tr[data-run="d2"]');
    const order = await page.$$eval('tbody tr[data-run]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-run')),
    );
    await page.focus('tr[data-run="d2"]');
    await page.keyboard.press('ArrowDown');
    const second = await focusedRun(page);
    assert.equal(second, order[1], `ArrowDown moves the focus to the next row (${order.join(', ')})`);
    await page.keyboard.press('ArrowUp');
    const first = await focusedRun(page);
    assert.equal(first, 'd2', 'ArrowUp moves it back');
    await page.keyboard.press('End');
    const last = await focusedRun(page);
    assert.equal(last, order.at(-1), 'End moves to the last row');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1 >> text=d2');
    assert.ok(page.url().endsWith('#/runs/d2'), `Enter opens the focused run: ${page.url()}`);
  });

  test('a run: risk profiles, the fractal tree expands, charts draw, an artifact downloads intact', async () => {
    await page.goto(`${server?.origin}/#/runs/d1`);
    await page.waitForSelector('[data-run-page="d1"] section.risk-profile');
    const tabs = await page.$$eval('[aria-label="risk profiles"] button', (bs) =>
      bs.map((b) => b.textContent),
    );
    assert.ok(tabs.includes('hrp') && tabs.length >= 6, `one tab per risk profile: ${tabs.join(', ')}`);
    const swiss = page.locator('[role="tree"] li[data-key="swiss"]');
    assert.equal(await swiss.getAttribute('aria-expanded'), 'false', 'the swiss branch starts closed');
    assert.equal(await page.locator('li[data-key="swiss/sectors"]').count(), 0, 'its children are hidden');
    await swiss.locator('> .tree-row').click();
    assert.equal(await swiss.getAttribute('aria-expanded'), 'true', 'a click opens the branch');
    await page.waitForSelector('li[data-key="swiss/sectors"]');
    const detail = await page.locator('[data-detail="swiss"]').textContent();
    assert.match(detail ?? '', /Method.*hrp/, `the branch shows its method: ${detail}`);
    assert.match(detail ?? '', /Bounds/, `and its bounds: ${detail}`);
    assert.match(detail ?? '', /Weight in parent\s*\d+\.\d+ %/, `and its weight: ${detail}`);
    for (const chart of ['equity', 'drawdown']) {
      const box = await page.locator(`[data-chart="${chart}"] canvas`).first().boundingBox();
      assert.ok(
        box !== null && box.width > 200 && box.height > 100,
        `the ${chart} chart draws: ${JSON.stringify(box)}`,
      );
    }
    const positions = await page.$$eval('table.positions tbody tr', (trs) => trs.length);
    assert.ok(positions >= 10, `the flattened positions are listed: ${positions}`);
    const audit = await page.locator('[data-audit]').getAttribute('data-audit');
    assert.equal(audit, 'ok', 'audit verify passes on a fresh run');
    const ledger = await page.$$eval('ol.timeline li', (lis) => lis.length);
    assert.ok(ledger >= 10, `the ledger timeline has the run's records: ${ledger}`);

    const link = page.locator('table.artifacts a', { hasText: 'config/resolved_manifest.json' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const saved = join(ws.path, 'downloaded.json');
    await download.saveAs(saved);
    assert.deepEqual(
      readFileSync(saved),
      readFileSync(join(ws.path, 'runs', 'd1', 'config', 'resolved_manifest.json')),
      'the downloaded artifact has the bytes of the file in the run folder',
    );
    await page.screenshot({ path: join(SHOTS, 'run-1400.png') });
  });

  test('the risk-profile tab is kept in the address: a reload opens it; an unknown one says so', async () => {
    await page.goto(`${server?.origin}/#/runs/d1`);
    await page.waitForSelector('[data-run-page="d1"] section.risk-profile');
    await page.click('[aria-label="risk profiles"] button:text-is("equal_weight")');
    await page.waitForSelector('section[data-risk-profile="equal_weight"]');
    assert.ok(
      page.url().endsWith('#/runs/d1?profile=equal_weight'),
      `the tab is in the address: ${page.url()}`,
    );
    await page.reload();
    await page.waitForSelector('section[data-risk-profile="equal_weight"]');
    const pressed = await page.$$eval('[aria-label="risk profiles"] button[aria-pressed="true"]', (bs) =>
      bs.map((b) => b.textContent),
    );
    assert.deepEqual(pressed, ['equal_weight'], 'after a reload the same tab is open');
    await page.goBack();
    await page.waitForSelector('section[data-risk-profile="hrp"]');
    assert.ok(page.url().endsWith('#/runs/d1'), `Back returns to the first tab: ${page.url()}`);

    await page.goto(`${server?.origin}/#/runs/d1?profile=n%C3%B6pe%E0%A4`);
    const notice = await page.waitForSelector('[data-unknown-profile]');
    const text = (await notice.textContent()) ?? '';
    assert.match(text, /no risk profile .*showing hrp/, `an unknown profile is said: ${text}`);
    assert.equal(
      await page.locator('section.risk-profile').getAttribute('data-risk-profile'),
      'hrp',
      'and the first tab is shown',
    );
  });

  test('keyboard and screen readers: focus on the run heading, one tab stop in the tree, charts in words, a live log', async () => {
    type Doc = { activeElement: { tagName: string; textContent: string | null } | null };
    await page.goto(`${server?.origin}/#/runs`);
    await page.waitForSelector('tr[data-run="d1"]');
    await page.click('tr[data-run="d1"] a');
    await page.waitForSelector('[data-run-page="d1"] section.risk-profile');
    const focused = await page.evaluate(() => {
      const active = (globalThis as unknown as { document: Doc }).document.activeElement;
      return `${active?.tagName ?? ''} ${active?.textContent ?? ''}`;
    });
    assert.equal(focused, 'H1 Run d1', 'opening a run puts the focus on its heading');

    const tree = page.locator('[role="tree"]');
    assert.equal(await tree.locator('[tabindex="0"]').count(), 1, 'the tree is one tab stop');
    const root = tree.locator('li[data-key="/"]');
    assert.equal(await root.getAttribute('tabindex'), '0', 'the root holds it first');
    await root.focus();
    await page.keyboard.press('ArrowDown');
    const swiss = tree.locator('li[data-key="swiss"]');
    assert.equal(
      await page.locator(':focus').getAttribute('data-key'),
      'swiss',
      'ArrowDown moves to a child',
    );
    assert.equal(await swiss.getAttribute('tabindex'), '0', 'the tab stop moves with the focus');
    assert.equal(await root.getAttribute('tabindex'), '-1', 'the root is no tab stop any more');
    await page.keyboard.press('ArrowRight');
    assert.equal(await swiss.getAttribute('aria-expanded'), 'true', 'ArrowRight opens the branch');
    const describedBy = (await swiss.getAttribute('aria-describedby')) ?? '';
    assert.match(
      (await page.locator(`[id="${describedBy}"]`).textContent()) ?? '',
      /Weight in parent/,
      'the open branch is described by its detail',
    );
    const named = await page.getByRole('treeitem', { name: 'Weight in parent' }).count();
    assert.equal(named, 0, 'no item is named by its detail or its descendants');
    const swissName = await page.getByRole('treeitem', { name: /^swiss \d+\.\d %/ }).count();
    assert.equal(swissName, 1, 'the branch is named by its own line (id and weight first)');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await swiss.getAttribute('aria-expanded'), 'false', 'ArrowLeft closes it');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.locator(':focus').getAttribute('data-key'), '/', 'and then goes to the parent');
    await page.keyboard.press('g');
    assert.equal(await page.locator(':focus').getAttribute('data-key'), 'gulf', 'typing g goes to gulf');
    await page.keyboard.press('s');
    assert.equal(await page.locator(':focus').getAttribute('data-key'), 'swiss', 'typing s goes on to swiss');
    await page.keyboard.press('*');
    assert.equal(
      await swiss.getAttribute('aria-expanded'),
      'true',
      '* opens the focused item and its siblings',
    );
    assert.equal(
      await tree.locator('li[data-key="gulf"]').getAttribute('aria-expanded'),
      'true',
      '* opens the sibling gulf too',
    );

    for (const [chart, title] of [
      [
        'equity',
        /^Equity, in sample \(growth of 1\): Meta \(optimized weights\) from \d+\.\d\d on \d{4}-\d\d-\d\d to \d+\.\d\d on \d{4}-\d\d-\d\d/,
      ],
      ['drawdown', /^Drawdown, in sample: .* from -?\d+\.\d % on \d{4}-\d\d-\d\d to -?\d+\.\d % on /],
    ] as const) {
      const box = page.locator(`[data-chart="${chart}"]`);
      assert.equal(
        await box.getAttribute('role'),
        'img',
        `the ${chart} chart is an image to assistive technology`,
      );
      const label = (await box.getAttribute('aria-label')) ?? '';
      assert.match(label, title, `the ${chart} chart is summarised in words: ${label}`);
    }

    await page.click('nav a[href="#/launch"]');
    await page.waitForSelector('form.launch');
    const region = page.locator('ol.events[aria-live="polite"]');
    assert.equal(await region.count(), 1, 'the live region is in the page before the launch');
    assert.equal(await region.locator('li').count(), 0, 'and empty');
    await region.evaluate((ol) => {
      const seen = { lines: 0 };
      (globalThis as unknown as { liveLines: typeof seen }).liveLines = seen;
      type Records = readonly { readonly addedNodes: { readonly length: number } }[];
      const Observer = (
        globalThis as unknown as {
          MutationObserver: new (on: (records: Records) => void) => {
            observe(node: unknown, options: { childList: boolean }): void;
          };
        }
      ).MutationObserver;
      new Observer((records) => {
        for (const r of records) seen.lines += r.addedNodes.length;
      }).observe(ol, { childList: true });
    });
    await page.selectOption('select[name="kind"]', 'meta');
    await page.selectOption('select[name="profile"]', 'meta_global');
    await page.fill('input[name="run_id"]', 'announced');
    await page.fill('input[name="risk_profiles"]', 'hrp');
    await page.click('button[type="submit"]');
    await page.waitForURL(/#\/runs\/announced$/, { timeout: 300_000 });
    const lines = await page.evaluate(
      () => (globalThis as unknown as { liveLines: { lines: number } }).liveLines.lines,
    );
    assert.ok(lines >= 3, `the launch's lines were appended to the region that was there: ${lines}`);
  });

  test('compare two runs: metrics, weights diff, overlaid curves, the manifest change', async () => {
    await page.goto(`${server?.origin}/#/runs`);
    await page.waitForSelector('tr[data-run="d2"]');
    await page.selectOption('select[name="kind"]', 'meta');
    await page.focus('tr[data-run="d2"]');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await page.click('button:has-text("Compare (2)")');
    await page.waitForSelector('table.metrics-diff');
    assert.ok(
      page.url().includes('#/compare?runs=d2,d1'),
      `the selection opens the comparison: ${page.url()}`,
    );
    const diff = await page.$$eval('table.manifest-diff tbody tr', (trs) =>
      trs.map((tr) => tr.textContent ?? ''),
    );
    assert.ok(
      diff.some((row) => row.includes('max_weight') && row.includes('0.8') && row.includes('0.9')),
      `the manifest change of max_weight is shown: ${diff.join(' | ')}`,
    );
    const sleeves = await page.$$eval('table.weights-diff.sleeves tbody tr', (trs) => trs.length);
    assert.ok(sleeves >= 3, `every sleeve path has a row: ${sleeves}`);
    const physical = await page.$$eval('table.weights-diff.physical tbody tr', (trs) => trs.length);
    assert.ok(physical >= 10, `every physical asset has a row: ${physical}`);
    for (const chart of ['compare-equity', 'compare-drawdown']) {
      const box = await page.locator(`[data-chart="${chart}"] canvas`).first().boundingBox();
      assert.ok(box !== null && box.width > 200, `the ${chart} chart draws: ${JSON.stringify(box)}`);
    }
  });

  test('launch a meta run: progress events arrive, then the new run opens and joins the table', async () => {
    await page.goto(`${server?.origin}/#/launch`);
    await page.waitForSelector('form.launch');
    await page.selectOption('select[name="kind"]', 'meta');
    await page.selectOption('select[name="profile"]', 'meta_global');
    await page.fill('input[name="run_id"]', 'launched');
    await page.fill('input[name="risk_profiles"]', 'hrp,equal_weight');
    await page.click('button[type="submit"]');
    // The run's page opens on `done`; an `error` event ends the stream instead and fails at once.
    const outcome = await Promise.race([
      page.waitForURL(/#\/runs\/launched$/, { timeout: 300_000 }).then(() => 'done'),
      page
        .waitForSelector('.events li[data-event="error"]', { timeout: 300_000 })
        .then(async (li) => `error event: ${await li.textContent()}`),
    ]);
    assert.equal(outcome, 'done', 'the launch ends with the new run');
    await page.waitForSelector('[data-run-page="launched"] section.risk-profile');
    const events = await page.$$eval('.launch-log li', (lis) =>
      lis.map((li) => (li as unknown as { dataset: Record<string, string> }).dataset['event'] ?? ''),
    );
    assert.equal(events[0], 'started', `the stream starts with 'started': ${events.join(', ')}`);
    assert.ok(
      events.filter((e) => e === 'progress').length >= 2,
      `progress events arrived: ${events.join(', ')}`,
    );
    assert.equal(events.at(-1), 'done', `and ends with 'done': ${events.join(', ')}`);
    const tabs = await page.$$eval('[aria-label="risk profiles"] button', (bs) =>
      bs.map((b) => b.textContent),
    );
    assert.deepEqual(tabs, ['hrp', 'equal_weight'], 'the launch options reached the run');
    await page.goto(`${server?.origin}/#/runs`);
    await page.waitForSelector('tr[data-run="launched"]');
    const latest = await page.locator('tr[data-run="launched"] .badge').count();
    assert.equal(latest, 1, 'the launched run is now the latest of meta_global');
  });

  test('a launch left running: the Runs page refreshes when it ends; the Launch page lists it again', async () => {
    const launchMeta = async (runId: string) => {
      await page.waitForSelector('form.launch');
      await page.selectOption('select[name="kind"]', 'meta');
      await page.selectOption('select[name="profile"]', 'meta_global');
      await page.fill('input[name="run_id"]', runId);
      await page.uncheck('input[name="cache"]');
      await page.click('button[type="submit"]');
      await page.waitForSelector('.events li[data-event="started"]');
    };
    await page.goto(`${server?.url}#/launch`);
    rmSync(hold());
    await launchMeta('relisted');
    await page.click('nav a[href="#/runs"]');
    const running = await page.waitForSelector('[data-launches-running="1"]');
    assert.equal(
      await page.locator('tr[data-run="relisted"]').count(),
      0,
      'the run is not listed while its launch is held',
    );
    assert.match(
      (await running.textContent()) ?? '',
      /refreshes when it ends/,
      'the page says it will refresh',
    );
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    writeFileSync(hold(), '');
    // No reload: the row of the new run appears in this document once the launch has ended.
    await page.waitForSelector('tr[data-run="relisted"][data-status="success"]', { timeout: 300_000 });
    assert.ok(
      await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument === true),
      'the list refreshed in place, without a reload',
    );
    await page.waitForSelector('[data-launches-running]', { state: 'detached' });

    await page.click('nav a[href="#/launch"]');
    await launchMeta('reattached');
    await page.click('nav a[href="#/runs"]');
    await page.waitForSelector('h1 >> text=Runs');
    await page.click('nav a[href="#/launch"]');
    const row = page.locator('table.launches tbody tr', { hasText: 'reattached' });
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /meta run --profile meta_global/, `the row names the command: ${text}`);
    assert.match(text, /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/, `and when it started: ${text}`);
    const earlier = page.locator('table.launches tbody tr', { hasText: 'relisted' });
    assert.equal(await earlier.getAttribute('data-state'), 'done', 'the earlier launch is listed as done');
    const id = await row.getAttribute('data-launch');
    await row.locator('button').click();
    // Re-attached from its first event, whether it is still running or has ended meanwhile.
    await page.waitForSelector(`.events[data-launch="${id}"] li[data-event="done"]`, { timeout: 300_000 });
    const events = await page.$$eval(`.events[data-launch="${id}"] li`, (lis) =>
      lis.map((li) => li.getAttribute('data-event')),
    );
    assert.equal(events[0], 'started', `the log starts with 'started': ${events.join(', ')}`);
    assert.ok(events.includes('progress'), `with the progress lines: ${events.join(', ')}`);
    await page.waitForSelector('a[href="#/runs/reattached"]');
    assert.equal(await row.getAttribute('data-state'), 'done', 'the row is done once the launch ended');
  });

  test('a launch started elsewhere (another tab, a script) shows on a Runs page already open', async () => {
    await page.goto(`${server?.url}#/runs`);
    await page.waitForSelector('h1 >> text=Runs');
    await page.waitForSelector('[data-launches-running]', { state: 'detached' });
    const token = /token=([^&#\s]+)/.exec(server?.url ?? '')?.[1] ?? '';
    const origin = server?.origin ?? '';
    rmSync(hold());
    const res = await fetch(`${origin}/api/launch`, {
      method: 'POST',
      headers: {
        'X-Quant-Token': decodeURIComponent(token),
        Origin: origin,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        kind: 'meta',
        profile: 'meta_global',
        options: { run_id: 'elsewhere', cache: false },
      }),
    });
    assert.equal(res.status, 201, `the launch is accepted: ${await res.text()}`);
    // No navigation: the open page notices the launch by itself, and refreshes when it ends.
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await page.waitForSelector('[data-launches-running="1"]');
    writeFileSync(hold(), '');
    await page.waitForSelector('tr[data-run="elsewhere"][data-status="success"]', { timeout: 300_000 });
    assert.ok(
      await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument === true),
      'seen and refreshed in place, without a reload',
    );
  });

  test('390 px (phone) and 1,400 px: no sideways scrolling, screenshots saved', async () => {
    for (const width of [390, 1400]) {
      await page.setViewportSize({ width, height: 844 });
      for (const [name, hash] of [
        ['runs', '#/runs'],
        ['run', '#/runs/d1'],
        ['compare', '#/compare?runs=d1,d2'],
      ] as const) {
        await page.goto(`${server?.origin}/${hash}`);
        await page.waitForSelector(
          name === 'runs'
            ? 'tr[data-run]'
            : name === 'run'
              ? '[data-run-page="d1"] section.risk-profile'
              : 'table.metrics-diff',
        );
        const scrollWidth = await page.$eval('html', (html) => html.scrollWidth);
        assert.ok(scrollWidth <= width, `${name} at ${width} px: the page is ${scrollWidth} px wide`);
        const file = join(SHOTS, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: name === 'runs' });
        assert.ok(readFileSync(file).length > 1000, `${file} was written`);
      }
    }
  });

  test('nothing requested any other host; no error in the page', () => {
    assert.deepEqual(foreign, [], 'requests to non-loopback hosts');
    assert.deepEqual(problems, [], 'page errors and console errors');
  });

  // The pages below fail on purpose (a refused launch, no token, a stopped server): their console
  // errors are expected, so they run in pages of their own, after the check above.

  test('a refused launch shows its own error in the alert: code, message and hint', async () => {
    const failing = await context.newPage();
    await failing.goto(`${server?.url}#/launch`);
    await failing.waitForSelector('form.launch');
    await failing.selectOption('select[name="kind"]', 'meta');
    await failing.selectOption('select[name="profile"]', 'meta_global');
    await failing.fill('input[name="run_id"]', 'd1');
    await failing.click('button[type="submit"]');
    const alert = failing.locator('[role="alert"][data-code="E_RUN_EXISTS"]');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /d1/, `the alert names the run that exists: ${text}`);
    assert.match(text, / — \S/, `and carries the hint: ${text}`);
    assert.equal(await failing.locator('[role="alert"]').count(), 1, 'one alert, no second message');
    assert.ok(await failing.locator('button[type="submit"]').isEnabled(), 'Start is enabled again');
    await failing.close();
  });

  test('a deep link opened without the token says the token is missing and where to get it', async () => {
    const fresh = await browser.newContext();
    const tab = await fresh.newPage();
    await tab.goto(`${server?.origin}/#/runs/d1`);
    const alert = tab.locator('[role="alert"][data-code="E_TOKEN"]').first();
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /lacks the session token/, `a missing token is not called wrong: ${text}`);
    assert.match(text, /open the URL quant serve printed/, `the page says what to do: ${text}`);
    await fresh.close();
  });

  test('the server stopping during a launch: lost contact said once, Start enabled, retries bounded', async () => {
    const tab = await context.newPage();
    const streams: string[] = [];
    tab.on('request', (r) => {
      if (r.url().includes('/events')) streams.push(r.url());
    });
    await tab.goto(`${server?.url}#/launch`);
    await tab.waitForSelector('form.launch');
    await tab.selectOption('select[name="kind"]', 'meta');
    await tab.selectOption('select[name="profile"]', 'meta_global');
    await tab.fill('input[name="run_id"]', 'cut_off');
    await tab.uncheck('input[name="cache"]');
    await tab.click('button[type="submit"]');
    await tab.waitForSelector('.events li[data-event="progress"]');
    const running = server;
    assert.ok(running !== undefined, 'the server runs');
    await new Promise<void>((exited) => {
      running.child.once('exit', () => exited());
      running.child.kill('SIGKILL');
    });
    const alert = tab.locator('[role="alert"]');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /lost contact with quant serve \(is it still running\?\)/, `the alert: ${text}`);
    assert.equal(await tab.locator('.events li[data-event="done"]').count(), 0, 'the launch did not end');
    assert.ok(await tab.locator('button[type="submit"]').isEnabled(), 'Start is enabled again');
    assert.ok(streams.length <= 5, `the stream was retried a few times only: ${streams.length}`);
    await tab.click('nav a[href="#/runs"]');
    const runs = tab.locator('[role="alert"]');
    await runs.waitFor();
    const message = (await runs.textContent()) ?? '';
    assert.match(message, /lost contact with quant serve/, `a request to a stopped server: ${message}`);
    assert.doesNotMatch(message, /Failed to fetch/, "not the browser's bare message");
    await tab.close();
  });
});
