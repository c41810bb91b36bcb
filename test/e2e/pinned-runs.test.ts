// Pinned sleeve runs are checked before a meta run writes anything: a pin to a run of another profile is
// E_PIN_PROFILE, a pin to a failed, incomplete or killed run E_PIN_STATUS — each naming the pin (manifest
// JSON path and line, or the sleeve_runs param) and the run's profile or status. `allow_unsuccessful: true`
// on the pin accepts a failed or incomplete run (recorded in the ledger), never a run of another profile
// and never one still being written. Through the built CLI and the SDK.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace, metaManifest } from '../helpers/meta-workspace.js';
import { holdRunLock, writeManifest } from '../helpers/sleeve-fixtures.js';
import { QuantSDK } from '../../src/sdk/quant-sdk.js';
import { QuantError } from '../../src/errors.js';
import { readLedger } from '../../src/artifacts/index.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
const GAMMA = 'gamma_20240101-000000';

/** meta_root with its gamma sleeve (sleeves[1]) pinned as `pin` says. */
function pinnedManifest(pin: Record<string, unknown>): Record<string, unknown> {
  const manifest = metaManifest() as { profiles: Record<string, { sleeves: Record<string, unknown>[] }> };
  const root = manifest.profiles['meta_root'];
  assert.ok(root !== undefined, 'the fixture has meta_root');
  root.sleeves[1] = { id: 'gamma', profile: 'gamma', ...pin };
  return manifest;
}

