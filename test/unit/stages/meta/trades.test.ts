import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { isQuantError } from '../../../../src/errors.js';
import { metaArtifactPaths } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../../helpers/cli.js';
import { auditRun } from '../../../../src/artifacts/index.js';

const M = 'meta_x';
const RUN = 'meta_x_run';
const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const workspaces: { cleanup(): void }[] = [];
after(() => workspaces.forEach((w) => w.cleanup()));

type Asset = [symbol: string, netWeight: number];

function flattened(p: string, assets: readonly Asset[]) {
  const gross = assets.reduce((s, [, w]) => s + Math.abs(w), 0);
  const net = assets.reduce((s, [, w]) => s + w, 0);
  return {
    schema_version: 1,
    meta_profile: M,
    risk_profile: p,
    assets: assets.map(([Symbol, w]) => ({
      Symbol,
      Weight: Math.abs(w),
      Net_Weight: w,
      Direction: w < 0 ? 'SHORT' : 'LONG',
      Contributors: { a: w },
    })),
    totals: { gross, net, long: gross, short: 0, assets: assets.length },
    weights_fallbacks: [],
  };
}

/**
 * hrp: AAPL 50 %, SAP 30 %, NESN 25 %, ES −10 % (SHORT); held AAPL 100, NESN 260, OLD 50 (outside the target).
 * tight: A 50 %, B 50 % at prices 300 and 70 on a NAV of 1,000: the nearest lots (2 A, 7 B) spend 1,090.
 */
function workspace(): string {
  const w = tempDir('quant-trades-');
  workspaces.push(w);
  const data = join(w.path, 'runs', RUN);
  const write = (rel: string, text: string): void => {
    mkdirSync(join(data, rel, '..'), { recursive: true });
    writeFileSync(join(data, rel), text);
  };
  const hrp: Asset[] = [
    ['NASDAQ:AAPL', 0.5],
    ['XETRA:SAP', 0.3],
    ['SIX:NESN', 0.25],
    ['CME_MINI:ES1!', -0.1],
  ];
  const tight: Asset[] = [
    ['NYSE:A', 0.5],
    ['NYSE:B', 0.5],
  ];
  write(metaArtifactPaths(M, 'hrp').flattened, JSON.stringify(flattened('hrp', hrp)));
  write(metaArtifactPaths(M, 'tight').flattened, JSON.stringify(flattened('tight', tight)));
  // The data-age gate reads the level's calendar: it ends the day before the run's clock (2026-01-01).
  for (const p of ['hrp', 'tight']) {
    write(
      metaArtifactPaths(M, p).manifest,
      JSON.stringify({
        schema_version: 1,
        included: [
          { id: 'a', last_date: '2025-12-31' },
          { id: 'b', last_date: '2025-12-29' },
        ],
        calendar: { last_date: '2025-12-29' },
      }),
    );
  }
  const files: Record<string, string> = {
    'prices.csv':
      'symbol,price\nNASDAQ:AAPL,190\nXETRA:SAP,120\nSIX:NESN,95\nCME_MINI:ES1!,5000\nOLD,20\nNYSE:A,300\nNYSE:B,70\n',
    'holdings.csv': 'symbol,quantity\nNASDAQ:AAPL,100\nSIX:NESN,260\nOLD,50\n',
    'lots.csv': 'symbol,lot_size,min_ticket\nXETRA:SAP,10,\nSIX:NESN,1,1000\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(w.path, name), text);
  return w.path;
}

const run = (ws: string, params: Record<string, unknown>) =>
  QuantSDK.runStage(
    'meta.trades',
    { meta_profile: M, ...params },
    { workspace: ws, cwd: ws, runId: RUN, env: ENV },
  );

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp, why: string): Promise<void> {
  await assert.rejects(
    promise,
    (e: unknown) => isQuantError(e) && e.code === code && pattern.test(e.message),
    why,
  );
}

test('a hand-made case with lots and a minimum ticket gives the hand-computed orders', async () => {
  const ws = workspace();
  const r = await run(ws, {
    risk_profile: 'hrp',
    prices_file: 'prices.csv',
    holdings_file: 'holdings.csv',
    lots_file: 'lots.csv',
    nav: 100_000,
  });
  // AAPL: 50,000 / 190 = 263.16 wanted, 100 held → buy 163. SAP: 30,000 / 120 = 250 = 25 lots of 10.
  // NESN: 25,000 / 95 = 263.16, 260 held → 3 more (285) is below the 1,000 ticket, and 11 (the smallest
  // order at the ticket) overshoots: hold. ES: −10,000 / 5,000 = −2 → sell 2. OLD is outside: sell 50.
  const csv = readFileSync(r.value.csv, 'utf8');
  assert.equal(
    csv,
    'symbol,side,quantity,lots,price,notional,sleeves\n' +
      'NASDAQ:AAPL,BUY,163,163,190,30970,a refit unknown data 2025-12-31\n' +
      'XETRA:SAP,BUY,250,25,120,30000,a refit unknown data 2025-12-31\n' +
      'CME_MINI:ES1!,SELL,2,2,5000,10000,a refit unknown data 2025-12-31\n' +
      'OLD,SELL,50,50,20,1000,\n',
    'the orders CSV',
  );
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  // Cash: 100,000 − (19,000 + 24,700 + 1,000) held = 55,300; − 30,970 − 30,000 + 10,000 + 1,000 = 5,330.
  assert.equal(doc.cash_before, 55_300, 'cash before the orders');
  assert.equal(doc.residual_cash, 5_330, 'cash after the orders');
  assert.equal(doc.rounding.method, 'nearest_lot', 'the nearest lots fit the cash: optimal without search');
  const nesn = doc.trades.find((t: { symbol: string }) => t.symbol === 'SIX:NESN');
  assert.equal(nesn.side, 'HOLD', 'NESN is held back by its minimum ticket');
  assert.match(nesn.note, /minimum ticket/, 'and the trade list says why');
  assert.ok(r.value.csv.endsWith(join('runs', RUN, 'data', `trades_${M}_hrp.csv`)), r.value.csv);
});

