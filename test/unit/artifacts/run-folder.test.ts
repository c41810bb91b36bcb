import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { QuantError } from '../../../src/errors.js';
import { resolveInside } from '../../../src/artifacts/resolve-inside.js';
import {
  assertRunAccepts,
  createOrOpenRun,
  readRunJson,
  runDir,
  runPaths,
  updateRunStatus,
  type RunJson,
  type RunKind,
  type RunStatus,
} from '../../../src/artifacts/run-folder.js';
import {
  listRuns,
  listRunsDetailed,
  resolveLatestRun,
  resolvePinnedRun,
} from '../../../src/artifacts/run-listing.js';
import { quantError, tempDir } from './_temp.js';

const T0 = new Date('2026-01-01T00:00:00Z');

async function makeRun(
  ws: string,
  runId: string,
  profile: string | null,
  status: RunStatus,
  at: string,
  kind: RunKind = 'sleeve',
) {
  const run = await createOrOpenRun({
    workspace: ws,
    runId,
    kind,
    profile,
    params: {},
    toolVersion: '0.1.0',
    now: new Date(at),
  });
  if (status !== 'running') await updateRunStatus(run, status);
  return run;
}

describe('run folders', () => {
  test('createOrOpenRun lays out the folder and writes run.json', async () => {
    const ws = tempDir();
    const run = await createOrOpenRun({
      workspace: ws,
      runId: 'r1',
      kind: 'meta',
      profile: 'meta_x',
      params: { a: 1 },
      toolVersion: '0.1.0',
      now: T0,
    });
    assert.equal(run.created, true, 'run.created');
    assert.equal(run.path, join(ws, 'runs', 'r1'), 'run.path');
    for (const d of ['config', 'data', 'reports']) assert.ok(existsSync(join(run.path, d)), d);
    assert.deepEqual(
      JSON.parse(readFileSync(join(run.path, 'run.json'), 'utf8')),
      {
        schema_version: 1,
        run_id: 'r1',
        kind: 'meta',
        profile: 'meta_x',
        status: 'running',
        created_at: '2026-01-01T00:00:00Z',
        tool_version: '0.1.0',
        params: { a: 1 },
      },
      "JSON.parse(readFileSync(join(run.path, 'run.json'), 'utf8'))",
    );
  });

  test("reopening keeps created_at, kind, the creator's params and tool version; a different profile is refused", async () => {
    const ws = tempDir();
    await createOrOpenRun({
      workspace: ws,
      runId: 'r',
      kind: 'sleeve',
      profile: 'p',
      params: { v: 1 },
      toolVersion: '0.1.0',
      now: T0,
    });
    await updateRunStatus(runPaths(ws, 'r'), 'failed', { error: { code: 'E_X' } });
    const again = await createOrOpenRun({
      workspace: ws,
      runId: 'r',
      kind: 'stage',
      profile: null,
      params: { v: 2 },
      toolVersion: '0.2.0',
      now: new Date('2027-01-01T00:00:00Z'),
    });
    assert.equal(again.created, false, 'again.created');
    assert.equal(again.json.created_at, '2026-01-01T00:00:00Z', 'again.json.created_at');
    assert.equal(again.json.kind, 'sleeve', 'again.json.kind');
    assert.equal(again.json.profile, 'p', 'again.json.profile');
    assert.equal(again.json.status, 'running', 'again.json.status');
    assert.deepEqual(again.json.params, { v: 1 }, "the creator's params (a stage's own are in the ledger)");
    assert.equal(again.json.tool_version, '0.1.0', "the creator's tool version");
    assert.equal((await readRunJson(ws, 'r'))['error'], undefined, 'a reopened run drops the old error');
    await assert.rejects(
      createOrOpenRun({
        workspace: ws,
        runId: 'r',
        kind: 'sleeve',
        profile: 'other',
        params: {},
        toolVersion: '0',
        now: T0,
      }),
      quantError('E_RUN_ID', /already exists for profile p/),
      'createOrOpenRun rejects with E_RUN_ID',
    );
  });

  test('updateRunStatus rewrites status and extra members; fixed members are protected', async () => {
    const ws = tempDir();
    const run = await makeRun(ws, 'u', 'p', 'running', '2026-01-01T00:00:00Z');
    const next = await updateRunStatus(run, 'success', { stages: ['meta.returns'] });
    assert.equal(next.status, 'success', 'next.status');
    const onDisk = await readRunJson(ws, 'u');
    assert.equal(onDisk.status, 'success', 'onDisk.status');
    assert.deepEqual(onDisk['stages'], ['meta.returns'], "onDisk['stages']");
    await assert.rejects(
      updateRunStatus(run, 'success', { created_at: 'x' }),
      TypeError,
      'updateRunStatus rejects with TypeError',
    );
  });

  test('invalid ids are rejected before any file is touched', async () => {
    const ws = tempDir();
    assert.throws(() => runDir(ws, '../x'), quantError('E_RUN_ID'), 'runDir throws E_RUN_ID');
    await assert.rejects(
      createOrOpenRun({
        workspace: ws,
        runId: '../escape',
        kind: 'stage',
        profile: null,
        params: {},
        toolVersion: '0',
        now: T0,
      }),
      quantError('E_RUN_ID'),
      'createOrOpenRun rejects with E_RUN_ID',
    );
    assert.equal(existsSync(join(ws, 'runs')), false, 'runs does not exist');
    assert.equal(existsSync(join(ws, 'escape')), false, 'escape does not exist');
  });

  test('readRunJson: E_RUN_NOT_FOUND for a missing run, E_RUN_CORRUPT naming file and reason', async () => {
    const ws = tempDir();
    await assert.rejects(
      readRunJson(ws, 'nope'),
      quantError('E_RUN_NOT_FOUND', /run nope does not exist/),
      'readRunJson rejects with E_RUN_NOT_FOUND',
    );
    mkdirSync(join(ws, 'runs', 'bad'), { recursive: true });
    await assert.rejects(
      readRunJson(ws, 'bad'),
      quantError('E_RUN_CORRUPT', /run\.json: the run folder has no run\.json/),
      'readRunJson rejects with E_RUN_CORRUPT',
    );
    writeFileSync(join(ws, 'runs', 'bad', 'run.json'), '{"schema_version": 1,');
    await assert.rejects(
      readRunJson(ws, 'bad'),
      quantError('E_RUN_CORRUPT', /bad\/run\.json: not valid JSON/),
      'readRunJson rejects with E_RUN_CORRUPT',
    );
    const run = await makeRun(ws, 'good', 'p', 'success', '2026-01-01T00:00:00Z');
    const json = JSON.parse(readFileSync(run.runJson, 'utf8')) as Record<string, unknown>;
    writeFileSync(run.runJson, JSON.stringify({ ...json, status: 'done' }));
    await assert.rejects(
      readRunJson(ws, 'good'),
      quantError(
        'E_RUN_CORRUPT',
        /"status" must be one of running, success, failed, incomplete, found "done"/,
      ),
      'readRunJson rejects with E_RUN_CORRUPT',
    );
    writeFileSync(run.runJson, JSON.stringify({ ...json, run_id: 'copied' }));
    await assert.rejects(
      readRunJson(ws, 'good'),
      quantError('E_RUN_CORRUPT', /"run_id" must be the folder name/),
      'readRunJson rejects with E_RUN_CORRUPT',
    );
  });
});