/** A copy of the gamma run as `id` whose run.json says `status` (and more). */
function gammaRunWith(ws: string, id: string, fields: Record<string, unknown>): void {
  cpSync(join(ws, 'runs', GAMMA), join(ws, 'runs', id), { recursive: true });
  const file = join(ws, 'runs', id, 'run.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, `${JSON.stringify({ ...json, run_id: id, ...fields }, null, 2)}\n`);
}

describe('pinned runs are checked', () => {
  let template: { path: string; cleanup(): void };
  before(async () => {
    template = tempDir('quant-pins-');
    await buildMetaWorkspace(template.path);
    const ws = template.path;
    gammaRunWith(ws, 'gamma_failed', { status: 'failed', pipeline: 'sleeve' });
    gammaRunWith(ws, 'gamma_incomplete', {
      status: 'incomplete',
      interrupted_stage: 'sleeve.backtest',
      last_completed_stage: null,
    });
    // Says running, but no process holds it: killed.
    gammaRunWith(ws, 'gamma_killed', { status: 'running' });
    // Says running, and this very process holds its lock.
    gammaRunWith(ws, 'gamma_live', { status: 'running' });
    holdRunLock(join(ws, 'runs', 'gamma_live'));
    // A predecessor folder of gamma without its weights file.
    cpSync(join(ws, 'runs', 'beta_legacy'), join(ws, 'runs', 'gamma_legacy_torn'), { recursive: true });
    writeFileSync(
      join(ws, 'runs', 'gamma_legacy_torn', 'config', 'resolved_manifest.json'),
      '{"profile": "gamma"}\n',
    );
    rmSync(join(ws, 'runs', 'gamma_legacy_torn', 'data', 'portfolio_flattened.json'));
  });
  after(() => template.cleanup());

  /** A copy of the template with meta_root's gamma pinned as `pin` says. */
  async function workspace(pin: Record<string, unknown>): Promise<{ path: string; cleanup(): void }> {
    const ws = tempDir('quant-pins-');
    cpSync(template.path, ws.path, { recursive: true });
    await writeManifest(ws.path, pinnedManifest(pin));
    return ws;
  }

  /** `quant meta run` must fail with `code`, one line naming each of `where`, and leave runs/ as it was. */
  async function refused(
    pin: Record<string, unknown>,
    code: string,
    where: readonly string[],
  ): Promise<void> {
    const ws = await workspace(pin);
    try {
      const before = readdirSync(join(ws.path, 'runs')).sort();
      const r = quant(['meta', 'run', '--profile', 'meta_root', '--workspace', ws.path], { env: EPOCH });
      assert.equal(r.code, 1, `exit 1: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${r.stderr}`);
      assert.ok(lines[0]?.startsWith(`${code}: `), `code ${code}: ${r.stderr}`);
      for (const w of where) assert.ok(r.stderr.includes(w), `names ${w}: ${r.stderr}`);
      assert.deepEqual(readdirSync(join(ws.path, 'runs')).sort(), before, 'no run folder made');
    } finally {
      ws.cleanup();
    }
  }

  const PIN = 'profiles.meta_root.sleeves[1].run_id';

  test('a pin to a run of another profile is E_PIN_PROFILE, whatever allow_unsuccessful says', async () => {
    const where = [PIN, 'manifest.json:', 'alpha_20240101-000000', 'profile alpha, not of gamma'];
    await refused({ run_id: 'alpha_20240101-000000' }, 'E_PIN_PROFILE', where);
    await refused({ run_id: 'alpha_20240101-000000', allow_unsuccessful: true }, 'E_PIN_PROFILE', where);
  });

  test('a pin to a predecessor run folder of another profile is E_PIN_PROFILE', async () => {
    await refused({ run_id: 'beta_legacy' }, 'E_PIN_PROFILE', [
      PIN,
      'pinned predecessor run beta_legacy is a run of profile beta, not of gamma',
    ]);
  });

  test('a pin to a failed, incomplete or killed run is E_PIN_STATUS naming its status', async () => {
    await refused({ run_id: 'gamma_failed' }, 'E_PIN_STATUS', [
      PIN,
      'gamma_failed',
      'has status failed (failed: pipeline sleeve)',
    ]);
    await refused({ run_id: 'gamma_incomplete' }, 'E_PIN_STATUS', [
      PIN,
      'has status incomplete (interrupted during stage sleeve.backtest)',
    ]);
    await refused({ run_id: 'gamma_killed' }, 'E_PIN_STATUS', [
      PIN,
      'has status incomplete (its process is gone)',
    ]);
    await refused({ run_id: 'gamma_legacy_torn' }, 'E_PIN_STATUS', [
      PIN,
      'pinned predecessor run gamma_legacy_torn of gamma has status incomplete (no data/portfolio_flattened.json)',
    ]);
  });

  test('a run still being written is refused even with allow_unsuccessful', async () => {
    await refused({ run_id: 'gamma_live', allow_unsuccessful: true }, 'E_PIN_STATUS', [
      PIN,
      `is still running (held by pid ${process.pid}`,
    ]);
  });

  test('allow_unsuccessful without run_id is E_MANIFEST at its JSON path', async () => {
    await refused({ allow_unsuccessful: true }, 'E_MANIFEST', [
      'profiles.meta_root.sleeves[1].allow_unsuccessful',
      'applies to a pinned run',
    ]);
  });

  test('allow_unsuccessful accepts a failed run and the ledger records it as a decision', async () => {
    const ws = await workspace({ run_id: 'gamma_failed', allow_unsuccessful: true });
    try {
      const r = quant(['meta', 'run', '--profile', 'meta_root', '--run-id', 'm', '--workspace', ws.path], {
        env: EPOCH,
      });
      assert.equal(r.code, 0, r.stderr);
      const ledger = await readLedger(join(ws.path, 'runs', 'm', 'audit.jsonl'));
      const decisions = ledger.filter((e) => e.type === 'decision' && e.step === 'meta.pin_unsuccessful');
      assert.equal(decisions.length, 1, 'one decision for the one unsuccessful pin');
      assert.deepEqual(
        decisions[0]?.data,
        {
          sleeve: 'gamma',
          profile: 'gamma',
          run_id: 'gamma_failed',
          status: 'failed',
          detail: 'failed: pipeline sleeve',
          pin: PIN,
          allow_unsuccessful: true,
        },
        'the decision names the sleeve, the run, its status and the pin',
      );
      const resolved = JSON.parse(
        readFileSync(join(ws.path, 'runs', 'm', 'config', 'resolved_manifest.json'), 'utf8'),
      ) as { sleeves: { id: string; unsuccessful?: unknown }[] };
      assert.deepEqual(
        resolved.sleeves.find((s) => s.id === 'gamma')?.unsuccessful,
        { status: 'failed', detail: 'failed: pipeline sleeve', pin: PIN },
        'the resolved manifest says so too',
      );
      assert.equal(
        resolved.sleeves.filter((s) => s.unsuccessful !== undefined).length,
        1,
        'successful runs carry no such mark',
      );
    } finally {
      ws.cleanup();
    }
  });

  test('SDK: the same checks, as QuantErrors with the pin and the run in their details', async () => {
    const ws = await workspace({ run_id: 'gamma_incomplete' });
    try {
      const error = await QuantSDK.runMeta('meta_root', { workspace: ws.path, env: EPOCH }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
      assert.equal(error.code, 'E_PIN_STATUS', error.message);
      assert.equal(error.location?.jsonPath, PIN, 'located at the pin');
      assert.equal(error.details['status'], 'incomplete', 'details.status');
      assert.equal(error.details['run_id'], 'gamma_incomplete', 'details.run_id');
      // A pin through sleeveRuns (the sleeve_runs param) is checked the same way, located there.
      await writeManifest(ws.path, metaManifest());
      const other = await QuantSDK.runMeta('meta_root', {
        workspace: ws.path,
        env: EPOCH,
        sleeveRuns: { gamma: 'delta_20240101-000000' },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(other instanceof QuantError, `a QuantError: ${String(other)}`);
      assert.equal(other.code, 'E_PIN_PROFILE', other.message);
      assert.equal(other.location?.jsonPath, 'sleeve_runs.gamma', 'located at the sleeve_runs param');
      assert.equal(other.details['run_profile'], 'delta', 'details.run_profile');
      assert.ok(!existsSync(join(ws.path, 'runs', 'meta_root_20260101-000000')), 'no meta run folder');
    } finally {
      ws.cleanup();
    }
  });
});
