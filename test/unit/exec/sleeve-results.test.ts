// The coordinator checks what each sleeve job answers before it pins anything: a worker that answers
// with an old run, nothing, another profile, or a run it never made fails that sleeve with
// E_JOB_INVALID (never E_INTERNAL, never a silent pin); and a produced run must pass the strict audit a
// reused one passes — with QUANT_LEDGER_KEY at the coordinator, a worker without it is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { executeMetaSleeves } from '../../../src/sdk/sleeve-jobs.js';
import { startSleeveWorker } from '../../../src/sdk/sleeve-worker.js';
import { startQueueWorker, type QueueWorker } from '../../../src/exec/queue-worker.js';
import { isQuantError } from '../../../src/errors.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { tempDir } from '../artifacts/_temp.js';
import { buildExecWorkspace, EPOCH, STAMP } from './_exec-workspace.js';
import { ref } from './_runners.js';

const KEY = 'a-ledger-key-of-more-than-thirty-two-bytes-0001';

/** The failures of an E_SLEEVE_FAILED, as `profile code message` lines; fails the test for anything else. */
function failuresOf(error: unknown): string[] {
  assert.ok(isQuantError(error), `a QuantError, not ${String(error)}`);
  assert.equal(error.code, 'E_SLEEVE_FAILED', `E_SLEEVE_FAILED, not ${error.code}: ${error.message}`);
  const failures = (error.details as { failures: { profile: string; code: string; message: string }[] })
    .failures;
  return failures.map((f) => `${f.profile} ${f.code} ${f.message}`);
}

async function failuresFrom(run: Promise<unknown>): Promise<string[]> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error !== undefined, 'the sleeve production must fail');
  return failuresOf(error);
}

describe('the coordinator checks every sleeve result', { timeout: 120_000 }, () => {
  const ws = buildExecWorkspace(tempDir('mf-sleeve-results-'));
  const answer = join(ws, '..', `${ws.split('/').pop() ?? 'x'}-answer.json`);
  let redis: RedisServer;
  let rogue: QueueWorker;
  let old: Record<string, string> = {};
  const bullmq = (queue: string) => ({ executor: 'bullmq' as const, redis: redis.url, queue });
  const at = (epoch: number, extra: Record<string, string> = {}) => ({
    workspace: ws,
    env: { SOURCE_DATE_EPOCH: String(epoch), ...extra },
  });

  before(async () => {
    redis = await startRedis();
    // Genuine runs of a day before: what a rogue answer may point at.
    old = { ...(await executeMetaSleeves('meta_inner', at(EPOCH - 86_400), { concurrency: 2 })).pins };
    rogue = await startQueueWorker({
      redisUrl: redis.url,
      queueName: 'rogue',
      runners: { 'sleeve.backtest': ref('rogueSleeve') },
      settings: { answer },
    });
  });
  after(async () => {
    await rogue.close();
    await redis.stop();
  });

  test('a result naming an old run, nothing, another profile, or a run never made: E_JOB_INVALID', async () => {
    const cases: [string, RegExp][] = [
      ['old', /names run "sectors_20251231-000000" of profile "sectors" instead; it is not used/],
      ['null', /is not a sleeve result \(null: /],
      ['other-profile', /names run "sectors_20260101-000000" of profile "bonds" instead/],
      ['claims', /says produced, and runs\/sectors_20260101-000000 holds no readable run\.json/],
    ];
    for (const [mode, message] of cases) {
      writeFileSync(answer, JSON.stringify({ mode, old }));
      const failures = await failuresFrom(executeMetaSleeves('meta_inner', at(EPOCH), bullmq('rogue')));
      assert.equal(failures.length, 2, `${mode}: both sleeves fail: ${failures.join(' | ')}`);
      assert.ok(
        failures.every((f) => / E_JOB_INVALID the result of the job for run \S+ \(sleeve \w+\) /.test(f)),
        `${mode}: every failure is E_JOB_INVALID naming the job: ${failures.join(' | ')}`,
      );
      assert.match(failures[0] ?? '', message, `${mode}: what was wrong`);
      assert.equal(existsSync(join(ws, 'runs', `sectors_${STAMP}`)), false, `${mode}: no folder left`);
    }
  });

  test('QUANT_LEDGER_KEY at the coordinator and not at the worker: the unsigned sleeves are refused', async () => {
    assert.equal(process.env['QUANT_LEDGER_KEY'], undefined, 'the worker (this process) has no key');
    const worker = await startSleeveWorker({
      redisUrl: redis.url,
      queueName: 'genuine',
      workspace: ws,
      manifest: join(ws, 'manifest.json'),
      concurrency: 2,
      onLog: () => undefined,
    });
    try {
      const failures = await failuresFrom(
        executeMetaSleeves('meta_inner', at(EPOCH + 86_400, { QUANT_LEDGER_KEY: KEY }), bullmq('genuine')),
      );
      assert.equal(failures.length, 2, `both sleeves are refused: ${failures.join(' | ')}`);
      for (const f of failures)
        assert.match(
          f,
          /^\w+ E_AUDIT_SIGNATURE run \w+_20260102-000000 \(sleeve \w+\) fails the coordinator's strict audit: .*unsigned.* — the process that ran it signs with no QUANT_LEDGER_KEY or another one; give every quant worker the coordinator's QUANT_LEDGER_KEY$/,
          'the failure names the sleeve, the missing signature and the fix',
        );
      // Without a key at the coordinator, the genuine worker's results are checked and used.
      const produced = await executeMetaSleeves('meta_inner', at(EPOCH + 2 * 86_400), bullmq('genuine'));
      assert.deepEqual(
        produced.pins,
        { sectors: 'sectors_20260103-000000', swiss: 'swiss_20260103-000000' },
        'the planned runs are pinned',
      );
    } finally {
      await worker.close();
    }
  });
});