test('when the nearest lots overspend, the exact rounding beats the greedy one (hand-computed)', async () => {
  const ws = workspace();
  const r = await run(ws, { risk_profile: 'tight', prices_file: 'prices.csv', nav: 1000 });
  // Choices: (2 A, 5 B) spends 950 at (0.6−0.5)² + (0.35−0.5)² = 0.0325; the greedy path frees cash
  // at the least cost per unit — B 7→6, then A 2→1 — ending at (1, 6): 0.04 + 0.0064 = 0.0464.
  assert.deepEqual(
    r.value.orders.map((o) => [o.symbol, o.side, o.quantity]),
    [
      ['NYSE:A', 'BUY', 2],
      ['NYSE:B', 'BUY', 5],
    ],
    'orders',
  );
  assert.equal(r.value.residual_cash, 50, 'cash 1,000 − 950');
  assert.equal(r.value.rounding.method, 'branch_and_bound', 'cash binds: the search ran');
  assert.ok(Math.abs(r.value.rounding.objective - 0.0325) < 1e-12, `objective ${r.value.rounding.objective}`);
});

test('allow_stale produces the orders from stale data and records the verdict', async () => {
  const ws = workspace();
  const r = await run(ws, {
    risk_profile: 'tight',
    prices_file: 'prices.csv',
    nav: 1000,
    max_data_age_days: 1,
    allow_stale: true,
  });
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  assert.deepEqual(
    doc.data_age,
    {
      last_date: '2025-12-29',
      as_of: '2026-01-01',
      age_days: 3,
      max_data_age_days: 1,
      stale: true,
      overridden: true,
      sleeves: [
        { path: 'a', last_refit: null, last_date: '2025-12-31', lag_days: 0 },
        { path: 'b', last_refit: null, last_date: '2025-12-29', lag_days: 2 },
      ],
    },
    'the trade list states the age and the override',
  );
  assert.ok(
    r.warnings.some((w) => /orders produced anyway/.test(w)),
    `a warning says so: ${JSON.stringify(r.warnings)}`,
  );
});

test('a NAV below what the holdings are worth is a warning naming both and where the NAV was given', async () => {
  const ws = workspace();
  // Held: AAPL 100 × 190 + NESN 260 × 95 + OLD 50 × 20 = 44,700, above a NAV of 40,000.
  const params = {
    risk_profile: 'hrp',
    prices_file: 'prices.csv',
    holdings_file: 'holdings.csv',
    lots_file: 'lots.csv',
    nav: 40_000,
  };
  const r = await run(ws, params);
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  assert.equal(doc.cash_before, -4700, 'the cash before the orders is short by 4,700');
  const said = r.warnings.filter((w) => w.includes('more than the NAV'));
  assert.equal(
    said.length,
    1,
    `one warning says the NAV is below the holdings: ${JSON.stringify(r.warnings)}`,
  );
  assert.match(
    said[0] ?? '',
    /worth 44700 at these prices, more than the NAV of 40000 \(cash before the orders -4700\).*check --nav \(the portfolio value, holdings plus cash\)/,
    'the warning gives the holdings, the NAV, the shortfall and --nav',
  );
  // The NAV of the run's trades block (what `quant meta run` passes) is named at its JSON path.
  mkdirSync(join(ws, 'runs', RUN, 'config'), { recursive: true });
  writeFileSync(
    join(ws, 'runs', RUN, 'config', 'resolved_manifest.json'),
    JSON.stringify({ profiles: { [M]: { trades: { risk_profiles: ['hrp'], nav: 40_000 } } } }),
  );
  const fromBlock = await run(ws, params);
  assert.ok(
    fromBlock.warnings.some((w) => w.includes(`check profiles.${M}.trades.nav in the manifest`)),
    `the warning names the manifest's trades.nav: ${JSON.stringify(fromBlock.warnings)}`,
  );
  const enough = await run(ws, { ...params, nav: 100_000 });
  assert.ok(
    !enough.warnings.some((w) => w.includes('more than the NAV')),
    `a NAV above the holdings is no warning: ${JSON.stringify(enough.warnings)}`,
  );
});

