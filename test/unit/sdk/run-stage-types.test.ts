// The types of QuantSDK.runStage: a built-in stage id types the result's value (BuiltinStageValues), any
// other id gives unknown, and an explicit runStage<R>(...) keeps working. The type checks are compiled by
// `npm run typecheck` (tsc over test/): each `@ts-expect-error` line must be an error, or tsc fails; the
// runtime tests check that the typed fields are the ones the stages return.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  QuantSDK,
  builtinStages,
  type BuiltinStageId,
  type BuiltinStageValues,
  type StageRunResult,
} from '../../../src/index.js';
import { tempDir } from '../../helpers/cli.js';

/** true when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Every built-in id is a key of BuiltinStageValues and nothing else is (missing or extra keys fail tsc).
const IDS: Record<BuiltinStageId, true> = {
  'meta.returns': true,
  'meta.optimize': true,
  'meta.flatten': true,
  'meta.report': true,
  'meta.sign_test': true,
  'meta.backtest': true,
  'meta.trades': true,
  'sleeve.backtest': true,
  'portfolio.optimize': true,
};

/** Compiled, never called: the type-level cases. */
export async function typeCases(sdk: QuantSDK): Promise<void> {
  const r = await QuantSDK.runStage('portfolio.optimize', { input: 'p.csv' });
  const weights: true = true as Equal<typeof r.value.weights, Record<string, number>>;
  const method: string = r.value.method;
  // @ts-expect-error -- the value of portfolio.optimize has no such field
  void r.value.nope;
  // @ts-expect-error -- weights are a record of numbers, not a string
  const wrong: string = r.value.weights;

  const s = await QuantSDK.safeRunStage('portfolio.optimize', { input: 'p.csv' });
  if (s.ok) void s.value.value.weights['X'];
  // @ts-expect-error -- a failed safe result has no value
  if (!s.ok) void s.value;

  const own = await QuantSDK.runStage('my.stage', {});
  const unknownValue: true = true as Equal<typeof own.value, unknown>;
  // @ts-expect-error -- a stage outside the catalog has an unknown value: narrow it first
  void own.value.weights;

  const old = await QuantSDK.runStage<{ weights: Record<string, number> }>('portfolio.optimize', {});
  const oldWeights: Record<string, number> = old.value.weights;

  const meta = await sdk.runStage('meta.optimize', {});
  const profiles: readonly string[] = meta.value.risk_profiles;
  const signs = await sdk.runStage('meta.sign_test', {});
  const errors: number = signs.value.errors;
  const sleeve = await sdk.runStage('sleeve.backtest', {});
  const each: true = true as Equal<typeof sleeve, StageRunResult<BuiltinStageValues['sleeve.backtest']>>;
  void [weights, method, wrong, unknownValue, oldWeights, profiles, errors, each, sleeve];
}

describe('QuantSDK.runStage types', () => {
  let ws: { path: string; cleanup(): void };
  before(() => (ws = tempDir()));
  after(() => ws.cleanup());

  test('the typed ids are exactly the built-in catalog', () => {
    assert.deepEqual(
      Object.keys(IDS).sort(),
      builtinStages.map((s) => s.id).sort(),
      'BuiltinStageValues has one key per built-in stage',
    );
  });

  test('portfolio.optimize: the typed fields are the returned ones, old and new call forms alike', async () => {
    const lines = ['date,A,B,C'];
    for (let t = 0; t < 40; t++) {
      const day = new Date(Date.UTC(2024, 0, 1 + t)).toISOString().slice(0, 10);
      lines.push(`${day},${100 + t + (t % 3)},${100 + 0.5 * t + (t % 5)},${100 - 0.2 * t + (t % 7)}`);
    }
    writeFileSync(join(ws.path, 'p.csv'), `${lines.join('\n')}\n`);
    const params = { input: join(ws.path, 'p.csv'), method: 'inverse_variance' };
    const r = await QuantSDK.runStage('portfolio.optimize', params, { workspace: ws.path, runId: 't1' });
    const sum = Object.values(r.value.weights).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `the typed weights sum to 1 (${sum})`);
    assert.equal(r.value.method, 'inverse_variance', 'r.value.method');
    assert.deepEqual(Object.keys(r.value.weights), ['A', 'B', 'C'], 'weights in column order');

    const old = await QuantSDK.runStage<{ weights: Record<string, number> }>('portfolio.optimize', params, {
      workspace: ws.path,
      runId: 't2',
    });
    assert.deepEqual(old.value.weights, r.value.weights, 'runStage<R> returns the same value');

    const safe = await new QuantSDK().safeRunStage('portfolio.optimize', params, {
      workspace: ws.path,
      runId: 't3',
    });
    assert.ok(safe.ok, 'safeRunStage succeeded');
    assert.deepEqual(safe.value.value.weights, r.value.weights, 'safeRunStage value.value.weights');
  });
});
