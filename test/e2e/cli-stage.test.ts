import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, quant, quantAsync, tempDir } from '../helpers/cli.js';

const SWX = join(REPO, 'data', 'swx_prices.csv');
const USER_STAGES = join(REPO, 'test', 'fixtures', 'stages', 'user-stages.mjs');
const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' }; // 2026-01-01T00:00:00Z

describe('quant CLI', () => {
  let ws: { path: string; cleanup(): void };
  before(() => (ws = tempDir()));
  after(() => ws.cleanup());

  test('stage list filters by category and tag; unknown category lists nothing', () => {
    const r = quant(['stage', 'list', '--category', 'portfolio', '--workspace', ws.path]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^portfolio\.optimize\s+Optimize a portfolio\s+portfolio$/m,
      'r.stdout matches /^portfolio\\.optimize\\s+Optimize a portfolio\\s+portfolio$/m',
    );
    const none = quant(['stage', 'list', '--tag', 'no-such-tag', '--json']);
    assert.deepEqual(JSON.parse(none.stdout), [], 'JSON.parse(none.stdout)');
    assert.match(
      none.stderr,
      /^no stage matches --tag no-such-tag \(tags: .*\bmeta\b.*\)$/m,
      'none.stderr matches /^no stage matches --tag no-such-tag \\(tags: .*\\bmeta\\b.*\\)…',
    );
    // An unknown category says so on stderr (naming the categories there are) and still exits 0.
    const nope = quant(['stage', 'list', '--category', 'nope']);
    assert.equal(nope.code, 0, nope.stderr);
    assert.equal(nope.stdout, '', 'nope.stdout');
    assert.equal(
      nope.stderr.trim(),
      'no stage matches --category nope (categories: meta, portfolio, sleeve)',
      'nope.stderr.trim()',
    );
  });

  test('stage schema prints the JSON Schema derived from the params', () => {
    const r = quant(['stage', 'schema', 'portfolio.optimize']);
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout) as {
      properties: Record<string, { default?: unknown; enum?: unknown[] }>;
      required: string[];
    };
    assert.deepEqual(schema.required, ['input'], 'schema.required');
    assert.equal(schema.properties['method']?.default, 'hrp', "schema.properties['method']?.default");
    assert.ok(
      schema.properties['linkage']?.enum?.includes('ward'),
      "schema.properties['linkage']?.enum includes 'ward'",
    );
  });

  test('an unknown stage is one coded line with a suggestion, exit 1, no stack', () => {
    const r = quant(['stage', 'run', 'portfolio.optimise', '--workspace', ws.path]);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_UNKNOWN_STAGE: unknown stage "portfolio\.optimise" — did you mean "portfolio\.optimize"/,
      'r.stderr names E_UNKNOWN_STAGE',
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, "r.stderr.trim().split('\\n').length");
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'r.stderr does not match /at .*\\.js:\\d+/');
  });

  test('stage run portfolio.optimize writes weights, records the ledger, and the ledger verifies', () => {
    const out = join(ws.path, 'w.json');
    const r = quant(
      [
        'stage',
        'run',
        'portfolio.optimize',
        '--run-id',
        'opt1',
        '--param',
        `input=${SWX}`,
        '--param',
        'method=hrp',
        '--param',
        'linkage=ward',
        '--param',
        `output=${out}`,
        '--workspace',
        ws.path,
      ],
      { env: EPOCH },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /portfolio\.optimize ok \(run opt1\)/,
      'r.stdout matches /portfolio\\.optimize ok \\(run opt1\\)/',
    );
    const doc = JSON.parse(readFileSync(out, 'utf8')) as {
      schema_version: number;
      method: string;
      assets: string[];
      weights: Record<string, number>;
      params: { linkage: string };
    };
    assert.equal(doc.schema_version, 1, 'doc.schema_version');
    assert.equal(doc.method, 'hrp', 'doc.method');
    assert.equal(doc.params.linkage, 'ward', 'doc.params.linkage');
    assert.deepEqual(doc.assets, ['SBI', 'SPI', 'SII', 'LP25', 'LP40', 'LP60'], 'doc.assets');
    assert.deepEqual(Object.keys(doc.weights), doc.assets, 'Object.keys(doc.weights)');
    const sum = Object.values(doc.weights).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, 'sum ≈ 1 within 1e-12');
    const run = JSON.parse(readFileSync(join(ws.path, 'runs', 'opt1', 'run.json'), 'utf8')) as {
      status: string;
      kind: string;
      created_at: string;
    };
    assert.equal(run.status, 'success', 'run.status');
    assert.equal(run.created_at, '2026-01-01T00:00:00Z', 'run.created_at');
    const ledger = readFileSync(join(ws.path, 'runs', 'opt1', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            step: string;
            status: string;
            data: { outputs?: { path: string; sha256: string }[]; inputs?: unknown[] };
          },
      );
    assert.deepEqual(
      ledger.map((l) => l.type),
      ['genesis', 'intent', 'outcome'],
      'ledger.map((l) => l.type)',
    );
    assert.equal(ledger[2]?.status, 'success', 'ledger[2]?.status');
    assert.equal(
      ledger[2]?.data.outputs?.[0]?.sha256.length,
      64,
      'ledger[2]?.data.outputs?.[0]?.sha256.length',
    );
    assert.equal(ledger[2]?.data.inputs?.length, 1, 'ledger[2]?.data.inputs?.length');
    const v = quant(['audit', 'verify', 'opt1', '--workspace', ws.path]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /audit ok/, 'v.stdout matches /audit ok/');
  });

  test('the default output lands in the run folder; runs list shows the run', () => {
    const r = quant([
      'stage',
      'run',
      'portfolio.optimize',
      '--run-id',
      'opt2',
      '--param',
      `input=${SWX}`,
      '--param',
      'method=min_variance',
      '--param',
      'max_weight=0.5',
      '--workspace',
      ws.path,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(
      readFileSync(join(ws.path, 'runs', 'opt2', 'data', 'weights_min_variance.json'), 'utf8'),
    ) as { weights: Record<string, number> };
    for (const w of Object.values(doc.weights))
      assert.ok(w <= 0.5 + 1e-12 && w >= -1e-12, 'w <= 0.5 + 1e-12 && w >= -1e-12');
    const list = quant(['runs', 'list', '--json', '--workspace', ws.path]);
    const runs = JSON.parse(list.stdout) as { run_id: string; status: string }[];
    assert.ok(
      runs.some((x) => x.run_id === 'opt2' && x.status === 'success'),
      "runs.some((x) => x.run_id === 'opt2' && x.status === 'success')",
    );
  });

  test('bad params are all reported at once with paths, exit 1, and nothing is written', () => {
    const r = quant([
      'stage',
      'run',
      'portfolio.optimize',
      '--run-id',
      'bad1',
      '--param',
      'method=nope',
      '--param',
      'min_weight=lots',
      '--workspace',
      ws.path,
    ]);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_PARAMS: invalid params for stage portfolio\.optimize: /,
      'r.stderr names E_PARAMS',
    );
    assert.match(r.stderr, /input: /, 'r.stderr matches /input: /');
    assert.match(r.stderr, /method: /, 'r.stderr matches /method: /');
    assert.match(r.stderr, /min_weight: /, 'r.stderr matches /min_weight: /');
    assert.equal(existsSync(join(ws.path, 'runs', 'bad1')), false, 'runs/bad1 does not exist');
  });

  test('run ids that could escape the workspace are rejected before any file is touched', () => {
    for (const id of ['../x', 'a/b', '', 'x'.repeat(129), '.hidden']) {
      const r = quant([
        'stage',
        'run',
        'portfolio.optimize',
        '--run-id',
        id,
        '--param',
        `input=${SWX}`,
        '--workspace',
        ws.path,
      ]);
      assert.equal(r.code, 1, `run id ${JSON.stringify(id)}: ${r.stderr}`);
      assert.match(r.stderr, /^E_RUN_ID: /, 'r.stderr names E_RUN_ID');
    }
    assert.equal(existsSync(join(ws.path, 'x')), false, 'x does not exist');
    assert.deepEqual(readdirSync(ws.path).sort(), ['runs', 'w.json'], 'readdirSync(ws.path).sort()');
  });

  test('a missing input names the file; infeasible bounds are a coded error', () => {
    const r = quant([
      'stage',
      'run',
      'portfolio.optimize',
      '--param',
      'input=nope.csv',
      '--workspace',
      ws.path,
    ]);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /^E_INPUT_NOT_FOUND: .*nope\.csv/, 'r.stderr names E_INPUT_NOT_FOUND');
    const b = quant([
      'stage',
      'run',
      'portfolio.optimize',
      '--param',
      `input=${SWX}`,
      '--param',
      'max_weight=0.1',
      '--workspace',
      ws.path,
    ]);
    assert.equal(b.code, 1, `exit code (stderr: ${b.stderr})`);
    assert.match(b.stderr, /^E_INFEASIBLE_BOUNDS: /, 'b.stderr names E_INFEASIBLE_BOUNDS');
  });

  test('audit verify names the first broken line after an edit', () => {
    const file = join(ws.path, 'runs', 'opt1', 'audit.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = (lines[1] as string).replace('"started"', '"startet"');
    writeFileSync(file, lines.join('\n'));
    const v = quant(['audit', 'verify', 'opt1', '--workspace', ws.path]);
    assert.equal(v.code, 1, `exit code (stderr: ${v.stderr})`);
    assert.match(v.stderr, /^E_AUDIT_BROKEN: .*line 2/, 'v.stderr names E_AUDIT_BROKEN');
  });

  test('global options are accepted before or after the sub-command; --params-file merges with --param', () => {
    const pf = join(ws.path, 'p.json');
    writeFileSync(pf, JSON.stringify({ input: SWX, method: 'risk_parity' }));
    const r = quant([
      '--workspace',
      ws.path,
      'stage',
      'run',
      'portfolio.optimize',
      '--run-id',
      'pf',
      '--params-file',
      pf,
      '--param',
      'method=equal_weight',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      existsSync(join(ws.path, 'runs', 'pf', 'data', 'weights_equal_weight.json')),
      'runs/pf/data/weights_equal_weight.json exists',
    );
  });

  test('same inputs, params, run id and SOURCE_DATE_EPOCH give byte-identical artifacts', () => {
    const a = tempDir();
    const b = tempDir();
    try {
      for (const w of [a.path, b.path]) {
        const r = quant(
          [
            'stage',
            'run',
            'portfolio.optimize',
            '--run-id',
            'same',
            '--param',
            `input=${SWX}`,
            '--param',
            'method=max_sharpe',
            '--workspace',
            w,
          ],
          { env: EPOCH },
        );
        assert.equal(r.code, 0, r.stderr);
      }
      for (const f of ['run.json', 'audit.jsonl', 'data/weights_max_sharpe.json']) {
        assert.equal(
          readFileSync(join(a.path, 'runs', 'same', f), 'utf8'),
          readFileSync(join(b.path, 'runs', 'same', f), 'utf8'),
          f,
        );
      }
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});

describe('quant CLI with a user stage module', () => {
  let ws: { path: string; cleanup(): void };
  before(() => (ws = tempDir()));
  after(() => ws.cleanup());

  test('--stages adds the exported stages to the catalog and runs them', () => {
    const list = quant(['stage', 'list', '--stages', USER_STAGES, '--tag', 'user', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string }[]).map((s) => s.id),
      ['user.echo', 'user.wait', 'user.boom'],
      '(JSON.parse(list.stdout)).map((s) => s.id)',
    );
    const run = quant([
      'stage',
      'run',
      'user.say',
      '--param',
      'text=hi',
      '--param',
      'times=2',
      '--run-id',
      'u1',
      '--workspace',
      ws.path,
      '--stages',
      USER_STAGES,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(readFileSync(join(ws.path, 'runs', 'u1', 'data', 'echo.json'), 'utf8')),
      {
        text: 'hihi',
      },
      "JSON.parse(readFileSync(join(ws.path, 'runs', 'u1', 'data', 'echo.jso…",
    );
  });

  test('an internal error exits 2; the stack only with --verbose', () => {
    const r = quant(['stage', 'run', 'user.boom', '--workspace', ws.path, '--stages', USER_STAGES]);
    assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /^E_INTERNAL: kaboom/, 'r.stderr names E_INTERNAL');
    assert.match(
      r.stderr,
      /— thrown by stage user\.boom of the stage module \S*user-stages\.mjs, not by metafolio: fix it there/,
      `the hint names the stage and its module, not a metafolio bug: ${r.stderr}`,
    );
    assert.doesNotMatch(r.stderr, /this is a bug/, 'not called a metafolio bug');
    assert.doesNotMatch(r.stderr, /user-stages\.mjs:\d+/, 'r.stderr does not match /user-stages\\.mjs:\\d+/');
    const v = quant([
      'stage',
      'run',
      'user.boom',
      '--workspace',
      ws.path,
      '--stages',
      USER_STAGES,
      '--verbose',
    ]);
    assert.equal(v.code, 2, `exit code (stderr: ${v.stderr})`);
    assert.match(v.stderr, /user-stages\.mjs:\d+/, 'v.stderr matches /user-stages\\.mjs:\\d+/');
  });

  test('a module that exports no stages is a coded error', () => {
    const bad = join(ws.path, 'bad.mjs');
    writeFileSync(bad, 'export const x = 1;\n');
    const r = quant(['stage', 'list', '--stages', bad]);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(
      r.stderr,
      /^E_STAGE_MODULE: .*does not export an array of stages/,
      'r.stderr names E_STAGE_MODULE',
    );
  });

  test('two processes cannot write one run: the second names the lock holder', async () => {
    // The first holds the run's lock until told to finish: it says when it holds it (a handshake file).
    const handshake = join(ws.path, 'handshake');
    mkdirSync(handshake);
    const stage = [
      'stage',
      'run',
      'user.wait',
      '--run-id',
      'locked',
      '--workspace',
      ws.path,
      '--stages',
      USER_STAGES,
    ];
    const first = quantAsync([...stage, '--param', 'ms=0', '--param', `handshake=${handshake}`]);
    let exited = false;
    void first.then(() => (exited = true));
    while (!existsSync(join(handshake, 'held')) && !exited) await new Promise((r) => setTimeout(r, 10));
    assert.equal(
      exited,
      false,
      `the first run holds the lock (it exited: ${(await Promise.race([first, null]))?.stderr})`,
    );
    const second = quant([...stage, '--param', 'ms=0']);
    writeFileSync(join(handshake, 'release'), '');
    const one = await first;
    assert.equal(one.code, 0, one.stderr);
    assert.equal(second.code, 1, `exit code (stderr: ${second.stderr})`);
    assert.match(
      second.stderr,
      /^E_RUN_LOCKED: run locked is locked by pid \d+/,
      'second.stderr names E_RUN_LOCKED',
    );
  });
});
