import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  acquireRunLock,
  inspectRunLock,
  isProcessAlive,
  lockHolderState,
  processStartMarker,
  withRunLock,
} from '../../../src/artifacts/run-lock.js';
import { quantError, tempDir } from './_temp.js';

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(
    child.pid !== undefined && !isProcessAlive(child.pid),
    'child.pid !== undefined && !isProcessAlive(child.pid)',
  );
  return child.pid;
}

function staleLock(runPath: string, host = hostname()): void {
  const info = {
    pid: deadPid(),
    hostname: host,
    command: 'quant crashed',
    acquired_at: '2026-01-01T00:00:00Z',
    token: 'x',
  };
  writeFileSync(join(runPath, '.lock'), `${JSON.stringify(info)}\n`);
}

interface RacerReport {
  readonly result: 'acquired' | 'refused' | 'done';
  readonly pid?: number;
  readonly code?: string;
  readonly message?: string;
  readonly refusals?: number;
}

/**
 * Starts `n` racer processes, waits until every one has booted (tsx may take seconds on a busy machine),
 * lets them all go at once and resolves with each racer's report line; `finish` is written to every racer
 * afterwards. No step waits on a clock.
 */
async function race(
  runPath: string,
  n: number,
  extraArgs: readonly string[] = [],
  finish = 'release\n',
): Promise<RacerReport[]> {
  const script = fileURLToPath(new URL('./fixtures/lock-racer.ts', import.meta.url));
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, ['--import', 'tsx', script, runPath, ...extraArgs], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map(() => '');
  let failed: Error | undefined;
  const exits = children.map(
    (child) =>
      new Promise<void>((res, rej) =>
        child.once('exit', (code) => {
          if (code === 0) return res();
          failed = new Error(`racer exited ${code}`);
          rej(failed);
        }),
      ),
  );
  for (const exit of exits) exit.catch(() => undefined); // reported through waitFor / Promise.all below
  const lines = (i: number): string[] => outputs[i]!.split('\n').filter((l) => l !== '');
  const waitFor = (ok: () => boolean): Promise<void> =>
    new Promise((res, rej) => {
      const check = (): void =>
        failed !== undefined ? rej(failed) : ok() ? res() : void setTimeout(check, 10);
      check();
    });
  children.forEach((child, i) => {
    child.stdout.on('data', (d: Buffer) => (outputs[i] += d.toString()));
    child.stdin.on('error', () => undefined); // a refused racer has exited already: EPIPE is fine
  });
  await waitFor(() => children.every((_, i) => lines(i)[0] === 'ready'));
  for (const child of children) child.stdin.write('go\n');
  await waitFor(() => children.every((_, i) => lines(i).length >= 2));
  const reports = children.map((_, i) => JSON.parse(lines(i)[1] as string) as RacerReport);
  for (const child of children) child.stdin.end(finish);
  await Promise.all(exits);
  return reports;
}

/**
 * Checks a journal of `+pid n` / `-pid n` markers: every hold opens after the previous one closed (no two
 * holders at once) and each racer completed all its holds. Returns a description of the first violation.
 */
function overlapIn(journal: string, racers: number, cycles: number): string | undefined {
  let holder: string | undefined;
  const holds = new Map<string, number>();
  for (const [i, line] of journal
    .split('\n')
    .filter((l) => l !== '')
    .entries()) {
    const id = line.slice(1);
    if (line.startsWith('+')) {
      if (holder !== undefined) return `line ${i + 1}: ${id} acquired while ${holder} held the lock`;
      holder = id;
    } else {
      if (holder !== id) return `line ${i + 1}: ${id} released a lock held by ${String(holder)}`;
      holder = undefined;
      const pid = id.split(' ')[0] as string;
      holds.set(pid, (holds.get(pid) ?? 0) + 1);
    }
  }
  if (holder !== undefined) return `${holder} never released`;
  if (holds.size !== racers || [...holds.values()].some((h) => h !== cycles))
    return `holds per racer ${JSON.stringify([...holds])}, expected ${racers} × ${cycles}`;
  return undefined;
}

