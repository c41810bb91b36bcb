// The local pool and executor: child processes, at most `concurrency` at a time, outcomes as data.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, childExecArgv, createLocalPool } from '../../../src/exec/local-pool.js';
import { createLocalExecutor } from '../../../src/exec/local-executor.js';
import type { JobEvent, JobOutcome } from '../../../src/exec/job.js';
import { ref, type Timed } from './_runners.js';

/** The largest number of intervals that overlap at one instant. */
function maxOverlap(runs: readonly Timed[]): number {
  const points = runs.flatMap((r) => [
    [r.start, 1],
    [r.end, -1],
  ]);
  points.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let now = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (now += d as number));
  return max;
}

const value = <R>(o: JobOutcome<R>): R => {
  assert.ok(o.ok, o.ok ? '' : `${o.error.code}: ${o.error.message}`);
  return o.value;
};

describe('createLocalPool', () => {
  test(
    'runs jobs in at most `concurrency` child processes, reused across jobs',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'quant-pool-'));
      const pool = createLocalPool({ concurrency: 2 });
      try {
        const progress: string[] = [];
        // a waits for b and c for d: they finish only if the pool runs two jobs at once (else the test's
        // hang guard fires); two children serve all five jobs.
        const partners: Record<string, string | undefined> = { a: 'b', b: 'a', c: 'd', d: 'c', e: undefined };
        const outcomes = await Promise.all(
          Object.entries(partners).map(([id, partner]) =>
            pool.run<Timed>(
              ref('meets'),
              { id, dir, ...(partner === undefined ? {} : { partner }) },
              { onProgress: (m) => progress.push(m) },
            ),
          ),
        );
        const runs = outcomes.map(value);
        assert.deepEqual(
          runs.map((r) => r.id),
          ['a', 'b', 'c', 'd', 'e'],
          'outcomes in job order',
        );
        assert.ok(maxOverlap(runs) <= 2, 'two at a time, never more');
        const pids = new Set(runs.map((r) => r.pid));
        assert.equal(pids.size, 2, 'two children, reused');
        assert.ok(!pids.has(process.pid), 'jobs run outside this process');
        assert.deepEqual(
          progress.sort(),
          ['a: working', 'b: working', 'c: working', 'd: working', 'e: working'],
          'every job reported its progress',
        );
      } finally {
        await pool.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test('failures are outcomes: a QuantError keeps its code, anything else is E_INTERNAL', async () => {
    const pool = createLocalPool({ concurrency: 1 });
    try {
      const coded = await pool.run(ref('failsWithCode'), { file: 'data/nope.csv' });
      assert.deepEqual(
        coded,
        {
          ok: false,
          error: { code: 'E_INPUT_NOT_FOUND', message: 'input file data/nope.csv does not exist' },
        },
        'coded',
      );
      const plain = await pool.run(ref('failsPlain'), {});
      assert.deepEqual(
        plain,
        { ok: false, error: { code: 'E_INTERNAL', message: 'not a QuantError' } },
        'plain',
      );
      const missing = await pool.run(ref('noSuchExport'), {});
      assert.equal(missing.ok, false, 'missing.ok');
      assert.match(
        missing.ok ? '' : missing.error.message,
        /does not export a function noSuchExport/,
        "missing.ok ? '' : missing.error.message matches /does not export a function noSuchExport/",
      );
    } finally {
      await pool.close();
    }
  });

  test('a child that dies fails its job only; the next job gets a new child', async () => {
    const pool = createLocalPool({ concurrency: 1 });
    try {
      const died = await pool.run(ref('dies'), { code: 3 });
      assert.equal(died.ok, false, 'died.ok');
      const error = died.ok ? undefined : died.error;
      assert.equal(error?.code, 'E_INTERNAL', 'error?.code');
      assert.match(
        error?.message ?? '',
        /died \(exit code 3\) while running the job: about to die/,
        "error?.message ?? '' matches /died \\(exit code 3\\) while running the job: about to die/",
      );
      const next = value(await pool.run<Timed>(ref('timed'), { id: 'after' }));
      assert.equal(next.id, 'after', 'next.id');
    } finally {
      await pool.close();
    }
  });

  test(
    'graceful close lets running jobs finish and drops queued ones; force stops running ones',
    {
      // Guards against a hang only: a close that waited for the hanging job would never return.
      timeout: 120_000,
    },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'quant-pool-'));
      const release = join(dir, 'release');
      const graceful = createLocalPool({ concurrency: 1 });
      let running!: () => void;
      const isRunning = new Promise<void>((r) => (running = r));
      const first = graceful.run<string>(
        ref('waitsForFile'),
        { id: 'running', release },
        {
          onProgress: () => running(),
        },
      );
      const queued = graceful.run<Timed>(ref('timed'), { id: 'queued', ms: 10 });
      // The first job runs and cannot finish before the pool is told to close.
      await isRunning;
      const closed = graceful.close();
      writeFileSync(release, '');
      await closed;
      assert.equal(value(await first), 'running', 'the running job finished with its result');
      const dropped = await queued;
      assert.equal(
        dropped.ok ? '' : dropped.error.code,
        'E_INTERRUPTED',
        'the queued job was dropped, not started',
      );
      rmSync(dir, { recursive: true, force: true });

      const forced = createLocalPool({ concurrency: 1 });
      let started!: () => void;
      const isStarted = new Promise<void>((r) => (started = r));
      const long = forced.run(ref('hangs'), {}, { onProgress: () => started() });
      await isStarted;
      await forced.close({ force: true });
      const stopped = await long;
      assert.equal(
        stopped.ok ? '' : stopped.error.code,
        'E_INTERRUPTED',
        'the job that never ends was stopped by the forced close',
      );
    },
  );
});

