// `quant trades` end to end: a real meta run, then the orders of its hrp target, in a fresh process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { buildSmallMetaWorkspace, SMALL_META_PROFILE } from '../helpers/small-meta-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const w = tempDir('quant-trades-e2e-');
after(() => w.cleanup());

before(async () => {
  await buildSmallMetaWorkspace(w.path);
  writeFileSync(join(w.path, 'prices.csv'), 'symbol,price\nX0,101.5\nX1,42\nGONE,7\n');
  writeFileSync(join(w.path, 'holdings.csv'), 'symbol,quantity\nX0,1000\nGONE,300\n');
  writeFileSync(join(w.path, 'lots.csv'), 'symbol,lot_size,min_ticket\nX1,100,5000\n');
  const r = quant(['meta', 'run', '--profile', SMALL_META_PROFILE, '--run-id', 'R', '--workspace', w.path], {
    env: ENV,
  });
  assert.equal(r.code, 0, `meta run: ${r.stderr}`);
});

const trades = (...extra: string[]) =>
  quant(
    [
      'trades',
      '--run-id',
      'R',
      '--profile',
      'hrp',
      '--workspace',
      w.path,
      '--prices',
      'prices.csv',
      ...extra,
    ],
    { cwd: w.path, env: ENV },
  );

test('quant trades writes the orders of the target in whole lots, the same bytes twice', () => {
  const args = ['--holdings', 'holdings.csv', '--lots', 'lots.csv', '--nav', '1e6'];
  const first = trades(...args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^trades: runs\/R\/data\/trades_small_hrp\.csv$/m, first.stdout);
  assert.match(first.stdout, /^trade list: runs\/R\/data\/trades_small_hrp\.json$/m, first.stdout);
  const csvPath = join(w.path, 'runs', 'R', 'data', 'trades_small_hrp.csv');
  const jsonPath = join(w.path, 'runs', 'R', 'data', 'trades_small_hrp.json');
  const csv = readFileSync(csvPath, 'utf8');
  const doc = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const weights = JSON.parse(
    readFileSync(join(w.path, 'runs', 'R', 'data', 'portfolio_optimized_meta_small_hrp.json'), 'utf8'),
  ) as { assets: { Symbol: string; Net_Weight: number }[] };
  for (const a of weights.assets) {
    const t = doc.trades.find((x: { symbol: string }) => x.symbol === a.Symbol);
    assert.ok(t !== undefined, `${a.Symbol} is in the trade list`);
    // Cash binds here (the nearest lots overspend by about 1,000): each final weight is still within a
    // lot's notional (X1: 100 × 42 = 0.42 % of the NAV) of its target.
    assert.ok(
      Math.abs(t.final_weight - a.Net_Weight) <= 0.0042,
      `${a.Symbol}: final weight ${t.final_weight} vs target ${a.Net_Weight}`,
    );
  }
  const x1 = doc.trades.find((x: { symbol: string }) => x.symbol === 'X1');
  assert.equal(x1.quantity % 100, 0, 'X1 trades in lots of 100');
  assert.match(csv, /^GONE,SELL,300,300,7,2100,$/m, 'a holding outside the target is sold');
  assert.ok(doc.residual_cash >= 0, 'cash stays ≥ 0');
  assert.equal(doc.rounding.method, 'branch_and_bound', 'the exact search ran and is recorded');
  assert.equal(doc.rounding.optimal, true, 'and proved its optimum');
  const again = trades(...args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(csvPath, 'utf8'), csv, 'same inputs, same CSV bytes');
});

test('quant trades refuses bad input with one coded line and exit 1', () => {
  const cases: [string[], RegExp][] = [
    [['--nav', '-5'], /^E_PARAMS: .*nav/],
    [['--nav', 'lots'], /^E_USAGE: --nav "lots" is not a number/],
    [['--nav', '0x10'], /^E_USAGE: --nav "0x10" is not a number/],
    [['--nav', '1e6', '--holdings', 'prices.csv'], /^E_INPUT_COLUMN: prices\.csv:1 .*no "quantity" column/],
    [['--nav', '1e6', '--max-data-age-days', '30'], /^E_STALE_DATA: .*max_data_age_days is 30/],
  ];
  const runJson = (id: string): Record<string, unknown> =>
    JSON.parse(readFileSync(join(w.path, 'runs', id, 'run.json'), 'utf8')) as Record<string, unknown>;
  const { ledger: _anchor, ...before } = runJson('R');
  for (const [extra, pattern] of cases) {
    const r = trades(...extra);
    assert.equal(r.code, 1, `${extra.join(' ')}: exit 1 (${r.stderr})`);
    assert.match(r.stderr.trim(), pattern, `${extra.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${extra.join(' ')}: one line`);
    // A refusal leaves the finished run as it was: its status and members, re-anchored to its ledger,
    // which records the failed attempt.
    const { ledger: anchor, ...after } = runJson('R');
    assert.deepEqual(after, before, `${extra.join(' ')}: run.json of R unchanged but for its anchor`);
    assert.notEqual(anchor, undefined, `${extra.join(' ')}: run.json of R is anchored`);
  }
  const ledger = readFileSync(join(w.path, 'runs', 'R', 'audit.jsonl'), 'utf8');
  assert.match(ledger, /"code":"E_STALE_DATA"/, 'the ledger records the refused attempt');
  const verify = quant(['audit', 'verify', '--strict', 'R', '--workspace', w.path], { env: ENV });
  assert.equal(verify.code, 0, `the run's ledger still verifies: ${verify.stdout}${verify.stderr}`);
  const validate = quant(['meta', 'validate', '--run-id', 'R', '--workspace', w.path], { env: ENV });
  assert.equal(validate.code, 0, `the meta run still validates: ${validate.stdout}${validate.stderr}`);
  // A sleeve run named by mistake is not a meta run, and stays the successful run meta runs take.
  const sleeve = quant(
    ['trades', '--run-id', 's1_run', '--profile', 'hrp', '--prices', 'prices.csv', '--nav', '1e6'],
    { cwd: w.path, env: ENV },
  );
  assert.equal(sleeve.code, 1, sleeve.stderr);
  assert.match(
    sleeve.stderr,
    /^E_RUN_ID: run s1_run is a sleeve run of profile s1; .*meta\.trades.*cannot run into it — .*give --run-id the id of a meta run \(quant runs list shows each run's kind\)/,
    sleeve.stderr,
  );
  assert.equal(runJson('s1_run')['status'], 'success', 'the sleeve run is still a success');
  const rerun = quant(
    ['meta', 'run', '--profile', SMALL_META_PROFILE, '--run-id', 'R2', '--workspace', w.path],
    {
      env: ENV,
    },
  );
  assert.equal(rerun.code, 0, `a meta run still finds its sleeves: ${rerun.stderr}`);
  const missing = quant(
    ['trades', '--run-id', 'nope', '--profile', 'hrp', '--prices', 'p.csv', '--nav', '1'],
    {
      cwd: w.path,
      env: ENV,
    },
  );
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /^E_RUN_NOT_FOUND/, missing.stderr);
});

