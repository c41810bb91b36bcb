// The meta pipeline end to end through the built CLI, in fresh processes, on a workspace of real sleeve
// run folders (test/helpers/meta-workspace.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { readTree } from '../helpers/files.js';
import { buildMetaWorkspace, metaManifest, PROFILES } from '../helpers/meta-workspace.js';
import { businessDays, randomReturns, writeSleeveRun } from '../helpers/sleeve-fixtures.js';
import { readTable } from '../../src/artifacts/index.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

interface Optimized {
  method: string;
  requested_method: string;
  weights: Record<string, number>;
  bounds: { min_weight: number; max_weight: number };
}
interface Flat {
  assets: {
    Symbol: string;
    Weight: number;
    Net_Weight: number;
    Direction: string;
    Contributors: Record<string, number>;
  }[];
  totals: { gross: number; net: number };
}
interface MetaManifest {
  included: { id: string; run_id: string | null; source_file: string }[];
  excluded: { id: string; reason: string }[];
  calendar: { common_rows: number; per_sleeve: { id: string; rows: number; intersection_loss: number }[] };
}

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

describe('quant meta run', () => {
  let ws: { path: string; cleanup(): void };
  let run: string;
  before(async () => {
    ws = tempDir();
    await buildMetaWorkspace(ws.path);
    const r = quant(['meta', 'run', '--profile', 'meta_root', '--run-id', 'm1', '--workspace', ws.path], {
      env: EPOCH,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /report: .*reports\/meta_portfolio_report\.md/,
      'r.stdout matches /report: .*reports\\/meta_portfolio_report\\.md/',
    );
    assert.match(
      r.stdout,
      /html report: .*reports\/meta_portfolio_report\.html\n$/,
      'r.stdout matches /html report: .*reports\\/meta_portfolio_report\\.html\\n$/',
    );
    run = join(ws.path, 'runs', 'm1');
  });
  after(() => ws.cleanup());

  test('writes every artifact for the root and the nested meta profile, for every risk profile', () => {
    for (const M of ['meta_root', 'meta_inner']) {
      for (const P of PROFILES) {
        for (const f of [
          `meta_returns_${M}_${P}.parquet`,
          `meta_manifest_${M}_${P}.json`,
          `meta_optimized_${M}_${P}.json`,
          `meta_cluster_tree_${M}_${P}.json`,
          `portfolio_optimized_meta_${M}_${P}.json`,
        ]) {
          assert.ok(existsSync(join(run, 'data', f)), `${f} missing`);
        }
      }
    }
    assert.ok(
      existsSync(join(run, 'reports', 'meta_portfolio_report.md')),
      'reports/meta_portfolio_report.md exists',
    );
    // The out-of-sample backtest runs by default, for the root; the HTML report sits next to the Markdown.
    for (const P of PROFILES) {
      for (const f of [`meta_backtest_meta_root_${P}.parquet`, `meta_backtest_meta_root_${P}.json`]) {
        assert.ok(existsSync(join(run, 'data', f)), `${f} missing`);
      }
    }
    assert.ok(
      existsSync(join(run, 'reports', 'meta_portfolio_report.html')),
      'reports/meta_portfolio_report.html exists',
    );
    const resolved = json<{
      sleeves: { path: string[]; run_id: string; pinned: boolean }[];
      risk_profiles: string[];
    }>(join(run, 'config', 'resolved_manifest.json'));
    assert.deepEqual(resolved.risk_profiles, [...PROFILES], 'resolved.risk_profiles');
    const byPath = Object.fromEntries(resolved.sleeves.map((s) => [s.path.join('/'), s]));
    assert.equal(byPath['inner/alpha']?.run_id, 'alpha_20240101-000000', "byPath['inner/alpha']?.run_id"); // latest, not the 2023 run
    assert.equal(byPath['inner/beta']?.run_id, 'beta_legacy', "byPath['inner/beta']?.run_id");
    assert.equal(byPath['inner/beta']?.pinned, true, "byPath['inner/beta']?.pinned");
    assert.equal(
      json<{ status: string }>(join(run, 'run.json')).status,
      'success',
      "json<{ status: string }>(join(run, 'run.json')).status",
    );
  });

  test('philosophy matching: a sleeve without the P stream is excluded (missing_stream), never substituted', () => {
    const mv = json<MetaManifest>(join(run, 'data', 'meta_manifest_meta_root_min_variance.json'));
    assert.deepEqual(
      mv.excluded.map((e) => [e.id, e.reason]),
      [['gamma', 'missing_stream']],
      'mv.excluded.map((e) => [e.id, e.reason])',
    );
    assert.deepEqual(
      mv.included.map((s) => s.id),
      ['inner', 'delta'],
      'mv.included.map((s) => s.id)',
    );
    const hrp = json<MetaManifest>(join(run, 'data', 'meta_manifest_meta_root_hrp.json'));
    assert.ok(
      hrp.included.find((s) => s.id === 'gamma')?.source_file.endsWith('data/returns/hrp.parquet'),
      "hrp.included.find((s) => s.id === 'gamma')?.source_file.endsWith('dat…",
    );
  });

  test('health guardrail: 2/4 successful windows excludes the sleeve, recorded in the meta manifest and the ledger', () => {
    const hrp = json<MetaManifest>(join(run, 'data', 'meta_manifest_meta_root_hrp.json'));
    assert.deepEqual(
      hrp.excluded.map((e) => [e.id, e.reason]),
      [['delta', 'health']],
      'hrp.excluded.map((e) => [e.id, e.reason])',
    );
    const ledger = readFileSync(join(run, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    assert.ok(
      ledger.some(
        (r) =>
          r.type === 'decision' &&
          r.data['sleeve'] === 'delta' &&
          r.data['reason'] === 'health' &&
          r.data['risk_profile'] === 'hrp',
      ),
      "ledger.some((r) => r.type === 'decision' && r.data['sleeve'] === 'del…",
    );
    // 3/4 windows is healthy (alpha for risk_parity).
    const rp = json<MetaManifest>(join(run, 'data', 'meta_manifest_meta_inner_risk_parity.json'));
    assert.deepEqual(
      rp.included.map((s) => s.id),
      ['alpha', 'beta'],
      'rp.included.map((s) => s.id)',
    );
  });

  test('calendar: inner join with the intersection loss per sleeve; the Parquet matrix has one column per included sleeve', async () => {
    const m = json<MetaManifest>(join(run, 'data', 'meta_manifest_meta_root_risk_parity.json'));
    assert.equal(m.calendar.common_rows, 300, 'm.calendar.common_rows');
    const inner = m.calendar.per_sleeve.find((s) => s.id === 'inner');
    assert.ok(
      inner !== undefined && Math.abs(inner.intersection_loss - 20 / 320) < 1e-12,
      'inner !== undefined && Math.abs(inner.intersection_loss - 20 / 320) <…',
    );
    const table = await readTable(join(run, 'data', 'meta_returns_meta_root_risk_parity.parquet'));
    assert.deepEqual([...table.columns], ['inner', 'gamma', 'delta'], '[...table.columns]');
    assert.equal(table.dates.length, 300, 'table.dates.length');
    assert.equal(table.dates[0], '2023-01-30', 'table.dates[0]');
  });

  test('bounds: every level within its own bounds, weights sum to 1', () => {
    for (const P of PROFILES) {
      for (const [M, lo, hi] of [
        ['meta_root', 0.1, 0.7],
        ['meta_inner', 0.2, 0.8],
      ] as const) {
        const o = json<Optimized>(join(run, 'data', `meta_optimized_${M}_${P}.json`));
        const ws = Object.values(o.weights);
        assert.ok(Math.abs(ws.reduce((a, b) => a + b, 0) - 1) < 1e-12, `${M} ${P} sum`);
        for (const w of ws)
          assert.ok(w >= lo - 1e-12 && w <= hi + 1e-12, `${M} ${P}: ${w} outside [${lo}, ${hi}]`);
        assert.deepEqual(o.bounds, { min_weight: lo, max_weight: hi }, 'o.bounds');
      }
    }
  });

  test('flattening: physical symbols summed across sleeves and branches, signs and prefixes kept, contributors by path', () => {
    const P = 'risk_parity';
    const root = json<Optimized>(join(run, 'data', `meta_optimized_meta_root_${P}.json`)).weights;
    const inner = json<Optimized>(join(run, 'data', `meta_optimized_meta_inner_${P}.json`)).weights;
    const flat = json<Flat>(join(run, 'data', `portfolio_optimized_meta_meta_root_${P}.json`));
    const bySymbol = Object.fromEntries(flat.assets.map((a) => [a.Symbol, a]));
    const wi = root['inner']!;
    const expectedShared = wi * inner['alpha']! * 0.4 + wi * inner['beta']! * 0.5 + root['delta']! * -0.3;
    assert.ok(
      Math.abs(bySymbol['SHARED']!.Net_Weight - expectedShared) < 1e-15,
      "bySymbol['SHARED'].Net_Weight ≈ expectedShared within 1e-15",
    );
    assert.deepEqual(
      Object.keys(bySymbol['SHARED']!.Contributors),
      ['delta', 'inner/alpha', 'inner/beta'],
      "Object.keys(bySymbol['SHARED'].Contributors)",
    );
    assert.ok(
      Math.abs(bySymbol['CME_MINI:ES1!']!.Net_Weight - wi * inner['alpha']! * 0.6) < 1e-15,
      "bySymbol['CME_MINI:ES1!'].Net_Weight ≈ wi * inner['alpha'] * 0.6 within 1e-15",
    );
    assert.equal(bySymbol['NYMEX:CL1!']!.Direction, 'SHORT', "bySymbol['NYMEX:CL1!'].Direction");
    assert.ok(bySymbol['NYMEX:CL1!']!.Net_Weight < 0, "bySymbol['NYMEX:CL1!'].Net_Weight < 0");
    assert.ok(
      Math.abs(bySymbol['NYMEX:CL1!']!.Weight + bySymbol['NYMEX:CL1!']!.Net_Weight) < 1e-15,
      "Math.abs(bySymbol['NYMEX:CL1!'].Weight + bySymbol['NYMEX:CL1!'].Net_W…",
    );
    for (let i = 1; i < flat.assets.length; i++)
      assert.ok(
        flat.assets[i - 1]!.Weight >= flat.assets[i]!.Weight,
        'flat.assets[i - 1].Weight >= flat.assets[i].Weight',
      );
    const gross = flat.assets.reduce((s, a) => s + a.Weight, 0);
    assert.ok(Math.abs(flat.totals.gross - gross) < 1e-12, 'flat.totals.gross ≈ gross within 1e-12');
    assert.ok(flat.totals.gross > flat.totals.net, 'flat.totals.gross > flat.totals.net'); // the shorts net out: no renormalisation
  });

  test('the report has every risk profile, and the ledger verifies', () => {
    const md = readFileSync(join(run, 'reports', 'meta_portfolio_report.md'), 'utf8');
    for (const P of PROFILES) assert.ok(md.includes(P), 'md includes P');
    const v = quant(['audit', 'verify', 'm1', '--workspace', ws.path]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('quant meta validate passes on the run and fails, exit 1, after an artifact is removed', () => {
    const untouched = readTree(run);
    const ok = quant(['meta', 'validate', '--run-id', 'm1', '--workspace', ws.path]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^pass {2}run\.json/m, 'ok.stdout matches /^pass {2}run\\.json/m');
    assert.doesNotMatch(ok.stdout, /^FAIL/m, 'ok.stdout does not match /^FAIL/m');
    assert.deepEqual(readTree(run), untouched, 'without --write, validation changes no file of the run');
    const written = quant(['meta', 'validate', '--run-id', 'm1', '--write', '--workspace', ws.path]);
    assert.equal(written.code, 0, written.stdout + written.stderr);
    assert.match(written.stdout, /verdict written to /, 'with --write the verdict file is named');
    const verdict = json<{ ok: boolean; checks: unknown[] }>(join(run, 'reports', 'meta_validation.json'));
    assert.equal(verdict.ok, true, 'verdict.ok');
    assert.ok(verdict.checks.length > 30, 'verdict.checks.length > 30');
  });

  test('each stage runs alone in a fresh process against the run, and reproduces its artifacts', () => {
    const file = join(run, 'data', 'meta_optimized_meta_root_hrp.json');
    const before = readFileSync(file, 'utf8');
    const r = quant(
      [
        'stage',
        'run',
        'risk.optimize_meta',
        '--run-id',
        'm1',
        '--param',
        'meta_profile=meta_root',
        '--param',
        'risk_profiles=hrp',
        '--workspace',
        ws.path,
      ],
      { env: EPOCH },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), before, "readFileSync(file, 'utf8')");
    const f = quant(
      [
        'stage',
        'run',
        'meta.flatten',
        '--run-id',
        'm1',
        '--param',
        'meta_profile=meta_inner',
        '--workspace',
        ws.path,
      ],
      { env: EPOCH },
    );
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /hrp: \d+ assets/, 'f.stdout matches /hrp: \\d+ assets/');
  });

  test('same inputs, run id and SOURCE_DATE_EPOCH: byte-identical artifacts, ledger included', async () => {
    const other = tempDir();
    try {
      await buildMetaWorkspace(other.path);
      const r = quant(
        ['meta', 'run', '--profile', 'meta_root', '--run-id', 'm1', '--workspace', other.path],
        { env: EPOCH },
      );
      assert.equal(r.code, 0, r.stderr);
      const a = tempDir();
      await buildMetaWorkspace(a.path);
      const r2 = quant(['meta', 'run', '--profile', 'meta_root', '--run-id', 'm1', '--workspace', a.path], {
        env: EPOCH,
      });
      assert.equal(r2.code, 0, r2.stderr);
      const files = listFiles(join(other.path, 'runs', 'm1'))
        .map((f) => relative(join(other.path, 'runs', 'm1'), f))
        .sort();
      assert.ok(files.length >= 34, `only ${files.length} files`);
      for (const f of files) {
        assert.ok(
          readFileSync(join(other.path, 'runs', 'm1', f)).equals(readFileSync(join(a.path, 'runs', 'm1', f))),
          `${f} differs`,
        );
      }
      a.cleanup();
    } finally {
      other.cleanup();
    }
  });

  test('quant stage list --category meta lists the meta stages; the predecessor names resolve', () => {
    const r = quant(['stage', 'list', '--category', 'meta', '--json']);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id),
      [
        'meta.returns',
        'meta.optimize',
        'meta.flatten',
        'meta.attribution',
        'meta.report',
        'meta.sign_test',
        'meta.backtest',
        'meta.trades',
        'meta.benchmark',
      ],
      '(JSON.parse(r.stdout)).map((s) => s.id)',
    );
    for (const alias of ['meta.aggregation', 'risk.optimize_meta', 'risk.flatten_meta', 'risk.report_meta']) {
      const s = quant(['stage', 'schema', alias]);
      assert.equal(s.code, 0, `${alias}: ${s.stderr}`);
    }
  });
});

describe('quant meta run: errors before any work', () => {
  let ws: { path: string; cleanup(): void };
  before(async () => {
    ws = tempDir();
    await buildMetaWorkspace(ws.path);
  });
  after(() => ws.cleanup());

  const runMeta = (
    profile: string,
    runId: string,
    manifest?: Record<string, unknown>,
  ): ReturnType<typeof quant> => {
    if (manifest !== undefined) {
      rmSync(join(ws.path, 'manifest.json'));
      require_write(join(ws.path, 'manifest.json'), manifest);
    }
    return quant(['meta', 'run', '--profile', profile, '--run-id', runId, '--workspace', ws.path]);
  };

  test('a cycle is E_CYCLE naming the path; no run folder is created', () => {
    const m = metaManifest({
      loop_a: {
        sleeves: [
          { id: 'b', meta_profile: 'loop_b' },
          { id: 'g', profile: 'gamma' },
        ],
      },
      loop_b: {
        sleeves: [
          { id: 'a', meta_profile: 'loop_a' },
          { id: 'g', profile: 'gamma' },
        ],
      },
    });
    const r = runMeta('loop_a', 'cyc', m);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_CYCLE: .*loop_a → loop_b → loop_a/,
      'a cycle is E_CYCLE, also when the loader finds it',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'cyc')), false, 'runs/cyc does not exist');
  });

  test('infeasible bounds are an error naming the meta profile, before any work', () => {
    const m = metaManifest();
    (m['profiles'] as Record<string, { meta_allocation: unknown }>)['meta_root']!.meta_allocation = {
      min_weight: 0.5,
      max_weight: 0.9,
    };
    const r = runMeta('meta_root', 'inf', m);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_MANIFEST: .*profiles\.meta_root\.meta_allocation/,
      'r.stderr names E_MANIFEST',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'inf')), false, 'runs/inf does not exist');
  });

  test('a pinned run id that does not exist is an error, not a silent fallback', () => {
    const m = metaManifest();
    (m['profiles'] as Record<string, { sleeves: { id: string; run_id?: string }[] }>)[
      'meta_inner'
    ]!.sleeves[0]!.run_id = 'alpha_nope';
    const r = runMeta('meta_root', 'pin', m);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /^E_RUN_NOT_FOUND: .*alpha_nope/, 'r.stderr names E_RUN_NOT_FOUND');
  });

  test('an unknown meta profile suggests the closest', () => {
    const r = runMeta('meta_rot', 'unk', metaManifest());
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_UNKNOWN_PROFILE: .*did you mean "meta_root"/,
      'r.stderr names E_UNKNOWN_PROFILE',
    );
  });

  test('fewer than 30 common dates is E_TOO_FEW_DATES naming the sleeves and counts', async () => {
    const dates = businessDays(businessDays('2023-01-02', 320)[300]!, 40); // overlaps delta's last 20 days
    await writeSleeveRun(ws.path, {
      runId: 'late_1',
      profile: 'late',
      streams: { risk_parity: { dates, returns: randomReturns(77, 40) } },
      weights: { risk_parity: [{ Symbol: 'X', Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
    });
    const m = metaManifest({
      thin: {
        sleeves: [
          { id: 'late', profile: 'late' },
          { id: 'delta', profile: 'delta' },
        ],
        risk_profiles: ['risk_parity'],
      },
    });
    const r = runMeta('thin', 'thin', m);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_TOO_FEW_DATES: pipeline meta failed at stage meta\.returns: meta profile thin \(risk_parity\): only 20 common date\(s\) across late \(40 rows\), delta \(320 rows\); at least 30/,
      'r.stderr names E_TOO_FEW_DATES',
    );
  });
});

import { writeFileSync } from 'node:fs';
function require_write(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2));
}
