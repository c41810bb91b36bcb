// The CLI is an esbuild bundle (scripts/build-cli.mjs): the modules it starts by a path next to its own
// code — the local executor's worker process and the sleeve job runner, the walk-forward's worker
// threads — are entries of the bundle, each started by its small module in dist/cli. Each path is taken here through the built CLI, and the
// bytes must be those of the path that starts nothing: sleeves one at a time against two worker processes
// side by side, a walk-forward on one thread against two threads.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { quant, REPO, tempDir } from '../helpers/cli.js';
import { buildExecWorkspace, EPOCH } from '../unit/exec/_exec-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: String(EPOCH) };

/** Every file under `dir/runs` with its bytes, by path relative to `dir`. */
function runFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(join(dir, 'runs'));
  return out;
}

function assertSameRuns(a: string, b: string, what: string): void {
  const left = runFiles(a);
  const right = runFiles(b);
  assert.deepEqual([...right.keys()], [...left.keys()], `${what}: the same files`);
  for (const [file, bytes] of left) {
    assert.ok(bytes.equals(right.get(file) as Buffer), `${what}: ${file} is the same bytes`);
  }
}

describe('the bundled CLI: worker processes and worker threads', { timeout: 300_000 }, () => {
  const dirs: { path: string; cleanup(): void }[] = [];
  const workspace = (): string => {
    const dir = tempDir('quant-bundle-');
    dirs.push(dir);
    return buildExecWorkspace(dir.path);
  };
  after(() => {
    for (const d of dirs) d.cleanup();
  });

  test("zod's messages in English alone: no other translation is bundled, and a manifest error reads as before", () => {
    const cli = join(REPO, 'dist', 'cli');
    const bundled = readdirSync(cli)
      .filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))
      .flatMap((f) => [
        ...readFileSync(join(cli, f), 'utf8').matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/(\S+)$/gm),
      ])
      .map((m) => m[1]);
    assert.deepEqual(bundled, ['en.js'], 'the locales of zod in dist/cli');
    const ws = workspace();
    const manifest = JSON.parse(readFileSync(join(ws, 'manifest.json'), 'utf8')) as {
      profiles: Record<string, { sleeve?: Record<string, unknown> }>;
    };
    const sleeve = Object.values(manifest.profiles).find((p) => p.sleeve !== undefined)?.sleeve;
    assert.ok(sleeve !== undefined, 'the workspace has a sleeve profile');
    sleeve['train_window'] = 'x';
    writeFileSync(join(ws, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const r = quant(['manifest', 'check'], { cwd: ws });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^E_MANIFEST: .*\.train_window \(line \d+\): expected a number, got "x"/,
      r.stderr,
    );
  });

  test('meta run --execute-sleeves: two worker processes give the bytes of one', () => {
    const [one, two] = [workspace(), workspace()];
    for (const [ws, concurrency] of [
      [one, '1'],
      [two, '2'],
    ] as const) {
      const r = quant(
        [
          'meta',
          'run',
          '--profile',
          'meta',
          '--execute-sleeves',
          '--concurrency',
          concurrency,
          '--run-id',
          'm1',
        ],
        { cwd: ws, env: ENV },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\(3 produced, 0 reused\)/, `concurrency ${concurrency}: every sleeve produced`);
    }
    assertSameRuns(one, two, 'concurrency 1 vs 2');
  });

  // QUANT_THREADS=2 is taken as given (34 windows here): the windows go to two threads started from
  // dist/cli/_window-worker.js, and without that entry the run fails (E_INTERNAL, exit code 2).
  test('sleeve run: the walk-forward on two worker threads gives the bytes of one thread', () => {
    const [one, two] = [workspace(), workspace()];
    for (const [ws, threads] of [
      [one, '1'],
      [two, '2'],
    ] as const) {
      const r = quant(['sleeve', 'run', '--profile', 'sectors', '--run-id', 's1'], {
        cwd: ws,
        env: { ...ENV, QUANT_THREADS: threads },
      });
      assert.equal(r.code, 0, r.stderr);
    }
    assertSameRuns(one, two, 'threads 1 vs 2');
  });
});
