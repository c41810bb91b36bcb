// exposure_limits: caps on the flattened physical positions of a meta level, solved exactly as linear
// constraints of the level (min_variance) or projected with a recorded decision (hrp); the cap binds on
// the flattened portfolio, the weights differ from the uncapped run, meta validate checks every cap, and
// caps that cannot hold are E_INFEASIBLE_CONSTRAINTS naming them with their JSON paths.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantError, QuantSDK } from '../../../../src/index.js';
import { parseManifest } from '../../../../src/manifest/load-manifest.js';
import { assertManifestValid } from '../../../../src/manifest/profile-usage.js';
import { validateMetaRun } from '../../../../src/stages/index.js';
import type { FlattenedMetaDoc, MetaOptimizedDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../artifacts/_temp.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';

const HOLDINGS: Record<string, [string, number][]> = {
  a: [['SIX:X', 1]],
  b: [
    ['SIX:X', 0.5],
    ['SIX:Y', 0.5],
  ],
  c: [['NYSE:Z', 1]],
  d: [
    ['NYSE:W', 0.6],
    ['NYSE:V', 0.4],
  ],
};
const VOLS = [0.003, 0.004, 0.012, 0.015];
const PROFILES = ['min_variance', 'hrp'];

async function workspace(ws: string): Promise<void> {
  const dates = businessDays('2024-01-01', 120);
  for (const [i, [id, rows]] of Object.entries(HOLDINGS).entries()) {
    const atoms = rows.map(([Symbol, w]) => ({
      Symbol,
      Weight: w,
      Net_Weight: w,
      Direction: 'LONG' as const,
    }));
    await writeSleeveRun(ws, {
      runId: `${id}_run`,
      profile: `s_${id}`,
      streams: Object.fromEntries(
        PROFILES.map((p, k) => [
          p,
          { dates, returns: randomReturns(53 + i * 5 + k, dates.length, { vol: VOLS[i] as number }) },
        ]),
      ),
      weights: Object.fromEntries(PROFILES.map((p) => [p, atoms])),
    });
  }
}

const manifest = (level: Record<string, unknown> = {}): unknown => ({
  profiles: {
    m: {
      sleeves: Object.keys(HOLDINGS).map((id) => ({ id, profile: `s_${id}` })),
      risk_profiles: PROFILES,
      ...level,
    },
  },
});

const read = <T>(runDir: string, rel: string): T => JSON.parse(readFileSync(join(runDir, rel), 'utf8')) as T;
const flat = (runDir: string, P: string): FlattenedMetaDoc =>
  read<FlattenedMetaDoc>(runDir, `data/portfolio_optimized_meta_m_${P}.json`);
const net = (doc: FlattenedMetaDoc, symbol: string): number =>
  doc.assets.find((a) => a.Symbol === symbol)?.Net_Weight ?? 0;

describe('exposure_limits: shapes', () => {
  const problems = (limits: unknown): { path: string; message: string }[] => {
    try {
      assertManifestValid(
        parseManifest(JSON.stringify(manifest({ exposure_limits: limits })), 'manifest.json'),
        'manifest.json',
      );
    } catch (e) {
      assert.ok(e instanceof QuantError && e.code === 'E_MANIFEST', `E_MANIFEST, not ${String(e)}`);
      return (e.details['problems'] ?? []) as { path: string; message: string }[];
    }
    assert.fail('expected E_MANIFEST');
  };
  test('bad caps are E_MANIFEST at their JSON path', () => {
    for (const [limits, path] of [
      [{ max_weight: 1.5 }, 'profiles.m.exposure_limits.max_weight'],
      [{ symbols: { 'SIX:X': -0.1 } }, 'profiles.m.exposure_limits.symbols["SIX:X"]'],
      [{ prefixes: { 'SIX:': 'half' } }, 'profiles.m.exposure_limits.prefixes["SIX:"]'],
      [{ max_wieght: 0.2 }, 'profiles.m.exposure_limits'],
      [{}, 'profiles.m.exposure_limits'],
    ] as const) {
      const all = problems(limits);
      assert.ok(
        all.some((p) => p.path === path),
        `${JSON.stringify(limits)}: a problem at ${path}; got ${JSON.stringify(all)}`,
      );
    }
  });
});

describe('exposure_limits through the pipeline (SDK)', { timeout: 180_000 }, () => {
  let ws: string;
  let free: string;
  let capped: string;
  let reportPath: string;
  before(async () => {
    ws = tempDir('mf-exposure-limits-');
    await workspace(ws);
    const opts = { workspace: ws, backtest: false, cache: false } as const;
    await writeManifest(ws, manifest());
    free = (await QuantSDK.runMeta('m', { ...opts, runId: 'free' })).runDir;
    await writeManifest(
      ws,
      manifest({
        exposure_limits: { max_weight: 0.25, symbols: { 'NYSE:Z': 0.5 }, prefixes: { 'NYSE:': 0.9 } },
      }),
    );
    const run = await QuantSDK.runMeta('m', { ...opts, runId: 'capped' });
    capped = run.runDir;
    reportPath = run.reportPath;
  });

  for (const P of PROFILES) {
    test(`${P}: the 25 % cap binds on the flattened SIX:X and the weights differ from the uncapped run`, () => {
      const before = net(flat(free, P), 'SIX:X');
      const after = net(flat(capped, P), 'SIX:X');
      assert.ok(before > 0.25 + 1e-3, `${P}: uncapped SIX:X is ${before}, above the cap`);
      assert.ok(Math.abs(after - 0.25) <= 1e-9, `${P}: capped SIX:X is ${after}, on the cap 0.25`);
      for (const a of flat(capped, P).assets) {
        const cap = a.Symbol === 'NYSE:Z' ? 0.5 : 0.25;
        assert.ok(a.Weight <= cap + 1e-9, `${P}: ${a.Symbol} ${a.Weight} within its cap ${cap}`);
      }
      const doc = read<MetaOptimizedDoc>(capped, `data/meta_optimized_m_${P}.json`);
      assert.equal(doc.method, P, `${P}: no fallback`);
      const row = doc.limits?.find((r) => r.name === 'cap SIX:X');
      assert.ok(row !== undefined && row.kind === 'exposure', `${P}: a limits row for the cap`);
      assert.ok(row.binding && Math.abs(row.value - 0.25) <= 1e-9, `${P}: the row binds at ${row.value}`);
      assert.ok(
        doc.limits?.some((r) => r.name === 'prefix NYSE:' && !r.binding),
        `${P}: the prefix cap is listed, not binding`,
      );
      const weights = read<MetaOptimizedDoc>(free, `data/meta_optimized_m_${P}.json`).weights;
      const moved = Math.max(
        ...Object.keys(HOLDINGS).map((id) => Math.abs((doc.weights[id] as number) - (weights[id] as number))),
      );
      assert.ok(moved > 1e-3, `${P}: the sleeve weights moved by ${moved}`);
    });
  }

  test('the report sets the largest position against its cap', () => {
    const report = readFileSync(reportPath, 'utf8');
    const lines = report.split('\n').filter((l) => l.includes('largest position'));
    assert.equal(
      lines.length,
      PROFILES.length,
      `one concentration line per risk profile: ${lines.join(' | ')}`,
    );
    for (const line of lines) {
      // NYSE:Z (one sleeve's whole book) is the largest position; its own cap overrides the default.
      assert.match(line, /largest position `NYSE:Z` [\d.]+% \(cap 50\.00%\)/, line);
    }
  });

  test('hrp is projected: a meta.exposure_projection decision with before and after', () => {
    const ledger = readFileSync(join(capped, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { type: string; step?: string; data?: Record<string, unknown> });
    const decisions = ledger.filter((r) => r.type === 'decision' && r.step === 'meta.exposure_projection');
    assert.deepEqual(
      decisions.map((d) => d.data?.['risk_profile']),
      ['hrp'],
      'one projection decision, for hrp only (min_variance solves under the caps)',
    );
    const data = decisions[0]?.data ?? {};
    const freeWeights = read<MetaOptimizedDoc>(free, 'data/meta_optimized_m_hrp.json').weights;
    const cappedWeights = read<MetaOptimizedDoc>(capped, 'data/meta_optimized_m_hrp.json').weights;
    assert.deepEqual(data['before'], freeWeights, 'before: the uncapped hrp weights');
    assert.deepEqual(data['after'], cappedWeights, 'after: the weights written');
    assert.deepEqual(data['binding'], ['cap SIX:X'], 'the binding cap');
  });

  test('meta validate checks the caps on the flattened weights', async () => {
    const ok = await validateMetaRun(ws, 'capped');
    assert.equal(ok.ok, true, `validate: ${JSON.stringify(ok.checks.filter((c) => !c.ok))}`);
    const rel = 'data/portfolio_optimized_meta_m_min_variance.json';
    const doc = flat(capped, 'min_variance');
    const assets = doc.assets.map((a) => (a.Symbol === 'SIX:X' ? { ...a, Weight: 0.3, Net_Weight: 0.3 } : a));
    writeFileSync(join(capped, rel), JSON.stringify({ ...doc, assets }));
    const bad = await validateMetaRun(ws, 'capped');
    const check = bad.checks.find((c) => c.id === rel);
    assert.equal(bad.ok, false, 'the tampered run fails');
    assert.match(check?.detail ?? '', /SIX:X: \|net\| 0\.3 above its cap 0\.25/, check?.detail);
  });
});

describe('exposure_limits that cannot hold', { timeout: 120_000 }, () => {
  test('E_INFEASIBLE_CONSTRAINTS naming the caps and their JSON paths, before the level is optimised', async () => {
    const ws = tempDir('mf-exposure-infeasible-');
    await workspace(ws);
    await writeManifest(ws, manifest({ exposure_limits: { max_weight: 0.15 } }));
    let error: unknown;
    await QuantSDK.runMeta('m', { workspace: ws, runId: 'bad', backtest: false, cache: false }).catch(
      (e: unknown) => (error = e),
    );
    assert.ok(error instanceof QuantError, `a QuantError, not ${String(error)}`);
    assert.equal(error.code, 'E_INFEASIBLE_CONSTRAINTS', error.message);
    const names = error.details['constraints'] as string[];
    assert.ok(names.includes('cap SIX:X') && names.includes('cap NYSE:Z'), `caps named: ${names.join(', ')}`);
    assert.match(error.message, /cap SIX:X max 0\.15/, error.message);
    assert.match(error.message, /set at profiles\.m\.exposure_limits\.max_weight/, error.message);
    assert.match(
      error.message,
      /infeasible limits in meta profile m \(min_variance\)/,
      'the message names the risk profile',
    );
    assert.match(
      error.hint ?? '',
      /leave [a-z_]+ out \(--profiles\)/,
      'the hint says another risk profile may hold',
    );
  });
});