describe('listing and resolution', () => {
  test('listRuns sorts by created_at then run id, filters by profile, and reports skipped folders', async () => {
    const ws = tempDir();
    await makeRun(ws, 'b', 'p', 'success', '2026-01-02T00:00:00Z');
    await makeRun(ws, 'a', 'p', 'success', '2026-01-02T00:00:00Z');
    await makeRun(ws, 'z', 'q', 'failed', '2026-01-01T00:00:00Z');
    mkdirSync(join(ws, 'runs', 'empty'));
    mkdirSync(join(ws, 'runs', 'has space'));
    mkdirSync(join(ws, 'runs', '.hidden'));
    assert.deepEqual(
      (await listRuns(ws)).map((r) => r.run_id),
      ['z', 'a', 'b'],
      '(await listRuns(ws)).map((r) => r.run_id)',
    );
    assert.deepEqual(
      (await listRuns(ws, { profile: 'p' })).map((r) => r.run_id),
      ['a', 'b'],
      "(await listRuns(ws, { profile: 'p' })).map((r) => r.run_id)",
    );
    const detailed = await listRunsDetailed(ws);
    assert.deepEqual(
      detailed.skipped.map((s) => s.run_id),
      ['empty', 'has space'],
      'detailed.skipped.map((s) => s.run_id)',
    );
    assert.deepEqual(await listRuns(tempDir()), [], 'await listRuns(tempDir())');
  });

  test('latest = success only, greatest created_at, ties by greatest run id', async () => {
    const ws = tempDir();
    await makeRun(ws, 'p_1', 'p', 'success', '2026-01-01T00:00:00Z');
    await makeRun(ws, 'p_3', 'p', 'failed', '2026-01-09T00:00:00Z');
    await makeRun(ws, 'p_2a', 'p', 'success', '2026-01-05T00:00:00Z');
    await makeRun(ws, 'p_2b', 'p', 'success', '2026-01-05T00:00:00Z');
    await makeRun(ws, 'p_4', 'p', 'running', '2026-01-10T00:00:00Z');
    await makeRun(ws, 'q_9', 'q', 'success', '2026-02-01T00:00:00Z');
    const latest = await resolveLatestRun(ws, 'p');
    assert.equal(latest.runId, 'p_2b', 'latest.runId');
    assert.equal(latest.path, join(ws, 'runs', 'p_2b'), 'latest.path');
    await assert.rejects(
      resolveLatestRun(ws, 'none'),
      quantError(
        'E_RUN_NOT_FOUND',
        /no successful run of profile none in .*runs; run `quant sleeve run --profile none` or pin a run_id/,
      ),
      'resolveLatestRun rejects with E_RUN_NOT_FOUND',
    );
  });

  test('a pinned run is honoured even if not latest or not successful; a missing pin is an error', async () => {
    const ws = tempDir();
    await makeRun(ws, 'old', 'p', 'failed', '2026-01-01T00:00:00Z');
    await makeRun(ws, 'new', 'p', 'success', '2026-01-02T00:00:00Z');
    const pinned = await resolvePinnedRun(ws, 'old');
    assert.equal(pinned.runId, 'old', 'pinned.runId');
    assert.equal(pinned.json?.status, 'failed', 'pinned.json?.status');
    await assert.rejects(
      resolvePinnedRun(ws, 'gone'),
      quantError('E_RUN_NOT_FOUND', /pinned run gone does not exist/),
      'resolvePinnedRun rejects with E_RUN_NOT_FOUND',
    );
    await assert.rejects(
      resolvePinnedRun(ws, '../old'),
      quantError('E_RUN_ID'),
      'resolvePinnedRun rejects with E_RUN_ID',
    );
  });

  test('a pinned run folder that is a symlink out of the workspace is refused (E_PATH_ESCAPE)', async () => {
    const ws = tempDir();
    const outside = tempDir();
    await makeRun(outside, 'elsewhere', 'p', 'success', '2026-01-01T00:00:00Z');
    mkdirSync(join(ws, 'runs'), { recursive: true });
    symlinkSync(join(outside, 'runs', 'elsewhere'), join(ws, 'runs', 'elsewhere'));
    await assert.rejects(
      resolvePinnedRun(ws, 'elsewhere'),
      quantError('E_PATH_ESCAPE'),
      'resolvePinnedRun rejects with E_PATH_ESCAPE',
    );
  });

  test('a predecessor run (no run.json, config/resolved_manifest.json with profile) resolves when pinned', async () => {
    const ws = tempDir();
    mkdirSync(join(ws, 'runs', 'legacy', 'config'), { recursive: true });
    writeFileSync(
      join(ws, 'runs', 'legacy', 'config', 'resolved_manifest.json'),
      JSON.stringify({ profile: 'gulf' }),
    );
    const run = await resolvePinnedRun(ws, 'legacy');
    assert.equal(run.layout, 'predecessor', 'run.layout');
    assert.equal(run.profile, 'gulf', 'run.profile');
    assert.equal(run.json, null, 'run.json');
    await assert.rejects(
      resolveLatestRun(ws, 'gulf'),
      quantError('E_RUN_NOT_FOUND'),
      'resolveLatestRun rejects with E_RUN_NOT_FOUND',
    );
  });
});

