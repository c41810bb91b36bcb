/**
 * Concentration of a set of positions by their gross (absolute) weights: the largest position, the share
 * of the gross held by the `top` largest, and the Herfindahl–Hirschman index HHI = Σ sᵢ² of the gross
 * shares sᵢ = |wᵢ| / Σ|w| with its inverse, the effective number of positions (1 for one position, n for
 * n equal ones). Shares are of the gross, so a portfolio with shorts or cash is measured on what it holds.
 */
export interface Concentration {
  /** Index of the largest |wᵢ| (the first on ties), or −1 without a position. */
  readonly largest: number;
  readonly largestGross: number;
  readonly topShare: number | null;
  readonly hhi: number | null;
  readonly effectiveN: number | null;
}

export function concentration(weights: ArrayLike<number>, top = 10): Concentration {
  const gross = Array.from({ length: weights.length }, (_, i) => Math.abs(weights[i] as number));
  let total = 0;
  let largest = -1;
  for (let i = 0; i < gross.length; i++) {
    const g = gross[i] as number;
    total += g;
    if (g > 0 && (largest < 0 || g > (gross[largest] as number))) largest = i;
  }
  if (total === 0) return { largest: -1, largestGross: 0, topShare: null, hhi: null, effectiveN: null };
  let hhi = 0;
  for (const g of gross) hhi += (g / total) ** 2;
  const sorted = [...gross].sort((a, b) => b - a);
  let head = 0;
  for (let i = 0; i < Math.min(top, sorted.length); i++) head += sorted[i] as number;
  return {
    largest,
    largestGross: gross[largest] as number,
    topShare: head / total,
    hhi,
    effectiveN: 1 / hhi,
  };
}
