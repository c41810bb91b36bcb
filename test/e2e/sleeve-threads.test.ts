// QUANT_THREADS through the built CLI: a malformed value is one E_PARAMS line before any work (the runs
// on two threads against one are compared byte for byte in cli-bundle.slow.test.ts).
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO, quant, tempDir } from '../helpers/cli.js';

describe('quant sleeve run with QUANT_THREADS', () => {
  const ws = tempDir('quant-threads-');
  after(() => ws.cleanup());
  cpSync(join(REPO, 'examples', 'demo'), ws.path, { recursive: true });

  test('a malformed QUANT_THREADS is one E_PARAMS line, exit 1', () => {
    for (const value of ['lots', '0']) {
      const bad = quant(['sleeve', 'run', '--profile', 'gulf_equity', '--workspace', ws.path], {
        env: { QUANT_THREADS: value },
      });
      assert.equal(bad.code, 1, bad.stderr);
      const lines = bad.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${bad.stderr}`);
      assert.match(
        lines[0] as string,
        /^E_PARAMS: QUANT_THREADS must be auto or an integer 1\.\.256, got "/,
        `QUANT_THREADS=${value}: the coded line`,
      );
    }
  });

  test('--threads reaches the stage: recorded in the run, a bad count is one E_PARAMS line', () => {
    const ok = quant(
      [
        'sleeve',
        'run',
        '--profile',
        'gulf_equity',
        '--threads',
        '2',
        '--run-id',
        't2',
        '--workspace',
        ws.path,
      ],
      { env: { QUANT_THREADS: 'lots' } },
    );
    assert.equal(ok.code, 0, `--threads 2 wins over a malformed QUANT_THREADS: ${ok.stderr}`);
    const runJson = JSON.parse(readFileSync(join(ws.path, 'runs', 't2', 'run.json'), 'utf8')) as {
      params: { params: Record<string, unknown> };
    };
    assert.equal(runJson.params.params['threads'], 2, 'run.json records the stage param threads: 2');
    const bad = quant([
      'sleeve',
      'run',
      '--profile',
      'gulf_equity',
      '--threads',
      '0',
      '--workspace',
      ws.path,
    ]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(bad.stderr.trim().split('\n').length, 1, `one line: ${bad.stderr}`);
    assert.match(bad.stderr, /^E_PARAMS: .*threads/, `--threads 0 is E_PARAMS naming threads: ${bad.stderr}`);
  });
});
