import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  findReturnStream,
  legacyProfileOf,
  listReturnStreams,
  physicalSymbol,
  readAtomWeights,
  readPhysicalWeights,
  readSleeveHealth,
  readSleeveStream,
  resolveSleeveRun,
} from '../../../src/artifacts/index.js';
import { QuantError } from '../../../src/errors.js';
import {
  businessDays,
  pandasReturnsParquet,
  randomReturns,
  writeSleeveRun,
} from '../../helpers/sleeve-fixtures.js';
import { quantError, tempDir } from './_temp.js';

const dates = businessDays('2024-01-01', 40);
const hrp = randomReturns(1, 40, { mean: 0.0004, vol: 0.01 });
const mv = randomReturns(2, 40, { mean: 0.0002, vol: 0.005 });

describe('sleeve return streams', () => {
  test('native Parquet: <P>.parquet per profile, read back bit-exact on UTC days', async () => {
    const ws = tempDir();
    const run = await writeSleeveRun(ws, {
      runId: 'a_1',
      profile: 'a',
      streams: { hrp: { dates, returns: hrp }, min_variance: { dates, returns: mv } },
    });
    const found = await findReturnStream(run, 'hrp');
    assert.deepEqual(
      found,
      {
        file: join(run, 'data', 'returns', 'hrp.parquet'),
        candidates: [join(run, 'data', 'returns', 'hrp.parquet')],
        layout: 'native',
      },
      'found',
    );
    const stream = await readSleeveStream(found.file);
    assert.deepEqual(stream.dates, dates, 'stream.dates');
    assert.deepEqual([...stream.values], [...hrp], '[...stream.values]');
    assert.equal(await findReturnStream(run, 'max_sharpe'), null, 'no substitution of another profile');
    assert.deepEqual(
      [...(await listReturnStreams(run)).keys()],
      ['hrp', 'min_variance'],
      '[...(await listReturnStreams(run)).keys()]',
    );
  });

  test('native CSV is accepted; when both exist the Parquet file wins and both are candidates', async () => {
    const ws = tempDir();
    const run = await writeSleeveRun(ws, {
      runId: 'c_1',
      profile: 'c',
      format: 'csv',
      streams: { hrp: { dates, returns: hrp } },
    });
    const csv = await findReturnStream(run, 'hrp');
    assert.equal(csv?.file, join(run, 'data', 'returns', 'hrp.csv'), 'csv?.file');
    assert.deepEqual(
      [...(await readSleeveStream(join(run, 'data', 'returns', 'hrp.csv'))).values],
      [...hrp],
      "[...(await readSleeveStream(join(run, 'data', 'returns', 'hrp.csv')))…",
    );
    await writeSleeveRun(ws, { runId: 'c_1', profile: 'c', streams: { hrp: { dates, returns: hrp } } });
    const both = await findReturnStream(run, 'hrp');
    assert.equal(both?.file, join(run, 'data', 'returns', 'hrp.parquet'), 'both?.file');
    assert.deepEqual(
      both?.candidates,
      [join(run, 'data', 'returns', 'hrp.parquet'), join(run, 'data', 'returns', 'hrp.csv')],
      'both?.candidates',
    );
  });

  test('predecessor layout: {engine}_{simulator}_{P}.parquet, `returns` column, pandas UTC nanosecond index', async () => {
    const ws = tempDir();
    const run = await writeSleeveRun(ws, {
      runId: 'legacy_run',
      profile: 'old',
      layout: 'legacy',
      streams: { hrp: { dates, returns: hrp }, min_variance: { dates, returns: mv } },
    });
    const found = await findReturnStream(run, 'min_variance');
    assert.equal(found?.layout, 'legacy', 'found?.layout');
    assert.equal(
      found?.file,
      join(run, 'data', 'returns', 'custom_cvxportfolio_min_variance.parquet'),
      'found?.file',
    );
    const stream = await readSleeveStream(found!.file);
    assert.deepEqual(stream.dates, dates, 'stream.dates');
    assert.deepEqual([...stream.values], [...mv], '[...stream.values]');
    assert.deepEqual(
      [...(await listReturnStreams(run)).keys()],
      ['hrp', 'min_variance'],
      '[...(await listReturnStreams(run)).keys()]',
    );
    const ref = await resolveSleeveRun(ws, 'old', 'legacy_run');
    assert.deepEqual(
      ref,
      { runId: 'legacy_run', path: run, layout: 'legacy', pinned: true, profile: 'old' },
      'ref',
    );
  });

  test('min_variance vs variance: the longest profile id a file name ends with owns it; several matches → first by name', async () => {
    const ws = tempDir();
    const dir = join(ws, 'runs', 'amb', 'data', 'returns');
    mkdirSync(dir, { recursive: true });
    const bytes = pandasReturnsParquet(dates, hrp);
    for (const name of [
      'eng_sim_min_variance',
      'b_sim_hrp',
      'a_x_sim_hrp',
      'a_sim_hrp',
      'min_variance_notes',
    ])
      writeFileSync(join(dir, `${name}.parquet`), bytes);
    const run = join(ws, 'runs', 'amb');
    assert.equal(await findReturnStream(run, 'variance'), null, 'x_y_min_variance is not a variance stream');
    assert.equal(
      (await findReturnStream(run, 'min_variance'))?.file,
      join(dir, 'eng_sim_min_variance.parquet'),
      "(await findReturnStream(run, 'min_variance'))?.file",
    );
    writeFileSync(join(dir, 'eng_sim_variance.parquet'), bytes);
    assert.equal(
      (await findReturnStream(run, 'variance'))?.file,
      join(dir, 'eng_sim_variance.parquet'),
      "(await findReturnStream(run, 'variance'))?.file",
    );
    const h = await findReturnStream(run, 'hrp');
    assert.equal(h?.file, join(dir, 'a_sim_hrp.parquet'), 'h?.file');
    assert.deepEqual(
      h?.candidates,
      ['a_sim_hrp', 'a_x_sim_hrp', 'b_sim_hrp'].map((n) => join(dir, `${n}.parquet`)),
      'h?.candidates',
    );
    // a native min_variance.parquet is never a predecessor file of "variance"
    const native = await writeSleeveRun(ws, {
      runId: 'nat',
      profile: 'n',
      streams: { min_variance: { dates, returns: mv } },
    });
    assert.equal(
      await findReturnStream(native, 'variance'),
      null,
      "await findReturnStream(native, 'variance')",
    );
    assert.equal(
      legacyProfileOf('a_b_min_variance', ['variance', 'min_variance']),
      'min_variance',
      "legacyProfileOf('a_b_min_variance', ['variance', 'min_variance'])",
    );
    assert.equal(
      legacyProfileOf('min_variance', ['min_variance']),
      undefined,
      "legacyProfileOf('min_variance', ['min_variance'])",
    );
  });

  test('duplicate days (a datetime counts as the day written) are an input error naming the file', async () => {
    const file = join(tempDir(), 'hrp.csv');
    writeFileSync(file, 'date,return\n2024-01-02,0.01\n2024-01-02T01:00:00+02:00,0.02\n');
    await assert.rejects(
      readSleeveStream(file),
      quantError('E_INPUT_DATES', /hrp\.csv: duplicate date: 2024-01-02/),
      'readSleeveStream rejects with E_INPUT_DATES',
    );
    await assert.rejects(
      findReturnStream(tempDir(), '../x'),
      quantError('E_PATH_ESCAPE'),
      'findReturnStream rejects with E_PATH_ESCAPE',
    );
  });
});