test('lot rows of symbols neither targeted nor held are ignored, a near miss of an unlisted symbol with a warning', async () => {
  const ws = workspace();
  // NYSE:GONE: an asset the optimizer left out (the lot file is static reference data). SIX:NESNN: a
  // slip for SIX:NESN, which has no lot row here and so trades in lots of 1.
  writeFileSync(
    join(ws, 'l1.csv'),
    'symbol,lot_size\nXETRA:SAP,10\nNYSE:GONE,5\nSIX:NESNN,3\nXETRA:SAPP,5\n',
  );
  const r = await run(ws, {
    risk_profile: 'hrp',
    prices_file: 'prices.csv',
    holdings_file: 'holdings.csv',
    lots_file: 'l1.csv',
    nav: 100_000,
  });
  const sap = r.value.orders.find((o) => o.symbol === 'XETRA:SAP');
  assert.equal(sap?.quantity, 250, 'SAP still trades in its own lots of 10 (25 lots)');
  const about = r.warnings.filter((w) => /row ignored/.test(w));
  assert.equal(about.length, 1, `one warning, for the near miss only: ${JSON.stringify(r.warnings)}`);
  assert.match(
    about[0] ?? '',
    /^meta\.trades: l1\.csv:4 .*SIX:NESNN is neither in the target nor in the holdings, row ignored \(did you mean "SIX:NESN"\?\).*lots of 1/,
    'the warning names the row, the symbol meant and what it means',
  );
});

test('bad inputs are coded errors naming the file and the row', async () => {
  const ws = workspace();
  const base = {
    risk_profile: 'hrp',
    prices_file: 'prices.csv',
    holdings_file: 'holdings.csv',
    nav: 100_000,
  };
  const file = (name: string, text: string): string => {
    writeFileSync(join(ws, name), text);
    return name;
  };
  await rejects(
    run(ws, { ...base, prices_file: file('p1.csv', 'symbol,price\nNASDAQ:AAPL,190\n') }),
    'E_PRICE_MISSING',
    /p1\.csv has no price for XETRA:SAP/,
    'a targeted symbol without a price',
  );
  await rejects(
    run(ws, { ...base, prices_file: file('p2.csv', 'symbol,price\nNASDAQ:AAPL,190\nXETRA:SAP,0\n') }),
    'E_INPUT_VALUE',
    /^p2\.csv:3 .*the price of XETRA:SAP is 0/,
    'a price of 0',
  );
  await rejects(
    run(ws, { ...base, prices_file: file('p3.csv', 'symbol,price\nNASDAQ:AAPL,abc\n') }),
    'E_INPUT_VALUE',
    /^p3\.csv:2 .*price "abc" is not a number/,
    'a price that is not a number',
  );
  await rejects(
    run(ws, { ...base, lots_file: file('l2.csv', 'symbol,lot_size\nXETRA:SAP,-5\n') }),
    'E_INPUT_VALUE',
    /^l2\.csv:2 .*the lot size of XETRA:SAP is -5/,
    'a negative lot size',
  );
  // Lots too small to count exactly (the search would never step from one count to the next) are refused
  // at their row, with or without a minimum ticket; a price as small is refused naming the prices file.
  await rejects(
    run(ws, {
      ...base,
      lots_file: file('l3.csv', 'symbol,lot_size,min_ticket\nSIX:NESN,1,0\nXETRA:SAP,1e-20,5000\n'),
    }),
    'E_INPUT_VALUE',
    /^l3\.csv:3 .*XETRA:SAP would trade up to 2\.50e\+22 lots of 1e-20 at 120 .*2\^53/,
    'a lot size of 1e-20 with a minimum ticket',
  );
  await rejects(
    run(ws, { ...base, lots_file: file('l4.csv', 'symbol,lot_size\nXETRA:SAP,1e-15\n') }),
    'E_INPUT_VALUE',
    /^l4\.csv:2 .*XETRA:SAP would trade up to .* lots of 1e-15/,
    'a lot size of 1e-15',
  );
  await rejects(
    run(ws, {
      ...base,
      prices_file: file(
        'p4.csv',
        'symbol,price\nNASDAQ:AAPL,190\nXETRA:SAP,1e-300\nSIX:NESN,95\nCME_MINI:ES1!,5000\nOLD,20\nNYSE:A,300\nNYSE:B,70\n',
      ),
    }),
    'E_INPUT_VALUE',
    /^p4\.csv:3 .*XETRA:SAP would trade up to .* lots of 1 at 1e-300/,
    'a price of 1e-300',
  );
  await rejects(
    run(ws, { ...base, prices_file: file('p5.csv', 'symbol,price\nNASDAQ:AAPL,1e400\n') }),
    'E_INPUT_VALUE',
    /^p5\.csv:2 .*price 1e400 is out of range \(overflows to infinity\)/,
    'a price too large for a number is out of range, not "not a number"',
  );
  // A position worth more than a number can hold is an input error at its row, not -Infinity cash.
  const bigPrices =
    'symbol,price\nNASDAQ:AAPL,190\nXETRA:SAP,120\nSIX:NESN,95\nCME_MINI:ES1!,5000\nNYSE:A,300\nNYSE:B,70\n';
  await rejects(
    run(ws, {
      ...base,
      prices_file: file('p6.csv', `${bigPrices}OLD,1e306\n`),
      holdings_file: file('h3.csv', 'symbol,quantity\nOLD,1000\n'),
    }),
    'E_INPUT_VALUE',
    /^p6\.csv:8 .*OLD: 1000 held at 1e\+306 is worth more than a number can hold/,
    'a price of 1e306 held 1000 times',
  );
  await rejects(
    run(ws, {
      ...base,
      prices_file: file('p7.csv', `${bigPrices}OLD,20\n`),
      holdings_file: file('h4.csv', 'symbol,quantity\nOLD,1e20\n'),
    }),
    'E_INPUT_VALUE',
    /^h4\.csv:2 .*OLD would trade up to 1\.00e\+20 lots/,
    'a quantity held beyond any lot count is refused at its holdings row',
  );
  await rejects(
    run(ws, { ...base, holdings_file: file('h1.csv', 'symbol,qty\nOLD,5\n') }),
    'E_INPUT_COLUMN',
    /^h1\.csv:1 .*no "quantity" column/,
    'a holdings file without quantities',
  );
  await rejects(
    run(ws, { ...base, holdings_file: file('h2.csv', 'symbol,quantity\nOLD,5\nOLD,6\n') }),
    'E_INPUT_FORMAT',
    /^h2\.csv:3 .*OLD appears again \(first on line 2\)/,
    'a symbol held twice',
  );
  await rejects(run(ws, { ...base, nav: -1e6 }), 'E_PARAMS', /nav/, 'a negative NAV');
  await rejects(
    QuantSDK.runStage('meta.trades', base, { workspace: ws, cwd: ws, runId: 'nope', env: ENV }),
    'E_RUN_NOT_FOUND',
    /^run nope does not exist: meta\.trades trades a finished meta run/,
    'a run id naming no run',
  );
  assert.equal(existsSync(join(ws, 'runs', 'nope')), false, 'and no run folder is left for it');
  await rejects(
    run(ws, { ...base, max_data_age_days: 2 }),
    'E_STALE_DATA',
    /ends 2025-12-29, 3 days before 2026-01-01; max_data_age_days is 2 \(lagging: b 2 d\)/,
    'a target older than the limit',
  );
  await rejects(
    run(ws, { ...base, risk_profile: 'hrq' }),
    'E_ARTIFACT_MISSING',
    /no flattened target/,
    'a risk profile without a target',
  );
  await rejects(
    run(ws, { ...base, output: 'runs/other/trades.csv' }),
    'E_OUTPUT_FORBIDDEN',
    /./,
    "an output in another run's folder",
  );
});

