// `quant mcp` end to end: the built CLI started as a child process and driven over stdio by the official
// SDK client, on a temp workspace of real sleeve runs. Errors are compared with what the CLI prints for
// the same mistake; path confinement is proven with "..", an absolute path and symlinks pointing out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { CLI, REPO, quant, tempDir } from '../helpers/cli.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../helpers/sleeve-fixtures.js';
import { renderStageCatalogMarkdown } from '../../src/core/catalog-doc.js';
import { STAGE_CATEGORIES } from '../../src/core/stage.js';
import { StageRegistry } from '../../src/stages/catalog.js';

const EPOCH = '1767225600'; // 2026-01-01T00:00:00Z

/** Every file under `dir` (relative path → bytes, base64), to compare a folder before and after. */
function folderBytes(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) Object.assign(out, folderBytes(dir, rel));
    else out[rel] = readFileSync(join(dir, rel)).toString('base64');
  }
  return out;
}
type Json = Record<string, unknown>;
interface Called {
  readonly isError: boolean;
  readonly text: string;
  readonly data: Json;
}

describe('quant mcp over stdio', () => {
  let ws: { path: string; cleanup(): void };
  let outside: { path: string; cleanup(): void };
  let client: Client;
  let serverStderr = '';
  const clientErrors: Error[] = [];

  const cli = (args: string[]) => quant([...args, '--workspace', ws.path], { cwd: ws.path });
  async function call(name: string, args: Json, onprogress?: (p: Progress) => void): Promise<Called> {
    const r = await client.callTool(
      { name, arguments: args },
      undefined,
      onprogress === undefined ? {} : { onprogress },
    );
    const content = r.content as { type: string; text?: string }[];
    return {
      isError: r.isError === true,
      text: content[0]?.text ?? '',
      data: (r.structuredContent ?? {}) as Json,
    };
  }
  async function readText(uri: string): Promise<string> {
    const r = await client.readResource({ uri });
    const first = r.contents[0] as { text?: string } | undefined;
    assert.ok(first?.text !== undefined, `${uri} has text`);
    return first.text;
  }
  const runFolders = (): string[] => readdirSync(join(ws.path, 'runs')).sort();

  before(async () => {
    ws = tempDir('quant-mcp-');
    outside = tempDir('quant-outside-');
    mkdirSync(join(ws.path, 'data'));
    copyFileSync(join(REPO, 'data', 'swx_prices.csv'), join(ws.path, 'data', 'prices.csv'));
    copyFileSync(join(REPO, 'data', 'swx_prices.csv'), join(outside.path, 'prices.csv'));
    writeFileSync(join(outside.path, 'secret.json'), '{"secret": true}\n');
    // Two sleeves with HRP streams and physical weights, and a meta profile over them.
    const dates = businessDays('2024-01-01', 80);
    for (const [i, profile] of ['sleeve_a', 'sleeve_b'].entries()) {
      await writeSleeveRun(ws.path, {
        runId: `${profile}_run`,
        profile,
        streams: { hrp: { dates, returns: randomReturns(i + 1, dates.length) } },
        weights: {
          hrp: [
            { Symbol: `ONLY_${i}`, Weight: 0.4, Net_Weight: 0.4, Direction: 'LONG' },
            { Symbol: 'SHARED', Weight: 0.6, Net_Weight: 0.6, Direction: 'LONG' },
          ],
        },
      });
    }
    await writeManifest(ws.path, {
      profiles: {
        meta_two: {
          sleeves: [
            { id: 'a', profile: 'sleeve_a' },
            { id: 'b', profile: 'sleeve_b' },
          ],
          risk_profiles: ['hrp'],
        },
      },
    });
    symlinkSync(outside.path, join(ws.path, 'linked'));
    symlinkSync(
      join(outside.path, 'secret.json'),
      join(ws.path, 'runs', 'sleeve_a_run', 'data', 'leak.json'),
    );
    symlinkSync(outside.path, join(ws.path, 'runs', 'evil'));

    const env = Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--workspace', ws.path],
      env: { ...env, CI: '1', SOURCE_DATE_EPOCH: EPOCH },
      cwd: REPO,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => (serverStderr += d.toString()));
    client = new Client({ name: 'metafolio-e2e', version: '1.0.0' });
    client.onerror = (error) => void clientErrors.push(error);
    await client.connect(transport);
  });

  after(async () => {
    await client.close();
    ws.cleanup();
    outside.cleanup();
  });

  test('lists the tools; their input schemas are derived from the CLI zod schemas', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      [
        'list_stages',
        'describe_stage',
        'run_stage',
        'run_meta_pipeline',
        'validate_run',
        'verify_audit',
        'list_runs',
      ],
      'tools.map((t) => t.name)',
    );
    const byName = new Map(
      tools.map((t) => [t.name, t.inputSchema as Json & { properties: Record<string, Json> }]),
    );
    for (const schema of byName.values()) assert.equal(schema['type'], 'object', "schema['type']");
    const cliSchema = (id: string) => {
      const { $schema: _, ...rest } = JSON.parse(cli(['stage', 'schema', id]).stdout) as Json;
      return rest;
    };
    // run_stage: one if/then branch per stage, its params schema exactly `quant stage schema <id>`.
    const branches = byName.get('run_stage')?.['allOf'] as {
      if: Json;
      then: { properties: { params: Json } };
    }[];
    assert.equal(branches.length, StageRegistry.stages.length, 'branches.length');
    const optimize = branches.find((b) => JSON.stringify(b.if).includes('"portfolio.optimize"'));
    const { title, ...params } = optimize?.then.properties.params ?? {};
    assert.equal(title, 'params of portfolio.optimize', 'title');
    assert.deepEqual(params, cliSchema('portfolio.optimize'), 'params');
    // run_meta_pipeline: the meta stages' params (`quant stage schema meta.returns`) plus run_id.
    const meta = byName.get('run_meta_pipeline');
    const metaParams = cliSchema('meta.returns') as { properties: Json; required: string[] };
    assert.deepEqual(
      meta?.properties['meta_profile'],
      metaParams.properties['meta_profile'],
      "meta?.properties['meta_profile']",
    );
    assert.deepEqual(
      meta?.properties['risk_profiles'],
      metaParams.properties['risk_profiles'],
      "meta?.properties['risk_profiles']",
    );
    assert.deepEqual(meta?.['required'], metaParams.required, "meta?.['required']");
    assert.deepEqual(
      byName.get('list_stages')?.properties['category']?.['enum'],
      [...STAGE_CATEGORIES],
      "byName.get('list_stages')?.properties['category']?.['enum']",
    );
  });

  test('list_stages filters by category and tag like `quant stage list`', async () => {
    const r = await call('list_stages', { category: 'meta' });
    assert.equal(r.isError, false, r.text);
    const cliIds = (
      JSON.parse(cli(['stage', 'list', '--category', 'meta', '--json']).stdout) as { id: string }[]
    ).map((s) => s.id);
    assert.deepEqual(
      (r.data['stages'] as { id: string }[]).map((s) => s.id),
      cliIds,
      "(r.data['stages']).map((s) => s.id)",
    );
    const tagged = await call('list_stages', { category: 'portfolio', tag: 'weights' });
    const cliTagged = JSON.parse(
      cli(['stage', 'list', '--category', 'portfolio', '--tag', 'weights', '--json']).stdout,
    ) as { id: string }[];
    assert.deepEqual(
      (tagged.data['stages'] as { id: string; address: string }[]).map((s) => [s.id, s.address]),
      cliTagged.map((s) => [s.id, `quant://${s.id}`]),
      "(tagged.data['stages']).map((s) => [s.id, s.address])",
    );
    assert.ok(
      cliTagged.some((s) => s.id === 'portfolio.optimize'),
      "cliTagged.some((s) => s.id === 'portfolio.optimize')",
    );
  });

  test('describe_stage returns the params JSON Schema of `quant stage schema`, by id or address', async () => {
    const expected = JSON.parse(cli(['stage', 'schema', 'portfolio.optimize']).stdout) as Json;
    for (const stage of ['portfolio.optimize', 'quant://portfolio.optimize?method=hrp']) {
      const r = await call('describe_stage', { stage });
      assert.equal(r.isError, false, r.text);
      assert.deepEqual(r.data['params_schema'], expected, "r.data['params_schema']");
    }
  });

  test('run_stage runs portfolio.optimize, reports progress, and its weights read back through the address', async () => {
    const progress: Progress[] = [];
    const r = await call(
      'run_stage',
      {
        stage: 'quant://portfolio.optimize?method=hrp',
        params: { input: 'data/prices.csv', linkage: 'ward' },
        run_id: 'opt1',
      },
      (p) => progress.push(p),
    );
    assert.equal(r.isError, false, r.text);
    assert.equal(r.data['run_id'], 'opt1', "r.data['run_id']");
    assert.equal(r.data['run'], 'quant://runs/opt1', "r.data['run']");
    assert.match(
      String(r.data['summary']),
      /^hrp on 6 assets/,
      "String(r.data['summary']) matches /^hrp on 6 assets/",
    );
    const artifacts = r.data['artifacts'] as { path: string; address: string; sha256: string }[];
    assert.deepEqual(
      artifacts.map((a) => a.address),
      ['quant://runs/opt1/data/weights_hrp.json'],
      'artifacts.map((a) => a.address)',
    );
    assert.equal(artifacts[0]?.sha256.length, 64, 'artifacts[0]?.sha256.length');
    assert.ok(
      progress.some((p) => p.message === 'portfolio.optimize: started'),
      "progress.some((p) => p.message === 'portfolio.optimize: started')",
    );

    const text = await readText('quant://runs/opt1/data/weights_hrp.json');
    const file = readFileSync(join(ws.path, 'runs', 'opt1', 'data', 'weights_hrp.json'), 'utf8');
    assert.deepEqual(JSON.parse(text), JSON.parse(file), 'JSON.parse(text)');
    const doc = JSON.parse(text) as { weights: Record<string, number>; params: { linkage: string } };
    assert.equal(doc.params.linkage, 'ward', 'doc.params.linkage');
    // The same address through the CLI gives the same weights, to the last bit.
    const viaCli = cli([
      'stage',
      'run',
      'quant://portfolio.optimize?method=hrp&linkage=ward&input=data/prices.csv',
      '--run-id',
      'opt_cli',
    ]);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    const cliDoc = JSON.parse(
      readFileSync(join(ws.path, 'runs', 'opt_cli', 'data', 'weights_hrp.json'), 'utf8'),
    ) as typeof doc;
    assert.deepEqual(cliDoc.weights, doc.weights, 'cliDoc.weights');
    assert.ok(
      Math.abs(Object.values(doc.weights).reduce((a, b) => a + b, 0) - 1) < 1e-12,
      'Object.values(doc.weights).reduce((a, b) => … ≈ 1 within 1e-12',
    );
  });

  test('run_meta_pipeline runs a small meta profile with progress; validate_run, verify_audit and list_runs see it', async () => {
    const progress: Progress[] = [];
    const r = await call('run_meta_pipeline', { meta_profile: 'meta_two', run_id: 'meta1' }, (p) =>
      progress.push(p),
    );
    assert.equal(r.isError, false, r.text);
    assert.deepEqual(r.data['risk_profiles'], ['hrp'], "r.data['risk_profiles']");
    assert.equal(r.data['report'], 'quant://runs/meta1/reports/meta_portfolio_report.md', "r.data['report']");
    const stages = r.data['stages'] as { stage: string; artifacts: { address: string | null }[] }[];
    assert.deepEqual(
      stages.map((s) => s.stage),
      [
        'meta.returns',
        'meta.optimize',
        'meta.backtest',
        'meta.benchmark',
        'meta.flatten',
        'meta.attribution',
        'meta.report',
      ],
      'stages.map((s) => s.stage)',
    );
    assert.ok(progress.length >= 2, `progress: ${JSON.stringify(progress)}`);
    assert.ok(
      progress.some((p) => p.message?.startsWith('meta.returns:')),
      "progress.some((p) => p.message?.startsWith('meta.returns:'))",
    );
    assert.deepEqual(
      progress.map((p) => p.progress),
      progress.map((_, i) => i + 1),
      'progress.map((p) => p.progress)',
    );

    // Flattened weights through a resource address.
    const flat = JSON.parse(
      await readText('quant://runs/meta1/data/portfolio_optimized_meta_meta_two_hrp.json'),
    ) as {
      assets: { Symbol: string; Weight: number }[];
    };
    assert.deepEqual(
      flat.assets.map((a) => a.Symbol).sort(),
      ['ONLY_0', 'ONLY_1', 'SHARED'],
      'flat.assets.map((a) => a.Symbol).sort()',
    );
    assert.equal(
      flat.assets.find((a) => a.Symbol === 'SHARED')?.Weight.toFixed(12),
      (0.6).toFixed(12),
      "flat.assets.find((a) => a.Symbol === 'SHARED')?.Weight.toFixed(12)",
    );
    assert.ok(
      Math.abs(flat.assets.reduce((s, a) => s + a.Weight, 0) - 1) < 1e-12,
      'flat.assets.reduce((s, a) => s + a.Weight, 0) ≈ 1 within 1e-12',
    );
    const table = JSON.parse(await readText('quant://runs/meta1/data/meta_returns_meta_two_hrp.parquet')) as {
      shape: number[];
      columns: string[];
      head: Json[];
    };
    assert.deepEqual(table.shape, [80, 3], 'table.shape');
    assert.deepEqual(table.columns, ['date', 'a', 'b'], 'table.columns');
    assert.equal(table.head.length, 5, 'table.head.length');
    assert.match(
      await readText('quant://runs/meta1/reports/meta_portfolio_report.md'),
      /^# Meta portfolio report/,
      "await readText('quant://runs/meta1/repo… matches /^# Meta portfolio report/",
    );

    // Validation reads the run it checks: without `write` not a byte of the run folder changes.
    const verdictFile = join(ws.path, 'runs', 'meta1', 'reports', 'meta_validation.json');
    const before = folderBytes(join(ws.path, 'runs', 'meta1'));
    const valid = await call('validate_run', { run_id: 'meta1' });
    assert.equal(valid.isError, false, valid.text);
    assert.equal((valid.data['verdict'] as { ok: boolean }).ok, true, "(valid.data['verdict']).ok");
    assert.equal(valid.data['address'], undefined, 'no verdict address when nothing was written');
    assert.ok(!existsSync(verdictFile), 'validate_run without write leaves no meta_validation.json');
    assert.deepEqual(folderBytes(join(ws.path, 'runs', 'meta1')), before, 'the run folder is unchanged');
    // `write: true` records the verdict, as `quant meta validate --write` does.
    const written = await call('validate_run', { run_id: 'meta1', write: true });
    assert.equal(written.isError, false, written.text);
    assert.equal(
      written.data['address'],
      'quant://runs/meta1/reports/meta_validation.json',
      'the written verdict is addressed',
    );
    assert.deepEqual(
      JSON.parse(readFileSync(verdictFile, 'utf8')),
      written.data['verdict'],
      'the file holds the returned verdict',
    );
    const typo = await call('validate_run', { run_id: 'meta1', wirte: true });
    assert.equal(typo.isError, true, 'a misspelt write is refused, not ignored');
    assert.match(typo.text, /^E_USAGE: .*wirte/, typo.text);
    const audit = await call('verify_audit', { run_id: 'meta1' });
    assert.equal(audit.isError, false, audit.text);
    assert.equal(audit.data['ok'], true, "audit.data['ok']");
    const runs = await call('list_runs', {});
    const ids = (runs.data['runs'] as { run_id: string; address: string }[]).map((x) => x.run_id);
    for (const id of ['meta1', 'opt1', 'sleeve_a_run', 'sleeve_b_run']) assert.ok(ids.includes(id), id);
    assert.ok(!ids.includes('evil'), "!ids.includes('evil')");
  });

  test('resources: run artifacts and docs/stages.md are listed and readable', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    assert.ok(uris.includes('quant://docs/stages.md'), "uris includes 'quant://docs/stages.md'");
    assert.ok(
      uris.includes('quant://runs/opt1/data/weights_hrp.json'),
      "uris includes 'quant://runs/opt1/data/weights_hrp.json'",
    );
    assert.ok(!uris.some((u) => u.includes('leak.json') || u.includes('/evil')), 'symlinks are not listed');
    assert.equal(
      await readText('quant://docs/stages.md'),
      renderStageCatalogMarkdown(StageRegistry),
      "await readText('quant://docs/stages.md')",
    );
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(
      resourceTemplates.some((t) => t.uriTemplate === 'quant://runs/{run_id}/{+path}'),
      "resourceTemplates.some((t) => t.uriTemplate === 'quant://runs/{run_id…",
    );
  });

  test('bad params, an unknown stage and a malformed address are tool errors with the CLI code and message', async () => {
    const cases: [Json, string[]][] = [
      [
        { stage: 'portfolio.optimize', params: { method: 'nope', min_weight: 'lots' }, run_id: 'bad1' },
        [
          'stage',
          'run',
          'portfolio.optimize',
          '--param',
          'method=nope',
          '--param',
          'min_weight=lots',
          '--run-id',
          'bad1',
        ],
      ],
      [{ stage: 'portfolio.optimise', params: {} }, ['stage', 'run', 'portfolio.optimise']],
      [{ stage: 'quant://portfolio.optimize?method' }, ['stage', 'run', 'quant://portfolio.optimize?method']],
      [
        { stage: 'portfolio.optimize', params: { input: 'data/prices.csv' }, run_id: '../../x' },
        ['stage', 'run', 'portfolio.optimize', '--param', 'input=data/prices.csv', '--run-id', '../../x'],
      ],
    ];
    for (const [args, cliArgs] of cases) {
      const r = await call('run_stage', args);
      const expected = cli(cliArgs);
      assert.equal(expected.code, 1, `exit code (stderr: ${expected.stderr})`);
      assert.equal(r.isError, true, 'r.isError');
      assert.equal(r.text, expected.stderr.trim(), 'r.text');
      assert.match(
        r.text,
        /^E_(PARAMS|UNKNOWN_STAGE|ADDRESS|RUN_ID): /,
        'r.text matches /^E_(PARAMS|UNKNOWN_STAGE|ADDRESS|RUN_ID): /',
      );
      assert.equal(
        (r.data['error'] as { code: string }).code,
        r.text.slice(0, r.text.indexOf(':')),
        "(r.data['error']).code",
      );
    }
    const issues = (
      (await call('run_stage', { stage: 'portfolio.optimize', params: { method: 'nope' } })).data[
        'error'
      ] as {
        issues: { path: string }[];
      }
    ).issues;
    assert.deepEqual(
      issues.map((i) => i.path).sort(),
      ['input', 'method'],
      'issues.map((i) => i.path).sort()',
    );
    const wrongType = await call('run_stage', { stage: 5 });
    assert.match(
      wrongType.text,
      /^E_USAGE: invalid arguments for tool run_stage: stage: /,
      'wrongType.text names E_USAGE',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'bad1')), false, 'runs/bad1 does not exist');
  });

  test('verify_audit reports a broken ledger exactly as `quant audit verify`', async () => {
    const file = join(ws.path, 'runs', 'opt_cli', 'audit.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"started"', '"startet"'));
    const r = await call('verify_audit', { run_id: 'opt_cli' });
    const expected = cli(['audit', 'verify', 'opt_cli']);
    assert.equal(expected.code, 1, `exit code (stderr: ${expected.stderr})`);
    assert.equal(r.isError, true, 'r.isError');
    assert.equal(r.text, expected.stderr.trim(), 'r.text');
    assert.match(r.text, /^E_AUDIT_BROKEN: .*line 2/, 'r.text names E_AUDIT_BROKEN');
  });

  test('param paths that leave the workspace are refused before any run folder is made', async () => {
    const before = runFolders();
    const escapes: [Json, RegExp][] = [
      [{ input: '../prices.csv' }, /param input: path "\.\.\/prices\.csv" points outside/],
      [{ input: join(outside.path, 'prices.csv') }, /param input: path ".*prices\.csv" points outside/],
      [{ input: 'linked/prices.csv' }, /param input: path "linked\/prices\.csv" resolves through a symlink/],
      [{ input: 'data/prices.csv', output: join(outside.path, 'w.json') }, /param output: .*points outside/],
      [{ input: 'data/prices.csv', output: 'linked/w.json' }, /param output: .*resolves through a symlink/],
    ];
    for (const [params, message] of escapes) {
      const r = await call('run_stage', { stage: 'portfolio.optimize', params });
      assert.equal(r.isError, true, JSON.stringify(params));
      assert.match(r.text, /^E_PATH_ESCAPE: /, 'r.text names E_PATH_ESCAPE');
      assert.match(r.text, message, 'r.text matches message');
    }
    const intoSymlinkedRun = await call('run_stage', {
      stage: 'portfolio.optimize',
      params: { input: 'data/prices.csv' },
      run_id: 'evil',
    });
    assert.match(intoSymlinkedRun.text, /^E_PATH_ESCAPE: /, 'intoSymlinkedRun.text names E_PATH_ESCAPE');
    assert.deepEqual(runFolders(), before, 'runFolders()');
    assert.deepEqual(
      readdirSync(outside.path).sort(),
      ['prices.csv', 'secret.json'],
      'readdirSync(outside.path).sort()',
    );
  });

  test('resource and run reads that leave the workspace are refused with coded errors', async () => {
    const refused = async (uri: string, code: string): Promise<void> => {
      await assert.rejects(
        client.readResource({ uri }),
        (error: unknown) => {
          assert.ok(error instanceof McpError, 'error is a McpError');
          assert.equal(
            (error.data as { code?: string }).code,
            code,
            '(error.data as { code?: string }).code',
          );
          assert.match(
            error.message,
            new RegExp(`${code}: `),
            'error.message matches new RegExp(`${code}: `)',
          );
          return true;
        },
        'client.readResource rejects',
      );
    };
    await refused('quant://runs/sleeve_a_run/data/leak.json', 'E_PATH_ESCAPE');
    await refused('quant://runs/evil/secret.json', 'E_PATH_ESCAPE');
    await refused('quant://runs/opt1/../../linked/secret.json', 'E_ADDRESS');
    await refused('quant://runs/opt1/%2e%2e/%2e%2e/linked/secret.json', 'E_ADDRESS');
    await refused('quant://runs/opt1/data/missing.json', 'E_ARTIFACT_MISSING');
    await refused('quant://portfolio.optimize', 'E_ADDRESS');
    for (const tool of ['verify_audit', 'validate_run']) {
      const r = await call(tool, { run_id: 'evil' });
      assert.match(r.text, /^E_PATH_ESCAPE: /, tool);
    }
  });

  test('after every error the server still answers, its stdout carried only protocol messages', async () => {
    const r = await call('list_stages', {});
    assert.equal(r.isError, false, 'r.isError');
    assert.equal(
      (r.data['stages'] as unknown[]).length,
      StageRegistry.stages.length,
      "(r.data['stages']).length",
    );
    assert.deepEqual(clientErrors, [], 'clientErrors');
    assert.match(
      serverStderr,
      /quant mcp: serving .* over stdio/,
      'serverStderr matches /quant mcp: serving .* over stdio/',
    );
    assert.doesNotMatch(
      serverStderr,
      /E_INTERNAL|\n\s+at /,
      'serverStderr does not match /E_INTERNAL|\\n\\s+at /',
    );
  });
});
