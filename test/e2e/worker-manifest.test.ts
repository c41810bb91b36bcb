// `quant worker --manifest FILE` with FILE outside the workspace: accepted, since a coordinator run with
// the same `--manifest FILE` plans jobs it can run (a sleeve key names such a manifest by its absolute
// path), and said at once in the worker's log. A job of a coordinator that used another manifest path is
// refused with a reason that names the worker's manifest and how to fix it, not as changed prices.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, quantAsync, tempDir } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { buildExecWorkspace, EPOCH, STAMP } from '../unit/exec/_exec-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: String(EPOCH) };
const QUEUE = 'outside-manifest';

describe('quant worker with a manifest outside its workspace', { timeout: 180_000 }, () => {
  let redis: RedisServer;
  let worker: ChildProcess;
  let log = '';
  const dirs = [tempDir('mf-wm-ws-'), tempDir('mf-wm-cfg-')];
  const ws = buildExecWorkspace(dirs[0]!.path);
  // The same manifest and data files, in a folder of their own outside the workspace.
  const outside = join(dirs[1]!.path, 'manifest.json');
  cpSync(join(ws, 'data'), join(dirs[1]!.path, 'data'), { recursive: true });
  copyFileSync(join(ws, 'manifest.json'), outside);
  const bullmq = (): string[] => [
    '--execute-sleeves',
    '--executor',
    'bullmq',
    '--queue',
    QUEUE,
    '--redis',
    redis.url,
  ];

  before(async () => {
    redis = await startRedis();
    worker = spawn(
      process.execPath,
      [CLI, 'worker', '--workspace', ws, '--manifest', outside, '--redis', redis.url, '--queue', QUEUE],
      { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    while (!/consuming queue/.test(log)) {
      if (worker.exitCode !== null) throw new Error(`worker exited: ${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await redis?.stop();
    for (const d of dirs) d.cleanup();
  });

  test('the worker says at start which coordinators it serves', () => {
    assert.ok(
      log.includes(
        `manifest ${outside} is outside the workspace: this worker runs only jobs of a coordinator run with --manifest ${outside}\n`,
      ),
      log,
    );
  });

  test('a coordinator using the workspace manifest: refused, naming the worker manifest and the fix', async () => {
    const r = await quantAsync(['meta', 'run', '--profile', 'meta_inner', ...bullmq(), '--run-id', 'm1'], {
      cwd: ws,
      env: ENV,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `E_JOB_REFUSED: job for run sectors_${STAMP} carries the sleeve key [0-9a-f]{12}…, which the inputs of sectors here do not give: this worker's manifest ${outside.replaceAll('/', '\\/')} is outside its workspace, and a key names such a manifest by its absolute path: only a coordinator run with --manifest ${outside.replaceAll('/', '\\/')} plans jobs this worker can run`,
      ),
      'the refusal names the worker manifest',
    );
    assert.ok(
      log.includes(`this worker's manifest ${outside} is outside its workspace`),
      `the worker log gives the reason: ${log}`,
    );
  });

  test('a coordinator run with the same --manifest: the sleeves are produced by the worker', async () => {
    const r = await quantAsync(
      ['meta', 'run', '--profile', 'meta_inner', '--manifest', outside, ...bullmq(), '--run-id', 'm2'],
      { cwd: ws, env: ENV },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sleeves: 2 ready \(2 produced, 0 reused\) with the bullmq executor$/m, r.stdout);
    assert.equal((log.match(/ done in /g) ?? []).length, 2, log);
  });
});
