import { QuantError } from '../../errors.js';

/** One walk-forward window as row ranges (half-open `[start, end)`) of a T-row return matrix. */
export interface WindowSpan {
  readonly index: number;
  readonly trainStart: number;
  readonly trainEnd: number;
  /** First row of the nominal test period (= `trainEnd`). */
  readonly testStart: number;
  /** End of the nominal test period, truncated at T. */
  readonly testEnd: number;
  /** End of the rows this window actually holds in the stitched stream (≤ `testEnd`). */
  readonly heldEnd: number;
  /** Whether the window rebalances from the previous window's drifted holdings (all but the first). */
  readonly continues: boolean;
}

/**
 * The windows of a walk-forward backtest over T rows: window k trains on rows
 * `[k·step, k·step + train)` and tests on `[k·step + train, k·step + train + test)` truncated at T;
 * windows are produced while their test period starts before T.
 *
 * Stitching without overlap: every row belongs to the most recent window whose test period covers it,
 * so window k holds `[testStart_k, min(testEnd_k, testStart_{k+1}))` — with `step < test` each window
 * holds `step` rows (the last one up to `test`), the rest of its test period is superseded by fresher
 * weights; with `step = test` the test periods tile the rows. `step > test` is refused: the rows between
 * `testEnd_k` and `testStart_{k+1}` would belong to no window and drop out of the stream, which then
 * spans more days than it has rows and inflates every annualised figure.
 *
 * @param rows T, the number of return rows.
 * @throws QuantError `E_PARAMS` for non-integer or too small windows and for `step > test`,
 *   `E_TOO_FEW_OBSERVATIONS` when `rows < train + 1` (no test day).
 */
export function walkForwardWindows(rows: number, train: number, test: number, step: number): WindowSpan[] {
  for (const [name, value, min] of [
    ['train window', train, 2],
    ['test window', test, 1],
    ['step', step, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new QuantError('E_PARAMS', `the ${name} must be an integer ≥ ${min}, got ${value}`);
    }
  }
  if (step > test) {
    throw new QuantError(
      'E_PARAMS',
      `the step (${step}) is longer than the test window (${test}): the windows would leave ${step - test} of every ${step} days out of the stream`,
      { hint: `set the step to at most the test window (${test})` },
    );
  }
  if (rows < train + 1) {
    throw new QuantError(
      'E_TOO_FEW_OBSERVATIONS',
      `${rows} return rows are too few for a train window of ${train}: at least ${train + 1} are needed`,
      { hint: 'use a shorter train window or a longer history' },
    );
  }
  const starts: number[] = [];
  for (let s = 0; s + train < rows; s += step) starts.push(s);
  return starts.map((s, k) => {
    const testStart = s + train;
    const testEnd = Math.min(testStart + test, rows);
    const next = starts[k + 1];
    const heldEnd = next === undefined ? testEnd : Math.min(testEnd, next + train);
    return {
      index: k,
      trainStart: s,
      trainEnd: testStart,
      testStart,
      testEnd,
      heldEnd,
      continues: k > 0,
    };
  });
}
