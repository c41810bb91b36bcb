import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest, readManifest, type ManifestProblem } from '../../../src/manifest/load-manifest.js';
import {
  allowedKeysAt,
  isMetaProfile,
  type MetaProfile,
  type SleeveProfile,
} from '../../../src/manifest/schema.js';
import {
  assertManifestValid,
  invalidProfileWarnings,
  profilesInUse,
} from '../../../src/manifest/profile-usage.js';
import { resolveMetaTree } from '../../../src/manifest/meta-tree.js';
import { DESIGN_EXAMPLE, catchQuantError, lineContaining, sleeveJson } from './_helpers.js';

/** The problems of an invalid manifest (asserting the error's shape on the way). */
function problemsOf(text: string, code = 'E_MANIFEST'): ManifestProblem[] {
  // Strict: a problem inside a profile only makes that profile invalid; every problem is still listed.
  const error = catchQuantError(() =>
    assertManifestValid(parseManifest(text, 'manifest.json'), 'manifest.json'),
  );
  assert.equal(error.code, code, 'error.code: the code of the first problem');
  const problems = error.details['problems'] as ManifestProblem[];
  assert.deepEqual(
    error.issues,
    problems.map((p) => ({ path: p.path, message: p.message })),
    'error.issues',
  );
  return problems;
}

/** Assert exactly one problem, at `path`, on the line containing `marker`, with a message matching `message`. */
function assertOneProblem(text: string, path: string, marker: string, message: RegExp): void {
  const problems = problemsOf(text);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  const [p] = problems as [ManifestProblem];
  assert.equal(p.path, path, 'p.path');
  assert.equal(p.line, lineContaining(text, marker), 'p.line');
  assert.match(p.message, message, 'p.message matches message');
}

/** A manifest with one meta profile `m` listing `entries` (JSON text each, one per line) and extra profiles. */
function metaManifest(entries: string[], extra: Record<string, string> = {}, allocation = ''): string {
  const others = Object.entries(extra).map(([name, json]) => `    "${name}": ${json},`);
  return [
    '{',
    '  "profiles": {',
    ...others,
    '    "m": {',
    '      "sleeves": [',
    entries.map((e) => `        ${e}`).join(',\n'),
    `      ]${allocation === '' ? '' : `,\n      "meta_allocation": ${allocation}`}`,
    '    }',
    '  }',
    '}',
  ].join('\n');
}

