import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeJsonAtomic, type PhysicalWeight } from '../../../../src/artifacts/index.js';
import { createRegistry } from '../../../../src/core/registry.js';
import { QuantError } from '../../../../src/errors.js';
import { MetaProfileSchema } from '../../../../src/manifest/index.js';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { builtinStages } from '../../../../src/stages/catalog.js';
import type { ResolvedManifestDoc, SignTestDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { metaSignTest } from '../../../../src/stages/meta/sign-test.js';
import { businessDays, randomReturns, writeSleeveRun } from '../../../helpers/sleeve-fixtures.js';
import { quantError, tempDir } from '../../artifacts/_temp.js';
import { copyPredecessorRuns } from '../../../helpers/predecessor.js';

// The catalog may list meta.sign_test already; never register it twice.
const stages = builtinStages.some((s) => s.id === metaSignTest.id)
  ? builtinStages
  : [...builtinStages, metaSignTest];
const sdk = new QuantSDK({ registry: createRegistry(stages) });
const env = { SOURCE_DATE_EPOCH: '1717200000' };

const ES = 'CME_MINI:ES1!';
const SHORT_ATOM = `${ES}_trend_SHORT`;
const LONG_ATOM = 'SPY_carry_LONG';
const dates = businessDays('2024-01-01', 60);
const es = Array.from(randomReturns(11, 60, { vol: 0.02 }));
es[5] = 1.5; // a +150 % day: the synthetic long of the short is capped at a −100 % loss
const spy = Array.from(randomReturns(12, 60));
const inverted = (xs: readonly number[]): number[] => xs.map((r) => -Math.min(r, 1));

interface Sabotage {
  readonly shortSynthetic?: number[];
  readonly longSynthetic?: number[];
  readonly esNetHrp?: number;
  readonly extraAtom?: boolean;
}

/** A workspace with two sleeve runs (a: full sign-test inputs, b: none) and a meta run's resolved manifest. */
async function workspace(sabotage: Sabotage = {}, withResolved = true): Promise<string> {
  const ws = tempDir('mf-signtest-');
  const atoms = [
    { Symbol: SHORT_ATOM, Weight: 0.4 },
    { Symbol: LONG_ATOM, Weight: 0.6 },
    ...(sabotage.extraAtom === true ? [{ Symbol: 'GLD_LONG', Weight: 0 }] : []),
  ];
  const weights = (esNet: number): PhysicalWeight[] => [
    { Symbol: ES, Weight: Math.abs(esNet), Net_Weight: esNet, Direction: esNet < 0 ? 'SHORT' : 'LONG' },
    { Symbol: 'SPY', Weight: 0.6, Net_Weight: 0.6, Direction: 'LONG' },
  ];
  await writeSleeveRun(ws, {
    runId: 'sleeve_a_1',
    profile: 'sleeve_a',
    atoms: { hrp: atoms, min_variance: atoms },
    weights: { hrp: weights(sabotage.esNetHrp ?? -0.4), min_variance: weights(-0.4) },
    returnsMatrix: { dates, columns: { [ES]: es, SPY: spy } },
    syntheticReturns: {
      dates,
      columns: {
        [SHORT_ATOM]: sabotage.shortSynthetic ?? inverted(es),
        [LONG_ATOM]: sabotage.longSynthetic ?? spy,
        ...(sabotage.extraAtom === true ? { GLD_LONG: spy } : {}),
      },
    },
  });
  await writeSleeveRun(ws, {
    runId: 'sleeve_b_1',
    profile: 'sleeve_b',
    streams: { hrp: { dates, returns: spy } },
  });
  if (withResolved) {
    const doc: ResolvedManifestDoc = {
      schema_version: 1,
      root: 'meta_x',
      manifest_file: 'manifest.json',
      manifest_sha256: '0'.repeat(64),
      risk_profiles: ['hrp', 'min_variance'],
      risk_profiles_source: 'declared',
      profiles: {
        meta_x: MetaProfileSchema.parse({
          sleeves: [
            { id: 'a', profile: 'sleeve_a' },
            { id: 'b', profile: 'sleeve_b' },
          ],
          risk_profiles: ['hrp', 'min_variance'],
        }),
      },
      sleeves: [
        { path: ['a'], id: 'a', profile: 'sleeve_a', run_id: 'sleeve_a_1', pinned: false, layout: 'native' },
        { path: ['b'], id: 'b', profile: 'sleeve_b', run_id: 'sleeve_b_1', pinned: false, layout: 'native' },
      ],
    };
    await writeJsonAtomic(join(ws, 'runs', 'meta_1', 'config', 'resolved_manifest.json'), doc);
  }
  return ws;
}

const run = (ws: string) =>
  sdk.runStage<{ errors: number; warnings: number }>(
    'meta.sign_test',
    { meta_profile: 'meta_x' },
    { workspace: ws, runId: 'meta_1', env },
  );
const readDoc = (ws: string): SignTestDoc =>
  JSON.parse(
    readFileSync(join(ws, 'runs', 'meta_1', 'data', 'directional_sign_test.json'), 'utf8'),
  ) as SignTestDoc;

/** Run the stage, expect E_SIGN_TEST, and return the findings file. */
async function expectFailure(ws: string, re: RegExp): Promise<SignTestDoc> {
  await assert.rejects(run(ws), quantError('E_SIGN_TEST', re), 'run rejects with E_SIGN_TEST');
  return readDoc(ws);
}

describe('meta.sign_test', () => {
  test('passes on a correct sleeve: SHORT inverted with the -100 % cap, LONG raw, negative net; a sleeve without inputs is a warning', async () => {
    const ws = await workspace();
    const result = await run(ws);
    assert.equal(result.value.errors, 0, 'result.value.errors');
    assert.equal(result.value.warnings, 1, 'result.value.warnings');
    assert.deepEqual(
      readDoc(ws),
      {
        schema_version: 1,
        errors: 0,
        warnings: 1,
        findings: [
          {
            level: 'WARNING',
            code: 'SIGNTEST_INPUT_MISSING',
            run_id: 'sleeve_b_1',
            symbol: null,
            message:
              'run sleeve_b_1 has no data/portfolio_optimized_v2.json: the sign test cannot run for this sleeve',
          },
        ],
      },
      'readDoc(ws)',
    );
    const inputs = result.inputs.map((f) => f.path);
    for (const f of [
      'returns_matrix.parquet',
      'synthetic_returns.parquet',
      'portfolio_optimized_v2.json',
      'portfolio_flattened.json',
    ])
      assert.ok(inputs.includes(`runs/sleeve_a_1/data/${f}`), f);
    assert.ok(
      inputs.includes('runs/meta_1/config/resolved_manifest.json'),
      "inputs includes 'runs/meta_1/config/resolved_manifest.json'",
    );
    assert.deepEqual(
      result.outputs.map((f) => f.path),
      ['runs/meta_1/data/directional_sign_test.json'],
      'result.outputs.map((f) => f.path)',
    );
  });

  test('fails when a SHORT atom was optimised on its raw returns (first bad date named)', async () => {
    const doc = await expectFailure(
      await workspace({ shortSynthetic: es }),
      /1 error\(s\): SIGNTEST_SHORT_NOT_INVERTED in run sleeve_a_1 \(CME_MINI:ES1!_trend_SHORT\): .*not inverted, first on 2024-01-01/,
    );
    assert.equal(doc.errors, 1, 'doc.errors');
    assert.deepEqual(
      doc.findings.map((f) => [f.level, f.code, f.run_id, f.symbol]),
      [
        ['ERROR', 'SIGNTEST_SHORT_NOT_INVERTED', 'sleeve_a_1', SHORT_ATOM],
        ['WARNING', 'SIGNTEST_INPUT_MISSING', 'sleeve_b_1', null],
      ],
      'doc.findings.map((f) => [f.level, f.code, f.run_id, f.symbol])',
    );
  });

  test('an inversion without the min(r, 1) cap fails on the +150 % day only', async () => {
    const doc = await expectFailure(
      await workspace({ shortSynthetic: es.map((r) => -r) }),
      /SIGNTEST_SHORT_NOT_INVERTED/,
    );
    assert.match(
      doc.findings[0]?.message ?? '',
      new RegExp(`differ from -min\\(raw, 1\\), first on ${dates[5]} \\(raw 1.5, synthetic -1.5\\)`),
      "doc.findings[0]?.message ?? '' matches new RegExp(`differ from -min\\\\(raw, 1\\\\), first on ${dates[…",
    );
  });

  test('fails when a LONG atom was inverted', async () => {
    const doc = await expectFailure(
      await workspace({ longSynthetic: inverted(spy) }),
      /SIGNTEST_LONG_INVERTED in run sleeve_a_1 \(SPY_carry_LONG\)/,
    );
    assert.equal(doc.errors, 1, 'doc.errors');
  });

  test('fails when the physical asset of a SHORT atom is net long in portfolio_flattened.json', async () => {
    const ws = await workspace({ esNetHrp: 0.4 });
    // Only hrp is wrong: restricted to min_variance, the same sleeve passes.
    const other = await sdk.runStage<{ errors: number }>(
      'meta.sign_test',
      { meta_profile: 'meta_x', risk_profiles: ['min_variance'] },
      { workspace: ws, runId: 'meta_1', env },
    );
    assert.equal(other.value.errors, 0, 'other.value.errors');
    const doc = await expectFailure(ws, /SIGNTEST_SIGN_MISMATCH in run sleeve_a_1 \(CME_MINI:ES1!\): hrp: /);
    assert.deepEqual(
      doc.findings.filter((f) => f.level === 'ERROR').map((f) => f.message),
      [
        `hrp: ${ES} has Net_Weight 0.4 in data/portfolio_flattened.json but its atoms (${SHORT_ATOM}) net to -0.4 (all SHORT)`,
      ],
      "doc.findings.filter((f) => f.level === 'ERROR').map((f) => f.message)",
    );
  });

  test('an atom whose physical asset is not in the raw matrix is a warning; the artifact is byte-identical across runs', async () => {
    const ws = await workspace({ extraAtom: true });
    const first = await run(ws);
    assert.equal(first.value.errors, 0, 'first.value.errors');
    const doc = readDoc(ws);
    assert.deepEqual(
      doc.findings.map((f) => [f.code, f.symbol]),
      [
        ['SIGNTEST_PHYSICAL_MISSING', 'GLD_LONG'],
        ['SIGNTEST_INPUT_MISSING', null],
      ],
      'doc.findings.map((f) => [f.code, f.symbol])',
    );
    const bytes = readFileSync(join(ws, 'runs', 'meta_1', 'data', 'directional_sign_test.json'));
    await run(ws);
    assert.ok(
      bytes.equals(readFileSync(join(ws, 'runs', 'meta_1', 'data', 'directional_sign_test.json'))),
      "bytes.equals(readFileSync(join(ws, 'runs', 'meta_1', 'data', 'directi…",
    );
  });

  test('without config/resolved_manifest.json the stage resolves the sleeves from the manifest (none here: coded error)', async () => {
    const ws = await workspace({}, false);
    await assert.rejects(
      run(ws),
      (error: unknown) => {
        assert.ok(error instanceof QuantError, 'error is a QuantError');
        assert.equal(error.code, 'E_MANIFEST_NOT_FOUND', 'error.code');
        assert.match(error.message, /manifest\.json/, 'error.message matches /manifest\\.json/');
        return true;
      },
      'run rejects with E_MANIFEST_NOT_FOUND',
    );
  });
});

/** A meta run `meta_p` over predecessor sleeve runs copied from test/fixtures/predecessor/. */
async function predecessorWorkspace(runIds: readonly string[]): Promise<string> {
  const ws = copyPredecessorRuns(tempDir('mf-signtest-pred-'), runIds);
  const doc: ResolvedManifestDoc = {
    schema_version: 1,
    root: 'meta_p',
    manifest_file: 'manifest.json',
    manifest_sha256: '0'.repeat(64),
    risk_profiles: ['hrp', 'min_variance'],
    risk_profiles_source: 'declared',
    profiles: {
      meta_p: MetaProfileSchema.parse({
        sleeves: runIds.map((id) => ({ id, profile: 'p', run_id: id })),
        risk_profiles: ['hrp', 'min_variance'],
      }),
    },
    sleeves: runIds.map((id) => ({
      path: [id],
      id,
      profile: 'p',
      run_id: id,
      pinned: true,
      layout: 'legacy',
    })),
  };
  await writeJsonAtomic(join(ws, 'runs', 'meta_p', 'config', 'resolved_manifest.json'), doc);
  return ws;
}

const runPredecessor = (ws: string) =>
  sdk.runStage<{ errors: number; warnings: number }>(
    'meta.sign_test',
    { meta_profile: 'meta_p' },
    { workspace: ws, runId: 'meta_p', env },
  );

describe('meta.sign_test on predecessor sleeves (SHORT atoms: Direction LONG, _SHORT suffix, weight ≥ 0)', () => {
  test('a correct predecessor sleeve passes: no false error on its synthetic-long SHORT atoms', async () => {
    const ws = await predecessorWorkspace(['rerun_v3_short_all', 'rerun_v3_ma_short', 'rerun_v3_long_all']);
    const result = await runPredecessor(ws);
    assert.equal(result.value.errors, 0, 'no error on correctly inverted SHORT atoms');
    assert.equal(result.value.warnings, 0, 'every atom was checked against its physical asset');
  });

  test('an uninverted predecessor sleeve fails with SIGNTEST_SHORT_NOT_INVERTED on each SHORT atom', async () => {
    const ws = await predecessorWorkspace(['short_all_uninverted']);
    await assert.rejects(
      runPredecessor(ws),
      quantError(
        'E_SIGN_TEST',
        /SIGNTEST_SHORT_NOT_INVERTED in run short_all_uninverted \(BINANCE:ADAUSDT_rating_all_short_SHORT\): SHORT atom .* was optimised on its raw returns, not inverted/,
      ),
      'runPredecessor rejects with E_SIGN_TEST',
    );
    const doc = JSON.parse(
      readFileSync(join(ws, 'runs', 'meta_p', 'data', 'directional_sign_test.json'), 'utf8'),
    ) as SignTestDoc;
    assert.deepEqual(
      doc.findings.map((f) => [f.level, f.code, f.symbol]),
      [
        ['ERROR', 'SIGNTEST_SHORT_NOT_INVERTED', 'BINANCE:ADAUSDT_rating_all_short_SHORT'],
        ['ERROR', 'SIGNTEST_SHORT_NOT_INVERTED', 'BINANCE:ETHUSDT_rating_all_short_SHORT'],
        ['ERROR', 'SIGNTEST_SHORT_NOT_INVERTED', 'BINANCE:XRPUSDT_rating_all_short_SHORT'],
      ],
      'doc.findings.map((f) => [f.level, f.code, f.symbol])',
    );
  });
});
