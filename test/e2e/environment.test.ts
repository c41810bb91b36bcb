// Failures of the machine through the built CLI, on real file systems where this host allows making them
// (a read-only bind mount and a tiny tmpfs in a private mount namespace, another user for EACCES), and
// through the writer's test hook elsewhere (the bad-input corpus, category "environment failures"):
// one coded line naming the true cause, exit 1, and no run folder left to block the run id.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO, quant, tempDir } from '../helpers/cli.js';
import { buildSmallMetaWorkspace, SMALL_META_PROFILE } from '../helpers/small-meta-workspace.js';

const SWX = join(REPO, 'data', 'swx_prices.csv');
const SLEEVE = {
  profiles: {
    swx: {
      sleeve: { prices: SWX, assets: ['SBI', 'SPI', 'SII'], risk_profiles: ['hrp'], train_window: 60 },
    },
  },
};

/** Run a shell script in a private mount namespace (mounts vanish with it); `undefined` if not allowed. */
function inMountNamespace(script: string): { code: number; stdout: string; stderr: string } | undefined {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  if (r.error !== undefined) return undefined;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const probe = tempDir('quant-env-probe-');
const CAN_MOUNT =
  inMountNamespace(`mount -t tmpfs -o size=64k tmpfs '${probe.path}' && umount '${probe.path}'`)?.code === 0;
probe.cleanup();
const IS_ROOT = process.getuid?.() === 0;
const CAN_SWITCH_USER = IS_ROOT && spawnSync('setpriv', ['--version']).status === 0;

const q = (args: string[]): string => [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');

function oneCodedLine(stderr: string, code: string): string {
  const line = stderr.trimEnd();
  assert.equal(line.split('\n').length, 1, `one line expected:\n${stderr}`);
  assert.ok(line.startsWith(`${code}: `), `expected ${code}, got: ${line}`);
  return line;
}

describe('environment failures', () => {
  let ws: { path: string; cleanup(): void };
  before(() => {
    ws = tempDir('quant-env-');
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(SLEEVE));
  });
  after(() => ws.cleanup());

  test(
    'a read-only workspace is E_READ_ONLY (EROFS named, not ENOENT), nothing created',
    { skip: CAN_MOUNT ? false : 'needs mount namespaces (root)' },
    () => {
      const w = ws.path;
      const r = inMountNamespace(
        `mount --bind '${w}' '${w}' && mount -o remount,ro,bind '${w}' '${w}' && ` +
          `exec ${q(['sleeve', 'run', '--profile', 'swx', '--run-id', 'ro', '--workspace', w])}`,
      );
      assert.ok(r !== undefined, 'unshare ran');
      assert.equal(r.code, 1, r.stderr);
      const line = oneCodedLine(r.stderr, 'E_READ_ONLY');
      assert.match(
        line,
        /read-only file system \(EROFS\)/,
        'line matches /read-only file system \\(EROFS\\)/',
      );
      assert.doesNotMatch(line, /ENOENT/, 'line does not match /ENOENT/');
      assert.equal(existsSync(join(w, 'runs')), false, 'runs/ was created');
    },
  );

  test(
    'a full disk mid-run is E_DISK_FULL (ENOSPC) and leaves no run folder',
    { skip: CAN_MOUNT ? false : 'needs mount namespaces (root)' },
    () => {
      const w = ws.path;
      const runs = join(w, 'runs');
      mkdirSync(runs, { recursive: true });
      try {
        // 48 KiB take run.json, the ledger and the first artifacts; the returns matrix does not fit.
        const r = inMountNamespace(
          `mount -t tmpfs -o size=48k tmpfs '${runs}' && ` +
            `${q(['sleeve', 'run', '--profile', 'swx', '--run-id', 'full', '--workspace', w])}; ` +
            `code=$?; echo "left:$(ls -A '${runs}' | tr '\\n' ' ')"; exit $code`,
        );
        assert.ok(r !== undefined, 'unshare ran');
        assert.equal(r.code, 1, r.stderr);
        const line = oneCodedLine(r.stderr, 'E_DISK_FULL');
        assert.match(
          line,
          /no space left on device \(ENOSPC\)/,
          'line matches /no space left on device \\(ENOSPC\\)/',
        );
        assert.match(line, /runs\/full\//, 'line matches /runs\\/full\\//');
        assert.equal(r.stdout.trim(), 'left:', `left behind on the full disk: ${r.stdout}`);
      } finally {
        rmSync(runs, { recursive: true, force: true });
      }
    },
  );

  test(
    'a workspace this user may not write is E_PERMISSION (EACCES)',
    { skip: IS_ROOT && !CAN_SWITCH_USER ? 'root without setpriv: the mode bits do not bind root' : false },
    () => {
      const w = tempDir('quant-env-acl-');
      try {
        writeFileSync(join(w.path, 'manifest.json'), JSON.stringify(SLEEVE));
        chmodSync(w.path, 0o555);
        const args = [CLI, 'sleeve', 'run', '--profile', 'swx', '--run-id', 'acc', '--workspace', w.path];
        const r = IS_ROOT
          ? spawnSync(
              'setpriv',
              ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args],
              { encoding: 'utf8', cwd: '/', env: { ...process.env, CI: '1' } },
            )
          : spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: '1' } });
        assert.equal(r.status, 1, r.stderr);
        assert.match(
          oneCodedLine(r.stderr, 'E_PERMISSION'),
          /permission denied \(EACCES\)/,
          "oneCodedLine(r.stderr, 'E_PERMISSION') matches /permission denied \\(EACCES\\)/",
        );
        assert.equal(existsSync(join(w.path, 'runs')), false, 'runs/ was created');
      } finally {
        chmodSync(w.path, 0o755);
        w.cleanup();
      }
    },
  );

  test('a CSV above the default input limit is refused before it is read, naming both sizes', () => {
    const big = join(ws.path, 'big.csv');
    // A sparse file: 600 MiB long, nothing on disk. Reading it would need a 600 MiB string.
    writeFileSync(big, '');
    truncateSync(big, 600 * 1024 ** 2);
    const r = quant(
      [
        'stage',
        'run',
        'portfolio.optimize',
        '--run-id',
        'big',
        '--param',
        `input=${big}`,
        '--workspace',
        ws.path,
      ],
      { cwd: ws.path },
    );
    assert.equal(r.code, 1, r.stderr);
    const line = oneCodedLine(r.stderr, 'E_INPUT_TOO_LARGE');
    assert.ok(line.includes('big.csv is 600 MiB (629,145,600 bytes)'), line);
    assert.ok(line.includes('above the input limit of 256 MiB (268,435,456 bytes)'), line);
    assert.ok(line.includes('QUANT_MAX_INPUT_BYTES'), line);
    assert.equal(existsSync(join(ws.path, 'runs', 'big')), false, 'runs/big was created');
  });

  test('a run the disk filled up (test hook) leaves nothing, and its id then runs', async () => {
    const meta = tempDir('quant-env-meta-');
    try {
      await buildSmallMetaWorkspace(meta.path);
      const args = [
        'meta',
        'run',
        '--profile',
        SMALL_META_PROFILE,
        '--run-id',
        'again',
        '--workspace',
        meta.path,
      ];
      const full = quant(args, { env: { QUANT_FAIL_WRITES: 'ENOSPC:6' } });
      assert.equal(full.code, 1, full.stderr);
      oneCodedLine(full.stderr, 'E_DISK_FULL');
      assert.equal(existsSync(join(meta.path, 'runs', 'again')), false, 'the failed run was left behind');
      const r = quant(args);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      meta.cleanup();
    }
  });

  test('a .cache that is a file never ends a meta run with an internal error', async () => {
    const meta = tempDir('quant-env-cache-');
    try {
      await buildSmallMetaWorkspace(meta.path);
      writeFileSync(join(meta.path, '.cache'), 'not a folder\n');
      const r = quant([
        'meta',
        'run',
        '--profile',
        SMALL_META_PROFILE,
        '--run-id',
        'c',
        '--workspace',
        meta.path,
      ]);
      assert.notEqual(r.code, 2, r.stderr);
      assert.doesNotMatch(r.stderr, /E_INTERNAL/, 'r.stderr does not match /E_INTERNAL/');
    } finally {
      meta.cleanup();
    }
  });

  test('quant runs list shows the folders that are not readable runs, with the reason', () => {
    const w = tempDir('quant-env-list-');
    try {
      writeFileSync(join(w.path, 'manifest.json'), JSON.stringify(SLEEVE));
      const ok = quant(['sleeve', 'run', '--profile', 'swx', '--run-id', 'good', '--workspace', w.path]);
      assert.equal(ok.code, 0, ok.stderr);
      mkdirSync(join(w.path, 'runs', 'torn'));
      writeFileSync(join(w.path, 'runs', 'torn', 'run.json'), '{"schema_version": 1, "run_id": "to');
      mkdirSync(join(w.path, 'runs', 'bare'));
      writeFileSync(join(w.path, 'runs', 'bare', 'notes.txt'), 'x');
      mkdirSync(join(w.path, 'runs', 'bad name'));
      const text = quant(['runs', 'list', '--workspace', w.path]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        /^good\s+sleeve\s+swx\s+success\s/m,
        'text.stdout matches /^good\\s+sleeve\\s+swx\\s+success\\s/m',
      );
      assert.match(
        text.stdout,
        /^torn\s+\?\s+\?\s+unreadable\s+.*run\.json: not valid JSON/m,
        'text.stdout matches /^torn\\s+\\?\\s+\\?\\s+unreadable\\s+.*run\\.json: not valid JSON…',
      );
      assert.match(
        text.stdout,
        /^bare\s+\?\s+\?\s+unreadable\s+no run\.json$/m,
        'text.stdout matches /^bare\\s+\\?\\s+\\?\\s+unreadable\\s+no run\\.json$/m',
      );
      assert.match(
        text.stdout,
        /^bad name\s+\?\s+\?\s+unreadable\s+the folder name is not a valid run id$/m,
        'text.stdout matches /^bad name\\s+\\?\\s+\\?\\s+unreadable\\s+the folder name is not …',
      );
      const json = JSON.parse(quant(['runs', 'list', '--json', '--workspace', w.path]).stdout) as {
        run_id: string;
        status: string;
        reason?: string;
      }[];
      assert.deepEqual(
        json.map((r) => [r.run_id, r.status]),
        [
          ['good', 'success'],
          ['bad name', 'unreadable'],
          ['bare', 'unreadable'],
          ['torn', 'unreadable'],
        ],
        'json.map((r) => [r.run_id, r.status])',
      );
      assert.ok(
        json.filter((r) => r.status === 'unreadable').every((r) => (r.reason ?? '') !== ''),
        'every unreadable run has a reason',
      );
    } finally {
      w.cleanup();
    }
  });
});
