// Every meta_allocation option of a meta level pinned through the built CLI (`quant meta run`), on the
// workspace and case table of test/helpers/meta-seams.ts: each level's meta_optimized weights with the
// option match the independent computation and move from the default level's by the stated amount.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { weightDistance } from '../helpers/optimize-seams.js';
import {
  META_DEFAULT_HRP,
  META_PROFILES,
  META_SEAM_CASES,
  buildMetaSeamWorkspace,
} from '../helpers/meta-seams.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };

describe('meta_allocation options reach the level optimizer (CLI)', () => {
  let ws: { path: string; cleanup(): void };
  before(async () => {
    ws = tempDir('mf-meta-seams-cli-');
    await buildMetaSeamWorkspace(ws.path);
  });
  after(() => ws.cleanup());

  const ran = new Set<string>();
  const weights = (profile: string, risk: string): Record<string, number> => {
    if (!ran.has(profile)) {
      const r = quant(
        ['meta', 'run', '--profile', profile, '--run-id', profile, '--no-backtest', '--workspace', ws.path],
        { env: ENV },
      );
      assert.equal(r.code, 0, `quant meta run --profile ${profile}: ${r.stderr}`);
      ran.add(profile);
    }
    const file = join(ws.path, 'runs', profile, 'data', `meta_optimized_${profile}_${risk}.json`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { method: string; weights: Record<string, number> };
    assert.equal(doc.method, risk, `${profile} ${risk}: optimized by its own method, no fallback`);
    return doc.weights;
  };

  test('the manifest has one meta profile per option', () => {
    assert.deepEqual(
      [...new Set(META_SEAM_CASES.flatMap((c) => [c.profile, c.base]))].sort(),
      [...META_PROFILES].sort(),
      'every profile of the workspace is a case or the base of one',
    );
  });

  test('the default level (hrp) gives the pypfopt HRPOpt single-linkage weights', () => {
    const error = weightDistance(weights('m_default', 'hrp'), META_DEFAULT_HRP());
    assert.ok(error <= 1e-9, `default hrp level off the reference by ${error}`);
  });

  for (const c of META_SEAM_CASES) {
    test(c.name, () => {
      const got = weights(c.profile, c.risk);
      const expected = c.expected();
      assert.deepEqual(Object.keys(got), Object.keys(expected), `${c.name}: the sleeves and their order`);
      const error = weightDistance(got, expected);
      assert.ok(
        error <= c.tolerance,
        `${c.name}: weights ${JSON.stringify(got)} differ from the independent ${JSON.stringify(expected)} by ${error}`,
      );
      const moved = weightDistance(got, weights(c.base, c.base === c.profile ? 'hrp' : c.risk));
      assert.ok(
        moved > c.minDiff,
        `${c.name}: the option moved the weights by only ${moved} (≤ ${c.minDiff}) from ${c.base}`,
      );
    });
  }
});
