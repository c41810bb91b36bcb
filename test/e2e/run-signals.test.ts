// `quant meta run` / `sleeve run` / `stage run` stopped by SIGINT or SIGTERM: one E_INTERRUPTED line naming where the
// run stopped, exit 130 / 143, the run closed `incomplete` (as `runs list` closes a run whose process
// died), no lock and no temp file left, `audit verify` failing with E_INTERRUPTED, and the same command
// run again finishing. The signal is sent while the run is surely running: the test hook
// QUANT_PAUSE_AT_WRITE holds the run at a write of a stage (printing a line) until it is told to stop.
// Through the built CLI.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO, quant, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace } from '../helpers/meta-workspace.js';
import { ABC_SLEEVE_MANIFEST, abcPricesCsv } from '../helpers/sleeve-fixtures.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
const PAUSED = /^quant: paused at write \d+ \((.+)\)$/m;

interface Stopped {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly paused: string;
}

/** Run the CLI with the pause hook at `pauseAt`; send `signal` once it says it paused; its result. */
function runAndStop(args: readonly string[], pauseAt: string, signal: NodeJS.Signals): Promise<Stopped> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, CI: '1', ...EPOCH, QUANT_PAUSE_AT_WRITE: pauseAt },
    });
    let stderr = '';
    let paused = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = PAUSED.exec(stderr);
      if (paused === '' && m !== null) {
        paused = m[1] as string;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (paused === '') reject(new Error(`the run ended without pausing (${code}): ${stderr}`));
      else resolvePromise({ code, signal: sig, stderr, paused });
    });
  });
}

/** Files below `dir` whose name says they are a lock or a temp file. */
function leftovers(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...leftovers(p));
    else if (entry.name.startsWith('.lock') || entry.name.endsWith('.tmp')) out.push(p);
  }
  return out;
}

const runJson = (ws: string, id: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ws, 'runs', id, 'run.json'), 'utf8')) as Record<string, unknown>;

/** The checks of a stopped run; returns its run id. */
function checkStopped(ws: string, r: Stopped, signal: NodeJS.Signals, stage: string): string {
  const what = `${signal} at ${r.paused}`;
  assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, `${what}: exit code (${r.signal}): ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !PAUSED.test(l));
  assert.equal(lines.length, 1, `${what}: one line on stderr, no stack trace: ${r.stderr}`);
  const m = new RegExp(
    `^E_INTERRUPTED: ${signal}: interrupted during stage ${stage.replace('.', '\\.')} \\(run runs/([^)]+)\\); the run is closed as incomplete — run the command again: it starts a new run$`,
  ).exec(lines[0] as string);
  assert.ok(m !== null, `${what}: the line names the stage, the run and what to do: ${lines[0]}`);
  const id = m[1] as string;
  const json = runJson(ws, id);
  assert.equal(json['status'], 'incomplete', `${what}: run.json closed as incomplete`);
  assert.equal(json['interrupted_stage'], stage, `${what}: run.json names the stage`);
  assert.deepEqual(leftovers(join(ws, 'runs', id)), [], `${what}: no lock and no temp file left`);
  assert.ok(!existsSync(r.paused), `${what}: the write it was stopped at did not happen`);
  const audit = quant(['audit', 'verify', id, '--workspace', ws]);
  assert.equal(audit.code, 1, `${what}: audit verify fails (${audit.stdout}${audit.stderr})`);
  assert.match(audit.stderr, /^E_INTERRUPTED: /, `${what}: audit verify says E_INTERRUPTED`);
  const listed = quant(['runs', 'list', '--workspace', ws]);
  assert.match(
    listed.stdout,
    new RegExp(`^${id} .* incomplete `, 'm'),
    `${what}: runs list: ${listed.stdout}`,
  );
  return id;
}

describe('a run stopped by SIGINT or SIGTERM', () => {
  const dirs: { path: string; cleanup(): void }[] = [];
  const workspace = (prefix: string): string => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d.path;
  };
  after(() => {
    for (const d of dirs) d.cleanup();
  });

  describe('quant meta run', () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      test(`${signal} during meta.backtest: closed incomplete, exit ${signal === 'SIGINT' ? 130 : 143}, run again finishes`, async () => {
        const ws = workspace('quant-signal-meta-');
        await buildMetaWorkspace(ws);
        const args = ['meta', 'run', '--profile', 'meta_root', '--workspace', ws];
        const stopped = await runAndStop(args, '1:/data/meta_backtest_', signal);
        const id = checkStopped(ws, stopped, signal, 'meta.backtest');
        const again = quant(args, { env: EPOCH });
        assert.equal(again.code, 0, `run again: ${again.stderr}`);
        assert.match(again.stdout, /^meta run \S+ ok /m, `run again: a run finished: ${again.stdout}`);
        assert.equal(runJson(ws, id)['status'], 'incomplete', 'the stopped run stays incomplete');
      });
    }
  });

  /** A workspace with the sleeve profile `s`. */
  const sleeveWorkspace = (): string => {
    const ws = workspace('quant-signal-sleeve-');
    writeFileSync(join(ws, 'p.csv'), abcPricesCsv(61, 40));
    writeFileSync(join(ws, 'manifest.json'), JSON.stringify(ABC_SLEEVE_MANIFEST));
    return ws;
  };

  test('quant stage run: SIGINT during sleeve.backtest closes the run, exit 130, run again finishes', async () => {
    const ws = sleeveWorkspace();
    const args = ['stage', 'run', 'sleeve.backtest', '--param', 'profile=s', '--workspace', ws];
    const stopped = await runAndStop(args, '1:/data/', 'SIGINT');
    checkStopped(ws, stopped, 'SIGINT', 'sleeve.backtest');
    const again = quant(args, { env: EPOCH });
    assert.equal(again.code, 0, `run again: ${again.stderr}`);
    assert.match(again.stdout, /^sleeve\.backtest ok /m, `run again: a run finished: ${again.stdout}`);
  });

  describe('quant sleeve run', () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      test(`${signal} during sleeve.backtest: closed incomplete, exit ${signal === 'SIGINT' ? 130 : 143}, run again finishes`, async () => {
        const ws = sleeveWorkspace();
        const args = ['sleeve', 'run', '--profile', 's', '--workspace', ws];
        const stopped = await runAndStop(args, '2:/data/', signal);
        checkStopped(ws, stopped, signal, 'sleeve.backtest');
        const again = quant(args, { env: EPOCH });
        assert.equal(again.code, 0, `run again: ${again.stderr}`);
        assert.match(again.stdout, /^sleeve run \S+ ok: /m, `run again: a run finished: ${again.stdout}`);
      });
    }
  });
});
