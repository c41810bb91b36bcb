// A signed run whose process died, as `quant serve` shows it: with QUANT_LEDGER_KEY in the server's
// environment the Runs list and the run view settle it (anchored and signed, as `quant runs list` with
// the key does); without it they show it incomplete, where it stopped, and leave run.json as it is.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/index.js';
import { openLedger } from '../../../src/artifacts/index.js';
import { StageRegistry } from '../../../src/registry.js';
import { createServeApp } from '../../../src/serve/app.js';
import type { RunResponse, RunsResponse } from '../../../src/serve/api-types.js';
import { REPO } from '../../helpers/cli.js';
import { tempDir } from '../artifacts/_temp.js';
import { get, ORIGIN, TOKEN } from './_serve-fixture.js';

const KEY = 'k'.repeat(40);
const SWX = join(REPO, 'data', 'swx_prices.csv');

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
  const runJsonFile = (id: string): string => join(ws, 'runs', id, 'run.json');

  /** A signed run, then a stage run into it that died mid-stage: status running, no live lock. */
  async function deadSignedRun(id: string): Promise<Buffer> {
    await QuantSDK.runStage(
      'portfolio.optimize',
      { input: SWX, method: 'inverse_variance' },
      { workspace: ws, runId: id, env: { SOURCE_DATE_EPOCH: '1767225600', QUANT_LEDGER_KEY: KEY } },
    );
    const ledger = await openLedger(join(ws, 'runs', id, 'audit.jsonl'), { now: new Date(0) });
    await ledger.append({ type: 'intent', step: 'portfolio.optimize', status: 'started' });
    const json = JSON.parse(readFileSync(runJsonFile(id), 'utf8')) as Record<string, unknown>;
    writeFileSync(runJsonFile(id), `${JSON.stringify({ ...json, status: 'running' }, null, 2)}\n`);
    return readFileSync(runJsonFile(id));
  }

  const settledAndSigned = async (id: string): Promise<unknown[]> => {
    const report = await QuantSDK.verifyAudit(id, {
      workspace: ws,
      env: { QUANT_LEDGER_KEY: KEY },
      strict: true,
    });
    const json = JSON.parse(readFileSync(runJsonFile(id), 'utf8')) as Record<string, unknown>;
    return [json['status'], report.anchor.state, report.signature.state];
  };

  before(() => {
    ws = tempDir('mf-serve-signed-');
  });

  test('without the key: shown incomplete with where it stopped, run.json left as it is', async () => {
    const died = await deadSignedRun('d_nokey');
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
    assert.ok(readFileSync(runJsonFile('d_nokey')).equals(died), 'run.json left as it is without the key');
  });

  test('with the key: the Runs list settles it, anchored and signed', async () => {
    await deadSignedRun('d_list');
    const { runs } = (await (
      await get(app(ws, { QUANT_LEDGER_KEY: KEY }), '/api/runs')
    ).json()) as RunsResponse;
    assert.equal(runs.find((r) => r.run_id === 'd_list')?.status, 'incomplete', 'listed incomplete');
    assert.deepEqual(
      await settledAndSigned('d_list'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });

  test('with the key: the run view settles it, anchored and signed', async () => {
    await deadSignedRun('d_view');
    const res = await get(app(ws, { QUANT_LEDGER_KEY: KEY }), '/api/runs/d_view');
    const view = (await res.json()) as RunResponse;
    assert.equal(view.run.status, 'incomplete', 'shown incomplete');
    assert.deepEqual(
      await settledAndSigned('d_view'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });
});
