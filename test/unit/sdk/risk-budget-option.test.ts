// Risk budgets at every face: the library option `riskBudget` (a list or a record by asset name), the
// `portfolio.optimize` param `risk_budget`, and the manifest's `risk_budget` on the entries of a meta level.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { optimizePortfolio, QuantError, QuantSDK } from '../../../src/index.js';
import { parseManifest } from '../../../src/manifest/load-manifest.js';
import { assertManifestValid } from '../../../src/manifest/profile-usage.js';
import { sampleCovariance } from '../../../src/numeric/covariance/sample-covariance.js';
import { readTable } from '../../../src/artifacts/index.js';
import { tempDir } from '../artifacts/_temp.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../../helpers/sleeve-fixtures.js';

function returnsRows(T: number, n: number, seed = 7): number[][] {
  let s = seed;
  const next = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.02;
  return Array.from({ length: T }, (_, t) =>
    Array.from({ length: n }, (_, j) => next() * (1 + j) + (t % 5) * 1e-4),
  );
}
const ROWS = returnsRows(120, 3);
const ASSETS = ['bonds', 'stocks', 'gold'];

/** Relative risk contributions of w under Σ (row-major n x n). */
function shares(cov: Float64Array, w: readonly number[]): number[] {
  const n = w.length;
  const rc = w.map((wi, i) => wi * w.reduce((s, wj, j) => s + (cov[i * n + j] as number) * wj, 0));
  const total = rc.reduce((a, b) => a + b, 0);
  return rc.map((v) => v / total);
}
const gap = (a: readonly number[], b: readonly number[]): number =>
  Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));
function error(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QuantError, `a QuantError, not ${String(e)}`);
    return e;
  }
  assert.fail('expected a QuantError');
}
const cov = sampleCovariance({ rows: ROWS.length, cols: 3, data: Float64Array.from(ROWS.flat()) }).data;

