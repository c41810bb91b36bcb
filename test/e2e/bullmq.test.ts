// `--executor bullmq` end to end: a private redis-server, two `quant worker` processes serving one
// workspace, and the built CLI as coordinator. Proves: byte-identical runs to the local executor; a
// SIGKILLed worker's job is retried by the other worker; a failing sleeve aborts the meta run; workers
// stop gracefully.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CLI, quant, quantAsync, tempDir } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { buildExecWorkspace, EPOCH, STAMP } from '../unit/exec/_exec-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: String(EPOCH) };
const QUEUE = 'e2e-sleeves';

interface Worker {
  readonly proc: ChildProcess;
  log: string;
  readonly exited: Promise<number | null>;
}

/** `quant worker` with short lock timings, in its own process group (so a kill takes its children too). */
function startWorker(redisUrl: string, workspace: string): Worker {
  const proc = spawn(
    process.execPath,
    [
      CLI,
      'worker',
      '--workspace',
      workspace,
      '--redis',
      redisUrl,
      '--queue',
      QUEUE,
      '--lock-duration',
      '2000',
      '--stalled-interval',
      '500',
    ],
    { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const worker: Worker = {
    proc,
    log: '',
    exited: new Promise((r) => proc.once('exit', (code) => r(code))),
  };
  proc.stderr?.on('data', (d: Buffer) => (worker.log += d.toString()));
  return worker;
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every file under `dir` (relative path → bytes). */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('quant meta run --execute-sleeves --executor bullmq', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  let workers: Worker[] = [];
  const dirs: { cleanup(): void }[] = [];
  const workspace = (): string => {
    const d = tempDir('mf-bullmq-');
    dirs.push(d);
    return buildExecWorkspace(d.path);
  };
  // The workspace the workers serve; each test runs its coordinator there.
  const remote = workspace();
  const bullmq = ['--execute-sleeves', '--executor', 'bullmq', '--queue', QUEUE];

  before(async () => {
    redis = await startRedis();
    workers = [startWorker(redis.url, remote), startWorker(redis.url, remote)];
    await until('two workers', () => workers.every((w) => /consuming queue/.test(w.log)));
  });
  after(async () => {
    for (const w of workers)
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await redis?.stop();
    for (const d of dirs) d.cleanup();
  });

  test('same sleeve runs and meta artifacts as the local executor, byte for byte', async () => {
    const local = workspace();
    let t0 = performance.now();
    const l = quant(['meta', 'run', '--profile', 'meta', '--execute-sleeves', '--run-id', 'm1'], {
      cwd: local,
      env: ENV,
    });
    const localMs = performance.now() - t0;
    assert.equal(l.code, 0, l.stderr);
    t0 = performance.now();
    const b = await quantAsync(
      ['meta', 'run', '--profile', 'meta', ...bullmq, '--redis', redis.url, '--run-id', 'm1'],
      {
        cwd: remote,
        env: ENV,
      },
    );
    const bullmqMs = performance.now() - t0;
    assert.equal(b.code, 0, b.stderr);
    assert.match(
      b.stdout,
      /^sleeves: 3 ready \(3 produced, 0 reused\) with the bullmq executor$/m,
      'b.stdout matches /^sleeves: 3 ready \\(3 produced, 0 reused\\) with the bullmq…',
    );

    const a = tree(join(local, 'runs'));
    const c = tree(join(remote, 'runs'));
    assert.ok(![...c.keys()].some((k) => k.endsWith('.reservation.json')), 'no reservation is left');
    assert.deepEqual([...c.keys()], [...a.keys()], 'same files');
    assert.ok(
      [...a.keys()].some((k) => k.startsWith(`sectors_${STAMP}/data/returns/`)),
      '[...a.keys()].some((k) => k.startsWith(`sectors_${STAMP}/data/returns…',
    );
    assert.ok(
      [...a.keys()].some((k) => k.startsWith('m1/data/portfolio_optimized_meta_')),
      "[...a.keys()].some((k) => k.startsWith('m1/data/portfolio_optimized_m…",
    );
    for (const [file, bytes] of a) assert.ok(bytes.equals(c.get(file) as Buffer), `${file} differs`);
    const done = workers.map((w) => (w.log.match(/ done in /g) ?? []).length);
    assert.equal(done[0]! + done[1]!, 3, 'the workers ran the three sleeves');
    const v = quant(['meta', 'validate', '--run-id', 'm1'], { cwd: remote });
    assert.equal(v.code, 0, v.stdout);
    console.log(
      `3 sleeves + meta: local ${Math.round(localMs)} ms, bullmq (2 workers) ${Math.round(bullmqMs)} ms`,
    );
  });

  test('a SIGKILLed worker: its job is retried by the other worker and the run completes', async () => {
    const ws = remote;
    const t0 = performance.now();
    const pending = quantAsync(['meta', 'run', '--profile', 'meta_slow', ...bullmq, '--run-id', 'ms'], {
      cwd: ws,
      env: { ...ENV, QUANT_REDIS_URL: redis.url },
    });
    let holder: Worker | undefined;
    await until('the slow sleeve to start', () => {
      holder = workers.find((w) => /sleeve\.backtest slow \(run \S+\) started/.test(w.log));
      return holder !== undefined;
    });
    const victim = holder as Worker;
    const survivor = workers.find((w) => w !== victim) as Worker;
    process.kill(-(victim.proc.pid as number), 'SIGKILL'); // the worker and its job process: a lost machine
    await victim.exited;
    const r = await pending;
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      survivor.log,
      /sleeve\.backtest slow \(run slow_20260101-000000\) started \(attempt 2: its previous worker stopped\)/,
      'survivor.log matches /sleeve\\.backtest slow \\(run slow_20260101-000000\\) started…',
    );
    assert.match(
      survivor.log,
      /sleeve\.backtest slow \(run slow_20260101-000000\) done in /,
      'survivor.log matches /sleeve\\.backtest slow \\(run slow_20260101-000000\\) done in…',
    );
    assert.doesNotMatch(victim.log, / slow .* done in /, 'victim.log does not match / slow .* done in /');
    const run = join(ws, 'runs', `slow_${STAMP}`);
    assert.equal(
      json<{ status: string }>(join(run, 'run.json')).status,
      'success',
      "json<{ status: string }>(join(run, 'run.json')).status",
    );
    const audit = quant(['audit', 'verify', `slow_${STAMP}`], { cwd: ws });
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    const windows = readFileSync(join(run, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"backtest_optimize"'));
    assert.equal(windows.length, 2094 * 3, 'one record per window and risk profile, none twice');
    const v = quant(['meta', 'validate', '--run-id', 'ms'], { cwd: ws });
    assert.equal(v.code, 0, v.stdout);
    workers = [survivor];
    console.log(`kill + retry on the other worker: meta run done in ${Math.round(ms)} ms`);
  });

  test('a failing sleeve aborts the meta run with every failure listed; no meta run folder', async () => {
    const ws = remote;
    const r = await quantAsync(
      ['meta', 'run', '--profile', 'meta_bad', ...bullmq, '--redis', redis.url, '--run-id', 'mb'],
      {
        cwd: ws,
        env: ENV,
      },
    );
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_SLEEVE_FAILED: Sleeve production failed for: broken \(E_INPUT_NOT_FOUND: [^\n]*missing_prices\.csv[^\n]*\); broken_column \(E_INPUT_COLUMN: [^\n]*\)/,
      'r.stderr names E_SLEEVE_FAILED',
    );
    const runs = readdirSync(join(ws, 'runs'));
    assert.ok(!runs.includes('mb'), 'no meta run folder');
    assert.ok(runs.includes(`sectors_${STAMP}`), 'the sleeve that succeeded is kept');
    assert.ok(
      !runs.includes(`broken_${STAMP}`) && !runs.includes(`broken_column_${STAMP}`),
      'the failed sleeves left no folder',
    );
    const metas = runs.filter(
      (id) => json<{ kind: string }>(join(ws, 'runs', id, 'run.json')).kind === 'meta',
    );
    assert.deepEqual(metas.sort(), ['m1', 'ms'], 'no other meta run appeared');
  });

  test('SIGTERM stops an idle worker (exit 0)', async () => {
    const [last] = workers;
    last!.proc.kill('SIGTERM');
    assert.equal(await last!.exited, 0, 'await last.exited');
    assert.match(
      last!.log,
      /SIGTERM: stopping 0 running job\(s\); the queue gives them to another worker/,
      'last.log matches /SIGTERM: stopping 0 running job\\(s\\); the queue gives them…',
    );
    assert.match(last!.log, /worker stopped\n$/, 'last.log matches /worker stopped\\n$/');
  });
});
