// The run cache is optional: a `.cache` that is a file, a full disk, a read-only or unwritable cache
// folder, a `.cache` that leads out of a confined workspace never fail or downgrade a finished meta run.
// The run exits 0 with status success, says so in one warning line (CLI stderr, SDK onWarning) and records
// a `cache.store` decision in its ledger. Through the built CLI, the SDK, and — where this host allows
// it (root, mount namespaces) — on real read-only, full and foreign-owned file systems.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { CLI, quant, tempDir } from '../helpers/cli.js';
import { SMALL_META_PROFILE, buildSmallMetaWorkspace } from '../helpers/small-meta-workspace.js';
import { readTree } from '../helpers/files.js';
import { QuantSDK } from '../../src/sdk/quant-sdk.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
const argv = (ws: string, id: string): string[] => [
  'meta',
  'run',
  '--profile',
  SMALL_META_PROFILE,
  '--run-id',
  id,
  '--workspace',
  ws,
];

interface Rec {
  type: string;
  step: string;
  status: string;
  context: Record<string, unknown>;
  data: Record<string, unknown>;
}
const ledger = (runDir: string): Rec[] =>
  readFileSync(join(runDir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);

/** The run succeeded, and its ledger records exactly one failed store with `code`. */
function assertStoreFailureRecorded(ws: string, id: string, code: string): Rec {
  const runDir = join(ws, 'runs', id);
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string };
  assert.equal(run.status, 'success', 'run.json says success');
  const decisions = ledger(runDir).filter((r) => r.step.startsWith('cache.'));
  assert.equal(decisions.length, 1, `one cache decision: ${JSON.stringify(decisions)}`);
  const d = decisions[0] as Rec;
  assert.equal(d.type, 'decision', 'a decision record');
  assert.equal(d.step, 'cache.store', 'about storing the entry');
  assert.equal(d.status, 'failed', 'the store failed');
  assert.equal(d.data['code'], code, `the code: ${JSON.stringify(d.data)}`);
  assert.match(String(d.context['cache']), /^\.cache\/meta\/[0-9a-f]{64}$/, 'names the entry');
  const what = code === 'E_PATH_ESCAPE' ? 'refused to write' : 'cannot store the cache entry';
  assert.ok(String(d.data['reason']).startsWith(`${what} .cache/meta/`), String(d.data['reason']));
  return d;
}

