// The BullMQ executor and worker in one process against a private redis-server: outcomes and failure
// codes cross the queue unchanged; a bad URL or queue name fails fast with a code; the worker's own
// settings reach the runner, its checks refuse a job before any child runs it, a forced close hands
// running jobs back; the coordinator ends with E_QUEUE when Redis dies or a job vanishes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createQueueExecutor } from '../../../src/exec/queue-executor.js';
import { startQueueWorker, type QueueWorker } from '../../../src/exec/queue-worker.js';
import { formatJobFailure, parseJobFailure, toJobFailure, type JobEvent } from '../../../src/exec/job.js';
import { QuantError } from '../../../src/errors.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { ref, type Timed } from './_runners.js';

describe('job failures as text', () => {
  test('CODE: message round-trips; a reason without a code gets the fallback', () => {
    const failure = toJobFailure(new QuantError('E_INPUT_VALUE', 'price ≤ 0: row 3'));
    assert.deepEqual(failure, { code: 'E_INPUT_VALUE', message: 'price ≤ 0: row 3' }, 'failure');
    assert.deepEqual(
      parseJobFailure(formatJobFailure(failure)),
      failure,
      'parseJobFailure(formatJobFailure(failure))',
    );
    assert.deepEqual(
      parseJobFailure('queue said no'),
      { code: 'E_QUEUE', message: 'queue said no' },
      'a reason without a code is E_QUEUE',
    );
    const stalled = parseJobFailure('job stalled more than allowable limit');
    assert.equal(stalled.code, 'E_INTERRUPTED', "BullMQ's stall limit is an interruption");
    assert.match(
      stalled.message,
      /^its worker stopped before it finished .*`quant worker --max-stalled N`.* were used up/,
      'the stall limit says what happened and which flag allows more',
    );
    assert.deepEqual(
      toJobFailure(new Error('x')),
      { code: 'E_INTERNAL', message: 'x' },
      "toJobFailure(new Error('x'))",
    );
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
      runners: {
        timed: ref('timed'),
        failsWithCode: ref('failsWithCode'),
        settingsEcho: ref('settingsEcho'),
        notifies: ref('notifies'),
      },
      checks: {
        settingsEcho: (data) => {
          if (typeof data !== 'object' || data === null || Object.keys(data).length > 0)
            throw new QuantError('E_JOB_INVALID', 'a settingsEcho job is {}');
        },
      },
      settings: { workspace: '/served/by/this/worker' },
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
      'outcomes.map((o) => (o.ok ? o.value.id : o.error.code))',
    );
    assert.ok(
      outcomes.every((o) => o.ok && o.value.pid !== process.pid && o.value.attempt === 1),
      'outcomes.every((o) => o.ok && o.value.pid !== process.pid && o.value.…',
    );
    for (const index of [0, 1, 2]) {
      assert.ok(
        events.some((e) => e.type === 'started' && e.index === index && e.attempt === 1),
        "events.some((e) => e.type === 'started' && e.index === index && e.att…",
      );
      assert.ok(
        events.some((e) => e.type === 'finished' && e.index === index && e.ok),
        "events.some((e) => e.type === 'finished' && e.index === index && e.ok)",
      );
    }
    assert.ok(
      events.some((e) => e.type === 'progress' && e.message === 'a: working'),
      "events.some((e) => e.type === 'progress' && e.message === 'a: working…",
    );
    assert.ok(
      logs.some((l) => /job \S+ timed started/.test(l)),
      'logs.some((l) => /job \\S+ timed started/.test(l))',
    );
  });

  test('a failed job keeps its QuantError code; an unknown job kind is E_QUEUE', async () => {
    const failing = createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: 'failsWithCode' });
    const [failed] = await failing.run([{ file: 'x.csv' }]);
    assert.deepEqual(
      failed,
      {
        ok: false,
        error: { code: 'E_INPUT_NOT_FOUND', message: 'input file x.csv does not exist' },
      },
      'failed',
    );
    const unknown = createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: 'nope' });
    const [rejected] = await unknown.run([{}]);
    assert.equal(
      rejected?.ok ? '' : rejected?.error.code,
      'E_QUEUE',
      "rejected?.ok ? '' : rejected?.error.code",
    );
    assert.match(
      rejected?.ok ? '' : (rejected?.error.message ?? ''),
      /no runner for job kind "nope"/,
      'rejected?.ok ? \'\' : (rejected?.error.me… matches /no runner for job kind "nope"/',
    );
    assert.ok(
      logs.some((l) => /^job \S+ refused: E_QUEUE: no runner for job kind "nope"/.test(l)),
      `the worker logs one line for the refusal: ${logs.join(' | ')}`,
    );
    // A huge name with control characters: logged escaped and cut short.
    const huge = `__proto__\u001b[31m\u009b${'x'.repeat(5_000_000)}`;
    const [big] = await createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: huge }).run([
      {},
    ]);
    assert.equal(big?.ok, false, 'a job of a huge unknown kind fails');
    const line = logs.find((l) => l.includes('no runner for job kind "__proto__'));
    assert.ok(line !== undefined, `its refusal is logged: ${logs.map((l) => l.slice(0, 80)).join(' | ')}`);
    assert.ok(line.length < 400, `the logged line is short (${line.length})`);
    assert.ok(
      line.includes('"__proto__\\u001b[31m\\u009bxxx'),
      `control characters escaped: ${line.slice(0, 120)}`,
    );
  });

  test("the runner gets the worker's own settings; a check refuses a job before any child runs it", async () => {
    const executor = createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: 'settingsEcho' });
    const [echoed, refused] = await executor.run<Record<string, string>>([{}, { workspace: '/elsewhere' }]);
    assert.deepEqual(echoed, { ok: true, value: { workspace: '/served/by/this/worker' } }, 'echoed');
    assert.deepEqual(
      refused,
      {
        ok: false,
        error: { code: 'E_JOB_INVALID', message: 'a settingsEcho job is {}' },
      },
      'refused',
    );
    assert.ok(
      logs.some((l) => /job \S+ settingsEcho refused: E_JOB_INVALID: a settingsEcho job is \{\}/.test(l)),
      'the refusal is logged',
    );
  });

  test('a notice reaches the coordinator as an event and the worker log', async () => {
    const events: JobEvent[] = [];
    const executor = createQueueExecutor({ redisUrl: redis.url, queueName: 'unit', jobName: 'notifies' });
    const [outcome] = await executor.run([{ text: 'waiting for a lock' }], {
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(outcome, { ok: true, value: 'done' }, 'outcome');
    assert.ok(
      events.some((e) => e.type === 'notice' && e.index === 0 && e.message === 'waiting for a lock'),
      `a notice event (${JSON.stringify(events)})`,
    );
    assert.ok(
      logs.some((l) => /job \S+ notifies: waiting for a lock$/.test(l)),
      'logged by the worker',
    );
  });

  test('a forced close stops a running job and hands it back to the queue at once', async () => {
    const lines: string[] = [];
    const other = await startQueueWorker({
      redisUrl: redis.url,
      queueName: 'handback',
      runners: { hangs: ref('hangs') },
      onLog: (line) => lines.push(line),
    });
    const queue = new Queue('handback', { connection: { url: redis.url } });
    try {
      const job = await queue.add('hangs', {});
      while (!lines.some((l) => / hangs started/.test(l))) await new Promise((r) => setTimeout(r, 25));
      await other.close({ force: true });
      assert.equal(await job.getState(), 'waiting', 'back in the queue for another worker');
      assert.ok(
        lines.some((l) => / hangs stopped after .*; handed back to the queue$/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  // The timeout turns a job that cycles for ever (the defect) into a failure instead of a hang.
  test(
    'a job whose stored data or options BullMQ cannot read fails once with E_JOB_INVALID, logged, and the worker goes on',
    { timeout: 60_000 },
    async () => {
      const queue = new Queue('unreadable', { connection: { url: redis.url } });
      // Only a direct writer of Redis makes such a job: add a good one, then spoil a field. The job is
      // read back through Redis too, since BullMQ's own reader throws on it.
      const direct = new Redis(redis.url);
      const lines: string[] = [];
      let other: QueueWorker | undefined;
      const spoilt = [
        { field: 'data', text: '{not json', reason: 'data of job "ID" \\("timed"\\) is not JSON \\(.+\\)' },
        {
          field: 'opts',
          text: '{not json',
          reason: 'options of job "ID" \\("timed"\\) are not JSON \\(.+\\)',
        },
        {
          field: 'opts',
          text: 'null',
          reason: 'options of job "ID" \\("timed"\\) are not a JSON object \\(null\\)',
        },
        {
          field: 'opts',
          text: '[1,2]',
          reason: 'options of job "ID" \\("timed"\\) are not a JSON object \\(an array\\)',
        },
      ];
      try {
        const bad: string[] = [];
        for (const [i, s] of spoilt.entries()) {
          const id = String((await queue.add('timed', { id: `bad${i}` })).id);
          await direct.hset(queue.toKey(id), s.field, s.text);
          bad.push(id);
        }
        other = await startQueueWorker({
          redisUrl: redis.url,
          queueName: 'unreadable',
          runners: { timed: ref('timed') },
          onLog: (line) => lines.push(line),
        });
        const refused = bad.map((id) => new RegExp(`^job "${id}" refused: E_JOB_INVALID: the stored `));
        while (!refused.every((r) => lines.some((l) => r.test(l))))
          await new Promise((r) => setTimeout(r, 25));
        const good = await queue.add('timed', { id: 'good' });
        while (!lines.some((l) => /^job \S+ timed done in /.test(l)))
          await new Promise((r) => setTimeout(r, 25));
        for (const [i, s] of spoilt.entries()) {
          const id = bad[i] as string;
          const key = queue.toKey(id);
          assert.notEqual(
            await direct.zscore(queue.toKey('failed'), id),
            null,
            `the job with spoilt ${s.field} ${s.text} is in the failed set: ${lines.join(' | ')}`,
          );
          assert.match(
            (await direct.hget(key, 'failedReason')) ?? '',
            new RegExp(
              `^E_JOB_INVALID: the stored ${s.reason.replace('ID', id)}; it was written to Redis by something other than a quant coordinator$`,
            ),
            `the reason names the field, the job, its kind and the problem (${s.field} ${s.text})`,
          );
          assert.equal(await direct.hget(key, 'ats'), '1', `taken once, not cycled (${s.field} ${s.text})`);
          assert.equal(
            lines.filter((l) => (refused[i] as RegExp).test(l)).length,
            1,
            `one log line for the job with spoilt ${s.field} ${s.text}: ${lines.join(' | ')}`,
          );
        }
        assert.equal(await good.getState(), 'completed', 'the next job is served');
      } finally {
        await other?.close();
        await queue.obliterate({ force: true });
        await queue.close();
        direct.disconnect();
      }
    },
  );

  test(
    'the coordinator reports a job refused for its stored options with E_JOB_INVALID',
    { timeout: 60_000 },
    async () => {
      const executor = createQueueExecutor({
        redisUrl: redis.url,
        queueName: 'spoilt-options',
        jobName: 'timed',
        idleNoticeMs: 50,
      });
      const queue = new Queue('spoilt-options', { connection: { url: redis.url } });
      const direct = new Redis(redis.url);
      let other: Promise<QueueWorker> | undefined;
      try {
        const [outcome] = await executor.run([{ id: 'spoilt' }], {
          onEvent: (e) => {
            // Nobody takes the job yet: spoil its options behind the coordinator's back, then serve it.
            if (e.type !== 'waiting' || other !== undefined) return;
            other = (async () => {
              for (const id of await direct.lrange(queue.toKey('wait'), 0, -1))
                await direct.hset(queue.toKey(id), 'opts', '{not json');
              return startQueueWorker({
                redisUrl: redis.url,
                queueName: 'spoilt-options',
                runners: { timed: ref('timed') },
              });
            })();
          },
        });
        assert.equal(outcome?.ok ? '' : outcome?.error.code, 'E_JOB_INVALID', JSON.stringify(outcome));
        assert.match(
          outcome?.ok ? '' : (outcome?.error.message ?? ''),
          /^the stored options of job "[^"]+" \("timed"\) are not JSON \(.+\); it was written to Redis by something other than a quant coordinator$/,
          "the coordinator gives the worker's reason",
        );
      } finally {
        await (await other)?.close();
        await queue.obliterate({ force: true });
        await queue.close();
        direct.disconnect();
      }
    },
  );

  test('a job that vanishes from the queue fails with E_QUEUE instead of being waited for', async () => {
    const executor = createQueueExecutor({
      redisUrl: redis.url,
      queueName: 'vanishing',
      jobName: 'timed',
      idleNoticeMs: 50,
    });
    const queue = new Queue('vanishing', { connection: { url: redis.url } });
    try {
      const [outcome] = await executor.run([{ id: 'gone' }], {
        onEvent: (e) => {
          // The job is in Redis and nobody takes it: remove it behind the coordinator's back.
          if (e.type === 'waiting') void queue.obliterate({ force: true });
        },
      });
      assert.equal(
        outcome?.ok ? '' : outcome?.error.code,
        'E_QUEUE',
        "outcome?.ok ? '' : outcome?.error.code",
      );
      assert.match(
        outcome?.ok ? '' : (outcome?.error.message ?? ''),
        /^job \S+ vanished from the queue/,
        "outcome?.ok ? '' : (outcome?.error.mess… matches /^job \\S+ vanished from the queue/",
      );
    } finally {
      await queue.close();
    }
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
    assert.equal(
      outcome?.ok ? '' : outcome?.error.code,
      'E_INTERRUPTED',
      "outcome?.ok ? '' : outcome?.error.code",
    );
    assert.match(
      outcome?.ok ? '' : (outcome?.error.message ?? ''),
      /^no result within 0\.8 s, not started \(job \S+ removed from the queue\)$/,
      "outcome?.ok ? '' : (outcome?.error.mess… matches /^no result within 0\\.8 s, not started \\(job \\S+ removed fr…",
    );
    const waiting = events.find((e) => e.type === 'waiting');
    assert.match(
      waiting?.type === 'waiting' ? waiting.message : '',
      /queue nobody-listens .*no worker is connected/,
      "waiting?.type === 'waiting' ? waiting.m… matches /queue nobody-listens .*no worker is connected/",
    );
  });

  test('Redis dying mid-run ends the batch with E_QUEUE within the bound', async () => {
    const doomed = await startRedis();
    const executor = createQueueExecutor({
      redisUrl: doomed.url,
      queueName: 'doomed',
      jobName: 'timed',
      idleNoticeMs: 50,
      lostTimeoutMs: 1000,
    });
    const t0 = performance.now();
    let killed: Promise<void> | undefined;
    await assert.rejects(
      executor.run([{ id: 'a' }], {
        onEvent: (e) => {
          if (e.type === 'waiting') killed ??= doomed.kill(); // the jobs are sent: now Redis dies
        },
      }),
      (e: QuantError) => {
        assert.equal(e.code, 'E_QUEUE', 'e.code');
        assert.match(
          e.message,
          /^lost Redis at redis:\/\/127\.0\.0\.1:\d+: no answer for 1\.0 s/,
          'e.message matches /^lost Redis at redis:\\/\\/127\\.0\\.0\\.1:\\d+: no answer for 1…',
        );
        return true;
      },
      'executor.run rejects with E_QUEUE',
    );
    await killed;
    console.log(`Redis killed: E_QUEUE after ${Math.round(performance.now() - t0)} ms (bound 1000 ms)`);
  });

  test('a password-protected Redis: served with the password in the URL, refused without, never printed', async () => {
    const locked = await startRedis({ password: 's3cret pass' });
    const lines: string[] = [];
    const w = await startQueueWorker({
      redisUrl: locked.url,
      queueName: 'private',
      runners: { timed: ref('timed') },
      onLog: (line) => lines.push(line),
    });
    try {
      const executor = createQueueExecutor({ redisUrl: locked.url, queueName: 'private', jobName: 'timed' });
      const [outcome] = await executor.run<Timed>([{ id: 'p' }]);
      assert.equal(outcome?.ok ? outcome.value.id : '', 'p', "outcome?.ok ? outcome.value.id : ''");
      assert.ok(
        lines.some((l) => l.includes(':***@127.0.0.1')),
        `masked in the log: ${lines.join(' | ')}`,
      );
      assert.ok(!lines.some((l) => l.includes('s3cret')), 'the password is never logged');
      const anonymous = createQueueExecutor({
        redisUrl: locked.url.replace(/\/\/[^@]*@/, '//'),
        queueName: 'private',
        jobName: 'timed',
        connectTimeoutMs: 60_000,
      });
      await assert.rejects(
        anonymous.run([{ id: 'q' }]),
        (e: QuantError) => {
          assert.equal(e.code, 'E_QUEUE', 'e.code');
          assert.match(
            e.message,
            /^Redis at redis:\/\/127\.0\.0\.1:\d+ refuses the connection: NOAUTH/,
            'a missing password is said at once, not after the connect timeout',
          );
          assert.match(
            e.hint ?? '',
            /redis:\/\/:password@host:port/,
            'the hint says where the password goes',
          );
          return true;
        },
        'anonymous.run rejects with E_QUEUE',
      );
      const wrongLines: string[] = [];
      await assert.rejects(
        startQueueWorker({
          redisUrl: locked.url.replace(/\/\/[^@]*@/, '//:wrong@'),
          queueName: 'private',
          runners: { timed: ref('timed') },
          onLog: (line) => wrongLines.push(line),
          connectTimeoutMs: 60_000,
        }),
        (e: QuantError) =>
          e.code === 'E_QUEUE' &&
          /refuses the connection: WRONGPASS/.test(e.message) &&
          !e.message.includes('wrong@'),
        'a wrong password fails the worker at once',
      );
      assert.deepEqual(wrongLines, [], 'the worker logs nothing besides the one error');
    } finally {
      await w.close();
      await locked.stop();
    }
  });

  test('a database that is not a whole number is E_USAGE; one the server lacks is E_QUEUE, never database 0', async () => {
    const base = redis.url.replace(/\/$/, '');
    for (const url of [`${base}/abc`, `${base}/?db=abc`, `${base}/1.5`, `${base}/-1`, `${base}/1e2`]) {
      assert.throws(
        () => createQueueExecutor({ redisUrl: url, queueName: 'q', jobName: 'timed' }),
        (e: QuantError) =>
          e.code === 'E_USAGE' &&
          /its database \((path|\?db=) "[^"]+"\) is not a whole number ≥ 0/.test(e.message),
        `${url}: E_USAGE`,
      );
      await assert.rejects(
        startQueueWorker({ redisUrl: url, queueName: 'q', runners: {} }),
        (e: QuantError) => e.code === 'E_USAGE',
        `${url}: the worker refuses it too`,
      );
    }
    const lines: string[] = [];
    await assert.rejects(
      startQueueWorker({ redisUrl: `${base}/99`, queueName: 'q', runners: {}, onLog: (l) => lines.push(l) }),
      (e: QuantError) =>
        e.code === 'E_QUEUE' && /refuses database 99 \(ERR DB index is out of range\)/.test(e.message),
      'a worker on a database the server lacks does not start',
    );
    assert.deepEqual(lines, [], 'nothing served, nothing logged but the error');
    await assert.rejects(
      createQueueExecutor({ redisUrl: `${base}/99`, queueName: 'q', jobName: 'timed' }).run([{ id: 'x' }]),
      (e: QuantError) => e.code === 'E_QUEUE' && /refuses database 99/.test(e.message),
      'a coordinator on a database the server lacks sends nothing',
    );
    // Database 3 is served: a worker there runs the jobs sent there.
    const w = await startQueueWorker({
      redisUrl: `${base}/3`,
      queueName: 'db3',
      runners: { timed: ref('timed') },
    });
    try {
      const [outcome] = await createQueueExecutor({
        redisUrl: `${base}/3`,
        queueName: 'db3',
        jobName: 'timed',
      }).run<Timed>([{ id: 'd3' }]);
      assert.equal(outcome?.ok ? outcome.value.id : '', 'd3', 'database 3 serves its own queue');
    } finally {
      await w.close();
    }
  });

  test('an unreachable Redis or a bad queue name fails fast with a code', async () => {
    const executor = createQueueExecutor({
      redisUrl: 'redis://127.0.0.1:1',
      queueName: 'unit',
      jobName: 'timed',
      connectTimeoutMs: 500,
    });
    await assert.rejects(
      executor.run([{ id: 'a' }]),
      (e: QuantError) => {
        assert.equal(e.code, 'E_QUEUE', 'e.code');
        assert.match(
          e.message,
          /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 within 0\.5 s/,
          'e.message matches /cannot reach Redis at redis:\\/\\/127\\.0\\.0\\.1:1 within 0\\.5…',
        );
        return true;
      },
      'executor.run rejects with E_QUEUE',
    );
    assert.throws(
      () => createQueueExecutor({ redisUrl: redis.url, queueName: 'a:b', jobName: 'timed' }),
      (e: QuantError) => e.code === 'E_USAGE' && /invalid queue name "a:b"/.test(e.message),
      'createQueueExecutor throws E_USAGE',
    );
    assert.throws(
      () => createQueueExecutor({ redisUrl: 'http://x', queueName: 'q', jobName: 'timed' }),
      (e: QuantError) => e.code === 'E_USAGE' && /invalid Redis URL/.test(e.message),
      'createQueueExecutor throws E_USAGE',
    );
  });
});
