// Sleeve and group limits of a meta level: manifest shapes refused at their JSON path, limits that cannot
// hold together refused before any optimisation (naming both sides with the arithmetic and the paths), a
// group limit that binds exactly and moves the weights away from the unconstrained run, per-sleeve
// bounds overriding the level's box, and `meta validate` failing on an artifact that breaks a limit.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantError, QuantSDK } from '../../../../src/index.js';
import { parseManifest } from '../../../../src/manifest/load-manifest.js';
import { assertManifestValid } from '../../../../src/manifest/profile-usage.js';
import { checkManifestFile } from '../../../../src/sdk/manifest-check.js';
import { validateMetaRun } from '../../../../src/stages/index.js';
import type { MetaOptimizedDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../artifacts/_temp.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';
import { LIMIT_METHODS as ALL_METHODS } from '../../../helpers/linear-rows.js';

function thrown(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QuantError, `a QuantError, not ${String(e)}`);
    return e;
  }
  assert.fail('expected a QuantError');
}

async function rejected(p: Promise<unknown>): Promise<QuantError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof QuantError, `a QuantError, not ${String(e)}`);
    return e;
  }
  assert.fail('expected a QuantError');
}

const entry = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  profile: `s_${id}`,
  ...extra,
});

function metaManifest(sleeves: Record<string, unknown>[], level: Record<string, unknown> = {}): unknown {
  const profiles: Record<string, unknown> = {};
  profiles['m'] = { sleeves, risk_profiles: ['min_variance', 'hrp'], ...level };
  return { profiles };
}

function problems(manifest: unknown): { path: string; message: string }[] {
  const e = thrown(() =>
    assertManifestValid(parseManifest(JSON.stringify(manifest), 'manifest.json'), 'manifest.json'),
  );
  assert.equal(e.code, 'E_MANIFEST', e.message);
  return (e.details['problems'] ?? []) as { path: string; message: string }[];
}

function problemAt(manifest: unknown, path: string, pattern: RegExp): void {
  const all = problems(manifest);
  const p = all.find((x) => x.path === path);
  assert.ok(p !== undefined, `a problem at ${path}; got ${JSON.stringify(all)}`);
  assert.match(p.message, pattern, p.message);
}

describe('manifest: sleeve bounds, tags and group_limits shapes', () => {
  const three = (
    extra: Record<string, Record<string, unknown>> = {},
    level: Record<string, unknown> = {},
  ): unknown =>
    metaManifest(
      ['a', 'b', 'c'].map((id) => entry(id, extra[id] ?? {})),
      level,
    );

  test('a valid set of limits passes the schema', () => {
    const m = three(
      {
        a: { min_weight: 0.1, max_weight: 0.7, tags: ['rates'] },
        b: { tags: ['crypto'] },
        c: { tags: ['crypto'] },
      },
      { group_limits: { crypto: [0, 0.3], rates: [0.2, 1] } },
    );
    assert.doesNotThrow(
      () => assertManifestValid(parseManifest(JSON.stringify(m), 'manifest.json'), 'manifest.json'),
      'valid per-sleeve bounds, tags and group limits pass the schema',
    );
  });

  test('min_weight above max_weight on a sleeve', () => {
    problemAt(
      three({ a: { min_weight: 0.6, max_weight: 0.4 } }),
      'profiles.m.sleeves[0].min_weight',
      /exceeds max_weight 0.4/,
    );
  });

  test('a sleeve bound outside [0, 1]', () => {
    problemAt(three({ b: { max_weight: 1.5 } }), 'profiles.m.sleeves[1].max_weight', /1/);
    problemAt(three({ b: { min_weight: -0.1 } }), 'profiles.m.sleeves[1].min_weight', /0/);
  });

  test('tags that are not a list of names', () => {
    problemAt(three({ c: { tags: 'crypto' } }), 'profiles.m.sleeves[2].tags', /array|list/i);
    problemAt(three({ c: { tags: ['has space'] } }), 'profiles.m.sleeves[2].tags[0]', /tag/);
  });

  test('a group limit naming a tag no sleeve carries: did-you-mean', () => {
    problemAt(
      three({ b: { tags: ['crypto'] } }, { group_limits: { crypt: [0, 0.3] } }),
      'profiles.m.group_limits.crypt',
      /no sleeve of this meta profile has the tag "crypt"; did you mean "crypto"\?/,
    );
  });

  test('a group limit that is not a [min, max] pair of weights, or has min > max', () => {
    const tagged = { b: { tags: ['crypto'] } };
    const bad = (range: unknown): unknown => three(tagged, { group_limits: { crypto: range } });
    const under = (range: unknown): void => {
      const all = problems(bad(range));
      assert.ok(
        all.some((p) => p.path.startsWith('profiles.m.group_limits.crypto')),
        `${JSON.stringify(range)}: a problem under the group's path; got ${JSON.stringify(all)}`,
      );
    };
    under([0.3]);
    under('0.3');
    under([0, 2]);
    problemAt(bad([0.5, 0.2]), 'profiles.m.group_limits.crypto', /min 0.5 exceeds max 0.2/);
  });
});

