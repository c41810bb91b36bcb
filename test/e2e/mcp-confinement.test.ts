// `quant mcp` reads nothing outside its workspace by any route, and its outputs never land on run state.
// Every route is tried through the built CLI's server and the official SDK client: params of built-in
// stages and of a user stage whose path param has no path-like name (also one level down), quant://
// addresses, manifest sleeve `prices` (absolute and ../), a pinned run (in the manifest and through
// `sleeve_runs`) that is a symlink to a real run outside, a symlinked stream inside a sleeve run, module
// paths given as stage ids or params; outputs on another run's record, a ledger, the cache, the manifest,
// a symlink to run state, and outside the run folder and exports/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, REPO, tempDir } from '../helpers/cli.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const EPOCH = '1767225600';
const USER_STAGES = join(REPO, 'test', 'fixtures', 'stages', 'path-stages.mjs');
type Json = Record<string, unknown>;

/** Every entry of `dir` (symlinks as links, not followed): relative path → content hash or link. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const info = lstatSync(p);
      if (info.isSymbolicLink()) out.set(`${prefix}${name}`, 'link');
      else if (info.isDirectory()) walk(p, `${prefix}${name}/`);
      else out.set(`${prefix}${name}`, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir, '');
  return out;
}

const sleeveSpec = (prices: string): Json => ({
  sleeve: {
    prices,
    assets: ['SBI', 'SPI'],
    risk_profiles: ['hrp'],
    train_window: 60,
    test_window: 20,
    step: 20,
  },
});

describe('quant mcp: confinement and outputs', () => {
  let ws: { path: string; cleanup(): void };
  let outside: { path: string; cleanup(): void };
  let client: Client;
  let serverStderr = '';

  async function call(name: string, args: Json): Promise<{ isError: boolean; text: string; code: string }> {
    const r = await client.callTool({ name, arguments: args });
    const text = (r.content as { text?: string }[])[0]?.text ?? '';
    const error = (r.structuredContent as { error?: { code?: string } } | undefined)?.error;
    return { isError: r.isError === true, text, code: error?.code ?? '' };
  }
  /** A refused call: the code, a message matching `why`, and not one file of the workspace changed. */
  async function refused(name: string, args: Json, code: string, why: RegExp): Promise<void> {
    const before = snapshot(ws.path);
    const r = await call(name, args);
    assert.equal(r.isError, true, `${JSON.stringify(args)} was accepted: ${r.text}`);
    assert.equal(r.code, code, r.text);
    assert.match(r.text, new RegExp(`^${code}: `), 'r.text matches new RegExp(`^${code}: `)');
    assert.match(r.text, why, 'r.text matches why');
    assert.equal(r.text.split('\n').length, 1, 'one line');
    assert.deepEqual(snapshot(ws.path), before, `${JSON.stringify(args)}: the workspace changed`);
  }

  before(async () => {
    ws = tempDir('quant-mcp-confine-');
    outside = tempDir('quant-mcp-outside-');
    mkdirSync(join(ws.path, 'data'));
    copyFileSync(join(REPO, 'data', 'swx_prices.csv'), join(ws.path, 'data', 'prices.csv'));
    copyFileSync(join(REPO, 'data', 'swx_prices.csv'), join(outside.path, 'prices.csv'));
    const dates = businessDays('2024-01-01', 80);
    const weights = (i: number) => ({
      hrp: [
        { Symbol: `ONLY_${i}`, Weight: 0.4, Net_Weight: 0.4, Direction: 'LONG' as const },
        { Symbol: 'SHARED', Weight: 0.6, Net_Weight: 0.6, Direction: 'LONG' as const },
      ],
    });
    for (const [i, profile] of ['sleeve_a', 'sleeve_b', 'sleeve_c'].entries()) {
      await writeSleeveRun(ws.path, {
        runId: `${profile}_run`,
        profile,
        streams: { hrp: { dates, returns: randomReturns(i + 1, dates.length) } },
        weights: weights(i),
      });
    }
    // A real, valid sleeve run outside, reachable only through runs/evil.
    await writeSleeveRun(outside.path, {
      runId: 'evil',
      profile: 'sleeve_a',
      streams: { hrp: { dates, returns: randomReturns(9, dates.length) } },
      weights: weights(9),
    });
    symlinkSync(join(outside.path, 'runs', 'evil'), join(ws.path, 'runs', 'evil'));
    // sleeve_c's stream is a symlink to the outside run's stream.
    const stream = join(ws.path, 'runs', 'sleeve_c_run', 'data', 'returns', 'hrp.parquet');
    rmSync(stream);
    symlinkSync(join(outside.path, 'runs', 'evil', 'data', 'returns', 'hrp.parquet'), stream);
    symlinkSync(join(outside.path, 'prices.csv'), join(ws.path, 'data', 'linked.csv'));
    mkdirSync(join(ws.path, 'exports'));
    symlinkSync(join(ws.path, 'runs', 'sleeve_a_run', 'run.json'), join(ws.path, 'exports', 'link.json'));
    writeFileSync(
      join(outside.path, 'module.mjs'),
      "import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('./imported.txt', import.meta.url), 'x');\nexport const stages = [];\n",
    );
    const pair = (a: Json, b: Json): Json => ({ sleeves: [a, b], risk_profiles: ['hrp'] });
    await writeManifest(ws.path, {
      profiles: {
        meta_ok: pair({ id: 'a', profile: 'sleeve_a' }, { id: 'b', profile: 'sleeve_b' }),
        meta_pinned: pair({ id: 'a', profile: 'sleeve_a', run_id: 'evil' }, { id: 'b', profile: 'sleeve_b' }),
        meta_linked: pair({ id: 'c', profile: 'sleeve_c' }, { id: 'b', profile: 'sleeve_b' }),
        far: sleeveSpec('/etc/passwd'),
        far_csv: sleeveSpec(join(outside.path, 'prices.csv')),
        up: sleeveSpec(`../${basename(outside.path)}/prices.csv`),
        linked: sleeveSpec('data/linked.csv'),
        home: sleeveSpec('data/prices.csv'),
      },
    });

    const env = Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--workspace', ws.path, '--stages', USER_STAGES],
      env: { ...env, CI: '1', SOURCE_DATE_EPOCH: EPOCH },
      cwd: REPO,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => (serverStderr += d.toString()));
    client = new Client({ name: 'metafolio-e2e', version: '1.0.0' });
    await client.connect(transport);
  });

  after(async () => {
    await client.close();
    ws.cleanup();
    outside.cleanup();
  });

  test('manifest sleeve prices outside the workspace are refused, naming the manifest entry', async () => {
    for (const profile of ['far', 'far_csv', 'up', 'linked']) {
      await refused(
        'run_stage',
        { stage: 'sleeve.backtest', params: { profile }, run_id: `s_${profile}` },
        'E_PATH_ESCAPE',
        new RegExp(
          `sleeve profile "${profile}": prices .*refused to read .*profiles\\.${profile}\\.sleeve\\.prices`,
        ),
      );
    }
    const ok = await call('run_stage', {
      stage: 'sleeve.backtest',
      params: { profile: 'home' },
      run_id: 's_home',
    });
    assert.equal(ok.isError, false, ok.text);
  });

  test('a pinned run that is a symlink out is refused, in the manifest and through sleeve_runs', async () => {
    await refused(
      'run_meta_pipeline',
      { meta_profile: 'meta_pinned', run_id: 'm1' },
      'E_PATH_ESCAPE',
      /runs\/evil/,
    );
    await refused(
      'run_meta_pipeline',
      { meta_profile: 'meta_ok', sleeve_runs: { sleeve_a: 'evil' }, run_id: 'm2' },
      'E_PATH_ESCAPE',
      /runs\/evil/,
    );
    await refused(
      'run_stage',
      {
        stage: 'meta.returns',
        params: { meta_profile: 'meta_ok', sleeve_runs: { sleeve_a: 'evil' } },
        run_id: 'm3',
      },
      'E_PATH_ESCAPE',
      /runs\/evil/,
    );
    // sleeve_runs is honoured (a pin inside the workspace is used, and recorded as pinned).
    const pinned = await call('run_meta_pipeline', {
      meta_profile: 'meta_ok',
      sleeve_runs: { sleeve_a: 'sleeve_a_run' },
      run_id: 'm_pinned',
    });
    assert.equal(pinned.isError, false, pinned.text);
    const resolved = JSON.parse(
      readFileSync(join(ws.path, 'runs', 'm_pinned', 'config', 'resolved_manifest.json'), 'utf8'),
    ) as { sleeves: { id: string; run_id: string; pinned: boolean }[] };
    assert.deepEqual(
      resolved.sleeves.map((x) => [x.id, x.run_id, x.pinned]),
      [
        ['a', 'sleeve_a_run', true],
        ['b', 'sleeve_b_run', false],
      ],
      'resolved.sleeves.map((x) => [x.id, x.run_id, x.pinned])',
    );
  });

  test('a symlinked file inside a sleeve run is not read', async () => {
    await refused(
      'run_meta_pipeline',
      { meta_profile: 'meta_linked', run_id: 'm4' },
      'E_PATH_ESCAPE',
      /refused to read runs\/sleeve_c_run\/data\/returns\/hrp\.parquet: it resolves through a symlink/,
    );
    const ok = await call('run_meta_pipeline', { meta_profile: 'meta_ok', run_id: 'm5' });
    assert.equal(ok.isError, false, ok.text);
  });

  test('a path in a param of any name, or in a quant:// address, is confined', async () => {
    const peek = (params: Json): Json => ({ stage: 'user.peek', params });
    await refused(
      'run_stage',
      peek({ source: '/etc/passwd' }),
      'E_PATH_ESCAPE',
      /refused to open \/etc\/passwd/,
    );
    await refused(
      'run_stage',
      peek({ source: '../x.csv' }),
      'E_PATH_ESCAPE',
      /it lies outside the workspace/,
    );
    await refused(
      'run_stage',
      peek({ spec: { where: 'data/linked.csv' } }),
      'E_PATH_ESCAPE',
      /resolves through a symlink/,
    );
    await refused(
      'run_stage',
      { stage: 'quant://user.peek?source=%2Fetc%2Fpasswd' },
      'E_PATH_ESCAPE',
      /\/etc\/passwd/,
    );
    await refused(
      'run_stage',
      { stage: 'quant://portfolio.optimize?input=/etc/passwd' },
      'E_PATH_ESCAPE',
      /\/etc\/passwd/,
    );
    const ok = await call('run_stage', { ...peek({ source: 'data/prices.csv' }), run_id: 'peek_ok' });
    assert.equal(ok.isError, false, ok.text);
  });

  test('module paths are never loaded: not as a stage id, not as a param', async () => {
    const module = join(outside.path, 'module.mjs');
    await refused('run_stage', { stage: module }, 'E_UNKNOWN_STAGE', /module\.mjs/);
    await refused('run_stage', { stage: `file://${module}` }, 'E_UNKNOWN_STAGE', /module\.mjs/);
    await refused('describe_stage', { stage: module }, 'E_UNKNOWN_STAGE', /module\.mjs/);
    await refused(
      'run_stage',
      { stage: 'user.peek', params: { stages: module } },
      'E_PARAMS',
      /stages: unknown parameter/,
    );
    await refused('list_stages', { stages: module }, 'E_USAGE', /unknown|Unrecognized/);
    assert.equal(existsSync(join(outside.path, 'imported.txt')), false, 'the module was never imported');
  });

  test('outputs never land on run state, and only in the run folder or exports/', async () => {
    const optimize = (output: string, run_id?: string): Json => ({
      stage: 'portfolio.optimize',
      params: { input: 'data/prices.csv', output },
      ...(run_id === undefined ? {} : { run_id }),
    });
    const cases: [Json, RegExp][] = [
      [optimize('runs/sleeve_a_run/run.json', 'o1'), /"run\.json" is run state/],
      [optimize('runs/sleeve_a_run/audit.jsonl', 'sleeve_a_run'), /"audit\.jsonl" is run state/],
      [optimize('runs/sleeve_a_run/data/w.json', 'o1'), /folder of another run \(runs\/sleeve_a_run\)/],
      [optimize('.cache/meta/w.json', 'o1'), /run cache/],
      [optimize('manifest.json', 'o1'), /workspace manifest/],
      [optimize('exports/link.json', 'o1'), /resolves through a link to runs\/sleeve_a_run\/run\.json/],
      [optimize('data/w.json', 'o1'), /only into the run folder \(runs\/o1\/\) or exports\//],
      [
        { stage: 'quant://portfolio.optimize?input=data/prices.csv&output=.cache/x.json', run_id: 'o1' },
        /run cache/,
      ],
    ];
    for (const [args, why] of cases) await refused('run_stage', args, 'E_OUTPUT_FORBIDDEN', why);
    await refused(
      'run_stage',
      optimize(join(outside.path, 'w.json'), 'o1'),
      'E_PATH_ESCAPE',
      /points outside/,
    );
    for (const [output, run_id] of [
      ['exports/w.json', 'o2'],
      ['runs/o3/data/mine.json', 'o3'],
    ] as const) {
      const ok = await call('run_stage', optimize(output, run_id));
      assert.equal(ok.isError, false, ok.text);
      assert.ok(existsSync(join(ws.path, output)), `${output} written`);
    }
    assert.deepEqual(
      readdirSync(outside.path).sort(),
      ['module.mjs', 'prices.csv', 'runs'],
      'readdirSync(outside.path).sort()',
    );
  });

  test('the server is still serving and logged no internal error', async () => {
    const r = await call('list_runs', {});
    assert.equal(r.isError, false, r.text);
    assert.doesNotMatch(
      serverStderr,
      /E_INTERNAL|\n\s+at /,
      'serverStderr does not match /E_INTERNAL|\\n\\s+at /',
    );
  });
});
