// Run sessions under bad input, crashes and reuse of run ids (through the SDK, with two user stages):
// - a pipeline refuses a run id in use (E_RUN_EXISTS) and changes nothing; a single stage may run into it;
// - a new run that fails with a coded error before writing an artifact leaves no folder; one that wrote an
//   artifact, or failed with an internal error, stays as `failed`;
// - a broken ledger is reported before run.json is touched;
// - a stage run into a run whose process died records the interruption in the ledger.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { createRegistry } from '../../../src/core/registry.js';
import { defineStage, definePipeline } from '../../../src/core/stage.js';
import { QuantError } from '../../../src/errors.js';
import { readLedger, writeJsonAtomic } from '../../../src/artifacts/index.js';
import { tempDir } from '../../helpers/cli.js';

const write = defineStage({
  id: 'demo.write',
  name: 'Write',
  description: 'writes its values, then fails if asked to',
  category: 'portfolio',
  tags: [],
  aliases: [],
  params: z.strictObject({
    values: z.array(z.number()),
    fail: z.enum(['no', 'before', 'after', 'bug']).default('no'),
  }),
  output: 'data/values.json',
  async run(p, ctx) {
    if (p.fail === 'before') throw new QuantError('E_INPUT_VALUE', 'bad input, nothing written');
    if (p.fail === 'bug') throw new TypeError('a bug');
    const file = join(ctx.runDir, 'data', 'values.json');
    await writeJsonAtomic(file, p.values);
    ctx.recordOutput(file);
    if (p.fail === 'after') throw new QuantError('E_INPUT_VALUE', 'bad input after a write');
    return { value: p.values.length, summary: `wrote ${p.values.length}` };
  },
});
const registry = createRegistry(
  [write],
  [definePipeline({ name: 'only-write', description: 'write', stages: ['demo.write'] })],
);
const sdk = new QuantSDK({ registry });

describe('run sessions under failure', () => {
  let ws: { path: string; cleanup(): void };
  before(() => (ws = tempDir()));
  after(() => ws.cleanup());
  const dir = (id: string): string => join(ws.path, 'runs', id);
  const runJson = (id: string): Record<string, unknown> =>
    JSON.parse(readFileSync(join(dir(id), 'run.json'), 'utf8')) as Record<string, unknown>;

  test('a pipeline never reuses a run id; a single stage may run into the run', async () => {
    await sdk.runPipeline('only-write', { values: [1] }, { workspace: ws.path, runId: 'p1' });
    const before = readFileSync(join(dir('p1'), 'audit.jsonl'));
    await assert.rejects(
      sdk.runPipeline('only-write', { values: [2] }, { workspace: ws.path, runId: 'p1' }),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_RUN_EXISTS' &&
        /run p1 already exists \(status success\)/.test(e.message),
      'sdk.runPipeline rejects with E_RUN_EXISTS',
    );
    assert.ok(
      readFileSync(join(dir('p1'), 'audit.jsonl')).equals(before),
      "readFileSync(join(dir('p1'), 'audit.jsonl')).equals(before)",
    );
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir('p1'), 'data', 'values.json'), 'utf8')),
      [1],
      "JSON.parse(readFileSync(join(dir('p1'), 'data', 'values.json'), 'utf8…",
    );
    await sdk.runStage('demo.write', { values: [3] }, { workspace: ws.path, runId: 'p1' });
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir('p1'), 'data', 'values.json'), 'utf8')),
      [3],
      "JSON.parse(readFileSync(join(dir('p1'), 'data', 'values.json'), 'utf8…",
    );
  });

  test('a coded failure before any artifact leaves no run folder, for a stage and for a pipeline', async () => {
    for (const run of [
      () =>
        sdk.runStage('demo.write', { values: [1], fail: 'before' }, { workspace: ws.path, runId: 'gone1' }),
      () =>
        sdk.runPipeline(
          'only-write',
          { values: [1], fail: 'before' },
          { workspace: ws.path, runId: 'gone2' },
        ),
    ])
      await assert.rejects(
        run(),
        (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE',
        'run rejects with E_INPUT_VALUE',
      );
    assert.equal(existsSync(dir('gone1')), false, "dir('gone1') does not exist");
    assert.equal(existsSync(dir('gone2')), false, "dir('gone2') does not exist");
    // The id is free again.
    await sdk.runPipeline('only-write', { values: [1] }, { workspace: ws.path, runId: 'gone2' });
  });

  test('a failure after an artifact, or an internal error, keeps the run as failed', async () => {
    await assert.rejects(
      sdk.runStage('demo.write', { values: [1], fail: 'after' }, { workspace: ws.path, runId: 'kept1' }),
      'sdk.runStage rejects',
    );
    await assert.rejects(
      sdk.runStage('demo.write', { values: [1], fail: 'bug' }, { workspace: ws.path, runId: 'kept2' }),
      TypeError,
      'sdk.runStage rejects with TypeError',
    );
    assert.equal(runJson('kept1')['status'], 'failed', "runJson('kept1')['status']");
    assert.equal(runJson('kept2')['status'], 'failed', "runJson('kept2')['status']");
    assert.equal(
      (await readLedger(join(dir('kept2'), 'audit.jsonl'))).at(-1)?.status,
      'error',
      "(await readLedger(join(dir('kept2'), 'audit.jsonl'))).at(-1)?.status",
    );
  });

  test('a broken ledger is E_AUDIT_BROKEN before run.json is touched', async () => {
    await sdk.runPipeline('only-write', { values: [1] }, { workspace: ws.path, runId: 'b1' });
    const audit = join(dir('b1'), 'audit.jsonl');
    writeFileSync(audit, readFileSync(audit, 'utf8').replace('"values":[1]', '"values":[9]'));
    const before = readFileSync(join(dir('b1'), 'run.json'));
    await assert.rejects(
      sdk.runStage('demo.write', { values: [2] }, { workspace: ws.path, runId: 'b1' }),
      (e: unknown) =>
        e instanceof QuantError && e.code === 'E_AUDIT_BROKEN' && /audit\.jsonl:\d+/.test(e.message),
      'sdk.runStage rejects with E_AUDIT_BROKEN',
    );
    assert.ok(
      readFileSync(join(dir('b1'), 'run.json')).equals(before),
      "readFileSync(join(dir('b1'), 'run.json')).equals(before)",
    );
  });

  test('a stage run into a run whose process died records the interruption and goes on', async () => {
    await sdk.runPipeline('only-write', { values: [1] }, { workspace: ws.path, runId: 'i1' });
    // What a SIGKILL between the intent and the outcome of a stage leaves behind.
    writeFileSync(join(dir('i1'), 'run.json'), JSON.stringify({ ...runJson('i1'), status: 'running' }));
    await sdk.runStage('demo.write', { values: [4] }, { workspace: ws.path, runId: 'i1' });
    const records = await readLedger(join(dir('i1'), 'audit.jsonl'));
    const note = records.find((r) => r.step === 'run.interrupted');
    assert.equal(note?.type, 'decision', 'note?.type');
    assert.deepEqual(
      note?.data,
      { interrupted_stage: null, last_completed_stage: 'demo.write' },
      'note?.data',
    );
    assert.equal(runJson('i1')['status'], 'success', "runJson('i1')['status']");
  });
});
