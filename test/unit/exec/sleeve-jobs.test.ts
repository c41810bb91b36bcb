// Planning sleeve jobs from a meta tree; the coordinator's reservations; and the sleeve job itself:
// idempotent for its run id (reuse, refuse, or clean a half-written attempt), and refusing every job
// that does not prove it belongs to the workspace it runs in — touching nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { parseJsonWithLocations, parseManifest, resolveMetaTree } from '../../../src/manifest/index.js';
import { isQuantError } from '../../../src/errors.js';
import { planSleeveJobs } from '../../../src/sdk/sleeve-jobs.js';
import { runSleeveJob } from '../../../src/sdk/sleeve-job.js';
import { sleeveJobSettings, type SleeveJob } from '../../../src/sdk/sleeve-job-spec.js';
import { reserveSleeveRuns, type PlannedSleeve } from '../../../src/sdk/sleeve-reservation.js';
import { sleeveKey } from '../../../src/sdk/sleeve-key.js';
import { processStartMarker, verifyLedger } from '../../../src/artifacts/index.js';
import type { JobContext } from '../../../src/exec/job.js';
import { quantError, tempDir } from '../artifacts/_temp.js';
import { buildExecWorkspace, EPOCH, execManifest, STAMP } from './_exec-workspace.js';

const TIMEOUT = { timeout: 60_000 };

function manifestOf(doc: unknown) {
  return parseManifest(JSON.stringify(doc), 'manifest.json');
}

/** Every file under `dir` (dot files included) with its bytes, for before/after comparisons. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out.set(`${relative(dir, p)}/`, '');
        walk(p);
      } else out.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

/** A job context serving `ws`, collecting notices. */
function ctxFor(ws: string, attempt = 1, notices: string[] = []): JobContext {
  return {
    attempt,
    settings: sleeveJobSettings({ workspace: ws, manifest: join(ws, 'manifest.json') }),
    progress: () => undefined,
    notice: (m) => void notices.push(m),
  };
}

/** Reserve as the coordinator does and return the one job (fails the test if refused). */
async function reserve(
  ws: string,
  planned: PlannedSleeve,
): Promise<{ job: SleeveJob; release(): Promise<void> }> {
  const r = await reserveSleeveRuns(ws, join(ws, 'manifest.json'), [planned]);
  if (!r.ok) throw new Error(`reservation refused: ${JSON.stringify(r.failures)}`);
  return { job: r.reservations.jobs[0] as SleeveJob, release: () => r.reservations.release() };
}

const planned = (profile: string, epoch = EPOCH): PlannedSleeve => ({
  profile,
  run_id: `${profile}_${STAMP}`,
  source_date_epoch: epoch,
});

