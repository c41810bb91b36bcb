// A signed run whose process died, met by the artifact listing or as the latest run of a sleeve
// profile: with QUANT_LEDGER_KEY it is settled (anchored and signed), as `quant runs list` with the key
// settles it; without the key run.json is left as it is. A meta run takes the key from the env given to
// `runMeta`, not only from the process's.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantSDK } from '../../../src/index.js';
import { LedgerKey, resolveSleeveRun } from '../../../src/artifacts/index.js';
import {
  LEDGER_KEY as KEY,
  deadSignedRun as deadRun,
  settledAndSigned as settled,
  untouched,
} from '../../helpers/signed-dead-run.js';
import { tempDir } from '../artifacts/_temp.js';
import { writeManifest } from '../../helpers/sleeve-fixtures.js';

describe('a signed run whose process died, listed outside `quant runs list`', () => {
  let ws: string;
  before(() => {
    ws = tempDir('mf-sdk-signed-');
  });

  test('listArtifacts with the key in its env settles it, anchored and signed; without, leaves it', async () => {
    const died = await deadRun(ws, 'a_dead', { profile: 'p_artifacts' });
    await QuantSDK.listArtifacts({ workspace: ws, env: {} });
    assert.ok(untouched(ws, 'a_dead', died), 'run.json left as it is without the key');
    await QuantSDK.listArtifacts({ workspace: ws, env: { QUANT_LEDGER_KEY: KEY } });
    assert.deepEqual(
      await settled(ws, 'a_dead'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });

  test('the latest run of a sleeve profile, resolved with the key, settles it, anchored and signed', async () => {
    const died = await deadRun(ws, 's_dead', { profile: 'p_sleeve' });
    const latest = (key?: LedgerKey): Promise<unknown> =>
      resolveSleeveRun(ws, 'p_sleeve', undefined, undefined, key).catch((e: unknown) => e);
    await latest();
    assert.ok(untouched(ws, 's_dead', died), 'run.json left as it is without the key');
    await latest(LedgerKey.forSettling({ QUANT_LEDGER_KEY: KEY }));
    assert.deepEqual(
      await settled(ws, 's_dead'),
      ['incomplete', 'match', 'valid'],
      'run.json settled: the whole ledger anchored and signed',
    );
  });

  test("runMeta settles it with the key in the call's env, the process's env without it", async () => {
    const died = await deadRun(ws, 'm_dead', { profile: 'p_meta' });
    await writeManifest(ws, {
      profiles: { m: { sleeves: [{ id: 's', profile: 'p_meta' }], risk_profiles: ['hrp'] } },
    });
    const saved = process.env['QUANT_LEDGER_KEY'];
    delete process.env['QUANT_LEDGER_KEY'];
    try {
      const meta = (runId: string, env: Record<string, string>): Promise<unknown> =>
        QuantSDK.runMeta('m', { workspace: ws, cwd: ws, runId, env, cache: false }).catch((e: unknown) => e);
      await meta('meta_nokey', { SOURCE_DATE_EPOCH: '1767225600' });
      assert.ok(untouched(ws, 'm_dead', died), 'run.json left as it is without the key');
      await meta('meta_key', { SOURCE_DATE_EPOCH: '1767225600', QUANT_LEDGER_KEY: KEY });
    } finally {
      if (saved !== undefined) process.env['QUANT_LEDGER_KEY'] = saved;
    }
    assert.deepEqual(
      await settled(ws, 'm_dead'),
      ['incomplete', 'match', 'valid'],
      "run.json settled with the call's key: the whole ledger anchored and signed",
    );
  });
});