describe('resolveInside', () => {
  test('resolves inside paths and refuses .. and absolute escapes', async () => {
    const base = tempDir();
    assert.equal(
      await resolveInside(base, 'data/x.json'),
      join(base, 'data', 'x.json'),
      "await resolveInside(base, 'data/x.json')",
    );
    assert.equal(await resolveInside(base, '.'), base, "await resolveInside(base, '.')");
    assert.equal(await resolveInside(base, 'a/../b'), join(base, 'b'), "await resolveInside(base, 'a/../b')");
    assert.equal(
      await resolveInside(base, '..foo'),
      join(base, '..foo'),
      "await resolveInside(base, '..foo')",
    );
    await assert.rejects(
      resolveInside(base, '../x'),
      quantError('E_PATH_ESCAPE', /points outside/),
      'resolveInside rejects with E_PATH_ESCAPE',
    );
    await assert.rejects(
      resolveInside(base, '/etc/passwd'),
      quantError('E_PATH_ESCAPE'),
      'resolveInside rejects with E_PATH_ESCAPE',
    );
    await assert.rejects(
      resolveInside(join(base, 'sub'), '../sub2/x'),
      quantError('E_PATH_ESCAPE'),
      'resolveInside rejects with E_PATH_ESCAPE',
    );
  });

  test('refuses a path through a symlink that points outside, even to a file not yet created', async () => {
    const base = tempDir();
    const outside = tempDir();
    symlinkSync(outside, join(base, 'link'));
    await assert.rejects(
      resolveInside(base, 'link/new/file.json'),
      quantError('E_PATH_ESCAPE', /symlink/),
      'resolveInside rejects with E_PATH_ESCAPE',
    );
    symlinkSync(join(base, 'data'), join(base, 'inner'));
    mkdirSync(join(base, 'data'));
    assert.equal(
      await resolveInside(base, 'inner/x'),
      join(base, 'inner', 'x'),
      "await resolveInside(base, 'inner/x')",
    );
  });
});