/** A workspace with four sleeves: a, b low volatility and tagged `calm`; c, d volatile. */
async function limitsWorkspace(ws: string): Promise<void> {
  const dates = businessDays('2024-01-01', 120);
  const vols = [0.003, 0.004, 0.012, 0.015];
  for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
    const streams = Object.fromEntries(
      ['min_variance', 'hrp'].map((p, k) => [
        p,
        { dates, returns: randomReturns(31 + i * 7 + k, dates.length, { vol: vols[i] as number }) },
      ]),
    );
    const atoms = [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' as const }];
    await writeSleeveRun(ws, {
      runId: `${id}_run`,
      profile: `s_${id}`,
      streams,
      weights: { min_variance: atoms, hrp: atoms },
    });
  }
}

const optimized = (runDir: string, P: string): MetaOptimizedDoc =>
  JSON.parse(readFileSync(join(runDir, 'data', `meta_optimized_m_${P}.json`), 'utf8')) as MetaOptimizedDoc;

describe('meta level limits through the pipeline (SDK)', { timeout: 180_000 }, () => {
  let ws: string;
  let free: string;
  let limited: string;
  const sleeves = ['a', 'b', 'c', 'd'];
  before(async () => {
    ws = tempDir('mf-level-limits-');
    await limitsWorkspace(ws);
    const opts = { workspace: ws, backtest: false, cache: false } as const;
    await writeManifest(ws, metaManifest(sleeves.map((id) => entry(id))));
    free = (await QuantSDK.runMeta('m', { ...opts, runId: 'free' })).runDir;
    await writeManifest(
      ws,
      metaManifest(
        sleeves.map((id) =>
          entry(id, {
            ...(id === 'a' || id === 'b' ? { tags: ['calm'] } : {}),
            // d's own max (0.6) lies above the level's box max (0.3): with the box alone, a + b ≤ 0.3 and c ≤ 0.3
            // would leave d ≥ 0.4 above it (infeasible); the sleeve's bound wins.
            ...(id === 'd' ? { max_weight: 0.6 } : {}),
          }),
        ),
        { group_limits: { calm: [0, 0.3] }, meta_allocation: { max_weight: 0.3 } },
      ),
    );
    limited = (await QuantSDK.runMeta('m', { ...opts, runId: 'limited' })).runDir;
  });

  for (const P of ['min_variance', 'hrp']) {
    test(`${P}: the group limit binds exactly and moves the weights`, () => {
      const f = optimized(free, P);
      const l = optimized(limited, P);
      assert.equal(l.method, P, `${P}: no fallback`);
      const calmFree = (f.weights['a'] as number) + (f.weights['b'] as number);
      const calm = (l.weights['a'] as number) + (l.weights['b'] as number);
      assert.ok(calmFree > 0.3 + 1e-3, `${P}: unconstrained calm share ${calmFree} is above the limit`);
      assert.ok(Math.abs(calm - 0.3) <= 1e-9, `${P}: calm share ${calm} sits on the limit 0.3`);
      const moved = Math.max(
        ...sleeves.map((id) => Math.abs((l.weights[id] as number) - (f.weights[id] as number))),
      );
      assert.ok(moved > 1e-3, `${P}: the weights moved by ${moved}`);
      for (const id of sleeves) {
        const w = l.weights[id] as number;
        const max = id === 'd' ? 0.6 : 0.3;
        assert.ok(w >= -1e-12 && w <= max + 1e-9, `${P}: ${id} = ${w} within [0, ${max}]`);
      }
      const group = l.limits?.find((r) => r.name === 'group calm');
      assert.ok(group !== undefined, `${P}: a limits row for the group`);
      assert.deepEqual(group.members, ['a', 'b'], 'group members');
      assert.equal(group.binding, true, `${P}: the group row is marked binding`);
      assert.ok(
        l.limits?.some((r) => r.name === 'sleeve d' && r.max === 0.6),
        `${P}: d's own bound recorded`,
      );
      assert.equal(f.limits, undefined, `${P}: no limits rows without limits`);
    });
  }

  test('d above the box max is accepted where its own bound allows it', () => {
    for (const P of ['min_variance', 'hrp']) {
      const d = optimized(limited, P).weights['d'] as number;
      assert.ok(d > 0.4 - 1e-9, `${P}: d = ${d} uses its own max_weight 0.6 beyond the box 0.3`);
    }
  });

  test('meta validate passes the run, and fails an artifact tampered to break the group limit', async () => {
    const ok = await validateMetaRun(ws, 'limited');
    assert.equal(ok.ok, true, `validate: ${JSON.stringify(ok.checks.filter((c) => !c.ok))}`);
    const line = ok.checks.find((c) => c.id === 'data/meta_optimized_m_min_variance.json');
    assert.match(line?.detail ?? '', /and 2 sleeve\/group limit\(s\)/, line?.detail);
    const file = join(limited, 'data', 'meta_optimized_m_min_variance.json');
    const doc = optimized(limited, 'min_variance');
    const shift = 0.05;
    const weights = {
      ...doc.weights,
      b: (doc.weights['b'] as number) + shift,
      d: (doc.weights['d'] as number) - shift,
    };
    writeFileSync(file, JSON.stringify({ ...doc, weights }));
    const bad = await validateMetaRun(ws, 'limited');
    const failed = bad.checks.find((c) => c.id === 'data/meta_optimized_m_min_variance.json');
    assert.equal(bad.ok, false, 'the tampered run fails validation');
    assert.equal(failed?.ok, false, 'the optimized check fails');
    assert.match(
      failed?.detail ?? '',
      /group calm \(a \+ b\) is 0\.3[45]\d*, outside \[0, 0\.3\]/,
      failed?.detail,
    );
  });
});

