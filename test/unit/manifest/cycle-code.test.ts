// One condition, one code: a cycle of nested meta profiles is E_CYCLE whichever path finds it — the
// loader (which records it as a problem of the profile that closes it) or resolveMetaTree (a manifest
// built in code) — and its problem carries that code in details.problems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../../../src/manifest/load-manifest.js';
import { assertProfilesUsable } from '../../../src/manifest/profile-usage.js';
import { resolveMetaTree } from '../../../src/manifest/meta-tree.js';
import { ManifestSchema } from '../../../src/manifest/schema.js';
import { catchQuantError } from './_helpers.js';

const PROFILES = {
  a: { sleeves: [{ id: 'to_b', meta_profile: 'b' }] },
  b: { sleeves: [{ id: 'to_a', meta_profile: 'a' }] },
  s: { sleeve: { prices: 'p.csv', assets: ['A', 'B'], risk_profiles: ['hrp'] } },
  bad: { sleeves: [{ id: 'x', profile: 7 }] },
};

test('a cycle found by the loader is E_CYCLE for a run that uses it', () => {
  const m = parseManifest(JSON.stringify({ profiles: PROFILES }, null, 2), 'manifest.json');
  const e = catchQuantError(() => assertProfilesUsable(m, 'a', 'manifest.json'));
  assert.equal(e.code, 'E_CYCLE', 'the loader path gives E_CYCLE');
  assert.match(e.message, /a → b → a/, 'the message names the cycle');
  const problems = e.details['problems'] as { code?: string }[];
  assert.equal(problems[0]?.code, 'E_CYCLE', 'the cycle problem carries its code');
});

test('a cycle found by resolveMetaTree is E_CYCLE too', () => {
  const m = ManifestSchema.parse({ profiles: { a: PROFILES.a, b: PROFILES.b } });
  assert.equal(catchQuantError(() => resolveMetaTree(m, 'a')).code, 'E_CYCLE', 'resolveMetaTree path');
});

test('other invalid profiles stay E_MANIFEST', () => {
  const m = parseManifest(JSON.stringify({ profiles: PROFILES }, null, 2), 'manifest.json');
  const e = catchQuantError(() => assertProfilesUsable(m, 'bad', 'manifest.json'));
  assert.equal(e.code, 'E_MANIFEST', 'a type error is E_MANIFEST');
  const problems = e.details['problems'] as Record<string, unknown>[];
  assert.ok(!('code' in (problems[0] ?? {})), 'problems without their own code carry none');
});
