// A program given to Node on the command line (`node --input-type=module -e '…'`) that calls runMeta
// with executeSleeves finishes: the local pool's child processes do not inherit the `-e` script (they
// used to run the caller's script again instead of the pool's child entry, and the call never returned).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO, tempDir } from '../helpers/cli.js';

// Without the fix the program never ends: the test runner's timeout fails the test, and `after` stops
// the program and its pool's children (one process group).
describe('runMeta with executeSleeves from `node --input-type=module -e`', { timeout: 240_000 }, () => {
  let ws: { path: string; cleanup(): void };
  let child: ChildProcess | undefined;
  before(() => {
    ws = tempDir('mf-eval-program-');
    cpSync(join(REPO, 'examples', 'demo'), ws.path, { recursive: true });
  });
  after(() => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGKILL');
    }
    ws.cleanup();
  });

  test('produces the sleeves, runs the meta pipeline and returns', async () => {
    const sdk = pathToFileURL(join(REPO, 'dist', 'index.js')).href;
    const program = [
      `import { QuantSDK } from ${JSON.stringify(sdk)};`,
      `const r = await QuantSDK.runMeta('meta_swiss', {`,
      `  workspace: ${JSON.stringify(ws.path)}, runId: 'm_eval', backtest: false,`,
      `  executeSleeves: { executor: 'local', concurrency: 2 },`,
      `});`,
      `console.log(JSON.stringify({ runId: r.runId, sleeves: r.sleeves.results.map((s) => s.status) }));`,
    ].join('\n');
    const proc = spawn(process.execPath, ['--input-type=module', '-e', program], {
      cwd: ws.path,
      env: { ...process.env, CI: '1', SOURCE_DATE_EPOCH: '1717200000' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    assert.equal(code, 0, `exit 0: ${stderr}`);
    assert.deepEqual(
      JSON.parse(stdout),
      { runId: 'm_eval', sleeves: ['produced', 'produced', 'produced'] },
      `the program's output: ${stdout}`,
    );
    assert.ok(existsSync(join(ws.path, 'runs', 'm_eval', 'run.json')), 'the meta run is written');
  });
});
