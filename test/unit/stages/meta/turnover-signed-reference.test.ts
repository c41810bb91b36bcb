// The turnover reference lists the earlier runs of the meta profile, settling a run whose process died
// as `quant runs list` does: with QUANT_LEDGER_KEY in the process a signed dead run is settled, anchored
// and signed; without it the run is only taken as incomplete (never the reference) and left as it is.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/index.js';
import { LEDGER_KEY as KEY, killRun, settledAndSigned } from '../../../helpers/signed-dead-run.js';
import type { MetaOptimizedDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../artifacts/_temp.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';

const IDS = ['a', 'b', 'c'];
const P = 'min_variance';

describe('turnover reference: a signed meta run whose process died', { timeout: 120_000 }, () => {
  let ws: string;
  const saved = process.env['QUANT_LEDGER_KEY'];
  const runJsonFile = (id: string): string => join(ws, 'runs', id, 'run.json');
  const opts = (runId: string) => ({ workspace: ws, runId, backtest: false, cache: false }) as const;
  const turnover = (runId: string) =>
    (
      JSON.parse(
        readFileSync(join(ws, 'runs', runId, `data/meta_optimized_m_${P}.json`), 'utf8'),
      ) as MetaOptimizedDoc
    ).turnover;

  before(async () => {
    ws = tempDir('mf-turnover-signed-');
    const dates = businessDays('2024-01-01', 120);
    for (const [i, id] of IDS.entries()) {
      await writeSleeveRun(ws, {
        runId: `${id}_run`,
        profile: `s_${id}`,
        createdAt: '2025-01-01T00:00:00Z',
        streams: {
          [P]: { dates, returns: randomReturns(i * 7 + 1, dates.length, { vol: 0.004 * (i + 1) }) },
        },
        weights: {
          [P]: [{ Symbol: `SIX:${id.toUpperCase()}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }],
        },
      });
    }
    await writeManifest(ws, {
      profiles: {
        m: {
          sleeves: IDS.map((id) => ({ id, profile: `s_${id}` })),
          risk_profiles: [P],
          turnover: { max_turnover: 0.5 },
        },
      },
    });
    // A signed meta run, then a stage run into it that died mid-stage: status running, no live lock.
    process.env['QUANT_LEDGER_KEY'] = KEY;
    await QuantSDK.runMeta('m', opts('r1_died'));
    await killRun(ws, 'r1_died', 'meta.report');
  });

  after(() => {
    if (saved === undefined) delete process.env['QUANT_LEDGER_KEY'];
    else process.env['QUANT_LEDGER_KEY'] = saved;
  });

  test('without the key: not the reference, and its run.json is left as it is', async () => {
    delete process.env['QUANT_LEDGER_KEY'];
    const died = readFileSync(runJsonFile('r1_died'));
    await QuantSDK.runMeta('m', opts('r2_nokey'));
    const t = turnover('r2_nokey');
    assert.equal(t?.active, false, `an incomplete run is no reference: ${JSON.stringify(t)}`);
    assert.ok(readFileSync(runJsonFile('r1_died')).equals(died), 'run.json left as it is without the key');
  });

  test('with the key: the dead run is settled, its whole ledger anchored and signed', async () => {
    process.env['QUANT_LEDGER_KEY'] = KEY;
    await QuantSDK.runMeta('m', opts('r3_key'));
    assert.deepEqual(
      await settledAndSigned(ws, 'r1_died'),
      ['incomplete', 'match', 'valid'],
      'settled: the whole ledger anchored and signed',
    );
    const t = turnover('r3_key');
    assert.ok(
      t?.active === true && t.reference_run_id === 'r2_nokey',
      'the reference is the last successful run',
    );
  });
});