test('a small target the rounding leaves at nothing is a warning with why, though it misses by under 1 point', async () => {
  const ws = workspace();
  const dir = join(ws, 'runs', RUN);
  // tiny: A 99.7 %, B 0.3 % of a NAV of 10,000: B's 30 rounds to no share at 70.
  writeFileSync(
    join(dir, metaArtifactPaths(M, 'tiny').flattened),
    JSON.stringify(
      flattened('tiny', [
        ['NYSE:A', 0.997],
        ['NYSE:B', 0.003],
      ]),
    ),
  );
  writeFileSync(
    join(dir, metaArtifactPaths(M, 'tiny').manifest),
    readFileSync(join(dir, metaArtifactPaths(M, 'hrp').manifest)),
  );
  const warnings: string[] = [];
  const r = await QuantSDK.runStage(
    'meta.trades',
    { meta_profile: M, risk_profile: 'tiny', prices_file: 'prices.csv', nav: 10_000, allow_stale: true },
    { workspace: ws, cwd: ws, runId: RUN, env: ENV, onWarning: (w) => warnings.push(w) },
  );
  const b = (r.value as unknown as { json: string }).json;
  const line = JSON.parse(readFileSync(b, 'utf8')).trades.find(
    (t: { symbol: string }) => t.symbol === 'NYSE:B',
  );
  assert.equal(line.final_weight, 0, 'B is not bought');
  const dropped = warnings.find((w) => w.includes('not held after rounding'));
  assert.ok(
    dropped?.includes(
      '1 position of the target is not held after rounding to whole lots: NYSE:B (target 0.3 %',
    ),
    `the warning names B and its target: ${warnings.join(' | ')}`,
  );
  assert.ok(
    !warnings.some((w) => w.includes('percentage point from their target')),
    'B misses by 0.3 point: no miss warning, so only this one says it',
  );
});

test('an --output onto an existing file that is not a trade list is refused; a trade list is replaced', async () => {
  const ws = workspace();
  const base = { risk_profile: 'hrp', prices_file: 'prices.csv', nav: 100_000 };
  const holdings = readFileSync(join(ws, 'holdings.csv'), 'utf8');
  // holdings.csv is no input of this call (no holdings_file), but the manifest's trades block reads it.
  await rejects(
    run(ws, { ...base, output: 'holdings.csv' }),
    'E_OUTPUT_EXISTS',
    /^output holdings\.csv exists and is not a trade list \(its first line is "symbol,quantity"\)/,
    'a holdings file is not replaced by orders',
  );
  assert.equal(readFileSync(join(ws, 'holdings.csv'), 'utf8'), holdings, 'the holdings file is intact');
  assert.ok(!existsSync(join(ws, 'holdings.json')), 'and no trade list JSON was written next to it');
  writeFileSync(join(ws, 'notes.json'), '{"mine": true}\n');
  await rejects(
    run(ws, { ...base, output: 'notes.csv' }),
    'E_OUTPUT_EXISTS',
    /^output notes\.json \(the trade list next to the CSV\) exists and is not a trade list/,
    'the JSON next to the CSV is checked too',
  );
  assert.ok(!existsSync(join(ws, 'notes.csv')), 'nothing written');
  const first = await run(ws, { ...base, output: 'orders.csv' });
  const again = await run(ws, { ...base, nav: 50_000, output: 'orders.csv' });
  assert.equal(again.value.csv, first.value.csv, 'the same path');
  assert.match(
    readFileSync(again.value.json, 'utf8'),
    /"nav": 50000/,
    'a trade list written before is replaced',
  );
});

