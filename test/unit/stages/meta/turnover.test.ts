// turnover of a meta level through the pipeline: inactive (and recorded) on the first run, the previous
// successful run's weights as the reference (the bound binds exactly; min_variance solved exactly, hrp
// projected), a holdings file instead, a tampered reference refused with its audit code, bad holdings
// lines and a bad block named where they are, an impossible bound E_INFEASIBLE_CONSTRAINTS.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantError, QuantSDK } from '../../../../src/index.js';
import { parseManifest } from '../../../../src/manifest/load-manifest.js';
import { assertManifestValid } from '../../../../src/manifest/profile-usage.js';
import { validateMetaRun } from '../../../../src/stages/index.js';
import { checkManifestFile } from '../../../../src/sdk/manifest-check.js';
import type { MetaOptimizedDoc, TurnoverRecord } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../artifacts/_temp.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';

const IDS = ['a', 'b', 'c', 'd'];
const PROFILES = ['min_variance', 'hrp'];
const BOUND = 0.05;

async function sleeves(ws: string, round: number): Promise<void> {
  const dates = businessDays('2024-01-01', 120);
  for (const [i, id] of IDS.entries()) {
    // The second round changes the volatilities, so that the free optimum moves away from the first.
    const vol = round === 1 ? [0.004, 0.006, 0.01, 0.012][i] : [0.012, 0.01, 0.006, 0.004][i];
    await writeSleeveRun(ws, {
      runId: `${id}_run${round}`,
      profile: `s_${id}`,
      createdAt: `2025-0${round}-01T00:00:00Z`,
      streams: Object.fromEntries(
        PROFILES.map((p, k) => [
          p,
          { dates, returns: randomReturns(round * 100 + i * 7 + k, dates.length, { vol: vol as number }) },
        ]),
      ),
      weights: Object.fromEntries(
        PROFILES.map((p) => [
          p,
          [{ Symbol: `SIX:${id.toUpperCase()}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' as const }],
        ]),
      ),
    });
  }
}

const manifest = (turnover: unknown): unknown => ({
  profiles: {
    m: {
      sleeves: IDS.map((id) => ({ id, profile: `s_${id}` })),
      risk_profiles: PROFILES,
      turnover,
    },
  },
});

const read = <T>(runDir: string, rel: string): T => JSON.parse(readFileSync(join(runDir, rel), 'utf8')) as T;
const optimized = (runDir: string, P: string): MetaOptimizedDoc =>
  read<MetaOptimizedDoc>(runDir, `data/meta_optimized_m_${P}.json`);
const record = (runDir: string, P: string): TurnoverRecord => {
  const t = optimized(runDir, P).turnover;
  assert.ok(t !== undefined, `${runDir} ${P}: a turnover record`);
  return t;
};
const l1 = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): number =>
  IDS.reduce((s, id) => s + Math.abs((a[id] ?? 0) - (b[id] ?? 0)), 0);

async function failure(fn: () => Promise<unknown>): Promise<QuantError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof QuantError, `a QuantError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a QuantError');
}

describe('turnover: the manifest block', () => {
  const problems = (turnover: unknown): { path: string; message: string }[] => {
    try {
      assertManifestValid(
        parseManifest(JSON.stringify(manifest(turnover)), 'manifest.json'),
        'manifest.json',
      );
    } catch (e) {
      assert.ok(e instanceof QuantError && e.code === 'E_MANIFEST', `E_MANIFEST, not ${String(e)}`);
      return (e.details['problems'] ?? []) as { path: string; message: string }[];
    }
    assert.fail('expected E_MANIFEST');
  };
  test('bad blocks are E_MANIFEST at their JSON path', () => {
    for (const [turnover, path] of [
      [{ max_turnover: 3 }, 'profiles.m.turnover.max_turnover'],
      [{ penalty: -1 }, 'profiles.m.turnover.penalty'],
      [{ max_turnover: 0.1, holdings: '' }, 'profiles.m.turnover.holdings'],
      [{ max_turnvoer: 0.1 }, 'profiles.m.turnover'],
      [{}, 'profiles.m.turnover'],
    ] as const) {
      const all = problems(turnover);
      assert.ok(
        all.some((p) => p.path === path),
        `${JSON.stringify(turnover)}: a problem at ${path}; got ${JSON.stringify(all)}`,
      );
    }
  });
});

describe('turnover through the pipeline (SDK)', { timeout: 240_000 }, () => {
  let ws: string;
  let first: string;
  let second: string;
  const opts = (ws: string) => ({ workspace: ws, backtest: false, cache: false }) as const;
  before(async () => {
    ws = tempDir('mf-turnover-');
    await sleeves(ws, 1);
    await writeManifest(ws, manifest({ max_turnover: BOUND }));
    first = (await QuantSDK.runMeta('m', { ...opts(ws), runId: 't1_first' })).runDir;
    await sleeves(ws, 2);
    second = (await QuantSDK.runMeta('m', { ...opts(ws), runId: 't2_second' })).runDir;
  });

  test('the first run: inactive, the reason recorded in the artifact, the ledger and the report', () => {
    for (const P of PROFILES) {
      const t = record(first, P);
      assert.equal(t.active, false, `${P}: inactive`);
      assert.match(t.active ? '' : t.reason, /first run: no earlier successful run of meta profile m/, P);
    }
    const ledger = readFileSync(join(first, 'audit.jsonl'), 'utf8');
    assert.equal(
      ledger.match(/"step":"meta\.turnover"/g)?.length,
      PROFILES.length,
      'one decision per profile',
    );
    const report = readFileSync(join(first, 'reports', 'meta_portfolio_report.md'), 'utf8');
    assert.match(report, /Turnover limit inactive: first run/, 'the report says so');
  });

  for (const P of PROFILES) {
    test(`${P}: the second run stays within ${BOUND} of the first run's weights, and the bound binds`, () => {
      const t = record(second, P);
      assert.ok(t.active, `${P}: active`);
      const ref = optimized(first, P).weights;
      const now = optimized(second, P).weights;
      assert.equal(t.source, 'previous_run', `${P}: from the previous run`);
      assert.equal(t.reference_run_id, 't1_first', `${P}: the reference run`);
      assert.deepEqual(t.reference, ref, `${P}: the reference is the first run's weights`);
      assert.ok(
        t.before.turnover > BOUND + 1e-3,
        `${P}: without the bound it would move ${t.before.turnover}`,
      );
      assert.ok(Math.abs(l1(now, ref) - BOUND) <= 1e-9, `${P}: turnover ${l1(now, ref)} = the bound`);
      assert.ok(Math.abs(t.achieved - l1(now, ref)) <= 1e-12, `${P}: the record says ${t.achieved}`);
      assert.equal(t.binding, true, `${P}: binding`);
      assert.equal(t.solver, P === 'min_variance' ? 'exact_sign_pattern' : 'projection', `${P}: solver`);
      assert.ok(
        Math.abs(IDS.reduce((s, id) => s + (now[id] ?? 0), 0) - 1) <= 1e-12,
        `${P}: weights sum to 1`,
      );
    });
  }

  test('the second run records meta.turnover decisions and one report line per profile', () => {
    const decisions = readFileSync(join(second, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"step":"meta.turnover"'))
      .map((l) => (JSON.parse(l) as { data: Record<string, unknown> }).data);
    assert.deepEqual(
      decisions.map((d) => [d['risk_profile'], d['reference_run_id'], d['binding']]),
      PROFILES.map((P) => [P, 't1_first', true]),
      'one binding decision per risk profile, naming the reference run',
    );
    const report = readFileSync(join(second, 'reports', 'meta_portfolio_report.md'), 'utf8');
    const lines = report.split('\n').filter((l) => l.startsWith('Turnover from run t1_first: 5.0 %'));
    assert.equal(lines.length, PROFILES.length, `a turnover line per profile: ${lines.join(' | ')}`);
  });

  test('meta validate recomputes the turnover from the recorded reference and checks the bound', async () => {
    const ok = await validateMetaRun(ws, 't2_second');
    assert.equal(ok.ok, true, `validate: ${JSON.stringify(ok.checks.filter((c) => !c.ok))}`);
    const rel = 'data/meta_optimized_m_min_variance.json';
    const original = readFileSync(join(second, rel), 'utf8');
    const doc = optimized(second, 'min_variance');
    const t = record(second, 'min_variance');
    assert.ok(t.active, 'active');
    // Move the weights half-way back from the reference: still summing to 1, but a different turnover.
    const weights = Object.fromEntries(
      IDS.map((id) => [id, ((doc.weights[id] as number) + (t.reference[id] as number)) / 2]),
    );
    writeFileSync(join(second, rel), JSON.stringify({ ...doc, weights }));
    const bad = await validateMetaRun(ws, 't2_second');
    const check = bad.checks.find((c) => c.id === rel);
    assert.equal(bad.ok, false, 'the edited run fails');
    assert.match(
      check?.detail ?? '',
      /turnover from the reference is [\d.e-]+, the record says/,
      check?.detail,
    );
    writeFileSync(join(second, rel), original);
    assert.equal((await validateMetaRun(ws, 't2_second')).ok, true, 'the restored run passes again');
  });

  test('a holdings file is the reference instead; bad lines name the file and the line', async () => {
    writeFileSync(join(ws, 'hold.csv'), 'sleeve,weight\na,0.25\nb,0.25\nc,0.25\nd,0.25\n');
    await writeManifest(ws, manifest({ max_turnover: 0.02, holdings: 'hold.csv' }));
    const dir = (await QuantSDK.runMeta('m', { ...opts(ws), runId: 't3_holdings' })).runDir;
    for (const P of PROFILES) {
      const t = record(dir, P);
      assert.ok(t.active && t.source === 'holdings', `${P}: from holdings`);
      assert.equal(t.holdings_file, 'hold.csv', `${P}: the file`);
      const now = optimized(dir, P).weights;
      assert.ok(l1(now, { a: 0.25, b: 0.25, c: 0.25, d: 0.25 }) <= 0.02 + 1e-9, `${P}: within 0.02`);
    }
    writeFileSync(join(ws, 'hold.csv'), 'sleeve,weight\na,0.5\nx,0.5\n');
    const unknown = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't4_bad1' }));
    assert.equal(unknown.code, 'E_INPUT_VALUE', unknown.message);
    assert.deepEqual(unknown.location, { file: 'hold.csv', line: 3 }, 'file and line');
    writeFileSync(join(ws, 'hold.csv'), 'sleeve,weight\na,half\n');
    const value = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't4_bad2' }));
    assert.equal(value.code, 'E_INPUT_VALUE', value.message);
    assert.equal(value.location?.line, 2, 'the line of the bad weight');
    await writeManifest(ws, manifest({ max_turnover: 0.02, holdings: '../outside.csv' }));
    const escape = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't4_bad3' }));
    assert.equal(escape.code, 'E_PATH_ESCAPE', escape.message);
    assert.equal(escape.location?.jsonPath, 'profiles.m.turnover.holdings', 'the manifest entry');
  });

  test('a missing or bad holdings file fails before the run folder exists, and in quant manifest check', async () => {
    const ids = ['t5_missing', 't5_unknown', 't5_value'];
    const check = () => failure(() => checkManifestFile(join(ws, 'manifest.json'), { workspace: ws }));
    await writeManifest(ws, manifest({ max_turnover: 0.02, holdings: 'nowhere.csv' }));
    const missing = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't5_missing' }));
    assert.equal(missing.code, 'E_INPUT_NOT_FOUND', missing.message);
    assert.equal(missing.location?.jsonPath, 'profiles.m.turnover.holdings', 'the manifest entry');
    assert.equal(
      typeof missing.location?.line,
      'number',
      `the manifest line: ${JSON.stringify(missing.location)}`,
    );
    const checkedMissing = await check();
    assert.equal(checkedMissing.code, 'E_INPUT_NOT_FOUND', `manifest check: ${checkedMissing.message}`);
    assert.equal(checkedMissing.location?.line, missing.location?.line, 'manifest check: the same line');
    await writeManifest(ws, manifest({ max_turnover: 0.02, holdings: 'hold5.csv' }));
    writeFileSync(join(ws, 'hold5.csv'), 'sleeve,weight\nbb,0.5\n');
    const unknown = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't5_unknown' }));
    assert.equal(unknown.code, 'E_INPUT_VALUE', unknown.message);
    assert.deepEqual(unknown.location, { file: 'hold5.csv', line: 2 }, 'the holdings file and line');
    assert.match(unknown.message, /did you mean "b"/, `a did-you-mean: ${unknown.message}`);
    assert.match(
      unknown.message,
      /profiles\.m\.turnover\.holdings \(line \d+\)/,
      `the manifest entry: ${unknown.message}`,
    );
    const checkedUnknown = await check();
    assert.equal(checkedUnknown.message, unknown.message, 'manifest check: the same error');
    writeFileSync(join(ws, 'hold5.csv'), 'sleeve,weight\na,0.5\nb,abc\n');
    const value = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't5_value' }));
    assert.equal(value.code, 'E_INPUT_VALUE', value.message);
    assert.deepEqual(value.location, { file: 'hold5.csv', line: 3 }, 'the bad weight');
    assert.equal((await check()).code, 'E_INPUT_VALUE', 'manifest check: the bad weight');
    for (const id of ids) assert.equal(existsSync(join(ws, 'runs', id)), false, `${id}: no run folder`);
  });

  test('a bound the limits cannot meet is E_INFEASIBLE_CONSTRAINTS with the arithmetic', async () => {
    writeFileSync(join(ws, 'hold.csv'), 'sleeve,weight\na,1\n');
    await writeManifest(ws, {
      profiles: {
        m: {
          sleeves: IDS.map((id) => ({ id, profile: `s_${id}` })),
          risk_profiles: PROFILES,
          meta_allocation: { max_weight: 0.4 },
          turnover: { max_turnover: 0.5, holdings: 'hold.csv' },
        },
      },
    });
    const e = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't5_infeasible' }));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(e.message, /max_turnover 0\.5 < 1\.2, the least turnover/, e.message);
    assert.equal(e.location?.jsonPath, 'profiles.m.turnover.max_turnover', 'located at the bound');
    // What forces the turnover: the reference's 100 % in a breaks the level's max_weight.
    assert.match(e.message, /the reference breaks "weight of sleeve a" max 0\.4 \(reference 1\)/, e.message);
    assert.deepEqual(
      e.details['json_paths'],
      ['profiles.m.turnover.max_turnover', 'profiles.m.meta_allocation.max_weight'],
      'the bound and the limit the reference breaks, by JSON path',
    );
  });

  test('the limits the reference breaks are named by their own JSON paths: a sleeve bound, a group limit', async () => {
    writeFileSync(join(ws, 'hold2.csv'), 'sleeve,weight\na,0.1\nb,0.2\nc,0.3\nd,0.4\n');
    await writeManifest(ws, {
      profiles: {
        m: {
          sleeves: [
            { id: 'a', profile: 's_a', min_weight: 0.3 },
            { id: 'b', profile: 's_b', tags: ['growth'] },
            { id: 'c', profile: 's_c', tags: ['growth'] },
            { id: 'd', profile: 's_d' },
          ],
          group_limits: { growth: [0, 0.35] },
          risk_profiles: PROFILES,
          turnover: { max_turnover: 0.2, holdings: 'hold2.csv' },
        },
      },
    });
    const e = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't5_infeasible2' }));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(e.message, /"weight of sleeve a" min 0\.3 \(reference 0\.1\)/, e.message);
    assert.match(e.message, /"group growth" max 0\.35 \(reference 0\.5\)/, e.message);
    assert.deepEqual(
      e.details['json_paths'],
      [
        'profiles.m.turnover.max_turnover',
        'profiles.m.group_limits.growth',
        'profiles.m.sleeves[0].min_weight',
      ],
      'max_turnover, then each limit the reference breaks (constraint rows, then weight bounds)',
    );
  });

  test('with the cache on, a new reference is a new cache key: never the old answer restored', async () => {
    const cws = tempDir('mf-turnover-cache-');
    await sleeves(cws, 1);
    await writeManifest(cws, manifest({ max_turnover: BOUND }));
    const cached = { workspace: cws, backtest: false } as const;
    const c1 = await QuantSDK.runMeta('m', { ...cached, runId: 'c1' });
    const c2 = await QuantSDK.runMeta('m', { ...cached, runId: 'c2' });
    assert.equal(c1.cacheHit, false, 'the first run computes');
    assert.equal(c2.cacheHit, false, 'the second has a reference the first did not: no hit');
    const t = record(c2.runDir, 'min_variance');
    assert.ok(t.active && t.reference_run_id === 'c1', 'the second run is measured against the first');
  });

  test('a tampered reference run is refused with its audit code', async () => {
    await writeManifest(ws, manifest({ max_turnover: BOUND }));
    const rel = 'data/meta_optimized_m_min_variance.json';
    // t3_holdings is the latest successful run now: tamper with its weights file.
    const latest = join(ws, 'runs', 't3_holdings', rel);
    writeFileSync(latest, readFileSync(latest, 'utf8').replace(/"a": ?[0-9.e-]+/, '"a": 0.9'));
    const e = await failure(() => QuantSDK.runMeta('m', { ...opts(ws), runId: 't6_tampered' }));
    assert.equal(e.code, 'E_AUDIT_OUTPUT', e.message);
    assert.match(e.message, /turnover reference run t3_holdings/, e.message);
  });
});
