// Predecessor run folders as first-class inputs, on fixtures that mirror the predecessor's own files
// (test/fixtures/predecessor/): its `type: "action"` health records, its synthetic-long SHORT atoms, its
// FLAT rows, a flattened file lacking a risk profile, and "latest" by the resolved manifest's timestamp.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  findReturnStream,
  instantMicros,
  listPredecessorRuns,
  readAtomWeights,
  readPhysicalWeights,
  readSleeveExposure,
  readSleeveHealth,
  resolveSleeveRun,
} from '../../../src/artifacts/index.js';
import { PREDECESSOR_FIXTURES, copyPredecessorRuns } from '../../helpers/predecessor.js';
import { writeSleeveRun } from '../../helpers/sleeve-fixtures.js';
import { quantError, tempDir } from './_temp.js';

const fixtureRun = (id: string): string => join(PREDECESSOR_FIXTURES, 'runs', id);

describe('predecessor health records (type "action")', () => {
  test('1 of 4 healthy windows of the chosen stream engine is unhealthy (was: no records, healthy)', async () => {
    const run = fixtureRun('sick_ma_long');
    const stream = await findReturnStream(run, 'hrp');
    // Two engines wrote hrp streams; the lexicographically first (custom) is read, and its engine counted.
    assert.equal(
      stream?.file,
      join(run, 'data', 'returns', 'custom_cvxportfolio_hrp.parquet'),
      'stream?.file',
    );
    assert.equal(stream?.engine, 'custom', 'the engine is the first part of {engine}_{simulator}_{P}');
    assert.deepEqual(
      await readSleeveHealth(run, 'hrp', { engine: 'custom' }),
      {
        windows: 4,
        successes: 1,
        success_rate: 0.25,
        healthy: false,
        engine: 'custom',
      },
      "await readSleeveHealth(run, 'hrp', { engine: 'custom' })",
    );
    // The other engine's records are not this stream's health.
    assert.deepEqual(
      await readSleeveHealth(run, 'hrp', { engine: 'skfolio' }),
      {
        windows: 4,
        successes: 4,
        success_rate: 1,
        healthy: true,
        engine: 'skfolio',
      },
      "await readSleeveHealth(run, 'hrp', { engine: 'skfolio' })",
    );
  });

  test('only the chosen engine counts: another engine’s failures do not veto a healthy stream', async () => {
    const run = fixtureRun('rerun_v3_long_all');
    // custom 4/4 and skfolio 1/4 on hrp: all engines together would be 5/8 (62.5 %), unhealthy.
    assert.deepEqual(
      await readSleeveHealth(run, 'hrp'),
      {
        windows: 8,
        successes: 5,
        success_rate: 5 / 8,
        healthy: false,
      },
      "await readSleeveHealth(run, 'hrp')",
    );
    const engine = (await findReturnStream(run, 'hrp'))?.engine;
    assert.equal(engine, 'custom', 'engine');
    assert.deepEqual(
      await readSleeveHealth(run, 'hrp', { engine: 'CUSTOM' }),
      {
        windows: 4,
        successes: 4,
        success_rate: 1,
        healthy: true,
        engine: 'CUSTOM',
      },
      "await readSleeveHealth(run, 'hrp', { engine: 'CUSTOM' })",
    );
  });

  test('intents (status "intent") are not outcomes; a ledger naming no engine counts every record', async () => {
    const run = copyPredecessorRuns(tempDir(), ['rerun_v3_short_all']);
    const dir = join(run, 'runs', 'rerun_v3_short_all');
    const line = (status: string, window: number): string =>
      JSON.stringify({
        type: 'action',
        status,
        step: 'backtest_optimize',
        context: { window_index: window, profile: 'hrp' },
      });
    writeFileSync(
      join(dir, 'audit.jsonl'),
      [
        line('intent', 0),
        line('success', 0),
        line('intent', 1),
        line('error', 1),
        line('intent', 2),
        line('error', 2),
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      await readSleeveHealth(dir, 'hrp', { engine: 'custom' }),
      {
        windows: 3,
        successes: 1,
        success_rate: 1 / 3,
        healthy: false,
        engine: 'custom',
      },
      "await readSleeveHealth(dir, 'hrp', { engine: 'custom' })",
    );
  });
});

describe('predecessor weights files', () => {
  test('SHORT atoms written as Direction LONG with a _SHORT suffix are short exposure', async () => {
    const atoms = await readAtomWeights(fixtureRun('rerun_v3_short_all'));
    const hrp = atoms?.profiles.get('hrp') ?? [];
    const raw = JSON.parse(
      readFileSync(join(fixtureRun('rerun_v3_short_all'), 'data', 'portfolio_optimized_v2.json'), 'utf8'),
    ) as { profiles: { hrp: { assets: { Direction: string; Net_Weight: number }[] } } };
    assert.ok(
      raw.profiles.hrp.assets.every((a) => a.Direction === 'LONG' && a.Net_Weight >= 0),
      'the fixture carries the predecessor convention: synthetic longs',
    );
    assert.deepEqual(
      hrp.map((a) => [a.Symbol, a.Direction, a.Net_Weight]),
      [
        ['BINANCE:ETHUSDT_rating_all_short_SHORT', 'SHORT', -0.55],
        ['BINANCE:XRPUSDT_rating_all_short_SHORT', 'SHORT', -0.45],
        ['BINANCE:ADAUSDT_rating_all_short_SHORT', 'SHORT', 0],
      ],
      'hrp.map((a) => [a.Symbol, a.Direction, a.Net_Weight])',
    );
  });

  test('a FLAT row (net 0) of the predecessor flattener is read; FLAT with a net weight is refused', async () => {
    const physical = await readPhysicalWeights(fixtureRun('rerun_v3_short_all'));
    const ada = physical?.profiles.get('hrp')?.find((r) => r.Symbol === 'BINANCE:ADAUSDT');
    assert.deepEqual(ada, { Symbol: 'BINANCE:ADAUSDT', Weight: 0, Net_Weight: 0, Direction: 'LONG' }, 'ada');
    const ws = copyPredecessorRuns(tempDir(), ['rerun_v3_short_all']);
    const file = join(ws, 'runs', 'rerun_v3_short_all', 'data', 'portfolio_flattened.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"Net_Weight": 0.0', '"Net_Weight": 0.1'));
    await assert.rejects(
      readPhysicalWeights(join(ws, 'runs', 'rerun_v3_short_all')),
      quantError(
        'E_INPUT_FORMAT',
        /\$\.profiles\.hrp\.assets\[2\]\.Direction: is "FLAT" but Net_Weight is 0\.1/,
      ),
      'readPhysicalWeights rejects with E_INPUT_FORMAT',
    );
  });

  test('a profile missing from portfolio_flattened.json is derived from the atoms with the suffix rule', async () => {
    const run = fixtureRun('rerun_v3_ma_long');
    const flattened = await readSleeveExposure(run, 'hrp');
    assert.equal(flattened.source, 'flattened', 'flattened.source');
    const derived = await readSleeveExposure(run, 'min_variance');
    assert.equal(derived.source, 'atoms', 'derived.source');
    assert.deepEqual(derived.flattenedProfiles, ['hrp'], 'derived.flattenedProfiles');
    assert.deepEqual(
      derived.files,
      [join(run, 'data', 'portfolio_flattened.json'), join(run, 'data', 'portfolio_optimized_v2.json')],
      'derived.files',
    );
    assert.deepEqual(
      derived.rows,
      [
        { Symbol: 'BINANCE:BTCUSDT', Weight: 0.65, Net_Weight: 0.65, Direction: 'LONG' },
        { Symbol: 'BINANCE:SOLUSDT', Weight: 0.35, Net_Weight: 0.35, Direction: 'LONG' },
      ],
      'derived.rows',
    );
    // SHORT atoms derived the same way are net short, exactly as the predecessor's flattener wrote them.
    const shorts = await readSleeveExposure(fixtureRun('rerun_v3_short_all'), 'min_variance');
    const written = await readPhysicalWeights(fixtureRun('rerun_v3_short_all'));
    const ws = copyPredecessorRuns(tempDir(), ['rerun_v3_short_all']);
    const dir = join(ws, 'runs', 'rerun_v3_short_all');
    const doc = JSON.parse(readFileSync(join(dir, 'data', 'portfolio_flattened.json'), 'utf8')) as {
      profiles: Record<string, unknown>;
    };
    delete doc.profiles['min_variance'];
    writeFileSync(join(dir, 'data', 'portfolio_flattened.json'), JSON.stringify(doc));
    const fromAtoms = await readSleeveExposure(dir, 'min_variance');
    assert.equal(shorts.source, 'flattened', 'shorts.source');
    assert.equal(fromAtoms.source, 'atoms', 'fromAtoms.source');
    assert.deepEqual(
      fromAtoms.rows.map((r) => [r.Symbol, r.Net_Weight]),
      (written?.profiles.get('min_variance') ?? []).map((r) => [r.Symbol, r.Net_Weight]),
      'atoms-derived net weights equal the flattened file the predecessor wrote',
    );
    assert.ok(
      fromAtoms.rows.every((r) => r.Net_Weight <= 0),
      'every SHORT atom is short exposure',
    );
  });

  test('a profile in neither file is E_WEIGHTS_PROFILE_MISSING naming the file, the profile and the fix', async () => {
    await assert.rejects(
      readSleeveExposure(fixtureRun('ma_short_no_minvar'), 'min_variance'),
      (error: unknown) =>
        quantError(
          'E_WEIGHTS_PROFILE_MISSING',
          /ma_short_no_minvar\/data\/portfolio_flattened\.json \$\.profiles has no risk profile "min_variance" \(it has hrp\) and data\/portfolio_optimized_v2\.json has none either/,
        )(error) &&
        /re-run the sleeve with min_variance, run the meta profile without it \(--profiles hrp\)/.test(
          (error as { hint?: string }).hint ?? '',
        ),
      'readSleeveExposure rejects with E_WEIGHTS_PROFILE_MISSING',
    );
  });
});

