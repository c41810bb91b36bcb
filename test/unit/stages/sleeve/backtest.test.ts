import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import {
  readAtomWeights,
  readLedger,
  readPhysicalWeights,
  readSleeveHealth,
  readSleeveStream,
  readTable,
  writeJsonAtomic,
  writeParquetTable,
  type AtomWeight,
  type NumericTable,
  type PhysicalWeight,
} from '../../../../src/artifacts/index.js';
import { MetaProfileSchema } from '../../../../src/manifest/index.js';
import type { ResolvedManifestDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { QuantError } from '../../../../src/errors.js';
import { quantError } from '../../artifacts/_temp.js';
import { MANIFEST, env, runBacktest, sdk, sleeve, sleeveWorkspace } from './_sleeve-workspace.js';
import { writeManifest } from '../../../helpers/sleeve-fixtures.js';
import type { SleeveBacktestValue } from '../../../../src/stages/sleeve/backtest.js';

const PROFILES = ['hrp', 'min_variance', 'equal_weight'];
const COST_RATE = 0.0001 + 0.0005;

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

const column = (t: NumericTable, name: string): Float64Array => {
  const j = t.columns.indexOf(name);
  assert.ok(j >= 0, `column ${name}`);
  return t.values[j] as Float64Array;
};

describe('sleeve.backtest', () => {
  let ws = '';
  let runDir = '';
  let raw: NumericTable;
  before(async () => {
    ws = await sleeveWorkspace();
    const result = await runBacktest(ws, 'swiss_sectors', 'sectors_1');
    runDir = result.runDir;
    raw = await readTable(join(runDir, 'data', 'returns_matrix.parquet'));
  });

  test('writes a complete sleeve run: streams, matrices, weights, stats, run.json', async () => {
    const T = raw.dates.length;
    assert.deepEqual(raw.columns, ['BASI', 'INDU', 'HLTH'], 'raw.columns');
    assert.ok(T > 2000, `${T} return rows`);
    const windows = Math.ceil((T - 252) / 21);
    for (const P of PROFILES) {
      const stream = await readSleeveStream(join(runDir, 'data', 'returns', `${P}.parquet`));
      // step = test_window: the windows tile every row after the first train window exactly once.
      assert.equal(stream.values.length, T - 252, P);
      assert.deepEqual(stream.dates, raw.dates.slice(252), P);
      assert.ok(stream.values.every(Number.isFinite), P);
    }
    const syn = await readTable(join(runDir, 'data', 'synthetic_returns.parquet'));
    assert.deepEqual(syn.columns, ['BASI_LONG', 'INDU_SHORT', 'HLTH_LONG'], 'syn.columns');
    assert.deepEqual(syn.dates, raw.dates, 'syn.dates');
    const indu = column(raw, 'INDU');
    assert.ok(
      column(syn, 'INDU_SHORT').every((s, t) => s === -Math.min(indu[t] as number, 1)),
      'INDU_SHORT = -min(INDU, 1)',
    );
    assert.deepEqual(column(syn, 'BASI_LONG'), column(raw, 'BASI'), "column(syn, 'BASI_LONG')");

    // Equal weight, first held day: from cash (turnover 1) at 1/3 each; the next day the weights have
    // drifted with the synthetic returns.
    const ew = await readSleeveStream(join(runDir, 'data', 'returns', 'equal_weight.parquet'));
    const s = (t: number) => syn.values.map((c) => c[t] as number);
    const day0 = s(252).reduce((a, x) => a + x / 3, 0);
    assert.ok(
      Math.abs((ew.values[0] as number) - (day0 - COST_RATE)) < 1e-15,
      '(ew.values[0]) ≈ (day0 - COST_RATE) within 1e-15',
    );
    const drifted = s(252).map((x) => (1 + x) / 3 / (1 + day0));
    const day1 = s(253).reduce((a, x, i) => a + (drifted[i] as number) * x, 0);
    assert.ok(Math.abs((ew.values[1] as number) - day1) < 1e-15, '(ew.values[1]) ≈ day1 within 1e-15');

    const atoms = await readAtomWeights(runDir);
    const flat = await readPhysicalWeights(runDir);
    if (atoms === null || flat === null) return assert.fail('weights files are missing');
    for (const P of PROFILES) {
      const a: AtomWeight[] = atoms.profiles.get(P) ?? [];
      const f: PhysicalWeight[] = flat.profiles.get(P) ?? [];
      assert.deepEqual(
        a.map((x) => [x.Symbol, x.Physical, x.Direction]),
        [
          ['BASI_LONG', 'BASI', 'LONG'],
          ['INDU_SHORT', 'INDU', 'SHORT'],
          ['HLTH_LONG', 'HLTH', 'LONG'],
        ],
        'a.map((x) => [x.Symbol, x.Physical, x.Direction])',
      );
      assert.ok(Math.abs(a.reduce((sum, x) => sum + x.Weight, 0) - 1) < 1e-12, `${P} Σ atoms`);
      const induFlat = f.find((x) => x.Symbol === 'INDU');
      assert.ok(induFlat !== undefined && induFlat.Net_Weight < 0 && induFlat.Direction === 'SHORT', P);
      assert.equal(induFlat.Weight, -induFlat.Net_Weight, 'induFlat.Weight');
      f.forEach((x, i) => assert.equal(x.Net_Weight, a[i]?.Net_Weight, 'x.Net_Weight'));
    }

    const stats = JSON.parse(readFileSync(join(runDir, 'data', 'run_stats.json'), 'utf8')) as {
      return_rows: number;
      risk_profiles: Record<string, Record<string, number | string | null>>;
    };
    assert.equal(stats.return_rows, T, 'stats.return_rows');
    for (const P of PROFILES) {
      const st = stats.risk_profiles[P] ?? {};
      assert.equal(st['windows'], windows, "st['windows']");
      assert.equal(st['failed_windows'], 0, "st['failed_windows']");
      assert.equal(st['oos_days'], T - 252, "st['oos_days']");
      assert.equal(st['first_date'], raw.dates[252], "st['first_date']");
      for (const k of ['cagr', 'volatility', 'sharpe', 'average_turnover', 'total_cost'])
        assert.equal(typeof st[k], 'number', `${P}.${k}`);
    }
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      [run['kind'], run['profile'], run['status']],
      ['sleeve', 'swiss_sectors', 'success'],
      "[run['kind'], run['profile'], run['status']]",
    );
  });

  test('the ledger has one backtest_optimize outcome per window and risk profile; health reads them', async () => {
    const T = raw.dates.length;
    const windows = Math.ceil((T - 252) / 21);
    const records = (await readLedger(join(runDir, 'audit.jsonl'))).filter(
      (r) => r.step === 'backtest_optimize',
    );
    assert.equal(records.length, windows * PROFILES.length, 'records.length');
    const first = records[0];
    assert.deepEqual(
      first?.context,
      { profile: 'hrp', window: 0, engine: 'metafolio.walk_forward' },
      'first?.context',
    );
    assert.equal(first?.type, 'outcome', 'first?.type');
    assert.equal(first?.status, 'success', 'first?.status');
    assert.deepEqual(
      [first?.data['train_start'], first?.data['test_start'], first?.data['turnover']],
      [raw.dates[0], raw.dates[252], 1],
      "[first?.data['train_start'], first?.data['test_start'], first?.data['…",
    );
    assert.deepEqual(
      PROFILES.map((P) => records.filter((r) => r.context['profile'] === P).length),
      PROFILES.map(() => windows),
      "PROFILES.map((P) => records.filter((r) => r.context['profile'] === P)…",
    );
    const last = records[records.length - 1];
    assert.equal(last?.data['test_end'], raw.dates[T - 1], "last?.data['test_end']");
    const health = await readSleeveHealth(runDir, 'min_variance');
    assert.deepEqual(health, { windows, successes: windows, success_rate: 1, healthy: true }, 'health');
  });

  test('meta.sign_test passes on the run and fails once the synthetic returns are the raw ones', async () => {
    const doc: ResolvedManifestDoc = {
      schema_version: 1,
      root: 'meta_x',
      manifest_file: 'manifest.json',
      manifest_sha256: '0'.repeat(64),
      risk_profiles: PROFILES,
      risk_profiles_source: 'declared',
      profiles: {
        meta_x: MetaProfileSchema.parse({ sleeves: [{ id: 'sectors', profile: 'swiss_sectors' }] }),
      },
      sleeves: [
        {
          path: ['sectors'],
          id: 'sectors',
          profile: 'swiss_sectors',
          run_id: 'sectors_1',
          pinned: true,
          layout: 'native',
        },
      ],
    };
    await writeJsonAtomic(join(ws, 'runs', 'meta_1', 'config', 'resolved_manifest.json'), doc);
    const signTest = () =>
      sdk.runStage<{ errors: number; warnings: number }>(
        'meta.sign_test',
        { meta_profile: 'meta_x' },
        { workspace: ws, runId: 'meta_1', env },
      );
    const ok = await signTest();
    assert.deepEqual([ok.value.errors, ok.value.warnings], [0, 0], '[ok.value.errors, ok.value.warnings]');

    const sabotaged: NumericTable = { ...raw, columns: ['BASI_LONG', 'INDU_SHORT', 'HLTH_LONG'] };
    await writeParquetTable(join(runDir, 'data', 'synthetic_returns.parquet'), sabotaged);
    await assert.rejects(
      signTest(),
      quantError(
        'E_SIGN_TEST',
        /SIGNTEST_SHORT_NOT_INVERTED in run sectors_1 \(INDU_SHORT\): .*not inverted/,
      ),
      'signTest rejects with E_SIGN_TEST',
    );
  });

  test('two runs with the same SOURCE_DATE_EPOCH and run id write byte-identical files', async () => {
    const [a, b] = [await sleeveWorkspace(), await sleeveWorkspace()];
    await runBacktest(a, 'swiss_sectors', 'same_1');
    await runBacktest(b, 'swiss_sectors', 'same_1');
    const dirA = join(a, 'runs', 'same_1');
    const dirB = join(b, 'runs', 'same_1');
    const files = listFiles(dirA);
    assert.deepEqual(files, listFiles(dirB), 'files');
    assert.ok(
      files.includes('audit.jsonl') && files.includes('data/returns/hrp.parquet'),
      "files.includes('audit.jsonl') && files.includes('data/returns/hrp.par…",
    );
    for (const f of files) assert.ok(readFileSync(join(dirA, f)).equals(readFileSync(join(dirB, f))), f);
  });

  test('errors: unknown or meta profile, missing asset column, too short a history', async () => {
    const w = await sleeveWorkspace();
    await assert.rejects(
      runBacktest(w, 'nope', 'e1'),
      quantError('E_UNKNOWN_PROFILE', /"nope" is not in/),
      'runBacktest rejects with E_UNKNOWN_PROFILE',
    );
    await assert.rejects(
      runBacktest(w, 'meta_x', 'e2'),
      quantError('E_UNKNOWN_PROFILE', /"meta_x" is a meta profile/),
      'runBacktest rejects with E_UNKNOWN_PROFILE',
    );
    await assert.rejects(
      runBacktest(w, 'bad_column', 'e3'),
      quantError('E_INPUT_COLUMN', /asset "NOPE" is not a column of/),
      'runBacktest rejects with E_INPUT_COLUMN',
    );
    await assert.rejects(
      runBacktest(w, 'short_history', 'e4'),
      (error: unknown) =>
        quantError(
          'E_TOO_FEW_OBSERVATIONS',
          /sleeve profile "short_history": .* gives \d+ complete return row\(s\), but train_window 5000 needs at least 5001/,
        )(error) && (error as { details: Record<string, unknown> }).details['train_window'] === 5000,
      'runBacktest rejects with E_TOO_FEW_OBSERVATIONS',
    );
    assert.equal(
      existsSync(join(w, 'runs', 'e4', 'data', 'returns')),
      false,
      'runs/e4/data/returns does not exist',
    );
  });

  test('a late-listed asset leaving too few rows: E_TOO_FEW_OBSERVATIONS names it, not the history', async () => {
    const w = await sleeveWorkspace();
    const lines = readFileSync(join(w, 'data', 'spisector_prices.csv'), 'utf8')
      .trim()
      .split('\n');
    // NEWCO has prices for the last 60 rows only: drop_rows keeps 59 returns of a 2,216-row file.
    const withNew = lines.map((line, i) =>
      i === 0 ? `${line},NEWCO` : `${line},${i > lines.length - 61 ? String(10 + i / 1000) : ''}`,
    );
    writeFileSync(join(w, 'data', 'late.csv'), withNew.join('\n') + '\n');
    await writeManifest(w, {
      profiles: {
        late: sleeve({ prices: 'data/late.csv', assets: ['BASI', 'INDU', 'NEWCO'], train_window: 120 }),
      },
    });
    await assert.rejects(
      runBacktest(w, 'late', 'e_late'),
      (error: unknown) =>
        quantError(
          'E_TOO_FEW_OBSERVATIONS',
          /gives 59 complete return row\(s\), but train_window 120 .*; 2156 of 2216 rows were dropped for missing values \(missing=drop_rows\), responsible: NEWCO 2156 rows \(first value \d{4}-\d\d-\d\d\)/,
        )(error) &&
        /profiles\.late\.sleeve\.missing = "drop_assets" or remove NEWCO(, BASI)? from profiles\.late\.sleeve\.assets/.test(
          (error as QuantError).hint ?? '',
        ),
      'the message names NEWCO and its first value; the hint says drop_assets or remove it',
    );
  });

  test('step longer than test_window: E_MANIFEST at profiles.S.sleeve.step, no run folder', async () => {
    const w = await sleeveWorkspace();
    await writeManifest(w, {
      profiles: { ...MANIFEST.profiles, gapped: sleeve({ test_window: 5, step: 10 }) },
    });
    const error = await runBacktest(w, 'gapped', 'g1').catch((e: unknown) => e);
    assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
    assert.equal(error.code, 'E_MANIFEST', error.oneLine());
    const issue = error.issues.find((i) => i.path.endsWith('profiles.gapped.sleeve.step'));
    assert.ok(issue !== undefined, `an issue at step: ${JSON.stringify(error.issues)}`);
    assert.match(
      issue.message,
      /^10 is longer than test_window 5: the windows would leave step − test_window = 5 days of every step out of the stream .*; set step ≤ test_window$/,
      issue.message,
    );
    assert.equal(existsSync(join(w, 'runs', 'g1')), false, 'no run folder was written');
  });

  test('an invalid profile of the manifest blocks only its own runs; the others warn', async () => {
    const w = await sleeveWorkspace();
    await writeManifest(w, {
      profiles: { ...MANIFEST.profiles, broken: sleeve({ train_window: 10, costs: { fee: 1 } }) },
    });
    const warnings: string[] = [];
    const ok = await sdk.runStage<SleeveBacktestValue>(
      'sleeve.backtest',
      { profile: 'swiss_sectors' },
      {
        workspace: w,
        runId: 'w1',
        manifest: join(w, 'manifest.json'),
        env,
        onWarning: (m) => warnings.push(m),
      },
    );
    assert.equal(ok.runId, 'w1', 'ok.runId');
    assert.equal(warnings.length, 1, 'one warning for the one invalid profile');
    assert.match(
      warnings[0] ?? '',
      /manifest\.json: profile broken is invalid and was skipped; .*\(2 problems: .*profiles\.broken\.sleeve\.train_window \(line \d+\): must be ≥ 20, got 10; .*profiles\.broken\.sleeve\.costs\.fee/,
      "warnings[0] ?? '' matches /manifest\\.json: profile broken is invalid and was skipped;…",
    );
    await assert.rejects(
      runBacktest(w, 'broken', 'w2'),
      (error: unknown) =>
        quantError('E_MANIFEST', /profile broken is invalid: 2 problems: /)(error) &&
        (error as { issues: { path: string }[] }).issues.length === 2,
      'runBacktest rejects with E_MANIFEST',
    );
  });

  test('9 sectors x 6 risk profiles (timing)', async (t) => {
    const w = await sleeveWorkspace();
    const started = performance.now();
    const result = await runBacktest(w, 'all_sectors', 'all_1');
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(
      `sleeve.backtest on 9 assets x ${result.value.windows} windows x 6 risk profiles: ${seconds.toFixed(2)} s`,
    );
    const outcomes = (await readLedger(join(result.runDir, 'audit.jsonl'))).filter(
      (r) => r.step === 'backtest_optimize',
    );
    assert.equal(outcomes.length, result.value.windows * 6, 'outcomes.length');
    assert.equal(
      Object.keys(result.value.risk_profiles).length,
      6,
      'Object.keys(result.value.risk_profiles).length',
    );
    assert.ok(seconds < 30, `${seconds} s`);
  });
});