describe('infeasible limits: refused before optimisation', { timeout: 120_000 }, () => {
  const conflicting = metaManifest(
    [entry('a', { min_weight: 0.5 }), entry('b', { tags: ['crypto'] }), entry('c', { tags: ['crypto'] })],
    { group_limits: { crypto: [0.6, 1] } },
  );

  const assertNamed = (e: QuantError): void => {
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(
      e.message,
      /sleeve a min 0\.5 \+ group crypto min 0\.6 = 1\.1 > 1 \(the budget Σw\)/,
      e.message,
    );
    assert.deepEqual(e.details['constraints'], ['sleeve a', 'group crypto'], 'both limits named');
    assert.deepEqual(
      e.details['json_paths'],
      ['profiles.m.sleeves[0].min_weight', 'profiles.m.group_limits.crypto'],
      'the manifest paths of both limits',
    );
    assert.equal(e.location?.jsonPath, 'profiles.m.sleeves[0].min_weight', 'location');
  };

  test('quant manifest check (SDK) names both limits, their sum and their paths', async () => {
    const ws = tempDir('mf-level-limits-check-');
    const file = await writeManifest(ws, conflicting);
    assertNamed(await rejected(checkManifestFile(file)));
  });

  test('a meta run fails with the same error before any level is optimised', async () => {
    const ws = tempDir('mf-level-limits-run-');
    await limitsWorkspace(ws);
    await writeManifest(ws, conflicting);
    const e = await rejected(
      QuantSDK.runMeta('m', { workspace: ws, runId: 'bad', backtest: false, cache: false }),
    );
    assertNamed(e);
    assert.ok(
      !existsSync(join(ws, 'runs', 'bad', 'data', 'meta_optimized_m_hrp.json')),
      'no level optimised',
    );
  });

  test('a sleeve max against a group min names the max side', async () => {
    const ws = tempDir('mf-level-limits-max-');
    const file = await writeManifest(
      ws,
      metaManifest(
        [
          entry('a', { tags: ['rates'], max_weight: 0.1 }),
          entry('b', { tags: ['rates'], max_weight: 0.1 }),
          entry('c'),
        ],
        { group_limits: { rates: [0.4, 1] } },
      ),
    );
    const e = await rejected(checkManifestFile(file));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(
      e.message,
      /group rates min 0\.4 > 0\.2 = sleeve a max 0\.1 \+ sleeve b max 0\.1/,
      e.message,
    );
    assert.deepEqual(
      [...(e.details['json_paths'] as string[])].sort(),
      [
        'profiles.m.group_limits.rates',
        'profiles.m.sleeves[0].max_weight',
        'profiles.m.sleeves[1].max_weight',
      ],
      'paths of the group min and both sleeve maxima',
    );
  });
});

