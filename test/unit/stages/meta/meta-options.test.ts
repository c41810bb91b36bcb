// Every meta_allocation option of a meta level pinned at the seam, through meta.returns + meta.optimize
// (QuantSDK.runStage) on the workspace of test/helpers/meta-seams.ts: the level's weights with the option
// match the independent computation and move from the default level's by more than the stated amount.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { metaArtifactPaths, type MetaOptimizedDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../../helpers/cli.js';
import { weightDistance } from '../../../helpers/optimize-seams.js';
import {
  META_DEFAULT_HRP,
  META_PROFILES,
  META_SEAM_CASES,
  buildMetaSeamWorkspace,
} from '../../../helpers/meta-seams.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const sdk = new QuantSDK();

describe('meta_allocation options reach the level optimizer (SDK)', () => {
  let ws: { path: string; cleanup(): void };
  before(async () => {
    ws = tempDir('mf-meta-seams-');
    await buildMetaSeamWorkspace(ws.path);
    for (const profile of META_PROFILES) {
      const options = { workspace: ws.path, runId: profile, env: ENV };
      await sdk.runStage('meta.returns', { meta_profile: profile }, options);
      await sdk.runStage('meta.optimize', { meta_profile: profile }, options);
    }
  });
  after(() => ws.cleanup());

  const weights = (profile: string, risk: string): Record<string, number> => {
    const file = join(ws.path, 'runs', profile, metaArtifactPaths(profile, risk).optimized);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as MetaOptimizedDoc;
    assert.equal(doc.method, risk, `${profile} ${risk}: optimized by its own method, no fallback`);
    return doc.weights;
  };

  test('the default level (hrp) gives the pypfopt HRPOpt single-linkage weights', () => {
    const got = weights('m_default', 'hrp');
    const error = weightDistance(got, META_DEFAULT_HRP());
    assert.ok(error <= 1e-9, `default hrp level off the reference by ${error}`);
  });

  for (const c of META_SEAM_CASES) {
    test(c.name, (t) => {
      const got = weights(c.profile, c.risk);
      const expected = c.expected();
      assert.deepEqual(Object.keys(got), Object.keys(expected), `${c.name}: the sleeves and their order`);
      const error = weightDistance(got, expected);
      assert.ok(
        error <= c.tolerance,
        `${c.name}: weights ${JSON.stringify(got)} differ from the independent ${JSON.stringify(expected)} by ${error}`,
      );
      const base = weights(c.base, c.base === c.profile ? 'hrp' : c.risk);
      const moved = weightDistance(got, base);
      t.diagnostic(
        `moved ${moved.toExponential(3)} from the default; off the reference by ${error.toExponential(3)}`,
      );
      assert.ok(
        moved > c.minDiff,
        `${c.name}: the option moved the weights by only ${moved} (≤ ${c.minDiff}) from ${c.base}`,
      );
    });
  }
});
