import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { createRegistry } from '../../../../src/core/registry.js';
import { builtinStages } from '../../../../src/stages/catalog.js';
import { metaReport, type MetaReportValue } from '../../../../src/stages/meta/report.js';
import {
  metaArtifactPaths,
  REPORT_HTML,
  REPORT_MD,
  RESOLVED_MANIFEST,
} from '../../../../src/stages/meta/_artifact-types.js';
import { readLedger, verifyLedger, writeParquetTable } from '../../../../src/artifacts/index.js';
import { QuantError } from '../../../../src/errors.js';
import { tempDir } from '../../../helpers/cli.js';

// The catalog may already list meta.report; this test pins the stage under test either way.
const sdk = new QuantSDK({
  registry: createRegistry([...builtinStages.filter((s) => s.id !== metaReport.id), metaReport]),
});
const M = 'meta_x';
const ENV = { SOURCE_DATE_EPOCH: '1767225600' }; // 2026-01-01T00:00:00Z
const RUN = 'meta_x_run';

const workspaces: { cleanup(): void }[] = [];
after(() => workspaces.forEach((w) => w.cleanup()));

// 63 business days from Mon 2024-01-01; sleeve b has a ±20 % block on rows 21..41 (an anomaly).
function dates(): string[] {
  const out: string[] = [];
  for (let d = new Date(Date.UTC(2024, 0, 1)); out.length < 63; d.setUTCDate(d.getUTCDate() + 1)) {
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}
const DATES = dates();
const SERIES: Record<string, Float64Array> = {
  a: Float64Array.from(DATES, (_, t) => 0.001 + 0.01 * Math.sin(t)),
  b: Float64Array.from(DATES, (_, t) =>
    t >= 21 && t < 42 ? (t % 2 === 0 ? 0.2 : -0.2) : 0.0005 * Math.cos(3 * t),
  ),
  n: Float64Array.from(DATES, (_, t) => -0.0002 + 0.004 * Math.sin(0.5 * t + 1)),
};
const WEIGHTS: Record<string, Record<string, number>> = {
  hrp: { a: 0.5, b: 0.3, n: 0.2 },
  min_variance: { a: 0.6, b: 0.05, n: 0.35 },
};

const json = (path: string, value: unknown): void => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
};

function optimized(meta: string, p: string, weights: Record<string, number>, extra: object = {}) {
  return {
    schema_version: 1,
    meta_profile: meta,
    risk_profile: p,
    method: p,
    requested_method: p,
    sleeves: Object.entries(weights).map(([id, weight]) => ({ id, weight })),
    weights,
    bounds: { min_weight: 0.05, max_weight: 0.6 },
    parameters: { periods_per_year: 252 },
    diagnostics: {},
    fallback_chain: [],
    ...extra,
  };
}

const health = (windows: number, successes: number) => ({
  windows,
  successes,
  success_rate: windows === 0 ? null : successes / windows,
  healthy: true,
});

