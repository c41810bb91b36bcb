// `quant report path` for a meta run without a report: a run that failed in an earlier stage says its
// status, the stage and the error code, and to run it again — not the meta.report command, which cannot
// work without that stage's artifacts; a finished run whose report was removed still gets that command.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
let ws: { path: string; cleanup(): void };

before(async () => {
  ws = tempDir('mf-report-path-');
  for (const [profile, days] of [
    ['few', 3],
    ['many', 80],
  ] as const) {
    const dates = businessDays('2025-01-06', days);
    for (const [k, id] of ['a', 'b'].entries()) {
      await writeSleeveRun(ws.path, {
        runId: `${profile}_${id}_run`,
        profile: `${profile}_${id}`,
        streams: { hrp: { dates, returns: randomReturns(k + 1, dates.length, { vol: 0.01 }) } },
        weights: { hrp: [{ Symbol: `X:${id}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
      });
    }
  }
  const meta = (p: string) => ({
    sleeves: [
      { id: 'a', profile: `${p}_a` },
      { id: 'b', profile: `${p}_b` },
    ],
    risk_profiles: ['hrp'],
  });
  await writeManifest(ws.path, { profiles: { fewdates: meta('few'), enough: meta('many') } });
});
after(() => ws.cleanup());

const run = (profile: string, runId: string) =>
  quant(['meta', 'run', '--profile', profile, '--run-id', runId, '--no-backtest', '--workspace', ws.path], {
    env: EPOCH,
  });
const reportPath = (runId: string) => quant(['report', 'path', '--run-id', runId, '--workspace', ws.path]);

test('a run that failed before its report: the status, the stage and code, and to run it again', () => {
  const failed = run('fewdates', 'fail1');
  assert.equal(failed.code, 1, `the meta run fails: ${failed.stderr}`);
  const r = reportPath('fail1');
  assert.equal(r.code, 1, 'no report path');
  assert.match(
    r.stderr,
    /^E_ARTIFACT_MISSING: run fail1 has no reports\/meta_portfolio_report\.html \(status failed: it failed at stage meta\.returns with E_TOO_FEW_DATES: /,
    `the failure, where and why: ${r.stderr}`,
  );
  assert.ok(
    r.stderr.includes('fix the cause and run the meta profile again: quant meta run --profile fewdates'),
    `what to do: ${r.stderr}`,
  );
  assert.ok(!r.stderr.includes('quant stage run meta.report'), 'no meta.report command that cannot work');
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});

test('a finished run whose report was removed: the meta.report command', () => {
  const ok = run('enough', 'ok1');
  assert.equal(ok.code, 0, `the meta run passes: ${ok.stderr}`);
  rmSync(join(ws.path, 'runs', 'ok1', 'reports', 'meta_portfolio_report.html'));
  const r = reportPath('ok1');
  assert.equal(r.code, 1, 'no report path');
  assert.ok(
    r.stderr.includes('write it with: quant stage run meta.report --run-id ok1 --param meta_profile=enough'),
    `the command that writes it: ${r.stderr}`,
  );
});
