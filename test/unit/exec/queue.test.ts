// The BullMQ executor and worker in one process against a private redis-server: outcomes and failure
// codes cross the queue unchanged; a bad URL or queue name fails fast with a code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createQueueExecutor } from '../../../src/exec/queue-executor.js';
import { startQueueWorker, type QueueWorker } from '../../../src/exec/queue-worker.js';
import { formatJobFailure, parseJobFailure, toJobFailure, type JobEvent } from '../../../src/exec/job.js';
import { QuantError } from '../../../src/errors.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { ref, type Timed } from './_runners.js';

describe('job failures as text', () => {
  test('CODE: message round-trips; a reason without a code gets the fallback', () => {
    const failure = toJobFailure(new QuantError('E_INPUT_VALUE', 'price ≤ 0: row 3'));
    assert.deepEqual(failure, { code: 'E_INPUT_VALUE', message: 'price ≤ 0: row 3' });
    assert.deepEqual(parseJobFailure(formatJobFailure(failure)), failure);
    assert.deepEqual(parseJobFailure('job stalled more than allowable limit'), {
      code: 'E_QUEUE',
      message: 'job stalled more than allowable limit',
    });
    assert.deepEqual(toJobFailure(new Error('x')), { code: 'E_INTERNAL', message: 'x' });
  });
});

describe('bullmq executor + queue worker', () => {
  let redis: RedisServer;
  let worker: QueueWorker;
  const logs: string[] = [];
  before(async () => {
    redis = await startRedis();
    worker = await startQueueWorker({
      redisUrl: redis.url,
      queueName: 'unit',
      concurrency: 2,
      runners: { timed: ref('timed'), failsWithCode: ref('failsWithCode') },
      onLog: (line) => logs.push(line),
    });
  });
  after(async () => {
    await worker.close();
    await redis.stop();
  });

  test('values come back in job order, with started/progress/finished events', async () => {
    const events: JobEvent[] = [];
    const executor = createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: 'timed' });
    const outcomes = await executor.run<Timed>(
      [
        { id: 'a', ms: 100 },
        { id: 'b', ms: 10 },
        { id: 'c', ms: 10 },
      ],
      { onEvent: (e) => events.push(e) },
    );
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? o.value.id : o.error.code)),
      ['a', 'b', 'c'],
    );
    assert.ok(outcomes.every((o) => o.ok && o.value.pid !== process.pid && o.value.attempt === 1));
    for (const index of [0, 1, 2]) {
      assert.ok(events.some((e) => e.type === 'started' && e.index === index && e.attempt === 1));
      assert.ok(events.some((e) => e.type === 'finished' && e.index === index && e.ok));
    }
    assert.ok(events.some((e) => e.type === 'progress' && e.message === 'a: working'));
    assert.ok(logs.some((l) => /job \S+ timed started/.test(l)));
  });

  test('a failed job keeps its QuantError code; an unknown job kind is E_QUEUE', async () => {
    const failing = createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: 'failsWithCode' });
    const [failed] = await failing.run([{ file: 'x.csv' }]);
    assert.deepEqual(failed, {
      ok: false,
      error: { code: 'E_INPUT_NOT_FOUND', message: 'input file x.csv does not exist' },
    });
    const unknown = createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: 'nope' });
    const [rejected] = await unknown.run([{}]);
    assert.equal(rejected?.ok ? '' : rejected?.error.code, 'E_QUEUE');
    assert.match(rejected?.ok ? '' : (rejected?.error.message ?? ''), /no runner for job kind "nope"/);
  });

  test('no worker on the queue: a timeout removes the job and says so; the waiting notice names the queue', async () => {
    const events: JobEvent[] = [];
    const executor = createQueueExecutor({
      redisUrl: redis.url,
      queueName: 'nobody-listens',
      jobName: 'timed',
      idleNoticeMs: 200,
    });
    const [outcome] = await executor.run([{ id: 'lonely' }], {
      timeoutMs: 800,
      onEvent: (e) => events.push(e),
    });
    assert.equal(outcome?.ok ? '' : outcome?.error.code, 'E_INTERRUPTED');
    assert.match(
      outcome?.ok ? '' : (outcome?.error.message ?? ''),
      /^no result within 0\.8 s, not started \(job \S+ removed from the queue\)$/,
    );
    const waiting = events.find((e) => e.type === 'waiting');
    assert.match(
      waiting?.type === 'waiting' ? waiting.message : '',
      /queue nobody-listens .*no worker is connected/,
    );
  });

  test('an unreachable Redis or a bad queue name fails fast with a code', async () => {
    const executor = createQueueExecutor({
      redisUrl: 'redis://127.0.0.1:1',
      queueName: 'unit',
      jobName: 'timed',
      connectTimeoutMs: 500,
    });
    await assert.rejects(executor.run([{ id: 'a' }]), (e: QuantError) => {
      assert.equal(e.code, 'E_QUEUE');
      assert.match(e.message, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 within 0\.5 s/);
      return true;
    });
    assert.throws(
      () => createQueueExecutor({ redisUrl: redis.url, queueName: 'a:b', jobName: 'timed' }),
      (e: QuantError) => e.code === 'E_USAGE' && /invalid queue name "a:b"/.test(e.message),
    );
    assert.throws(
      () => createQueueExecutor({ redisUrl: 'http://x', queueName: 'q', jobName: 'timed' }),
      (e: QuantError) => e.code === 'E_USAGE' && /invalid Redis URL/.test(e.message),
    );
  });
});