describe('optimizePortfolio: riskBudget', () => {
  test('a record by asset name: the relative contributions are the budgets (1e-8)', () => {
    const r = optimizePortfolio(
      { assets: ASSETS, returns: ROWS },
      { method: 'erc', periodsPerYear: 252, riskBudget: { gold: 0.2, bonds: 0.5, stocks: 0.3 } },
    );
    const w = ASSETS.map((a) => r.weights[a] as number);
    assert.ok(gap(shares(cov, w), [0.5, 0.3, 0.2]) < 1e-8, `shares ${shares(cov, w)}`);
    assert.deepEqual(r.diagnostics['risk_budget'], [0.5, 0.3, 0.2], 'the budgets used are recorded');
    const plain = optimizePortfolio(
      { assets: ASSETS, returns: ROWS },
      { method: 'erc', periodsPerYear: 252 },
    );
    assert.ok(Math.abs((plain.weights['bonds'] as number) - (w[0] as number)) > 1e-3, 'differs from ERC');
  });

  test('a list in column order, rescaled with a note', () => {
    const r = optimizePortfolio(ROWS, { method: 'risk_parity', periodsPerYear: 252, riskBudget: [5, 3, 2] });
    assert.ok(gap(shares(cov, [...r.weights]), [0.5, 0.3, 0.2]) < 1e-8, 'list budgets met');
    assert.match(String(r.diagnostics['risk_budget_note']), /summed to 10; divided by their sum/, 'note');
  });

  test('bad budgets are E_PARAMS naming the option, the asset, and a did-you-mean', () => {
    const base = { method: 'risk_parity', periodsPerYear: 252 } as const;
    const unknown = error(() =>
      optimizePortfolio(
        { assets: ASSETS, returns: ROWS },
        { ...base, riskBudget: { bond: 0.5, stocks: 0.3, gold: 0.2 } },
      ),
    );
    assert.equal(unknown.code, 'E_PARAMS', 'unknown asset code');
    assert.match(
      unknown.message,
      /options\.riskBudget\.bond: unknown asset \(did you mean "bonds"/,
      unknown.message,
    );
    const missing = error(() =>
      optimizePortfolio({ assets: ASSETS, returns: ROWS }, { ...base, riskBudget: { bonds: 1 } }),
    );
    assert.match(missing.message, /no budget for stocks, gold/, missing.message);
    for (const bad of [
      [0.5, -0.2, 0.7],
      [0.5, 0, 0.5],
      [1, 2],
    ]) {
      const e = error(() => optimizePortfolio(ROWS, { ...base, riskBudget: bad }));
      assert.equal(e.code, 'E_PARAMS', `${JSON.stringify(bad)}: ${e.message}`);
      assert.match(e.message, /riskBudget/, `names the option: ${e.message}`);
    }
    const method = error(() =>
      optimizePortfolio(ROWS, { method: 'hrp', periodsPerYear: 252, riskBudget: [1, 1, 1] }),
    );
    assert.match(method.message, /applies to method risk_parity, not hrp/, method.message);
  });

  test('bounds that cut the budgeted portfolio off: E_INFEASIBLE_BOUNDS naming the asset', () => {
    const e = error(() =>
      optimizePortfolio(
        { assets: ASSETS, returns: ROWS },
        {
          method: 'erc',
          periodsPerYear: 252,
          maxWeight: 0.4,
          riskBudget: { bonds: 0.9, stocks: 0.05, gold: 0.05 },
        },
      ),
    );
    assert.equal(e.code, 'E_INFEASIBLE_BOUNDS', e.message);
    assert.equal((e.details as Record<string, unknown>)['reason'], 'risk_budget_unreachable', 'reason');
    assert.match(
      e.message,
      /bonds needs weight 0\.\d+ for its budget 0\.9000, above its max_weight 0\.4/,
      e.message,
    );
  });
});

describe('portfolio.optimize: risk_budget', () => {
  test('the param moves the weights to the budgets; an unknown asset is named', async () => {
    const ws = tempDir('mf-risk-budget-stage-');
    mkdirSync(join(ws, 'data'));
    const dates = businessDays('2024-01-01', ROWS.length);
    const lines = ['date,bonds,stocks,gold', ...ROWS.map((r, t) => [dates[t], ...r].join(','))];
    writeFileSync(join(ws, 'data', 'r.csv'), lines.join('\n') + '\n');
    const params = {
      input: join(ws, 'data', 'r.csv'),
      input_kind: 'returns',
      method: 'risk_parity',
      periods_per_year: 252,
    };
    const run = await QuantSDK.runStage(
      'portfolio.optimize',
      { ...params, risk_budget: { bonds: 0.5, stocks: 0.3, gold: 0.2 } },
      { workspace: ws, runId: 'budget' },
    );
    const w = ASSETS.map((a) => run.value.weights[a] as number);
    assert.ok(
      gap(shares(cov, w), [0.5, 0.3, 0.2]) < 1e-8,
      `stage weights carry the budgets: ${shares(cov, w)}`,
    );
    const plain = await QuantSDK.runStage('portfolio.optimize', params, { workspace: ws, runId: 'plain' });
    assert.ok(
      Math.abs((plain.value.weights['bonds'] as number) - (w[0] as number)) > 1e-3,
      'differs from ERC',
    );
    await assert.rejects(
      QuantSDK.runStage(
        'portfolio.optimize',
        { ...params, risk_budget: { bond: 1, stocks: 1, gold: 1 } },
        { workspace: ws, runId: 'bad' },
      ),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_PARAMS' &&
        /risk_budget\.bond: unknown asset \(did you mean "bonds"/.test(e.message),
      'unknown asset named with a did-you-mean',
    );
  });
});

describe('manifest risk_budget', () => {
  const text = (b: string, c: string): string => `{
  "profiles": {
    "s1": { "sleeve": { "prices": "p.csv", "assets": ["A", "B"] } },
    "root": {
      "sleeves": [
        { "id": "a", "profile": "s1", "risk_budget": ${b} },
        { "id": "b", "profile": "s1"${c} }
      ]
    }
  }
}
`;
  const problems = (t: string): { path: string; line: number; message: string }[] => {
    const e = error(() => assertManifestValid(parseManifest(t, 'manifest.json'), 'manifest.json'));
    assert.equal(e.code, 'E_MANIFEST', e.message);
    return (e.details['problems'] ?? []) as { path: string; line: number; message: string }[];
  };

  test('a negative or zero budget is E_MANIFEST at its JSON path and line', () => {
    for (const bad of ['-0.5', '0']) {
      const p = problems(text(bad, ', "risk_budget": 0.5')).find(
        (x) => x.path === 'profiles.root.sleeves[0].risk_budget',
      );
      assert.ok(p !== undefined, `problem at the budget's path for ${bad}`);
      assert.equal(p.line, 6, 'the line of the entry');
      assert.match(p.message, /must be > 0, got/, p.message);
    }
  });

  test('budgets on some entries only: the entry without one is named', () => {
    const p = problems(text('0.5', '')).find((x) => x.path === 'profiles.root.sleeves[1]');
    assert.ok(p !== undefined, 'problem at the entry without a budget');
    assert.match(
      p.message,
      /has no "risk_budget" while other sleeves of this meta profile have one/,
      p.message,
    );
  });
});

describe('meta level risk_budget (risk_parity)', { timeout: 120_000 }, () => {
  test('the sleeve weights carry the budgets, recorded in meta_optimized', async () => {
    const ws = tempDir('mf-risk-budget-');
    const dates = businessDays('2024-01-01', 90);
    for (const [i, id] of ['s1', 's2', 's3'].entries()) {
      await writeSleeveRun(ws, {
        runId: `${id}_run`,
        profile: id,
        createdAt: '2024-06-01T00:00:00Z',
        streams: {
          risk_parity: { dates, returns: randomReturns(20 + i, dates.length, { vol: 0.005 + i * 0.004 }) },
        },
        weights: { risk_parity: [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
      });
    }
    await writeManifest(ws, {
      profiles: {
        m: {
          sleeves: [
            { id: 'a', profile: 's1', risk_budget: 6 },
            { id: 'b', profile: 's2', risk_budget: 3 },
            { id: 'c', profile: 's3', risk_budget: 1 },
          ],
          risk_profiles: ['risk_parity'],
        },
      },
    });
    const result = await QuantSDK.runMeta('m', { workspace: ws, runId: 'rb', backtest: false, cache: false });
    const doc = JSON.parse(
      readFileSync(join(result.runDir, 'data', 'meta_optimized_m_risk_parity.json'), 'utf8'),
    ) as {
      method: string;
      sleeves: { id: string; weight: number }[];
      diagnostics: Record<string, unknown>;
    };
    assert.equal(doc.method, 'risk_parity', 'no fallback');
    const table = await readTable(join(result.runDir, 'data', 'meta_returns_m_risk_parity.parquet'));
    const T = table.dates.length;
    const data = new Float64Array(T * 3);
    table.values.forEach((col, j) => col.forEach((v, t) => (data[t * 3 + j] = v)));
    const c = sampleCovariance({ rows: T, cols: 3, data }).data;
    const w = table.columns.map((id) => doc.sleeves.find((s) => s.id === id)?.weight ?? NaN);
    assert.ok(gap(shares(c, w), [0.6, 0.3, 0.1]) < 1e-8, `shares ${shares(c, w)}`);
    assert.deepEqual(doc.diagnostics['risk_budget'], [0.6, 0.3, 0.1], 'budgets recorded');
    assert.match(String(doc.diagnostics['risk_budget_note']), /summed to 10/, 'rescaling noted');
    // meta.attribution reads the same level: its volatility shares are the budgets, and every table
    // (sleeves, leaves, physical assets) sums to the totals to 1e-10.
    const attribution = JSON.parse(
      readFileSync(join(result.runDir, 'data', 'meta_attribution_m_risk_parity.json'), 'utf8'),
    ) as {
      totals: { volatility: number; cvar: number };
      sleeves: { name: string; vol_share: number }[];
      leaves: { vol_contribution: number; cvar_contribution: number }[];
      assets: { vol_contribution: number; cvar_contribution: number }[];
    };
    const byName = Object.fromEntries(attribution.sleeves.map((s) => [s.name, s.vol_share]));
    assert.ok(
      gap([byName['a'] ?? 0, byName['b'] ?? 0, byName['c'] ?? 0], [0.6, 0.3, 0.1]) < 1e-8,
      `shares ${JSON.stringify(byName)}`,
    );
    for (const key of ['leaves', 'assets'] as const) {
      const v = attribution[key].reduce((s, r) => s + r.vol_contribution, 0);
      const c = attribution[key].reduce((s, r) => s + r.cvar_contribution, 0);
      assert.ok(
        Math.abs(v - attribution.totals.volatility) < 1e-10,
        `${key}: Σ vol ${v} vs ${attribution.totals.volatility}`,
      );
      assert.ok(
        Math.abs(c - attribution.totals.cvar) < 1e-10,
        `${key}: Σ CVaR ${c} vs ${attribution.totals.cvar}`,
      );
    }
  });
});
