// `quant meta run --execute-sleeves` with the local executor, through the built CLI in fresh processes:
// sleeves first (in parallel), their runs pinned in the meta run, the meta run valid; a failing sleeve
// aborts before any meta stage with every failure listed; progress only on a TTY.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, quant, tempDir } from '../helpers/cli.js';
import { buildExecWorkspace, EPOCH, STAMP } from '../unit/exec/_exec-workspace.js';

// The ledger key reaches the sleeve runs through the environment of the processes that run them.
const LEDGER_KEY = 'execute-sleeves-ledger-key-0123456789abcdef';
const ENV = { SOURCE_DATE_EPOCH: String(EPOCH), QUANT_LEDGER_KEY: LEDGER_KEY };
const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const runKinds = (ws: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(join(ws, 'runs'))
      .filter((id) => existsSync(join(ws, 'runs', id, 'run.json')))
      .map((id) => [id, json<{ kind: string }>(join(ws, 'runs', id, 'run.json')).kind]),
  );

interface RunOutput {
  run_id: string;
  sleeves: { executor: string; runs: { profile: string; run_id: string; status: string }[] };
}

describe('quant meta run --execute-sleeves (local)', { timeout: 120_000 }, () => {
  let ws: { path: string; cleanup(): void };
  before(() => {
    ws = tempDir('mf-exec-');
    buildExecWorkspace(ws.path);
  });
  after(() => ws.cleanup());

  test('runs every unpinned sleeve, pins the new runs in the meta run, and the meta run validates', () => {
    const t0 = performance.now();
    const r = quant(
      [
        'meta',
        'run',
        '--profile',
        'meta',
        '--execute-sleeves',
        '--concurrency',
        '2',
        '--run-id',
        'm1',
        '--json',
      ],
      { cwd: ws.path, env: ENV },
    );
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress in a pipe / CI');
    const out = JSON.parse(r.stdout) as RunOutput;
    const ids = ['sectors', 'swiss', 'bonds'].map((p) => `${p}_${STAMP}`);
    assert.deepEqual(
      out.sleeves,
      {
        executor: 'local',
        runs: ['sectors', 'swiss', 'bonds'].map((profile, i) => ({
          profile,
          run_id: ids[i],
          status: 'produced',
        })),
      },
      'out.sleeves',
    );
    for (const id of ids) {
      const runJson = json<{ status: string; kind: string; created_at: string; ledger?: { hmac?: string } }>(
        join(ws.path, 'runs', id, 'run.json'),
      );
      assert.deepEqual(
        [runJson.kind, runJson.status, runJson.created_at],
        ['sleeve', 'success', '2026-01-01T00:00:00Z'],
        '[runJson.kind, runJson.status, runJson.created_at]',
      );
      assert.match(
        runJson.ledger?.hmac ?? '',
        /^[0-9a-f]{64}$/,
        `${id}: the sleeve run's ledger anchor is signed`,
      );
      const audit = quant(['audit', 'verify', id], { cwd: ws.path, env: ENV });
      assert.match(audit.stdout, /^signature: valid/m, `${id}: signed with the key of the environment`);
    }
    const resolved = json<{ sleeves: { path: string[]; run_id: string; pinned: boolean }[] }>(
      join(ws.path, 'runs', 'm1', 'config', 'resolved_manifest.json'),
    );
    assert.deepEqual(
      resolved.sleeves.map((s) => [s.path.join('/'), s.run_id, s.pinned]),
      [
        ['inner/sectors', ids[0], true],
        ['inner/swiss', ids[1], true],
        ['bonds', ids[2], true],
      ],
      "resolved.sleeves.map((s) => [s.path.join('/'), s.run_id, s.pinned])",
    );
    const v = quant(['meta', 'validate', '--run-id', 'm1'], { cwd: ws.path });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, / 0 failed/, 'v.stdout matches / 0 failed/');
    console.log(`local --execute-sleeves, 3 sleeves + meta: ${Math.round(ms)} ms`);
  });

  test('a rerun with the same clock reuses the identical sleeve runs', () => {
    const r = quant(['meta', 'run', '--profile', 'meta', '--execute-sleeves', '--run-id', 'm2'], {
      cwd: ws.path,
      env: ENV,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^sleeves: 3 ready \(0 produced, 3 reused\) with the local executor$/m,
      'r.stdout matches /^sleeves: 3 ready \\(0 produced, 3 reused\\) with the local …',
    );
    assert.match(
      r.stdout,
      new RegExp(`^  sectors → sectors_${STAMP} \\(reused\\)$`, 'm'),
      "r.stdout matches new RegExp(`^ sectors → sectors_${STAMP} \\\\(reused\\\\)$`, 'm…",
    );
  });

  test('failing sleeves abort before meta.returns, each one listed, and nothing of the meta run is written', () => {
    const r = quant(['meta', 'run', '--profile', 'meta_bad', '--execute-sleeves', '--run-id', 'mbad'], {
      cwd: ws.path,
      env: { SOURCE_DATE_EPOCH: String(EPOCH + 60) },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '', 'r.stdout');
    assert.match(
      r.stderr,
      /^E_SLEEVE_FAILED: Sleeve production failed for: broken \(E_INPUT_NOT_FOUND: [^\n]*missing_prices\.csv[^\n]*\); broken_column \(E_INPUT_COLUMN: [^\n]*NOPE[^\n]*\)/,
      'r.stderr names E_SLEEVE_FAILED',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'mbad')), false, 'no meta run folder');
    const kinds = runKinds(ws.path);
    assert.deepEqual(
      Object.keys(kinds)
        .filter((id) => kinds[id] === 'meta')
        .sort(),
      ['m1', 'm2'],
      'no other meta run appeared',
    );
    // The sleeve that succeeded is kept (and would be reused by a rerun at the same clock).
    assert.equal(
      json<{ status: string }>(join(ws.path, 'runs', 'sectors_20260101-000100', 'run.json')).status,
      'success',
      "json<{ status: string }>(join(ws.path, 'runs', 'sectors_20260101-0001…",
    );
  });

  test('executor flags need --execute-sleeves; bad values are usage errors', () => {
    const stray = quant(['meta', 'run', '--profile', 'meta', '--executor', 'bullmq'], { cwd: ws.path });
    assert.equal(stray.code, 1, `exit code (stderr: ${stray.stderr})`);
    assert.match(
      stray.stderr,
      /^E_USAGE: --executor applies only with --execute-sleeves/,
      'stray.stderr names E_USAGE',
    );
    const zero = quant(['meta', 'run', '--profile', 'meta', '--execute-sleeves', '--concurrency', '0'], {
      cwd: ws.path,
    });
    assert.equal(zero.code, 1, `exit code (stderr: ${zero.stderr})`);
    assert.match(zero.stderr, /^E_USAGE: .*--concurrency <n>.*whole number ≥ 1/, 'zero.stderr names E_USAGE');
    // A meta run id in use is refused before any sleeve runs.
    const used = quant(['meta', 'run', '--profile', 'meta', '--execute-sleeves', '--run-id', 'm1'], {
      cwd: ws.path,
      env: { SOURCE_DATE_EPOCH: String(EPOCH + 300) },
    });
    assert.equal(used.code, 1, `exit code (stderr: ${used.stderr})`);
    assert.match(used.stderr, /^E_RUN_EXISTS: /, 'used.stderr names E_RUN_EXISTS');
    assert.equal(
      existsSync(join(ws.path, 'runs', 'sectors_20260101-000500')),
      false,
      'runs/sectors_20260101-000500 does not exist',
    );
    const kind = quant(['meta', 'run', '--profile', 'meta', '--execute-sleeves', '--executor', 'ssh'], {
      cwd: ws.path,
    });
    assert.equal(kind.code, 1, `exit code (stderr: ${kind.stderr})`);
    assert.match(kind.stderr, /^E_USAGE: .*Allowed choices are local, bullmq/, 'kind.stderr names E_USAGE');
  });

  test('the queue time flags say their unit and refuse values too small to work', () => {
    const cases: [string[], RegExp][] = [
      [
        ['worker', '--lock-duration', '30'],
        /^E_USAGE: .*--lock-duration <ms>.* '30' is invalid\. expected milliseconds, a whole number ≥ 1000 \(1000 = 1 s; this flag is in ms, not seconds\)/,
      ],
      [['worker', '--stalled-interval', '1'], /^E_USAGE: .*--stalled-interval <ms>.*whole number ≥ 100 /],
      [
        [
          'meta',
          'run',
          '--profile',
          'meta',
          '--execute-sleeves',
          '--executor',
          'bullmq',
          '--redis-timeout',
          '0.01',
        ],
        /^E_USAGE: .*--redis-timeout <seconds>.* '0\.01' is invalid\. expected seconds ≥ 0\.5/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = quant(args, { cwd: ws.path });
      assert.equal(r.code, 1, `${args.join(' ')}: exit code (stderr: ${r.stderr})`);
      assert.match(r.stderr, message, `${args.join(' ')}: the message names the unit and the minimum`);
    }
    const help = quant(['worker', '--help'], { cwd: ws.path }).stdout.replace(/\s+/g, ' ');
    assert.match(
      help,
      /--lock-duration <ms> a job's lock, in milliseconds \(≥ 1000, default 30000\)/,
      'help: lock unit',
    );
    assert.match(
      help,
      /--stalled-interval <ms> .* in milliseconds \(≥ 100, default 30000\)/,
      'help: interval unit',
    );
  });

  test('on a TTY, progress lines count the sleeves done', () => {
    // `script` (util-linux, always on Debian) gives the CLI a terminal; CI must be unset for progress.
    const command = [
      process.execPath,
      CLI,
      'meta',
      'run',
      '--profile',
      'meta',
      '--execute-sleeves',
      '--run-id',
      'mtty',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const r = spawnSync('script', ['-qec', `${command} >/dev/null`, '/dev/null'], {
      cwd: ws.path,
      env: { ...process.env, CI: '', SOURCE_DATE_EPOCH: String(EPOCH + 120) },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split(/\r?\n/);
    for (const done of ['1/3', '2/3', '3/3']) {
      assert.ok(
        lines.some((l) => new RegExp(`^sleeves ${done} done \\(\\w+ ok, [\\d.]+ s\\)$`).test(l)),
        `${done} in:\n${r.stdout}`,
      );
    }
    assert.ok(
      lines.some((l) => /^sleeves 0\/3 done — sectors started$/.test(l)),
      'lines.some((l) => /^sleeves 0\\/3 done — sectors started$/.test(l))',
    );
  });
});

describe('quant meta run --execute-sleeves with a misspelt sleeve profile', { timeout: 60_000 }, () => {
  test('E_MANIFEST at the entry with its line and a did-you-mean, exit 1, before any run folder', () => {
    const ws = tempDir('mf-exec-typo-');
    try {
      buildExecWorkspace(ws.path);
      const file = join(ws.path, 'manifest.json');
      const doc = json<{ profiles: Record<string, unknown> }>(file);
      doc.profiles['meta_typo'] = {
        sleeves: [
          { id: 'sectors', profile: 'sectors' },
          { id: 'swiss', profile: 'swiss' },
          { id: 'bonds', profile: 'bondz' },
        ],
      };
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      writeFileSync(file, text);
      const line = text.split('\n').findIndex((l) => l.includes('"bondz"')) + 1;
      const r = quant(['meta', 'run', '--profile', 'meta_typo', '--execute-sleeves', '--run-id', 'mt'], {
        cwd: ws.path,
        env: ENV,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '', 'r.stdout');
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(
          `^E_MANIFEST: sleeve bonds: "bondz" is not a sleeve profile of the manifest \\(did you mean "bonds"\\?\\), so --execute-sleeves cannot produce it \\(at .*manifest\\.json:${line} profiles\\.meta_typo\\.sleeves\\[2\\]\\.profile\\) — `,
        ),
        r.stderr,
      );
      assert.equal(existsSync(join(ws.path, 'runs')), false, 'no run folder, not even of the good sleeves');
    } finally {
      ws.cleanup();
    }
  });
});
