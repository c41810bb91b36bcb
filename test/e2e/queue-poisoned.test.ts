// Poisoned queue jobs (test/fixtures/bad/jobs/poisoned.json) pushed with BullMQ straight onto a real
// Redis queue served by one `quant worker --workspace W` (the built CLI): paths in the job, another
// workspace, foreign run ids, forged or replayed reservations, unknown keys, wrong types, huge strings,
// terminal escapes. Each fails on its first attempt with its code recorded on the job, and W — every
// file and folder, dot files included — stays exactly as it was. The worker then still runs a genuine job.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { CLI, REPO, tempDir } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { buildExecWorkspace, EPOCH, STAMP } from '../unit/exec/_exec-workspace.js';
import { reserveSleeveRuns } from '../../src/sdk/sleeve-reservation.js';
import type { SleeveJob } from '../../src/sdk/sleeve-job-spec.js';

interface PoisonCase {
  readonly id: string;
  readonly why: string;
  readonly base?: 'valid' | 'foreign';
  readonly data?: unknown;
  readonly set?: Record<string, unknown>;
  readonly drop?: readonly string[];
  readonly name?: string;
  readonly code: string;
  readonly message: string;
}

const CORPUS = join(REPO, 'test', 'fixtures', 'bad', 'jobs', 'poisoned.json');
const cases = (JSON.parse(readFileSync(CORPUS, 'utf8')) as { cases: PoisonCase[] }).cases;
const QUEUE = 'poisoned';
const HUGE = 'x'.repeat(4 * 1024 * 1024);

