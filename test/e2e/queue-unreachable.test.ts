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
});