describe('createLocalExecutor', () => {
  test('a batch: outcomes in job order, one started and one finished event per job', async () => {
    const events: JobEvent[] = [];
    const executor = createLocalExecutor({ runner: ref('timed'), concurrency: 3 });
    const jobs = [{ id: 'x', ms: 50 }, { id: 'y', ms: 10 }, { id: 'z' }];
    const outcomes = await executor.run<Timed>(jobs, { onEvent: (e) => events.push(e) });
    assert.deepEqual(
      outcomes.map((o) => value(o).id),
      ['x', 'y', 'z'],
      'outcomes.map((o) => value(o).id)',
    );
    for (const index of [0, 1, 2]) {
      assert.equal(
        events.filter((e) => e.type === 'started' && e.index === index).length,
        1,
        "events.filter((e) => e.type === 'started' && e.index === index).length",
      );
      assert.deepEqual(
        events.filter((e) => e.type === 'finished' && e.index === index),
        [{ type: 'finished', index, ok: true }],
        "events.filter((e) => e.type === 'finished' && e.index === index)",
      );
    }
    assert.deepEqual(await executor.run([], {}), [], 'await executor.run([], {})');
  });

  test('timeout and abort stop unfinished jobs as E_INTERRUPTED', async () => {
    const executor = createLocalExecutor({ runner: ref('timed'), concurrency: 2 });
    // The window covers the child's start too: the job never ends, so on any machine it times out.
    const hanging = createLocalExecutor({ runner: ref('hangs'), concurrency: 1 });
    const [timedOut] = await hanging.run([{}], { timeoutMs: 1500 });
    assert.equal(
      timedOut?.ok ? '' : timedOut?.error.code,
      'E_INTERRUPTED',
      "timedOut?.ok ? '' : timedOut?.error.code",
    );
    assert.match(
      timedOut?.ok ? '' : (timedOut?.error.message ?? ''),
      /^no result within 1\.5 s, (stopped while running|not started)$/,
      "timedOut?.ok ? '' : (timedOut?.error.me… matches /^no result within 1\\.5 s, (stopped while running|not start…",
    );

    // Stopped once the quick job is done and the slow one runs: the finished result is kept.
    const stop = new AbortController();
    const seen = new Set<string>();
    const both = await executor.run([{ id: 'quick' }, { id: 'slow', ms: 20_000 }], {
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'finished' && e.index === 0) seen.add('quick done');
        if (e.type === 'progress' && e.index === 1) seen.add('slow running');
        if (seen.size === 2) stop.abort();
      },
    });
    assert.equal(both[0]?.ok, true, 'the finished job keeps its result');
    assert.equal(
      both[1]?.ok ? '' : both[1]?.error.message,
      'interrupted, stopped while running',
      "both[1]?.ok ? '' : both[1]?.error.message",
    );

    const controller = new AbortController();
    const aborted = executor.run([{ id: 'slow', ms: 20_000 }], {
      signal: controller.signal,
      onEvent: (e) => (e.type === 'progress' ? controller.abort() : undefined),
    });
    const [outcome] = await aborted;
    assert.equal(
      outcome?.ok ? '' : outcome?.error.code,
      'E_INTERRUPTED',
      "outcome?.ok ? '' : outcome?.error.code",
    );
    assert.equal(
      outcome?.ok ? '' : outcome?.error.message,
      'interrupted, stopped while running',
      "outcome?.ok ? '' : outcome?.error.message",
    );
  });

  test('a signal aborted before the batch starts no job: every one E_INTERRUPTED', async () => {
    const executor = createLocalExecutor({ runner: ref('timed'), concurrency: 2 });
    const events: string[] = [];
    const outcomes = await executor.run([{ id: 'a' }, { id: 'b' }], {
      signal: AbortSignal.abort('cancelled'),
      onEvent: (e) => events.push(e.type),
    });
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? 'ok' : o.error.code)),
      ['E_INTERRUPTED', 'E_INTERRUPTED'],
      'no job ran',
    );
    assert.deepEqual(events, [], 'no job started');
  });
});

