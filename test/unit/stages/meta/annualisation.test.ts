// The annualisation of a meta level: inferred from the common dates of its sleeves, or set by
// meta_allocation.periods_per_year; irregular dates are E_FREQUENCY at that manifest key.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import type { QuantError } from '../../../../src/errors.js';
import { tempDir } from '../../../helpers/cli.js';
import { at, readJson } from '../../../helpers/json-doc.js';
import { randomReturns, writeManifest, writeSleeveRun } from '../../../helpers/sleeve-fixtures.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const DAY = 86_400_000;

/** A workspace with two sleeve runs whose hrp streams are on `dates`, and meta profile m. */
async function workspace(dates: string[], allocation: Record<string, unknown>): Promise<string> {
  const ws = tempDir('quant-meta-ann-');
  spaces.push(ws);
  for (const [i, id] of ['s1', 's2'].entries()) {
    await writeSleeveRun(ws.path, {
      runId: `${id}_run`,
      profile: id,
      streams: { hrp: { dates, returns: randomReturns(20 + i, dates.length, { vol: 0.03 + 0.01 * i }) } },
      weights: { hrp: [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
    });
  }
  await writeManifest(ws.path, {
    profiles: {
      m: {
        sleeves: [
          { id: 'a', profile: 's1' },
          { id: 'b', profile: 's2' },
        ],
        risk_profiles: ['hrp'],
        meta_allocation: allocation,
      },
    },
  });
  return ws.path;
}
const spaces: { cleanup(): void }[] = [];
after(() => spaces.forEach((s) => s.cleanup()));

const every = (days: number, n: number): string[] =>
  Array.from({ length: n }, (_, i) =>
    new Date(Date.UTC(2010, 0, 4) + i * days * DAY).toISOString().slice(0, 10),
  );

describe('meta level annualisation', () => {
  test('weekly sleeves: A = 52 inferred, recorded in the meta manifest and optimization', async () => {
    const ws = await workspace(every(7, 60), {});
    const r = await QuantSDK.runMeta('m', {
      workspace: ws,
      cwd: ws,
      runId: 'weekly',
      env: ENV,
      cache: false,
      backtest: false,
    });
    const manifest = readJson(join(r.runDir, 'data', 'meta_manifest_m_hrp.json'));
    assert.deepEqual(
      at(manifest, 'calendar', 'annualisation'),
      {
        periods_per_year: 52,
        source: 'inferred',
        frequency: 'weekly',
        rule: 'median spacing 7 days, 52.2 rows/year → weekly',
      },
      "at(manifest, 'calendar', 'annualisation')",
    );
    const optimized = readJson(join(r.runDir, 'data', 'meta_optimized_m_hrp.json'));
    assert.equal(
      at(optimized, 'parameters', 'periods_per_year'),
      52,
      "at(optimized, 'parameters', 'periods_per_year')",
    );
  });

  test('irregular common dates: E_FREQUENCY naming the level, the sleeves and the manifest key', async () => {
    const ws = await workspace(every(17, 40), {});
    const e = await QuantSDK.runMeta('m', {
      workspace: ws,
      cwd: ws,
      runId: 'odd',
      env: ENV,
      cache: false,
    }).then(
      () => assert.fail('ran'),
      (error: unknown) => error as QuantError,
    );
    assert.equal(e.code, 'E_FREQUENCY', 'e.code');
    assert.match(
      e.message,
      /meta profile m \(hrp\): the 40 common dates of sleeves a, b: cannot infer the sampling frequency of 40 dates from 2010-01-04 to /,
      'e.message matches /meta profile m \\(hrp\\): the 40 common dates of sleeves a, …',
    );
    assert.equal(e.location?.jsonPath, 'profiles.m.meta_allocation.periods_per_year', 'e.location?.jsonPath');
    assert.match(
      e.hint ?? '',
      /^set profiles\.m\.meta_allocation\.periods_per_year in manifest\.json/,
      "e.hint ?? '' matches /^set profiles\\.m\\.meta_allocation\\.periods_per_year in man…",
    );
  });

  test('meta_allocation.periods_per_year makes the same dates usable, recorded as set in the manifest', async () => {
    const ws = await workspace(every(17, 40), { periods_per_year: 21 });
    const r = await QuantSDK.runMeta('m', { workspace: ws, cwd: ws, runId: 'set', env: ENV, cache: false });
    const backtest = readJson(join(r.runDir, 'data', 'meta_backtest_m_hrp.json'));
    assert.equal(
      at(backtest, 'annualisation', 'source'),
      'manifest',
      "at(backtest, 'annualisation', 'source')",
    );
    assert.equal(
      at(backtest, 'params', 'periods_per_year'),
      21,
      "at(backtest, 'params', 'periods_per_year')",
    );
    const optimized = readJson(join(r.runDir, 'data', 'meta_optimized_m_hrp.json'));
    assert.equal(
      at(optimized, 'annualisation', 'rule'),
      'periods_per_year = 21 set in the manifest',
      "at(optimized, 'annualisation', 'rule')",
    );
  });
});
