// Where an output may land (checkOutputPath): never on run state — a run's record, ledger or lock,
// another run's folder, the cache, the manifest — neither directly nor through a symlink of the file or
// of a parent folder; confined calls only into the run folder or exports/.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutputPath, type OutputPolicy } from '../../../src/artifacts/index.js';
import { quantError, tempDir } from './_temp.js';

function workspace(): { ws: string; policy: OutputPolicy; outside: string } {
  const ws = tempDir('mf-output-');
  const outside = tempDir('mf-output-outside-');
  for (const id of ['mine', 'other']) {
    mkdirSync(join(ws, 'runs', id, 'data'), { recursive: true });
    writeFileSync(join(ws, 'runs', id, 'run.json'), '{}\n');
    writeFileSync(join(ws, 'runs', id, 'audit.jsonl'), '');
  }
  mkdirSync(join(ws, '.cache', 'meta'), { recursive: true });
  mkdirSync(join(ws, 'data'));
  writeFileSync(join(ws, 'manifest.json'), '{}\n');
  return {
    ws,
    outside,
    policy: { workspace: ws, runDir: join(ws, 'runs', 'mine'), manifest: join(ws, 'manifest.json') },
  };
}

const check = (given: string, ws: string, policy: OutputPolicy): Promise<string> =>
  checkOutputPath(given, join(ws, given), policy);

describe('checkOutputPath', () => {
  test('run state is refused by name, place and kind, each saying why', async () => {
    const { ws, policy } = workspace();
    const refused: [string, RegExp][] = [
      ['runs/mine/run.json', /"run\.json" is run state \(the record of a run\)/],
      ['runs/mine/audit.jsonl', /"audit\.jsonl" is run state/],
      ['runs/mine/.lock', /"\.lock" is run state/],
      ['data/run.json', /"run\.json" is run state/],
      ['runs/other/data/w.json', /folder of another run \(runs\/other\), not in this run's runs\/mine/],
      ['runs/new/w.json', /folder of another run \(runs\/new\)/],
      // A file directly in runs/ is no run's folder; a run folder named as a file is that run's.
      ['runs/w.json', /it would lie directly in runs\/, which holds run folders only/],
      ['runs/other', /folder of another run \(runs\/other\)/],
      ['runs', /it is the runs\/ folder/],
      ['runs/mine', /it is the run folder itself/],
      ['.cache/meta/x.json', /lies in the run cache \.cache\//],
      ['manifest.json', /it is the workspace manifest/],
      ['runs/mine/.reservation.json', /"\.reservation\.json" is run state \(a coordinator's reservation/],
      ['.quant/workspace.json', /lies in the workspace's own state \.quant\/ \(its id/],
    ];
    for (const [given, why] of refused) {
      await assert.rejects(check(given, ws, policy), quantError('E_OUTPUT_FORBIDDEN', why), given);
    }
  });

  test('without a run id nothing under runs/ may receive an output', async () => {
    const { ws, policy } = workspace();
    await assert.rejects(
      check('runs/mine/data/w.json', ws, { ...policy, runDir: undefined }),
      quantError('E_OUTPUT_FORBIDDEN', /no run id names it as the run being written/),
      'check rejects with E_OUTPUT_FORBIDDEN',
    );
  });

  test('the run folder, other workspace folders and paths outside are allowed', async () => {
    const { ws, policy, outside } = workspace();
    for (const given of ['runs/mine/data/w.json', 'runs/mine/reports/x.md', 'data/w.json', 'w.json']) {
      assert.equal(await check(given, ws, policy), join(ws, given), given);
    }
    assert.equal(
      await checkOutputPath('/x', join(outside, 'w.json'), policy),
      join(outside, 'w.json'),
      "await checkOutputPath('/x', join(outside, 'w.json'), policy)",
    );
  });

  test('a symlink to run state is refused: the file, a dangling link, a parent folder', async () => {
    const { ws, policy } = workspace();
    symlinkSync(join(ws, 'runs', 'other', 'run.json'), join(ws, 'data', 'to-run-json.json'));
    symlinkSync('../runs/other/data/later.json', join(ws, 'data', 'dangling.json'));
    symlinkSync(join(ws, 'runs', 'other'), join(ws, 'data', 'other-run'));
    symlinkSync(join(ws, '.cache'), join(ws, 'runs', 'mine', 'data', 'cache'));
    symlinkSync(join(ws, 'manifest.json'), join(ws, 'runs', 'mine', 'data', 'manifest-link.json'));
    const refused: [string, RegExp][] = [
      [
        'data/to-run-json.json',
        /resolves through a link to runs\/other\/run\.json: "run\.json" is run state/,
      ],
      ['data/dangling.json', /resolves through a link to runs\/other\/data\/later\.json: .*another run/],
      ['data/other-run/data/w.json', /resolves through a link to runs\/other\/data\/w\.json/],
      ['runs/mine/data/cache/meta/k.json', /resolves through a link to \.cache\/meta\/k\.json: .*run cache/],
      ['runs/mine/data/manifest-link.json', /resolves through a link to manifest\.json: .*manifest/],
    ];
    for (const [given, why] of refused) {
      await assert.rejects(check(given, ws, policy), quantError('E_OUTPUT_FORBIDDEN', why), given);
    }
  });

  test('a folder outside the workspace that holds a run.json is another run', async () => {
    const { policy, outside } = workspace();
    mkdirSync(join(outside, 'runs', 'r1', 'data'), { recursive: true });
    writeFileSync(join(outside, 'runs', 'r1', 'run.json'), '{}\n');
    await assert.rejects(
      checkOutputPath('x', join(outside, 'runs', 'r1', 'data', 'w.json'), policy),
      quantError('E_OUTPUT_FORBIDDEN', /lies in the run folder .*r1 \(it holds a run\.json\)/),
      'checkOutputPath rejects with E_OUTPUT_FORBIDDEN',
    );
  });

  test('confined: only the run folder and exports/ receive outputs', async () => {
    const { ws, policy, outside } = workspace();
    const confined = { ...policy, confined: true };
    assert.equal(
      await check('runs/mine/data/w.json', ws, confined),
      join(ws, 'runs/mine/data/w.json'),
      "await check('runs/mine/data/w.json', ws, confined)",
    );
    assert.equal(
      await check('exports/w.json', ws, confined),
      join(ws, 'exports/w.json'),
      "await check('exports/w.json', ws, confined)",
    );
    for (const given of ['data/w.json', 'w.json', 'exports']) {
      await assert.rejects(
        check(given, ws, confined),
        quantError('E_OUTPUT_FORBIDDEN', /only into the run folder \(runs\/mine\/\) or exports\//),
        given,
      );
    }
    await assert.rejects(
      checkOutputPath('/w.json', join(outside, 'w.json'), confined),
      quantError('E_OUTPUT_FORBIDDEN', /only into the run folder/),
      'checkOutputPath rejects with E_OUTPUT_FORBIDDEN',
    );
  });
});
