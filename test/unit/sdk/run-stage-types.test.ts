// The types and shape of QuantSDK.runStage / safeRunStage: the result is flat (`r.weights` next to
// `r.runId`), a built-in stage id types the stage's fields (BuiltinStageValues), any other id gives none
// (`stageValue` is unknown), and an explicit runStage<R>(...) keeps working. The old nested shape
// (`r.value.weights`, `s.value.value.weights`) still compiles and works, deprecated, until 0.3.0.
// The type checks are compiled by `npm run typecheck` (tsc over test/): each `@ts-expect-error` line must
// be an error, or tsc fails; the runtime tests check that the typed fields are the ones the stages return.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  QuantSDK,
  builtinStages,
  createRegistry,
  defineStage,
  type BuiltinStageId,
  type BuiltinStageValues,
  type SafeResult,
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
  'meta.attribution': true,
  'meta.report': true,
  'meta.sign_test': true,
  'meta.backtest': true,
  'meta.trades': true,
  'meta.benchmark': true,
  'sleeve.backtest': true,
  'portfolio.optimize': true,
};

/** Compiled, never called: the type-level cases. */
export async function typeCases(sdk: QuantSDK): Promise<void> {
  // The flat shape: the stage's fields and the run's fields on the result itself.
  const r = await QuantSDK.runStage('portfolio.optimize', { input: 'p.csv' });
  const flat: true = true as Equal<typeof r.weights, Record<string, number>>;
  const method: string = r.method;
  const runId: string = r.runId;
  const whole: true = true as Equal<typeof r.stageValue, BuiltinStageValues['portfolio.optimize']>;
  // @ts-expect-error -- portfolio.optimize has no such field
  void r.nope;
  // @ts-expect-error -- weights are a record of numbers, not a string
  const wrongFlat: string = r.weights;

  // The old shape, deprecated: r.value is the stage's value.
  const weights: true = true as Equal<typeof r.value.weights, Record<string, number>>;
  const oldMethod: string = r.value.method;
  // @ts-expect-error -- the value of portfolio.optimize has no such field
  void r.value.nope;
  // @ts-expect-error -- weights are a record of numbers, not a string
  const wrong: string = r.value.weights;

  const s = await QuantSDK.safeRunStage('portfolio.optimize', { input: 'p.csv' });
  if (s.ok) {
    const safeFlat: true = true as Equal<typeof s.weights, Record<string, number>>;
    const safeRun: string = s.runId;
    void s.value.value.weights['X']; // the old nested shape, deprecated
    void [safeFlat, safeRun];
  }
  // @ts-expect-error -- a failed safe result has no value
  if (!s.ok) void s.value;
  // @ts-expect-error -- nor the stage's fields
  if (!s.ok) void s.weights;
  // Code that named the old safe type still compiles.
  const named: SafeResult<StageRunResult<BuiltinStageValues['portfolio.optimize']>> = s;

  const own = await QuantSDK.runStage('my.stage', {});
  const unknownValue: true = true as Equal<typeof own.value, unknown>;
  const unknownWhole: true = true as Equal<typeof own.stageValue, unknown>;
  // @ts-expect-error -- a stage outside the catalog has an unknown value: narrow it first
  void own.value.weights;
  // @ts-expect-error -- nor has it typed fields on the result
  void own.weights;

  const old = await QuantSDK.runStage<{ weights: Record<string, number> }>('portfolio.optimize', {});
  const oldWeights: Record<string, number> = old.value.weights;
  const namedWeights: Record<string, number> = old.weights;

  const meta = await sdk.runStage('meta.optimize', {});
  const profiles: readonly string[] = meta.risk_profiles;
  const signs = await sdk.runStage('meta.sign_test', {});
  const errors: number = signs.errors;
  // A stage field named like a run field stays in stageValue: `warnings` is the run's, not the count.
  const runWarnings: true = true as Equal<typeof signs.warnings, readonly string[]>;
  const count: number = signs.stageValue.warnings;
  const sleeve = await sdk.runStage('sleeve.backtest', {});
  const each: true = true as Equal<typeof sleeve, StageRunResult<BuiltinStageValues['sleeve.backtest']>>;
  const windows: number = sleeve.windows;
  void [flat, method, runId, whole, wrongFlat, weights, oldMethod, wrong, named, unknownValue];
  void [unknownWhole, oldWeights, namedWeights, profiles, errors, runWarnings, count, each, windows];
}

