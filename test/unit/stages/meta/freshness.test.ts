import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertFresh, readDataAge, recordedTradesAgeRule } from '../../../../src/stages/meta/freshness.js';
import { QuantError } from '../../../../src/errors.js';

async function runWith(maxAge?: number): Promise<string> {
  const runDir = await mkdtemp(join(tmpdir(), 'fresh-'));
  await mkdir(join(runDir, 'data'));
  await mkdir(join(runDir, 'config'));
  const manifest = {
    schema_version: 1,
    included: [
      { id: 'a', last_date: '2024-03-01' },
      { id: 'b', last_date: '2024-02-27' },
    ],
    excluded: [],
    calendar: { last_date: '2024-02-27' },
  };
  await writeFile(join(runDir, 'data', 'meta_manifest_M_hrp.json'), JSON.stringify(manifest));
  const profile = maxAge === undefined ? {} : { max_data_age_days: maxAge };
  await writeFile(
    join(runDir, 'config', 'resolved_manifest.json'),
    JSON.stringify({ schema_version: 1, profiles: { M: { sleeves: [], ...profile } } }),
  );
  return runDir;
}

const NOW = new Date('2024-03-07T12:00:00Z');
const isCode = (code: string) => (e: unknown) => e instanceof QuantError && e.code === code;

