// The JSON API of `quant serve`, in-process through app.request(): every read endpoint's success shape
// and its coded errors (status + E_* code), on a workspace with two sleeve runs and two meta runs.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CompareResponse,
  InfoResponse,
  RunResponse,
  RunsResponse,
  TreeNode,
} from '../../../src/serve/api-types.js';
import { buildServeFixture, expectError, get, type ServeFixture } from './_serve-fixture.js';

let f: ServeFixture;
before(async () => {
  f = await buildServeFixture();
});

describe('GET /api/info', () => {
  test('names the workspace folder (not its path), the version, the profiles and the mode', async () => {
    const res = await get(f.app, '/api/info');
    assert.equal(res.status, 200, 'info answers 200');
    const info = (await res.json()) as InfoResponse;
    assert.equal(info.workspace, 'ws', 'only the folder name is shown');
    assert.ok(!JSON.stringify(info).includes(f.workspace), 'the full workspace path is never sent');
    assert.deepEqual(info.profiles, { meta: ['small'], sleeve: [] }, 'the manifest has one meta profile');
    assert.equal(info.read_only, false, 'not read-only');
    assert.equal(info.manifest_error, null, 'the manifest reads');
    assert.match(info.version, /^\d+\.\d+\.\d+/, 'a version');
  });
});

describe('GET /api/runs', () => {
  test('lists every run with kind, status, duration and the latest of each profile', async () => {
    const res = await get(f.app, '/api/runs');
    assert.equal(res.status, 200, 'runs answers 200');
    const { runs, skipped } = (await res.json()) as RunsResponse;
    const byId = new Map(runs.map((r) => [r.run_id, r]));
    assert.deepEqual([...byId.keys()].sort(), ['meta_one', 'meta_two', 's1_run', 's2_run'], 'all four runs');
    assert.deepEqual(skipped, [], 'no unreadable folder');
    const [one, two] = [byId.get('meta_one'), byId.get('meta_two')];
    assert.equal(one?.kind, 'meta', 'meta_one is a meta run');
    assert.equal(one?.status, 'success', 'meta_one succeeded');
    assert.equal(one?.latest, false, 'meta_one is not the latest of its profile');
    assert.equal(two?.latest, true, 'meta_two is the latest successful run of profile small');
    assert.ok((two?.duration_ms ?? 0) > 0, 'the duration is the sum of the recorded stage durations');
    assert.equal(two?.reason, null, 'a successful run has no reason');
    assert.equal(byId.get('s1_run')?.latest, true, 'each sleeve profile has its latest run');
  });
});

function nodes(tree: TreeNode): TreeNode[] {
  return [tree, ...tree.children.flatMap(nodes)];
}

