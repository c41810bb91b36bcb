// A signed run whose process died, as `quant serve` shows it: with QUANT_LEDGER_KEY in the server's
// environment the Runs list and the run view settle it (anchored and signed, as `quant runs list` with
// the key does); without it they show it incomplete, where it stopped, and leave run.json as it is.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StageRegistry } from '../../../src/registry.js';
import { createServeApp } from '../../../src/serve/app.js';
import type { RunResponse, RunsResponse } from '../../../src/serve/api-types.js';
import {
  LEDGER_KEY as KEY,
  deadSignedRun as deadRun,
  settledAndSigned as settled,
  untouched,
} from '../../helpers/signed-dead-run.js';
import { tempDir } from '../artifacts/_temp.js';
import { get, ORIGIN, TOKEN } from './_serve-fixture.js';

function app(workspace: string, env: NodeJS.ProcessEnv): ReturnType<typeof createServeApp> {
  return createServeApp({
    workspace,
    env,
    registry: () => Promise.resolve(StageRegistry),
    token: TOKEN,
    readOnly: true,
    allowedHosts: () => new Set([new URL(ORIGIN).host]),
    webRoot: join(workspace, 'no-web-build'),
    log: () => undefined,
  });
}

describe('quant serve: a signed run whose process died', () => {
  let ws: string;
  before(() => {
    ws = tempDir('mf-serve-signed-');
  });

  test('without the key: shown incomplete with where it stopped, run.json left as it is', async () => {
    const died = await deadRun(ws, 'd_nokey');
    const server = app(ws, {});
    const { runs } = (await (await get(server, '/api/runs')).json()) as RunsResponse;
    const row = runs.find((r) => r.run_id === 'd_nokey');
    assert.deepEqual(
      [row?.status, row?.reason],
      ['incomplete', 'interrupted during stage portfolio.optimize'],
      `the Runs list shows it incomplete with the reason: ${JSON.stringify(row)}`,
    );
    const view = (await (await get(server, '/api/runs/d_nokey')).json()) as RunResponse;
    assert.deepEqual(
      [view.run.status, view.run.reason],
      ['incomplete', 'interrupted during stage portfolio.optimize'],
      'the run view too',
    );
    assert.ok(untouched(ws, 'd_nokey', died), 'run.json left as it is without the key');
  });

  test('with the key: the Runs list settles it, anchored and signed', async () => {
    await deadRun(ws, 'd_list');
    const { runs } = (await (
      await get(app(ws, { QUANT_LEDGER_KEY: KEY }), '/api/runs')
    ).json()) as RunsResponse;
    assert.equal(runs.find((r) => r.run_id === 'd_list')?.status, 'incomplete', 'listed incomplete');
    assert.deepEqual(
      await settled(ws, 'd_list'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });

  test('with the key: the run view settles it, anchored and signed', async () => {
    await deadRun(ws, 'd_view');
    const res = await get(app(ws, { QUANT_LEDGER_KEY: KEY }), '/api/runs/d_view');
    const view = (await res.json()) as RunResponse;
    assert.equal(view.run.status, 'incomplete', 'shown incomplete');
    assert.deepEqual(
      await settled(ws, 'd_view'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });
});