/** The tight profile's recorded exposure caps. */
function capTight(ws: string, caps: object): void {
  writeFileSync(
    join(ws, 'runs', RUN, metaArtifactPaths(M, 'tight').optimized),
    JSON.stringify({
      schema_version: 1,
      method: 'hrp',
      requested_method: 'hrp',
      sleeves: [],
      bounds: { min_weight: 0, max_weight: 1 },
      exposure_caps: caps,
    }),
  );
}

/**
 * The tight profile with 3 NYSE:A held (90 % of a NAV of 1,000; target 50 %) under a cap of 55 %
 * (exposure_limits.max_weight), and with `ticket` a minimum ticket of 1,000 on A that no sell toward the
 * target reaches (1 or 2 lots of 300).
 */
function heldBeyondCap(ws: string, tag: string, ticket: boolean): ReturnType<typeof run> {
  writeFileSync(join(ws, `h-${tag}.csv`), 'symbol,quantity\nNYSE:A,3\n');
  if (ticket) writeFileSync(join(ws, `l-${tag}.csv`), 'symbol,lot_size,min_ticket\nNYSE:A,1,1000\n');
  capTight(ws, { max_weight: 0.55 });
  return run(ws, {
    risk_profile: 'tight',
    prices_file: 'prices.csv',
    holdings_file: `h-${tag}.csv`,
    ...(ticket ? { lots_file: `l-${tag}.csv` } : {}),
    nav: 1000,
  });
}

test('a symbol cap the nearest lot breaks narrows the rounding: the cash goes to the others', async () => {
  const ws = workspace();
  // The tight target (A 50 %, B 50 % at 300 and 70, NAV 1,000) rounded 2 A (60 %) and 5 B (35 %), B
  // trimmed from its nearest 7 lots to fit the cash, past the 55 % cap on every symbol and the 90 % on
  // the NYSE: symbols. With the caps enforced A holds 1 lot (30 %, the most within 55 %), which leaves
  // the cash for B's nearest 7 lots (49 %): every cap holds.
  capTight(ws, { max_weight: 0.55, prefixes: { 'NYSE:': 0.9 } });
  const r = await run(ws, { risk_profile: 'tight', prices_file: 'prices.csv', nav: 1000 });
  const all = JSON.stringify(r.warnings);
  assert.deepEqual(
    r.value.orders.map((o) => [o.symbol, o.quantity]),
    [
      ['NYSE:A', 1],
      ['NYSE:B', 7],
    ],
    'A within its cap, B at its nearest lots',
  );
  assert.ok(!/exposure cap/.test(all.replace(/by its exposure cap/g, '')), `no cap is broken: ${all}`);
  assert.ok(
    r.warnings.some((w) =>
      /NYSE:A 30 % for a target of 50 % \(held to 1 lots instead of 2 by its exposure cap \(exposure_limits\.max_weight\)\)/.test(
        w,
      ),
    ),
    `the miss says the cap holds A back: ${all}`,
  );
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  const note = (symbol: string): unknown =>
    doc.trades.find((t: { symbol: string }) => t.symbol === symbol).note;
  assert.equal(
    note('NYSE:A'),
    'held to 1 lots instead of 2 by its exposure cap (exposure_limits.max_weight)',
    'the capped line says so',
  );
  assert.equal(note('NYSE:B'), null, 'B is its own nearest lot');
  assert.equal(doc.rounding.optimal, true, 'the symbol cap is part of the exact rounding');
});

test('a prefix cap the rounding breaks is restored by the move of least tracking cost per weight', async () => {
  const ws = workspace();
  // No symbol cap; NYSE: at most 75 %. The rounding gives 2 A + 5 B = 95 %. One step down: A 2 → 1
  // costs (0.3 − 0.5)² − (0.6 − 0.5)² = 0.03 for 30 points (0.1 a unit), B 5 → 4 costs 0.0259 for 7
  // points (0.37 a unit): A moves, and 30 % + 35 % = 65 % holds.
  capTight(ws, { prefixes: { 'NYSE:': 0.75 } });
  const r = await run(ws, { risk_profile: 'tight', prices_file: 'prices.csv', nav: 1000 });
  assert.deepEqual(
    r.value.orders.map((o) => [o.symbol, o.quantity]),
    [
      ['NYSE:A', 1],
      ['NYSE:B', 5],
    ],
    'A moved one lot down, B as the rounding left it',
  );
  assert.ok(
    !r.warnings.some((w) => /beyond their exposure cap/.test(w)),
    `the prefix cap holds: ${JSON.stringify(r.warnings)}`,
  );
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  const note = (symbol: string): unknown =>
    doc.trades.find((t: { symbol: string }) => t.symbol === symbol).note;
  assert.equal(
    note('NYSE:A'),
    '1 lots instead of 2 to bring exposure_limits.prefixes.NYSE: within its cap',
    'the moved line says which cap moved it',
  );
  assert.equal(note('NYSE:B'), 'trimmed to fit the cash: 5 lots instead of 7', 'the trimmed order says so');
  assert.equal(doc.residual_cash, 350, 'the lot sold back is cash');
  assert.equal(doc.rounding.optimal, false, 'the repair is not claimed optimal');
  assert.match(doc.rounding.reason, /exposure_limits\.prefixes\.NYSE:/, 'and says why');
});