/** One `warning:` line on stderr naming the code, the entry and the cause. */
function assertOneWarning(stderr: string, code: string, cause: RegExp): string {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one warning line expected:\n${stderr}`);
  const line = lines[0] as string;
  assert.ok(line.startsWith(`warning: ${code}: cannot store the cache entry .cache/meta/`), line);
  assert.match(line, cause, line);
  assert.ok(line.endsWith('; the run is complete without its cache entry'), line);
  return line;
}

/** Run a shell script in a private mount namespace (mounts vanish with it); `undefined` if not allowed. */
function inMountNamespace(script: string): { code: number; stdout: string; stderr: string } | undefined {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...EPOCH },
  });
  if (r.error !== undefined) return undefined;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const probe = tempDir('quant-cache-probe-');
const CAN_MOUNT =
  inMountNamespace(`mount -t tmpfs -o size=64k tmpfs '${probe.path}' && umount '${probe.path}'`)?.code === 0;
probe.cleanup();
const IS_ROOT = process.getuid?.() === 0;
const CAN_SWITCH_USER = IS_ROOT && spawnSync('setpriv', ['--version']).status === 0;
const q = (args: string[]): string => [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');

async function smallWorkspace(prefix: string): Promise<{ path: string; cleanup(): void }> {
  const ws = tempDir(prefix);
  await buildSmallMetaWorkspace(ws.path);
  return ws;
}

describe('the cache is optional', () => {
  test('CLI: a .cache that is a file: exit 0, status success, one warning, a ledger decision', async () => {
    const ws = await smallWorkspace('quant-cache-file-');
    try {
      writeFileSync(join(ws.path, '.cache'), 'not a folder\n');
      const r = quant(argv(ws.path, 'f'), { env: EPOCH });
      assert.equal(r.code, 0, r.stderr);
      assertOneWarning(r.stderr, 'E_WORKSPACE_IO', /: \.cache is a file, not a folder \(ENOTDIR\);/);
      assertStoreFailureRecorded(ws.path, 'f', 'E_WORKSPACE_IO');
      assert.equal(readFileSync(join(ws.path, '.cache'), 'utf8'), 'not a folder\n', '.cache untouched');
      assert.equal(quant(['audit', 'verify', 'f', '--workspace', ws.path]).code, 0, 'the ledger verifies');
      const v = quant(['meta', 'validate', '--run-id', 'f', '--workspace', ws.path]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    } finally {
      ws.cleanup();
    }
  });

  test('CLI: a full cache disk (test hook, cache writes only): exit 0, no entry, no temp folder', async () => {
    const ws = await smallWorkspace('quant-cache-enospc-');
    try {
      const r = quant(argv(ws.path, 'n'), { env: { ...EPOCH, QUANT_FAIL_WRITES: 'ENOSPC:1:/.cache/' } });
      assert.equal(r.code, 0, r.stderr);
      assertOneWarning(r.stderr, 'E_DISK_FULL', /: no space left on device \(ENOSPC\);/);
      assertStoreFailureRecorded(ws.path, 'n', 'E_DISK_FULL');
      assert.deepEqual(readdirSync(join(ws.path, '.cache', 'meta')), [], 'nothing left in .cache/meta');
      // The next run stores its entry: the failure cost one entry, nothing else.
      const again = quant(argv(ws.path, 'n2'), { env: EPOCH });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stderr, '', 'no warning once the disk has room');
      assert.equal(readdirSync(join(ws.path, '.cache', 'meta')).length, 1, 'the entry is stored');
    } finally {
      ws.cleanup();
    }
  });

  test('SDK: a .cache that is a file resolves with the run and says so through onWarning', async () => {
    const ws = await smallWorkspace('quant-cache-sdk-');
    try {
      writeFileSync(join(ws.path, '.cache'), 'x');
      const warnings: string[] = [];
      const result = await QuantSDK.runMeta(SMALL_META_PROFILE, {
        workspace: ws.path,
        runId: 's',
        env: { ...process.env, ...EPOCH },
        onWarning: (w) => warnings.push(w),
      });
      assert.equal(result.cacheHit, false, 'no hit');
      assert.equal(warnings.length, 1, `one warning: ${warnings.join(' | ')}`);
      assert.match(
        warnings[0] as string,
        /^E_WORKSPACE_IO: cannot store the cache entry \.cache\/meta\//,
        'the code, then what could not be done',
      );
      assertStoreFailureRecorded(ws.path, 's', 'E_WORKSPACE_IO');
    } finally {
      ws.cleanup();
    }
  });

  test('SDK: a tampered entry is a recorded miss with a warning; the run replaces it', async () => {
    const ws = await smallWorkspace('quant-cache-sdk-tamper-');
    try {
      const env = { ...process.env, ...EPOCH };
      const first = await QuantSDK.runMeta(SMALL_META_PROFILE, { workspace: ws.path, runId: 'a', env });
      assert.equal(first.cacheHit, false, 'the first run computes');
      const [key] = readdirSync(join(ws.path, '.cache', 'meta'));
      const stored = join(ws.path, '.cache', 'meta', key as string, 'files', 'data');
      writeFileSync(join(stored, 'meta_optimized_small_hrp.json'), '{"weights":{"a":1}}\n');
      const warnings: string[] = [];
      const second = await QuantSDK.runMeta(SMALL_META_PROFILE, {
        workspace: ws.path,
        runId: 'b',
        env,
        onWarning: (w) => warnings.push(w),
      });
      assert.equal(second.cacheHit, false, 'a tampered entry is never a hit');
      assert.equal(warnings.length, 1, `one warning: ${warnings.join(' | ')}`);
      assert.match(
        warnings[0] as string,
        /not used: files\/data\/meta_optimized_small_hrp\.json does not match the SHA-256 its ledger records/,
        'the warning names the file and why',
      );
      const decision = ledger(join(ws.path, 'runs', 'b')).find((r) => r.step === 'cache.lookup');
      assert.ok(decision !== undefined && decision.status === 'rejected', 'a rejected lookup is recorded');
      const a = readTree(join(ws.path, 'runs', 'a', 'data'));
      const b = readTree(join(ws.path, 'runs', 'b', 'data'));
      for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name) as Buffer), `${name} differs`);
      const third = await QuantSDK.runMeta(SMALL_META_PROFILE, { workspace: ws.path, runId: 'c', env });
      assert.equal(third.cacheHit, true, 'the entry was replaced by a valid one');
    } finally {
      ws.cleanup();
    }
  });

  test('SDK confined: a .cache leading out of the workspace is a warning, nothing written out', async () => {
    const ws = await smallWorkspace('quant-cache-confined-');
    const outside = tempDir('quant-cache-outside-');
    try {
      symlinkSync(outside.path, join(ws.path, '.cache'));
      const warnings: string[] = [];
      const result = await QuantSDK.runMeta(SMALL_META_PROFILE, {
        workspace: ws.path,
        runId: 'm',
        env: { ...process.env, ...EPOCH },
        confine: true,
        onWarning: (w) => warnings.push(w),
      });
      assert.equal(result.cacheHit, false, 'no hit');
      assert.equal(warnings.length, 1, `one warning: ${warnings.join(' | ')}`);
      assert.match(warnings[0] as string, /^E_PATH_ESCAPE: /, 'the confinement refusal');
      assertStoreFailureRecorded(ws.path, 'm', 'E_PATH_ESCAPE');
      assert.deepEqual(readdirSync(outside.path), [], 'nothing written outside the workspace');
    } finally {
      ws.cleanup();
      outside.cleanup();
    }
  });

  test(
    'a read-only cache folder (bind mount): exit 0, E_READ_ONLY warning',
    { skip: CAN_MOUNT ? false : 'needs mount namespaces (root)' },
    async () => {
      const ws = await smallWorkspace('quant-cache-ro-');
      try {
        const cache = join(ws.path, '.cache');
        mkdirSync(cache);
        const r = inMountNamespace(
          `mount --bind '${cache}' '${cache}' && mount -o remount,ro,bind '${cache}' '${cache}' && ` +
            `exec ${q(argv(ws.path, 'ro'))}`,
        );
        assert.ok(r !== undefined, 'unshare ran');
        assert.equal(r.code, 0, r.stderr);
        assertOneWarning(r.stderr, 'E_READ_ONLY', /: read-only file system \(EROFS\);/);
        assertStoreFailureRecorded(ws.path, 'ro', 'E_READ_ONLY');
      } finally {
        ws.cleanup();
      }
    },
  );

  test(
    'a full cache file system (8 KiB tmpfs): exit 0, E_DISK_FULL warning, the tmpfs left empty',
    { skip: CAN_MOUNT ? false : 'needs mount namespaces (root)' },
    async () => {
      const ws = await smallWorkspace('quant-cache-full-');
      try {
        const cache = join(ws.path, '.cache');
        mkdirSync(cache);
        const r = inMountNamespace(
          `mount -t tmpfs -o size=8k tmpfs '${cache}' && ${q(argv(ws.path, 'full'))}; ` +
            `code=$?; echo "left:$(ls -A '${cache}/meta' | tr '\\n' ' ')"; exit $code`,
        );
        assert.ok(r !== undefined, 'unshare ran');
        assert.equal(r.code, 0, r.stderr);
        assertOneWarning(r.stderr, 'E_DISK_FULL', /: no space left on device \(ENOSPC\);/);
        assertStoreFailureRecorded(ws.path, 'full', 'E_DISK_FULL');
        assert.match(r.stdout, /^left:$/m, `left behind on the full cache: ${r.stdout}`);
      } finally {
        ws.cleanup();
      }
    },
  );

  test(
    'a cache folder this user may not write (EACCES): exit 0, E_PERMISSION warning',
    { skip: CAN_SWITCH_USER ? false : 'needs root and setpriv to run as another user' },
    async () => {
      const ws = await smallWorkspace('quant-cache-acl-');
      try {
        const chownTree = (dir: string): void => {
          chownSync(dir, 65534, 65534);
          for (const name of readdirSync(dir)) {
            const p = join(dir, name);
            if (lstatSync(p).isDirectory()) chownTree(p);
            else chownSync(p, 65534, 65534);
          }
        };
        chownTree(ws.path);
        mkdirSync(join(ws.path, '.cache')); // root's, mode 0755: the run's user may not write it
        const r = spawnSync(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            CLI,
            ...argv(ws.path, 'acc'),
          ],
          { encoding: 'utf8', cwd: '/', env: { ...process.env, CI: '1', ...EPOCH } },
        );
        assert.equal(r.status, 0, r.stderr);
        assertOneWarning(r.stderr, 'E_PERMISSION', /: permission denied \(EACCES\);/);
        assertStoreFailureRecorded(ws.path, 'acc', 'E_PERMISSION');
        assert.equal(existsSync(join(ws.path, '.cache', 'meta')), false, 'nothing created in .cache');
      } finally {
        ws.cleanup();
      }
    },
  );
});