describe('predecessor runs found as "latest"', () => {
  test('by replay_context.timestamp, not by folder name; a folder without a timestamp is not a candidate', async () => {
    const ws = copyPredecessorRuns(tempDir(), [
      'rerun_v3_long_all',
      'a_long_all_20260112',
      'z_long_all_no_timestamp',
    ]);
    const latest = await resolveSleeveRun(ws, 'binance_spot_rating_all_long');
    assert.deepEqual(
      latest,
      {
        runId: 'a_long_all_20260112',
        path: join(ws, 'runs', 'a_long_all_20260112'),
        layout: 'legacy',
        pinned: false,
        profile: 'binance_spot_rating_all_long',
      },
      'latest',
    );
    const listed = await listPredecessorRuns(ws, 'binance_spot_rating_all_long');
    assert.deepEqual(
      listed.map((p) => [p.runId, p.timestamp, p.unusable]),
      [
        ['a_long_all_20260112', '2026-01-12T18:02:44.120007', null],
        ['rerun_v3_long_all', '2026-01-10T09:15:02.481516', null],
        ['z_long_all_no_timestamp', null, 'no replay_context.timestamp in config/resolved_manifest.json'],
      ],
      'listed.map((p) => [p.runId, p.timestamp, p.unusable])',
    );
  });

  test('native and predecessor runs compete by instant; a predecessor folder missing its weights is skipped', async () => {
    const ws = copyPredecessorRuns(tempDir(), ['rerun_v3_long_all', 'a_long_all_20260112']);
    await writeSleeveRun(ws, {
      runId: 'native_old',
      profile: 'binance_spot_rating_all_long',
      createdAt: '2026-01-11T00:00:00Z',
    });
    assert.equal(
      (await resolveSleeveRun(ws, 'binance_spot_rating_all_long')).runId,
      'a_long_all_20260112',
      "(await resolveSleeveRun(ws, 'binance_spot_rating_all_long')).runId",
    );
    await writeSleeveRun(ws, {
      runId: 'native_new',
      profile: 'binance_spot_rating_all_long',
      createdAt: '2026-01-12T18:02:45Z',
    });
    assert.deepEqual(
      await resolveSleeveRun(ws, 'binance_spot_rating_all_long'),
      {
        runId: 'native_new',
        path: join(ws, 'runs', 'native_new'),
        layout: 'native',
        pinned: false,
        profile: 'binance_spot_rating_all_long',
      },
      "await resolveSleeveRun(ws, 'binance_spot_rating_all_long')",
    );
    rmSync(join(ws, 'runs', 'native_new'), { recursive: true });
    rmSync(join(ws, 'runs', 'a_long_all_20260112', 'data', 'portfolio_flattened.json'));
    assert.equal(
      (await resolveSleeveRun(ws, 'binance_spot_rating_all_long')).runId,
      'native_old',
      "(await resolveSleeveRun(ws, 'binance_spot_rating_all_long')).runId",
    );
  });

  test('none usable: E_RUN_NOT_FOUND names the predecessor folders that could not be ordered', async () => {
    const ws = copyPredecessorRuns(tempDir(), ['z_long_all_no_timestamp']);
    cpSync(fixtureRun('z_long_all_no_timestamp'), join(ws, 'runs', 'z_copy'), { recursive: true });
    await assert.rejects(
      resolveSleeveRun(ws, 'binance_spot_rating_all_long'),
      quantError(
        'E_RUN_NOT_FOUND',
        /predecessor folders of binance_spot_rating_all_long that cannot be the latest run: z_copy: no replay_context\.timestamp in config\/resolved_manifest\.json; z_long_all_no_timestamp: no replay_context/,
      ),
      'resolveSleeveRun rejects with E_RUN_NOT_FOUND',
    );
  });

  test('instants: naive predecessor timestamps read as UTC with microseconds; offsets honoured', () => {
    assert.equal(
      instantMicros('2026-01-10T09:15:02.481516'),
      Date.parse('2026-01-10T09:15:02Z') * 1000 + 481516,
      "instantMicros('2026-01-10T09:15:02.481516')",
    );
    assert.equal(
      instantMicros('2024-06-01T00:00:00Z'),
      Date.parse('2024-06-01T00:00:00Z') * 1000,
      "instantMicros('2024-06-01T00:00:00Z')",
    );
    assert.equal(
      instantMicros('2026-01-10T10:15:02+01:00'),
      Date.parse('2026-01-10T09:15:02Z') * 1000,
      "instantMicros('2026-01-10T10:15:02+01:00')",
    );
    assert.equal(
      instantMicros('2026-01-10 09:15'),
      Date.parse('2026-01-10T09:15:00Z') * 1000,
      "instantMicros('2026-01-10 09:15')",
    );
    assert.equal(instantMicros('yesterday'), null, "instantMicros('yesterday')");
  });
});
