// Semantics of the meta pipeline that need their own workspaces: a depth-3 tree, the equal-weight
// fallback of a nested branch whose optimization fails, a zero-variance sleeve (exact min-variance), and the
// directional sign-test gate aborting before any meta artifact.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTable } from '../../src/artifacts/index.js';
import { quant, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace, metaManifest } from '../helpers/meta-workspace.js';
import { businessDays, randomReturns, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
interface Optimized {
  method: string;
  weights: Record<string, number>;
  parameters: Record<string, unknown>;
  fallback_chain: { method: string; code: string }[];
}

describe('meta pipeline semantics', () => {
  let ws: { path: string; cleanup(): void };
  const writeManifest = (extra: Record<string, unknown>): void =>
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(metaManifest(extra), null, 2));
  const run = (profile: string, runId: string, ...extra: string[]): ReturnType<typeof quant> =>
    quant([
      'meta',
      'run',
      '--profile',
      profile,
      '--run-id',
      runId,
      '--no-cache',
      '--workspace',
      ws.path,
      ...extra,
    ]);

  before(async () => {
    ws = tempDir();
    await buildMetaWorkspace(ws.path);
    // A cash-like sleeve: zero returns every day (zero variance).
    const dates = businessDays('2023-01-02', 320);
    await writeSleeveRun(ws.path, {
      runId: 'cash_1',
      profile: 'cash',
      streams: {
        hrp: { dates, returns: new Float64Array(dates.length) },
        min_variance: { dates, returns: new Float64Array(dates.length) },
        risk_parity: { dates, returns: new Float64Array(dates.length) },
      },
      weights: {
        hrp: [{ Symbol: 'CHF', Weight: 1, Net_Weight: 1, Direction: 'LONG' }],
        min_variance: [{ Symbol: 'CHF', Weight: 1, Net_Weight: 1, Direction: 'LONG' }],
        risk_parity: [{ Symbol: 'CHF', Weight: 1, Net_Weight: 1, Direction: 'LONG' }],
      },
    });
  });
  after(() => ws.cleanup());

  test('a depth-3 tree runs end to end; each level has its own artifacts and bounds', () => {
    writeManifest({
      deep_mid: {
        sleeves: [
          { id: 'inner', meta_profile: 'meta_inner' },
          { id: 'gamma', profile: 'gamma' },
        ],
        meta_allocation: { min_weight: 0.3, max_weight: 0.7 },
      },
      deep_root: {
        sleeves: [
          { id: 'mid', meta_profile: 'deep_mid' },
          { id: 'delta', profile: 'delta' },
        ],
        meta_allocation: { min_weight: 0.25, max_weight: 0.75 },
        risk_profiles: ['risk_parity'],
      },
    });
    const r = run('deep_root', 'deep');
    assert.equal(r.code, 0, r.stderr);
    const data = join(ws.path, 'runs', 'deep', 'data');
    for (const [M, lo, hi] of [
      ['deep_root', 0.25, 0.75],
      ['deep_mid', 0.3, 0.7],
      ['meta_inner', 0.2, 0.8],
    ] as const) {
      const o = json<Optimized>(join(data, `meta_optimized_${M}_risk_parity.json`));
      for (const w of Object.values(o.weights)) assert.ok(w >= lo - 1e-12 && w <= hi + 1e-12, `${M}: ${w}`);
    }
    const flat = json<{ assets: { Symbol: string; Contributors: Record<string, number> }[] }>(
      join(data, 'portfolio_optimized_meta_deep_root_risk_parity.json'),
    );
    const es = flat.assets.find((a) => a.Symbol === 'CME_MINI:ES1!');
    assert.deepEqual(
      Object.keys(es?.Contributors ?? {}),
      ['mid/inner/alpha'],
      'Object.keys(es?.Contributors ?? {})',
    );
    assert.equal(
      quant(['meta', 'validate', '--run-id', 'deep', '--workspace', ws.path]).code,
      0,
      "quant(['meta', 'validate', '--run-id', 'deep', '--workspace', ws.path…",
    );
  });

  test('a nested branch whose optimization fails enters as the equal-weight mean, recorded', () => {
    // shaky: 3 sleeves with bounds [0.3, 0.34]; gamma has no min_variance stream, so 2 remain and the
    // bounds become infeasible (2 x 0.34 < 1): the branch optimization fails.
    writeManifest({
      shaky: {
        sleeves: [
          { id: 'alpha', profile: 'alpha' },
          { id: 'gamma', profile: 'gamma' },
          { id: 'delta', profile: 'delta' },
        ],
        meta_allocation: { min_weight: 0.3, max_weight: 0.34 },
      },
      shaky_root: {
        sleeves: [
          { id: 'shaky', meta_profile: 'shaky' },
          { id: 'beta', profile: 'beta', run_id: 'beta_legacy' },
        ],
        risk_profiles: ['min_variance'],
      },
    });
    const r = run('shaky_root', 'shaky');
    assert.equal(r.code, 0, r.stderr);
    const data = join(ws.path, 'runs', 'shaky', 'data');
    const sub = json<Optimized>(join(data, 'meta_optimized_shaky_min_variance.json'));
    assert.equal(sub.method, 'equal_weight', 'sub.method');
    assert.equal(sub.parameters['branch_fallback'], true, "sub.parameters['branch_fallback']");
    assert.equal(sub.fallback_chain[0]?.code, 'E_INFEASIBLE_BOUNDS', 'sub.fallback_chain[0]?.code');
    assert.deepEqual(sub.weights, { alpha: 0.5, delta: 0.5 }, 'sub.weights');
    const manifest = json<{ included: { id: string; branch_weights: string | null }[] }>(
      join(data, 'meta_manifest_shaky_root_min_variance.json'),
    );
    assert.equal(
      manifest.included.find((s) => s.id === 'shaky')?.branch_weights,
      'equal_weight_fallback',
      "manifest.included.find((s) => s.id === 'shaky')?.branch_weights",
    );
    const ledger = readFileSync(join(ws.path, 'runs', 'shaky', 'audit.jsonl'), 'utf8');
    assert.match(ledger, /"step":"meta.branch_fallback"/, 'ledger matches /"step":"meta.branch_fallback"/');
  });

  test('a zero-variance sleeve: exact min_variance (cash at its cap), risk_parity falls back naming it', async () => {
    writeManifest({
      with_cash: {
        sleeves: [
          { id: 'cash', profile: 'cash' },
          { id: 'alpha', profile: 'alpha' },
          { id: 'delta', profile: 'delta' },
        ],
        meta_allocation: { min_weight: 0.1, max_weight: 0.6 },
        risk_profiles: ['hrp', 'min_variance', 'risk_parity'],
      },
    });
    const r = run('with_cash', 'cash');
    assert.equal(r.code, 0, r.stderr);
    const data = join(ws.path, 'runs', 'cash', 'data');
    // min_variance of a positive semidefinite covariance is exact: the riskless sleeve takes its cap 0.6,
    // and the other 0.4 is the two-asset minimum variance of alpha and delta, each within [0.1, 0.6]:
    // w_alpha = clamp(0.4·(σd² − σad) / (σa² + σd² − 2σad), 0.1, 0.3), computed here from the level's
    // return matrix.
    const o = json<Optimized>(join(data, 'meta_optimized_with_cash_min_variance.json'));
    assert.equal(o.method, 'min_variance', 'o.method');
    assert.deepEqual(o.fallback_chain, [], 'o.fallback_chain');
    assert.deepEqual(Object.keys(o.weights), ['cash', 'alpha', 'delta'], 'Object.keys(o.weights)');
    assert.equal(o.weights['cash'], 0.6, "o.weights['cash']");
    const table = await readTable(join(data, 'meta_returns_with_cash_min_variance.parquet'));
    const col = (id: string): Float64Array => table.values[table.columns.indexOf(id)] as Float64Array;
    const [a, d] = [col('alpha'), col('delta')];
    const mean = (x: Float64Array): number => x.reduce((s, v) => s + v, 0) / x.length;
    const cov = (x: Float64Array, y: Float64Array): number => {
      const mx = mean(x);
      const my = mean(y);
      return x.reduce((s, v, t) => s + (v - mx) * ((y[t] as number) - my), 0);
    };
    const wa = Math.min(
      0.3,
      Math.max(0.1, (0.4 * (cov(d, d) - cov(a, d))) / (cov(a, a) + cov(d, d) - 2 * cov(a, d))),
    );
    assert.ok(Math.abs((o.weights['alpha'] ?? NaN) - wa) < 1e-12, `alpha ${o.weights['alpha']} vs ${wa}`);
    assert.ok(Math.abs((o.weights['delta'] ?? NaN) - (0.4 - wa)) < 1e-12, `delta ${o.weights['delta']}`);
    // Equal risk contributions do not exist with a riskless sleeve: the declared chain runs (inverse
    // variance fails on it too), each failure names the sleeve, and the weights respect the bounds.
    const rp = json<Optimized & { fallback_chain: { message: string }[] }>(
      join(data, 'meta_optimized_with_cash_risk_parity.json'),
    );
    assert.equal(rp.method, 'equal_weight', 'rp.method');
    assert.deepEqual(
      rp.fallback_chain.map((f) => [f.method, f.code]),
      [
        ['risk_parity', 'E_SINGULAR_COVARIANCE'],
        ['inverse_variance', 'E_SINGULAR_COVARIANCE'],
      ],
      'rp.fallback_chain.map((f) => [f.method, f.code])',
    );
    for (const f of rp.fallback_chain) assert.match(f.message, /sleeve cash/, f.message);
    for (const w of Object.values(rp.weights)) assert.ok(w >= 0.1 - 1e-12 && w <= 0.6 + 1e-12, `${w}`);
    // HRP treats the riskless sleeve as riskless: it takes the most its bound allows. (delta is unhealthy
    // for hrp, so cash and alpha remain.)
    const hrp = json<Optimized>(join(data, 'meta_optimized_with_cash_hrp.json'));
    assert.equal(hrp.method, 'hrp', 'hrp.method');
    for (const w of Object.values(hrp.weights)) assert.ok(w >= 0.1 - 1e-12 && w <= 0.6 + 1e-12, `${w}`);
    assert.ok(Math.abs((hrp.weights['cash'] ?? 0) - 0.6) < 1e-12, `cash ${hrp.weights['cash']}`);
  });

  test('a level with fewer than 3 observations per sleeve uses ledoit_wolf by default, recorded', async () => {
    // 11 sleeves on 31 common dates: 31 < 3 × 11, so the sample covariance (rank ≤ 30) is replaced by the
    // shrunk one; with meta_allocation.covariance set to sample the manifest's choice is kept.
    const dates = businessDays('2023-01-02', 31);
    const ids = Array.from({ length: 11 }, (_, k) => `s${k}`);
    for (const [k, id] of ids.entries()) {
      await writeSleeveRun(ws.path, {
        runId: `${id}_1`,
        profile: `short_${id}`,
        streams: { min_variance: { dates, returns: randomReturns(500 + k, dates.length) } },
        weights: { min_variance: [{ Symbol: `X${k}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
      });
    }
    const sleeves = ids.map((id) => ({ id, profile: `short_${id}` }));
    writeManifest({
      short_auto: { sleeves, risk_profiles: ['min_variance'] },
      short_sample: { sleeves, risk_profiles: ['min_variance'], meta_allocation: { covariance: 'sample' } },
    });
    const auto = run('short_auto', 'short_auto', '--no-backtest');
    assert.equal(auto.code, 0, auto.stderr);
    assert.match(
      auto.stdout,
      /ledoit_wolf, auto: 31 observations < 3 × 11 assets/,
      'auto.stdout matches /ledoit_wolf, auto: 31 observations < 3 × 11 assets/',
    );
    const o = json<Optimized & { diagnostics: Record<string, unknown> }>(
      join(ws.path, 'runs', 'short_auto', 'data', 'meta_optimized_short_auto_min_variance.json'),
    );
    assert.equal(o.parameters['covariance'], 'ledoit_wolf', "o.parameters['covariance']");
    assert.equal(
      o.diagnostics['covariance_rule'],
      'auto: 31 observations < 3 × 11 assets',
      "o.diagnostics['covariance_rule']",
    );
    assert.deepEqual(o.fallback_chain, [], 'o.fallback_chain');
    const ledger = readFileSync(join(ws.path, 'runs', 'short_auto', 'audit.jsonl'), 'utf8');
    assert.match(ledger, /"step":"meta.covariance_auto"/, 'ledger matches /"step":"meta.covariance_auto"/');
    const sample = run('short_sample', 'short_sample', '--no-backtest');
    assert.equal(sample.code, 0, sample.stderr);
    const os = json<Optimized>(
      join(ws.path, 'runs', 'short_sample', 'data', 'meta_optimized_short_sample_min_variance.json'),
    );
    assert.equal(os.parameters['covariance'], 'sample', "os.parameters['covariance']");
  });

  test('the sign-test gate aborts before meta.returns when a SHORT atom was not inverted', async () => {
    const dates = businessDays('2023-01-02', 320);
    const raw = dates.map((_, i) => (i % 7 === 0 ? 0.02 : -0.01));
    await writeSleeveRun(ws.path, {
      runId: 'sabotaged_1',
      profile: 'sabotaged',
      streams: { hrp: { dates, returns: raw } },
      weights: { hrp: [{ Symbol: 'INDU', Weight: 1, Net_Weight: -1, Direction: 'SHORT' }] },
      atoms: {
        hrp: [{ Symbol: 'INDU_SHORT', Physical: 'INDU', Weight: 1, Net_Weight: -1, Direction: 'SHORT' }],
      },
      returnsMatrix: { dates, columns: { INDU: raw } },
      syntheticReturns: { dates, columns: { INDU_SHORT: raw } }, // sabotage: not inverted
    });
    writeManifest({
      gated: {
        sleeves: [
          { id: 's', profile: 'sabotaged' },
          { id: 'alpha', profile: 'alpha' },
        ],
        risk_profiles: ['hrp'],
        features: { directional_sign_test_gate: true },
      },
    });
    const r = run('gated', 'gated');
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /^E_SIGN_TEST: .*SIGNTEST_SHORT_NOT_INVERTED/, 'r.stderr names E_SIGN_TEST');
    const dir = join(ws.path, 'runs', 'gated');
    assert.ok(
      existsSync(join(dir, 'data', 'directional_sign_test.json')),
      'data/directional_sign_test.json exists',
    );
    const written = readdirSync(join(dir, 'data'));
    assert.deepEqual(
      written.filter((f) => f.startsWith('meta_')),
      [],
      "written.filter((f) => f.startsWith('meta_'))",
    );
  });
});
