// turnover at the library and stage faces: optimizePortfolio's `turnover` option (a record by asset name
// or a list) and portfolio.optimize's `turnover` param move the weights onto the bound, differ from the
// answer without it, and name bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { optimizePortfolio, QuantError, QuantSDK } from '../../../src/index.js';
import { tempDir } from '../artifacts/_temp.js';
import { businessDays } from '../../helpers/sleeve-fixtures.js';

function returnsRows(T: number, n: number, seed = 11): number[][] {
  let s = seed;
  const next = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.02;
  return Array.from({ length: T }, () => Array.from({ length: n }, (_, j) => next() * (1 + j)));
}
const ROWS = returnsRows(150, 3);
const ASSETS = ['bonds', 'stocks', 'gold'];
const REFERENCE = { bonds: 0.2, stocks: 0.5, gold: 0.3 };
const l1 = (w: Readonly<Record<string, number>>): number =>
  ASSETS.reduce((s, a) => s + Math.abs((w[a] as number) - REFERENCE[a as keyof typeof REFERENCE]), 0);

function error(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QuantError, `a QuantError, not ${String(e)}`);
    return e;
  }
  assert.fail('expected a QuantError');
}

describe('optimizePortfolio: turnover', () => {
  test('min_variance stays within the bound of the reference, and the bound binds', () => {
    const input = { assets: ASSETS, returns: ROWS };
    const free = optimizePortfolio(input, { method: 'min_variance', periodsPerYear: 252 });
    assert.ok(l1(free.weights) > 0.15, `without the option the answer moves ${l1(free.weights)}`);
    const r = optimizePortfolio(input, {
      method: 'min_variance',
      periodsPerYear: 252,
      turnover: { reference: REFERENCE, maxTurnover: 0.15 },
    });
    assert.ok(Math.abs(l1(r.weights) - 0.15) <= 1e-12, `turnover ${l1(r.weights)} on the bound`);
    const t = r.diagnostics['turnover'] as { binding: boolean; solver: string };
    assert.deepEqual([t.binding, t.solver], [true, 'exact_sign_pattern'], 'recorded as binding, exact');
    const list = optimizePortfolio(ROWS, {
      method: 'min_variance',
      periodsPerYear: 252,
      turnover: { reference: [0.2, 0.5, 0.3], maxTurnover: 0.15 },
    });
    assert.deepEqual(
      Array.from(list.weights),
      ASSETS.map((a) => r.weights[a]),
      'a list in column order',
    );
  });

  test('bad turnover options are E_PARAMS naming them', () => {
    const input = { assets: ASSETS, returns: ROWS };
    const unknown = error(() =>
      optimizePortfolio(input, {
        method: 'hrp',
        periodsPerYear: 252,
        turnover: { reference: { bond: 1 }, maxTurnover: 0.1 },
      }),
    );
    assert.equal(unknown.code, 'E_PARAMS', unknown.message);
    assert.match(unknown.message, /options\.turnover\.reference\.bond: unknown asset/, unknown.message);
    const empty = error(() =>
      optimizePortfolio(input, { method: 'hrp', periodsPerYear: 252, turnover: { reference: REFERENCE } }),
    );
    assert.equal(empty.code, 'E_PARAMS', empty.message);
    assert.match(empty.message, /turnover/, empty.message);
  });
});

describe('portfolio.optimize: turnover', () => {
  test('the param projects hrp onto the turnover ball and records it', async () => {
    const ws = tempDir('mf-turnover-stage-');
    mkdirSync(join(ws, 'data'));
    const dates = businessDays('2024-01-01', ROWS.length);
    const lines = ['date,bonds,stocks,gold', ...ROWS.map((r, t) => [dates[t], ...r].join(','))];
    writeFileSync(join(ws, 'data', 'r.csv'), lines.join('\n') + '\n');
    const params = {
      input: join(ws, 'data', 'r.csv'),
      input_kind: 'returns',
      method: 'hrp',
      periods_per_year: 252,
    };
    const plain = await QuantSDK.runStage('portfolio.optimize', params, { workspace: ws, runId: 'plain' });
    assert.ok(l1(plain.value.weights) > 0.1, `hrp alone moves ${l1(plain.value.weights)}`);
    const run = await QuantSDK.runStage(
      'portfolio.optimize',
      { ...params, turnover: { reference: REFERENCE, max_turnover: 0.1 } },
      { workspace: ws, runId: 'near' },
    );
    assert.ok(Math.abs(l1(run.value.weights) - 0.1) <= 1e-12, `turnover ${l1(run.value.weights)}`);
    const doc = JSON.parse(readFileSync(run.value.output, 'utf8')) as {
      diagnostics: Record<string, unknown>;
    };
    const t = doc.diagnostics['turnover'] as { solver: string; before: { turnover: number } };
    assert.equal(t.solver, 'projection', 'hrp is projected');
    assert.ok(Math.abs(t.before.turnover - l1(plain.value.weights)) <= 1e-12, 'before: the plain hrp answer');
  });
});