describe('planSleeveJobs', TIMEOUT, () => {
  const where = { now: new Date(EPOCH * 1000 + 900) };

  test('one job per unpinned sleeve profile, in tree order, each profile once; ids from the clock; no path', () => {
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
    assert.deepEqual(jobs, [planned('sectors'), planned('swiss')], 'jobs');
  });

  test('a profile that is not a sleeve profile is E_MANIFEST at its entry, every one listed, with a did-you-mean', () => {
    const doc = execManifest();
    doc.profiles['meta_ghost'] = {
      sleeves: [
        { id: 'a', profile: 'bondz' },
        { id: 'b', profile: 'sectors' },
        { id: 'c', profile: 'phantom' },
      ],
    };
    const text = JSON.stringify(doc, null, 2);
    const manifest = manifestOf(doc);
    const { lineOf } = parseJsonWithLocations(text, 'manifest.json');
    const line = (needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    let error: unknown;
    try {
      planSleeveJobs(resolveMetaTree(manifest, 'meta_ghost'), manifest, {
        ...where,
        file: '/ws/manifest.json',
        lineOf,
      });
    } catch (e) {
      error = e;
    }
    assert.ok(isQuantError(error), `a coded error: ${String(error)}`);
    assert.equal(error.code, 'E_MANIFEST', `a manifest error before any work: ${error.message}`);
    assert.deepEqual(
      error.location,
      {
        file: '/ws/manifest.json',
        jsonPath: 'profiles.meta_ghost.sleeves[0].profile',
        line: line('"bondz"'),
      },
      'at the first entry, with its line',
    );
    assert.match(
      error.message,
      /^sleeve a: "bondz" is not a sleeve profile of the manifest \(did you mean "bonds"\?\); profiles\.meta_ghost\.sleeves\[2\]\.profile: sleeve c: "phantom" is not a sleeve profile of the manifest \(its sleeve profiles: sectors, swiss, bonds, slow, broken, broken_column\), so --execute-sleeves cannot produce them$/,
      error.message,
    );
    assert.deepEqual(
      (error.details['problems'] as { path: string; line: number }[]).map((p) => [p.path, p.line]),
      [
        ['profiles.meta_ghost.sleeves[0].profile', line('"bondz"')],
        ['profiles.meta_ghost.sleeves[2].profile', line('"phantom"')],
      ],
      'every entry listed with its line',
    );
  });
});

describe('reserveSleeveRuns (the coordinator)', TIMEOUT, () => {
  const ws = buildExecWorkspace(tempDir('mf-reserve-'));

  test('a job carries the workspace id, the manifest hash, the reservation nonce, and no path', async () => {
    const { job, release } = await reserve(ws, planned('bonds'));
    assert.deepEqual(
      Object.keys(job).sort(),
      ['manifest_sha256', 'profile', 'reservation', 'run_id', 'source_date_epoch', 'workspace_id'],
      'Object.keys(job).sort()',
    );
    const id = JSON.parse(readFileSync(join(ws, '.quant', 'workspace.json'), 'utf8')) as {
      workspace_id: string;
    };
    assert.equal(job.workspace_id, id.workspace_id, 'job.workspace_id');
    const reservation = JSON.parse(
      readFileSync(join(ws, 'runs', job.run_id, '.reservation.json'), 'utf8'),
    ) as Record<string, unknown>;
    assert.equal(reservation['nonce'], job.reservation, "reservation['nonce']");
    assert.equal(reservation['profile'], 'bonds', "reservation['profile']");
    await release();
    assert.equal(existsSync(join(ws, 'runs', job.run_id)), false, 'an unused reserved folder goes again');
  });

  test('refuses a run of another profile or kind, files without run.json, and a live reservation', async () => {
    mkdirSync(join(ws, 'runs', `swiss_${STAMP}`), { recursive: true });
    writeFileSync(
      join(ws, 'runs', `swiss_${STAMP}`, 'run.json'),
      JSON.stringify({
        schema_version: 1,
        run_id: `swiss_${STAMP}`,
        kind: 'meta',
        profile: 'meta',
        status: 'success',
        created_at: '2026-01-01T00:00:00Z',
        tool_version: 'x',
        params: {},
      }),
    );
    mkdirSync(join(ws, 'runs', `bonds_${STAMP}`), { recursive: true });
    writeFileSync(join(ws, 'runs', `bonds_${STAMP}`, 'notes.txt'), 'mine');
    const live = await reserve(ws, planned('sectors'));
    const before = snapshot(join(ws, 'runs'));
    const r = await reserveSleeveRuns(ws, join(ws, 'manifest.json'), [
      planned('swiss'),
      planned('bonds'),
      planned('sectors'),
    ]);
    assert.equal(r.ok, false, 'refused');
    assert.deepEqual(
      r.ok ? [] : r.failures.map((f) => [f.profile, f.error.code]),
      [
        ['swiss', 'E_RUN_EXISTS'],
        ['bonds', 'E_RUN_EXISTS'],
        ['sectors', 'E_RUN_LOCKED'],
      ],
      'r.ok ? [] : r.failures.map((f) => [f.profile, f.error.code])',
    );
    const messages = r.ok ? '' : r.failures.map((f) => f.error.message).join('\n');
    assert.match(
      messages,
      /is a meta run of profile meta, not a sleeve run of swiss/,
      'messages matches /is a meta run of profile meta, not a sleeve run of swiss/',
    );
    assert.match(
      messages,
      /holds files but no run\.json/,
      'messages matches /holds files but no run\\.json/',
    );
    assert.match(
      messages,
      /reserved by another coordinator \(pid \d+/,
      'messages matches /reserved by another coordinator \\(pid \\d+/',
    );
    assert.deepEqual(snapshot(join(ws, 'runs')), before, 'nothing changed');
    await live.release();
    rmSync(join(ws, 'runs'), { recursive: true });
  });
});

describe('runSleeveJob: idempotent for its run id', TIMEOUT, () => {
  const ws = buildExecWorkspace(tempDir('mf-sleeve-job-'));
  const manifestFile = join(ws, 'manifest.json');
  const writeManifest = (doc: unknown): void =>
    writeFileSync(manifestFile, `${JSON.stringify(doc, null, 2)}\n`);

  test('produces the run with the job clock, then reuses it untouched, even when other profiles change', async () => {
    const first = await reserve(ws, planned('sectors'));
    const dir = join(ws, 'runs', first.job.run_id);
    const result = await runSleeveJob(first.job, ctxFor(ws));
    await first.release();
    assert.equal(result.status, 'produced', 'result.status');
    const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(runJson['status'], 'success', "runJson['status']");
    assert.equal(runJson['created_at'], '2026-01-01T00:00:00Z', "runJson['created_at']");
    assert.equal(existsSync(join(dir, '.reservation.json')), false, 'the reservation has served');
    const before = snapshot(dir);

    const doc = execManifest();
    (doc.profiles['bonds'] as { sleeve: { train_window: number } }).sleeve.train_window = 200;
    writeManifest(doc);
    const again = await reserve(ws, planned('sectors'));
    const second = await runSleeveJob(again.job, ctxFor(ws));
    await again.release();
    assert.deepEqual(
      second,
      {
        ...result,
        status: 'reused',
        summary: `sectors: reused run ${first.job.run_id} (same inputs)`,
      },
      'second',
    );
    assert.deepEqual(snapshot(dir), before, 'snapshot(dir)');
    writeManifest(execManifest());
  });

  test('a successful run whose sleeve spec changed is never overwritten (E_RUN_EXISTS)', async () => {
    const doc = execManifest();
    (doc.profiles['sectors'] as { sleeve: { step: number } }).sleeve.step = 42;
    writeManifest(doc);
    const { job, release } = await reserve(ws, planned('sectors'));
    try {
      await assert.rejects(
        runSleeveJob(job, ctxFor(ws)),
        quantError('E_RUN_EXISTS', /sleeve profile sectors of the manifest differs/),
        'runSleeveJob rejects with E_RUN_EXISTS',
      );
    } finally {
      await release();
      writeManifest(execManifest());
    }
    assert.equal(existsSync(join(ws, 'runs', job.run_id, '.reservation.json')), false, 'withdrawn');
  });

  test('a half-written attempt (killed worker: running run.json, partial files, dead lock) starts clean', async () => {
    const halfDir = join(ws, 'runs', `swiss_${STAMP}`);
    mkdirSync(join(halfDir, 'data'), { recursive: true });
    writeFileSync(
      join(halfDir, 'run.json'),
      JSON.stringify({
        schema_version: 1,
        run_id: `swiss_${STAMP}`,
        kind: 'sleeve',
        profile: 'swiss',
        status: 'running',
        created_at: '2026-01-01T00:00:00Z',
        tool_version: 'x',
        params: {},
      }),
    );
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
    const { job, release } = await reserve(ws, planned('swiss'));
    const result = await runSleeveJob(job, ctxFor(ws, 2));
    await release();
    assert.equal(result.status, 'produced', 'result.status');
    assert.equal(
      existsSync(join(halfDir, 'data', 'partial.parquet.tmp')),
      false,
      'data/partial.parquet.tmp does not exist',
    );
    assert.equal(existsSync(join(halfDir, '.lock')), false, '.lock does not exist');
    assert.equal(
      JSON.parse(readFileSync(join(halfDir, 'run.json'), 'utf8')).status,
      'success',
      "JSON.parse(readFileSync(join(halfDir, 'run.json'), 'utf8')).status",
    );
    assert.equal(
      (await verifyLedger(join(halfDir, 'audit.jsonl'))).ok,
      true,
      "(await verifyLedger(join(halfDir, 'audit.jsonl'))).ok",
    );
  });

  test('a lock held by a pid now used by another process is taken over at once', async () => {
    const dir = join(ws, 'runs', `bonds_${STAMP}`);
    mkdirSync(dir, { recursive: true });
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    try {
      const pid = sleeper.pid as number;
      const marker = processStartMarker(pid);
      assert.ok(marker !== undefined, 'this host has /proc');
      // As a killed holder leaves it after the kernel gave its pid to the sleeper: same pid, another start.
      writeFileSync(
        join(dir, '.lock'),
        JSON.stringify({
          pid,
          hostname: hostname(),
          command: 'stage run sleeve.backtest',
          acquired_at: '2026-01-01T00:00:00Z',
          token: 't',
          pid_start: `${marker}0`,
        }),
      );
      const { job, release } = await reserve(ws, planned('bonds'));
      const result = await runSleeveJob(job, ctxFor(ws));
      await release();
      assert.equal(result.status, 'produced', 'result.status');
    } finally {
      sleeper.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true });
  });

  test('a live holder is waited for with a notice within seconds; a re-delivered job breaks a foreign lock', async () => {
    const dir = join(ws, 'runs', `bonds_${STAMP}`);
    const { job, release } = await reserve(ws, planned('bonds'));
    const lock = JSON.stringify({
      pid: 1,
      hostname: 'another-host',
      command: 'x',
      acquired_at: '',
      token: 't',
    });
    writeFileSync(join(dir, '.lock'), lock);
    // First delivery: the holder may be alive on its host, so the job waits — and says so.
    const notices: string[] = [];
    let settled = false;
    const waiting = runSleeveJob(job, ctxFor(ws, 1, notices)).finally(() => (settled = true));
    while (notices.length === 0) await new Promise((r) => setTimeout(r, 50));
    assert.match(
      notices[0] ?? '',
      new RegExp(
        `^waiting for run bonds_${STAMP} \\(\\d+ s so far, at most 60 min\\): run bonds_${STAMP} is locked by pid 1 on host another-host`,
      ),
      "notices[0] ?? '' matches new RegExp( `^waiting for run bonds_${STAMP} \\\\(\\\\d+ s so f…",
    );
    assert.equal(settled, false, 'waits while another host holds the lock');
    assert.equal(existsSync(join(dir, 'run.json')), false, 'run.json does not exist');
    rmSync(join(dir, '.lock'));
    assert.equal((await waiting).status, 'produced', '(await waiting).status');
    await release();

    // Re-delivered (its worker's lease expired): that holder is gone, the lock is broken at once.
    rmSync(dir, { recursive: true });
    const again = await reserve(ws, planned('bonds'));
    writeFileSync(join(dir, '.lock'), lock);
    const result = await runSleeveJob(again.job, ctxFor(ws, 2));
    await again.release();
    assert.equal(result.status, 'produced', 'result.status');
    assert.equal(
      JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status,
      'success',
      "JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status",
    );
  });
  test('a job delivered again while its first worker still runs it waits, then answers with the finished run', async () => {
    const manifest = manifestOf(execManifest());
    const key = await sleeveKey(ws, manifestFile, manifest, 'slow', EPOCH);
    assert.ok(key !== undefined, 'slow has a key');
    const { job, release } = await reserve(ws, { ...planned('slow'), sleeve_key: key.key });
    const dir = join(ws, 'runs', job.run_id);
    try {
      const first = runSleeveJob(job, ctxFor(ws));
      // The first worker is in its stage (run.json written under its lock): its lease lapses, the job comes again.
      while (!existsSync(join(dir, 'run.json'))) await new Promise((r) => setTimeout(r, 10));
      const second = await runSleeveJob(job, ctxFor(ws, 2));
      assert.equal((await first).status, 'produced', 'the first delivery produces');
      assert.equal(second.status, 'reused', `the second answers with the run: ${second.summary}`);
      assert.equal(second.run_id, job.run_id, 'the same run');
      assert.equal(existsSync(join(dir, '.reservation.json')), false, 'the reservation has served');
    } finally {
      await release();
    }
  });

  test('a job delivered again after its run completed (the queue never recorded it) answers with that run, untouched', async () => {
    rmSync(join(ws, 'runs', `bonds_${STAMP}`), { recursive: true, force: true });
    const manifest = manifestOf(execManifest());
    const key = await sleeveKey(ws, manifestFile, manifest, 'bonds', EPOCH);
    assert.ok(key !== undefined, 'bonds has a key');
    const { job, release } = await reserve(ws, { ...planned('bonds'), sleeve_key: key.key });
    const dir = join(ws, 'runs', job.run_id);
    try {
      const first = await runSleeveJob(job, ctxFor(ws));
      assert.equal(first.status, 'produced', 'first delivery produces');
      assert.equal(existsSync(join(dir, '.reservation.json')), false, 'the reservation has served');
      const before = snapshot(dir);
      // Its worker lost the lock before the queue recorded the completion: the job comes again.
      const again = await runSleeveJob(job, ctxFor(ws, 2));
      assert.deepEqual(
        again,
        {
          profile: 'bonds',
          run_id: job.run_id,
          status: 'reused',
          summary: `bonds: run ${job.run_id} was already complete (the job was delivered again), reused untouched`,
          sleeve_key: key.key,
        },
        'the re-delivery answers with the finished run',
      );
      assert.deepEqual(snapshot(dir), before, 'nothing written, not even a lock file');
      // Without a reservation, a run that does not record the job's key is still refused untouched.
      await assert.rejects(
        runSleeveJob({ ...job, sleeve_key: 'f'.repeat(64) }, ctxFor(ws, 2)),
        quantError('E_JOB_REFUSED', /carries the sleeve key f{12}/),
        'another key is refused',
      );
      const other = await sleeveKey(ws, manifestFile, manifest, 'bonds', null);
      assert.ok(other !== undefined, 'the unpinned key');
      await assert.rejects(
        runSleeveJob({ ...job, sleeve_key: other.key }, ctxFor(ws, 2)),
        quantError('E_JOB_REFUSED', /carries no reservation: it was not given to this job/),
        'a run recording another key is not answered for a job without its reservation',
      );
      assert.deepEqual(snapshot(dir), before, 'the refusals touched nothing');
    } finally {
      await release();
    }
    rmSync(dir, { recursive: true });
  });
});

describe('runSleeveJob: a job that does not belong here is refused and touches nothing', TIMEOUT, () => {
  const ws = buildExecWorkspace(tempDir('mf-sleeve-refuse-'));
  const other = buildExecWorkspace(tempDir('mf-sleeve-other-'));

  /** Run `job` in `ws` and expect `code` (message matching `re`), with the workspace unchanged. */
  async function refusedUntouched(job: unknown, code: 'E_JOB_INVALID' | 'E_JOB_REFUSED', re: RegExp) {
    const before = snapshot(ws);
    await assert.rejects(runSleeveJob(job, ctxFor(ws)), quantError(code, re), 'runSleeveJob rejects');
    assert.deepEqual(snapshot(ws), before, 'nothing created, changed or removed');
  }

  test('malformed jobs: paths, unknown keys, wrong types, huge strings (E_JOB_INVALID, never echoed whole)', async () => {
    const { job, release } = await reserve(ws, planned('sectors'));
    try {
      await refusedUntouched(
        { ...job, workspace: other },
        'E_JOB_INVALID',
        /^malformed sleeve job: \(the job\): unknown key "workspace" \(a job names a profile, a run id and the clock; it carries no path\)$/,
      );
      await refusedUntouched(
        { ...job, run_id: '../escape' },
        'E_JOB_INVALID',
        /^malformed sleeve job: run_id: must be a run id/,
      );
      await refusedUntouched(
        { ...job, source_date_epoch: '1767225600' },
        'E_JOB_INVALID',
        /source_date_epoch: Invalid input: expected number, received string/,
      );
      await refusedUntouched(
        '{"profile":"sectors"}',
        'E_JOB_INVALID',
        /\(the job\): Invalid input: expected object, received string/,
      );
      await refusedUntouched([job], 'E_JOB_INVALID', /expected object, received array/);
      const huge = 'x'.repeat(5_000_000);
      const before = snapshot(ws);
      const error = await runSleeveJob({ ...job, profile: huge, [`k${huge}`]: 1 }, ctxFor(ws)).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.equal(
        (error as { code?: string } | undefined)?.code,
        'E_JOB_INVALID',
        '(error as { code?: string } | undefined)?.code',
      );
      assert.ok((error?.message.length ?? Infinity) < 600, `a short message (${error?.message.length})`);
      assert.deepEqual(snapshot(ws), before, 'nothing touched');
      await refusedUntouched(
        { ...job, profile: 'a\u001b[2Jb' },
        'E_JOB_INVALID',
        /profile: must be a profile name/,
      );
    } finally {
      await release();
    }
  });

  test('a job of another workspace, another manifest or a profile the manifest lacks (E_JOB_REFUSED)', async () => {
    const foreign = await reserve(other, planned('sectors'));
    // Same run id, also reserved here: only the workspace id tells the two apart.
    const { job, release } = await reserve(ws, planned('sectors'));
    try {
      await refusedUntouched(
        foreign.job,
        'E_JOB_REFUSED',
        /comes from workspace [0-9a-f]{12}…, and this worker serves .* \(workspace [0-9a-f]{12}…\)/,
      );
      await refusedUntouched(
        { ...job, manifest_sha256: 'f'.repeat(64) },
        'E_JOB_REFUSED',
        /was planned from a manifest with SHA-256 ffffffffffff…, and this worker's manifest .*manifest\.json has [0-9a-f]{12}…/,
      );
      await refusedUntouched(
        { ...job, profile: 'meta' },
        'E_JOB_REFUSED',
        /names profile "meta", which is not a sleeve profile of /,
      );
      await refusedUntouched({ ...job, profile: '__proto__' }, 'E_JOB_REFUSED', /not a sleeve profile/);
    } finally {
      await release();
      await foreign.release();
    }
  });

  test('a run id whose folder was not reserved for this job: missing, a run of another kind, another nonce, a link', async () => {
    const { job, release } = await reserve(ws, planned('sectors'));
    try {
      // No folder: the job never creates one.
      await refusedUntouched(
        { ...job, run_id: 'sectors_other' },
        'E_JOB_REFUSED',
        /run folder .*sectors_other does not exist: no coordinator of this workspace reserved run sectors_other/,
      );
      assert.equal(existsSync(join(ws, 'runs', 'sectors_other')), false, 'runs/sectors_other does not exist');
      // An existing meta run named by a message: not reserved, left untouched.
      const meta = join(ws, 'runs', 'm1');
      mkdirSync(join(meta, 'data'), { recursive: true });
      writeFileSync(join(meta, 'run.json'), '{"kind":"meta"}');
      writeFileSync(join(meta, 'data', 'weights.csv'), 'a,b\n');
      await refusedUntouched(
        { ...job, run_id: 'm1' },
        'E_JOB_REFUSED',
        /run folder .*m1 carries no reservation: it was not given to this job, which leaves it untouched/,
      );
      // The right folder with a guessed nonce, or the nonce with another clock.
      await refusedUntouched(
        { ...job, reservation: '0'.repeat(32) },
        'E_JOB_REFUSED',
        /is reserved for another job/,
      );
      await refusedUntouched(
        { ...job, source_date_epoch: EPOCH + 1 },
        'E_JOB_REFUSED',
        /reserved for this nonce but with another profile, run id or clock/,
      );
      // A symbolic link under runs/ pointing elsewhere is never entered.
      symlinkSync(other, join(ws, 'runs', 'linked'));
      await refusedUntouched({ ...job, run_id: 'linked' }, 'E_JOB_REFUSED', /linked is a symbolic link/);
      assert.equal(existsSync(join(other, '.lock')), false, '.lock does not exist');
    } finally {
      await release();
    }
  });

  test('a process that serves no workspace refuses every job', async () => {
    const { job, release } = await reserve(ws, planned('sectors'));
    try {
      await assert.rejects(
        runSleeveJob(job, { ...ctxFor(ws), settings: {} }),
        quantError('E_JOB_REFUSED', /serves no workspace/),
        'runSleeveJob rejects with E_JOB_REFUSED',
      );
    } finally {
      await release();
    }
  });
});
