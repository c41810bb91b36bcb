// `quant stage run <stage> --run-id <existing run>`: a stage of another kind (sleeve into a meta run, meta
// into a sleeve run) or a sleeve stage of another profile is E_RUN_ID before anything of the run is touched,
// naming the run's kind and profile and how to fix it; the stages that legitimately reopen a run (the same
// sleeve profile again, a meta stage of the run's profile) still do. `quant meta validate` of a sleeve run
// is E_RUN_ID, and a damaged config/resolved_manifest.json E_RUN_CORRUPT, never a TypeError. Through the
// built CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { readTree } from '../helpers/files.js';
import { abcPricesCsv } from '../helpers/sleeve-fixtures.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

const MANIFEST = {
  profiles: {
    s1: {
      sleeve: {
        prices: 'p.csv',
        assets: ['A', 'B', 'C'],
        risk_profiles: ['equal_weight', 'inverse_variance'],
        train_window: 20,
        test_window: 10,
      },
    },
    s2: {
      sleeve: {
        prices: 'p.csv',
        assets: ['A', 'B', 'C'],
        directions: { B: 'SHORT' },
        risk_profiles: ['equal_weight'],
        train_window: 20,
        test_window: 10,
        step: 7,
      },
    },
    other: {
      sleeve: {
        prices: 'p.csv',
        assets: ['B', 'C'],
        risk_profiles: ['equal_weight'],
        train_window: 30,
        test_window: 5,
      },
    },
    mm: {
      sleeves: [
        { id: 'x', profile: 's1', run_id: 'mix' },
        { id: 'y', profile: 's2', run_id: 's2r' },
      ],
      risk_profiles: ['equal_weight'],
    },
  },
};

describe('a stage run into an existing run of another kind or profile', () => {
  let ws: { path: string; cleanup(): void };
  const run = (args: readonly string[]): ReturnType<typeof quant> =>
    quant([...args, '--workspace', ws.path], { env: EPOCH });
  before(() => {
    ws = tempDir('quant-into-');
    writeFileSync(join(ws.path, 'p.csv'), abcPricesCsv(81, 20));
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(MANIFEST, null, 2));
    for (const args of [
      ['sleeve', 'run', '--profile', 's1', '--run-id', 'mix'],
      ['sleeve', 'run', '--profile', 's2', '--run-id', 's2r'],
      ['meta', 'run', '--profile', 'mm', '--run-id', 'm1'],
    ]) {
      const r = run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
  });
  after(() => ws.cleanup());

  /** Run `args`, expecting E_RUN_ID matching `message` and the run folder `runId` byte for byte as it was. */
  function refused(args: readonly string[], runId: string, message: RegExp): void {
    const dir = join(ws.path, 'runs', runId);
    const beforeTree = readTree(dir);
    const r = run(args);
    assert.equal(r.code, 1, `${args.join(' ')} exits 1: ${r.stderr}`);
    assert.match(
      r.stderr,
      message,
      `${args.join(' ')}: the refusal names the run's kind, profile and the fix`,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.deepEqual(readTree(dir), beforeTree, `run ${runId} is byte for byte as it was`);
  }

  test('a sleeve stage of another profile into a sleeve run is E_RUN_ID, the run untouched', () => {
    refused(
      ['stage', 'run', 'sleeve.backtest', '--run-id', 'mix', '--param', 'profile=other'],
      'mix',
      /^E_RUN_ID: run mix is a sleeve run of profile s1; .*of profile other cannot run into it — run the run's own profile \(--param profile=s1\), or choose another --run-id/,
    );
  });

  test('a sleeve stage into a meta run, and a meta stage into a sleeve run, are E_RUN_ID', () => {
    refused(
      ['stage', 'run', 'sleeve.backtest', '--run-id', 'm1', '--param', 'profile=s1'],
      'm1',
      /^E_RUN_ID: run m1 is a meta run of profile mm; .*writes a sleeve run and cannot run into it — choose another --run-id/,
    );
    refused(
      ['stage', 'run', 'meta.returns', '--run-id', 'mix', '--param', 'meta_profile=mm'],
      'mix',
      /^E_RUN_ID: run mix is a sleeve run of profile s1; .*writes a meta run and cannot run into it/,
    );
  });

  test("stages of the run's own kind and profile still reopen it, and the runs verify", () => {
    for (const args of [
      ['stage', 'run', 'sleeve.backtest', '--run-id', 'mix', '--param', 'profile=s1'],
      ['stage', 'run', 'meta.flatten', '--run-id', 'm1', '--param', 'meta_profile=mm'],
    ]) {
      const r = run(args);
      assert.equal(r.code, 0, `${args.join(' ')} reopens the run: ${r.stderr}`);
    }
    for (const id of ['mix', 'm1']) {
      const v = run(['audit', 'verify', id]);
      assert.equal(v.code, 0, `audit verify ${id}: ${v.stdout}${v.stderr}`);
    }
  });

  test('meta validate of a sleeve run is one E_RUN_ID line naming its kind and profile', () => {
    const r = run(['meta', 'validate', '--run-id', 'mix']);
    assert.equal(r.code, 1, `exit 1: ${r.stderr}`);
    assert.equal(r.stdout, '', 'no check list for a run that is no meta run');
    assert.match(
      r.stderr,
      /^E_RUN_ID: run mix is a sleeve run of profile s1, not a meta run \(at runs\/mix\/run\.json\) — quant meta validate checks meta runs/,
      'the error says what the run is',
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  });

  test("a meta run whose resolved_manifest.json is a sleeve run's is E_RUN_CORRUPT, never a TypeError", () => {
    const dir = join(ws.path, 'runs', 'm1');
    writeFileSync(
      join(dir, 'config', 'resolved_manifest.json'),
      readFileSync(join(ws.path, 'runs', 'mix', 'config', 'resolved_manifest.json')),
    );
    const v = run(['meta', 'validate', '--run-id', 'm1']);
    assert.equal(v.code, 1, `validation fails: ${v.stderr}`);
    assert.match(
      v.stdout,
      /^FAIL\s+config\/resolved_manifest\.json: E_RUN_CORRUPT: config\/resolved_manifest\.json of run m1 is malformed: "root" must be the run's meta profile, found nothing$/m,
      'the check names the file and the member',
    );
    const stage = run(['stage', 'run', 'meta.flatten', '--run-id', 'm1', '--param', 'meta_profile=mm']);
    assert.equal(stage.code, 1, `a meta stage into the run fails: ${stage.stderr}`);
    assert.match(
      stage.stderr,
      /^E_RUN_CORRUPT: config\/resolved_manifest\.json of run m1 is malformed: "root" must be/,
      'a meta stage reading the file says it is damaged',
    );
    for (const out of [v.stdout, v.stderr, stage.stderr])
      assert.doesNotMatch(out, /TypeError|Cannot read properties/, `no TypeError: ${out}`);
  });
});
