import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonWithLocations } from '../../../src/manifest/json-locate.js';
import { parseManifest } from '../../../src/manifest/load-manifest.js';
import {
  atomicSleeves,
  resolveMetaTree,
  resolveRiskProfiles,
  walkMetaTree,
  type MetaNode,
} from '../../../src/manifest/meta-tree.js';
import { ManifestSchema, type Manifest } from '../../../src/manifest/schema.js';
import { DESIGN_EXAMPLE, catchQuantError } from './_helpers.js';

const example = parseManifest(DESIGN_EXAMPLE, 'manifest.json');

/** A manifest built in code: schema-checked only, so cycles reach `resolveMetaTree` (not caught at load). */
function manifestOf(profiles: Record<string, unknown>): Manifest {
  return ManifestSchema.parse({ profiles });
}

const meta = (...entries: [string, 'profile' | 'meta_profile', string][]) => ({
  sleeves: entries.map(([id, key, target]) => ({ id, [key]: target })),
});
const sleeve = (...riskProfiles: string[]) => ({
  sleeve: { prices: 'p.csv', assets: ['A', 'B'], risk_profiles: riskProfiles },
});

describe('resolveMetaTree', () => {
  test('the DESIGN §3 example: nested node, bounds, features, pinned run, paths', () => {
    const root = resolveMetaTree(example, 'meta_global');
    assert.equal(root.profile, 'meta_global', 'root.profile');
    assert.deepEqual(root.path, ['meta_global'], 'root.path');
    assert.equal(root.depth, 1, 'root.depth');
    assert.deepEqual(root.bounds, { minWeight: 0, maxWeight: 1 }, 'root.bounds');
    assert.deepEqual(root.features, { directionalSignTestGate: true }, 'root.features');
    assert.deepEqual(
      root.riskProfiles,
      ['hrp', 'min_variance', 'max_sharpe', 'risk_parity', 'equal_weight', 'barbell'],
      'root.riskProfiles',
    );
    assert.equal(root.sleeves.length, 2, 'root.sleeves.length');
    const [swiss, gulf] = root.sleeves;
    assert.equal(swiss?.kind, 'meta', 'swiss?.kind');
    assert.deepEqual(gulf, { id: 'gulf', kind: 'atomic', profile: 'gulf_equity' }, 'gulf');
    const child = (swiss as { node: MetaNode }).node;
    assert.deepEqual(child.path, ['meta_global', 'meta_swiss'], 'child.path');
    assert.equal(child.depth, 2, 'child.depth');
    assert.deepEqual(child.bounds, { minWeight: 0.05, maxWeight: 0.5 }, 'child.bounds');
    assert.deepEqual(child.features, { directionalSignTestGate: false }, 'child.features');
    assert.equal(child.riskProfiles, undefined, 'child.riskProfiles');
    assert.deepEqual(
      child.sleeves,
      [
        { id: 'sectors', kind: 'atomic', profile: 'swiss_sectors' },
        {
          id: 'balanced',
          kind: 'atomic',
          profile: 'swiss_balanced',
          runId: 'swiss_balanced_20260101-000000',
        },
      ],
      'child.sleeves',
    );
  });

  test('walkMetaTree is pre-order; atomicSleeves carry their path of sleeve ids', () => {
    const root = resolveMetaTree(example, 'meta_global');
    assert.deepEqual(
      walkMetaTree(root).map((n) => n.profile),
      ['meta_global', 'meta_swiss'],
      'walkMetaTree(root).map((n) => n.profile)',
    );
    assert.deepEqual(
      atomicSleeves(root).map((l) => [l.path, l.profile, l.runId ?? null, l.parent.profile]),
      [
        [['swiss', 'sectors'], 'swiss_sectors', null, 'meta_swiss'],
        [['swiss', 'balanced'], 'swiss_balanced', 'swiss_balanced_20260101-000000', 'meta_swiss'],
        [['gulf'], 'gulf_equity', null, 'meta_global'],
      ],
      'atomicSleeves(root).map((l) => [l.path, l.profile, l.runId ?? null, l…',
    );
  });

  test('unknown root: E_UNKNOWN_PROFILE naming the file, hint with the closest meta profiles', () => {
    const error = catchQuantError(() => resolveMetaTree(example, 'meta_swis', { file: 'ws/manifest.json' }));
    assert.equal(error.code, 'E_UNKNOWN_PROFILE', 'error.code');
    assert.equal(error.message, 'profile "meta_swis" is not in ws/manifest.json', 'error.message');
    assert.equal(error.hint, 'did you mean "meta_swiss"?', 'error.hint');
    const far = catchQuantError(() => resolveMetaTree(example, 'zzz'));
    assert.equal(far.hint, 'meta profiles in the manifest: meta_swiss, meta_global', 'far.hint');
  });

  test('a sleeve profile as root: E_UNKNOWN_PROFILE pointing to quant sleeve run', () => {
    const error = catchQuantError(() => resolveMetaTree(example, 'swiss_sectors'));
    assert.equal(error.code, 'E_UNKNOWN_PROFILE', 'error.code');
    assert.match(
      error.hint ?? '',
      /^swiss_sectors is a sleeve profile: use quant sleeve run/,
      "error.hint ?? '' matches /^swiss_sectors is a sleeve profile: use quant sleeve run/",
    );
  });

  test('cycle a → b → a: E_CYCLE naming it, located at the entry that closes it', () => {
    const m = manifestOf({
      a: meta(['x', 'profile', 's'], ['to_b', 'meta_profile', 'b']),
      b: meta(['to_a', 'meta_profile', 'a']),
    });
    const error = catchQuantError(() => resolveMetaTree(m, 'a', { file: 'manifest.json' }));
    assert.equal(error.code, 'E_CYCLE', 'error.code');
    assert.equal(error.message, 'meta profiles nest in a cycle: a → b → a', 'error.message');
    assert.deepEqual(
      error.location,
      {
        file: 'manifest.json',
        jsonPath: 'profiles.b.sleeves[0].meta_profile',
      },
      'error.location',
    );
    assert.equal(
      catchQuantError(() => resolveMetaTree(m, 'b')).message,
      'meta profiles nest in a cycle: b → a → b',
      "catchQuantError(() => resolveMetaTree(m, 'b')).message",
    );
  });

  test('self-cycle a → a, with the line when a locator is given', () => {
    const text =
      '{"profiles": {\n  "a": {"sleeves": [\n    {"id": "x", "profile": "s"},\n    {"id": "me", "meta_profile": "a"}]}\n}}';
    const m = ManifestSchema.parse(JSON.parse(text));
    const { lineOf } = parseJsonWithLocations(text, 'manifest.json');
    const error = catchQuantError(() => resolveMetaTree(m, 'a', { lineOf }));
    assert.equal(error.code, 'E_CYCLE', 'error.code');
    assert.equal(error.message, 'meta profiles nest in a cycle: a → a', 'error.message');
    assert.deepEqual(
      error.location,
      {
        file: 'manifest.json',
        jsonPath: 'profiles.a.sleeves[1].meta_profile',
        line: 4,
      },
      'error.location',
    );
  });

  // m1 → m2 → ... → m<n>, the last one holding an atomic sleeve.
  const chain = (n: number): Manifest => {
    const profiles: Record<string, unknown> = {};
    for (let k = 1; k < n; k++)
      profiles[`m${k}`] = meta(['leaf', 'profile', 's'], ['down', 'meta_profile', `m${k + 1}`]);
    profiles[`m${n}`] = meta(['leaf', 'profile', 's']);
    return parseManifest(JSON.stringify({ profiles }), 'manifest.json');
  };

  test('depth 4 passes', () => {
    const root = resolveMetaTree(chain(4), 'm1');
    assert.deepEqual(
      walkMetaTree(root).map((n) => [n.profile, n.depth]),
      [
        ['m1', 1],
        ['m2', 2],
        ['m3', 3],
        ['m4', 4],
      ],
      'walkMetaTree(root).map((n) => [n.profile, n.depth])',
    );
    assert.deepEqual(
      atomicSleeves(root).at(-1)?.path,
      ['down', 'down', 'down', 'leaf'],
      'atomicSleeves(root).at(-1)?.path',
    );
  });

  test('depth 5 fails with E_DEPTH naming the chain; the same manifest is fine from a lower root', () => {
    const m = chain(5);
    const error = catchQuantError(() => resolveMetaTree(m, 'm1'));
    assert.equal(error.code, 'E_DEPTH', 'error.code');
    assert.equal(error.message, 'nesting depth 5 exceeds 4: m1 → m2 → m3 → m4 → m5', 'error.message');
    assert.equal(error.location?.jsonPath, 'profiles.m4.sleeves[1].meta_profile', 'error.location?.jsonPath');
    assert.equal(
      walkMetaTree(resolveMetaTree(m, 'm2')).length,
      4,
      "walkMetaTree(resolveMetaTree(m, 'm2')).length",
    );
  });
});