/** A meta run folder with every artifact for hrp, and only the required ones for min_variance. */
async function workspace(): Promise<{ ws: string; run: string }> {
  const w = tempDir('mf-report-');
  workspaces.push(w);
  const run = join(w.path, 'runs', RUN);
  json(join(run, RESOLVED_MANIFEST), { schema_version: 1, root: M, risk_profiles: ['hrp', 'min_variance'] });
  for (const p of ['hrp', 'min_variance']) {
    const paths = metaArtifactPaths(M, p);
    await writeParquetTable(join(run, paths.returns), {
      dates: DATES,
      columns: ['a', 'b', 'n'],
      values: ['a', 'b', 'n'].map((k) => SERIES[k] as Float64Array),
    });
    json(join(run, paths.optimized), optimized(M, p, WEIGHTS[p] as Record<string, number>));
  }
  const hrp = metaArtifactPaths(M, 'hrp');
  json(join(run, hrp.manifest), {
    schema_version: 1,
    meta_profile: M,
    risk_profile: 'hrp',
    path: [M],
    included: [
      {
        id: 'a',
        kind: 'atomic',
        profile: 'sa',
        run_id: 'sa_1',
        source_file: 'runs/sa_1/data/returns/hrp.parquet',
        candidates: [],
        rows: 63,
        first_date: DATES[0],
        last_date: DATES[62],
        health: health(3, 3),
        branch_weights: null,
      },
      {
        id: 'b',
        kind: 'atomic',
        profile: 'sb',
        run_id: 'sb_1',
        source_file: 'runs/sb_1/data/returns/hrp.parquet',
        candidates: [],
        rows: 100,
        first_date: '2023-08-01',
        last_date: DATES[62],
        health: health(0, 0),
        branch_weights: null,
      },
      {
        id: 'n',
        kind: 'meta',
        profile: 'meta_sub',
        run_id: null,
        source_file: `runs/${RUN}/data/meta_returns_meta_sub_hrp.parquet`,
        candidates: [],
        rows: 63,
        first_date: DATES[0],
        last_date: DATES[62],
        health: health(0, 0),
        branch_weights: 'optimized',
      },
    ],
    excluded: [
      {
        id: 'c',
        kind: 'atomic',
        profile: 'sc',
        run_id: 'sc_1',
        reason: 'health',
        detail: '1 of 4 backtest_optimize windows succeeded (25 %)',
      },
    ],
    calendar: {
      common_rows: 63,
      first_date: DATES[0],
      last_date: DATES[62],
      weekend_dates: false,
      periods_per_year: 252,
      per_sleeve: [
        { id: 'a', rows: 63, kept: 63, intersection_loss: 0 },
        { id: 'b', rows: 100, kept: 63, intersection_loss: 0.37 },
        { id: 'n', rows: 63, kept: 63, intersection_loss: 0 },
      ],
    },
    warnings: ['b: no backtest_optimize records; counted as healthy'],
  });
  json(
    join(run, metaArtifactPaths('meta_sub', 'hrp').optimized),
    optimized('meta_sub', 'hrp', { s1: 0.75, s2: 0.25 }),
  );
  json(join(run, hrp.flattened), {
    schema_version: 1,
    meta_profile: M,
    risk_profile: 'hrp',
    assets: [
      { Symbol: 'ZZZ', Weight: 0.05, Net_Weight: -0.05, Direction: 'SHORT', Contributors: { b: -0.05 } },
      {
        Symbol: 'AAA',
        Weight: 0.45,
        Net_Weight: 0.45,
        Direction: 'LONG',
        Contributors: { a: 0.4, 'n/s1': 0.05 },
      },
    ],
    totals: { gross: 0.5, net: 0.4, long: 0.45, short: -0.05, assets: 2 },
    missing: [{ path: 'n/s2', reason: 'no portfolio_flattened.json' }],
  });
  return { ws: w.path, run };
}

const run = (ws: string, params: Record<string, unknown> = { meta_profile: M }, id = 'meta.report') =>
  sdk.runStage<MetaReportValue>(id, params, { workspace: ws, runId: RUN, env: ENV });

const artifactMissing = (file: string) => (error: unknown) => {
  assert.ok(error instanceof QuantError, String(error));
  assert.equal(error.code, 'E_ARTIFACT_MISSING', 'error.code');
  assert.ok(error.message.includes(file), error.message);
  assert.ok(error.location?.file?.endsWith(file), error.location?.file);
  return true;
};

