// Interrupted and existing runs (run-state.ts): a `running` run without a live lock holder is settled to
// `incomplete` under the lock (persisted, temp files of the dead writer removed, the stage it stopped in
// taken from the ledger); a live holder keeps `running`; a run id in use is refused with E_RUN_EXISTS, or
// E_RUN_LOCKED naming a live holder; an empty failed run is discarded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  assertRunIsNew,
  auditRun,
  createOrOpenRun,
  discardEmptyRun,
  ledgerPosition,
  listRuns,
  normalizeIsoDay,
  openLedger,
  removeOrphanTempFiles,
  runPaths,
  writeJsonAtomic,
} from '../../../src/artifacts/index.js';
import { quantError, tempDir } from './_temp.js';

const NOW = new Date('2026-01-01T00:00:00Z');

/** A run left as a killed process leaves it: run.json `running`, a ledger stopping inside `stage`. */
async function crashedRun(
  ws: string,
  runId: string,
  options: { lockPid?: number; stage?: string } = {},
): Promise<void> {
  const run = await createOrOpenRun({
    workspace: ws,
    runId,
    kind: 'meta',
    profile: 'm',
    params: {},
    toolVersion: 't',
    now: NOW,
  });
  const ledger = await openLedger(run.audit, { now: NOW });
  await ledger.append({ type: 'intent', step: 'meta.returns', status: 'started' });
  await ledger.append({ type: 'outcome', step: 'meta.returns', status: 'success' });
  if (options.stage !== undefined)
    await ledger.append({ type: 'intent', step: options.stage, status: 'started' });
  writeFileSync(
    join(run.dataDir, `.meta_optimized_m_hrp.json.${options.lockPid ?? 999999}.0123456789ab.tmp`),
    '{"wei',
  );
  if (options.lockPid !== undefined) {
    const lock = {
      pid: options.lockPid,
      hostname: hostname(),
      command: 'meta run',
      acquired_at: '2026-01-01T00:00:00Z',
      token: 'x',
    };
    writeFileSync(join(run.path, '.lock'), `${JSON.stringify(lock)}\n`);
  }
}

const status = (ws: string, id: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(runPaths(ws, id).runJson), 'utf8')) as Record<string, unknown>;

describe('interrupted runs', () => {
  test('running without a lock is listed and persisted as incomplete, with where it stopped; temp files go', async () => {
    const ws = tempDir();
    await crashedRun(ws, 'r1', { stage: 'meta.optimize' });
    const [run] = await listRuns(ws);
    assert.equal(run?.status, 'incomplete', 'run?.status');
    const json = status(ws, 'r1');
    assert.equal(json['status'], 'incomplete', "json['status']");
    assert.equal(json['interrupted_stage'], 'meta.optimize', "json['interrupted_stage']");
    assert.equal(json['last_completed_stage'], 'meta.returns', "json['last_completed_stage']");
    assert.deepEqual(readdirSync(runPaths(ws, 'r1').dataDir), [], "readdirSync(runPaths(ws, 'r1').dataDir)");
    assert.equal(existsSync(join(runPaths(ws, 'r1').path, '.lock')), false, '.lock does not exist');
  });

  test('a read-only listing (settle: false) reports a dead running run as recorded and writes nothing', async () => {
    const ws = tempDir();
    await crashedRun(ws, 'r1', { stage: 'meta.optimize' });
    const before = readFileSync(runPaths(ws, 'r1').runJson, 'utf8');
    const [run] = await listRuns(ws, { settle: false });
    assert.equal(run?.status, 'running', 'the status as recorded');
    assert.equal(readFileSync(runPaths(ws, 'r1').runJson, 'utf8'), before, 'run.json untouched');
    assert.equal(readdirSync(runPaths(ws, 'r1').dataDir).length, 1, 'nor its temp file');
  });

  test('settling an interrupted run anchors the ledger the dead writer left (unsigned: settling has no key)', async () => {
    const ws = tempDir();
    await crashedRun(ws, 'r2', { stage: 'meta.optimize' });
    const lines = readFileSync(runPaths(ws, 'r2').audit, 'utf8').trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1] as string) as { hash: string };
    await listRuns(ws);
    assert.deepEqual(
      status(ws, 'r2')['ledger'],
      { head_sha256: last.hash, records: lines.length },
      'run.json anchors the whole ledger as it was left',
    );
    const report = await auditRun(ws, 'r2');
    assert.equal(report.anchor.state, 'match', 'and an audit finds it matching');
  });

  test('a stale lock (dead pid on this host) is taken over; a live holder keeps the run running', async () => {
    const ws = tempDir();
    await crashedRun(ws, 'dead', { lockPid: 2 ** 22 + 12345 });
    await crashedRun(ws, 'live', { lockPid: process.pid });
    const byId = new Map((await listRuns(ws)).map((r) => [r.run_id, r.status]));
    assert.equal(byId.get('dead'), 'incomplete', "byId.get('dead')");
    assert.equal(byId.get('live'), 'running', "byId.get('live')");
    assert.equal(status(ws, 'live')['status'], 'running', "status(ws, 'live')['status']");
  });

  test('ledgerPosition: the last intent without outcome, and the last completed stage', async () => {
    const ws = tempDir();
    await crashedRun(ws, 'r2', { stage: 'meta.flatten' });
    assert.deepEqual(
      await ledgerPosition(runPaths(ws, 'r2').audit),
      {
        open: 'meta.flatten',
        lastCompleted: 'meta.returns',
      },
      "await ledgerPosition(runPaths(ws, 'r2').audit)",
    );
    await crashedRun(ws, 'r3');
    assert.deepEqual(
      await ledgerPosition(runPaths(ws, 'r3').audit),
      {
        open: null,
        lastCompleted: 'meta.returns',
      },
      "await ledgerPosition(runPaths(ws, 'r3').audit)",
    );
    assert.deepEqual(
      await ledgerPosition(join(ws, 'nope.jsonl')),
      { open: null, lastCompleted: null },
      "await ledgerPosition(join(ws, 'nope.jsonl'))",
    );
  });
});