/** A stage of one's own whose value has a field named like a run field, and one named `__proto__`. */
const clash = defineStage({
  id: 'demo.clash',
  name: 'Clash',
  description: 'returns fields named like the run fields',
  category: 'portfolio',
  tags: [],
  aliases: [],
  params: z.strictObject({}),
  output: 'nothing',
  async run() {
    const value = JSON.parse(
      '{"warnings": 3, "runId": "not-the-run", "n": 1, "__proto__": {"polluted": true}}',
    );
    return { value: value as { warnings: number; runId: string; n: number }, summary: 'clash' };
  },
});
const list = defineStage({
  id: 'demo.list',
  name: 'List',
  description: 'returns an array',
  category: 'portfolio',
  tags: [],
  aliases: [],
  params: z.strictObject({}),
  output: 'nothing',
  async run() {
    return { value: [4, 5], summary: 'list' };
  },
});

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
    const sum = Object.values(r.weights).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `the flat weights sum to 1 (${sum})`);
    assert.equal(r.method, 'inverse_variance', 'r.method');
    assert.deepEqual(Object.keys(r.weights), ['A', 'B', 'C'], 'weights in column order');
    assert.equal(r.runId, 't1', 'the run fields sit next to the stage fields');
    assert.equal(r.stageValue.weights, r.weights, 'stageValue is the whole value');
    // The old shape, deprecated, still works.
    assert.equal(r.value, r.stageValue, 'r.value is the stage value');
    assert.deepEqual(r.value.weights, r.weights, 'r.value.weights');
    // JSON of the result holds each figure once: the flat fields, no value / stageValue copy.
    const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    assert.deepEqual(
      Object.keys(json),
      [
        'stageId',
        'runId',
        'runDir',
        'summary',
        'warnings',
        'inputs',
        'outputs',
        'output',
        'method',
        'weights',
        'fallbacks',
      ],
      'the JSON keys',
    );

    const old = await QuantSDK.runStage<{ weights: Record<string, number> }>('portfolio.optimize', params, {
      workspace: ws.path,
      runId: 't2',
    });
    assert.deepEqual(old.weights, r.weights, 'runStage<R> returns the same fields');
    assert.deepEqual(old.value.weights, r.weights, 'and the same deprecated value');

    const safe = await new QuantSDK().safeRunStage('portfolio.optimize', params, {
      workspace: ws.path,
      runId: 't3',
    });
    assert.ok(safe.ok, 'safeRunStage succeeded');
    assert.deepEqual(safe.weights, r.weights, 'safe.weights (flat)');
    assert.equal(safe.runId, 't3', 'safe.runId (flat)');
    assert.deepEqual(safe.stageValue.weights, r.weights, 'safe.stageValue.weights');
    assert.deepEqual(safe.value.value.weights, r.weights, 'safeRunStage value.value.weights (deprecated)');
    assert.equal(safe.value.runId, 't3', 'safe.value is the whole result (deprecated)');
    assert.deepEqual(safe.value.weights, r.weights, 'and flat too');
    const failed = await QuantSDK.safeRunStage('portfolio.optimize', { ...params, method: 'nope' });
    assert.ok(!failed.ok, 'a bad method fails');
    assert.deepEqual(Object.keys(failed), ['ok', 'error'], 'a failure is { ok, error } only');
  });

  test('a stage field named like a run field stays in stageValue; non-object values are not spread', async () => {
    const sdk = new QuantSDK({ registry: createRegistry([clash, list], []) });
    const r = await sdk.runStage<{ warnings: number; runId: string; n: number }>(
      'demo.clash',
      {},
      { workspace: ws.path, runId: 'c1' },
    );
    assert.deepEqual(r.warnings, [], 'warnings are the run warnings');
    assert.equal(r.runId, 'c1', 'runId is the run id');
    assert.equal(r.stageValue.warnings, 3, 'the stage field is in stageValue');
    assert.equal(r.stageValue.runId, 'not-the-run', 'the stage runId is in stageValue');
    assert.equal(r.n, 1, 'other fields are flat');
    assert.equal(Object.getPrototypeOf(r), Object.prototype, 'a __proto__ field sets no prototype');
    assert.equal((r as unknown as { polluted?: unknown }).polluted, undefined, 'nor leaks a field');
    const l = await sdk.runStage<number[]>('demo.list', {}, { workspace: ws.path, runId: 'l1' });
    assert.deepEqual(l.stageValue, [4, 5], 'an array value is in stageValue');
    assert.equal((l as unknown as Record<string, unknown>)['0'], undefined, 'its items are not spread');
    const s = await sdk.safeRunStage<number[]>('demo.list', {}, { workspace: ws.path, runId: 'l2' });
    assert.ok(s.ok, 'safe run succeeded');
    assert.deepEqual(s.value.stageValue, [4, 5], 's.value.stageValue (deprecated whole result)');
  });
});
