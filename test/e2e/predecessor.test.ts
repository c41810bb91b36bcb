// The predecessor's runs and manifest as first-class inputs, through the built CLI: `quant manifest
// migrate` on its configs/manifest.json, then meta runs over its run folders (test/fixtures/predecessor/,
// files as the predecessor writes them) — health from its `type: "action"` records of the stream's
// engine, the sign-test gate on its synthetic-long SHORT atoms, a risk profile missing from a flattened
// file, "latest" by replay timestamp, and an invalid profile that blocks only its own runs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { quant, tempDir } from '../helpers/cli.js';
import { CRYPTO_ONLY_RUNS, PREDECESSOR_MANIFEST, copyPredecessorRuns } from '../helpers/predecessor.js';

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

interface Change {
  path: string;
  action: string;
  detail: string;
}

describe('quant manifest migrate', () => {
  let ws: { path: string; cleanup(): void };
  before(() => {
    ws = tempDir('quant-migrate-');
  });
  after(() => ws.cleanup());

  test('writes a manifest that loads, and lists every drop and change with its JSON path', () => {
    const out = join(ws.path, 'migrated.json');
    const r = quant(['manifest', 'migrate', PREDECESSOR_MANIFEST, '--output', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      meta_profiles: string[];
      changes: Change[];
      invalid: { profile: string; problems: { path: string; line: number; message: string }[] }[];
    };
    const byPath = new Map(report.changes.map((c) => [c.path, c]));
    const expect = (path: string, action: string, detail: RegExp): void => {
      const c = byPath.get(path);
      assert.ok(c !== undefined, `${path} is reported`);
      assert.equal(c.action, action, path);
      assert.match(c.detail, detail, path);
    };
    expect('default_profile', 'dropped', /no default profile/);
    expect('defaults', 'dropped', /settings/);
    expect('pipelines', 'dropped', /built in/);
    expect('profiles.production', 'dropped', /alias of "production_2026_q1"/);
    expect('profiles.binance_spot_rating_all_long', 'dropped', /predecessor sleeve profile/);
    expect('profiles.meta_crypto_only.meta_allocation.engine', 'dropped', /was "custom"/);
    expect('profiles.meta_crypto_only.meta_allocation.profile', 'dropped', /philosophy-matched.*was "hrp"/);
    expect(
      'profiles.meta_crypto_only.features.feat_directional_sign_test_gate',
      'changed',
      /directional_sign_test_gate \(true\)/,
    );
    expect('profiles.meta_crypto_only.features.feat_audit_ledger', 'dropped', /no such metafolio feature/);
    expect('profiles.meta_crypto_only_ray.sleeves[0].run_id', 'dropped', /"" pins nothing/);
    expect(
      'profiles.meta_fractal_test.sleeves[0].meta_profile',
      'changed',
      /"meta_crypto" is an alias: now "meta_crypto_only"/,
    );
    expect('profiles.meta_fractal_test.sleeves[1].profile', 'kept', /alias of "production_2026_q1"/);
    assert.deepEqual(
      report.meta_profiles,
      ['meta_crypto_only', 'meta_crypto_only_ray', 'meta_fractal_test'],
      'report.meta_profiles',
    );
    // The profile whose bounds are infeasible is written, flagged, and blocks only its own runs.
    assert.deepEqual(
      report.invalid.map((i) => [i.profile, i.problems.map((p) => p.path)]),
      [['meta_benchmark_tight', ['profiles.meta_benchmark_tight.meta_allocation.min_weight']]],
      'report.invalid.map((i) => [i.profile, i.problems.map((p) => p.path)])',
    );
    assert.match(
      r.stderr,
      /warning: .*migrated\.json: profile meta_benchmark_tight is still invalid \(1 problem\)/,
      'r.stderr matches /warning: .*migrated\\.json: profile meta_benchmark_tight is…',
    );
    const written = json<{ profiles: Record<string, Record<string, unknown>> }>(out);
    assert.deepEqual(Object.keys(written), ['profiles'], 'only metafolio root keys remain');
    assert.deepEqual(
      written.profiles['meta_crypto_only']?.['features'],
      {
        directional_sign_test_gate: true,
      },
      "written.profiles['meta_crypto_only']?.['features']",
    );
    assert.deepEqual(
      written.profiles['meta_crypto_only']?.['meta_allocation'],
      {
        min_weight: 0.05,
        max_weight: 0.5,
      },
      "written.profiles['meta_crypto_only']?.['meta_allocation']",
    );
    assert.deepEqual(
      (written.profiles['meta_crypto_only_ray']?.['sleeves'] as Record<string, unknown>[]).map(
        (s) => s['run_id'],
      ),
      [undefined, undefined],
      "(written.profiles['meta_crypto_only_ray']?.['sleeves'] as Record<stri…",
    );
  });

  test('the human report: one line per change, each invalid problem with its output line, a summary', () => {
    const out = join(ws.path, 'human.json');
    const r = quant(['manifest', 'migrate', PREDECESSOR_MANIFEST, '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(
      lines[0] ?? '',
      /^dropped {2}default_profile {2,}metafolio has no default profile/,
      "lines[0] ?? '' matches /^dropped {2}default_profile {2,}metafolio has no default p…",
    );
    const line =
      readFileSync(out, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('"min_weight": 0.6')) + 1;
    assert.ok(
      lines.some(
        (l) =>
          l.startsWith(`invalid  profiles.meta_benchmark_tight.meta_allocation.min_weight (`) &&
          l.includes(`human.json:${line}): infeasible bounds`),
      ),
      `the invalid bound is reported at line ${line} of the output`,
    );
    assert.match(
      lines[lines.length - 1] ?? '',
      /^wrote .*human\.json: 3 meta profile\(s\), 0 sleeve profile\(s\); 21 dropped, 2 changed, 1 kept with a note; 1 profile\(s\) still invalid \(meta_benchmark_tight\)$/,
      "lines[lines.length - 1] ?? '' matches /^wrote .*human\\.json: 3 meta profile\\(s\\), 0 sleeve profil…",
    );
  });

  test('never overwrites without --force; --force replaces atomically; bad input is one coded line', () => {
    const out = join(ws.path, 'existing.json');
    writeFileSync(out, '{"profiles": {}}\n');
    const refused = quant(['manifest', 'migrate', PREDECESSOR_MANIFEST, '--output', out]);
    assert.equal(refused.code, 1, `exit code (stderr: ${refused.stderr})`);
    assert.match(
      refused.stderr,
      /^E_OUTPUT_EXISTS: .*existing\.json already exists — pass --force to replace it/,
      'refused.stderr names E_OUTPUT_EXISTS',
    );
    assert.equal(readFileSync(out, 'utf8'), '{"profiles": {}}\n', 'the existing file is untouched');
    const forced = quant(['manifest', 'migrate', PREDECESSOR_MANIFEST, '--output', out, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(Object.hasOwn(json<{ profiles: object }>(out).profiles, 'meta_crypto_only'), 'replaced');

    const missing = quant([
      'manifest',
      'migrate',
      join(ws.path, 'nope.json'),
      '--output',
      join(ws.path, 'x.json'),
    ]);
    assert.equal(missing.code, 1, `exit code (stderr: ${missing.stderr})`);
    assert.match(
      missing.stderr,
      /^E_INPUT_NOT_FOUND: predecessor manifest .*nope\.json does not exist/,
      'missing.stderr names E_INPUT_NOT_FOUND',
    );
    const broken = join(ws.path, 'broken.json');
    writeFileSync(broken, '{\n  "profiles": {\n    "a": 1,\n  }\n}\n');
    const notJson = quant(['manifest', 'migrate', broken, '--output', join(ws.path, 'y.json')]);
    assert.equal(notJson.code, 1, `exit code (stderr: ${notJson.stderr})`);
    assert.match(
      notJson.stderr,
      /^E_MANIFEST: .*broken\.json is not valid JSON: trailing comma .*broken\.json:4 column 3/,
      'notJson.stderr names E_MANIFEST',
    );
    assert.equal(
      existsSync(join(ws.path, 'x.json')) || existsSync(join(ws.path, 'y.json')),
      false,
      'nothing written',
    );
  });
});

describe('meta runs over predecessor run folders', () => {
  let ws: { path: string; cleanup(): void };
  const run = (profile: string, runId: string, ...extra: string[]): ReturnType<typeof quant> =>
    quant([
      'meta',
      'run',
      '--profile',
      profile,
      '--run-id',
      runId,
      '--no-cache',
      '--no-backtest',
      '--workspace',
      ws.path,
      ...extra,
    ]);
  const data = (runId: string, file: string): string => join(ws.path, 'runs', runId, 'data', file);

  before(() => {
    ws = tempDir('quant-predecessor-');
    copyPredecessorRuns(ws.path, [
      ...CRYPTO_ONLY_RUNS,
      'sick_ma_long',
      'ma_short_no_minvar',
      'short_all_uninverted',
      'a_long_all_20260112',
      'z_long_all_no_timestamp',
    ]);
    const migrated = quant(['manifest', 'migrate', PREDECESSOR_MANIFEST, '--workspace', ws.path]);
    assert.equal(migrated.code, 0, migrated.stderr);
    // Profiles over the fixture runs that test one convention each (native format: written by hand).
    const file = join(ws.path, 'manifest.json');
    const manifest = json<{ profiles: Record<string, unknown> }>(file);
    const pinned = (id: string, profile: string, runId: string) => ({ id, profile, run_id: runId });
    manifest.profiles['meta_sick'] = {
      sleeves: [
        pinned('long_all', 'binance_spot_rating_all_long', 'rerun_v3_long_all'),
        pinned('ma_long', 'binance_spot_rating_ma_long', 'sick_ma_long'),
        pinned('short_all', 'binance_spot_rating_all_short', 'rerun_v3_short_all'),
      ],
    };
    manifest.profiles['meta_no_minvar'] = {
      sleeves: [
        pinned('long_all', 'binance_spot_rating_all_long', 'rerun_v3_long_all'),
        pinned('ma_short', 'binance_spot_rating_ma_short', 'ma_short_no_minvar'),
      ],
    };
    manifest.profiles['meta_uninverted'] = {
      sleeves: [
        pinned('long_all', 'binance_spot_rating_all_long', 'rerun_v3_long_all'),
        pinned('short_all', 'binance_spot_rating_all_short', 'short_all_uninverted'),
      ],
      features: { directional_sign_test_gate: true },
    };
    writeFileSync(file, JSON.stringify(manifest, null, 2));
  });
  after(() => ws.cleanup());

  test('the migrated meta profile runs end to end: gate passes, health by engine, a recorded atoms fallback, validate passes', () => {
    const r = run('meta_crypto_only', 'crypto_1');
    assert.equal(r.code, 0, r.stderr);
    // The invalid profile it does not use is a warning, once.
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(
      warnings[0] ?? '',
      /manifest\.json: profile meta_benchmark_tight is invalid and was skipped; .*meta_allocation\.min_weight \(line \d+\): infeasible bounds/,
      "warnings[0] ?? '' matches /manifest\\.json: profile meta_benchmark_tight is invalid an…",
    );

    const sign = json<{ errors: number; warnings: number }>(data('crypto_1', 'directional_sign_test.json'));
    assert.deepEqual([sign.errors, sign.warnings], [0, 0], 'no false error on synthetic-long SHORT atoms');

    const manifest = json<{
      included: { id: string; health: Record<string, unknown> }[];
      excluded: unknown[];
    }>(data('crypto_1', 'meta_manifest_meta_crypto_only_hrp.json'));
    // long_all: custom 4/4 counted; the skfolio engine's 1/4 on hrp is another stream's health.
    assert.deepEqual(manifest.excluded, [], 'manifest.excluded');
    assert.deepEqual(
      manifest.included.find((s) => s.id === 'long_all')?.health,
      {
        windows: 4,
        successes: 4,
        success_rate: 1,
        healthy: true,
        engine: 'custom',
      },
      "manifest.included.find((s) => s.id === 'long_all')?.health",
    );

    // ma_long's flattened file has no min_variance: derived from its atoms, recorded in the artifact and ledger.
    const flat = json<{
      assets: { Symbol: string; Net_Weight: number; Contributors: Record<string, number> }[];
      weights_fallbacks: { path: string; run_id: string; to: string }[];
    }>(data('crypto_1', 'portfolio_optimized_meta_meta_crypto_only_min_variance.json'));
    assert.deepEqual(
      flat.weights_fallbacks.map((f) => [f.path, f.run_id, f.to]),
      [['ma_long', 'rerun_v3_ma_long', 'data/portfolio_optimized_v2.json']],
      'flat.weights_fallbacks.map((f) => [f.path, f.run_id, f.to])',
    );
    const weights = json<{ weights: Record<string, number> }>(
      data('crypto_1', 'meta_optimized_meta_crypto_only_min_variance.json'),
    ).weights;
    const btc = flat.assets.find((a) => a.Symbol === 'BINANCE:BTCUSDT');
    assert.ok(
      Math.abs((btc?.Contributors['ma_long'] ?? NaN) - (weights['ma_long'] ?? NaN) * 0.65) < 1e-15,
      'ma_long contributes its atoms’ BTC weight 0.65 × its sleeve weight',
    );
    // SHORT atoms are short exposure: ETH is held long by long_all and short by short_all.
    const eth = flat.assets.find((a) => a.Symbol === 'BINANCE:ETHUSDT');
    assert.ok(
      Math.abs((eth?.Contributors['short_all'] ?? NaN) + (weights['short_all'] ?? NaN) * 0.6) < 1e-15,
      'short_all contributes −0.6 × its weight to ETH',
    );
    const xrp = flat.assets.find((a) => a.Symbol === 'BINANCE:XRPUSDT');
    assert.ok((xrp?.Net_Weight ?? 0) < 0, 'XRP, held only by SHORT atoms, is net short');
    const ledger = readFileSync(join(ws.path, 'runs', 'crypto_1', 'audit.jsonl'), 'utf8');
    assert.match(
      ledger,
      /"step":"meta\.flatten_fallback"[^\n]*"risk_profile":"min_variance"[^\n]*"sleeve":"ma_long"/,
      'ledger matches /"step":"meta\\.flatten_fallback"[^\\n]*"risk_profile":"min_v…',
    );

    const v = quant(['meta', 'validate', '--run-id', 'crypto_1', '--workspace', ws.path]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(
      v.stdout,
      /pass {2}data\/portfolio_optimized_meta_meta_crypto_only_min_variance\.json: \d+ assets, .*1 sleeve\(s\) flattened from their atoms file \(recorded\)/,
      'v.stdout matches /pass {2}data\\/portfolio_optimized_meta_meta_crypto_only_mi…',
    );
  });

  test('validate fails a flattened portfolio with an unrecorded fallback, or with no asset at all', () => {
    const file = data('crypto_1', 'portfolio_optimized_meta_meta_crypto_only_hrp.json');
    const original = readFileSync(file, 'utf8');
    try {
      const doc = JSON.parse(original) as Record<string, unknown>;
      doc['weights_fallbacks'] = [
        { path: 'long_all', run_id: 'rerun_v3_long_all', from: 'a', to: 'b', reason: 'r', symbols: 1 },
      ];
      writeFileSync(file, JSON.stringify(doc));
      const unrecorded = quant(['meta', 'validate', '--run-id', 'crypto_1', '--workspace', ws.path]);
      assert.equal(unrecorded.code, 1, `exit code (stderr: ${unrecorded.stderr})`);
      assert.match(
        unrecorded.stdout,
        /FAIL {2}data\/portfolio_optimized_meta_meta_crypto_only_hrp\.json: sleeve long_all was flattened from b without a meta\.flatten_fallback decision in the ledger/,
        'unrecorded.stdout matches /FAIL {2}data\\/portfolio_optimized_meta_meta_crypto_only_hr…',
      );
      writeFileSync(
        file,
        JSON.stringify({
          ...doc,
          weights_fallbacks: [],
          assets: [],
          totals: { gross: 0, net: 0, long: 0, short: 0, assets: 0 },
        }),
      );
      const empty = quant(['meta', 'validate', '--run-id', 'crypto_1', '--workspace', ws.path]);
      assert.equal(empty.code, 1, `exit code (stderr: ${empty.stderr})`);
      assert.match(
        empty.stdout,
        /FAIL {2}data\/portfolio_optimized_meta_meta_crypto_only_hrp\.json: no physical asset/,
        'empty.stdout matches /FAIL {2}data\\/portfolio_optimized_meta_meta_crypto_only_hr…',
      );
    } finally {
      writeFileSync(file, original);
    }
  });

  test('1 of 4 healthy windows (type "action" records of the stream engine) excludes the sleeve for health', () => {
    const r = run('meta_sick', 'sick_1', '--profiles', 'hrp');
    assert.equal(r.code, 0, r.stderr);
    const manifest = json<{ excluded: { id: string; reason: string; detail: string }[] }>(
      data('sick_1', 'meta_manifest_meta_sick_hrp.json'),
    );
    assert.deepEqual(
      manifest.excluded.map((e) => [e.id, e.reason, e.detail]),
      [['ma_long', 'health', '1/4 backtest_optimize windows of engine custom succeeded (25.0 % < 75 %)']],
      'manifest.excluded.map((e) => [e.id, e.reason, e.detail])',
    );
  });

  test('a risk profile in neither weights file stops the run before any folder, naming file, profile and fix', () => {
    const r = run('meta_no_minvar', 'nominvar_1');
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_WEIGHTS_PROFILE_MISSING: sleeve ma_short: run ma_short_no_minvar: .*ma_short_no_minvar\/data\/portfolio_flattened\.json \$\.profiles has no risk profile "min_variance" \(it has hrp\) .* — re-run the sleeve with min_variance, run the meta profile without it \(--profiles hrp\), or pin a run that has it$/m,
      'r.stderr names E_WEIGHTS_PROFILE_MISSING',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'nominvar_1')), false, 'no run folder');
    assert.equal(run('meta_no_minvar', 'nominvar_2', '--profiles', 'hrp').code, 0, 'hrp alone runs');
  });

  test('the sign-test gate stops an uninverted predecessor sleeve', () => {
    const r = run('meta_uninverted', 'uninv_1');
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /E_SIGN_TEST: .*SIGNTEST_SHORT_NOT_INVERTED in run short_all_uninverted/,
      'r.stderr names E_SIGN_TEST',
    );
  });

  test('unpinned sleeves use the latest predecessor run by replay timestamp', () => {
    const r = run('meta_crypto_only_ray', 'ray_1', '--profiles', 'hrp');
    assert.equal(r.code, 0, r.stderr);
    const resolved = json<{ sleeves: { id: string; run_id: string; pinned: boolean; layout: string }[] }>(
      join(ws.path, 'runs', 'ray_1', 'config', 'resolved_manifest.json'),
    );
    assert.deepEqual(
      resolved.sleeves.map((s) => [s.id, s.run_id, s.pinned, s.layout]),
      [
        // a_long_all_20260112 (2026-01-12) over rerun_v3_long_all (2026-01-10) and z_long_all_no_timestamp.
        ['long_all', 'a_long_all_20260112', false, 'legacy'],
        // rerun_v3_short_all (2026-01-10) over short_all_uninverted (2026-01-03).
        ['short_all', 'rerun_v3_short_all', false, 'legacy'],
      ],
      'resolved.sleeves.map((s) => [s.id, s.run_id, s.pinned, s.layout])',
    );
  });

  test('a run of the invalid profile fails with all its problems; nothing is written', () => {
    const r = run('meta_benchmark_tight', 'tight_1');
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_MANIFEST: .*manifest\.json: profile meta_benchmark_tight is invalid: 1 problem: profiles\.meta_benchmark_tight\.meta_allocation\.min_weight \(line \d+\): infeasible bounds: 2 sleeves × min_weight 0\.6 = 1\.2 > 1/,
      'r.stderr names E_MANIFEST',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'tight_1')), false, 'no run folder');
  });
});
