// The sleeve spec's input options: input_kind (prices | returns | log_returns), missing, ffill_limit and
// periods_per_year.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest, type ManifestProblem } from '../../../src/manifest/load-manifest.js';
import type { SleeveProfile } from '../../../src/manifest/schema.js';
import { assertManifestValid } from '../../../src/manifest/profile-usage.js';
import { catchQuantError, lineContaining } from './_helpers.js';

const sleeve = (extra: string[]): string =>
  [
    '{',
    '  "profiles": {',
    '    "s": { "sleeve": {',
    ['"prices": "p.csv"', '"assets": ["A", "B"]', '"risk_profiles": ["hrp"]', ...extra]
      .map((l) => `      ${l}`)
      .join(',\n'),
    '    } }',
    '  }',
    '}',
  ].join('\n');

function problems(text: string): ManifestProblem[] {
  // Strict: a problem inside a profile makes only that profile invalid; list them all.
  const error = catchQuantError(() =>
    assertManifestValid(parseManifest(text, 'manifest.json'), 'manifest.json'),
  );
  assert.equal(error.code, 'E_MANIFEST', 'error.code');
  return error.details['problems'] as ManifestProblem[];
}

describe('sleeve input options in the manifest', () => {
  test('defaults: prices, no missing policy, no factor (inferred later)', () => {
    const spec = (parseManifest(sleeve([]), 'manifest.json').profiles['s'] as SleeveProfile).sleeve;
    assert.equal(spec.input_kind, 'prices', 'spec.input_kind');
    assert.equal(spec.missing, undefined, 'spec.missing');
    assert.equal(spec.ffill_limit, undefined, 'spec.ffill_limit');
    assert.equal(spec.periods_per_year, undefined, 'spec.periods_per_year');
  });

  test('log_returns, ffill with a limit, periods_per_year 12 and "auto" are accepted', () => {
    const text = sleeve([
      '"input_kind": "log_returns"',
      '"missing": "ffill"',
      '"ffill_limit": 3',
      '"periods_per_year": 12',
    ]);
    const spec = (parseManifest(text, 'manifest.json').profiles['s'] as SleeveProfile).sleeve;
    assert.deepEqual(
      [spec.input_kind, spec.missing, spec.ffill_limit, spec.periods_per_year],
      ['log_returns', 'ffill', 3, 12],
      '[spec.input_kind, spec.missing, spec.ffill_limit, spec.periods_per_ye…',
    );
    const auto = parseManifest(sleeve(['"periods_per_year": "auto"']), 'manifest.json');
    assert.equal(
      (auto.profiles['s'] as SleeveProfile).sleeve.periods_per_year,
      'auto',
      "(auto.profiles['s']).sleeve.periods_per_year",
    );
  });

  test('ffill_limit without missing=ffill is a problem at its path and line', () => {
    const text = sleeve(['"missing": "drop_assets"', '"ffill_limit": 3']);
    const [p, ...rest] = problems(text);
    assert.equal(rest.length, 0, JSON.stringify(rest));
    assert.equal(p?.path, 'profiles.s.sleeve.ffill_limit', 'p?.path');
    assert.equal(p?.line, lineContaining(text, 'ffill_limit'), 'p?.line');
    assert.match(
      p?.message ?? '',
      /^applies only with "missing": "ffill" \(missing is "drop_assets"\)$/,
      'p?.message ?? \'\' matches /^applies only with "missing": "ffill" \\(missing is "drop_a…',
    );
  });

  test('a factor outside 1 (annual) to 527,040 (one a minute) is a problem at its path', () => {
    for (const [value, message] of [
      ['1e-300', /^must be ≥ 1, got 1e-300$/],
      ['0.5', /^must be ≥ 1, got 0\.5$/],
      ['1e308', /^must be ≤ 527040, got 1e\+308$/],
      [
        '"daily"',
        /^must be "auto" or a number of periods per year from 1 \(annual\) to 527040 \(one a minute\), got "daily"$/,
      ],
    ] as const) {
      const [p, ...rest] = problems(sleeve([`"periods_per_year": ${value}`]));
      assert.equal(rest.length, 0, JSON.stringify(rest));
      assert.equal(p?.path, 'profiles.s.sleeve.periods_per_year', `${value}: at its path`);
      assert.match(p?.message ?? '', message, p?.message ?? '');
    }
    const edges = [1, 527_040].map(
      (v) =>
        (parseManifest(sleeve([`"periods_per_year": ${v}`]), 'manifest.json').profiles['s'] as SleeveProfile)
          .sleeve.periods_per_year,
    );
    assert.deepEqual(edges, [1, 527_040], 'the ends of the range are accepted');
  });

  test('unknown input_kind, missing policy and a bad factor are each reported', () => {
    const text = sleeve(['"input_kind": "percent"', '"missing": "fill"', '"periods_per_year": 0']);
    const paths = problems(text).map((p) => p.path);
    assert.deepEqual(
      paths.sort(),
      ['profiles.s.sleeve.input_kind', 'profiles.s.sleeve.missing', 'profiles.s.sleeve.periods_per_year'],
      'paths.sort()',
    );
  });
});
