// `quant audit verify` of a run whose process is gone: killed (SIGKILL through the atomic writer's crash
// hook) after writing artifacts but before recording them, the run is reported incomplete (E_INTERRUPTED,
// exit 1) naming the files written but not recorded — before `quant runs list` settles it and after. A
// run whose lock a live process holds is still being written and verifies as before. Through the built CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { ABC_SLEEVE_MANIFEST, abcPricesCsv, holdRunLock } from '../helpers/sleeve-fixtures.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

const MANIFEST = ABC_SLEEVE_MANIFEST;

const status = (ws: string, id: string): unknown =>
  (JSON.parse(readFileSync(join(ws, 'runs', id, 'run.json'), 'utf8')) as Record<string, unknown>)['status'];

describe('audit verify of a run whose process is gone', () => {
  let ws: { path: string; cleanup(): void };
  /** The run killed after its first data file and before its outcome. */
  let killed = '';
  before(() => {
    ws = tempDir('quant-audit-killed-');
    writeFileSync(join(ws.path, 'p.csv'), abcPricesCsv(61, 40));
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(MANIFEST, null, 2));
    // Kill the run after its n-th atomic write, for n = 1, 2, ..., until a kill leaves artifacts written
    // and the run unfinished.
    for (let n = 1; n <= 60 && killed === ''; n++) {
      const id = `k${n}`;
      const r = quant(['sleeve', 'run', '--profile', 's', '--run-id', id, '--workspace', ws.path], {
        env: { ...EPOCH, QUANT_CRASH_AFTER_WRITES: String(n) },
      });
      assert.ok(
        r.code === 137 || r.code === -1 || r.code === 0,
        `k${n}: killed or done (${r.code} ${r.stderr})`,
      );
      if (r.code === 0) break;
      const data = join(ws.path, 'runs', id, 'data');
      if (status(ws.path, id) === 'running' && existsSync(data) && readdirSync(data).length > 0) killed = id;
    }
    assert.notEqual(killed, '', 'some kill left artifacts written and the run unfinished');
  });
  after(() => ws.cleanup());

  test('before and after settling: E_INTERRUPTED naming the unrecorded files, exit 1', () => {
    for (const when of ['unsettled', 'settled']) {
      if (when === 'settled') {
        const list = quant(['runs', 'list', '--workspace', ws.path]);
        assert.equal(list.code, 0, `runs list: ${list.stderr}`);
        assert.equal(status(ws.path, killed), 'incomplete', 'runs list settled the run');
      }
      const r = quant(['audit', 'verify', killed, '--workspace', ws.path]);
      assert.equal(r.code, 1, `${when}: exit 1 (${r.stdout}${r.stderr})`);
      assert.doesNotMatch(r.stdout, /audit ok/, `${when}: not ok: ${r.stdout}`);
      assert.doesNotMatch(r.stdout, /the run is running/, `${when}: the run is not said to be running`);
      assert.match(
        r.stderr,
        new RegExp(
          `^E_INTERRUPTED: runs/${killed}/run\\.json: run ${killed} is incomplete \\(interrupted during stage sleeve\\.backtest\\): .*\\d+ file\\(s\\) of the run folder written but not recorded in its ledger: .*data/`,
        ),
        `${when}: the line says the run is incomplete and names the unrecorded files`,
      );
      const json = quant(['audit', 'verify', killed, '--json', '--workspace', ws.path]);
      const report = JSON.parse(json.stdout) as { ok: boolean; status: string; problems: { code: string }[] };
      assert.equal(report.ok, false, `${when}: report.ok`);
      assert.equal(report.status, 'incomplete', `${when}: report.status`);
      assert.deepEqual(
        report.problems.map((p) => p.code),
        ['E_INTERRUPTED'],
        `${when}: the only problem is the interruption`,
      );
    }
  });

  test('a run whose lock a live process holds is being written: pending, audit ok', () => {
    const id = 'live';
    cpSync(join(ws.path, 'runs', killed), join(ws.path, 'runs', id), { recursive: true });
    const file = join(ws.path, 'runs', id, 'run.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const { ledger: _anchor, interrupted_stage: _open, last_completed_stage: _done, ...rest } = json;
    writeFileSync(file, `${JSON.stringify({ ...rest, run_id: id, status: 'running' }, null, 2)}\n`);
    holdRunLock(join(ws.path, 'runs', id));
    const r = quant(['audit', 'verify', id, '--workspace', ws.path]);
    assert.equal(r.code, 0, `exit 0: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^anchor: none yet: the run is running/m, 'the anchor is pending');
  });
});