describe('GET /api/runs/:id', () => {
  test('a meta run: figures and tree per risk profile, ledger, audit verdict, artifacts', async () => {
    const res = await get(f.app, '/api/runs/meta_two');
    assert.equal(res.status, 200, 'run view answers 200');
    const view = (await res.json()) as RunResponse;
    assert.equal(view.run.run_id, 'meta_two', 'the run asked for');
    assert.deepEqual(
      view.risk_profiles.map((p) => p.risk_profile),
      ['hrp'],
      'one entry per risk profile of the resolved manifest',
    );
    const eq = view.risk_profiles[0];
    assert.ok(eq !== undefined, 'hrp is there');
    assert.equal(eq.tree.kind, 'meta', 'the root is a meta level');
    assert.equal(eq.tree.method, 'hrp', 'with its method');
    assert.deepEqual(eq.tree.bounds, { min_weight: 0, max_weight: 0.6 }, 'and the bounds of the manifest');
    assert.deepEqual(
      eq.tree.children.map((c) => [c.path, c.kind, c.run_id]),
      [
        ['a', 'atomic', 's1_run'],
        ['b', 'atomic', 's2_run'],
      ],
      'the sleeves, each with the sleeve run it read',
    );
    assert.ok(
      eq.tree.children.every((c) => c.weight <= 0.6 + 1e-12),
      `the cap holds: ${eq.tree.children.map((c) => c.weight).join(', ')}`,
    );
    const leafSum = nodes(eq.tree)
      .filter((n) => n.children.length === 0)
      .reduce((s, n) => s + n.effective_weight, 0);
    assert.ok(Math.abs(leafSum - 1) < 1e-12, `leaf effective weights sum to 1 (${leafSum})`);
    assert.equal(eq.data.riskProfile, 'hrp', 'the report figures of that risk profile');
    assert.equal(typeof eq.data.metrics.observations, 'number', 'metrics are plain numbers');
    const exposure = eq.data.exposure;
    assert.ok(exposure !== undefined && !('omitted' in exposure), 'positions are there');
    assert.deepEqual(
      exposure.rows.map((r) => [r.symbol, r.contributors.map((c) => c.path)]),
      [
        ['X0', ['a']],
        ['X1', ['b']],
      ],
      'each physical position with the sleeve paths it comes from',
    );
    const equity = eq.data.charts?.inSample.equity.lines[0]?.values;
    assert.ok(
      Array.isArray(equity) && equity.length === 80,
      'chart series are JSON arrays, one value per date',
    );
    assert.equal(view.audit.ok, true, `the audit passes: ${JSON.stringify(view.audit.problems)}`);
    assert.equal(view.audit.anchor, 'match', 'the ledger matches its anchor');
    assert.equal(view.ledger[0]?.type, 'genesis', 'the ledger starts with its genesis record');
    assert.ok(
      view.ledger.some((e) => e.step === 'meta.optimize' && e.status === 'success' && e.summary !== null),
      'the timeline has the stages with their summaries',
    );
    assert.equal(view.has_html_report, true, 'the HTML report exists');
    const paths = view.artifacts.map((a) => a.path);
    assert.ok(
      paths.includes('run.json') && paths.includes('audit.jsonl'),
      `artifacts listed: ${paths.join(', ')}`,
    );
    assert.ok(
      !paths.some((p) => p.split('/').some((s) => s.startsWith('.'))),
      'no hidden bookkeeping listed',
    );
    assert.equal(view.report_error, null, 'the report figures were read');
  });

  test('a sleeve run: no figures, no report, the ledger problem as data', async () => {
    const view = (await (await get(f.app, '/api/runs/s1_run')).json()) as RunResponse;
    assert.deepEqual(view.risk_profiles, [], 'a sleeve run has no meta figures');
    assert.equal(view.has_html_report, false, 'and no report');
    assert.equal(view.audit.ok, false, 'the fixture sleeve run has no ledger: the audit says so');
    assert.equal(view.audit.problems[0]?.code, 'E_ARTIFACT_MISSING', 'coded');
  });

  test('an unknown run is 404 E_RUN_NOT_FOUND; a malformed id 400 E_RUN_ID', async () => {
    const missing = await expectError(await get(f.app, '/api/runs/nope'), 404, 'E_RUN_NOT_FOUND');
    // The page names the workspace by its folder only: its messages name paths relative to it.
    const shown = JSON.stringify(missing);
    assert.ok(!shown.includes(f.workspace), `no absolute path of the workspace: ${shown}`);
    assert.match(missing.message, /^run nope does not exist in runs\b/, `relative to it: ${missing.message}`);
    await expectError(await get(f.app, '/api/runs/-bad'), 400, 'E_RUN_ID');
    await expectError(await get(f.app, '/api/runs/a%2Fb'), 400, 'E_ADDRESS');
  });
});

