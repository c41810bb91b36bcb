// Outputs through the SDK: an `output` that is, or reaches through a symlink, run state is refused with
// E_OUTPUT_FORBIDDEN before anything is written (no run folder, no ledger record); a stage writing
// through ctx.resolveOutput is held to the same rule; with `confine` outputs go only into the run folder
// or exports/, and nothing outside the workspace is read by any route.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { createRegistry } from '../../../src/core/registry.js';
import { defineStage } from '../../../src/core/stage.js';
import { QuantError, type ErrorCode } from '../../../src/errors.js';
import { writeJsonAtomic } from '../../../src/artifacts/index.js';
import { StageRegistry } from '../../../src/stages/catalog.js';
import { REPO, tempDir } from '../../helpers/cli.js';

/** Every file of `dir`, symlinks as links (relative path → content hash or link target). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const info = lstatSync(p);
      if (info.isSymbolicLink()) out.set(`${prefix}${name}`, 'link');
      else if (info.isDirectory()) walk(p, `${prefix}${name}/`);
      else out.set(`${prefix}${name}`, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir, '');
  return out;
}

const rejectsWith =
  (code: ErrorCode, re: RegExp) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof QuantError, `a QuantError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.oneLine(), re, 'error.oneLine() matches re');
    return true;
  };

// A stage that writes wherever its `target` param says, through ctx.resolveOutput.
const writeTo = defineStage({
  id: 'demo.write_to',
  name: 'Write to',
  description: 'writes {} to `target`',
  category: 'portfolio',
  tags: [],
  aliases: [],
  params: z.strictObject({ target: z.string() }),
  output: 'the target',
  async run(p, ctx) {
    const file = await ctx.resolveOutput(p.target);
    await writeJsonAtomic(file, {});
    ctx.recordOutput(file);
    return { value: file, summary: 'wrote' };
  },
});

describe('outputs and run state through the SDK', () => {
  let ws: { path: string; cleanup(): void };
  let outside: { path: string; cleanup(): void };
  const sdk = new QuantSDK({ registry: createRegistry([...StageRegistry.stages, writeTo]) });
  const opts = (runId?: string, extra: Record<string, unknown> = {}) => ({
    workspace: ws.path,
    cwd: ws.path,
    env: { SOURCE_DATE_EPOCH: '1767225600' },
    ...(runId === undefined ? {} : { runId }),
    ...extra,
  });
  const optimize = (output: string, runId?: string, extra: Record<string, unknown> = {}) =>
    sdk.runStage('portfolio.optimize', { input: 'data/prices.csv', output }, opts(runId, extra));

  before(async () => {
    ws = tempDir('quant-outputs-');
    outside = tempDir('quant-outputs-outside-');
    mkdirSync(join(ws.path, 'data'));
    copyFileSync(join(REPO, 'data', 'swx_prices.csv'), join(ws.path, 'data', 'prices.csv'));
    copyFileSync(join(REPO, 'data', 'swx_prices.csv'), join(outside.path, 'prices.csv'));
    writeFileSync(
      join(ws.path, 'manifest.json'),
      JSON.stringify({
        profiles: {
          far: {
            sleeve: {
              prices: join(outside.path, 'prices.csv'),
              assets: ['SBI', 'SPI'],
              risk_profiles: ['hrp'],
              train_window: 60,
              test_window: 20,
              step: 20,
            },
          },
          up: {
            sleeve: {
              prices: '../' + outside.path.split('/').pop() + '/prices.csv',
              assets: ['SBI', 'SPI'],
              risk_profiles: ['hrp'],
              train_window: 60,
              test_window: 20,
              step: 20,
            },
          },
        },
      }),
    );
    await optimize('runs/other/data/w.json', 'other');
    await optimize('runs/mine/data/w.json', 'mine');
    symlinkSync(join(ws.path, 'runs', 'other', 'run.json'), join(ws.path, 'data', 'w.json'));
    symlinkSync(join(ws.path, 'runs', 'other'), join(ws.path, 'other-run'));
    symlinkSync(join(outside.path, 'prices.csv'), join(ws.path, 'data', 'linked.csv'));
  });
  after(() => {
    ws.cleanup();
    outside.cleanup();
  });

  test('an output on run state is refused before anything is written', async () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['runs/other/run.json', 'x1', /"run\.json" is run state/],
      ['runs/mine/audit.jsonl', 'mine', /"audit\.jsonl" is run state/],
      ['runs/mine/.lock', 'mine', /"\.lock" is run state/],
      ['runs/other/data/w.json', 'mine', /folder of another run \(runs\/other\)/],
      ['runs/mine/data/w2.json', undefined, /no run id names it/],
      ['.cache/meta/x.json', 'x1', /run cache/],
      ['manifest.json', 'x1', /workspace manifest/],
      ['data/w.json', 'x1', /resolves through a link to runs\/other\/run\.json/],
      ['other-run/data/w.json', 'x1', /resolves through a link to runs\/other\/data\/w\.json/],
    ];
    for (const [output, runId, why] of cases) {
      const before = snapshot(ws.path);
      await assert.rejects(optimize(output, runId), rejectsWith('E_OUTPUT_FORBIDDEN', why), output);
      assert.deepEqual(snapshot(ws.path), before, `${output}: the workspace changed`);
    }
  });

  test('a stage writing through ctx.resolveOutput is held to the same rule', async () => {
    await assert.rejects(
      sdk.runStage('demo.write_to', { target: 'runs/other/audit.jsonl' }, opts('w1')),
      rejectsWith('E_OUTPUT_FORBIDDEN', /"audit\.jsonl" is run state/),
      'sdk.runStage rejects with E_OUTPUT_FORBIDDEN',
    );
    const ledger = readFileSync(join(ws.path, 'runs', 'other', 'audit.jsonl'), 'utf8');
    await assert.rejects(
      sdk.runStage('demo.write_to', { target: 'data/w.json' }, opts('w2')),
      rejectsWith('E_OUTPUT_FORBIDDEN', /through a link to runs\/other\/run\.json/),
      'sdk.runStage rejects with E_OUTPUT_FORBIDDEN',
    );
    assert.equal(
      readFileSync(join(ws.path, 'runs', 'other', 'audit.jsonl'), 'utf8'),
      ledger,
      "readFileSync(join(ws.path, 'runs', 'other', 'audit.jsonl'), 'utf8')",
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'w1')), false, 'no run left behind');
    const ok = await sdk.runStage('demo.write_to', { target: 'runs/w3/data/x.json' }, opts('w3'));
    assert.equal(ok.value, join(ws.path, 'runs', 'w3', 'data', 'x.json'), 'ok.value');
  });

  test('outputs in the run folder or elsewhere in the workspace are written', async () => {
    const r = await optimize('runs/mine/data/custom.json', 'mine');
    assert.deepEqual(
      r.outputs.map((o) => o.path),
      ['runs/mine/data/custom.json'],
      'r.outputs.map((o) => o.path)',
    );
    await optimize('data/w_plain.json', 'p1');
    assert.ok(existsSync(join(ws.path, 'data', 'w_plain.json')), 'a workspace output outside runs/ is fine');
  });

  test('confine: outputs only into the run folder or exports/', async () => {
    const confine = { confine: true };
    await assert.rejects(
      optimize('data/w_confined.json', 'c1', confine),
      rejectsWith('E_OUTPUT_FORBIDDEN', /only into the run folder \(runs\/c1\/\) or exports\//),
      'optimize rejects with E_OUTPUT_FORBIDDEN',
    );
    await assert.rejects(
      optimize(join(outside.path, 'w.json'), 'c1', confine),
      rejectsWith('E_OUTPUT_FORBIDDEN', /only into the run folder/),
      'optimize rejects with E_OUTPUT_FORBIDDEN',
    );
    const r = await optimize('exports/w.json', 'c2', confine);
    assert.deepEqual(
      r.outputs.map((o) => o.path),
      ['exports/w.json'],
      'r.outputs.map((o) => o.path)',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'c1')), false, 'no run left behind');
    assert.deepEqual(readdirSync(outside.path), ['prices.csv'], 'readdirSync(outside.path)');
  });

  test('confine: nothing outside the workspace is read, by param, symlink or manifest entry', async () => {
    const confine = { confine: true };
    const before = snapshot(ws.path);
    const reads: [string, unknown, RegExp][] = [
      [
        'portfolio.optimize',
        { input: join(outside.path, 'prices.csv') },
        /refused to open .*: it lies outside/,
      ],
      [
        'portfolio.optimize',
        { input: 'data/linked.csv' },
        /refused to open data\/linked\.csv: it resolves through a symlink/,
      ],
      ['portfolio.optimize', { input: '/etc/passwd' }, /refused to open \/etc\/passwd/],
      [
        'sleeve.backtest',
        { profile: 'far' },
        /sleeve profile "far": prices ".*prices\.csv": refused to read .*profiles\.far\.sleeve\.prices/,
      ],
      ['sleeve.backtest', { profile: 'up' }, /sleeve profile "up": prices "\.\.\/.*": refused to read/],
    ];
    for (const [stage, params, why] of reads) {
      await assert.rejects(
        sdk.runStage(stage, params, opts(undefined, confine)),
        rejectsWith('E_PATH_ESCAPE', why),
        'sdk.runStage rejects with E_PATH_ESCAPE',
      );
    }
    assert.deepEqual(snapshot(ws.path), before, 'no run folder left behind');
    // Unconfined, the same manifest entry is the user's own and is read.
    const r = await sdk.runStage('sleeve.backtest', { profile: 'far' }, opts('far1'));
    assert.equal(r.stageId, 'sleeve.backtest', 'r.stageId');
  });
});
