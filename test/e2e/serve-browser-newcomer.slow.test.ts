// `quant serve` in headless Chromium on what a newcomer's workspace holds besides clean runs: a failed meta
// run, a profile name of 104 characters with a long sleeve id, sleeve runs, a malformed link, and a
// workspace without runs. (Asset names with a zero-width joiner or space, which this file once showed
// escaped on the run page, are now refused when the prices are read: test/unit/artifacts/csv-table.test.ts.) Each test is a defect
// found by using the workbench (docs/hardening.md, "Found by using the product as a newcomer would").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip } from '../helpers/chromium.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { quant, REPO, tempDir } from '../helpers/cli.js';
import { isLocal, startServer, stopServer, type Server } from '../helpers/serve-browser.js';

/** A valid profile name of 104 characters. */
const LONG = `meta_${'long_profile_name_'.repeat(6)}`.slice(0, 104);
const LONG_SLEEVE = 'defensive_sectors_with_a_very_long_identifier_that_does_not_fit_in_a_narrow_pane';

type Manifest = { profiles: Record<string, Record<string, unknown>> };

/** A sleeve profile of the demo on another prices file. */
function sleeveOn(manifest: Manifest, from: string, prices: string, assets?: readonly string[]) {
  const base = manifest.profiles[from] as { sleeve: Record<string, unknown> };
  return { ...base, sleeve: { ...base.sleeve, prices, ...(assets === undefined ? {} : { assets }) } };
}