test('quant trades never writes its CSV or its JSON over a file of the run another stage wrote', () => {
  const data = join(w.path, 'runs', 'R', 'data');
  const weights = join(data, 'meta_optimized_small_hrp.json');
  const resolved = join(w.path, 'runs', 'R', 'config', 'resolved_manifest.json');
  const before = [readFileSync(weights, 'utf8'), readFileSync(resolved, 'utf8')];
  const cases: [string, RegExp][] = [
    // The JSON next to the CSV would be the meta weights (meta.optimize's artifact).
    [
      'runs/R/data/meta_optimized_small_hrp.csv',
      /^E_OUTPUT_FORBIDDEN: output runs\/R\/data\/meta_optimized_small_hrp\.json \(the trade list next to the CSV\) .*artifact of meta\.optimize/,
    ],
    // The target it reads (meta.flatten's artifact).
    [
      'runs/R/data/portfolio_optimized_meta_small_hrp.csv',
      /^E_OUTPUT_FORBIDDEN: .*artifact of meta\.flatten/,
    ],
    ['runs/R/config/resolved_manifest.csv', /^E_OUTPUT_FORBIDDEN: .*the run's config\//],
  ];
  for (const [output, pattern] of cases) {
    const r = trades('--nav', '1e6', '--output', output);
    assert.equal(r.code, 1, `${output}: exit 1 (${r.stdout}${r.stderr})`);
    assert.match(r.stderr.trim(), pattern, `${output}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${output}: one line`);
  }
  assert.deepEqual(
    [readFileSync(weights, 'utf8'), readFileSync(resolved, 'utf8')],
    before,
    'the weights and the resolved manifest are unchanged',
  );
  const own = trades('--nav', '1e6', '--output', 'runs/R/data/orders_hrp.csv');
  assert.equal(own.code, 0, `a new file in the run folder is fine: ${own.stderr}`);
  const again = trades('--nav', '1e6', '--output', 'runs/R/data/orders_hrp.csv');
  assert.equal(again.code, 0, `and so is writing it again (meta.trades's own file): ${again.stderr}`);
  const verify = quant(['audit', 'verify', '--strict', 'R', '--workspace', w.path], { env: ENV });
  assert.equal(verify.code, 0, `the ledger verifies: ${verify.stdout}${verify.stderr}`);
  const validate = quant(['meta', 'validate', '--run-id', 'R', '--workspace', w.path], { env: ENV });
  assert.equal(validate.code, 0, `the run validates: ${validate.stdout}${validate.stderr}`);
});

test('meta validate names an artifact of the wrong shape with a code, never a raw TypeError', () => {
  const run = quant(
    ['meta', 'run', '--profile', SMALL_META_PROFILE, '--run-id', 'RV', '--workspace', w.path],
    { env: ENV },
  );
  assert.equal(run.code, 0, `meta run: ${run.stderr}`);
  writeFileSync(join(w.path, 'runs', 'RV', 'data', 'meta_optimized_small_hrp.json'), '{"trades": []}\n');
  const r = quant(['meta', 'validate', '--run-id', 'RV', '--workspace', w.path], { env: ENV });
  assert.equal(r.code, 1, `validation fails: ${r.stdout}${r.stderr}`);
  assert.match(
    r.stdout,
    /^FAIL {2}data\/meta_optimized_small_hrp\.json: E_RUN_CORRUPT: data\/meta_optimized_small_hrp\.json does not have the shape/m,
    r.stdout,
  );
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /Cannot convert|TypeError|Cannot read/, 'no raw TypeError');
});
