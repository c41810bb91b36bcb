// Every option of portfolio.optimize pinned at the seam, through the stage (QuantSDK.runStage): with the
// option the weights match an independent computation (test/helpers/optimize-seams.ts: PyPortfolioOpt /
// skfolio references, or exact enumeration on returns cleaned from the CSV text), and they differ from
// the weights of the same params without it by more than the case's stated amount (or the default
// fails with the stated code). A change that drops or ignores an option fails here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { isQuantError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/cli.js';
import {
  SEAM_CASES,
  weightDistance,
  writeSeamInputs,
  type Params,
  type SeamInput,
} from '../../helpers/optimize-seams.js';

type Weights = Record<string, number>;

describe('portfolio.optimize options reach the optimizer (SDK)', () => {
  let ws: { path: string; cleanup(): void };
  let inputs: Record<SeamInput, string>;
  let runNo = 0;
  const cache = new Map<string, Promise<Weights>>();
  before(() => {
    ws = tempDir('mf-seams-');
    inputs = writeSeamInputs(ws.path);
  });
  after(() => ws.cleanup());

  const weights = (input: SeamInput, params: Params): Promise<Weights> => {
    const key = JSON.stringify([input, params]);
    let p = cache.get(key);
    if (p === undefined) {
      p = QuantSDK.runStage<{ weights: Weights }>(
        'portfolio.optimize',
        { input: inputs[input], ...params },
        { workspace: ws.path, runId: `s${++runNo}` },
      ).then((r) => r.value.weights);
      cache.set(key, p);
    }
    return p;
  };

  for (const c of SEAM_CASES) {
    test(c.name, async (t) => {
      const got = await weights(c.input, { ...c.base, ...c.option });
      const expected = c.expected();
      assert.deepEqual(Object.keys(got), Object.keys(expected), `${c.name}: the assets and their order`);
      const error = weightDistance(got, expected);
      assert.ok(
        error <= c.tolerance,
        `${c.name}: weights ${JSON.stringify(got)} differ from the independent ${JSON.stringify(expected)} by ${error} > ${c.tolerance}`,
      );
      if (c.baseError !== undefined) {
        await assert.rejects(
          weights(c.input, c.base),
          (e: unknown) => isQuantError(e) && e.code === c.baseError,
          `${c.name}: without the option the run must fail with ${c.baseError}`,
        );
        return;
      }
      const base = await weights(c.input, c.base);
      const moved = weightDistance(got, base);
      t.diagnostic(
        `moved ${moved.toExponential(3)} from the default; off the reference by ${error.toExponential(3)}`,
      );
      assert.ok(
        moved > (c.minDiff ?? 0),
        `${c.name}: the option moved the weights by only ${moved} (≤ ${c.minDiff}) from the default ${JSON.stringify(base)}`,
      );
    });
  }
});
