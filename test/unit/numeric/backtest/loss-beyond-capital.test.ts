// A period of a backtest stream below −1 (a loss of more than the portfolio is worth) is found with the
// trade that made it: rows of the window trades, gross = net + cost, and the cause in words.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeLossBeyondCapital,
  firstLossBeyondCapital,
  windowTrades,
} from '../../../../src/numeric/backtest/loss-beyond-capital.js';

describe('firstLossBeyondCapital', () => {
  test('window trades sit on each window’s first held row', () => {
    const trades = windowTrades([
      { heldDays: 3, cost: 0.5, turnover: 1 },
      { heldDays: 2, cost: 1.2, turnover: 0.6 },
      { heldDays: 1, cost: 0, turnover: 0 },
    ]);
    assert.deepEqual(
      trades.map((t) => t.row),
      [0, 3, 5],
      'rows 0, 3 and 5',
    );
  });

  test('the first row below −1, its gross return and costs; none at exactly −1', () => {
    const dates = ['d0', 'd1', 'd2', 'd3'];
    const returns = Float64Array.from([-1, 0.01, -1.25, -1.5]);
    const trades = [{ row: 2, cost: 1.2, turnover: 1 }];
    const loss = firstLossBeyondCapital(dates, returns, trades);
    assert.ok(loss !== undefined, 'a loss beyond the capital is found');
    assert.equal(loss.date, 'd2', 'the first row below −1 (a total loss of exactly −1 is allowed)');
    assert.ok(Math.abs(loss.gross + 0.05) < 1e-15, `gross = net + cost: ${loss.gross}`);
    assert.match(
      describeLossBeyondCapital(loss),
      /^on d2 the return after costs is -1\.25 \(gross -0\.05, costs 1\.2 on a turnover of 1\), a loss of more than 100 %: the costs are more than the portfolio was worth$/,
      describeLossBeyondCapital(loss),
    );
    assert.equal(
      firstLossBeyondCapital(dates, Float64Array.from([-1, 0, 0.5, -0.99]), trades),
      undefined,
      'no row below −1: nothing',
    );
  });
});