describe('run lock', () => {
  test('one holder at a time; the refusal names pid, host, command and the lock path', async () => {
    const run = join(tempDir(), 'runs', 'r1');
    const lock = await acquireRunLock(run, {
      command: 'quant meta run --profile m',
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const info = JSON.parse(readFileSync(join(run, '.lock'), 'utf8')) as Record<string, unknown>;
    assert.equal(info['pid'], process.pid, "info['pid']");
    assert.equal(info['hostname'], hostname(), "info['hostname']");
    assert.equal(info['command'], 'quant meta run --profile m', "info['command']");
    assert.equal(info['acquired_at'], '2026-01-01T00:00:00Z', "info['acquired_at']");
    const expected = new RegExp(
      `^run r1 is locked by pid ${process.pid} on host ${hostname()} \\(command quant meta run --profile m\\); wait for it or remove ${join(run, '.lock').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} if that process is gone$`,
    );
    await assert.rejects(
      acquireRunLock(run, { command: 'second' }),
      quantError('E_RUN_LOCKED', expected),
      'acquireRunLock rejects with E_RUN_LOCKED',
    );
    await lock.release();
    await lock.release(); // idempotent
    assert.equal(existsSync(join(run, '.lock')), false, '.lock does not exist');
    const again = await acquireRunLock(run, { command: 'third' });
    await again.release();
    assert.deepEqual(readdirSync(run), [], 'no temp or guard files are left behind');
  });

  test('a stale lock (dead pid, same host) is taken over; one from another host is not', async () => {
    const run = join(tempDir(), 'r');
    await acquireRunLock(run, { command: 'mkdir' }).then((l) => l.release());
    staleLock(run);
    const lock = await acquireRunLock(run, { command: 'taker' });
    assert.equal(
      (JSON.parse(readFileSync(lock.path, 'utf8')) as { pid: number }).pid,
      process.pid,
      "(JSON.parse(readFileSync(lock.path, 'utf8'))).pid",
    );
    await lock.release();
    staleLock(run, 'some-other-host.example');
    await assert.rejects(
      acquireRunLock(run, { command: 'x' }),
      quantError('E_RUN_LOCKED', /on host some-other-host\.example/),
      'acquireRunLock rejects with E_RUN_LOCKED',
    );
  });

  test('a pid reused by another process does not keep a lock alive; an unverifiable holder is described', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    try {
      const pid = sleeper.pid as number;
      const marker = processStartMarker(pid);
      assert.ok(marker !== undefined, 'this host has /proc');
      assert.notEqual(marker, processStartMarker(process.pid), 'two processes, two markers');
      const run = join(tempDir(), 'r');
      await acquireRunLock(run, { command: 'mkdir' }).then((l) => l.release());
      const lock = (pidStart?: string) =>
        writeFileSync(
          join(run, '.lock'),
          JSON.stringify({
            pid,
            hostname: hostname(),
            command: 'quant crashed',
            acquired_at: '2026-01-01T00:00:00Z',
            token: 'x',
            ...(pidStart === undefined ? {} : { pid_start: pidStart }),
          }),
        );
      // The holder itself: live, refused.
      lock(marker);
      assert.equal(
        lockHolderState(JSON.parse(readFileSync(join(run, '.lock'), 'utf8'))),
        'live',
        "lockHolderState(JSON.parse(readFileSync(join(run, '.lock'), 'utf8')))",
      );
      await assert.rejects(
        acquireRunLock(run, { command: 'x' }),
        quantError('E_RUN_LOCKED', /\(command quant crashed\); wait for it/),
        'acquireRunLock rejects with E_RUN_LOCKED',
      );
      // Same pid, another process start: the holder is gone, the lock is stale (and settled runs see it).
      lock(`${marker}0`);
      assert.equal((await inspectRunLock(run))?.live, false, '(await inspectRunLock(run))?.live');
      const taken = await acquireRunLock(run, { command: 'taker' });
      assert.equal(
        (JSON.parse(readFileSync(taken.path, 'utf8')) as { pid: number }).pid,
        process.pid,
        "(JSON.parse(readFileSync(taken.path, 'utf8'))).pid",
      );
      await taken.release();
      // No recorded start (an older lock): not guessed stale, but the refusal says what the pid runs now.
      lock(undefined);
      await assert.rejects(
        acquireRunLock(run, { command: 'x' }),
        quantError(
          'E_RUN_LOCKED',
          new RegExp(
            `the lock does not record its holder's start, and pid ${pid} now runs ".*node.* -e setInterval.*" \\(since 2026-01-01T00:00:00Z\\); wait for it`,
          ),
        ),
        'acquireRunLock rejects with E_RUN_LOCKED',
      );
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('createFolder: false never creates the run folder (E_RUN_NOT_FOUND)', async () => {
    const run = join(tempDir(), 'runs', 'absent');
    await assert.rejects(
      acquireRunLock(run, { command: 'x', createFolder: false }),
      quantError('E_RUN_NOT_FOUND', /run folder .*absent does not exist/),
      'acquireRunLock rejects with E_RUN_NOT_FOUND',
    );
    assert.equal(existsSync(run), false, 'run does not exist');
  });

  test('an unreadable lock file is not guessed stale', async () => {
    const run = join(tempDir(), 'r');
    await acquireRunLock(run, { command: 'mkdir' }).then((l) => l.release());
    writeFileSync(join(run, '.lock'), 'garbage');
    await assert.rejects(
      acquireRunLock(run, { command: 'x' }),
      quantError('E_RUN_LOCKED', /cannot be read \(it is not JSON/),
      'acquireRunLock rejects with E_RUN_LOCKED',
    );
  });

  test('release never removes a lock that is no longer ours', async () => {
    const run = join(tempDir(), 'r');
    const lock = await acquireRunLock(run, { command: 'a' });
    writeFileSync(lock.path, JSON.stringify({ ...lock.info, token: 'someone-else' }));
    await lock.release();
    lock.releaseSync();
    assert.equal(existsSync(lock.path), true, 'lock.path exists');
  });

  test('withRunLock releases when the work throws', async () => {
    const run = join(tempDir(), 'r');
    await assert.rejects(
      withRunLock(run, { command: 'w' }, () => Promise.reject(new Error('boom'))),
      /boom/,
      'withRunLock rejects with an error matching /boom/',
    );
    assert.equal(existsSync(join(run, '.lock')), false, '.lock does not exist');
    assert.equal(
      await withRunLock(run, { command: 'w' }, () => Promise.resolve(7)),
      7,
      "await withRunLock(run, { command: 'w' }, () => Promise.resolve(7))",
    );
  });

  test('processes racing for a free lock: exactly one holder', async () => {
    const run = join(tempDir(), 'runs', 'race');
    const reports = await race(run, 4);
    assert.equal(reports.filter((r) => r.result === 'acquired').length, 1, JSON.stringify(reports));
    for (const r of reports.filter((x) => x.result === 'refused')) {
      assert.equal(r.code, 'E_RUN_LOCKED', 'r.code');
      assert.match(
        r.message ?? '',
        /^run race is locked by pid \d+ on host /,
        "r.message ?? '' matches /^run race is locked by pid \\d+ on host /",
      );
    }
    assert.equal(existsSync(join(run, '.lock')), false, 'the holder released it');
  });

  test('processes racing to take over a stale lock: exactly one holder', async () => {
    const run = join(tempDir(), 'runs', 'stale-race');
    await acquireRunLock(run, { command: 'mkdir' }).then((l) => l.release());
    staleLock(run);
    const reports = await race(run, 4);
    assert.equal(reports.filter((r) => r.result === 'acquired').length, 1, JSON.stringify(reports));
    assert.deepEqual(readdirSync(run), [], 'no guard or temp files left');
  });
  test('processes contending for the lock many times: their hold intervals never overlap', async () => {
    const dir = tempDir();
    const run = join(dir, 'runs', 'contended');
    const journal = join(dir, 'journal');
    writeFileSync(journal, '');
    writeFileSync(`${journal}.count`, '0');
    const racers = 4;
    const cycles = 25;
    const reports = await race(run, racers, [journal, String(cycles)], '');
    assert.ok(
      reports.every((r) => r.result === 'done'),
      `every racer finished its holds: ${JSON.stringify(reports)}`,
    );
    const text = readFileSync(journal, 'utf8');
    const overlap = overlapIn(text, racers, cycles);
    assert.equal(overlap, undefined, `hold intervals overlap: ${overlap}\n${text}`);
    assert.equal(
      readFileSync(`${journal}.count`, 'utf8'),
      String(racers * cycles),
      'no increment made under the lock was lost',
    );
    assert.equal(existsSync(join(run, '.lock')), false, 'the last holder released it');
  });
});