/** The demo plus: swiss_odd (its own copy of the Swiss prices), a long-named meta profile, meta_fails. */
function prepareWorkspace(ws: string): void {
  cpSync(join(REPO, 'examples', 'demo'), ws, { recursive: true });
  rmSync(join(ws, 'runs'), { recursive: true, force: true });
  rmSync(join(ws, '.cache'), { recursive: true, force: true });
  const lines = readFileSync(join(ws, 'data', 'swx_prices.csv'), 'utf8').split('\n');
  assert.equal(lines[0], 'date,SBI,SPI,SII,LP25,LP40,LP60', 'the demo file has the expected header');
  // Prices that end (2004-08) before the Gulf data start (2005-05): no common dates, meta.returns fails.
  writeFileSync(join(ws, 'data', 'early_prices.csv'), `${lines.slice(0, 1200).join('\n')}\n`);
  writeFileSync(join(ws, 'data', 'odd_prices.csv'), lines.join('\n'));
  const file = join(ws, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  const p = manifest.profiles;
  p['swiss_odd'] = sleeveOn(manifest, 'swiss_balanced', 'data/odd_prices.csv', ['SBI', 'SPI', 'SII']);
  p['swiss_early'] = sleeveOn(manifest, 'swiss_balanced', 'data/early_prices.csv');
  const box = { min_weight: 0.1, max_weight: 0.9 };
  p[LONG] = {
    sleeves: [
      { id: LONG_SLEEVE, profile: 'swiss_defensive' },
      { id: 'odd', profile: 'swiss_odd' },
    ],
    meta_allocation: box,
  };
  p['meta_fails'] = {
    sleeves: [
      { id: 'early', profile: 'swiss_early' },
      { id: 'gulf', profile: 'gulf_equity' },
    ],
    meta_allocation: box,
  };
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  const run = (profile: string, id: string, expected: number) => {
    const args = ['meta', 'run', '--profile', profile, '--execute-sleeves', '--run-id', id];
    const r = quant([...args, '--profiles', 'hrp', '--workspace', ws]);
    assert.equal(r.code, expected, `meta run ${id}: ${r.stderr}`);
  };
  run('meta_global', 'g1', 0);
  run('meta_global', 'g2', 0);
  run(LONG, 'long1', 0);
  run('meta_fails', 'f1', 1);
}

/** The ids of the sleeve runs, from the runs list. */
function sleeveRuns(ws: string): string[] {
  const r = quant(['runs', 'list', '--json', '--workspace', ws]);
  assert.equal(r.code, 0, `runs list: ${r.stderr}`);
  const runs = JSON.parse(r.stdout) as { run_id: string; kind: string }[];
  return runs.filter((x) => x.kind === 'sleeve').map((x) => x.run_id);
}

describe('quant serve, as a newcomer uses it', { skip: chromiumSkip, timeout: 600_000 }, () => {
  let ws: { path: string; cleanup(): void };
  let empty: { path: string; cleanup(): void };
  let server: Server | undefined;
  let emptyServer: Server | undefined;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreign: string[] = [];
  const origin = () => server?.origin ?? '';

  before(async () => {
    ws = tempDir('mf-serve-newcomer-');
    prepareWorkspace(ws.path);
    empty = tempDir('mf-serve-empty-');
    cpSync(join(REPO, 'examples', 'demo'), empty.path, { recursive: true });
    rmSync(join(empty.path, 'runs'), { recursive: true, force: true });
    server = await startServer(ws.path);
    emptyServer = await startServer(empty.path);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(server.url); // the token, kept by the app for this tab
    await page.waitForSelector('tr[data-run="g1"]');
  });
  after(async () => {
    await browser?.close();
    await stopServer(server);
    await stopServer(emptyServer);
    ws?.cleanup();
    empty?.cleanup();
  });

  test('a malformed link is a "not found" page, after a hash change and after a reload', async () => {
    await page.goto(`${origin()}/#/runs/g1`);
    await page.waitForSelector('[data-run-page="g1"]');
    // The address bar edited by hand: a hash change without a new page load.
    await page.evaluate("window.location.hash = '#/runs/%E0%A4%A'");
    await page.waitForSelector('[data-page="not-found"]');
    assert.equal(await page.locator('[data-run-page]').count(), 0, 'the previous run is gone from the page');
    const text = await page.locator('[data-page="not-found"]').textContent();
    assert.match(text ?? '', /percent-encoding/, `the page says what is wrong: ${text}`);
    await page.reload();
    await page.waitForSelector('[data-page="not-found"]');
    await page.goto(`${origin()}/#/nothing`);
    await page.waitForSelector('[data-page="not-found"]');
    assert.deepEqual(problems, [], 'no page error ("URI malformed") on the way');
  });

  test('a failed run says it failed, at which stage, with its code; no compare link', async () => {
    await page.goto(`${origin()}/#/runs/f1`);
    await page.waitForSelector('[data-run-page="f1"]');
    const failure = await page.locator('.failure').textContent();
    assert.match(failure ?? '', /failed at stage meta\.returns/, `the stage is named: ${failure}`);
    assert.match(failure ?? '', /E_TOO_FEW_DATES.*common date/, `the code and message: ${failure}`);
    const body = (await page.locator('[data-run-page="f1"]').textContent()) ?? '';
    assert.ok(!body.includes('E_ARTIFACT_MISSING'), `no missing-artifact error in its place: ${body}`);
    assert.equal(await page.locator('a:has-text("Compare with another run")').count(), 0, 'no compare link');
  });

  test('compare names the runs it cannot compare, with the reason', async () => {
    const [s1, s2] = sleeveRuns(ws.path);
    assert.ok(s1 !== undefined && s2 !== undefined, 'the workspace has sleeve runs');
    await page.goto(`${origin()}/#/compare?runs=${s1},${s2}`);
    await page.waitForSelector('.excluded');
    const excluded = await page.locator('.excluded').textContent();
    assert.ok(excluded?.includes(s1) && excluded.includes(s2), `both sleeve runs are named: ${excluded}`);
    assert.match(excluded ?? '', /sleeve run/, `with the reason: ${excluded}`);
    assert.equal(await page.locator('table.metrics-diff').count(), 0, 'no empty metrics table');

    await page.goto(`${origin()}/#/compare?runs=f1,g1,g2`);
    await page.waitForSelector('table.metrics-diff');
    const f1 = await page.locator('[data-excluded="f1"]').textContent();
    assert.match(f1 ?? '', /failed: E_TOO_FEW_DATES at meta\.returns/, `the failed run is named: ${f1}`);
  });

  test('the picker does not count a run it cannot list; an empty picker says why', async () => {
    await page.goto(`${origin()}/#/compare?runs=f1`);
    await page.waitForSelector('form.picker');
    const refused = await page.locator('[data-refused="f1"]').textContent();
    assert.match(refused ?? '', /cannot be compared: failed/, `the failed run is refused, said: ${refused}`);
    const button = (await page.locator('form.picker button[type="submit"]').textContent()) ?? '';
    assert.equal(button.trim(), 'Compare', `nothing is counted as chosen: ${button}`);

    await page.goto(`${emptyServer?.url ?? ''}`);
    await page.waitForSelector('[data-empty="runs"]');
    const none = await page.locator('[data-empty="runs"]').textContent();
    assert.match(none ?? '', /No runs yet.*Launch.*quant meta run/, `an empty workspace explains: ${none}`);
    assert.equal(await page.locator('table.runs').count(), 0, 'no empty table header');
    await page.goto(`${emptyServer?.origin ?? ''}/#/compare`);
    await page.waitForSelector('[data-empty="compare"]');
    const picker = await page.locator('[data-empty="compare"]').textContent();
    assert.match(picker ?? '', /No successful meta runs to compare/, `the picker explains: ${picker}`);
    await page.goto(server?.url ?? '');
    await page.waitForSelector('tr[data-run="g1"]');
  });

  test('a selection the filters hide is not compared; sleeve runs cannot be selected', async () => {
    await page.goto(`${origin()}/#/runs`);
    await page.waitForSelector('tr[data-run="g1"]');
    await page.focus('tr[data-run="g1"]');
    await page.keyboard.press('Space');
    await page.focus('tr[data-run="g2"]');
    await page.keyboard.press('Space');
    await page.waitForSelector('button:has-text("Compare (2)")');
    const [sleeve] = sleeveRuns(ws.path);
    await page.focus(`tr[data-run="${sleeve}"]`);
    await page.keyboard.press('Space');
    await page.waitForSelector('button:has-text("Compare (2)")');
    await page.selectOption('select[name="kind"]', 'sleeve');
    await page.waitForSelector('[data-hidden-selection="2"]');
    const button = page.locator('.filters button');
    assert.equal((await button.textContent())?.trim(), 'Compare', 'no hidden run is counted');
    assert.ok(await button.isDisabled(), 'the button is disabled: nothing shown is selected');
    await page.selectOption('select[name="kind"]', '');
  });

  test('a 104-character profile name wraps: the runs table fits 1280 px; the tree pane holds a long id', async () => {
    await page.goto(`${origin()}/#/runs`);
    await page.waitForSelector('tr[data-run="long1"]');
    const widths = {
      page: await page.$eval('html', (html) => html.scrollWidth),
      table: await page.$eval('table.runs', (t) => t.getBoundingClientRect().right),
    };
    assert.ok(widths.table <= 1280, `the runs table ends within 1280 px: ${JSON.stringify(widths)}`);
    assert.ok(widths.page <= 1280, `the page does not scroll sideways: ${JSON.stringify(widths)}`);
    await page.goto(`${origin()}/#/runs/long1`);
    await page.waitForSelector('[data-run-page="long1"] [role="tree"]');
    const over = await page.$$eval('[role="tree"] .tree-row', (rows) =>
      rows.filter((r) => r.scrollWidth > r.clientWidth + 1).map((r) => r.textContent),
    );
    assert.deepEqual(over, [], 'no tree row overflows its pane');
    const scroll = await page.$eval('html', (html) => html.scrollWidth);
    assert.ok(scroll <= 1280, `the run page does not scroll sideways: ${scroll}`);
  });

  test("the tree shows each node's own bounds and a level's children bounds as such", async () => {
    await page.goto(`${origin()}/#/runs/g1`);
    await page.waitForSelector('[role="tree"] li[data-key="swiss"]');
    const swiss = (await page.locator('li[data-key="swiss"] > .tree-row').textContent()) ?? '';
    assert.match(swiss, /of \[10 %, 90 %\]/, `swiss's own box is its parent's: ${swiss}`);
    assert.match(
      swiss,
      /children within \[20 %, 80 %\]/,
      `its own level's box bounds its children: ${swiss}`,
    );
    const root = (await page.locator('[data-detail=""]').textContent()) ?? '';
    assert.ok(!/Bounds in parent/.test(root), `the root has no bounds of its own: ${root}`);
    assert.match(root, /Children within\s*10\.0 % – 90\.0 %/, `the root's box is its children's: ${root}`);
  });

  test('figures say they are in sample and name r_f, on the run page and in a comparison', async () => {
    await page.goto(`${origin()}/#/runs/g1`);
    await page.waitForSelector('section.risk-profile');
    const summary = (await page.locator('section.risk-profile h3').first().textContent()) ?? '';
    assert.match(summary, /in sample/, `the summary says in sample: ${summary}`);
    const labels = await page.$$eval('dl.metrics dt', (dts) => dts.map((d) => d.textContent ?? ''));
    assert.ok(labels.includes('Sortino (r_f = 2.0 %)'), `Sortino names r_f: ${labels.join(', ')}`);
    await page.goto(`${origin()}/#/compare?runs=g1,long1`);
    await page.waitForSelector('table.metrics-diff');
    const rf = await page.$$eval('tr[data-metric="risk-free"] td', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(rf, ['Risk-free rate r_f', '2.0 %', '0.0 %'], 'r_f per run: 2 % for g1, 0 for long1');
  });

  test('nothing requested any other host; no error in the page', () => {
    assert.deepEqual(foreign, [], 'requests to non-loopback hosts');
    assert.deepEqual(problems, [], 'page errors and console errors');
  });
});
