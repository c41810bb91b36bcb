// A meta profile's `trades` block: `runMeta` runs meta.trades after the pipeline for each risk profile it
// names, reports the trade list (paths, orders) in its result and in its stages, and records the stage in
// the run's ledger; a risk profile the run leaves out (--profiles) is skipped with a warning. Bad blocks
// are coded errors before the run folder exists: E_MANIFEST at their JSON path, E_PATH_ESCAPE for a file
// outside the workspace, E_INPUT_VALUE naming the line of a bad table.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuantSDK, isQuantError } from '../../../src/index.js';
import { validateMetaRun } from '../../../src/stages/index.js';
import { tempDir } from '../artifacts/_temp.js';
import { businessDays, writeHoldingSleeves, writeManifest } from '../../helpers/sleeve-fixtures.js';

const PROFILES = ['min_variance', 'equal_weight'];
const HOLDINGS: Record<string, [string, number][]> = {
  a: [
    ['SIX:NESN', 0.6],
    ['SIX:ROG', 0.4],
  ],
  b: [['NYSE:Z', 1]],
};
const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

const TRADES = {
  prices: 'prices.csv',
  holdings: 'holdings.csv',
  lots: 'lots.csv',
  nav: 100_000,
  risk_profiles: ['equal_weight'],
};

const manifest = (trades: unknown): unknown => ({
  profiles: {
    m: {
      sleeves: [
        { id: 'a', profile: 's_a' },
        { id: 'b', profile: 's_b' },
      ],
      risk_profiles: PROFILES,
      trades,
    },
  },
});

let ws: string;

before(async () => {
  ws = tempDir('mf-meta-trades-');
  const dates = businessDays('2025-11-03', 60);
  await writeHoldingSleeves(ws, HOLDINGS, PROFILES, dates, (i, k) => ({
    seed: 31 + 7 * i + k,
    vol: 0.005 + 0.004 * i,
  }));
  writeFileSync(join(ws, 'prices.csv'), 'symbol,price\nSIX:NESN,100\nSIX:ROG,250\nNYSE:Z,40\nSIX:OLD,10\n');
  writeFileSync(join(ws, 'holdings.csv'), 'symbol,quantity\nSIX:NESN,100\nSIX:OLD,50\n');
  writeFileSync(join(ws, 'lots.csv'), 'symbol,lot_size,min_ticket\nNYSE:Z,10,0\nSIX:ROG,1,1000\n');
});

const opts = (runId: string) => ({ workspace: ws, runId, backtest: false, cache: false, env: EPOCH });