/** Four sleeves with a stream for every method, long enough (320 days) for a walk-forward of 252 rows. */
async function exactLimitsWorkspace(ws: string): Promise<void> {
  const dates = businessDays('2023-01-02', 320);
  const vols = [0.004, 0.006, 0.01, 0.014];
  for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
    const streams = Object.fromEntries(
      ALL_METHODS.map((p, k) => [
        p,
        { dates, returns: randomReturns(101 + i * 13 + k, dates.length, { vol: vols[i] as number }) },
      ]),
    );
    const atoms = [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' as const }];
    await writeSleeveRun(ws, {
      runId: `${id}_run`,
      profile: `s_${id}`,
      streams,
      weights: Object.fromEntries(ALL_METHODS.map((p) => [p, atoms])),
    });
  }
}

describe('exact group limits that partition the sleeves (SDK)', { timeout: 300_000 }, () => {
  // g1 = {a}, g2 = {b}, g3 = {c, d}: the three group rows sum to the budget row Σw = 1 (linearly
  // dependent equalities), and 0.1 + 0.2 + 0.7 is 1 only to rounding.
  const limits = { g1: [0.1, 0.1], g2: [0.2, 0.2], g3: [0.7, 0.7] } as const;
  const members: Record<string, string[]> = { g1: ['a'], g2: ['b'], g3: ['c', 'd'] };
  const manifest = (
    groupLimits: Record<string, readonly number[]>,
    tags: Record<string, string>,
  ): unknown => {
    const m = metaManifest(
      Object.entries(tags).map(([id, tag]) => entry(id, { tags: [tag] })),
      { group_limits: groupLimits },
    ) as { profiles: Record<string, Record<string, unknown>> };
    (m.profiles['m'] as Record<string, unknown>)['risk_profiles'] = [...ALL_METHODS];
    return m;
  };
  let ws: string;
  let runDir: string;
  before(async () => {
    ws = tempDir('mf-level-limits-exact-');
    await exactLimitsWorkspace(ws);
    await writeManifest(ws, manifest(limits, { a: 'g1', b: 'g2', c: 'g3', d: 'g3' }));
    runDir = (await QuantSDK.runMeta('m', { workspace: ws, runId: 'exact', cache: false })).runDir;
  });

  test('quant manifest check passes exact limits summing to 1, refuses them summing to 1.1', async () => {
    for (const [x, y] of [
      [0.5, 0.5],
      [0.4, 0.6],
      [0.3, 0.7],
      [0.25, 0.75],
    ] as const) {
      const dir = tempDir('mf-level-limits-exact-check-');
      const file = await writeManifest(
        dir,
        manifest({ g1: [x, x], g2: [y, y] }, { a: 'g1', b: 'g2', c: 'g2' }),
      );
      await assert.doesNotReject(checkManifestFile(file), `g1 = ${x}, g2 = ${y}: feasible`);
    }
    const dir = tempDir('mf-level-limits-exact-bad-');
    const file = await writeManifest(
      dir,
      manifest({ g1: [0.5, 0.5], g2: [0.6, 0.6] }, { a: 'g1', b: 'g2', c: 'g2' }),
    );
    const e = await rejected(checkManifestFile(file));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(
      e.message,
      /infeasible limits in meta profile m: group g1 = 0\.5 \+ group g2 = 0\.6 = 1\.1 > 1 \(the budget Σw\)/,
      e.message,
    );
    assert.deepEqual(
      e.details['json_paths'],
      ['profiles.m.group_limits.g1', 'profiles.m.group_limits.g2'],
      'the paths of both groups',
    );
  });

  for (const P of ALL_METHODS) {
    test(`${P}: the weights meet every exact group limit within 1e-9, with no fallback`, () => {
      const doc = optimized(runDir, P);
      assert.equal(doc.method, P, `${P}: no fallback (${JSON.stringify(doc.fallback_chain)})`);
      let sum = 0;
      for (const id of ['a', 'b', 'c', 'd']) {
        const w = doc.weights[id] as number;
        assert.ok(w >= 0 && w <= 1, `${P}: ${id} = ${w} within [0, 1]`);
        sum += w;
      }
      assert.ok(Math.abs(sum - 1) <= 1e-9, `${P}: Σw = ${sum}`);
      for (const [tag, [min]] of Object.entries(limits)) {
        const value = (members[tag] as string[]).reduce((s, id) => s + (doc.weights[id] as number), 0);
        assert.ok(Math.abs(value - min) <= 1e-9, `${P}: group ${tag} = ${value}, limit ${min}`);
        const row = doc.limits?.find((r) => r.name === `group ${tag}`);
        assert.equal(row?.binding, true, `${P}: group ${tag} marked binding`);
      }
    });
  }

  test('the walk-forward ran every method and meta validate passes the run', async () => {
    const v = await validateMetaRun(ws, 'exact');
    assert.equal(v.ok, true, `validate: ${JSON.stringify(v.checks.filter((c) => !c.ok))}`);
    for (const P of ALL_METHODS) {
      assert.ok(existsSync(join(runDir, 'data', `meta_backtest_m_${P}.json`)), `${P}: a backtest document`);
    }
  });
});