test('the age and lags come from the meta manifest', async () => {
  const runDir = await runWith();
  try {
    const age = await readDataAge({ runDir, metaProfile: 'M', riskProfile: 'hrp' }, NOW);
    assert.equal(age.lastDate, '2024-02-27', 'the last common date');
    assert.equal(age.ageDays, 9, 'Feb 27 to Mar 7 2024 (leap year) is 9 days');
    assert.deepEqual(
      age.streams.map((s) => [s.id, s.lagDays]),
      [
        ['a', 0],
        ['b', 3],
      ],
      'b ends 3 days before a',
    );
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
});

test('assertFresh refuses data older than the limit, from the argument or the manifest', async () => {
  const runDir = await runWith(5);
  const target = { runDir, metaProfile: 'M', riskProfile: 'hrp' };
  try {
    await assert.rejects(assertFresh(target, undefined, NOW), isCode('E_STALE_DATA'), 'manifest limit 5 < 9');
    await assert.rejects(assertFresh(target, 8, NOW), isCode('E_STALE_DATA'), 'limit 8 < 9');
    const ok = await assertFresh(target, 9, NOW);
    assert.equal(ok.stale, false, 'an age equal to the limit is fresh');
    const allowed = await assertFresh(target, 8, NOW, { allowStale: true });
    assert.ok(allowed.stale && allowed.overridden, 'allowStale lets it through and says so');
    const error = await assertFresh(target, undefined, NOW).catch((e: unknown) => e);
    assert.ok(
      error instanceof QuantError && /ends 2024-02-27, 9 days before 2024-03-07/.test(error.message),
      `the message names the dates: ${String(error)}`,
    );
    assert.ok(
      error instanceof QuantError && /--allow-stale/.test(error.hint ?? ''),
      'the hint names the override',
    );
    assert.ok(
      error instanceof QuantError && /raise profiles\.M\.max_data_age_days/.test(error.hint ?? ''),
      `a limit from the manifest: the hint names its key (${String((error as QuantError).hint)})`,
    );
    const given = await assertFresh(target, 8, NOW).catch((e: unknown) => e);
    assert.ok(
      given instanceof QuantError &&
        /raise the limit given \(--max-data-age-days/.test(given.hint ?? '') &&
        !/raise profiles\.M\.max_data_age_days/.test(given.hint ?? ''),
      `a limit given to the stage: the hint names it, not the manifest's key (${String((given as QuantError).hint)})`,
    );
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
});

test('without a limit nothing is refused; without the meta manifest it is E_ARTIFACT_MISSING', async () => {
  const runDir = await runWith();
  try {
    const r = await assertFresh({ runDir, metaProfile: 'M', riskProfile: 'hrp' }, undefined, NOW);
    assert.equal(r.maxAgeDays, null, 'no limit set');
    assert.equal(r.stale, false, 'nothing is stale without a limit');
    await assert.rejects(
      assertFresh({ runDir, metaProfile: 'M', riskProfile: 'min_variance' }, 1, NOW),
      isCode('E_ARTIFACT_MISSING'),
      'another risk profile has no meta manifest',
    );
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
});

test('the trades age rule: the limit and allow_stale of the trades block for the risk profiles it trades', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'fresh-'));
  try {
    await mkdir(join(runDir, 'config'));
    const trades = { risk_profiles: ['max_sharpe'], max_data_age_days: 7, allow_stale: true };
    await writeFile(
      join(runDir, 'config', 'resolved_manifest.json'),
      JSON.stringify({ schema_version: 1, profiles: { M: { sleeves: [], max_data_age_days: 30, trades } } }),
    );
    assert.deepEqual(
      await recordedTradesAgeRule(runDir, 'M', 'max_sharpe'),
      { maxAgeDays: 7, source: 'profiles.M.trades.max_data_age_days', traded: true, allowStale: true },
      'a traded risk profile: the block sets the limit meta.trades applies, and the override',
    );
    assert.deepEqual(
      await recordedTradesAgeRule(runDir, 'M', 'hrp'),
      { maxAgeDays: 30, source: 'profiles.M.max_data_age_days', traded: false, allowStale: false },
      'any other: the meta profile’s limit, no override',
    );
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
});

test('assertFresh without a limit given applies the trades block’s limit for a risk profile it trades', async () => {
  // `quant trades` gives no limit unless --max-data-age-days: the block's (as meta run applies it) holds.
  const runDir = await runWith();
  const target = { runDir, metaProfile: 'M', riskProfile: 'hrp' };
  try {
    const trades = { risk_profiles: ['hrp'], max_data_age_days: 5 };
    await writeFile(
      join(runDir, 'config', 'resolved_manifest.json'),
      JSON.stringify({ schema_version: 1, profiles: { M: { sleeves: [], trades } } }),
    );
    const error = await assertFresh(target, undefined, NOW).catch((e: unknown) => e);
    assert.ok(isCode('E_STALE_DATA')(error), `9 days > the block's 5: ${String(error)}`);
    assert.ok(
      error instanceof QuantError && /raise profiles\.M\.trades\.max_data_age_days/.test(error.hint ?? ''),
      `the hint names the block's key (${String((error as QuantError).hint)})`,
    );
    const allowed = await assertFresh(target, undefined, NOW, { allowStale: true });
    assert.deepEqual(
      [allowed.maxAgeDays, allowed.stale, allowed.overridden],
      [5, true, true],
      'let through: stale against the limit used, and recorded as overridden',
    );
    const given = await assertFresh(target, 30, NOW);
    assert.deepEqual([given.maxAgeDays, given.stale], [30, false], 'a limit given overrides the block');
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
});

test('a nested level shows its atomic sleeves by path: a lagging inner sleeve is named, not its level', async () => {
  const runDir = await runWith();
  const target = { runDir, metaProfile: 'M', riskProfile: 'hrp' };
  const write = (profile: string, included: object[], last: string) =>
    writeFile(
      join(runDir, 'data', `meta_manifest_${profile}_hrp.json`),
      JSON.stringify({ schema_version: 1, included, excluded: [], calendar: { last_date: last } }),
    );
  try {
    // The inner level's join ends with its lagging sleeve `ga`, so `mid` alone shows no lag.
    await write(
      'M',
      [
        { id: 'mid', kind: 'meta', profile: 'N', last_date: '2024-02-27' },
        { id: 'b', kind: 'atomic', profile: 's_b', last_date: '2024-02-27' },
      ],
      '2024-02-27',
    );
    await write(
      'N',
      [
        { id: 'x', kind: 'atomic', profile: 's_x', last_date: '2024-03-01' },
        { id: 'ga', kind: 'atomic', profile: 's_ga', last_date: '2024-02-27' },
      ],
      '2024-02-27',
    );
    const age = await readDataAge(target, NOW);
    assert.deepEqual(
      age.streams.map((s) => [s.id, s.lagDays]),
      [
        ['mid/x', 0],
        ['mid/ga', 3],
        ['b', 3],
      ],
      'the lags per atomic sleeve, by path',
    );
    const error = await assertFresh(target, 8, NOW).catch((e: unknown) => e);
    assert.ok(
      error instanceof QuantError && /\(lagging: mid\/ga 3 d, b 3 d\)/.test(error.message),
      `E_STALE_DATA names the inner sleeve: ${String(error)}`,
    );
    assert.ok(
      error instanceof QuantError && !/profiles\.M\.trades/.test(error.hint ?? ''),
      `no trades block in the manifest, none named in the hint: ${String((error as QuantError).hint)}`,
    );
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
});
