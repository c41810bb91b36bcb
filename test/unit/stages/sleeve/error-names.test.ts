// A sleeve backtest that fails in a window names the asset by its column and says what to change in the
// sleeve spec (a sleeve has no risk_free_rate: its rate is 0).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { QuantError } from '../../../../src/errors.js';
import { businessDays, writeManifest } from '../../../helpers/sleeve-fixtures.js';
import { tempDir } from '../../artifacts/_temp.js';
import { runBacktest } from './_sleeve-workspace.js';

const DAYS = businessDays('2024-01-01', 80);

/** Prices of A, B, C: steady daily moves of `drift` (± a small wobble), `spike` setting one price. */
function pricesCsv(drift: number, spike?: { row: number; column: number; price: number }): string {
  const level = [100, 50, 80];
  const lines = ['date,A,B,C'];
  for (const [t, date] of DAYS.entries()) {
    for (let i = 0; i < 3; i++) level[i] = (level[i] ?? 1) * (1 + drift + 0.002 * Math.sin(t * (i + 1)));
    const row = level.map((v, i) => (spike?.row === t && spike.column === i ? spike.price : v));
    lines.push(`${date},${row.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

async function workspace(csv: string, over: Record<string, unknown>): Promise<string> {
  const ws = tempDir('mf-sleeve-names-');
  writeFileSync(join(ws, 'prices.csv'), csv);
  await writeManifest(ws, {
    profiles: {
      s: {
        sleeve: {
          prices: 'prices.csv',
          assets: ['A', 'B', 'C'],
          train_window: 20,
          test_window: 10,
          costs: { commission: 0, slippage: 0 },
          ...over,
        },
      },
    },
  });
  return ws;
}

async function failure(ws: string): Promise<QuantError> {
  try {
    await runBacktest(ws, 's', 'names_1');
  } catch (error) {
    assert.ok(error instanceof QuantError, `a QuantError, got ${String(error)}`);
    return error;
  }
  assert.fail('the backtest should have failed');
}

describe('sleeve.backtest errors in sleeve terms', () => {
  test('a variance that overflows names the asset by its column and the window by its dates', async () => {
    const ws = await workspace(pricesCsv(0.0005, { row: 40, column: 1, price: 1e-300 }), {
      risk_profiles: ['inverse_variance'],
    });
    const error = await failure(ws);
    assert.equal(error.code, 'E_INPUT_VALUE', error.message);
    assert.match(error.message, /variance of B is not finite/, 'the asset by its column name');
    assert.doesNotMatch(error.message, /asset \d/, 'no asset by position');
    assert.match(
      error.message,
      /window \d+ \(train \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d\)/,
      'the window dates',
    );
  });

  test('no positive excess return with fallback: false says what to change in the sleeve spec', async () => {
    const ws = await workspace(pricesCsv(-0.004), { risk_profiles: ['max_sharpe'], fallback: false });
    const error = await failure(ws);
    assert.equal(error.code, 'E_NO_POSITIVE_EXCESS_RETURN', error.message);
    assert.match(error.message, /largest μ = [^,]+, [ABC]\)/, 'the best asset by its column name');
    assert.doesNotMatch(error.hint ?? '', /risk_free_rate/, 'no key the sleeve spec lacks');
    assert.match(error.hint ?? '', /profiles\.s\.sleeve\.risk_profiles/, 'the risk profiles to change');
    assert.match(error.hint ?? '', /"fallback": false/, 'the fallback to enable');
    assert.equal(error.location?.jsonPath, 'profiles.s.sleeve.risk_profiles', 'the JSON path');
    assert.equal(error.location?.file, join(ws, 'manifest.json'), 'the manifest file');
  });
});