describe('resolveRiskProfiles', () => {
  const manifest = manifestOf({
    s1: sleeve('min_variance', 'hrp', 'equal_weight', 'erc'),
    s2: sleeve('equal_weight', 'barbell', 'risk_parity', 'hrp'),
    s3: sleeve('max_sharpe'),
    inner: meta(['two', 'profile', 's2']),
    top: meta(['one', 'profile', 's1'], ['nested', 'meta_profile', 'inner']),
    declared: { ...meta(['one', 'profile', 's1']), risk_profiles: ['barbell', 'erc'] },
    disjoint: meta(['one', 'profile', 's1'], ['three', 'profile', 's3']),
    external: meta(['one', 'profile', 's1'], ['ext', 'profile', 'not_declared']),
  });
  const node = (name: string): MetaNode => resolveMetaTree(manifest, name);

  test('override wins, aliases normalised, order kept', () => {
    assert.deepEqual(
      resolveRiskProfiles(node('declared'), manifest, ['erc', 'hrp', ' min_variance ']),
      {
        profiles: ['risk_parity', 'hrp', 'min_variance'],
        source: 'override',
      },
      "resolveRiskProfiles(node('declared'), manifest, ['erc', 'hrp', ' min_…",
    );
  });

  test('an override naming a method twice (also through its alias) is E_PARAMS, like the manifest', () => {
    const twice = catchQuantError(() => resolveRiskProfiles(node('top'), manifest, ['hrp', 'hrp']));
    assert.equal(twice.code, 'E_PARAMS', 'twice.code');
    assert.equal(
      twice.message,
      'risk profile "hrp" is listed twice (position 1 and position 2; erc = risk_parity)',
      'twice.message',
    );
    const alias = catchQuantError(() =>
      resolveRiskProfiles(node('top'), manifest, ['erc', 'hrp', 'risk_parity']),
    );
    assert.equal(
      alias.message,
      'risk profile "risk_parity" is listed twice (position 1 as "erc" and position 3; erc = risk_parity)',
      'alias.message',
    );
  });

  test('an unknown override is E_PARAMS naming it; an empty one too', () => {
    const error = catchQuantError(() => resolveRiskProfiles(node('top'), manifest, ['hrp', 'hrpp']));
    assert.equal(error.code, 'E_PARAMS', 'error.code');
    assert.equal(error.message, 'unknown risk profile "hrpp" (did you mean "hrp"?)', 'error.message');
    assert.equal(
      catchQuantError(() => resolveRiskProfiles(node('top'), manifest, [''])).code,
      'E_PARAMS',
      "catchQuantError(() => resolveRiskProfiles(node('top'), manifest, ['']…",
    );
  });

  test("the root's declared risk_profiles come next (aliases normalised at load)", () => {
    assert.deepEqual(
      resolveRiskProfiles(node('declared'), manifest),
      {
        profiles: ['barbell', 'risk_parity'],
        source: 'declared',
      },
      "resolveRiskProfiles(node('declared'), manifest)",
    );
  });

  test('otherwise the intersection over every atomic sleeve of the tree, in canonical order', () => {
    assert.deepEqual(
      resolveRiskProfiles(node('top'), manifest),
      {
        profiles: ['hrp', 'risk_parity', 'equal_weight'],
        source: 'intersection',
      },
      "resolveRiskProfiles(node('top'), manifest)",
    );
    assert.deepEqual(
      resolveRiskProfiles(node('disjoint'), manifest),
      {
        profiles: [],
        source: 'intersection',
      },
      "resolveRiskProfiles(node('disjoint'), manifest)",
    );
  });

  test("'unknown' when an atomic sleeve is not declared in the manifest", () => {
    assert.deepEqual(
      resolveRiskProfiles(node('external'), manifest),
      { profiles: [], source: 'unknown' },
      "resolveRiskProfiles(node('external'), manifest)",
    );
    const swiss = resolveMetaTree(example, 'meta_swiss');
    assert.deepEqual(
      resolveRiskProfiles(swiss, example),
      { profiles: [], source: 'unknown' },
      'resolveRiskProfiles(swiss, example)',
    );
  });
});
