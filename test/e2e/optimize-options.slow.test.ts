// Every option of portfolio.optimize pinned through the built CLI (`quant stage run portfolio.optimize
// --param …`), on the case table of test/helpers/optimize-seams.ts: the weights file written with the
// option matches the independent computation, and differs from the file written without it by more than
// the stated amount (or the run without it exits 1 with the stated code).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import {
  SEAM_CASES,
  cliParams,
  weightDistance,
  writeSeamInputs,
  type Params,
  type SeamInput,
} from '../helpers/optimize-seams.js';

type Weights = Record<string, number>;
type Outcome = { weights: Weights } | { code: number; stderr: string };

describe('portfolio.optimize options reach the optimizer (CLI)', () => {
  let ws: { path: string; cleanup(): void };
  let inputs: Record<SeamInput, string>;
  let runNo = 0;
  const cache = new Map<string, Outcome>();
  before(() => {
    ws = tempDir('mf-seams-cli-');
    inputs = writeSeamInputs(ws.path);
  });
  after(() => ws.cleanup());

  const run = (input: SeamInput, params: Params): Outcome => {
    const key = JSON.stringify([input, params]);
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const out = join(ws.path, `w${++runNo}.json`);
    const r = quant([
      'stage',
      'run',
      'portfolio.optimize',
      '--workspace',
      ws.path,
      ...cliParams({ input: inputs[input], ...params, output: out }),
    ]);
    const outcome: Outcome =
      r.code === 0
        ? { weights: (JSON.parse(readFileSync(out, 'utf8')) as { weights: Weights }).weights }
        : { code: r.code, stderr: r.stderr };
    cache.set(key, outcome);
    return outcome;
  };

  for (const c of SEAM_CASES) {
    test(c.name, () => {
      const got = run(c.input, { ...c.base, ...c.option });
      assert.ok('weights' in got, `${c.name}: the run with the option failed: ${JSON.stringify(got)}`);
      const expected = c.expected();
      assert.deepEqual(
        Object.keys(got.weights),
        Object.keys(expected),
        `${c.name}: the assets and their order`,
      );
      const error = weightDistance(got.weights, expected);
      assert.ok(
        error <= c.tolerance,
        `${c.name}: weights ${JSON.stringify(got.weights)} differ from the independent ${JSON.stringify(expected)} by ${error}`,
      );
      const base = run(c.input, c.base);
      if (c.baseError !== undefined) {
        assert.ok(!('weights' in base), `${c.name}: without the option the run must fail`);
        assert.equal(base.code, 1, `${c.name}: a coded failure exits 1`);
        assert.ok(
          base.stderr.startsWith(`${c.baseError}: `),
          `${c.name}: without the option the error is ${c.baseError}: ${base.stderr}`,
        );
        return;
      }
      assert.ok('weights' in base, `${c.name}: the default run failed: ${JSON.stringify(base)}`);
      const moved = weightDistance(got.weights, base.weights);
      assert.ok(
        moved > (c.minDiff ?? 0),
        `${c.name}: the option moved the weights by only ${moved} (≤ ${c.minDiff}) from the default`,
      );
    });
  }
});