describe('sleeve weights files', () => {
  test('physical weights: Net_Weight from Direction or a _SHORT suffix, Direction from the net sign', async () => {
    const ws = tempDir();
    const run = await writeSleeveRun(ws, { runId: 'w', profile: 'w' });
    assert.equal(await readPhysicalWeights(run), null, 'await readPhysicalWeights(run)');
    writeFileSync(
      join(run, 'data', 'portfolio_flattened.json'),
      JSON.stringify({
        profiles: {
          hrp: {
            assets: [
              { Symbol: 'SPY', Weight: 0.5, Net_Weight: 0.5, Direction: 'LONG' },
              { Symbol: 'TLT', Weight: 0.2, Direction: 'short' },
              { Symbol: 'GLD_SHORT', Weight: 0.1 },
              { Symbol: 'CME_MINI:ES1!', Weight: 0.2, Net_Weight: -0.2 },
            ],
          },
        },
      }),
    );
    const w = await readPhysicalWeights(run);
    assert.deepEqual(
      w?.profiles.get('hrp'),
      [
        { Symbol: 'SPY', Weight: 0.5, Net_Weight: 0.5, Direction: 'LONG' },
        { Symbol: 'TLT', Weight: 0.2, Net_Weight: -0.2, Direction: 'SHORT' },
        { Symbol: 'GLD_SHORT', Weight: 0.1, Net_Weight: -0.1, Direction: 'SHORT' },
        { Symbol: 'CME_MINI:ES1!', Weight: 0.2, Net_Weight: -0.2, Direction: 'SHORT' },
      ],
      "w?.profiles.get('hrp')",
    );
  });

  test('a torn file or a wrong shape is E_INPUT_FORMAT naming the file and the JSON path', async () => {
    const run = await writeSleeveRun(tempDir(), { runId: 't', profile: 't' });
    const file = join(run, 'data', 'portfolio_flattened.json');
    const expect = async (text: string, jsonPath: string): Promise<void> => {
      writeFileSync(file, text);
      await assert.rejects(
        readPhysicalWeights(run),
        (error: unknown) => {
          assert.ok(error instanceof QuantError, 'error is a QuantError');
          assert.equal(error.code, 'E_INPUT_FORMAT', 'error.code');
          assert.deepEqual(error.location, { file, jsonPath }, 'error.location');
          assert.ok(error.message.includes(file), 'error.message includes file');
          return true;
        },
        'readPhysicalWeights rejects with E_INPUT_FORMAT',
      );
    };
    await expect('{"profiles": {"hrp": {"assets": [{"Symbol": "SPY", "Wei', '$');
    await expect('[]', '$');
    await expect('{"profiles": {"hrp": []}}', '$.profiles.hrp');
    await expect(
      '{"profiles": {"min var": {"assets": [{"Symbol": "A", "Weight": 1}, {"Symbol": "B", "Weight": -0.1}]}}}',
      '$.profiles["min var"].assets[1].Weight',
    );
    await expect(
      '{"profiles": {"hrp": {"assets": [{"Symbol": "A", "Weight": 1, "Direction": "UP"}]}}}',
      '$.profiles.hrp.assets[0].Direction',
    );
  });

  test('atoms keep Physical; physicalSymbol strips the logic suffix and keeps the exchange prefix', async () => {
    const run = await writeSleeveRun(tempDir(), {
      runId: 'atoms',
      profile: 'x',
      atoms: {
        hrp: [
          { Symbol: 'BRK_B_value_LONG', Weight: 0.3, Physical: 'BRK_B' },
          { Symbol: 'CME_MINI:ES1!_trend_SHORT', Weight: 0.7 },
        ],
      },
    });
    const atoms = (await readAtomWeights(run))?.profiles.get('hrp');
    assert.deepEqual(
      atoms,
      [
        { Symbol: 'BRK_B_value_LONG', Weight: 0.3, Net_Weight: 0.3, Direction: 'LONG', Physical: 'BRK_B' },
        { Symbol: 'CME_MINI:ES1!_trend_SHORT', Weight: 0.7, Net_Weight: -0.7, Direction: 'SHORT' },
      ],
      'atoms',
    );
    assert.deepEqual(
      physicalSymbol('CME_MINI:ES1!_trend_SHORT'),
      {
        symbol: 'CME_MINI:ES1!',
        direction: 'SHORT',
      },
      "physicalSymbol('CME_MINI:ES1!_trend_SHORT')",
    );
    assert.deepEqual(
      physicalSymbol('SPY_LONG'),
      { symbol: 'SPY', direction: 'LONG' },
      "physicalSymbol('SPY_LONG')",
    );
    assert.deepEqual(physicalSymbol('SPY'), { symbol: 'SPY', direction: 'LONG' }, "physicalSymbol('SPY')");
    assert.deepEqual(
      physicalSymbol('BRK_B_mean_rev_SHORT'),
      { symbol: 'BRK', direction: 'SHORT' },
      'documented limit',
    );
    assert.deepEqual(
      physicalSymbol('BRK_B_mean_rev_SHORT', 'BRK_B'),
      {
        symbol: 'BRK_B',
        direction: 'SHORT',
      },
      "physicalSymbol('BRK_B_mean_rev_SHORT', 'BRK_B')",
    );
    assert.deepEqual(
      physicalSymbol('BRK_B_mean_rev_SHORT', undefined, ['BRK', 'BRK_B']),
      {
        symbol: 'BRK_B',
        direction: 'SHORT',
      },
      "physicalSymbol('BRK_B_mean_rev_SHORT', undefined, ['BRK', 'BRK_B'])",
    );
  });
});

