// The content-addressed cache of `quant meta run`: a hit restores every artifact (and the ledger) exactly
// as a miss would write them; any changed input byte is a miss; deleting .cache changes nothing; a writer
// killed while storing an entry leaves a temp folder that the next run removes. (Tampered entries:
// cache-tampering.test.ts; cache failures as warnings: cache-optional.test.ts.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTree } from '../helpers/files.js';
import { CLI, quant, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace } from '../helpers/meta-workspace.js';
import { SMALL_META_PROFILE, buildSmallMetaWorkspace } from '../helpers/small-meta-workspace.js';
import { randomReturns, businessDays, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

function assertSameTree(a: Map<string, Buffer>, b: Map<string, Buffer>): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), '[...a.keys()].sort()');
  for (const [k, v] of a) assert.ok(v.equals(b.get(k) as Buffer), `${k} differs`);
}

describe('meta run cache', () => {
  let ws: { path: string; cleanup(): void };
  let miss: Map<string, Buffer>;
  const run = (id: string, ...extra: string[]): ReturnType<typeof quant> =>
    quant(['meta', 'run', '--profile', 'meta_root', '--run-id', id, '--workspace', ws.path, ...extra], {
      env: EPOCH,
    });

  before(async () => {
    ws = tempDir();
    await buildMetaWorkspace(ws.path);
    const r = run('c1');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /cache hit/, 'r.stdout does not match /cache hit/');
    miss = readTree(join(ws.path, 'runs', 'c1'));
  });
  after(() => ws.cleanup());

  test('a hit writes every artifact and the same ledger as the miss did', () => {
    cpSync(join(ws.path, 'runs', 'c1'), join(ws.path, 'c1-miss'), { recursive: true });
    rmSync(join(ws.path, 'runs', 'c1'), { recursive: true });
    const r = run('c1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cache hit/, 'r.stdout matches /cache hit/');
    assertSameTree(miss, readTree(join(ws.path, 'runs', 'c1')));
    const v = quant(['meta', 'validate', '--run-id', 'c1', '--workspace', ws.path]);
    assert.equal(v.code, 0, v.stdout);
  });

  test('a hit under another run id names its own run in the ledger and report', () => {
    const r = run('c2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cache hit/, 'r.stdout matches /cache hit/');
    const c2 = readTree(join(ws.path, 'runs', 'c2'));
    for (const [k, v] of miss) {
      if (k.startsWith('data/')) assert.ok(v.equals(c2.get(k) as Buffer), `${k} differs`);
    }
    const ledger = c2.get('audit.jsonl')!.toString();
    assert.doesNotMatch(ledger, /runs\/c1\//, 'ledger does not match /runs\\/c1\\//');
    assert.match(
      ledger,
      /runs\/c2\/data\/meta_optimized_meta_root_hrp\.json/,
      'ledger matches /runs\\/c2\\/data\\/meta_optimized_meta_root_hrp\\.json/',
    );
    assert.match(
      c2.get('reports/meta_portfolio_report.md')!.toString(),
      /c2/,
      "c2.get('reports/meta_portfolio_report.m… matches /c2/",
    );
    assert.equal(
      quant(['audit', 'verify', 'c2', '--workspace', ws.path]).code,
      0,
      "quant(['audit', 'verify', 'c2', '--workspace', ws.path]).code",
    );
  });

  test('deleting .cache (or --no-cache) never changes a result', () => {
    rmSync(join(ws.path, '.cache'), { recursive: true });
    rmSync(join(ws.path, 'runs', 'c1'), { recursive: true });
    const r = run('c1', '--no-cache');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /cache hit/, 'r.stdout does not match /cache hit/');
    assertSameTree(miss, readTree(join(ws.path, 'runs', 'c1')));
  });

  test('changing one byte of one sleeve input invalidates the entry', async () => {
    const r1 = run('c3');
    assert.equal(r1.code, 0, r1.stderr);
    // Rewrite gamma's hrp stream with one value changed.
    const dates = businessDays('2023-01-02', 320).slice(20);
    const values = randomReturns(30, dates.length, { vol: 0.008, mean: 0.0004 });
    values[5] = (values[5] as number) + 1e-6;
    await writeSleeveRun(ws.path, {
      runId: 'gamma_20240101-000000',
      profile: 'gamma',
      streams: {
        hrp: { dates, returns: values },
        risk_parity: { dates, returns: randomReturns(31, dates.length, { vol: 0.008, mean: 0.0004 }) },
      },
      weights: {
        hrp: [{ Symbol: 'GLD', Weight: 1, Net_Weight: 1, Direction: 'LONG' }],
        risk_parity: [{ Symbol: 'GLD', Weight: 1, Net_Weight: 1, Direction: 'LONG' }],
      },
    });
    const r2 = run('c4');
    assert.equal(r2.code, 0, r2.stderr);
    assert.doesNotMatch(r2.stdout, /cache hit/, 'r2.stdout does not match /cache hit/');
  });
});

describe('a kill during the cache store', () => {
  test('leaves a complete temp folder, which the next run removes before storing its entry', async () => {
    const ws = tempDir('quant-cache-kill-');
    try {
      await buildSmallMetaWorkspace(ws.path);
      const args = (id: string): string[] => [
        CLI,
        'meta',
        'run',
        '--profile',
        SMALL_META_PROFILE,
        '--run-id',
        id,
        '--workspace',
        ws.path,
      ];
      // The hook kills the process right before the rename that would publish the entry.
      const killed = spawnSync(process.execPath, args('k1'), {
        env: { ...process.env, CI: '1', ...EPOCH, QUANT_CRASH_CACHE_STORE: '1' },
        encoding: 'utf8',
      });
      assert.equal(killed.signal, 'SIGKILL', `killed at the store: ${killed.status} ${killed.stderr}`);
      const cache = join(ws.path, '.cache', 'meta');
      const left = readdirSync(cache);
      assert.equal(left.length, 1, `one folder left: ${left.join(', ')}`);
      assert.match(left[0] as string, /^\.tmp-[0-9a-f]{8}-\d+-\d+-[0-9a-f]{12}$/, 'a temp folder, no entry');
      assert.ok(existsSync(join(cache, left[0] as string, 'entry.json')), 'built completely, not published');

      const next = quant(args('k2').slice(1), { env: EPOCH });
      assert.equal(next.code, 0, next.stderr);
      assert.equal(next.stderr, '', 'no warning: the temp folder of a dead writer is not an entry');
      assert.doesNotMatch(next.stdout, /cache hit/, 'the killed store published nothing');
      const after = readdirSync(cache);
      assert.equal(after.length, 1, `only the entry: ${after.join(', ')}`);
      assert.match(after[0] as string, /^[0-9a-f]{64}$/, 'the entry of the second run');
      const third = quant(args('k3').slice(1), { env: EPOCH });
      assert.match(third.stdout, /cache hit/, 'and it is used');
    } finally {
      ws.cleanup();
    }
  });
});
