// Values of the wrong JSON type where the manifest schema expects arrays or objects (found by fuzzing: the
// refinements that run even after a failed type check read `.forEach` / members of them and threw a
// TypeError, an internal error). Each is one E_MANIFEST problem at its JSON path.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertManifestValid, parseManifest } from '../../../src/manifest/index.js';
import { catchQuantError } from './_helpers.js';

const sleeve = (extra: Record<string, unknown>): string =>
  JSON.stringify({
    profiles: { s: { sleeve: { prices: 'p.csv', assets: ['A', 'B'], risk_profiles: ['hrp'], ...extra } } },
  });

describe('manifest values of the wrong type', () => {
  const cases: [string, string, string][] = [
    ['risk_profiles a string', sleeve({ risk_profiles: 'hrp' }), 'profiles.s.sleeve.risk_profiles'],
    [
      'risk_profiles an object',
      JSON.stringify({
        profiles: { m: { sleeves: [{ id: 'a', profile: 'x' }], risk_profiles: { hrp: true } } },
      }),
      'profiles.m.risk_profiles',
    ],
    ['risk_profiles null', sleeve({ risk_profiles: null }), 'profiles.s.sleeve.risk_profiles'],
    ['a sleeve spec null', JSON.stringify({ profiles: { s: { sleeve: null } } }), 'profiles.s.sleeve'],
    ['a sleeve spec a list', JSON.stringify({ profiles: { s: { sleeve: [1, 2] } } }), 'profiles.s.sleeve'],
    [
      'a sleeve entry null',
      JSON.stringify({ profiles: { m: { sleeves: [null, { id: 'b', profile: 'y' }] } } }),
      'profiles.m.sleeves[0]',
    ],
    [
      'a sleeve entry a number',
      JSON.stringify({ profiles: { m: { sleeves: [{ id: 'a', profile: 'x' }, 7] } } }),
      'profiles.m.sleeves[1]',
    ],
    ['a meta profile null', JSON.stringify({ profiles: { m: null } }), 'profiles.m'],
  ];
  for (const [name, text, path] of cases) {
    test(`${name}: E_MANIFEST at ${path}`, () => {
      const error = catchQuantError(() =>
        assertManifestValid(parseManifest(text, 'manifest.json'), 'manifest.json'),
      );
      assert.equal(error.code, 'E_MANIFEST', 'error.code');
      assert.ok(
        error.issues.some((i) => i.path === path),
        JSON.stringify(error.issues),
      );
    });
  }
});

describe('a number beyond the range of a double', () => {
  test('1e999 is E_MANIFEST at its path saying it is not finite, not "got null"', () => {
    const text =
      '{"profiles": {"s": {"sleeve": {"prices": "p.csv", "assets": ["A"], "risk_profiles": ["hrp"], "train_window": 1e999}}}}';
    const error = catchQuantError(() =>
      assertManifestValid(parseManifest(text, 'manifest.json'), 'manifest.json'),
    );
    assert.equal(error.code, 'E_MANIFEST', 'error.code');
    const issue = error.issues.find((i) => i.path === 'profiles.s.sleeve.train_window');
    assert.match(
      issue?.message ?? '',
      /is not a finite number: beyond ±1\.8e308 it reads as Infinity/,
      JSON.stringify(error.issues),
    );
    assert.doesNotMatch(error.message, /got null/, 'the value is not described as null');
  });
});