describe('GET /api/runs/:id/artifacts/<path> and /report', () => {
  test('a file downloads with its bytes, type and a Content-Disposition', async () => {
    const res = await get(f.app, '/api/runs/meta_one/artifacts/config/resolved_manifest.json');
    assert.equal(res.status, 200, 'artifact answers 200');
    assert.equal(res.headers.get('content-type'), 'application/json', 'JSON type');
    assert.match(
      res.headers.get('content-disposition') ?? '',
      /^attachment; filename="resolved_manifest.json"/,
      'offered as a download',
    );
    const expected = readFileSync(join(f.workspace, 'runs/meta_one/config/resolved_manifest.json'));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), expected, 'the exact bytes of the file');
  });

  test('a folder, a missing file and hidden bookkeeping are 404 E_ARTIFACT_MISSING', async () => {
    await expectError(await get(f.app, '/api/runs/meta_one/artifacts/data'), 404, 'E_ARTIFACT_MISSING');
    await expectError(await get(f.app, '/api/runs/meta_one/artifacts/nope.json'), 404, 'E_ARTIFACT_MISSING');
    await expectError(await get(f.app, '/api/runs/meta_one/artifacts/.lock'), 404, 'E_ARTIFACT_MISSING');
  });

  test('the HTML report is served sandboxed', async () => {
    const res = await get(f.app, '/api/runs/meta_one/report');
    assert.equal(res.status, 200, 'report answers 200');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/, 'as HTML');
    assert.match(res.headers.get('content-security-policy') ?? '', /^sandbox;/, 'in a CSP sandbox');
    assert.match(await res.text(), /<svg/, 'with its inline SVG charts');
  });

  test('a sleeve run has no report: 404 E_ARTIFACT_MISSING with what to do', async () => {
    const e = await expectError(await get(f.app, '/api/runs/s1_run/report'), 404, 'E_ARTIFACT_MISSING');
    assert.match(e.message, /sleeve run/, e.message);
  });
});

describe('GET /api/compare', () => {
  test('two runs: a column per risk profile, weights and manifest diffs, metrics, curves', async () => {
    const res = await get(f.app, '/api/compare?runs=meta_one,meta_two');
    assert.equal(res.status, 200, 'compare answers 200');
    const c = (await res.json()) as CompareResponse;
    assert.deepEqual(
      c.columns.map((k) => `${k.run_id}/${k.risk_profile}`),
      ['meta_one/hrp', 'meta_two/hrp'],
      'one column per risk profile of each run',
    );
    const a = c.sleeve_weights.find((r) => r.key === 'a');
    assert.ok(a !== undefined && a.values.length === 2, 'sleeve a has a weight in every column');
    const [before, after] = [a.values[0] ?? 0, a.values[1] ?? 0];
    assert.ok(before > 0.6 && after <= 0.6 + 1e-12, `the cap moved sleeve a: ${before} → ${after}`);
    assert.ok(Math.abs(a.spread - (before - after)) < 1e-15, 'spread is max − min');
    assert.equal(c.sleeve_weights[0]?.key, 'a', 'largest spread first (a and b move alike; a sorts first)');
    assert.deepEqual(c.physical_weights.map((r) => r.key).sort(), ['X0', 'X1'], 'physical weights by symbol');
    assert.equal(c.metrics.length, 2, 'metrics per column');
    assert.equal(c.series[1]?.equity.length, c.series[1]?.dates.length, 'one equity value per date');
    assert.ok(
      c.manifest_diff.some((d) => d.path.endsWith('max_weight') && d.values[1] === 0.6),
      `the cap shows in the manifest diff: ${JSON.stringify(c.manifest_diff)}`,
    );
  });

  test('fewer than two ids is 400 E_PARAMS; an unknown run 404', async () => {
    await expectError(await get(f.app, '/api/compare?runs=meta_one'), 400, 'E_PARAMS');
    await expectError(await get(f.app, '/api/compare'), 400, 'E_PARAMS');
    await expectError(await get(f.app, '/api/compare?runs=meta_one,nope'), 404, 'E_RUN_NOT_FOUND');
  });
});

describe('routes and static files', () => {
  test('an unknown API route is 404 E_NOT_FOUND', async () => {
    await expectError(await get(f.app, '/api/nope'), 404, 'E_NOT_FOUND');
    await expectError(await get(f.app, '/api/launch/unknown-id/events'), 404, 'E_NOT_FOUND');
  });

  test('the web app is served from its build, with a CSP; a missing build says how to make it', async () => {
    const page = await f.app.request('http://127.0.0.1:8787/');
    assert.equal(page.status, 200, 'index answers 200 without a token');
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      /default-src 'self'/,
      'the app page has a CSP',
    );
    assert.match(await page.text(), /<title>app<\/title>/, 'the built index.html');
    const js = await f.app.request('http://127.0.0.1:8787/app.js');
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/, 'scripts as JavaScript');
    const { serveApp } = await import('./_serve-fixture.js');
    const bare = await serveApp(f.workspace).request('http://127.0.0.1:8787/');
    assert.equal(bare.status, 503, 'no build: 503');
    assert.match(await bare.text(), /npm run build/, 'the page says to build');
  });
});
