import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';

/** Direction of a position in a sleeve: a SHORT asset is held as a synthetic long of its inverse. */
export const POSITION_DIRECTIONS = ['LONG', 'SHORT'] as const;
export type PositionDirection = (typeof POSITION_DIRECTIONS)[number];

/**
 * The optimiser-input returns of a sleeve (DESIGN §6): LONG columns as given, SHORT columns as synthetic
 * longs `r_syn = −min(r_raw, 1)`.
 *
 * The cap keeps the synthetic asset a valid simple return (≥ −1): a short loses at most its whole stake,
 * so a day on which the asset more than doubles (r_raw > 1) is a −100 % day for the synthetic long, not a
 * loss the long-only optimiser and the drift arithmetic could never represent.
 *
 * @param returns T x n simple returns of the physical assets.
 * @param directions length-n direction per column.
 * @returns a new T x n matrix (the input is not modified).
 */
export function syntheticReturns(returns: Matrix, directions: readonly PositionDirection[]): Matrix {
  const { rows, cols, data } = returns;
  if (directions.length !== cols) {
    throw new QuantError(
      'E_PARAMS',
      `${directions.length} direction(s) given for a return matrix with ${cols} column(s)`,
      { hint: 'give one direction (LONG or SHORT) per asset column' },
    );
  }
  const out = new Float64Array(data);
  for (let j = 0; j < cols; j++) {
    if (directions[j] !== 'SHORT') continue;
    for (let t = 0; t < rows; t++) {
      const k = t * cols + j;
      const v = -Math.min(data[k] as number, 1);
      // A flat day stays +0, not −0, so artifacts print and compare as the raw value does.
      out[k] = v === 0 ? 0 : v;
    }
  }
  return { rows, cols, data: out };
}
