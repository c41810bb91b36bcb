// Default run ids (no run id given): every call gets a new run folder, however many start in one second —
// in a loop, at once in one process, and for pipelines — and an existing run is never entered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK, type StageRunResult } from '../../../src/sdk/quant-sdk.js';
import { claimDefaultRunFolder, defaultRunId, readLedger, sha256File } from '../../../src/artifacts/index.js';
import { REPO, tempDir } from '../../helpers/cli.js';
import { buildMetaWorkspace } from '../../helpers/meta-workspace.js';

// One second for every call: the clock cannot tell the runs apart.
const EPOCH = '1767225600';
const NOW = new Date(Number(EPOCH) * 1000);
const PRICES = join(REPO, 'data', 'swx_prices.csv');
const CAPS = [1, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2];

type Weights = { output: string; weights: Record<string, number> };

/** The run folder holds what the call returned, and its ledger records exactly one stage run. */
async function assertRunIsItsOwn(ws: string, result: StageRunResult<Weights>, cap: number): Promise<void> {
  const dir = join(ws, 'runs', result.runId);
  const file = join(dir, 'data', 'weights_min_variance.json');
  const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { weights: Record<string, number> };
  assert.deepEqual(
    onDisk.weights,
    result.value.weights,
    `${result.runId}: weights on disk are another call's`,
  );
  for (const w of Object.values(onDisk.weights))
    assert.ok(w <= cap + 1e-9, `${result.runId}: a weight above the cap ${cap} of its own call`);
  const ledger = await readLedger(join(dir, 'audit.jsonl'));
  const intents = ledger.filter((r) => r.type === 'intent');
  assert.equal(intents.length, 1, `${result.runId}: ${intents.length} stage runs in one run folder`);
  const recorded = ledger.find((r) => r.type === 'outcome')?.data['outputs'] as { sha256: string }[];
  assert.equal(recorded[0]?.sha256, await sha256File(file), `${result.runId}: the output hash recorded`);
}

describe('default run ids never collide', () => {
  let ws: { path: string; cleanup(): void };
  before(() => (ws = tempDir('quant-ids-')));
  after(() => ws.cleanup());

  test('8 sequential safeRunStage calls in one second: 8 run folders, in order, nothing overwritten', async () => {
    const workspace = join(ws.path, 'loop');
    const results: StageRunResult<Weights>[] = [];
    for (const cap of CAPS) {
      const r = await QuantSDK.safeRunStage<Weights>(
        'portfolio.optimize',
        { input: PRICES, method: 'min_variance', max_weight: cap },
        { workspace, env: { SOURCE_DATE_EPOCH: EPOCH } },
      );
      assert.ok(r.ok, `call with max_weight ${cap} failed: ${r.ok ? '' : r.error.message}`);
      results.push(r.value);
    }
    const base = defaultRunId('stage run portfolio.optimize', NOW);
    const ids = results.map((r) => r.runId);
    assert.deepEqual(
      ids,
      [base, ...[2, 3, 4, 5, 6, 7, 8].map((n) => `${base}-00${n}`)],
      'ids: the clock second, then a sequence number',
    );
    assert.deepEqual([...ids].sort(), ids, 'default ids sort in the order the runs started');
    assert.deepEqual(readdirSync(join(workspace, 'runs')).sort(), ids, 'one folder per call');
    for (const [i, r] of results.entries()) await assertRunIsItsOwn(workspace, r, CAPS[i] as number);
  });

  test('8 calls at once in one process: 8 distinct run folders, nothing overwritten', async () => {
    const workspace = join(ws.path, 'parallel');
    const results = await Promise.all(
      CAPS.map((cap) =>
        QuantSDK.runStage<Weights>(
          'portfolio.optimize',
          { input: PRICES, method: 'min_variance', max_weight: cap },
          { workspace, env: { SOURCE_DATE_EPOCH: EPOCH } },
        ),
      ),
    );
    const ids = results.map((r) => r.runId);
    assert.equal(new Set(ids).size, 8, `distinct ids: ${ids.join(', ')}`);
    assert.equal(readdirSync(join(workspace, 'runs')).length, 8, 'one folder per call');
    for (const [i, r] of results.entries()) await assertRunIsItsOwn(workspace, r, CAPS[i] as number);
  });

  test('a call without a run id never enters an existing run, even one named like its default id', async () => {
    const workspace = join(ws.path, 'existing');
    const base = defaultRunId('stage run portfolio.optimize', NOW);
    const first = await QuantSDK.runStage<Weights>(
      'portfolio.optimize',
      { input: PRICES, method: 'min_variance' },
      { workspace, runId: base, env: { SOURCE_DATE_EPOCH: EPOCH } },
    );
    const before = readFileSync(join(first.runDir, 'audit.jsonl'));
    const second = await QuantSDK.runStage<Weights>(
      'portfolio.optimize',
      { input: PRICES, method: 'min_variance', max_weight: 0.3 },
      { workspace, env: { SOURCE_DATE_EPOCH: EPOCH } },
    );
    assert.equal(second.runId, `${base}-002`, 'the default id skips the existing run');
    assert.ok(
      readFileSync(join(first.runDir, 'audit.jsonl')).equals(before),
      'the existing run is untouched',
    );
    // A folder that is no run at all (a user's) is skipped the same way, and never emptied.
    mkdirSync(join(workspace, 'runs', `${base}-003`));
    writeFileSync(join(workspace, 'runs', `${base}-003`, 'notes.txt'), 'mine');
    const third = await QuantSDK.runStage<Weights>(
      'portfolio.optimize',
      { input: PRICES, method: 'min_variance', max_weight: 0.25 },
      { workspace, env: { SOURCE_DATE_EPOCH: EPOCH } },
    );
    assert.equal(third.runId, `${base}-004`, 'the default id goes past the highest one taken');
    assert.deepEqual(
      readdirSync(join(workspace, 'runs', `${base}-003`)),
      ['notes.txt'],
      'a foreign folder kept',
    );
  });

  test('a meta run without a run id in the same second is a new run, not E_RUN_EXISTS', async () => {
    const workspace = join(ws.path, 'meta');
    await buildMetaWorkspace(workspace);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await QuantSDK.runMeta('meta_root', {
        workspace,
        cache: false,
        env: { SOURCE_DATE_EPOCH: EPOCH },
      }).catch((error: unknown) => error);
      assert.ok(!(r instanceof Error), `meta run ${i + 1}: ${(r as Error).message}`);
      ids.push((r as { runId: string }).runId);
    }
    assert.deepEqual(ids, ['meta_root_20260101-000000', 'meta_root_20260101-000000-002'], 'two meta runs');
  });

  test('claimDefaultRunFolder: racing claims of one profile and second each get their own folder', async () => {
    const workspace = join(ws.path, 'claims');
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => claimDefaultRunFolder(workspace, 'alpha', NOW)),
    );
    assert.equal(new Set(ids).size, 20, `distinct ids: ${ids.join(', ')}`);
    assert.equal(readdirSync(join(workspace, 'runs')).length, 20, 'one folder per claim');
    assert.ok(
      ids.every((id) => id.startsWith('alpha_20260101-000000')),
      'every id keeps the profile and second',
    );
  });

  test('a long profile keeps its ids within 128 characters with a sequence number', () => {
    const long = 'p'.repeat(300);
    const id = defaultRunId(long, NOW, 12);
    assert.equal(id.length, 128, 'cut to 128 characters');
    assert.ok(id.endsWith('_20260101-000000-012'), `the stamp and sequence survive: ${id}`);
  });
});