describe('sleeve health and run resolution', () => {
  test('75 % edge: 3/4 is healthy, 2/3 is not; counted per context.profile', async () => {
    const run = await writeSleeveRun(tempDir(), {
      runId: 'h',
      profile: 'h',
      health: { hrp: { windows: 4, successes: 3 }, min_variance: { windows: 3, successes: 2 } },
    });
    assert.deepEqual(
      await readSleeveHealth(run, 'hrp'),
      {
        windows: 4,
        successes: 3,
        success_rate: 0.75,
        healthy: true,
      },
      "await readSleeveHealth(run, 'hrp')",
    );
    assert.deepEqual(
      await readSleeveHealth(run, 'min_variance'),
      {
        windows: 3,
        successes: 2,
        success_rate: 2 / 3,
        healthy: false,
      },
      "await readSleeveHealth(run, 'min_variance')",
    );
    // No record names max_sharpe: every backtest_optimize record counts (5/7 < 75 %).
    assert.deepEqual(
      await readSleeveHealth(run, 'max_sharpe'),
      {
        windows: 7,
        successes: 5,
        success_rate: 5 / 7,
        healthy: false,
      },
      "await readSleeveHealth(run, 'max_sharpe')",
    );
  });

  test('no ledger → 0 windows, healthy; a predecessor ledger without hashes is read loosely', async () => {
    const run = await writeSleeveRun(tempDir(), { runId: 'p', profile: 'p', layout: 'legacy' });
    assert.deepEqual(
      await readSleeveHealth(run, 'hrp'),
      {
        windows: 0,
        successes: 0,
        success_rate: null,
        healthy: true,
      },
      "await readSleeveHealth(run, 'hrp')",
    );
    const line = (status: string, profile: string): string =>
      JSON.stringify({ type: 'outcome', step: 'backtest_optimize', status, context: { profile, window: 0 } });
    writeFileSync(
      join(run, 'audit.jsonl'),
      [
        line('success', 'hrp'),
        line('error', 'hrp'),
        JSON.stringify({ type: 'intent', step: 'backtest_optimize' }),
        line('success', 'erc'),
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      await readSleeveHealth(run, 'hrp'),
      {
        windows: 2,
        successes: 1,
        success_rate: 0.5,
        healthy: false,
      },
      "await readSleeveHealth(run, 'hrp')",
    );
    writeFileSync(join(run, 'audit.jsonl'), `${line('success', 'hrp')}\n{"type": "outc`);
    await assert.rejects(
      readSleeveHealth(run, 'hrp'),
      quantError('E_AUDIT_BROKEN', /audit\.jsonl:2/),
      'readSleeveHealth rejects with E_AUDIT_BROKEN',
    );
  });

  test('latest successful run of a profile, or the pinned run (never replaced)', async () => {
    const ws = tempDir();
    await writeSleeveRun(ws, { runId: 's_1', profile: 's', createdAt: '2024-01-01T00:00:00Z' });
    await writeSleeveRun(ws, { runId: 's_2', profile: 's', createdAt: '2024-02-01T00:00:00Z' });
    await writeSleeveRun(ws, {
      runId: 's_3',
      profile: 's',
      createdAt: '2024-03-01T00:00:00Z',
      status: 'failed',
    });
    const latest = await resolveSleeveRun(ws, 's');
    assert.deepEqual(
      latest,
      {
        runId: 's_2',
        path: join(ws, 'runs', 's_2'),
        layout: 'native',
        pinned: false,
        profile: 's',
      },
      'latest',
    );
    assert.equal(
      (await resolveSleeveRun(ws, 's', 's_3')).runId,
      's_3',
      "(await resolveSleeveRun(ws, 's', 's_3')).runId",
    );
    await assert.rejects(
      resolveSleeveRun(ws, 's', 's_9'),
      quantError('E_RUN_NOT_FOUND'),
      'resolveSleeveRun rejects with E_RUN_NOT_FOUND',
    );
    await assert.rejects(
      resolveSleeveRun(ws, 'nobody'),
      quantError('E_RUN_NOT_FOUND'),
      'resolveSleeveRun rejects with E_RUN_NOT_FOUND',
    );
  });
});
