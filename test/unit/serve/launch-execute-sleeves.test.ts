// A meta launch with `execute_sleeves` on a workspace that has no sleeve runs yet (the README's first
// `quant serve`): the sleeves are produced first, in child processes confined to the workspace like the
// server's own calls, then the meta run pins them. A sleeve whose prices file links out of the
// workspace is refused, as every other read of a confined call.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchEvent, LaunchResponse, RunsResponse } from '../../../src/serve/api-types.js';
import { tempDir } from '../artifacts/_temp.js';
import { buildExecWorkspace } from '../exec/_exec-workspace.js';
import { get, post, serveApp } from './_serve-fixture.js';

/** The events of a launch, read through to the end of its stream. */
async function launch(app: ReturnType<typeof serveApp>, body: unknown): Promise<LaunchEvent[]> {
  const res = await post(app, '/api/launch', body);
  assert.equal(res.status, 201, 'the launch is accepted');
  const { events } = (await res.json()) as LaunchResponse;
  const text = await (await get(app, events)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as LaunchEvent);
}

describe('POST /api/launch with execute_sleeves', { timeout: 120_000 }, () => {
  test('a fresh workspace: the sleeve runs are produced, then the meta run on them', async () => {
    const ws = buildExecWorkspace(tempDir('mf-serve-exec-'));
    const app = serveApp(ws);
    const events = await launch(app, {
      kind: 'meta',
      profile: 'meta',
      options: { run_id: 'from_web', execute_sleeves: true },
    });
    const last = events.at(-1);
    assert.deepEqual(
      last,
      { type: 'done', run_id: 'from_web' },
      `the launch ends done: ${JSON.stringify(last)}`,
    );
    const { runs } = (await (await get(app, '/api/runs')).json()) as RunsResponse;
    const sleeves = runs.filter((r) => r.kind === 'sleeve' && r.status === 'success').map((r) => r.profile);
    assert.deepEqual(
      sleeves.sort(),
      ['bonds', 'sectors', 'swiss'],
      `one sleeve run per sleeve: ${sleeves.join(', ')}`,
    );
    const resolved = JSON.parse(
      readFileSync(join(ws, 'runs', 'from_web', 'config', 'resolved_manifest.json'), 'utf8'),
    ) as { sleeves: { profile: string; run_id: string }[] };
    for (const s of resolved.sleeves) {
      assert.ok(
        runs.some((r) => r.run_id === s.run_id && r.profile === s.profile),
        `the meta run pins the produced run of ${s.profile}: ${s.run_id}`,
      );
    }
  });

  test('a prices file that links out of the workspace is refused with E_PATH_ESCAPE', async () => {
    const root = tempDir('mf-serve-exec-escape-');
    const ws = buildExecWorkspace(join(root, 'ws'));
    const outside = buildExecWorkspace(join(root, 'outside'));
    rmSync(join(ws, 'data', 'swx_prices.csv'));
    symlinkSync(join(outside, 'data', 'swx_prices.csv'), join(ws, 'data', 'swx_prices.csv'));
    const events = await launch(serveApp(ws), {
      kind: 'meta',
      profile: 'meta',
      options: { execute_sleeves: true },
    });
    const last = events.at(-1);
    assert.equal(last?.type, 'error', `the launch fails: ${JSON.stringify(last)}`);
    // E_SLEEVE_FAILED names the failure of each sleeve job: the child process refused the read itself.
    assert.match(
      last?.type === 'error' ? `${last.code}: ${last.message}` : '',
      /^E_SLEEVE_FAILED: Sleeve production failed for: swiss \(E_PATH_ESCAPE: .*refused to read data\/swx_prices\.csv/,
      `the sleeve job does not read the file outside: ${JSON.stringify(last)}`,
    );
    const shown = JSON.stringify(last);
    assert.ok(!shown.includes(ws), `the workspace's absolute path is not shown: ${shown}`);
    assert.match(shown, /outside the workspace ws\b/, `the workspace named by its folder: ${shown}`);
  });

  test('a queue executor stays refused for a confined run (its workers are not confined)', async () => {
    const { QuantSDK } = await import('../../../src/sdk/quant-sdk.js');
    const ws = buildExecWorkspace(tempDir('mf-serve-exec-queue-'));
    await assert.rejects(
      QuantSDK.runMeta('meta', { workspace: ws, confine: true, executeSleeves: { executor: 'bullmq' } }),
      (e: unknown) => (e as { code?: string }).code === 'E_USAGE' && /local executor only/.test(String(e)),
      'E_USAGE naming the local executor',
    );
  });
});