describe('the trades block of a meta profile (SDK)', { timeout: 120_000 }, () => {
  test('meta.trades runs after the pipeline; the result reports the trade list and its paths', async () => {
    await writeManifest(ws, manifest(TRADES));
    const run = await QuantSDK.runMeta('m', opts('t1'));
    assert.deepEqual(
      run.stages.map((s) => s.stageId).slice(-2),
      ['meta.report', 'meta.trades'],
      'meta.trades is the last stage, after the report',
    );
    assert.equal(run.tradeList.length, 1, 'one trade list: the block names one risk profile');
    const list = run.tradeList[0]!;
    assert.equal(list.riskProfile, 'equal_weight', 'the risk profile of the list');
    assert.equal(
      list.csv,
      join(run.runDir, 'data', 'trades_m_equal_weight.csv'),
      'the orders CSV in the run',
    );
    assert.equal(
      list.json,
      join(run.runDir, 'data', 'trades_m_equal_weight.json'),
      'the full list next to it',
    );
    // equal_weight: a 50 %, b 50 % → Z 50 %, NESN 30 %, ROG 20 % of 100,000 (the target's order, largest
    // first); 100 NESN held, the 50 OLD held outside the target sold.
    assert.deepEqual(
      list.orders.map((o) => [o.symbol, o.side, o.quantity]),
      [
        ['NYSE:Z', 'BUY', 1250],
        ['SIX:NESN', 'BUY', 200],
        ['SIX:ROG', 'BUY', 80],
        ['SIX:OLD', 'SELL', 50],
      ],
      'the orders to the target in whole lots',
    );
    const csv = readFileSync(list.csv, 'utf8');
    assert.ok(
      csv.startsWith('symbol,side,quantity,lots,price,notional,sleeves\nNYSE:Z,BUY,1250,125,40,50000,'),
      csv,
    );
    const doc = JSON.parse(readFileSync(list.json, 'utf8')) as { nav: number; risk_profile: string };
    assert.deepEqual(
      [doc.nav, doc.risk_profile],
      [100_000, 'equal_weight'],
      'the trade list’s NAV and profile',
    );
    const ledger = readFileSync(join(run.runDir, 'audit.jsonl'), 'utf8');
    assert.ok(ledger.includes('"trades.rounding"'), 'the rounding decision is in the run’s ledger');
    const verdict = await validateMetaRun(ws, 't1');
    assert.ok(verdict.ok, `the run validates: ${JSON.stringify(verdict.checks.filter((c) => !c.ok))}`);
  });

  test('the run is the same bytes wherever the workspace lies (no absolute path of a trades file)', async () => {
    await writeManifest(ws, manifest(TRADES));
    const other = tempDir('mf-meta-trades-moved-');
    cpSync(ws, other, { recursive: true, filter: (src) => !src.startsWith(join(ws, 'runs', 'same')) });
    const here = await QuantSDK.runMeta('m', opts('same'));
    const there = await QuantSDK.runMeta('m', { ...opts('same'), workspace: other, cwd: tmpdir() });
    for (const file of ['run.json', 'audit.jsonl', 'data/trades_m_equal_weight.json']) {
      const a = readFileSync(join(here.runDir, file), 'utf8');
      assert.ok(!a.includes(ws), `${file} names no absolute path of the workspace`);
      assert.equal(
        readFileSync(join(there.runDir, file), 'utf8'),
        a,
        `${file}: the same bytes in both folders`,
      );
    }
  });

  test('a risk profile left out of the run (--profiles) is skipped with a warning', async () => {
    await writeManifest(ws, manifest(TRADES));
    const warnings: string[] = [];
    const run = await QuantSDK.runMeta('m', {
      ...opts('t2'),
      riskProfiles: ['min_variance'],
      onWarning: (w) => warnings.push(w),
    });
    assert.deepEqual(run.tradeList, [], 'no trade list');
    assert.ok(
      warnings.some((w) => w.includes('equal_weight is not among this run')),
      `a warning says why: ${warnings.join(' | ')}`,
    );
  });

  test('a trade list that fails after the pipeline leaves the run failed, its report in place', async () => {
    // Z has no price: only the run's target shows that, so meta.trades fails after the pipeline.
    writeFileSync(join(ws, 'prices-no-z.csv'), 'symbol,price\nSIX:NESN,100\nSIX:ROG,250\nSIX:OLD,10\n');
    await writeManifest(ws, manifest({ ...TRADES, prices: 'prices-no-z.csv' }));
    await assert.rejects(
      QuantSDK.runMeta('m', opts('t3')),
      (e: unknown) => isQuantError(e) && /NYSE:Z/.test(e.message),
      'the missing price is a coded error naming the symbol',
    );
    const runJson = JSON.parse(readFileSync(join(ws, 'runs', 't3', 'run.json'), 'utf8')) as {
      status: string;
    };
    assert.equal(runJson.status, 'failed', 'the run as the manifest asks for it did not complete');
    assert.ok(
      existsSync(join(ws, 'runs', 't3', 'reports', 'meta_portfolio_report.md')),
      'the report is in place',
    );
  });

  test('a trade list made by hand on a failed run leaves it failed', async () => {
    // t3 failed in its trades block (the test above); a trade list from complete prices now succeeds.
    const status = (): string =>
      (JSON.parse(readFileSync(join(ws, 'runs', 't3', 'run.json'), 'utf8')) as { status: string }).status;
    assert.equal(status(), 'failed', 't3 is the failed run of the test above');
    const sdk = new QuantSDK();
    const done = await sdk.runStage(
      'meta.trades',
      { risk_profile: 'equal_weight', prices_file: 'prices.csv', nav: 100_000, output: 'out/t3.csv' },
      { workspace: ws, cwd: ws, runId: 't3', env: EPOCH },
    );
    assert.equal(done.stageId, 'meta.trades', 'the trade list was made');
    assert.equal(status(), 'failed', 'the pipeline failed: a trade list added by hand does not change that');
    const ledger = readFileSync(join(ws, 'runs', 't3', 'audit.jsonl'), 'utf8');
    assert.match(ledger, /"step":"meta\.trades","status":"success"/, 'the ledger records the trade run');
    const listed = await QuantSDK.listRuns({ workspace: ws });
    assert.equal(
      listed.runs.find((r) => r.run_id === 't3')?.status,
      'failed',
      'runs list (and so the last successful run a turnover reference takes) sees it failed',
    );
  });

  const bad: [string, unknown, string, string][] = [
    ['negative NAV', { ...TRADES, nav: -5 }, 'E_MANIFEST', 'profiles.m.trades.nav'],
    ['missing prices', { nav: 1, risk_profiles: ['hrp'] }, 'E_MANIFEST', 'profiles.m.trades.prices'],
    ['unknown key', { ...TRADES, navv: 1 }, 'E_MANIFEST', 'profiles.m.trades'],
    [
      'a risk profile the meta profile does not run',
      { ...TRADES, risk_profiles: ['max_sharpe'] },
      'E_MANIFEST',
      'profiles.m.trades.risk_profiles[0]',
    ],
    [
      'a file outside the workspace',
      { ...TRADES, prices: '../prices.csv' },
      'E_PATH_ESCAPE',
      'profiles.m.trades.prices',
    ],
    ['a bad price', { ...TRADES, prices: 'bad-prices.csv' }, 'E_INPUT_VALUE', 'bad-prices.csv:3'],
  ];
  for (const [name, block, code, where] of bad) {
    test(`${name}: ${code} at ${where}, no run folder`, async () => {
      writeFileSync(join(ws, 'bad-prices.csv'), 'symbol,price\nSIX:NESN,100\nSIX:ROG,-2\n');
      await writeManifest(ws, manifest(block));
      const runId = `bad_${name.replace(/\W+/g, '_')}`;
      await assert.rejects(
        QuantSDK.runMeta('m', opts(runId)),
        (e: unknown) => {
          assert.ok(isQuantError(e) && e.code === code, `${name}: ${code}, got ${String(e)}`);
          const text = `${e.message} ${JSON.stringify(e.details)} ${JSON.stringify(e.location ?? {})}`;
          assert.ok(text.includes(where), `${name}: the error names ${where}: ${text}`);
          return true;
        },
        `${name}: rejected`,
      );
      assert.equal(existsSync(join(ws, 'runs', runId)), false, `${name}: no run folder`);
    });
  }
});
