// The CLI bundle starts from V8 code caches that the build trains (scripts/build-cli.mjs,
// scripts/cli-loader.mjs): the `quant` process from the `cli` cache, the local pool's worker processes
// from the `job` cache. A cache is used only when it was made from this bundle and is whole; anything
// else (damaged, from another bundle, refused by V8, switched off) and the CLI compiles as it starts,
// answering the same; `quant --version` alone answers without the bundle. The damaged caches are tried on a copy of dist/cli, never on the build itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const HASH_BYTES = 32;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `quant <args>` from the package at `root` (node started with `nodeFlags`), the report line on. */
function quantAt(
  root: string,
  args: readonly string[],
  env: Record<string, string> = {},
  nodeFlags: readonly string[] = [],
): Run {
  const r = spawnSync(process.execPath, [...nodeFlags, join(root, 'dist', 'cli', 'main.js'), ...args], {
    cwd: root,
    env: { ...process.env, CI: '1', QUANT_CODE_CACHE_REPORT: '1', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The interrupt budget the loader sets (8 × V8's default of 67,584), unless node was given one. */
const BUDGET = 'interrupt budget 540672';

/** What each process below is asked: a help text, which loads the bundle and a sub-command of it. */
const PROBE = ['meta', 'run', '--help'];
/** Its answer, compiled without any cache (read once). */
let probeAnswer: string | undefined;

/**
 * The code cache part of the report line of the `quant` process (one line, and only it, on stderr for
 * {@link PROBE}), its interrupt budget checked to be `budget`.
 */
function reported(run: Run, budget = BUDGET): string {
  assert.equal(run.code, 0, run.stderr);
  probeAnswer ??= quantAt(REPO, PROBE, { QUANT_CODE_CACHE: 'off' }).stdout;
  assert.match(probeAnswer, /^Usage: quant meta run /, 'the probe prints the help of meta run');
  assert.equal(run.stdout, probeAnswer, 'the same answer whatever the cache');
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, not ${JSON.stringify(run.stderr)}`);
  const [cache, tier] = (lines[0] ?? '').split('; ');
  assert.equal(tier, budget, 'the interrupt budget');
  return cache ?? '';
}

const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

describe('the CLI bundle and its code caches', () => {
  const dir = tempDir('quant-code-cache-');
  const pkg = join(dir.path, 'pkg');
  const cliCache = join(pkg, 'dist', 'cli', 'quant.cli.code-cache');
  let trained: Buffer;
  before(() => {
    // A copy of the package as a user has it: dist/cli, package.json and the dependencies it requires.
    cpSync(join(REPO, 'dist', 'cli'), join(pkg, 'dist', 'cli'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    trained = readFileSync(cliCache);
  });
  after(() => dir.cleanup());

  test('the build trained both caches, and the quant process starts from its own', () => {
    for (const role of ['cli', 'job']) {
      const file = join(REPO, 'dist', 'cli', `quant.${role}.code-cache`);
      assert.ok(existsSync(file), `the build wrote ${file}`);
      const bytes = readFileSync(file);
      assert.ok(
        bytes.subarray(0, HASH_BYTES).equals(sha256(readFileSync(join(REPO, 'dist', 'cli', 'quant.cjs')))),
        `${role}: made from this bundle`,
      );
      assert.ok(
        bytes.subarray(HASH_BYTES, 2 * HASH_BYTES).equals(sha256(bytes.subarray(2 * HASH_BYTES))),
        `${role}: its data whole`,
      );
    }
    assert.equal(reported(quantAt(REPO, PROBE)), 'code cache cli: used', 'the build itself');
    assert.equal(reported(quantAt(pkg, PROBE)), 'code cache cli: used', 'a copy of it');
  });

  test('quant --version (or -V) alone answers without loading the bundle; with more arguments, the CLI does', () => {
    for (const flag of ['--version', '-V']) {
      const fast = quantAt(pkg, [flag]);
      assert.equal(fast.code, 0, fast.stderr);
      assert.equal(fast.stdout, `${VERSION}\n`, `${flag}: the package's version`);
      assert.equal(fast.stderr, '', `${flag}: no report line, the bundle was not loaded`);
    }
    const full = quantAt(pkg, ['--version', '--verbose']);
    assert.equal(full.code, 0, full.stderr);
    assert.equal(full.stdout, `${VERSION}\n`, 'the same version from the CLI itself');
    assert.equal(full.stderr, `code cache cli: used; ${BUDGET}\n`, 'the bundle loaded from its cache');
  });

  test('a worker process of the local pool starts from the job cache and imports the job runner through the loader', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', '_pool-child.js')], {
      env: { ...process.env, QUANT_CODE_CACHE_REPORT: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    const outcome = new Promise<unknown>((resolve) =>
      child.on('message', (m: { type?: string }) => {
        if (m.type === 'done') resolve(m);
      }),
    );
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // A job runner the child must import by URL from a script that came out of the code cache: an
    // import() left in the bundle would fail here ("A dynamic import callback was not specified").
    child.send({
      type: 'run',
      id: 1,
      runner: {
        module: new URL('../../dist/cli/sleeve-job.js', import.meta.url).href,
        exportName: 'runSleeveJob',
      },
      job: { not: 'a sleeve job' },
      attempt: 1,
      settings: {},
    });
    const message = (await outcome) as { type: string; outcome: { ok: boolean; error?: { code: string } } };
    child.disconnect();
    assert.equal(await exited, 0, stderr);
    assert.equal(stderr.trim(), `code cache job: used; ${BUDGET}`, 'the child started from the job cache');
    assert.equal(message.type, 'done', JSON.stringify(message));
    assert.equal(message.outcome.ok, false, 'a job that is not a sleeve job fails');
    assert.match(message.outcome.error?.code ?? '', /^E_(?!INTERNAL)/, JSON.stringify(message.outcome));
  });

  test('a damaged cache, one from another bundle, one V8 refuses, or none: the same answer, compiled afresh', () => {
    const data = trained.subarray(2 * HASH_BYTES);
    const flipped = Buffer.from(data);
    flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] ?? 0) ^ 0xff;
    const otherBundle = Buffer.from(trained);
    otherBundle[0] = (otherBundle[0] ?? 0) ^ 1;
    const garbage = Buffer.alloc(4096, 0x5a);
    const cases: [string, Buffer | undefined, string][] = [
      ['damaged data', Buffer.concat([trained.subarray(0, 2 * HASH_BYTES), flipped]), 'damaged'],
      ['another bundle', otherBundle, 'made from another bundle'],
      ['cut short', trained.subarray(0, 40), 'made from another bundle'],
      [
        'hashes right, not V8 data',
        Buffer.concat([trained.subarray(0, HASH_BYTES), sha256(garbage), garbage]),
        'refused by V8',
      ],
      ['no cache', undefined, 'none'],
    ];
    for (const [what, bytes, why] of cases) {
      if (bytes === undefined) rmSync(cliCache);
      else writeFileSync(cliCache, bytes);
      assert.equal(reported(quantAt(pkg, PROBE)), `code cache cli: ${why}`, what);
    }
    writeFileSync(cliCache, trained);
    assert.equal(
      reported(quantAt(pkg, PROBE, { QUANT_CODE_CACHE: 'off' })),
      'code cache cli: off',
      'switched off',
    );
  });

  test("the loader raises V8's interrupt budget before compiling, unless node was given one", () => {
    // Given on node's command line, it stands; V8 then refuses the cache trained under the loader's.
    const given = quantAt(pkg, PROBE, {}, ['--interrupt-budget=100000']);
    assert.equal(
      reported(given, 'interrupt budget as given to node'),
      'code cache cli: refused by V8',
      'the cache of other V8 flags',
    );
    assert.equal(reported(quantAt(pkg, PROBE)), 'code cache cli: used', 'the default: the trained cache');
  });

  test('QUANT_CODE_CACHE=write: the process leaves a cache the next one starts from', () => {
    rmSync(cliCache, { force: true });
    assert.equal(
      reported(quantAt(pkg, PROBE, { QUANT_CODE_CACHE: 'write' })),
      'code cache cli: none',
      'no cache to start from',
    );
    assert.ok(existsSync(cliCache), 'written when the process exited');
    assert.equal(reported(quantAt(pkg, PROBE)), 'code cache cli: used', 'the next process uses it');
    writeFileSync(cliCache, trained);
  });

  test("the bundle runs zod without its JIT, set before any entry's module is evaluated", () => {
    const source = readFileSync(join(REPO, 'dist', 'cli', 'quant.cjs'), 'utf8');
    const jitless = source.indexOf('config({ jitless: true });');
    assert.ok(jitless > 0, 'the entry sets jitless');
    const entries = [...source.matchAll(/^var (?:cli|poolChild|sleeveJob|windowWorker) = \(\) =>/gm)];
    assert.equal(entries.length, 4, 'the four entries');
    for (const entry of entries) assert.ok((entry.index ?? 0) > jitless, `${entry[0]} after it`);
  });

  test('a user error reads the same with the cache as without', () => {
    const args = ['manifest', 'check', '--workspace', join(dir.path, 'missing')];
    const cached = quantAt(pkg, args);
    const compiled = quantAt(pkg, args, { QUANT_CODE_CACHE: 'off' });
    assert.equal(cached.code, 1, cached.stderr);
    assert.equal(compiled.code, 1, compiled.stderr);
    const message = (r: Run): string => r.stderr.replace(/^code cache cli: .*\n/, '');
    assert.match(message(cached), /^E_\w+: /, 'a coded error');
    assert.equal(message(cached), message(compiled), 'the same words');
    assert.equal(cached.stdout, compiled.stdout, 'the same output');
  });
});
