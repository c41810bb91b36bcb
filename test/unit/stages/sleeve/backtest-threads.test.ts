// sleeve.backtest's `threads`: the run on worker threads writes the same bytes as the run on one, and
// QUANT_THREADS is read when the param is not given.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { QuantError } from '../../../../src/errors.js';
import { readLedger } from '../../../../src/artifacts/index.js';
import {
  threadCores,
  threadsSetting,
  type SleeveBacktestValue,
} from '../../../../src/stages/sleeve/backtest.js';
import { quantError } from '../../artifacts/_temp.js';
import { env, sdk, sleeveWorkspace } from './_sleeve-workspace.js';

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('sleeve.backtest on worker threads', () => {
  let ws = '';
  const runs: Record<string, string> = {};
  before(async () => {
    ws = await sleeveWorkspace();
    for (const [runId, threads] of [
      ['one_thread', 1],
      ['two_threads', 2],
    ] as const) {
      const result = await sdk.runStage<SleeveBacktestValue>(
        'sleeve.backtest',
        { profile: 'swiss_sectors', threads },
        { workspace: ws, runId, manifest: join(ws, 'manifest.json'), env },
      );
      runs[runId] = result.runDir;
    }
  });

  test('threads: 2 writes every data and config file byte for byte as threads: 1', () => {
    const one = runs['one_thread'] as string;
    const two = runs['two_threads'] as string;
    for (const folder of ['data', 'config']) {
      const files = listFiles(join(one, folder));
      assert.deepEqual(listFiles(join(two, folder)), files, `${folder}: the same files`);
      assert.ok(files.length > 0, `${folder} holds files`);
      for (const f of files) {
        assert.ok(
          readFileSync(join(two, folder, f)).equals(readFileSync(join(one, folder, f))),
          `${folder}/${f}: the same bytes`,
        );
      }
    }
  });

  test('the per-window ledger records are the same', async () => {
    const windows = async (dir: string): Promise<unknown[]> =>
      (await readLedger(join(dir, 'audit.jsonl')))
        .filter((r) => r['step'] === 'backtest_optimize')
        .map((r) => ({ status: r['status'], context: r['context'], data: r['data'] }));
    const one = await windows(runs['one_thread'] as string);
    assert.ok(one.length > 0, 'one record per window and risk profile');
    assert.deepEqual(await windows(runs['two_threads'] as string), one, 'window records');
  });

  test('threads: 0 is refused as E_PARAMS', async () => {
    await assert.rejects(
      sdk.runStage(
        'sleeve.backtest',
        { profile: 'swiss_sectors', threads: 0 },
        { workspace: ws, runId: 'zero_threads', manifest: join(ws, 'manifest.json'), env },
      ),
      quantError('E_PARAMS'),
      'threads: 0',
    );
  });

  test('threads that are not a count: E_PARAMS saying what is accepted', async () => {
    await assert.rejects(
      sdk.runStage(
        'sleeve.backtest',
        { profile: 'swiss_sectors', threads: 'abc' },
        { workspace: ws, runId: 'abc_threads', manifest: join(ws, 'manifest.json'), env },
      ),
      quantError('E_PARAMS', /threads: must be "auto" or a whole number of threads from 1 to 256, got "abc"/),
      'threads: "abc" names what is accepted',
    );
  });
});

describe('threadsSetting', () => {
  test('the param wins; else QUANT_THREADS; else auto', () => {
    assert.equal(threadsSetting(3, { QUANT_THREADS: 'bad' }), 3, 'param over the environment');
    assert.equal(threadsSetting(undefined, {}), 'auto', 'default');
    assert.equal(threadsSetting(undefined, { QUANT_THREADS: ' auto ' }), 'auto', 'auto');
    assert.equal(threadsSetting(undefined, { QUANT_THREADS: '1' }), 1, 'one thread');
    assert.equal(threadsSetting(undefined, { QUANT_THREADS: '4' }), 4, 'four');
  });
  test('a malformed QUANT_THREADS is E_PARAMS naming the variable', () => {
    for (const raw of ['0', '-2', '1.5', 'many', '100000']) {
      assert.throws(
        () => threadsSetting(undefined, { QUANT_THREADS: raw }),
        (e: unknown) =>
          e instanceof QuantError && e.code === 'E_PARAMS' && e.message.includes('QUANT_THREADS'),
        `QUANT_THREADS=${raw}`,
      );
    }
  });
});

describe('threadCores', () => {
  test('every core, or the share QUANT_THREAD_CORES gives (never more than the machine has)', () => {
    const cores = availableParallelism();
    assert.equal(threadCores({}), cores, 'unset: every core');
    assert.equal(threadCores({ QUANT_THREAD_CORES: '1' }), 1, 'a share of one core');
    assert.equal(threadCores({ QUANT_THREAD_CORES: '256' }), cores, 'capped at the cores there are');
  });
  test('a malformed QUANT_THREAD_CORES is E_PARAMS naming the variable', () => {
    for (const raw of ['0', '2.5', 'x']) {
      assert.throws(
        () => threadCores({ QUANT_THREAD_CORES: raw }),
        (e: unknown) =>
          e instanceof QuantError && e.code === 'E_PARAMS' && e.message.includes('QUANT_THREAD_CORES'),
        `QUANT_THREAD_CORES=${raw}`,
      );
    }
  });
});
