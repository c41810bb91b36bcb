// Concurrency of `quant meta run` through the built CLI:
// - two runs on one run id, released together at the lock (a handshake through test/helpers/lock-probe.mjs):
//   exactly one proceeds; the other exits 1 — naming the lock holder while it holds the lock, or
//   E_RUN_EXISTS after it — and the hold intervals both report never overlap;
// - a run paused (by handshake) while it holds the lock: another on that run id is refused naming it;
// - eight runs with different run ids at once, over the same sleeve runs and the same cache: all
//   succeed, with artifacts byte-identical to the same runs made one after another (through the SDK).
// concurrency.test.ts (npm test) runs the lock tests; concurrency.slow.test.ts (npm run test:slow) eight
// runs at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { readTree } from '../helpers/files.js';
import { CLI, REPO, quant, quantAsync, tempDir, type CliResult } from '../helpers/cli.js';
import { buildMetaWorkspace } from '../helpers/meta-workspace.js';
import { QuantSDK } from '../../src/sdk/quant-sdk.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

const metaRun = (ws: string, runId: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  quantAsync(['meta', 'run', '--profile', 'meta_root', '--run-id', runId, '--workspace', ws], { env: EPOCH });

const PROBE = pathToFileURL(join(REPO, 'test', 'helpers', 'lock-probe.mjs')).href;

type LockEventName = 'acquiring' | 'acquired' | 'releasing';
interface LockEvent {
  readonly event: LockEventName;
  readonly pid: number;
  /** process.hrtime.bigint() of the reporting process: one monotonic clock for the whole machine. */
  readonly at: bigint;
}

/** A `quant meta run` that reports its run lock's events and pauses at the ones named until resumed. */
interface ProbedRun {
  readonly pid: number;
  readonly events: readonly LockEvent[];
  /** The first `event` of the run's lock; rejects (with the run's stderr) if the process ends first. */
  waitFor(event: LockEventName): Promise<LockEvent>;
  /** Let the process go on from a pause. */
  resume(): void;
  readonly result: Promise<CliResult>;
  /** What the process wrote on stderr so far. */
  readonly stderr: string;
}

function probedMetaRun(ws: string, runId: string, pauseAt: readonly LockEventName[]): ProbedRun {
  const child = spawn(
    process.execPath,
    ['--import', PROBE, CLI, 'meta', 'run', '--profile', 'meta_root', '--run-id', runId, '--workspace', ws],
    {
      env: {
        ...process.env,
        CI: '1',
        ...EPOCH,
        QUANT_LOCK_PROBE_RUN: runId,
        QUANT_LOCK_PROBE_PAUSE: pauseAt.join(','),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    },
  );
  const events: LockEvent[] = [];
  const waiters: { event: LockEventName; resolve(e: LockEvent): void; reject(e: Error): void }[] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  let ended = false;
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  (child.stdio[3] as Readable).on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const raw = JSON.parse(line) as { event: LockEventName; pid: number; at: string };
      const e: LockEvent = { event: raw.event, pid: raw.pid, at: BigInt(raw.at) };
      events.push(e);
      for (const w of waiters.filter((x) => x.event === e.event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const resumeStream = child.stdio[4] as Writable;
  resumeStream.on('error', () => undefined); // the process may have ended: nothing to resume
  const result = new Promise<CliResult>((resolveResult) => {
    child.on('close', (code) => {
      ended = true;
      for (const w of waiters.splice(0))
        w.reject(new Error(`run ${runId} (pid ${child.pid}) exited ${code} before "${w.event}": ${stderr}`));
      resolveResult({ code: code ?? -1, stdout, stderr });
    });
  });
  return {
    pid: child.pid as number,
    events,
    waitFor(event) {
      const seen = events.find((e) => e.event === event);
      if (seen !== undefined) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(`run ${runId} ended before "${event}": ${stderr}`));
      return new Promise((resolveEvent, rejectEvent) =>
        waiters.push({ event, resolve: resolveEvent, reject: rejectEvent }),
      );
    },
    resume() {
      if (!ended) resumeStream.write('g');
    },
    result,
    get stderr() {
      return stderr;
    },
  };
}

/** Each racer's lock events and end, for failure messages. */
function describeRace(racers: readonly ProbedRun[]): string {
  return racers
    .map((r) => `pid ${r.pid}: ${r.events.map((e) => `${e.event}@${e.at}`).join(' ')}; ${r.stderr.trim()}`)
    .join(' | ');
}

/** The [acquired, releasing] intervals of one process's reports, in order; an unreleased hold fails. */
function holdIntervals(run: ProbedRun): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  let start: bigint | undefined;
  for (const e of run.events) {
    if (e.event === 'acquired') {
      assert.equal(start, undefined, `pid ${run.pid} reported acquired twice without releasing`);
      start = e.at;
    } else if (e.event === 'releasing') {
      assert.notEqual(start, undefined, `pid ${run.pid} reported releasing a lock it did not hold`);
      out.push([start as bigint, e.at]);
      start = undefined;
    }
  }
  assert.equal(start, undefined, `pid ${run.pid} exited without releasing the lock`);
  return out;
}

/**
 * `lockTests`: the two tests on one run id; `parallelRuns`: how many runs with different ids at once
 * (0: none).
 */
export function defineConcurrencySuite(options: { lockTests: boolean; parallelRuns: number }): void {
  describe(`concurrent meta runs${options.lockTests ? '' : ` (${options.parallelRuns} at once)`}`, () => {
    let template: { path: string; cleanup(): void };
    before(async () => {
      template = tempDir('quant-conc-');
      await buildMetaWorkspace(template.path);
    });
    after(() => template.cleanup());

    if (options.lockTests) {
      test('two runs on one run id released together at the lock: one proceeds, the other exits 1, and their holds never overlap', async () => {
        const ws = tempDir('quant-conc-');
        try {
          cpSync(template.path, ws.path, { recursive: true });
          // Both racers pause just before their first attempt at the lock, whenever each gets there;
          // then both go at once, so they really contend whatever the machine's load.
          const racers = [
            probedMetaRun(ws.path, 'same', ['acquiring']),
            probedMetaRun(ws.path, 'same', ['acquiring']),
          ];
          await Promise.all(racers.map((r) => r.waitFor('acquiring')));
          for (const r of racers) r.resume();
          const [a, b] = await Promise.all(racers.map((r) => r.result));
          assert.ok(a !== undefined && b !== undefined, 'both racers report a result');
          assert.deepEqual(
            [a.code, b.code].sort(),
            [0, 1],
            `one racer succeeds, one fails:\n${a.stderr}\n${b.stderr}`,
          );
          const [winner, loser] = a.code === 0 ? [racers[0], racers[1]] : [racers[1], racers[0]];
          const lost = a.code === 0 ? b : a;
          assert.ok(winner !== undefined && loser !== undefined, 'the racers are told apart');
          const winnerHolds = holdIntervals(winner);
          const loserHolds = holdIntervals(loser);
          assert.ok(winnerHolds.length >= 1, 'the winner reported holding the lock');
          // Every interval lies inside the real hold, so real holds that overlapped would show here.
          const all = [...winnerHolds, ...loserHolds].sort((x, y) =>
            x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0,
          );
          for (let i = 1; i < all.length; i++) {
            const [prev, next] = [all[i - 1] as [bigint, bigint], all[i] as [bigint, bigint]];
            assert.ok(
              prev[1] < next[0],
              `hold intervals overlap: ${prev.join('..')} and ${next.join('..')}: ${describeRace(racers)}`,
            );
          }
          if (loserHolds.length === 0) {
            assert.match(
              lost.stderr,
              new RegExp(`^E_RUN_LOCKED: run same is locked by pid ${winner.pid} on host \\S+ \\(command `),
              `the racer that never held the lock names the winner as its holder: ${describeRace(racers)}`,
            );
          } else {
            // It reached the lock after the winner had released it: the run exists by then.
            assert.match(
              lost.stderr,
              /^E_RUN_EXISTS: run same already exists \(status success\)/,
              'a later racer finds the run made',
            );
          }
          const v = quant(['meta', 'validate', '--run-id', 'same', '--workspace', ws.path]);
          assert.equal(v.code, 0, v.stdout);
        } finally {
          ws.cleanup();
        }
      });

      test('while one run holds the lock, another on that run id exits 1 naming the holder and changes nothing', async () => {
        const ws = tempDir('quant-conc-');
        try {
          cpSync(template.path, ws.path, { recursive: true });
          // The holder pauses right after taking the lock, until resumed: no race, no retry.
          const holder = probedMetaRun(ws.path, 'held', ['acquired']);
          try {
            await holder.waitFor('acquired');
            const before = readTree(join(ws.path, 'runs', 'held'));
            const other = await metaRun(ws.path, 'held');
            assert.equal(other.code, 1, other.stderr);
            assert.match(
              other.stderr,
              new RegExp(
                `^E_RUN_LOCKED: run held is locked by pid ${holder.pid} on host \\S+ \\(command [^)]+\\)`,
              ),
              'the refused run names the holder',
            );
            assert.deepEqual(
              readTree(join(ws.path, 'runs', 'held')),
              before,
              'the refused run touched the folder',
            );
          } finally {
            holder.resume();
          }
          const done = await holder.result;
          assert.equal(done.code, 0, `the lock holder completes: ${done.stderr}`);
          assert.equal(
            quant(['meta', 'validate', '--run-id', 'held', '--workspace', ws.path]).code,
            0,
            'the held run validates',
          );
        } finally {
          ws.cleanup();
        }
      });
    }

    if (options.parallelRuns > 0)
      test(`${options.parallelRuns} runs at once over the same sleeve runs and cache equal the same runs made one by one`, async () => {
        const sequential = tempDir('quant-conc-');
        const parallel = tempDir('quant-conc-');
        try {
          cpSync(template.path, sequential.path, { recursive: true });
          cpSync(template.path, parallel.path, { recursive: true });
          const ids = Array.from({ length: options.parallelRuns }, (_, i) => `r${i + 1}`);
          // The reference, one run after the other (in this process: the same code, without 8 start-ups).
          for (const id of ids)
            await QuantSDK.runMeta('meta_root', { workspace: sequential.path, runId: id, env: EPOCH });
          const results = await Promise.all(ids.map((id) => metaRun(parallel.path, id)));
          for (const [i, r] of results.entries()) assert.equal(r.code, 0, `${ids[i]}: ${r.stderr}`);
          for (const id of ids) {
            const a = readTree(join(sequential.path, 'runs', id));
            const b = readTree(join(parallel.path, 'runs', id));
            assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), `${id}: files`);
            for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f) as Buffer), `${id}/${f} differs`);
          }
          // One complete cache entry, no half-built one left behind.
          const entries = readdirSync(join(parallel.path, '.cache', 'meta'));
          assert.equal(entries.length, 1, entries.join(', '));
          assert.ok(
            existsSync(join(parallel.path, '.cache', 'meta', entries[0] as string, 'entry.json')),
            '.cache/meta/entry.json exists',
          );
        } finally {
          sequential.cleanup();
          parallel.cleanup();
        }
      });
  });
}
