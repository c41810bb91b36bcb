import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { createRegistry } from '../../../src/core/registry.js';
import { defineStage, definePipeline } from '../../../src/core/stage.js';
import { builtinStages } from '../../../src/stages/catalog.js';
import { QuantError } from '../../../src/errors.js';
import { verifyLedger, writeJsonAtomic } from '../../../src/artifacts/index.js';
import { REPO, tempDir } from '../../helpers/cli.js';

// Two real user stages: `demo.scale` writes scaled values, `demo.total` reads them back and sums them.
const scale = defineStage({
  id: 'demo.scale',
  name: 'Scale',
  description: 'multiplies values by a factor and writes them',
  category: 'portfolio',
  tags: [],
  aliases: [],
  params: z.strictObject({ values: z.array(z.number()), factor: z.number().default(2) }),
  output: 'data/scaled.json',
  async run(p, ctx) {
    const file = join(ctx.runDir, 'data', 'scaled.json');
    await writeJsonAtomic(
      file,
      p.values.map((v) => v * p.factor),
    );
    ctx.recordOutput(file);
    return { value: p.values.length, summary: `scaled ${p.values.length}` };
  },
});
const total = defineStage({
  id: 'demo.total',
  name: 'Total',
  description: 'sums the scaled values',
  category: 'portfolio',
  tags: [],
  aliases: [],
  params: z.strictObject({ limit: z.number().default(1e9) }),
  output: 'a number',
  async run(p, ctx) {
    const file = join(ctx.runDir, 'data', 'scaled.json');
    const values = JSON.parse(readFileSync(file, 'utf8')) as number[];
    ctx.recordInput(file);
    const sum = values.reduce((a, b) => a + b, 0);
    if (sum > p.limit) throw new QuantError('E_INPUT_VALUE', `total ${sum} exceeds limit ${p.limit}`);
    return { value: sum, summary: `total ${sum}` };
  },
});
const registry = createRegistry(
  [...builtinStages, scale, total],
  [
    definePipeline({
      name: 'scale-total',
      description: 'scale then total',
      stages: ['demo.scale', 'demo.total'],
    }),
  ],
);

describe('QuantSDK', () => {
  let ws: { path: string; cleanup(): void };
  before(() => (ws = tempDir()));
  after(() => ws.cleanup());

  test('static runStage runs a built-in stage on the bundled data', async () => {
    const result = await QuantSDK.runStage<{ weights: Record<string, number> }>(
      'portfolio.optimize',
      { input: join(REPO, 'data', 'swx_prices.csv'), method: 'inverse_variance' },
      { workspace: ws.path, runId: 'sdk1' },
    );
    assert.equal(result.runId, 'sdk1', 'result.runId');
    assert.equal(Object.keys(result.value.weights).length, 6, 'Object.keys(result.value.weights).length');
    assert.equal(result.outputs.length, 1, 'result.outputs.length');
    assert.equal(
      result.outputs[0]?.path,
      'runs/sdk1/data/weights_inverse_variance.json',
      'result.outputs[0]?.path',
    );
    assert.deepEqual(
      await verifyLedger(join(ws.path, 'runs', 'sdk1', 'audit.jsonl')).then((v) => v.ok),
      true,
      "await verifyLedger(join(ws.path, 'runs', 'sdk1', 'audit.jsonl')).then…",
    );
  });

  test('safeRunStage returns coded errors as values', async () => {
    const r = await QuantSDK.safeRunStage('portfolio.optimize', { method: 7 }, { workspace: ws.path });
    assert.equal(r.ok, false, 'r.ok');
    if (!r.ok) {
      assert.equal(r.error.code, 'E_PARAMS', 'r.error.code');
      assert.deepEqual(
        r.error.issues.map((i) => i.path).sort(),
        ['input', 'method'],
        'r.error.issues.map((i) => i.path).sort()',
      );
    }
  });

  test('runPipeline shares params, applies per-stage overrides, and records every stage', async () => {
    const sdk = new QuantSDK({ registry });
    const r = await sdk.runPipeline(
      'scale-total',
      { values: [1, 2, 3], 'demo.scale': { factor: 10 } },
      { workspace: ws.path, runId: 'p1' },
    );
    assert.deepEqual(
      r.stages.map((s) => s.value),
      [3, 60],
      'r.stages.map((s) => s.value)',
    );
    const v = await verifyLedger(join(ws.path, 'runs', 'p1', 'audit.jsonl'));
    assert.equal(v.ok, true, 'v.ok');
    assert.equal(v.records, 5, 'v.records'); // genesis + 2 x (intent, outcome)
  });

  test('runPipeline stops at the first failure and names the failing stage', async () => {
    const sdk = new QuantSDK({ registry });
    await assert.rejects(
      sdk.runPipeline('scale-total', { values: [5, 5], limit: 3 }, { workspace: ws.path, runId: 'p2' }),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_VALUE' &&
        /failed at stage demo\.total/.test(e.message),
      'sdk.runPipeline rejects with E_INPUT_VALUE',
    );
    const run = JSON.parse(readFileSync(join(ws.path, 'runs', 'p2', 'run.json'), 'utf8')) as {
      status: string;
    };
    assert.equal(run.status, 'failed', 'run.status');
    assert.ok(
      existsSync(join(ws.path, 'runs', 'p2', 'data', 'scaled.json')),
      'runs/p2/data/scaled.json exists',
    );
  });

  test('runPipeline refuses a key no stage takes, naming it with the closest names', async () => {
    const sdk = new QuantSDK({ registry });
    const refused = async (params: Record<string, unknown>, runId: string, pattern: RegExp) => {
      await assert.rejects(
        sdk.runPipeline('scale-total', params, { workspace: ws.path, runId }),
        (e: unknown) => e instanceof QuantError && e.code === 'E_PARAMS' && pattern.test(e.message),
        `runPipeline(${JSON.stringify(params)}) rejects with E_PARAMS matching ${String(pattern)}`,
      );
      assert.equal(existsSync(join(ws.path, 'runs', runId)), false, `runs/${runId} does not exist`);
    };
    // A misspelt shared param, a misspelt stage override and a misspelt required key.
    await refused({ values: [1], factr: 3 }, 'u1', /factr: unknown parameter \(did you mean "factor"\?\)/);
    await refused(
      { values: [1], 'demo.scal': { factor: 3 } },
      'u2',
      /demo\.scal: unknown parameter \(did you mean "demo\.scale"/,
    );
    await refused({ value: [1] }, 'u3', /value: unknown parameter \(did you mean "values"\?\)/);
    await refused({ values: [1], 'demo.total': 5 }, 'u4', /demo\.total: received .*expected an object/);
    const err = await sdk
      .runPipeline('scale-total', { values: [1], limt: 1, nope: 2 }, { workspace: ws.path, runId: 'u5' })
      .catch((e: unknown) => e);
    assert.ok(err instanceof QuantError, 'the refusal is a QuantError');
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['limt', 'nope'],
      'every leftover key is one issue',
    );
  });

  test('params are validated before the run folder is created', async () => {
    const sdk = new QuantSDK({ registry });
    await assert.rejects(
      sdk.runStage('demo.scale', { values: 'x' }, { workspace: ws.path, runId: 'never' }),
      (e: unknown) => e instanceof QuantError && e.code === 'E_PARAMS',
      'sdk.runStage rejects with E_PARAMS',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'never')), false, 'runs/never does not exist');
  });
});
