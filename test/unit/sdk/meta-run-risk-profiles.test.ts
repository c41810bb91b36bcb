// A meta profile's declared `risk_profiles` entry that no sleeve run has a stream for: `quant meta run`
// refuses it before the run folder exists, at `profiles.<m>.risk_profiles[i]` and its line; `quant
// manifest check` warns about it when every sleeve is a sleeve profile of the manifest (and not pinned).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantError, QuantSDK } from '../../../src/index.js';
import { checkManifestFile } from '../../../src/sdk/manifest-check.js';
import { tempDir } from '../artifacts/_temp.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../../helpers/sleeve-fixtures.js';

const sleeveSpec = {
  sleeve: { prices: 'p.csv', assets: ['A', 'B'], risk_profiles: ['hrp', 'min_variance'] },
};

/**
 * Sleeve runs a and b with an hrp stream (a also max_sharpe when `aHasMaxSharpe`) and meta profile m over
 * them declaring hrp and max_sharpe; `runMeta`'s refusal, which must be a coded error.
 */
async function refusal(prefix: string, runId: string, aHasMaxSharpe: boolean) {
  const ws = tempDir(prefix);
  const dates = businessDays('2024-01-01', 80);
  for (const [i, id] of ['a', 'b'].entries()) {
    const streams = { hrp: { dates, returns: randomReturns(i + 1, dates.length) } };
    await writeSleeveRun(ws, {
      runId: `${id}_run`,
      profile: `s_${id}`,
      createdAt: '2025-01-01T00:00:00Z',
      streams: aHasMaxSharpe && id === 'a' ? { ...streams, max_sharpe: streams.hrp } : streams,
      weights: { hrp: [{ Symbol: `SIX:${id}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' as const }] },
    });
  }
  await writeManifest(ws, {
    profiles: {
      m: {
        sleeves: [
          { id: 'a', profile: 's_a' },
          { id: 'b', profile: 's_b' },
        ],
        risk_profiles: ['hrp', 'max_sharpe'],
      },
    },
  });
  let error: unknown;
  try {
    await QuantSDK.runMeta('m', { workspace: ws, backtest: false, cache: false, runId });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof QuantError, `a coded refusal: ${String(error)}`);
  assert.equal(error.code, 'E_TOO_FEW_SLEEVES', error.message);
  assert.equal(existsSync(join(ws, 'runs', runId)), false, 'no run folder');
  return { ws, error };
}

describe('a declared risk profile no sleeve provides', () => {
  test('quant meta run: E_TOO_FEW_SLEEVES at profiles.m.risk_profiles[i] and its line, no run folder', async () => {
    const { ws, error } = await refusal('mf-risk-declared-', 'r_declared', false);
    const lines = readFileSync(join(ws, 'manifest.json'), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('"max_sharpe"')) + 1;
    assert.deepEqual(
      error.location,
      { file: 'manifest.json', jsonPath: 'profiles.m.risk_profiles[1]', line },
      'the JSON path and line of the entry',
    );
  });

  test('a declared risk profile one sleeve lacks, leaving a level with 1 sleeve: also at its JSON path', async () => {
    // Only a has max_sharpe: the level would keep 1 sleeve under it.
    const { error } = await refusal('mf-risk-level-', 'r_level', true);
    assert.match(error.message, /max_sharpe: m keeps 1 sleeve\(s\) \(a\)/, error.message);
    assert.equal(error.location?.jsonPath, 'profiles.m.risk_profiles[1]', 'the entry of the risk profile');
  });

  test('quant manifest check warns only when every sleeve is declared in the manifest and not pinned', async () => {
    const ws = tempDir('mf-risk-warn-');
    const write = async (sleeves: unknown[]): Promise<string[]> => {
      await writeManifest(ws, {
        profiles: {
          s_a: sleeveSpec,
          s_b: sleeveSpec,
          m: { sleeves, risk_profiles: ['hrp', 'max_sharpe'] },
        },
      });
      return readFileSync(join(ws, 'manifest.json'), 'utf8').split('\n');
    };
    const lines = await write([
      { id: 'a', profile: 's_a' },
      { id: 'b', profile: 's_b' },
    ]);
    const result = await checkManifestFile(join(ws, 'manifest.json'));
    assert.equal(result.warnings.length, 1, `one warning: ${JSON.stringify(result.warnings)}`);
    const [w] = result.warnings;
    assert.equal(w?.path, 'profiles.m.risk_profiles[1]', 'the JSON path');
    assert.equal(w?.line, lines.findIndex((l) => l.includes('"max_sharpe"')) + 1, 'the line');
    assert.match(
      w?.message ?? '',
      /no sleeve profile of the manifest lists the risk profile max_sharpe/,
      'why',
    );
    await write([
      { id: 'a', profile: 's_a' },
      { id: 'b', profile: 's_other' },
    ]);
    const undeclared = await checkManifestFile(join(ws, 'manifest.json'));
    assert.equal(
      undeclared.warnings.some((x) => x.path.includes('risk_profiles')),
      false,
      'an undeclared sleeve may carry other streams: no warning',
    );
    await write([
      { id: 'a', profile: 's_a' },
      { id: 'b', profile: 's_b', run_id: 'pinned_run' },
    ]);
    const pinned = await checkManifestFile(join(ws, 'manifest.json'));
    assert.deepEqual(pinned.warnings, [], 'a pinned sleeve may carry other streams: no warning');
  });
});