test('a line bought with the cash a cap repair freed says so in its note', async () => {
  const ws = workspace();
  // NYSE:A and NYSE:B (a lot of 10 at 100 is 10 % of a NAV of 10,000) target 40 % each, C 20 % and D 25 %
  // (lots of 1): 125 % in all. The rounding trims C and D; NYSE: capped at 60 % sells a lot of A, and the
  // rounding solved again spends that cash on C (13 → 17 lots) and D (17 → 23), short of their nearest.
  const dir = join(ws, 'runs', RUN);
  const assets: Asset[] = [
    ['NYSE:A', 0.4],
    ['NYSE:B', 0.4],
    ['C', 0.2],
    ['D', 0.25],
  ];
  writeFileSync(
    join(dir, metaArtifactPaths(M, 'spend').flattened),
    JSON.stringify(flattened('spend', assets)),
  );
  writeFileSync(
    join(dir, metaArtifactPaths(M, 'spend').manifest),
    readFileSync(join(dir, metaArtifactPaths(M, 'tight').manifest)),
  );
  writeFileSync(
    join(dir, metaArtifactPaths(M, 'spend').optimized),
    JSON.stringify({
      schema_version: 1,
      method: 'hrp',
      requested_method: 'hrp',
      sleeves: [],
      bounds: { min_weight: 0, max_weight: 1 },
      exposure_caps: { prefixes: { 'NYSE:': 0.6 } },
    }),
  );
  writeFileSync(join(ws, 'spend-prices.csv'), 'symbol,price\nNYSE:A,100\nNYSE:B,100\nC,100\nD,100\n');
  writeFileSync(join(ws, 'spend-lots.csv'), 'symbol,lot_size,min_ticket\nNYSE:A,10,\nNYSE:B,10,\n');
  const r = await run(ws, {
    risk_profile: 'spend',
    prices_file: 'spend-prices.csv',
    lots_file: 'spend-lots.csv',
    nav: 10_000,
  });
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  const row = (symbol: string): { lots: number; note: unknown } =>
    doc.trades.find((t: { symbol: string }) => t.symbol === symbol);
  assert.match(doc.rounding.reason, /solved again/, 'the rounding was solved again after the repair');
  assert.equal(row('C').lots, 17, 'C is bought up from its repaired 13 lots');
  assert.equal(
    row('C').note,
    '17 lots instead of 13, bought with the cash freed by the repair of exposure_limits.prefixes.NYSE:; trimmed to fit the cash: 17 lots instead of 20',
    'the note says the cash the repair freed bought it',
  );
  assert.equal(
    row('D').note,
    '23 lots instead of 17, bought with the cash freed by the repair of exposure_limits.prefixes.NYSE:; trimmed to fit the cash: 23 lots instead of 25',
    'so does the other line bought with it',
  );
  assert.equal(
    row('NYSE:A').note,
    '3 lots instead of 4 to bring exposure_limits.prefixes.NYSE: within its cap',
    'the moved line keeps its note',
  );
});