describe('assertRunAccepts', () => {
  const sleeveRun: RunJson = {
    schema_version: 1,
    run_id: 's1_run',
    kind: 'sleeve',
    profile: 's1',
    status: 'success',
    created_at: '2025-01-01T00:00:00Z',
    tool_version: '0.0.0',
    params: {},
  };
  const refusal = (stage: Parameters<typeof assertRunAccepts>[1]): QuantError => {
    try {
      assertRunAccepts(sleeveRun, stage);
    } catch (error) {
      assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
      return error;
    }
    assert.fail('expected E_RUN_ID');
  };

  test('a stage that only adds to a finished run is told to name a run of its kind, not a fresh id', () => {
    const trades = refusal({
      kind: 'meta',
      profile: null,
      command: 'stage run meta.trades',
      addsToRun: true,
    });
    assert.equal(trades.code, 'E_RUN_ID', trades.message);
    assert.match(trades.message, /is a sleeve run of profile s1; .*meta\.trades writes a meta run/, 'what');
    assert.match(trades.hint ?? '', /give --run-id the id of a meta run \(quant runs list/, trades.hint);
    assert.doesNotMatch(trades.hint ?? '', /fresh default id/, `no fresh run: ${trades.hint}`);
    const generic = refusal({ kind: 'meta', profile: 'm', command: 'stage run meta.returns' });
    assert.equal(
      generic.hint,
      'choose another --run-id (or omit it for a fresh default id)',
      'other stages keep the generic hint',
    );
  });
});