/** Every file and folder under `dir` with its bytes (folders as ''), dot files included. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out.set(`${relative(dir, p)}/`, '');
        walk(p);
      } else out.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

function fill(text: string, other: string): string {
  return text
    .replaceAll('{OTHER}', other)
    .replaceAll('{HUGE}', HUGE)
    .replaceAll('{ESC}', '\\u001b') // inside JSON text: the escape, decoded by JSON.parse
    .replaceAll('{ZERO32}', '0'.repeat(32))
    .replaceAll('{ZERO64}', '0'.repeat(64));
}

/** The payload of a case, built as JSON text so that keys such as `__proto__` stay plain keys. */
function payload(c: PoisonCase, valid: SleeveJob, foreign: SleeveJob, other: string): unknown {
  if (c.base === undefined) return JSON.parse(fill(JSON.stringify(c.data), other));
  const job: Record<string, unknown> = JSON.parse(JSON.stringify(c.base === 'valid' ? valid : foreign));
  const set = JSON.parse(fill(JSON.stringify(c.set ?? {}), other)) as Record<string, unknown>;
  for (const key of Object.keys(set))
    Object.defineProperty(job, key, {
      value: set[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  for (const key of c.drop ?? []) delete job[key];
  return job;
}

async function reserveOne(ws: string): Promise<SleeveJob> {
  const r = await reserveSleeveRuns(ws, join(ws, 'manifest.json'), [
    { profile: 'sectors', run_id: `sectors_${STAMP}`, source_date_epoch: EPOCH },
  ]);
  if (!r.ok) throw new Error(JSON.stringify(r.failures));
  return r.reservations.jobs[0] as SleeveJob;
}

/** A run folder as another process left it (a meta run, a run of another sleeve). */
function existingRun(ws: string, runId: string, kind: string, profile: string): void {
  mkdirSync(join(ws, 'runs', runId, 'data'), { recursive: true });
  writeFileSync(
    join(ws, 'runs', runId, 'run.json'),
    JSON.stringify({
      schema_version: 1,
      run_id: runId,
      kind,
      profile,
      status: 'success',
      created_at: '2026-01-01T00:00:00Z',
      tool_version: '0.1.0',
      params: {},
    }),
  );
  writeFileSync(join(ws, 'runs', runId, 'data', 'weights.csv'), 'symbol,weight\nA,1\n');
}

describe('poisoned queue jobs against quant worker', { timeout: 180_000 }, () => {
  let redis: RedisServer;
  let worker: ChildProcess;
  let log = '';
  let queue: Queue;
  let events: QueueEvents;
  const dirs = [tempDir('mf-poison-'), tempDir('mf-poison-other-')];
  const ws = buildExecWorkspace(dirs[0]!.path);
  const other = buildExecWorkspace(dirs[1]!.path);
  let valid: SleeveJob;
  let foreign: SleeveJob;

  before(async () => {
    redis = await startRedis();
    // W as a coordinator left it mid-batch: one reserved sleeve run, plus two runs a message might name.
    valid = await reserveOne(ws);
    foreign = await reserveOne(other);
    existingRun(ws, 'meta_existing', 'meta', 'meta');
    existingRun(ws, 'swiss_existing', 'sleeve', 'swiss');
    worker = spawn(
      process.execPath,
      [CLI, 'worker', '--workspace', ws, '--redis', redis.url, '--queue', QUEUE],
      { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    while (!/consuming queue/.test(log)) {
      if (worker.exitCode !== null) throw new Error(`worker exited: ${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    queue = new Queue(QUEUE, { connection: { url: redis.url } });
    events = new QueueEvents(QUEUE, { connection: { url: redis.url } });
    await events.waitUntilReady();
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await events?.close();
    await queue?.close();
    await redis?.stop();
    for (const d of dirs) d.cleanup();
  });

  test(`${cases.length} poisoned jobs: each refused with its code on the job, the workspace untouched`, async () => {
    assert.ok(cases.length >= 30, `the corpus holds ${cases.length} cases`);
    const before = snapshot(ws);
    for (const c of cases) {
      const job: Job = await queue.add(c.name ?? 'sleeve.backtest', payload(c, valid, foreign, other), {
        attempts: 1,
      });
      await job.waitUntilFinished(events).then(
        () => assert.fail(`${c.id}: the job succeeded`),
        () => undefined,
      );
      const done = (await Job.fromId(queue, job.id as string)) as Job;
      const reason = done.failedReason ?? '';
      assert.equal(await done.getState(), 'failed', c.id);
      assert.equal(done.attemptsMade, 1, `${c.id}: not retried`);
      assert.ok(reason.startsWith(`${c.code}: `), `${c.id}: ${reason.slice(0, 300)}`);
      assert.match(reason, new RegExp(c.message), c.id);
      assert.ok(reason.length < 1000, `${c.id}: a short reason (${reason.length} characters)`);
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      assert.doesNotMatch(reason, /[\u0000-\u001f\u007f-\u009f]/, `${c.id}: no control character`);
      assert.deepEqual(snapshot(ws), before, `${c.id}: the workspace is untouched`);
    }
    assert.equal(worker.exitCode, null, 'the worker still runs');
  });

  test('the worker then runs the genuine job: the reserved run is produced', async () => {
    const job = await queue.add('sleeve.backtest', valid, { attempts: 1 });
    const value = (await job.waitUntilFinished(events)) as { status: string; run_id: string };
    assert.deepEqual(
      [value.status, value.run_id],
      ['produced', `sectors_${STAMP}`],
      '[value.status, value.run_id]',
    );
    const runJson = JSON.parse(readFileSync(join(ws, 'runs', `sectors_${STAMP}`, 'run.json'), 'utf8')) as {
      status: string;
    };
    assert.equal(runJson.status, 'success', 'runJson.status');
    assert.deepEqual(
      readdirSync(join(ws, 'runs', `sectors_${STAMP}`)).filter((n) => n.startsWith('.')),
      [],
      'reservation and lock are gone',
    );
    // Replaying it (same nonce) touches nothing: the reservation has served, and the finished run is
    // only read (as for a re-delivery whose completion Redis never recorded).
    const before = snapshot(ws);
    const replay = await queue.add('sleeve.backtest', valid, { attempts: 1 });
    const replayed = (await replay.waitUntilFinished(events)) as { status: string; run_id: string };
    assert.deepEqual(
      [replayed.status, replayed.run_id],
      ['reused', `sectors_${STAMP}`],
      'the replay is answered with the finished run',
    );
    assert.deepEqual(snapshot(ws), before, 'the replay changed nothing');
  });
});
