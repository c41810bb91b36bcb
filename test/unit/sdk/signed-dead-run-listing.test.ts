// A signed run whose process died, met by the artifact listing or as the latest run of a sleeve
// profile: with QUANT_LEDGER_KEY it is settled (anchored and signed), as `quant runs list` with the key
// settles it; without the key run.json is left as it is. A meta run takes the key from the env given to
// `runMeta`, not only from the process's.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/index.js';
import { LedgerKey, openLedger, resolveSleeveRun } from '../../../src/artifacts/index.js';
import { REPO } from '../../helpers/cli.js';
import { tempDir } from '../artifacts/_temp.js';
import { writeManifest } from '../../helpers/sleeve-fixtures.js';

const KEY = 'k'.repeat(40);
const SWX = join(REPO, 'data', 'swx_prices.csv');

describe('a signed run whose process died, listed outside `quant runs list`', () => {
  let ws: string;
  const runJsonFile = (id: string): string => join(ws, 'runs', id, 'run.json');

  /** A signed run of `profile`, then a stage run into it that died mid-stage: status running, no lock. */
  async function deadSignedRun(id: string, profile: string): Promise<Buffer> {
    await QuantSDK.runStage(
      'portfolio.optimize',
      { input: SWX, method: 'inverse_variance' },
      { workspace: ws, runId: id, env: { SOURCE_DATE_EPOCH: '1767225600', QUANT_LEDGER_KEY: KEY } },
    );
    const ledger = await openLedger(join(ws, 'runs', id, 'audit.jsonl'), { now: new Date(0) });
    await ledger.append({ type: 'intent', step: 'portfolio.optimize', status: 'started' });
    const json = JSON.parse(readFileSync(runJsonFile(id), 'utf8')) as Record<string, unknown>;
    writeFileSync(runJsonFile(id), `${JSON.stringify({ ...json, profile, status: 'running' }, null, 2)}\n`);
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
    ws = tempDir('mf-sdk-signed-');
  });

  test('listArtifacts with the key in its env settles it, anchored and signed; without, leaves it', async () => {
    const died = await deadSignedRun('a_dead', 'p_artifacts');
    await QuantSDK.listArtifacts({ workspace: ws, env: {} });
    assert.ok(readFileSync(runJsonFile('a_dead')).equals(died), 'run.json left as it is without the key');
    await QuantSDK.listArtifacts({ workspace: ws, env: { QUANT_LEDGER_KEY: KEY } });
    assert.deepEqual(
      await settledAndSigned('a_dead'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });

  test('the latest run of a sleeve profile, resolved with the key, settles it, anchored and signed', async () => {
    const died = await deadSignedRun('s_dead', 'p_sleeve');
    const latest = (key?: LedgerKey): Promise<unknown> =>
      resolveSleeveRun(ws, 'p_sleeve', undefined, undefined, key).catch((e: unknown) => e);
    await latest();
    assert.ok(readFileSync(runJsonFile('s_dead')).equals(died), 'run.json left as it is without the key');
    await latest(LedgerKey.forSettling({ QUANT_LEDGER_KEY: KEY }));
    assert.deepEqual(
      await settledAndSigned('s_dead'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });

  test("runMeta settles it with the key in the call's env, the process's env without it", async () => {
    const died = await deadSignedRun('m_dead', 'p_meta');
    await writeManifest(ws, {
      profiles: { m: { sleeves: [{ id: 's', profile: 'p_meta' }], risk_profiles: ['hrp'] } },
    });
    const saved = process.env['QUANT_LEDGER_KEY'];
    delete process.env['QUANT_LEDGER_KEY'];
    try {
      const meta = (runId: string, env: Record<string, string>): Promise<unknown> =>
        QuantSDK.runMeta('m', { workspace: ws, cwd: ws, runId, env, cache: false }).catch((e: unknown) => e);
      await meta('meta_nokey', { SOURCE_DATE_EPOCH: '1767225600' });
      assert.ok(readFileSync(runJsonFile('m_dead')).equals(died), 'run.json left as it is without the key');
      await meta('meta_key', { SOURCE_DATE_EPOCH: '1767225600', QUANT_LEDGER_KEY: KEY });
    } finally {
      if (saved !== undefined) process.env['QUANT_LEDGER_KEY'] = saved;
    }
    assert.deepEqual(
      await settledAndSigned('m_dead'),
      ['incomplete', 'match', 'valid'],
      "run.json settled with the call's key: the whole ledger anchored and signed",
    );
  });
});