describe('parseManifest: valid manifests', () => {
  test('the DESIGN §3 example parses, with defaults filled in', () => {
    const m = parseManifest(DESIGN_EXAMPLE, 'manifest.json');
    assert.deepEqual(
      Object.keys(m.profiles),
      ['swiss_sectors', 'meta_swiss', 'meta_global'],
      'Object.keys(m.profiles)',
    );
    const sleeve = m.profiles['swiss_sectors'] as SleeveProfile;
    assert.equal(isMetaProfile(sleeve), false, 'isMetaProfile(sleeve)');
    // Name-keyed records have no prototype: a profile or asset called `constructor` is found only if declared.
    assert.equal(Object.getPrototypeOf(m.profiles), null, 'profiles without a prototype');
    assert.equal(Object.getPrototypeOf(sleeve.sleeve.directions), null, 'directions without a prototype');
    assert.deepEqual(
      { ...sleeve.sleeve, directions: { ...sleeve.sleeve.directions } },
      {
        prices: 'data/spisector_prices.csv',
        assets: ['BASI', 'INDU', 'HLTH'],
        directions: { INDU: 'SHORT' },
        risk_profiles: ['hrp', 'min_variance', 'equal_weight'],
        train_window: 252,
        test_window: 21,
        step: 21,
        costs: { commission: 0.0001, slippage: 0.0005 },
        input_kind: 'prices',
        fallback: true,
      },
      '{ ...sleeve.sleeve, directions: { ...sleeve.sleeve.directions } }',
    );
    const swiss = m.profiles['meta_swiss'] as MetaProfile;
    assert.deepEqual(swiss.meta_allocation, { min_weight: 0.05, max_weight: 0.5 }, 'swiss.meta_allocation');
    assert.deepEqual(swiss.features, { directional_sign_test_gate: false }, 'swiss.features');
    assert.equal(swiss.sleeves[1]?.run_id, 'swiss_balanced_20260101-000000', 'swiss.sleeves[1]?.run_id');
    const global = m.profiles['meta_global'] as MetaProfile;
    assert.deepEqual(global.meta_allocation, { min_weight: 0, max_weight: 1 }, 'global.meta_allocation');
    assert.equal(
      global.features.directional_sign_test_gate,
      true,
      'global.features.directional_sign_test_gate',
    );
  });

  test('sleeve defaults: step = test_window, costs 0, erc normalised; $schema and description allowed', () => {
    const text = JSON.stringify({
      $schema: './manifest.schema.json',
      description: 'demo',
      profiles: {
        s: {
          description: 'x',
          sleeve: { prices: 'p.csv', assets: ['A'], risk_profiles: ['erc'], test_window: 5 },
        },
      },
    });
    const s = (parseManifest(text, 'manifest.json').profiles['s'] as SleeveProfile).sleeve;
    assert.equal(s.train_window, 252, 's.train_window');
    assert.equal(s.step, 5, 's.step');
    assert.deepEqual(s.costs, { commission: 0, slippage: 0 }, 's.costs');
    assert.deepEqual(s.risk_profiles, ['risk_parity'], 's.risk_profiles');
  });

  test('a "profile" naming a profile absent from the manifest is allowed (its runs come from the workspace)', () => {
    const m = parseManifest(metaManifest(['{"id": "a", "profile": "made_elsewhere"}']), 'manifest.json');
    assert.equal(
      (m.profiles['m'] as MetaProfile).sleeves[0]?.profile,
      'made_elsewhere',
      "(m.profiles['m']).sleeves[0]?.profile",
    );
  });
});

