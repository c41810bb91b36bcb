import { QuantError } from '../../errors.js';

/**
 * Equal weights `wᵢ = 1/n`.
 *
 * @param n number of assets, a positive integer.
 * @returns length-n weights summing to 1.
 * @throws QuantError `E_TOO_FEW_ASSETS` when n is not a positive integer.
 */
export function equalWeight(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) {
    throw new QuantError(
      'E_TOO_FEW_ASSETS',
      `equal weight needs a positive whole number of assets, got ${n}`,
    );
  }
  return new Float64Array(n).fill(1 / n);
}