test('the ledger records the sleeves’ refit dates and the cap moves and broken caps, the same bytes on a rerun', async () => {
  const ws = workspace();
  capTight(ws, { prefixes: { 'NYSE:': 0.75 } });
  const decisions = (): { step: string; data: Record<string, unknown> }[] =>
    readFileSync(join(ws, 'runs', RUN, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.type === 'decision' && String(r.step).startsWith('trades.'));
  const r = await run(ws, { risk_profile: 'tight', prices_file: 'prices.csv', nav: 1000 });
  const first = decisions();
  const age = first.find((d) => d.step === 'trades.data_age');
  assert.deepEqual(
    age?.data['sleeves'],
    JSON.parse(readFileSync(r.value.json, 'utf8')).data_age.sleeves,
    'the data-age decision carries the trade list’s sleeves',
  );
  assert.deepEqual(
    (age?.data['sleeves'] as { path: string }[]).map((x) => x.path),
    ['a', 'b'],
    'one per sleeve of the target',
  );
  const rounding = first.find((d) => d.step === 'trades.rounding');
  assert.deepEqual(
    rounding?.data['cap_moves'],
    [{ symbol: 'NYSE:A', key: 'exposure_limits.prefixes.NYSE:', from: 2, to: 1, steps: 1 }],
    'the rounding decision carries the cap move',
  );
  assert.deepEqual(rounding?.data['broken_caps'], [], 'no cap left broken');
  assert.deepEqual(rounding?.data['held_beyond_cap'], [], 'no holding beyond its cap');
  await run(ws, { risk_profile: 'tight', prices_file: 'prices.csv', nav: 1000 });
  const second = decisions().slice(first.length);
  assert.deepEqual(
    second.map((d) => d.data),
    first.map((d) => d.data),
    'a rerun records the same data',
  );
  // A cap no order restores is recorded with its reason.
  await heldBeyondCap(ws, 'rec', true);
  const last = decisions()
    .filter((d) => d.step === 'trades.rounding')
    .at(-1);
  assert.deepEqual(
    (last?.data['broken_caps'] as { key: string }[]).map((b) => b.key),
    ['exposure_limits.max_weight'],
    'the broken cap is recorded',
  );
  assert.match(
    (last?.data['broken_caps'] as { reason: string }[])[0]?.reason ?? '',
    /minimum ticket/,
    'with why',
  );
  assert.deepEqual(last?.data['held_beyond_cap'], ['NYSE:A'], 'and the holding beyond its cap');
  const audit = await auditRun(ws, RUN);
  assert.deepEqual(audit.problems, [], 'the ledger chain verifies');
});

test('a cap no allowed order can restore is kept as a warning saying why', async () => {
  const ws = workspace();
  // The sells toward the target are below A's minimum ticket, so A stays at 90 %.
  const r = await heldBeyondCap(ws, 'cap', true);
  const all = JSON.stringify(r.warnings);
  assert.ok(
    r.warnings.some((w) =>
      /^NYSE:A ends at 90 % of the NAV, beyond its exposure cap of ±55 % \(exposure_limits\.max_weight; target 50 %\): no order set in whole lots keeps it: no order toward the cap is allowed .*minimum ticket/.test(
        w.replace(/^meta\.trades: /, ''),
      ),
    ),
    `the broken cap and why: ${all}`,
  );
});

test('a symbol held beyond its cap is only sold, to within it; the warning says where it was held and ends', async () => {
  const ws = workspace();
  // 3 A held (90 % of the NAV), target 50 %, cap 55 %: the nearest sell (1 lot) leaves 60 %, past the
  // cap; the sells are narrowed to those reaching within it, so A sells 2 lots to 30 % in the rounding.
  const r = await heldBeyondCap(ws, 'beyond', false);
  const all = JSON.stringify(r.warnings);
  assert.deepEqual(
    r.value.orders.find((o) => o.symbol === 'NYSE:A'),
    { symbol: 'NYSE:A', side: 'SELL', quantity: 2, price: 300, notional: 600 },
    'A sells down to within its cap',
  );
  assert.ok(
    r.warnings.some((w) =>
      /NYSE:A was held at 90 % of the NAV, beyond its exposure cap of ±55 % \(exposure_limits\.max_weight; target 50 %\): it is only sold, and ends at 30 %, within the cap/.test(
        w,
      ),
    ),
    `the warning says where A was held and where it ends: ${all}`,
  );
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  const line = doc.trades.find((t: { symbol: string }) => t.symbol === 'NYSE:A');
  assert.match(
    line.note,
    /^held beyond its exposure cap \(exposure_limits\.max_weight\), so only sold toward it: -2 lots instead of -1/,
    'the line says why it sells more than its nearest lot',
  );
  assert.equal(doc.rounding.optimal, true, 'the cap is part of the exact rounding, no repair step');
  // With a minimum ticket no sell reaches, A is held: the warning says it was held beyond the cap already.
  const held = await heldBeyondCap(ws, 'beyond', true);
  assert.ok(
    held.warnings.some((w) =>
      /NYSE:A ends at 90 % of the NAV, beyond .*minimum ticket.*; held at 90 %, beyond the cap already, it is only sold toward it; trade it down by hand/.test(
        w,
      ),
    ),
    `the warning says A was held beyond the cap: ${JSON.stringify(held.warnings)}`,
  );
});

test('a held odd lot outside the target, smaller than a lot, is kept with a note', async () => {
  const ws = workspace();
  writeFileSync(join(ws, 'h-odd.csv'), 'symbol,quantity\nOLD,3\n');
  writeFileSync(join(ws, 'l-odd.csv'), 'symbol,lot_size\nOLD,10\n');
  const r = await run(ws, {
    risk_profile: 'hrp',
    prices_file: 'prices.csv',
    holdings_file: 'h-odd.csv',
    lots_file: 'l-odd.csv',
    nav: 100_000,
  });
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  const old = doc.trades.find((t: { symbol: string }) => t.symbol === 'OLD');
  assert.equal(old.side, 'HOLD', 'selling 10 would go short 7: the 3 stay');
  assert.match(
    old.note,
    /^3 kept: less than a lot of 10, so no whole-lot order closes it/,
    'the note says why',
  );
});

test('a held symbol differing from a targeted one only by case is E_UNKNOWN_SYMBOL with a did-you-mean', async () => {
  const ws = workspace();
  writeFileSync(join(ws, 'h-case.csv'), 'symbol,quantity\nNASDAQ:AAPL,100\nSIX:nesn,260\n');
  writeFileSync(join(ws, 'p-case.csv'), `${readFileSync(join(ws, 'prices.csv'), 'utf8')}SIX:nesn,95\n`);
  await rejects(
    run(ws, { risk_profile: 'hrp', prices_file: 'p-case.csv', holdings_file: 'h-case.csv', nav: 100_000 }),
    'E_UNKNOWN_SYMBOL',
    /^h-case\.csv:3 .*SIX:nesn differs from the target's SIX:NESN only by case.*would be sold off and SIX:NESN bought \(did you mean "SIX:NESN"\?\)/,
    'not a sale of SIX:nesn and a purchase of SIX:NESN',
  );
});

test('an order crossing zero is one order with a note splitting it for a broker desk', async () => {
  const ws = workspace();
  // ES1! targets −2 contracts (−10 % of 100,000 at 5,000) from 3 held; AAPL 263 from 10 short.
  writeFileSync(join(ws, 'h-cross.csv'), 'symbol,quantity\nCME_MINI:ES1!,3\nNASDAQ:AAPL,-10\n');
  const r = await run(ws, {
    risk_profile: 'hrp',
    prices_file: 'prices.csv',
    holdings_file: 'h-cross.csv',
    nav: 100_000,
  });
  const csv = readFileSync(r.value.csv, 'utf8');
  assert.match(
    csv,
    /^CME_MINI:ES1!,SELL,5,5,5000,25000,a refit/m,
    'one sell of 5 in the CSV, columns unchanged',
  );
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  const note = (symbol: string): unknown =>
    doc.trades.find((t: { symbol: string }) => t.symbol === symbol).note;
  assert.equal(note('CME_MINI:ES1!'), 'crosses zero: sell 3 to close, sell 2 short', 'long to short');
  assert.equal(note('NASDAQ:AAPL'), 'crosses zero: buy 10 to cover, buy 263 long', 'short to long');
});

test('the trade list dates every atomic sleeve of a three-level tree by path: last refit next to last date', async () => {
  const ws = workspace();
  const runs = join(ws, 'runs');
  const write = (rel: string, doc: unknown): void => {
    mkdirSync(join(runs, rel, '..'), { recursive: true });
    writeFileSync(join(runs, rel), JSON.stringify(doc));
  };
  const manifest = (included: object[], last: string) => ({
    schema_version: 1,
    included,
    excluded: [],
    calendar: { last_date: last },
  });
  // meta_x → mid (meta_mid) → low (meta_low) → ga; mid also holds gb; the root holds a predecessor run
  // `old_run` whose weights file records no refit date.
  write(
    join(RUN, metaArtifactPaths(M, 'hrp').manifest),
    manifest(
      [
        { id: 'mid', kind: 'meta', profile: 'meta_mid', run_id: null, last_date: '2025-12-29' },
        { id: 'p', kind: 'atomic', profile: 's_p', run_id: 'old_run', last_date: '2025-12-31' },
      ],
      '2025-12-29',
    ),
  );
  write(
    join(RUN, metaArtifactPaths('meta_mid', 'hrp').manifest),
    manifest(
      [
        { id: 'low', kind: 'meta', profile: 'meta_low', run_id: null, last_date: '2025-12-29' },
        { id: 'gb', kind: 'atomic', profile: 's_gb', run_id: 'gb_run', last_date: '2025-12-30' },
      ],
      '2025-12-29',
    ),
  );
  write(
    join(RUN, metaArtifactPaths('meta_low', 'hrp').manifest),
    manifest(
      [{ id: 'ga', kind: 'atomic', profile: 's_ga', run_id: 'ga_run', last_date: '2025-12-29' }],
      '2025-12-29',
    ),
  );
  const weights = (asOf: string | undefined) => ({
    schema_version: 1,
    profiles: { hrp: { ...(asOf === undefined ? {} : { as_of: asOf }), assets: [] } },
  });
  write('ga_run/data/portfolio_flattened.json', weights('2025-12-01'));
  write('gb_run/data/portfolio_flattened.json', weights('2025-11-28'));
  write('old_run/data/portfolio_flattened.json', weights(undefined));
  const target = flattened('hrp', [
    ['NASDAQ:AAPL', 0.5],
    ['XETRA:SAP', 0.3],
  ]);
  target.assets[0]!.Contributors = { 'mid/low/ga': 0.3, p: 0.2 } as never;
  target.assets[1]!.Contributors = { 'mid/gb': 0.3 } as never;
  write(join(RUN, metaArtifactPaths(M, 'hrp').flattened), target);
  const r = await run(ws, { risk_profile: 'hrp', prices_file: 'prices.csv', nav: 100_000 });
  const expected = [
    { path: 'mid/low/ga', last_refit: '2025-12-01', last_date: '2025-12-29', lag_days: 2 },
    { path: 'mid/gb', last_refit: '2025-11-28', last_date: '2025-12-30', lag_days: 1 },
    { path: 'p', last_refit: null, last_date: '2025-12-31', lag_days: 0 },
  ];
  assert.deepEqual(r.value.sleeves, expected, 'the stage result dates each atomic sleeve by path');
  const doc = JSON.parse(readFileSync(r.value.json, 'utf8'));
  assert.deepEqual(doc.data_age.sleeves, expected, 'so does the trade list JSON');
  assert.equal(
    readFileSync(r.value.csv, 'utf8'),
    'symbol,side,quantity,lots,price,notional,sleeves\n' +
      'NASDAQ:AAPL,BUY,263,263,190,49970,mid/low/ga refit 2025-12-01 data 2025-12-29; p refit unknown data 2025-12-31\n' +
      'XETRA:SAP,BUY,250,250,120,30000,mid/gb refit 2025-11-28 data 2025-12-30\n',
    'each order names the sleeves its symbol comes from, with their refit and last data date',
  );
  const again = await run(ws, { risk_profile: 'hrp', prices_file: 'prices.csv', nav: 100_000 });
  assert.deepEqual(
    JSON.parse(readFileSync(again.value.json, 'utf8')),
    doc,
    'a rerun writes the same trade list (no wall clock)',
  );
});
