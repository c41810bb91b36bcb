// An unreachable Redis (a port nothing listens on) fails `quant meta run --executor bullmq` and
// `quant worker` with one E_QUEUE line, and a fresh copy of examples/demo is left as it was: no runs/, no
// .quant/ (docs/hardening.md: failed runs leave no empty runs/).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, quant, tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/redis.js';

describe('an unreachable Redis leaves the workspace as it was', { timeout: 60_000 }, () => {
  let url = '';
  before(async () => {
    url = `redis://127.0.0.1:${await freePort()}`;
  });

  const fresh = (): { path: string; cleanup(): void } => {
    const ws = tempDir('mf-queue-unreachable-');
    cpSync(join(REPO, 'examples', 'demo'), ws.path, { recursive: true });
    return ws;
  };
  const made: { cleanup(): void }[] = [];
  after(() => {
    for (const ws of made) ws.cleanup();
  });

  for (const [name, args] of [
    [
      'quant meta run --execute-sleeves --executor bullmq',
      ['meta', 'run', '--profile', 'meta_swiss', '--execute-sleeves', '--executor', 'bullmq'],
    ],
    ['quant worker', ['worker']],
  ] as const) {
    test(`${name}: E_QUEUE, no runs/ and no .quant/`, () => {
      const ws = fresh();
      made.push(ws);
      const before = readdirSync(ws.path).sort();
      const r = quant([...args, '--redis', url], { cwd: ws.path, env: { SOURCE_DATE_EPOCH: '1717200000' } });
      assert.equal(r.code, 1, `exit 1: ${r.stderr}`);
      assert.match(r.stderr, /^E_QUEUE: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/, 'a clean E_QUEUE');
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.deepEqual(readdirSync(ws.path).sort(), before, 'nothing created in the workspace');
    });
  }

  test('every sleeve reusable: the meta run needs no Redis; one to produce: E_QUEUE', () => {
    const ws = fresh();
    made.push(ws);
    const env = { SOURCE_DATE_EPOCH: '1717200000' };
    const meta = ['meta', 'run', '--profile', 'meta_swiss', '--execute-sleeves', '--no-backtest'];
    const local = quant(meta, { cwd: ws.path, env });
    assert.equal(local.code, 0, `the sleeves produced locally: ${local.stderr}`);
    const bullmq = [...meta, '--executor', 'bullmq', '--redis', url, '--json'];
    const reused = quant(bullmq, { cwd: ws.path, env });
    assert.equal(reused.code, 0, `exit 0 without Redis: ${reused.stderr}`);
    const sleeves = (JSON.parse(reused.stdout) as { sleeves: { runs: { status: string }[] } }).sleeves.runs;
    assert.ok(sleeves.length >= 2, `sleeves reported: ${reused.stdout}`);
    assert.ok(
      sleeves.every((s) => s.status === 'reused'),
      `every sleeve reused: ${JSON.stringify(sleeves)}`,
    );
    const rebuild = quant([...bullmq, '--rebuild-sleeves'], { cwd: ws.path, env });
    assert.equal(rebuild.code, 1, `a sleeve to produce needs Redis: ${rebuild.stderr}`);
    const error = (JSON.parse(rebuild.stderr) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'E_QUEUE', `E_QUEUE: ${rebuild.stderr}`);
    assert.match(error.message, /^cannot reach Redis/, 'the message says why');
  });
});
