// Concurrency of `quant meta run` through the built CLI:
// - two runs on one run id: exactly one proceeds; the other exits 1 — naming the lock holder while it
//   holds the lock (made deterministic by stopping the holder with SIGSTOP), or E_RUN_EXISTS after it;
// - eight runs with different run ids at once, over the same sleeve runs and the same cache: all
//   succeed, with artifacts byte-identical to the same runs made one after another (through the SDK).
// concurrency.test.ts (npm test) runs the lock tests and three runs at once; concurrency.slow.test.ts
// (npm run test:slow) eight runs at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readTree } from '../helpers/files.js';
import { CLI, quant, quantAsync, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace } from '../helpers/meta-workspace.js';
import { QuantSDK } from '../../src/sdk/quant-sdk.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

const metaRun = (ws: string, runId: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  quantAsync(['meta', 'run', '--profile', 'meta_root', '--run-id', runId, '--workspace', ws], { env: EPOCH });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.on('close', (code) => r(code)));
}

/** `lockTests`: the two tests on one run id; `parallelRuns`: how many runs with different ids at once. */
export function defineConcurrencySuite(options: { lockTests: boolean; parallelRuns: number }): void {
  describe(`concurrent meta runs${options.lockTests ? '' : ` (${options.parallelRuns} at once)`}`, () => {
    let template: { path: string; cleanup(): void };
    before(async () => {
      template = tempDir('quant-conc-');
      await buildMetaWorkspace(template.path);
    });
    after(() => template.cleanup());

    if (options.lockTests) {
      test('two runs on one run id at once: exactly one proceeds, the other exits 1 with a clear code', async () => {
        const ws = tempDir('quant-conc-');
        try {
          cpSync(template.path, ws.path, { recursive: true });
          const [a, b] = await Promise.all([metaRun(ws.path, 'same'), metaRun(ws.path, 'same')]);
          const codes = [a.code, b.code].sort();
          assert.deepEqual(codes, [0, 1], `${a.stderr}\n${b.stderr}`);
          const loser = a.code === 1 ? a : b;
          assert.match(
            loser.stderr,
            /^(E_RUN_LOCKED: run same is locked by pid \d+ on host .* \(command |E_RUN_EXISTS: run same already exists \(status success\))/,
            'loser.stderr matches /^(E_RUN_LOCKED: run same is locked by pid \\d+ on host .* \\…',
          );
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
          // Stop the first run as soon as its lock exists; retry on the rare miss (it finished first).
          for (let attempt = 0; attempt < 10; attempt++) {
            const id = `held${attempt}`;
            const lockFile = join(ws.path, 'runs', id, '.lock');
            const holder = spawn(
              process.execPath,
              [CLI, 'meta', 'run', '--profile', 'meta_root', '--run-id', id, '--workspace', ws.path],
              {
                env: { ...process.env, CI: '1', ...EPOCH },
                stdio: 'ignore',
              },
            );
            const done = exited(holder);
            let stopped = false;
            while (holder.exitCode === null) {
              if (existsSync(lockFile) && readFileSync(lockFile, 'utf8').includes(`"pid":${holder.pid}`)) {
                stopped = holder.kill('SIGSTOP');
                break;
              }
              await sleep(2);
            }
            if (!stopped || holder.exitCode !== null) {
              await done;
              continue;
            }
            try {
              const before = readTree(join(ws.path, 'runs', id));
              const other = await metaRun(ws.path, id);
              assert.equal(other.code, 1, other.stderr);
              assert.match(
                other.stderr,
                new RegExp(
                  `^E_RUN_LOCKED: run ${id} is locked by pid ${holder.pid} on host \\S+ \\(command [^)]+\\)`,
                ),
                'other.stderr matches new RegExp( `^E_RUN_LOCKED: run ${id} is locked by pid ${ho…',
              );
              assert.deepEqual(
                readTree(join(ws.path, 'runs', id)),
                before,
                'the refused run touched the folder',
              );
            } finally {
              holder.kill('SIGCONT');
            }
            assert.equal(await done, 0, 'the lock holder completes');
            assert.equal(
              quant(['meta', 'validate', '--run-id', id, '--workspace', ws.path]).code,
              0,
              "quant(['meta', 'validate', '--run-id', id, '--workspace', ws.path]).c…",
            );
            return;
          }
          assert.fail('never caught the first run while it held the lock');
        } finally {
          ws.cleanup();
        }
      });
    }

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
