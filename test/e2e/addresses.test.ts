// quant:// addresses through the built CLI: stage addresses in `stage run` / `stage schema`, artifact
// addresses in `runs show`, and the coded errors of malformed or escaping addresses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, quant, tempDir } from '../helpers/cli.js';
import { businessDays, randomReturns, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const SWX = join(REPO, 'data', 'swx_prices.csv');

interface WeightsDoc {
  method: string;
  assets: string[];
  weights: Record<string, number>;
  params: { max_weight: number };
}

describe('quant:// addresses in the CLI', () => {
  let ws: { path: string; cleanup(): void };
  let outside: { path: string; cleanup(): void };
  const run = (args: string[]) => quant([...args, '--workspace', ws.path], { cwd: ws.path });
  const weights = (runId: string, method: string): WeightsDoc =>
    JSON.parse(
      readFileSync(join(ws.path, 'runs', runId, 'data', `weights_${method}.json`), 'utf8'),
    ) as WeightsDoc;

  before(async () => {
    ws = tempDir('quant-addr-');
    outside = tempDir('quant-outside-');
    copyFileSync(SWX, join(ws.path, 'my prices.csv'));
    writeFileSync(join(outside.path, 'secret.json'), '{"secret": true}\n');
    const dates = businessDays('2024-01-01', 12);
    await writeSleeveRun(ws.path, {
      runId: 'sleeve1',
      profile: 's',
      streams: { hrp: { dates, returns: randomReturns(7, dates.length) } },
    });
    mkdirSync(join(ws.path, 'runs', 'sleeve1', 'reports'), { recursive: true });
    writeFileSync(join(ws.path, 'runs', 'sleeve1', 'reports', 'note.md'), '# Note\n\n- one *item*\n');
    symlinkSync(join(outside.path, 'secret.json'), join(ws.path, 'runs', 'sleeve1', 'data', 'leak.json'));
  });
  after(() => {
    ws.cleanup();
    outside.cleanup();
  });

  test('stage run takes an address: params percent-decoded and coerced by the stage schema', () => {
    const r = run([
      'stage',
      'run',
      'quant://portfolio.optimize?method=min_variance&max_weight=0.5&input=my%20prices.csv',
      '--run-id',
      'a1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = weights('a1', 'min_variance');
    assert.equal(doc.params.max_weight, 0.5, 'doc.params.max_weight');
    for (const w of Object.values(doc.weights)) assert.ok(w <= 0.5 + 1e-12, 'w <= 0.5 + 1e-12');
  });

  test('--param values override the address; repeated keys build lists', () => {
    const r = run([
      'stage',
      'run',
      'quant://portfolio.optimize?method=hrp&input=my%20prices.csv&assets=SBI&assets=SPI,SII',
      '--param',
      'method=equal_weight',
      '--run-id',
      'a2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      existsSync(join(ws.path, 'runs', 'a2', 'data', 'weights_hrp.json')),
      false,
      'runs/a2/data/weights_hrp.json does not exist',
    );
    const doc = weights('a2', 'equal_weight');
    assert.deepEqual(doc.assets, ['SBI', 'SPI', 'SII'], 'doc.assets');
    for (const w of Object.values(doc.weights))
      assert.ok(Math.abs(w - 1 / 3) < 1e-15, 'w ≈ 1 / 3 within 1e-15');
  });

  test('stage schema accepts an address and prints the same schema as for the id', () => {
    const byId = run(['stage', 'schema', 'portfolio.optimize']);
    const byAddress = run(['stage', 'schema', 'quant://portfolio.optimize']);
    assert.equal(byAddress.code, 0, byAddress.stderr);
    assert.equal(byAddress.stdout, byId.stdout, 'byAddress.stdout');
  });

  test('a malformed address is one coded line naming the bad part; nothing is written', () => {
    const cases: [string, RegExp][] = [
      [
        'quant://portfolio.optimize?method',
        /^E_ADDRESS: .*parameter "method" has no value at character 28 \("method"\) — write method=<value>$/,
      ],
      [
        'quant://portfolio.optimize?method=%zz',
        /^E_ADDRESS: .*bad percent-encoding .* at character 35 \("%zz"\)/,
      ],
      ['quant://portfolio.optimize/hrp', /^E_ADDRESS: .*a stage address has no path .*\("\/hrp"\)/],
      [
        'quant://runs/a1/run.json',
        /^E_ADDRESS: quant:\/\/runs\/a1\/run\.json names an artifact, not a stage/,
      ],
    ];
    for (const [address, expected] of cases) {
      const r = run(['stage', 'run', address, '--run-id', 'bad']);
      assert.equal(r.code, 1, address);
      assert.match(r.stderr.trim(), expected, 'r.stderr.trim() matches expected');
      assert.equal(r.stderr.trim().split('\n').length, 1, "r.stderr.trim().split('\\n').length");
    }
    const unknown = run(['stage', 'run', 'quant://portfolio.optimise?method=hrp']);
    assert.match(
      unknown.stderr,
      /^E_UNKNOWN_STAGE: unknown stage "portfolio\.optimise" — did you mean "portfolio\.optimize"/,
      'unknown.stderr names E_UNKNOWN_STAGE',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'bad')), false, 'runs/bad does not exist');
  });

  test('runs show: JSON pretty-printed', () => {
    const r = run(['runs', 'show', 'quant://runs/a1/data/weights_min_variance.json']);
    assert.equal(r.code, 0, r.stderr);
    const file = readFileSync(join(ws.path, 'runs', 'a1', 'data', 'weights_min_variance.json'), 'utf8');
    assert.equal(r.stdout, `${JSON.stringify(JSON.parse(file), null, 2)}\n`, 'r.stdout');
  });

  test('runs show: Parquet as shape + the first 5 rows; --json gives the same summary as data', () => {
    const r = run(['runs', 'show', 'quant://runs/sleeve1/data/returns/hrp.parquet']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'quant://runs/sleeve1/data/returns/hrp.parquet: parquet, 12 rows × 2 columns',
      'lines[0]',
    );
    assert.match(lines[1] ?? '', /^date\s+return$/, "lines[1] ?? '' matches /^date\\s+return$/");
    assert.match(lines[2] ?? '', /^2024-01-01\s+-?\d/, "lines[2] ?? '' matches /^2024-01-01\\s+-?\\d/");
    assert.equal(lines.length, 8, 'lines.length'); // header, column names, 5 rows, "… 7 more rows"
    assert.equal(lines[7], '… 7 more rows', 'lines[7]');
    const j = run(['runs', 'show', 'quant://runs/sleeve1/data/returns/hrp.parquet', '--json']);
    const summary = JSON.parse(j.stdout) as {
      shape: number[];
      columns: string[];
      head: { return: number }[];
    };
    assert.deepEqual(summary.shape, [12, 2], 'summary.shape');
    assert.deepEqual(summary.columns, ['date', 'return'], 'summary.columns');
    assert.equal(summary.head.length, 5, 'summary.head.length');
    assert.equal(summary.head[0]?.return, randomReturns(7, 12)[0], 'summary.head[0]?.return');
  });

  test('runs show: Markdown as text; a run address lists its files with their addresses', () => {
    const md = run(['runs', 'show', 'quant://runs/sleeve1/reports/note.md']);
    assert.equal(md.stdout, '# Note\n\n- one *item*\n', 'md.stdout');
    const list = run(['runs', 'show', 'quant://runs/a1']);
    assert.equal(list.code, 0, list.stderr);
    const addresses = list.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(
      addresses,
      [
        'quant://runs/a1/audit.jsonl',
        'quant://runs/a1/data/weights_min_variance.json',
        'quant://runs/a1/run.json',
      ],
      'addresses',
    );
  });

  test('runs show refuses missing artifacts, ".." and symlinks out of the workspace, with codes', () => {
    const missing = run(['runs', 'show', 'quant://runs/a1/data/nope.json']);
    assert.equal(missing.code, 1, `exit code (stderr: ${missing.stderr})`);
    assert.match(
      missing.stderr,
      /^E_ARTIFACT_MISSING: quant:\/\/runs\/a1\/data\/nope\.json does not exist/,
      'missing.stderr names E_ARTIFACT_MISSING',
    );
    const dots = run(['runs', 'show', 'quant://runs/a1/../../../etc/passwd']);
    assert.equal(dots.code, 1, `exit code (stderr: ${dots.stderr})`);
    assert.match(
      dots.stderr,
      /^E_ADDRESS: .*"\.\." is not allowed in the path at character 17/,
      'dots.stderr names E_ADDRESS',
    );
    const leak = run(['runs', 'show', 'quant://runs/sleeve1/data/leak.json']);
    assert.equal(leak.code, 1, `exit code (stderr: ${leak.stderr})`);
    assert.match(
      leak.stderr,
      /^E_PATH_ESCAPE: .*resolves through a symlink/,
      'leak.stderr names E_PATH_ESCAPE',
    );
    assert.doesNotMatch(leak.stdout, /secret/, 'leak.stdout does not match /secret/');
    const badRun = run(['runs', 'show', 'quant://runs/.hidden/x']);
    assert.match(badRun.stderr, /^E_RUN_ID: /, 'badRun.stderr names E_RUN_ID');
  });
});