describe(
  'a group limit that binds with a sleeve at 0: the walk-forward holds w ≥ 0',
  { timeout: 120_000 },
  () => {
    // On these streams max_sharpe under calm ≤ 0.3 puts a sleeve at its bound 0 in some training windows,
    // which the solver holds to rounding only (−2e-17 before it was settled); the walk-forward refuses a
    // weight below 0 (`E_SOLVER … the optimiser returned invalid weights`) and failed the run.
    test('max_sharpe with calm ≤ 0.3 runs its backtest and passes meta validate', async () => {
      const ws = tempDir('mf-level-limits-zero-');
      const dates = businessDays('2023-01-02', 320);
      const vols = [0.004, 0.006, 0.01, 0.014];
      for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
        const atoms = [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' as const }];
        await writeSleeveRun(ws, {
          runId: `${id}_run`,
          profile: `s_${id}`,
          streams: {
            max_sharpe: { dates, returns: randomReturns(1000 + i, dates.length, { vol: vols[i] as number }) },
          },
          weights: { max_sharpe: atoms },
        });
      }
      const m = metaManifest(
        ['a', 'b', 'c', 'd'].map((id, i) => entry(id, { tags: [i < 2 ? 'calm' : 'wild'] })),
        { group_limits: { calm: [0, 0.3] }, risk_profiles: ['max_sharpe'] },
      );
      await writeManifest(ws, m);
      const { runDir } = await QuantSDK.runMeta('m', { workspace: ws, runId: 'zero', cache: false });
      const doc = optimized(runDir, 'max_sharpe');
      assert.equal(doc.method, 'max_sharpe', 'no fallback');
      for (const [id, w] of Object.entries(doc.weights)) assert.ok(w >= 0, `${id} = ${w} ≥ 0`);
      assert.ok(existsSync(join(runDir, 'data', 'meta_backtest_m_max_sharpe.json')), 'the backtest ran');
      const v = await validateMetaRun(ws, 'zero');
      assert.equal(v.ok, true, `validate: ${JSON.stringify(v.checks.filter((c) => !c.ok))}`);
    });
  },
);
