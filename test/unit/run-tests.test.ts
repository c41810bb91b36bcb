// scripts/run-tests.mjs: skipped suites and tests are listed with their reasons and counted; in CI, a skip
// in a file that must run there fails the run.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO } from '../helpers/cli.js';

const FIXTURE = 'test/fixtures/runner/skips.fixture.ts';

function runner(extra: Record<string, string>): { code: number; stdout: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (extra['CI'] === undefined) delete env['CI'];
  if (extra['QUANT_TEST_CI_REQUIRED'] === undefined) delete env['QUANT_TEST_CI_REQUIRED'];
  const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', FIXTURE], {
    cwd: REPO,
    env,
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout };
}

const notRun = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('# not run: '));

describe('scripts/run-tests.mjs', () => {
  test('lists every skip with its reason before the summary, and counts the skipped suite', () => {
    const r = runner({});
    assert.equal(r.code, 0, `a run with skips but no failure passes:\n${r.stdout}`);
    assert.deepEqual(
      notRun(r.stdout),
      [
        `# not run: ${FIXTURE} › needs a browser (suite, skipped): chromium is not installed here`,
        `# not run: ${FIXTURE} › outer › needs root (test, skipped): mount namespaces need root`,
        `# not run: ${FIXTURE} › outer › later (test, todo): not written yet`,
        '# not run: 1 suite(s) and 1 test(s) skipped, 1 todo',
      ],
      'one line per skip, then the count',
    );
    const tail = r.stdout.trimEnd().split('\n').slice(-8);
    assert.deepEqual(
      tail.map((l) => l.replace(/ [\d.]+$/, ' N')),
      [
        '# tests N',
        '# suites N',
        '# pass N',
        '# fail N',
        '# cancelled N',
        '# skipped N',
        '# todo N',
        '# duration_ms N',
      ],
      'the closing summary lines stay last',
    );
    assert.ok(tail.includes('# skipped 2'), `the skipped suite counts: ${tail.join(' | ')}`);
  });

  test('in CI, a skip in a file that must run there fails the run, naming it and what to install', () => {
    const r = runner({ CI: '1', QUANT_TEST_CI_REQUIRED: JSON.stringify({ [FIXTURE]: 'chromium' }) });
    assert.equal(r.code, 1, `the run fails:\n${r.stdout}`);
    assert.deepEqual(
      r.stdout.split('\n').filter((l) => l.startsWith('# CI: ')),
      [
        `# CI: ${FIXTURE} › needs a browser was skipped (chromium is not installed here); it must run in CI (install chromium: .ci/run does)`,
        `# CI: ${FIXTURE} › outer › needs root was skipped (mount namespaces need root); it must run in CI (install chromium: .ci/run does)`,
      ],
      'one line per skip in the required file',
    );
  });

  test('in CI, skips in other files are listed but do not fail the run', () => {
    const r = runner({ CI: '1', QUANT_TEST_CI_REQUIRED: JSON.stringify({}) });
    assert.equal(r.code, 0, `the run passes:\n${r.stdout}`);
    assert.equal(notRun(r.stdout).length, 4, 'the skips are still listed');
  });
});