describe('the cores of a pool child', () => {
  test('each child gets its share of the cores for its worker threads (at least 1)', async () => {
    const pool = createLocalPool({ concurrency: 2 });
    try {
      const outcome = await pool.run<string | undefined>(ref('threadCoresEcho'), {});
      assert.ok(outcome.ok, `the job ran: ${JSON.stringify(outcome)}`);
      assert.equal(
        outcome.value,
        String(Math.max(1, Math.floor(availableParallelism() / 2))),
        'QUANT_THREAD_CORES is the cores divided by the concurrency',
      );
    } finally {
      await pool.close();
    }
  });
  test('a share already set (a pool inside a child) is divided further; the rest of the environment stays', () => {
    assert.equal(childEnv(2, { QUANT_THREAD_CORES: '8', X: 'y' })['QUANT_THREAD_CORES'], '4', '8 / 2');
    assert.equal(childEnv(3, { QUANT_THREAD_CORES: '2' })['QUANT_THREAD_CORES'], '1', 'never below 1');
    assert.equal(childEnv(1, { X: 'y' })['X'], 'y', 'the parent environment is passed on');
    assert.equal(
      childEnv(1, { QUANT_THREAD_CORES: 'junk' })['QUANT_THREAD_CORES'],
      String(availableParallelism()),
      'a malformed share counts as every core',
    );
  });
});

describe('childExecArgv', () => {
  test('drops the parent script of -e, --eval, -p, --print and -pe, in either form, with --input-type and -i', () => {
    const script = 'await runMeta()';
    const cases: [string[], string[]][] = [
      [['-e', script], []],
      [['--eval', script], []],
      [[`--eval=${script}`], []],
      [['-p', script], []],
      [['--print', script], []],
      [[`--print=${script}`], []],
      [['-pe', script], []],
      [['-p', '-e', script], []],
      [['--print', '--eval', script], []],
      [['-e', script, '-p'], []],
      [['-e', ''], []],
      [['--input-type=module', '-e', script], []],
      [['--input-type', 'module', '--eval', script], []],
      [['-i', '-e', script], []],
      [['--interactive', '-e', script], []],
    ];
    for (const [execArgv, kept] of cases) {
      assert.deepEqual(childExecArgv(execArgv), kept, JSON.stringify(execArgv));
    }
  });
  test('keeps every other flag with its value, and still drops debugger and test runner flags', () => {
    const tsx = ['--require', '/x/tsx/preflight.cjs', '--import', 'file:///x/tsx/loader.mjs'];
    assert.deepEqual(
      childExecArgv([...tsx, '--input-type=module', '-e', 'x', '--max-old-space-size=512', '--maglev']),
      [...tsx, '--max-old-space-size=512', '--maglev'],
      'tsx and V8 flags kept around the eval flags',
    );
    assert.deepEqual(
      childExecArgv(['--inspect-brk=9229', '--test', '--test-reporter', 'spec', '--no-warnings', '-r', 'x']),
      ['--no-warnings', '-r', 'x'],
      'debugger and test runner flags dropped, a separate value too',
    );
    assert.deepEqual(
      childExecArgv(['--env-file', '.env', '--experimental-strip-types']),
      ['--env-file', '.env', '--experimental-strip-types'],
      'flags that merely start like a dropped one are kept',
    );
  });
});