describe('removeOrphanTempFiles', () => {
  test("a dead writer's temp files go; a live process's lock attempt in flight stays", async () => {
    const ws = tempDir();
    const dir = join(ws, 'runs', 'r', 'data');
    mkdirSync(dir, { recursive: true });
    // A process that has exited: its pid names no live process (the kernel reuses pids only much later).
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead !== undefined && dead > 0, 'the short-lived process had a pid');
    const deadWrite = join(dir, `.weights.json.${dead}.0123456789ab.tmp`);
    const deadLock = join(ws, 'runs', 'r', `.lock.${dead}.0123456789ab.tmp`);
    // A racer's lock attempt: written, about to be linked to .lock (this process is alive).
    const inFlight = join(ws, 'runs', 'r', `.lock.${process.pid}.abcdef012345.tmp`);
    for (const f of [deadWrite, deadLock, inFlight]) writeFileSync(f, '{');
    const removed = await removeOrphanTempFiles(join(ws, 'runs', 'r'));
    assert.deepEqual(
      removed.sort(),
      [deadLock, deadWrite].sort(),
      "only the dead writer's files are removed",
    );
    assert.ok(existsSync(inFlight), "the live racer's lock attempt is left to it");
  });
});

describe('assertRunIsNew', () => {
  test('absent, or nothing but a lock, temp files and empty folders: new', async () => {
    const ws = tempDir();
    await assertRunIsNew(ws, 'fresh');
    mkdirSync(join(ws, 'runs', 'empty', 'data'), { recursive: true });
    writeFileSync(join(ws, 'runs', 'empty', '.run.json.123.0123456789ab.tmp'), '{');
    await assertRunIsNew(ws, 'empty');
  });

  test('an existing run is refused, naming its status and where an incomplete one stopped', async () => {
    const ws = tempDir();
    const run = await createOrOpenRun({
      workspace: ws,
      runId: 'done',
      kind: 'meta',
      profile: 'm',
      params: {},
      toolVersion: 't',
      now: NOW,
    });
    await writeJsonAtomic(run.runJson, { ...run.json, status: 'success' });
    await assert.rejects(
      assertRunIsNew(ws, 'done'),
      quantError(
        'E_RUN_EXISTS',
        /^run done already exists \(status success\); choose another --run-id or delete runs\/done$/,
      ),
      'assertRunIsNew rejects with E_RUN_EXISTS',
    );
    await crashedRun(ws, 'cut', { stage: 'meta.report' });
    await assert.rejects(
      assertRunIsNew(ws, 'cut'),
      quantError('E_RUN_EXISTS', /\(status incomplete: interrupted during stage meta\.report\)/),
      'assertRunIsNew rejects with E_RUN_EXISTS',
    );
    assert.equal(status(ws, 'cut')['status'], 'incomplete', "status(ws, 'cut')['status']");
  });

  test('a run whose live holder has the lock: E_RUN_LOCKED naming the holder', async () => {
    const ws = tempDir();
    await crashedRun(ws, 'busy', { lockPid: process.pid });
    await assert.rejects(
      assertRunIsNew(ws, 'busy'),
      quantError('E_RUN_LOCKED', new RegExp(`locked by pid ${process.pid} on host`)),
      'assertRunIsNew rejects with E_RUN_LOCKED',
    );
  });
});

describe('discardEmptyRun', () => {
  test('removes a run of nothing but bookkeeping; keeps one with an artifact', async () => {
    const ws = tempDir();
    const empty = await createOrOpenRun({
      workspace: ws,
      runId: 'e',
      kind: 'stage',
      profile: null,
      params: {},
      toolVersion: 't',
      now: NOW,
    });
    await openLedger(empty.audit, { now: NOW });
    assert.equal(await discardEmptyRun(empty), true, 'await discardEmptyRun(empty)');
    assert.deepEqual(readdirSync(empty.path), [], 'readdirSync(empty.path)');
    const full = await createOrOpenRun({
      workspace: ws,
      runId: 'f',
      kind: 'stage',
      profile: null,
      params: {},
      toolVersion: 't',
      now: NOW,
    });
    await writeJsonAtomic(join(full.dataDir, 'w.json'), { w: 1 });
    assert.equal(await discardEmptyRun(full), false, 'await discardEmptyRun(full)');
    assert.ok(existsSync(full.runJson), 'full.runJson exists');
  });
});

describe('normalizeIsoDay at the ends of the calendar', () => {
  test('an offset never moves a day out of years 0000-9999: the day written is kept', () => {
    for (const [text, day] of [
      ['0000-01-01T00:30+01:00', '0000-01-01'],
      ['9999-12-31T23:00-05:00', '9999-12-31'],
      ['0000-01-01T00:30-01:00', '0000-01-01'],
      ['9999-12-31T23:00Z', '9999-12-31'],
    ] as const) {
      assert.equal(normalizeIsoDay(text), day, `${text} is ${day}`);
    }
  });
});