describe('parseManifest: each problem with its JSON path and line', () => {
  const profile = (body: string): string =>
    `{\n  "profiles": {\n    "s": { "sleeve": {\n${body}\n    } }\n  }\n}`;
  const sleeve = (lines: string[]): string => profile(lines.map((l) => `      ${l}`).join(',\n'));
  const base = ['"prices": "p.csv"', '"assets": ["A", "B"]', '"risk_profiles": ["hrp"]'];

  test('unknown key, with a suggestion', () => {
    const text = sleeve([...base, '"trian_window": 300']);
    assertOneProblem(
      text,
      'profiles.s.sleeve.trian_window',
      'trian_window',
      /^unknown key "trian_window" \(did you mean "train_window"/,
    );
  });
  test('missing required key points at its object', () => {
    const text = sleeve(['"assets": ["A"]', '"risk_profiles": ["hrp"]']);
    assertOneProblem(text, 'profiles.s.sleeve.prices', '"sleeve"', /^is required \(a string\)$/);
  });
  test('empty assets', () => {
    assertOneProblem(
      sleeve(['"prices": "p.csv"', '"assets": []', '"risk_profiles": ["hrp"]']),
      'profiles.s.sleeve.assets',
      '"assets"',
      /must not be empty/,
    );
  });
  test('duplicate asset', () => {
    const text = sleeve(['"prices": "p.csv"', '"assets": ["A", "B", "A"]', '"risk_profiles": ["hrp"]']);
    assertOneProblem(
      text,
      'profiles.s.sleeve.assets[2]',
      '"assets"',
      /^duplicate asset "A" \(also assets\[0\]\)$/,
    );
  });
  test('direction of an asset that is not in assets', () => {
    const text = sleeve([...base, '"directions": {\n        "Z": "SHORT"\n      }']);
    assertOneProblem(
      text,
      'profiles.s.sleeve.directions.Z',
      '"Z"',
      /"Z" is not one of the sleeve's assets \(A, B\)/,
    );
  });
  test('unknown risk profile, with a suggestion', () => {
    const text = sleeve(['"prices": "p.csv"', '"assets": ["A"]', '"risk_profiles": ["hrp", "min_varience"]']);
    assertOneProblem(
      text,
      'profiles.s.sleeve.risk_profiles[1]',
      'min_varience',
      /"min_varience" is not allowed \(did you mean "min_variance"\?\)/,
    );
  });
  test('a risk profile listed twice through its alias', () => {
    const text = sleeve(['"prices": "p.csv"', '"assets": ["A"]', '"risk_profiles": ["erc", "risk_parity"]']);
    assertOneProblem(
      text,
      'profiles.s.sleeve.risk_profiles[1]',
      'risk_parity',
      /"risk_parity" is listed twice/,
    );
  });
  test('train_window below 20 and not an integer: both reported', () => {
    const problems = problemsOf(sleeve([...base, '"train_window": 10.5']));
    assert.deepEqual(
      problems.map((p) => [p.path, p.message]),
      [
        ['profiles.s.sleeve.train_window', 'must be ≥ 20, got 10.5'],
        ['profiles.s.sleeve.train_window', 'must be an integer, got 10.5'],
      ],
      'problems.map((p) => [p.path, p.message])',
    );
  });
  test('negative cost', () => {
    const text = sleeve([...base, '"costs": {\n        "commission": -0.001\n      }']);
    assertOneProblem(text, 'profiles.s.sleeve.costs.commission', '"commission"', /^must be ≥ 0, got -0.001$/);
  });
  test('sleeve bounds infeasible for its number of assets', () => {
    const text = sleeve([...base, '"max_weight": 0.4']);
    assertOneProblem(
      text,
      'profiles.s.sleeve.max_weight',
      '"max_weight"',
      /2 assets × max_weight 0.4 = 0.8 < 1; set max_weight to at least 0.5/,
    );
  });
  test('profile with both "sleeve" and "sleeves", or neither', () => {
    const text = `{"profiles": {\n"a": {"sleeve": {}, "sleeves": []},\n"b": {"description": "x"}\n}}`;
    const problems = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [
        ['profiles.a', 2],
        ['profiles.b', 3],
      ],
      'problems.map((p) => [p.path, p.line])',
    );
    assert.match(
      problems[0]?.message ?? '',
      /has both "sleeve" and "sleeves"/,
      'problems[0]?.message ?? \'\' matches /has both "sleeve" and "sleeves"/',
    );
    assert.match(
      problems[1]?.message ?? '',
      /has neither "sleeve" .* nor "sleeves"/,
      'problems[1]?.message ?? \'\' matches /has neither "sleeve" .* nor "sleeves"/',
    );
  });
  test('profile name that cannot be a file name', () => {
    const text = `{"profiles": {\n"my profile": ${sleeveJson()}\n}}`;
    assertOneProblem(
      text,
      'profiles["my profile"]',
      'my profile',
      /profile name must start with a letter or digit/,
    );
  });
  test('unknown top-level key', () => {
    assertOneProblem(
      `{\n"profiles": {},\n"profile": 1\n}`,
      'profile',
      '"profile": 1',
      /unknown key "profile" \(did you mean "profiles"\?\)/,
    );
  });
  test('duplicate JSON key (JSON.parse would keep only the last one)', () => {
    const text = `{"profiles": {\n"s": ${sleeveJson()},\n"s": ${sleeveJson(['C'])}\n}}`;
    assertOneProblem(text, 'profiles.s', '["C"]', /^duplicate key "s" \(first at line 2\)/);
  });

  test('sleeve entry with both profile and meta_profile, and one with neither', () => {
    const text = metaManifest(['{"id": "a", "profile": "x", "meta_profile": "m2"}', '{"id": "b"}'], {
      m2: metaManifestBody(),
    });
    const problems = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [
        ['profiles.m.sleeves[0].meta_profile', lineContaining(text, '"id": "a"')],
        ['profiles.m.sleeves[1]', lineContaining(text, '"id": "b"')],
      ],
      'problems.map((p) => [p.path, p.line])',
    );
    assert.match(
      problems[1]?.message ?? '',
      /needs "profile" \(an atomic sleeve\) or "meta_profile"/,
      'problems[1]?.message ?? \'\' matches /needs "profile" \\(an atomic sleeve\\) or "meta_profile"/',
    );
  });
  test('bad sleeve id and bad run id', () => {
    const text = metaManifest([
      '{"id": "_a", "profile": "x"}',
      '{"id": "b", "profile": "y", "run_id": "../escape"}',
    ]);
    const problems = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [
        ['profiles.m.sleeves[0].id', lineContaining(text, '"_a"')],
        ['profiles.m.sleeves[1].run_id', lineContaining(text, '../escape')],
      ],
      'problems.map((p) => [p.path, p.line])',
    );
  });
  test('run_id together with meta_profile', () => {
    const text = metaManifest(['{"id": "a", "meta_profile": "m2", "run_id": "r1"}'], {
      m2: metaManifestBody(),
    });
    assertOneProblem(text, 'profiles.m.sleeves[0].run_id', '"r1"', /cannot be used with "meta_profile"/);
  });
  test('duplicate sleeve id names both indexes', () => {
    const text = metaManifest([
      '{"id": "a", "profile": "x"}',
      '{"id": "b", "profile": "y"}',
      '{"id": "a", "profile": "z"}',
    ]);
    assertOneProblem(
      text,
      'profiles.m.sleeves[2].id',
      '"profile": "z"',
      /duplicate sleeve id "a": sleeves\[0\] and sleeves\[2\] both use it/,
    );
  });
  test('meta_profile naming an unknown profile, with a suggestion', () => {
    const text = metaManifest(['{"id": "a", "meta_profile": "meta_eu"}'], { meta_eur: metaManifestBody() });
    assertOneProblem(
      text,
      'profiles.m.sleeves[0].meta_profile',
      '"meta_eu"',
      /meta profile "meta_eu" is not in the manifest \(did you mean "meta_eur"\?\)/,
    );
  });
  test('meta_profile naming a sleeve profile', () => {
    const text = metaManifest(['{"id": "a", "meta_profile": "s"}'], { s: sleeveJson() });
    assertOneProblem(
      text,
      'profiles.m.sleeves[0].meta_profile',
      '"meta_profile": "s"',
      /"s" is a sleeve profile, not a meta profile: write "profile": "s"/,
    );
  });
  test('profile naming a meta profile', () => {
    const text = metaManifest(['{"id": "a", "profile": "m2"}'], { m2: metaManifestBody() });
    assertOneProblem(
      text,
      'profiles.m.sleeves[0].profile',
      '"profile": "m2"',
      /"m2" is a meta profile: nest it with "meta_profile": "m2"/,
    );
  });
  const entries = [
    '{"id": "a", "profile": "x"}',
    '{"id": "b", "profile": "y"}',
    '{"id": "c", "profile": "z"}',
  ];
  test('infeasible bounds: n·min > 1', () => {
    const text = metaManifest(entries, {}, '{\n        "min_weight": 0.4\n      }');
    assertOneProblem(
      text,
      'profiles.m.meta_allocation.min_weight',
      '"min_weight"',
      /^infeasible bounds: 3 sleeves × min_weight 0.4 = 1.2 > 1; set min_weight to at most 0.3333 \(1\/3\)$/,
    );
  });
  test('infeasible bounds: n·max < 1', () => {
    const text = metaManifest(entries, {}, '{\n        "max_weight": 0.3\n      }');
    assertOneProblem(
      text,
      'profiles.m.meta_allocation.max_weight',
      '"max_weight"',
      /3 sleeves × max_weight 0.3 = 0.9 < 1; set max_weight to at least 0.3334/,
    );
  });
  test('infeasible bounds: min > max', () => {
    const text = metaManifest(entries, {}, '{"min_weight": 0.3, "max_weight": 0.2}');
    assertOneProblem(
      text,
      'profiles.m.meta_allocation.min_weight',
      '"min_weight"',
      /min_weight 0.3 is greater than max_weight 0.2/,
    );
  });
  test('exactly feasible bounds (n·min = 1) pass', () => {
    const text = metaManifest(
      entries,
      {},
      '{"min_weight": 0.3333333333333333, "max_weight": 0.3333333333333333}',
    );
    assert.equal(
      (parseManifest(text, 'manifest.json').profiles['m'] as MetaProfile).meta_allocation.min_weight,
      1 / 3,
      "(parseManifest(text, 'manifest.json').profiles['m']).meta_allocation.…",
    );
  });
  test('cycles are reported at load: a → b → a and a self-cycle', () => {
    const text = [
      '{"profiles": {',
      '"a": {"sleeves": [{"id": "to_b", "meta_profile": "b"}]},',
      '"b": {"sleeves": [{"id": "to_a", "meta_profile": "a"}]},',
      '"c": {"sleeves": [{"id": "x", "profile": "s"}, {"id": "self", "meta_profile": "c"}]}',
      '}}',
    ].join('\n');
    const problems = problemsOf(text, 'E_CYCLE');
    assert.deepEqual(
      problems.map((p) => [p.path, p.line, p.message]),
      [
        [
          'profiles.b.sleeves[0].meta_profile',
          3,
          'meta profiles nest in a cycle: a → b → a; remove one of these nestings',
        ],
        [
          'profiles.c.sleeves[1].meta_profile',
          4,
          'meta profiles nest in a cycle: c → c; remove one of these nestings',
        ],
      ],
      'problems.map((p) => [p.path, p.line, p.message])',
    );
  });
});

