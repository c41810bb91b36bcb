// A coordinator or worker never hangs (the built CLI in fresh processes, each scenario on its own
// private redis-server): Redis dying mid-run ends `quant meta run --executor bullmq` with E_QUEUE within
// --redis-timeout; SIGTERM ends a coordinator whose Redis hangs (SIGSTOP) and a worker in the middle of
// a job — whose job goes back to the queue for the next worker — within a few seconds; a run lock held
// by a live process is reported on stderr within seconds, and one held by a reused pid is taken over.
// Every wait is a handshake (a job in the queue, a line on stderr); no test depends on a time window.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { CLI, quant, tempDir } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { buildExecWorkspace, EPOCH, STAMP } from '../unit/exec/_exec-workspace.js';
import { acquireRunLock, processStartMarker } from '../../src/artifacts/index.js';
import { reserveSleeveRuns } from '../../src/sdk/sleeve-reservation.js';
import type { SleeveJob } from '../../src/sdk/sleeve-job-spec.js';

const ENV = { SOURCE_DATE_EPOCH: String(EPOCH) };

interface Proc {
  readonly proc: ChildProcess;
  stderr: string;
  stdout: string;
  readonly exited: Promise<number | null>;
}

function run(args: readonly string[], cwd: string): Proc {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, CI: '1', ...ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = {
    proc,
    stderr: '',
    stdout: '',
    exited: new Promise((r) => proc.once('exit', (code) => r(code))),
  };
  proc.stderr?.on('data', (d: Buffer) => (p.stderr += d.toString()));
  proc.stdout?.on('data', (d: Buffer) => (p.stdout += d.toString()));
  return p;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, p?: Proc): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await ok())) {
    if (p !== undefined && p.proc.exitCode !== null)
      throw new Error(`exited (${p.proc.exitCode}) before ${what}: ${p.stderr}`);
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${p === undefined ? '' : `: ${p.stderr}`}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Jobs of `queue` waiting for a worker, read with a short-lived client. */
async function waiting(url: string, queue: string): Promise<number> {
  const q = new Queue(queue, { connection: { url } });
  try {
    return await q.getWaitingCount();
  } finally {
    await q.close();
  }
}

const dirs: { cleanup(): void }[] = [];
const servers: RedisServer[] = [];
const procs: Proc[] = [];
function workspace(): string {
  const d = tempDir('mf-resilience-');
  dirs.push(d);
  return buildExecWorkspace(d.path);
}
async function redis(): Promise<RedisServer> {
  const r = await startRedis();
  servers.push(r);
  return r;
}
after(async () => {
  for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  for (const r of servers) await r.stop();
  for (const d of dirs) d.cleanup();
});

/** A coordinator with no worker on its queue: it sends its jobs, then waits for them. */
async function waitingCoordinator(r: RedisServer, ws: string, queue: string, extra: string[]): Promise<Proc> {
  const p = run(
    [
      'meta',
      'run',
      '--profile',
      'meta',
      '--execute-sleeves',
      '--executor',
      'bullmq',
      '--redis',
      r.url,
      '--queue',
      queue,
      ...extra,
    ],
    ws,
  );
  procs.push(p);
  await until('the three sleeve jobs in the queue', async () => (await waiting(r.url, queue)) === 3, p);
  return p;
}

describe('a coordinator never hangs', { timeout: 120_000 }, () => {
  test('Redis dies mid-run: quant meta run --executor bullmq ends with E_QUEUE, leaving no folder', async () => {
    const r = await redis();
    const ws = workspace();
    const p = await waitingCoordinator(r, ws, 'dies', ['--redis-timeout', '2', '--run-id', 'm']);
    const t0 = performance.now();
    await r.kill();
    const code = await p.exited;
    const ms = performance.now() - t0;
    assert.equal(code, 1, p.stderr);
    assert.match(
      p.stderr,
      /^E_QUEUE: lost Redis at redis:\/\/127\.0\.0\.1:\d+: no answer for 2\.0 s .*— Redis must stay up for the whole run/,
      'p.stderr names E_QUEUE',
    );
    assert.equal(p.stderr.trim().split('\n').length, 1, 'one line');
    assert.deepEqual(readdirSync(join(ws, 'runs')), [], 'reserved sleeve folders withdrawn, no meta run');
    console.log(`Redis killed mid-run: coordinator exited after ${Math.round(ms)} ms (--redis-timeout 2)`);
  });

  test('SIGTERM ends a coordinator whose Redis hangs, within seconds (E_INTERRUPTED, no folder left)', async () => {
    const r = await redis();
    const ws = workspace();
    // A bound far away: only the signal can end this run.
    const p = await waitingCoordinator(r, ws, 'hangs', ['--redis-timeout', '600', '--run-id', 'm']);
    process.kill(r.pid, 'SIGSTOP'); // Redis keeps its sockets open and answers nothing
    const t0 = performance.now();
    p.proc.kill('SIGTERM');
    const code = await p.exited;
    const ms = performance.now() - t0;
    process.kill(r.pid, 'SIGCONT');
    assert.equal(code, 143, `exit 143, as a run stopped by SIGTERM: ${p.stderr}`);
    assert.match(
      p.stderr,
      /^SIGTERM: stopping the sleeves \(again to exit at once\)$/m,
      'p.stderr matches /^SIGTERM: stopping the sleeves \\(again to exit at once\\)$/m',
    );
    assert.match(
      p.stderr,
      /^E_INTERRUPTED: SIGTERM: sleeve production stopped: sectors \(E_INTERRUPTED: interrupted, job \S+ is unknown \(Redis did not answer\)\)/m,
      'p.stderr names E_INTERRUPTED and the sleeve it stopped',
    );
    assert.deepEqual(readdirSync(join(ws, 'runs')), [], 'no folder left');
    console.log(`SIGTERM with Redis stopped: coordinator exited after ${Math.round(ms)} ms`);
  });
});

describe(
  'a worker stops within seconds on SIGTERM; a held lock is reported at once',
  { timeout: 180_000 },
  () => {
    /** The coordinator's part done by hand: reserve sectors in `ws`, and hold its run lock here. */
    async function reservedAndLocked(ws: string) {
      const r = await reserveSleeveRuns(ws, join(ws, 'manifest.json'), [
        { profile: 'sectors', run_id: `sectors_${STAMP}`, source_date_epoch: EPOCH },
      ]);
      if (!r.ok) throw new Error(JSON.stringify(r.failures));
      const lock = await acquireRunLock(join(ws, 'runs', `sectors_${STAMP}`), {
        command: 'a long stage run',
      });
      return { job: r.reservations.jobs[0] as SleeveJob, lock };
    }

    function worker(r: RedisServer, ws: string, queue: string): Proc {
      const p = run(['worker', '--workspace', ws, '--redis', r.url, '--queue', queue], ws);
      procs.push(p);
      return p;
    }

    test('SIGTERM mid-job: exit 0 within seconds, the job handed back; the next worker completes it', async () => {
      const r = await redis();
      const ws = workspace();
      const { job, lock } = await reservedAndLocked(ws);
      const first = worker(r, ws, 'handback');
      await until('the worker', () => /consuming queue/.test(first.stderr), first);
      const queue = new Queue('handback', { connection: { url: r.url } });
      try {
        const added = await queue.add('sleeve.backtest', job, { attempts: 1 });
        // The job waits for the lock this test holds, and the worker says so within seconds.
        await until(
          'the lock notice',
          () =>
            new RegExp(
              `sleeve\\.backtest sectors \\(run sectors_${STAMP}\\): waiting for run sectors_${STAMP} .* is locked by pid ${process.pid} on host \\S+ \\(command a long stage run\\)`,
            ).test(first.stderr),
          first,
        );
        const t0 = performance.now();
        first.proc.kill('SIGTERM');
        assert.equal(await first.exited, 0, first.stderr);
        const ms = performance.now() - t0;
        assert.match(
          first.stderr,
          /SIGTERM: stopping 1 running job\(s\); the queue gives them to another worker/,
          'first.stderr matches /SIGTERM: stopping 1 running job\\(s\\); the queue gives them…',
        );
        assert.match(
          first.stderr,
          /sleeve\.backtest sectors \(run \S+\) stopped after .*; handed back to the queue/,
          'first.stderr matches /sleeve\\.backtest sectors \\(run \\S+\\) stopped after .*; han…',
        );
        assert.equal(await added.getState(), 'waiting', 'back in the queue');
        assert.equal(existsSync(join(ws, 'runs', `sectors_${STAMP}`, 'run.json')), false, 'nothing written');
        console.log(`SIGTERM mid-job: worker exited after ${Math.round(ms)} ms`);

        await lock.release();
        const second = worker(r, ws, 'handback');
        await until('the second worker to complete the job', () => / done in /.test(second.stderr), second);
        assert.match(
          second.stderr,
          /started \(attempt 2: its previous worker stopped\)/,
          'second.stderr matches /started \\(attempt 2: its previous worker stopped\\)/',
        );
        const runJson = JSON.parse(
          readFileSync(join(ws, 'runs', `sectors_${STAMP}`, 'run.json'), 'utf8'),
        ) as { status: string };
        assert.equal(runJson.status, 'success', 'runJson.status');
        second.proc.kill('SIGTERM');
        assert.equal(await second.exited, 0, 'await second.exited');
      } finally {
        await queue.close();
      }
    });

    test('SIGTERM ends a worker whose Redis hangs, mid-job, within seconds', async () => {
      const r = await redis();
      const ws = workspace();
      const { job, lock } = await reservedAndLocked(ws);
      const w = worker(r, ws, 'frozen');
      await until('the worker', () => /consuming queue/.test(w.stderr), w);
      const queue = new Queue('frozen', { connection: { url: r.url } });
      await queue.add('sleeve.backtest', job, { attempts: 1 });
      await queue.close();
      await until('the lock notice', () => /waiting for run sectors_/.test(w.stderr), w);
      process.kill(r.pid, 'SIGSTOP');
      const t0 = performance.now();
      w.proc.kill('SIGTERM');
      const code = await w.exited;
      const ms = performance.now() - t0;
      process.kill(r.pid, 'SIGCONT');
      await lock.release();
      assert.equal(code, 0, w.stderr);
      assert.match(
        w.stderr,
        /stopped after .*; Redis did not answer: the queue re-delivers it once its lock expires/,
        'w.stderr matches /stopped after .*; Redis did not answer: the queue re-deliv…',
      );
      console.log(`SIGTERM with Redis stopped: worker exited after ${Math.round(ms)} ms`);
    });
  },
);

describe('run locks of reused pids (quant meta run --execute-sleeves, local)', { timeout: 120_000 }, () => {
  /** `runs/sectors_<STAMP>` as a killed sleeve run left it, its lock naming `pid` (start `pidStart`). */
  function killedRun(ws: string, pid: number, pidStart: string | undefined): void {
    const dir = join(ws, 'runs', `sectors_${STAMP}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'run.json'),
      JSON.stringify({
        schema_version: 1,
        run_id: `sectors_${STAMP}`,
        kind: 'sleeve',
        profile: 'sectors',
        status: 'running',
        created_at: '2026-01-01T00:00:00Z',
        tool_version: '0.1.0',
        params: {},
      }),
    );
    writeFileSync(
      join(dir, '.lock'),
      JSON.stringify({
        pid,
        hostname: hostname(),
        command: 'stage run sleeve.backtest',
        acquired_at: '2026-01-01T00:00:00Z',
        token: 'killed',
        ...(pidStart === undefined ? {} : { pid_start: pidStart }),
      }),
    );
  }

  test('a lock whose pid now belongs to another process is taken over: the run completes', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    try {
      const ws = workspace();
      const marker = processStartMarker(sleeper.pid as number);
      assert.ok(marker !== undefined, 'this host has /proc');
      killedRun(ws, sleeper.pid as number, `${marker}9`);
      const r = quant(['meta', 'run', '--profile', 'meta', '--execute-sleeves', '--run-id', 'm'], {
        cwd: ws,
        env: ENV,
      });
      assert.equal(r.code, 0, r.stderr);
      const runJson = JSON.parse(readFileSync(join(ws, 'runs', `sectors_${STAMP}`, 'run.json'), 'utf8')) as {
        status: string;
      };
      assert.equal(runJson.status, 'success', 'runJson.status');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('a lock that cannot be verified and names a live pid: refused at once, saying what that pid runs', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    try {
      const ws = workspace();
      killedRun(ws, sleeper.pid as number, undefined);
      const r = quant(['meta', 'run', '--profile', 'meta', '--execute-sleeves', '--run-id', 'm'], {
        cwd: ws,
        env: ENV,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^E_SLEEVE_FAILED: Sleeve production failed for: sectors \\(E_RUN_LOCKED: run sectors_${STAMP} is locked by pid ${sleeper.pid} on host \\S+ \\(command stage run sleeve\\.backtest\\); the lock does not record its holder's start, and pid ${sleeper.pid} now runs ".*node.* -e setInterval`,
        ),
        'r.stderr matches new RegExp( `^E_SLEEVE_FAILED: Sleeve production failed for…',
      );
      assert.equal(existsSync(join(ws, 'runs', 'm')), false, 'no meta run');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