describe('meta.report', () => {
  test('writes the report for every risk profile of the resolved manifest', async () => {
    const { ws, run: dir } = await workspace();
    const result = await run(ws);
    const md = readFileSync(join(dir, REPORT_MD), 'utf8');
    assert.ok(
      md.startsWith(
        '# Meta portfolio report: `meta_x`\n\n- Run: `meta_x_run`\n- Created: 2026-01-01T00:00:00Z\n',
      ),
      "md.startsWith('# Meta portfolio report: `meta_x`\\n\\n- Run: `meta_x_ru…",
    );
    assert.deepEqual(
      result.value.risk_profiles.map((p) => p.risk_profile),
      ['hrp', 'min_variance'],
      'result.value.risk_profiles.map((p) => p.risk_profile)',
    );

    // The meta portfolio's series is Σ wᵢ rᵢ with the optimized weights; CAGR recomputed independently.
    for (const [i, p] of (['hrp', 'min_variance'] as const).entries()) {
      const w = WEIGHTS[p] as Record<string, number>;
      let growth = 1;
      for (let t = 0; t < DATES.length; t++)
        growth *= 1 + Object.entries(w).reduce((s, [k, wk]) => s + wk * (SERIES[k]?.[t] as number), 0);
      const cagr = growth ** (252 / DATES.length) - 1;
      assert.ok(Math.abs((result.value.risk_profiles[i]?.cagr as number) - cagr) < 1e-12, p);
      assert.equal(
        result.value.risk_profiles[i]?.observations,
        63,
        'result.value.risk_profiles[i]?.observations',
      );
    }

    // The CLI's summary line says which figure is which: no backtest here, so only the in-sample Sharpe.
    assert.match(
      result.summary,
      /: hrp Sharpe -?\d+\.\d\d in sample \(fit period\), min_variance Sharpe -?\d+\.\d\d in sample \(fit period\);/,
      `the Sharpe ratios of the summary line are labelled in sample: ${result.summary}`,
    );
    assert.equal(result.value.risk_profiles[0]?.out_of_sample, null, 'no backtest, no out-of-sample figures');
    const hrp = md.slice(md.indexOf('## Risk profile `hrp`'), md.indexOf('## Risk profile `min_variance`'));
    assert.ok(
      hrp.includes(
        '63 daily returns from 2024-01-01 to 2024-03-27; annualisation A = 252 (meta manifest calendar).',
      ),
      "hrp includes '63 daily returns from 2024-01-01 to 2024-03-27; annualisat…",
    );
    assert.ok(
      hrp.includes('| `a` | atomic | `sa` | `sa_1` | 50.00% |'),
      "hrp includes '| `a` | atomic | `sa` | `sa_1` | 50.00% |'",
    );
    assert.ok(
      hrp.includes('| Effective N (sleeves) | 2.63 |'),
      "hrp includes '| Effective N (sleeves) | 2.63 |'",
    ); // 1 / (0.25 + 0.09 + 0.04) = 2.6316
    assert.ok(
      hrp.includes('| 1 | `AAA` | LONG | 45.00% | 45.00% | `a` 40.00%, `n/s1` 5.00% |'),
      "hrp includes '| 1 | `AAA` | LONG | 45.00% | 45.00% | `a` 40.00%, `n/s1` …",
    );
    assert.ok(
      hrp.includes('| `c` | atomic | `sc` | `sc_1` | `health` |'),
      "hrp includes '| `c` | atomic | `sc` | `sc_1` | `health` |'",
    );
    assert.ok(
      hrp.includes('| `b` | 100 | 63 | 37.00% | **warning** |'),
      "hrp includes '| `b` | 100 | 63 | 37.00% | **warning** |'",
    );
    assert.ok(hrp.includes('| `b` | 2024-01-30 | 2024-02-27 | 21 | '), 'the ±20 % block of b is an anomaly');
    assert.ok(
      hrp.includes('#### `n` (meta profile `meta_sub`)'),
      "hrp includes '#### `n` (meta profile `meta_sub`)'",
    );
    assert.ok(
      hrp.includes('| `s1` | n/a | 75.00% | 15.00% |'),
      "hrp includes '| `s1` | n/a | 75.00% | 15.00% |'",
    );

    assert.ok(
      hrp.includes(
        '### Backtest, out of sample (walk-forward)\n\n_Not run: meta.backtest was not part of this run ' +
          '(`--no-backtest` skips it), so there is no data/meta_backtest_meta_x_hrp.json._',
      ),
      'a backtest the run did not include is said not run, not "not found"',
    );

    const mv = md.slice(md.indexOf('## Risk profile `min_variance`'));
    assert.ok(
      mv.includes('_Section omitted: data/portfolio_optimized_meta_meta_x_min_variance.json not found._'),
      "mv includes '_Section omitted: data/portfolio_optimized_meta_meta_x_min…",
    );
    assert.ok(
      mv.includes('_Section omitted: data/meta_manifest_meta_x_min_variance.json not found._'),
      "mv includes '_Section omitted: data/meta_manifest_meta_x_min_variance.j…",
    );
    assert.ok(
      mv.includes('annualisation A = 252 (meta optimization parameters)'),
      "mv includes 'annualisation A = 252 (meta optimization parameters)'",
    );
    assert.deepEqual(
      result.value.risk_profiles[1]?.omitted,
      [
        'data/portfolio_optimized_meta_meta_x_min_variance.json',
        'data/meta_manifest_meta_x_min_variance.json',
        'data/meta_backtest_meta_x_min_variance.json',
        'data/meta_cluster_tree_meta_x_min_variance.json',
      ],
      'result.value.risk_profiles[1]?.omitted',
    );

    // Every file read and written is in the ledger outcome, whose chain verifies.
    const inputs = result.inputs.map((f) => f.path);
    for (const rel of [
      RESOLVED_MANIFEST,
      ...Object.values(metaArtifactPaths(M, 'hrp')).filter((f) => !f.includes('cluster_tree')),
      metaArtifactPaths(M, 'min_variance').returns,
      metaArtifactPaths(M, 'min_variance').optimized,
      metaArtifactPaths('meta_sub', 'hrp').optimized,
    ]) {
      assert.ok(inputs.includes(`runs/${RUN}/${rel}`), rel);
    }
    assert.deepEqual(
      result.outputs.map((f) => f.path),
      [`runs/${RUN}/${REPORT_MD}`, `runs/${RUN}/${REPORT_HTML}`],
      'result.outputs.map((f) => f.path)',
    );
    assert.equal(
      (await verifyLedger(join(dir, 'audit.jsonl'))).ok,
      true,
      "(await verifyLedger(join(dir, 'audit.jsonl'))).ok",
    );

    // Same inputs, same run, SOURCE_DATE_EPOCH set → the same bytes.
    const html = readFileSync(join(dir, REPORT_HTML), 'utf8');
    await run(ws);
    assert.equal(
      readFileSync(join(dir, REPORT_MD), 'utf8'),
      md,
      "readFileSync(join(dir, REPORT_MD), 'utf8')",
    );
    assert.equal(
      readFileSync(join(dir, REPORT_HTML), 'utf8'),
      html,
      "readFileSync(join(dir, REPORT_HTML), 'utf8')",
    );
  });

  test('tail risk of every in-sample series and the concentration of the flattened weights', async () => {
    const { ws, run: dir } = await workspace();
    await run(ws);
    const md = readFileSync(join(dir, REPORT_MD), 'utf8');
    const hrp = md.slice(md.indexOf('## Risk profile `hrp`'), md.indexOf('## Risk profile `min_variance`'));
    const w = WEIGHTS['hrp'] as Record<string, number>;
    const portfolio = DATES.map((_, t) =>
      Object.entries(w).reduce((s, [k, wk]) => s + wk * (SERIES[k]?.[t] as number), 0),
    );
    // CVaR 95 by hand: k = 0.05 · 63 = 3.15 days: the 3 worst losses and 0.15 of the 4th, over 3.15.
    const losses = portfolio.map((r) => -r).sort((x, y) => y - x);
    const cvar =
      ((losses[0] as number) + (losses[1] as number) + (losses[2] as number) + 0.15 * (losses[3] as number)) /
      3.15;
    const row = hrp.split('\n').find((l) => l.startsWith('| `meta` | In sample (fit period) | 63 |'));
    assert.ok(row !== undefined, `a tail row for the in-sample meta series: ${hrp.slice(0, 400)}`);
    assert.equal(
      row.split('|')[5]?.trim(),
      `${(cvar * 100).toFixed(2)}%`,
      `CVaR 95 of the meta series: ${row}`,
    );
    for (const id of ['a', 'b', 'n'])
      assert.ok(hrp.includes(`| \`${id}\` | In sample (fit period) | 63 |`), `a tail row for sleeve ${id}`);
    // Gross 0.45 and 0.05: HHI = 0.9² + 0.1² = 0.82, effective N = 1.22.
    assert.ok(
      hrp.includes(
        'Concentration of the flattened gross weights: largest position `AAA` 45.00% (no cap set); top 10 hold 100.00%; HHI 0.82 (effective N 1.22).',
      ),
      `concentration line: ${hrp.slice(hrp.indexOf('Concentration'), hrp.indexOf('Concentration') + 200)}`,
    );
  });

  test("a nested branch's health row sums its atomic sleeves' windows, at every depth", async () => {
    const { ws, run: dir } = await workspace();
    const hrpSection = () => {
      const md = readFileSync(join(dir, REPORT_MD), 'utf8');
      return md.slice(md.indexOf('## Risk profile `hrp`'), md.indexOf('## Risk profile `min_variance`'));
    };
    // Without the branch's own manifest its sleeves are unknown, and the report says which file is missing.
    await run(ws);
    assert.ok(
      hrpSection().includes(
        '| `n` (branch) | n/a | n/a | n/a | unknown: data/meta_manifest_meta_sub_hrp.json not found |',
      ),
      'a branch without its manifest names the missing file',
    );
    const sleeve = (id: string, kind: string, profile: string, h: object) => ({
      id,
      kind,
      profile,
      run_id: kind === 'atomic' ? `${profile}_1` : null,
      health: h,
      branch_weights: kind === 'meta' ? 'optimized' : null,
    });
    const manifest = (included: object[]) => ({
      schema_version: 1,
      included,
      excluded: [],
      calendar: {
        common_rows: 63,
        first_date: DATES[0],
        last_date: DATES[62],
        weekend_dates: false,
        periods_per_year: 252,
        per_sleeve: [],
      },
      warnings: [],
    });
    json(
      join(dir, metaArtifactPaths('meta_sub', 'hrp').manifest),
      manifest([sleeve('s1', 'atomic', 'p1', health(4, 3)), sleeve('s2', 'meta', 'meta_deep', health(0, 0))]),
    );
    json(
      join(dir, metaArtifactPaths('meta_deep', 'hrp').manifest),
      manifest([
        sleeve('d1', 'atomic', 'p2', health(5, 5)),
        sleeve('d2', 'atomic', 'p3', { ...health(6, 2), healthy: false }),
      ]),
    );
    await run(ws);
    // 4 + 5 + 6 windows, 3 + 5 + 2 successes, 2 of the 3 atomic sleeves healthy.
    assert.ok(
      hrpSection().includes('| `n` (branch) | 15 | 10 | 66.67% | 2 of 3 sleeves healthy |'),
      `the branch row shows its sleeves' figures, not "0 windows, n/a, healthy": ${hrpSection()}`,
    );
    assert.ok(hrpSection().includes('| `a` | 3 | 3 | 100.00% | healthy |'), 'atomic rows are unchanged');
  });

  test('explicit risk profiles and the predecessor alias', async () => {
    const { ws, run: dir } = await workspace();
    rmSync(join(dir, RESOLVED_MANIFEST));
    const result = await run(ws, { meta_profile: M, risk_profiles: ['min_variance'] }, 'risk.report_meta');
    assert.equal(result.stageId, 'meta.report', 'result.stageId');
    assert.deepEqual(
      result.value.risk_profiles.map((p) => p.risk_profile),
      ['min_variance'],
      'result.value.risk_profiles.map((p) => p.risk_profile)',
    );
    assert.ok(
      !readFileSync(join(dir, REPORT_MD), 'utf8').includes('## Risk profile `hrp`'),
      "!readFileSync(join(dir, REPORT_MD), 'utf8').includes('## Risk profile…",
    );
  });

  test('a missing required artifact fails the stage naming the file; no report is written', async () => {
    const { ws, run: dir } = await workspace();
    const file = metaArtifactPaths(M, 'min_variance').optimized;
    rmSync(join(dir, file));
    await assert.rejects(run(ws), artifactMissing(file), 'run rejects');
    assert.equal(existsSync(join(dir, REPORT_MD)), false, 'join(dir, REPORT_MD) does not exist');
    const outcome = (await readLedger(join(dir, 'audit.jsonl'))).at(-1);
    assert.equal(outcome?.status, 'error', 'outcome?.status');

    rmSync(join(dir, metaArtifactPaths(M, 'hrp').returns));
    await assert.rejects(
      run(ws),
      (error: unknown) => {
        artifactMissing(metaArtifactPaths(M, 'hrp').returns)(error);
        assert.deepEqual(
          (error as QuantError).issues?.map((i) => i.path),
          [metaArtifactPaths(M, 'hrp').returns, file],
          '(error).issues?.map((i) => i.path)',
        );
        return true;
      },
      'run rejects',
    );
  });

  test('without risk_profiles, the resolved manifest is required', async () => {
    const { ws, run: dir } = await workspace();
    rmSync(join(dir, RESOLVED_MANIFEST));
    await assert.rejects(run(ws), artifactMissing(RESOLVED_MANIFEST), 'run rejects');
  });

  test('returns and weights that disagree on the sleeves are an input error', async () => {
    const { ws, run: dir } = await workspace();
    json(join(dir, metaArtifactPaths(M, 'hrp').optimized), optimized(M, 'hrp', { a: 0.5, b: 0.5 }));
    await assert.rejects(
      run(ws),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_COLUMN' && e.message.includes('"n"'),
      'run rejects with E_INPUT_COLUMN',
    );
    json(join(dir, metaArtifactPaths(M, 'hrp').optimized), { schema_version: 1, method: 'hrp' });
    await assert.rejects(
      run(ws),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_FORMAT' && (e.issues?.length ?? 0) > 0,
      'run rejects with E_INPUT_FORMAT',
    );
  });
});