describe('parseManifest: the whole report', () => {
  test('several problems at once: one E_MANIFEST, counted, in document order, located at the first', () => {
    const text = [
      '{',
      '  "profiles": {',
      '    "m": { "sleeves": [',
      '        { "id": "a", "profile": "x" },',
      '        { "id": "a", "meta_profile": "nope" } ],',
      '      "meta_allocation": { "min_weight": 0.9 } },',
      '    "s": { "sleeve": { "prices": "p.csv", "assets": ["A"], "risk_profiles": ["hrp"], "test_window": 0 } }',
      '  }',
      '}',
    ].join('\n');
    const error = catchQuantError(() =>
      assertManifestValid(parseManifest(text, 'manifest.json'), 'manifest.json'),
    );
    const problems = error.details['problems'] as ManifestProblem[];
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [
        ['profiles.m.sleeves[1].id', 5],
        ['profiles.m.sleeves[1].meta_profile', 5],
        ['profiles.m.meta_allocation.min_weight', 6],
        ['profiles.s.sleeve.test_window', 7],
      ],
      'problems.map((p) => [p.path, p.line])',
    );
    assert.ok(
      error.message.startsWith(
        'manifest.json: profiles m, s are invalid: 4 problems: profiles.m.sleeves[1].id (line 5): duplicate sleeve id "a"',
      ),
      "error.message.startsWith('manifest.json: profiles m, s are invalid: 4…",
    );
    assert.match(
      error.message,
      /; profiles\.s\.sleeve\.test_window \(line 7\): must be ≥ 1, got 0$/,
      'error.message matches /; profiles\\.s\\.sleeve\\.test_window \\(line 7\\): must be ≥ 1…',
    );
    assert.deepEqual(
      error.location,
      {
        file: 'manifest.json',
        jsonPath: 'profiles.m.sleeves[1].id',
        line: 5,
      },
      'error.location',
    );
  });

  test('a single problem says "1 problem"', () => {
    const error = catchQuantError(() => parseManifest('{"profiles": 1}', 'ws/manifest.json'));
    assert.equal(
      error.message,
      'ws/manifest.json: 1 problem: profiles (line 1): expected an object, got 1',
      'error.message',
    );
  });

  test('invalid JSON is E_MANIFEST with the line of the syntax error', () => {
    const error = catchQuantError(() => parseManifest('{\n  "profiles": {,}\n}', 'manifest.json'));
    assert.equal(error.code, 'E_MANIFEST', 'error.code');
    assert.match(
      error.message,
      /^manifest\.json is not valid JSON: /,
      'error.message matches /^manifest\\.json is not valid JSON: /',
    );
    assert.equal(error.location?.line, 2, 'error.location?.line');
  });
});

