// Planning sleeve jobs from a meta tree, and the sleeve job's idempotence for its run id (reuse,
// refuse, or clean a half-written attempt).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { parseManifest, resolveMetaTree } from '../../../src/manifest/index.js';
import { planSleeveJobs } from '../../../src/sdk/sleeve-jobs.js';
import { runSleeveJob } from '../../../src/sdk/sleeve-job.js';
import type { SleeveJob } from '../../../src/sdk/sleeve-job-spec.js';
import { verifyLedger } from '../../../src/artifacts/index.js';
import { quantError, tempDir } from '../artifacts/_temp.js';
import { buildExecWorkspace, EPOCH, execManifest, STAMP } from './_exec-workspace.js';

const TIMEOUT = { timeout: 60_000 };

function manifestOf(doc: unknown) {
  return parseManifest(JSON.stringify(doc), 'manifest.json');
}

/** Every file under `dir` with its bytes, for before/after comparisons. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

describe('planSleeveJobs', TIMEOUT, () => {
  const where = { workspace: '/ws', manifestPath: '/ws/manifest.json', now: new Date(EPOCH * 1000 + 900) };

  test('one job per unpinned sleeve profile, in tree order, each profile once; ids from the clock', () => {
    const doc = execManifest();
    doc.profiles['meta_dup'] = {
      sleeves: [
        { id: 'inner', meta_profile: 'meta_inner' },
        { id: 'again', profile: 'sectors' }, // also inside meta_inner
        { id: 'pinned', profile: 'bonds', run_id: 'bonds_old' },
        { id: 'slow', profile: 'slow' },
      ],
    };
    const manifest = manifestOf(doc);
    const jobs = planSleeveJobs(resolveMetaTree(manifest, 'meta_dup'), manifest, {
      ...where,
      pinned: { slow: 'slow_given' },
    });
    assert.deepEqual(jobs, [
      {
        workspace: '/ws',
        manifest: '/ws/manifest.json',
        profile: 'sectors',
        run_id: `sectors_${STAMP}`,
        source_date_epoch: EPOCH,
      },
      {
        workspace: '/ws',
        manifest: '/ws/manifest.json',
        profile: 'swiss',
        run_id: `swiss_${STAMP}`,
        source_date_epoch: EPOCH,
      },
    ] satisfies SleeveJob[]);
  });

  test('a profile that is not a sleeve profile fails before any work, every one listed', () => {
    const doc = execManifest();
    doc.profiles['meta_ghost'] = {
      sleeves: [
        { id: 'a', profile: 'ghost' },
        { id: 'b', profile: 'sectors' },
        { id: 'c', profile: 'phantom' },
      ],
    };
    const manifest = manifestOf(doc);
    assert.throws(
      () => planSleeveJobs(resolveMetaTree(manifest, 'meta_ghost'), manifest, where),
      quantError(
        'E_SLEEVE_FAILED',
        /^Sleeve production failed for: ghost \(E_UNKNOWN_PROFILE: "ghost" \(sleeve a\) is not a sleeve profile.*\); phantom \(E_UNKNOWN_PROFILE: "phantom" \(sleeve c\)/,
      ),
    );
  });
});

describe('runSleeveJob: idempotent for its run id', TIMEOUT, () => {
  const ws = buildExecWorkspace(tempDir('mf-sleeve-job-'));
  const job: SleeveJob = {
    workspace: ws,
    manifest: join(ws, 'manifest.json'),
    profile: 'sectors',
    run_id: `sectors_${STAMP}`,
    source_date_epoch: EPOCH,
  };
  const dir = join(ws, 'runs', job.run_id);
  const writeManifest = (doc: unknown): void =>
    writeFileSync(job.manifest, `${JSON.stringify(doc, null, 2)}\n`);

  test('produces the run with the job clock, then reuses it untouched, even when other profiles change', async () => {
    const first = await runSleeveJob(job);
    assert.equal(first.status, 'produced');
    const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(runJson['status'], 'success');
    assert.equal(runJson['created_at'], '2026-01-01T00:00:00Z');
    const before = snapshot(dir);

    const doc = execManifest();
    (doc.profiles['bonds'] as { sleeve: { train_window: number } }).sleeve.train_window = 200;
    writeManifest(doc);
    const second = await runSleeveJob(job);
    assert.deepEqual(second, {
      ...first,
      status: 'reused',
      summary: `sectors: reused run ${job.run_id} (same inputs)`,
    });
    assert.deepEqual(snapshot(dir), before);
  });

  test('a successful run whose sleeve spec changed is never overwritten (E_RUN_EXISTS)', async () => {
    const doc = execManifest();
    (doc.profiles['sectors'] as { sleeve: { step: number } }).sleeve.step = 42;
    writeManifest(doc);
    try {
      await assert.rejects(
        runSleeveJob(job),
        quantError('E_RUN_EXISTS', /sleeve profile sectors of the manifest differs/),
      );
    } finally {
      writeManifest(execManifest());
    }
  });

  test('a half-written attempt (killed worker: running run.json, partial files, dead lock) starts clean', async () => {
    const half: SleeveJob = { ...job, profile: 'swiss', run_id: `swiss_${STAMP}` };
    const halfDir = join(ws, 'runs', half.run_id);
    mkdirSync(join(halfDir, 'data'), { recursive: true });
    writeFileSync(join(halfDir, 'run.json'), JSON.stringify({ run_id: half.run_id, status: 'running' }));
    writeFileSync(join(halfDir, 'data', 'partial.parquet.tmp'), 'torn');
    writeFileSync(join(halfDir, 'audit.jsonl'), '{"seq":0}\n');
    // A pid that cannot be alive: the lock is stale and taken over.
    writeFileSync(
      join(halfDir, '.lock'),
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        hostname: hostname(),
        command: 'x',
        acquired_at: '',
        token: 't',
      }),
    );
    const result = await runSleeveJob(half, { attempt: 2, progress: () => undefined });
    assert.equal(result.status, 'produced');
    assert.equal(existsSync(join(halfDir, 'data', 'partial.parquet.tmp')), false);
    assert.equal(existsSync(join(halfDir, '.lock')), false);
    assert.equal(JSON.parse(readFileSync(join(halfDir, 'run.json'), 'utf8')).status, 'success');
    assert.equal((await verifyLedger(join(halfDir, 'audit.jsonl'))).ok, true);
  });

  test('a re-delivered job breaks the lock another host left behind; the first delivery never does', async () => {
    const foreign: SleeveJob = { ...job, profile: 'bonds', run_id: `bonds_${STAMP}` };
    const foreignDir = join(ws, 'runs', foreign.run_id);
    mkdirSync(foreignDir, { recursive: true });
    writeFileSync(
      join(foreignDir, '.lock'),
      JSON.stringify({ pid: 1, hostname: 'another-host', command: 'x', acquired_at: '', token: 't' }),
    );
    const lock = JSON.stringify({
      pid: 1,
      hostname: 'another-host',
      command: 'x',
      acquired_at: '',
      token: 't',
    });
    // First delivery: the holder may be alive on its host, so the job waits for the lock to go.
    let settled = false;
    const waiting = runSleeveJob(foreign, { attempt: 1, progress: () => undefined }).finally(
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(settled, false, 'waits while another host holds the lock');
    assert.equal(existsSync(join(foreignDir, 'run.json')), false);
    rmSync(join(foreignDir, '.lock'));
    assert.equal((await waiting).status, 'produced');

    // Re-delivered (its worker's lease expired): that holder is gone, the lock is broken at once.
    rmSync(foreignDir, { recursive: true });
    mkdirSync(foreignDir, { recursive: true });
    writeFileSync(join(foreignDir, '.lock'), lock);
    const result = await runSleeveJob(foreign, { attempt: 2, progress: () => undefined });
    assert.equal(result.status, 'produced');
    assert.equal(JSON.parse(readFileSync(join(foreignDir, 'run.json'), 'utf8')).status, 'success');
  });

  test('a malformed job is E_PARAMS', async () => {
    await assert.rejects(
      runSleeveJob({ ...job, workspace: 'relative/ws' }),
      quantError('E_PARAMS', /workspace: must be an absolute path/),
    );
    await assert.rejects(runSleeveJob({ ...job, run_id: '../escape' }), quantError('E_RUN_ID'));
  });
});
