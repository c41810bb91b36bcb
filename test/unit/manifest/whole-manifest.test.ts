// The manifest is validated as a whole: a misspelt kind key (`sleves`) no longer hides the problems behind
// it — the entries are checked as the kind meant, and references to and from such a profile still are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../../../src/manifest/load-manifest.js';
import { assertManifestValid } from '../../../src/manifest/profile-usage.js';
import { catchQuantError } from './_helpers.js';

const TEXT = `{
  "profiles": {
    "root": {
      "sleeves": [
        { "id": "a", "profile": "s1" },
        { "id": "b", "meta_profile": "nestd" }
      ]
    },
    "nested": {
      "sleves": [
        { "id": "c", "profile": "s1" },
        { "id": "d", "meta_profile": "gone" }
      ]
    }
  }
}
`;

test('a misspelt "sleeves" is named, and the dangling references are listed with it', () => {
  const manifest = parseManifest(TEXT, 'manifest.json');
  const error = catchQuantError(() => assertManifestValid(manifest, 'manifest.json'));
  assert.equal(error.code, 'E_MANIFEST', 'code');
  const problems = (error.details['problems'] ?? []) as { path: string; line: number; message: string }[];
  const at = (path: string): { line: number; message: string } | undefined =>
    problems.find((p) => p.path === path);
  assert.match(
    at('profiles.nested.sleves')?.message ?? '',
    /did you mean "sleeves"\?/,
    JSON.stringify(problems),
  );
  assert.equal(at('profiles.nested.sleves')?.line, 10, 'the line of the misspelt key');
  assert.match(
    at('profiles.nested.sleves[1].meta_profile')?.message ?? '',
    /meta profile "gone" is not in the manifest/,
    'the dangling reference behind the typo is reported at once',
  );
  assert.equal(at('profiles.nested.sleves[1].meta_profile')?.line, 12, 'its line');
  assert.match(
    at('profiles.root.sleeves[1].meta_profile')?.message ?? '',
    /did you mean "nested"\?/,
    'a reference to the misspelt profile is suggested by name',
  );
});