describe('readManifest', () => {
  test('reads and validates a file; a missing file is E_MANIFEST_NOT_FOUND; a folder is E_MANIFEST', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metafolio-manifest-'));
    try {
      const path = join(dir, 'manifest.json');
      await writeFile(path, `\uFEFF${DESIGN_EXAMPLE.replace(/\n/g, '\r\n')}`);
      const { manifest, file, text } = await readManifest(path);
      assert.equal(file, path, 'file');
      assert.ok(text.includes('meta_global'), "text includes 'meta_global'");
      assert.deepEqual(
        Object.keys(manifest.profiles),
        ['swiss_sectors', 'meta_swiss', 'meta_global'],
        'Object.keys(manifest.profiles)',
      );

      const missing = join(dir, 'nope.json');
      const notFound = await readManifest(missing).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as { code: string; message: string; hint: string },
      );
      assert.equal(notFound.code, 'E_MANIFEST_NOT_FOUND', 'notFound.code');
      assert.ok(notFound.message.includes(missing), 'notFound.message includes missing');
      assert.match(notFound.hint, /--manifest/, 'notFound.hint matches /--manifest/');

      await mkdir(join(dir, 'folder.json'));
      await assert.rejects(
        readManifest(join(dir, 'folder.json')),
        {
          code: 'E_MANIFEST',
          message: /it is a folder/,
        },
        'readManifest rejects with E_MANIFEST',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A valid meta profile body (one atomic sleeve), as JSON text. */
function metaManifestBody(): string {
  return '{"sleeves": [{"id": "only", "profile": "elsewhere"}]}';
}

describe('parseManifest: a bad profile blocks only the runs that use it', () => {
  const text = [
    '{',
    '  "profiles": {',
    '    "good": { "sleeves": [ { "id": "a", "profile": "sa" }, { "id": "b", "profile": "sb" } ] },',
    '    "bad": { "sleeves": [ { "id": "a", "profile": "sa" } ],',
    '      "meta_allocation": { "min_weight": 2, "max_wieght": 0.5 } },',
    '    "uses_bad": { "sleeves": [ { "id": "x", "meta_profile": "bad" }, { "id": "y", "profile": "broken_sleeve" } ] },',
    '    "broken_sleeve": { "sleeve": { "prices": "p.csv", "assets": [], "risk_profiles": ["hrp"] } }',
    '  }',
    '}',
  ].join('\n');

  test('valid profiles load; each invalid one is kept aside with all its problems and the profiles it names', () => {
    const m = parseManifest(text, 'manifest.json');
    assert.deepEqual(Object.keys(m.profiles), ['good', 'uses_bad'], 'Object.keys(m.profiles)');
    assert.deepEqual(Object.keys(m.invalid ?? {}), ['bad', 'broken_sleeve'], 'Object.keys(m.invalid ?? {})');
    assert.deepEqual(
      m.invalid?.['bad']?.problems.map((p) => [p.path, p.line]),
      [
        ['profiles.bad.meta_allocation.min_weight', 5],
        ['profiles.bad.meta_allocation.min_weight', 5],
        ['profiles.bad.meta_allocation.max_wieght', 5],
      ],
      "m.invalid?.['bad']?.problems.map((p) => [p.path, p.line])",
    );
    assert.deepEqual(m.invalid?.['bad']?.uses, ['sa'], "m.invalid?.['bad']?.uses");
    assert.deepEqual(
      profilesInUse(m, 'uses_bad'),
      new Set(['uses_bad', 'bad', 'sa', 'broken_sleeve']),
      "profilesInUse(m, 'uses_bad')",
    );
  });

  test('a run of a valid profile resolves; the others are one warning line each', () => {
    const m = parseManifest(text, 'manifest.json');
    const node = resolveMetaTree(m, 'good', { file: 'manifest.json' });
    assert.deepEqual(
      node.sleeves.map((s) => s.id),
      ['a', 'b'],
      'node.sleeves.map((s) => s.id)',
    );
    const warnings = invalidProfileWarnings(m, profilesInUse(m, 'good'), 'manifest.json');
    assert.equal(warnings.length, 2, 'one line per invalid profile not in use');
    assert.match(
      warnings[0] ?? '',
      /^manifest\.json: profile bad is invalid and was skipped; runs that use it fail until it is fixed \(3 problems: profiles\.bad\.meta_allocation\.min_weight \(line 5\): must be ≤ 1, got 2; .*; profiles\.bad\.meta_allocation\.max_wieght \(line 5\): unknown key "max_wieght" \(did you mean "max_weight"\?\)\)$/,
      "warnings[0] ?? '' matches /^manifest\\.json: profile bad is invalid and was skipped; r…",
    );
    assert.match(
      warnings[1] ?? '',
      /^manifest\.json: profile broken_sleeve is invalid .*profiles\.broken_sleeve\.sleeve\.assets \(line 7\): must not be empty\)$/,
      "warnings[1] ?? '' matches /^manifest\\.json: profile broken_sleeve is invalid .*profil…",
    );
  });

  test('a run that uses an invalid profile fails with every problem of every invalid profile it uses', () => {
    const m = parseManifest(text, 'manifest.json');
    const direct = catchQuantError(() => resolveMetaTree(m, 'bad', { file: 'manifest.json' }));
    assert.equal(direct.code, 'E_MANIFEST', 'direct.code');
    assert.match(
      direct.message,
      /^manifest\.json: profile bad is invalid: 3 problems: /,
      'direct.message matches /^manifest\\.json: profile bad is invalid: 3 problems: /',
    );
    const nested = catchQuantError(() => resolveMetaTree(m, 'uses_bad', { file: 'manifest.json' }));
    assert.equal(nested.code, 'E_MANIFEST', 'nested.code');
    assert.match(
      nested.message,
      /^manifest\.json: profiles bad, broken_sleeve used by uses_bad are invalid: 4 problems: /,
      'nested.message matches /^manifest\\.json: profiles bad, broken_sleeve used by uses_…',
    );
    assert.deepEqual(
      nested.issues.map((i) => i.path),
      [
        'profiles.bad.meta_allocation.min_weight',
        'profiles.bad.meta_allocation.min_weight',
        'profiles.bad.meta_allocation.max_wieght',
        'profiles.broken_sleeve.sleeve.assets',
      ],
      'nested.issues.map((i) => i.path)',
    );
    assert.deepEqual(
      nested.location,
      {
        file: 'manifest.json',
        jsonPath: 'profiles.bad.meta_allocation.min_weight',
        line: 5,
      },
      'nested.location',
    );
  });

  test('a problem of the document itself still fails every run', () => {
    const error = catchQuantError(() =>
      parseManifest(
        '{ "profiles": { "good": { "sleeves": [ { "id": "a", "profile": "x" } ] } }, "defaults": {} }',
        'manifest.json',
      ),
    );
    assert.equal(error.code, 'E_MANIFEST', 'error.code');
    assert.match(
      error.message,
      /^manifest\.json: 1 problem: defaults \(line 1\): unknown key "defaults"/,
      'error.message matches /^manifest\\.json: 1 problem: defaults \\(line 1\\): unknown k…',
    );
  });
});

describe('cvar_level in a manifest', () => {
  test('a level outside (0, 1) is E_MANIFEST at its path and line; inside it, the tail methods are valid', () => {
    const sleeve = (level: number): string =>
      `{ "profiles": { "s": { "sleeve": { "prices": "p.csv", "assets": ["A", "B"],\n  "risk_profiles": ["min_cvar", "min_cdar", "mean_cvar"],\n  "cvar_level": ${level} } } } }`;
    assertOneProblem(sleeve(1), 'profiles.s.sleeve.cvar_level', '"cvar_level"', /< 1/);
    assertOneProblem(sleeve(0), 'profiles.s.sleeve.cvar_level', '"cvar_level"', /> 0/);
    assertManifestValid(parseManifest(sleeve(0.99), 'manifest.json'), 'manifest.json');
    const meta = `{ "profiles": { "a": ${sleeveJson(['A', 'B'], ['min_cvar'])}, "b": ${sleeveJson(['C', 'D'], ['min_cvar'])},\n  "m": { "sleeves": [{ "id": "a", "profile": "a" }, { "id": "b", "profile": "b" }],\n  "meta_allocation": { "cvar_level": 1.5 } } } }`;
    assertOneProblem(meta, 'profiles.m.meta_allocation.cvar_level', '"cvar_level"', /< 1/);
  });
});

describe('unknown keys in every object of a meta profile', () => {
  const meta = (extra: string): string =>
    `{\n  "profiles": {\n    "s": { "sleeve": { "prices": "p.csv", "assets": ["A"], "risk_profiles": ["hrp"] } },\n` +
    `    "m": { "sleeves": [{ "id": "a", "profile": "s" }],\n${extra}\n    }\n  }\n}`;
  const cases: [string, string, string, string][] = [
    [
      '"exposure_limits": { "max_weigth": 0.3 }',
      'profiles.m.exposure_limits.max_weigth',
      'max_weigth',
      'max_weight',
    ],
    ['"turnover": { "max_turnovr": 0.05 }', 'profiles.m.turnover.max_turnovr', 'max_turnovr', 'max_turnover'],
    [
      '"rebalancing": { "compare": { "monthly": { "calender": "monthly" } } }',
      'profiles.m.rebalancing.compare.monthly.calender',
      'calender',
      'calendar',
    ],
    [
      '"benchmarks": [{ "id": "b", "file": "b.csv", "colum": "B" }]',
      'profiles.m.benchmarks[0].colum',
      'colum',
      'column',
    ],
    ['"risk_free": { "rat": 0.02 }', 'profiles.m.risk_free.rat', 'rat', 'rate'],
    [
      '"meta_allocation": { "min_weigt": 0.1 }',
      'profiles.m.meta_allocation.min_weigt',
      'min_weigt',
      'min_weight',
    ],
  ];
  for (const [extra, path, key, meant] of cases) {
    test(`${path}: did you mean "${meant}"`, () => {
      const text = meta(extra);
      const problems = problemsOf(text);
      const p = problems.find((q) => q.path === path);
      assert.ok(p !== undefined, `a problem at ${path}: ${JSON.stringify(problems)}`);
      assert.match(p.message, new RegExp(`^unknown key "${key}" \\(did you mean "${meant}"`), 'did you mean');
    });
  }

  test('every object of the schema lists its keys, read from the schema', () => {
    const objects: [readonly (string | number)[], string[]][] = [
      [
        ['profiles', 'm', 'exposure_limits'],
        ['max_weight', 'symbols', 'prefixes'],
      ],
      [
        ['profiles', 'm', 'turnover'],
        ['max_turnover', 'penalty', 'holdings'],
      ],
      [
        ['profiles', 'm', 'rebalancing', 'compare', 'x'],
        ['every', 'calendar', 'band_absolute', 'max_turnover'],
      ],
      [
        ['profiles', 'm', 'rebalancing'],
        ['every', 'costs_bps', 'compare'],
      ],
      [
        ['profiles', 'm', 'sleeves', 0],
        ['id', 'profile', 'meta_profile', 'min_weight', 'tags'],
      ],
      [
        ['profiles', 'm', 'benchmarks', 0],
        ['id', 'file', 'column'],
      ],
      [
        ['profiles', 's', 'sleeve', 'costs'],
        ['commission', 'slippage'],
      ],
      [
        ['profiles', 's', 'sleeve', 'rebalancing'],
        ['every', 'costs_bps'],
      ],
      [
        ['profiles', 'm', 'trades'],
        ['prices', 'holdings', 'max_data_age_days'],
      ],
      [[], ['$schema', 'description', 'profiles']],
    ];
    for (const [path, keys] of objects) {
      const allowed = allowedKeysAt(path);
      for (const k of keys)
        assert.ok(allowed.includes(k), `${path.join('.')} allows ${k}: ${allowed.join(', ')}`);
    }
  });
});
