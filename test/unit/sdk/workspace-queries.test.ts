// The SDK's workspace queries (what `quant runs`, `quant audit verify`, `quant report` and the MCP server
// use): list runs, read a run, verify its ledger, read an artifact, locate the report, confined or not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { isQuantError } from '../../../src/errors.js';
import { REPO, tempDir } from '../../helpers/cli.js';

const coded =
  (code: string) =>
  (e: unknown): boolean =>
    isQuantError(e) && e.code === code;

describe('QuantSDK workspace queries', () => {
  let ws: { path: string; cleanup(): void };
  let outside: { path: string; cleanup(): void };
  before(async () => {
    ws = tempDir();
    outside = tempDir();
    for (const runId of ['q1', 'q2']) {
      await QuantSDK.runStage(
        'portfolio.optimize',
        { input: join(REPO, 'data', 'swx_prices.csv'), method: 'inverse_variance' },
        { workspace: ws.path, runId },
      );
    }
    mkdirSync(join(ws.path, 'runs', 'not-a-run'));
  });
  after(() => {
    ws.cleanup();
    outside.cleanup();
  });

  test('listRuns lists every run and names the folders that are not runs', async () => {
    const listing = await QuantSDK.listRuns({ workspace: ws.path });
    assert.deepEqual(
      listing.runs.map((r) => [r.run_id, r.kind, r.status]),
      [
        ['q1', 'stage', 'success'],
        ['q2', 'stage', 'success'],
      ],
      'both runs, oldest id first, with kind and status',
    );
    assert.deepEqual(listing.skipped, [{ run_id: 'not-a-run', reason: 'no run.json' }], 'skipped folder');
    const filtered = await QuantSDK.listRuns({ workspace: ws.path, profile: 'nope' });
    assert.deepEqual(filtered.runs, [], 'a profile filter that matches nothing lists no run');
  });

  test('readRun reads run.json and refuses a bad or unknown run id', async () => {
    const run = await QuantSDK.readRun('q1', { workspace: ws.path });
    assert.equal(run.run_id, 'q1', 'the run asked for');
    await assert.rejects(QuantSDK.readRun('../x', { workspace: ws.path }), coded('E_RUN_ID'), 'E_RUN_ID');
    await assert.rejects(
      QuantSDK.readRun('missing', { workspace: ws.path }),
      coded('E_RUN_NOT_FOUND'),
      'E_RUN_NOT_FOUND',
    );
  });

  test('verifyLedger gives the verdict of the hash chain', async () => {
    const ok = await QuantSDK.verifyLedger('q1', { workspace: ws.path });
    assert.equal(ok.ok, true, 'an untouched ledger verifies');
    assert.equal(ok.records, 3, 'genesis, intent, outcome');
    appendFileSync(join(ws.path, 'runs', 'q2', 'audit.jsonl'), '{"type":"intent"}\n');
    const broken = await QuantSDK.verifyLedger('q2', { workspace: ws.path });
    assert.equal(broken.ok, false, 'an appended forged record breaks the chain');
  });

  test('readArtifact reads JSON, lists a run, and says what is missing', async () => {
    const view = await QuantSDK.readArtifact('q1', 'run.json', { workspace: ws.path });
    assert.equal(view.kind, 'json', 'run.json reads as JSON');
    const listing = await QuantSDK.readArtifact('q1', '', { workspace: ws.path });
    assert.ok(
      listing.kind === 'listing' &&
        listing.files.some((f) => f.path === 'data/weights_inverse_variance.json'),
      'the run folder lists its weights file',
    );
    await assert.rejects(
      QuantSDK.readArtifact('q1', 'data/none.json', { workspace: ws.path }),
      coded('E_ARTIFACT_MISSING'),
      'E_ARTIFACT_MISSING',
    );
    const all = await QuantSDK.listArtifacts({ workspace: ws.path });
    assert.deepEqual(
      [...new Set(all.map((a) => a.runId))],
      ['q1', 'q2'],
      'listArtifacts covers every run, run by run',
    );
  });

  test('reportPath refuses a run that is not a meta run', async () => {
    await assert.rejects(
      QuantSDK.reportPath('q1', 'html', { workspace: ws.path }),
      (e: unknown) => coded('E_ARTIFACT_MISSING')(e) && /only meta runs have a report/.test(String(e)),
      'a stage run has no report',
    );
  });

  test('confined, a run folder that is a symlink out of the workspace is E_PATH_ESCAPE', async () => {
    mkdirSync(join(outside.path, 'evil'));
    symlinkSync(join(outside.path, 'evil'), join(ws.path, 'runs', 'evil'));
    await assert.rejects(
      QuantSDK.verifyLedger('evil', { workspace: ws.path, confine: true }),
      coded('E_PATH_ESCAPE'),
      'confined ledger path escapes',
    );
    await assert.rejects(
      QuantSDK.readArtifact('evil', 'run.json', { workspace: ws.path, confine: true }),
      coded('E_PATH_ESCAPE'),
      'confined artifact path escapes',
    );
  });
});
