// A capped root over 10 sleeves: the root level of a meta portfolio whose 10 sleeves each hold 25 of 200
// physical assets (one of five core assets at 40 %, the rest equally), with a per-symbol exposure cap of
// 10 % on the flattened positions. As in meta.optimize (stages/meta/_exposure-limits.ts), a cap is the
// row −c ≤ Σ_j w_j E_ij ≤ c over the sleeve weights, written where some sleeve alone holds more than c:
// here the five core assets, each reached through two sleeves. The quadratic methods, risk parity and
// min_cvar solve under the rows; hrp is projected onto them. Used by `npm run bench`.
import type { Matrix } from '../src/numeric/linalg/matrix.js';
import type { LinearConstraintRow } from '../src/numeric/optimize/linear-constraints.js';
import { factorReturns } from '../test/unit/numeric/optimize/_fixtures.js';
import { built } from './_built.js';
import type * as LinearConstraintsModule from '../src/numeric/optimize/linear-constraints.js';
import type * as OptimizePortfolioModule from '../src/numeric/optimize/optimize-portfolio.js';

// The solvers from dist/ (bench/_built.ts): what users run.
const { createLinearConstraints } = await built<typeof LinearConstraintsModule>(
  'numeric/optimize/linear-constraints.js',
);
const { optimizeWithFallback } = await built<typeof OptimizePortfolioModule>(
  'numeric/optimize/optimize-portfolio.js',
);

const SLEEVES = 10;
const ASSETS = 200;
const DAYS = 2520;
const HELD = 25;
const CORE = 5;
const CORE_WEIGHT = 0.4;
const CAP = 0.1;

export const CAPPED_ROOT_METHODS = ['min_variance', 'max_sharpe', 'risk_parity', 'min_cvar', 'hrp'] as const;

export interface CappedRoot {
  readonly name: string;
  /** DAYS × SLEEVES returns of the sleeves. */
  readonly returns: Matrix;
  /** ASSETS × SLEEVES: E_ij, asset i's weight in sleeve j. */
  readonly exposure: Float64Array;
  readonly rows: readonly LinearConstraintRow[];
}

/** The sleeves, their returns on the generated assets, and the cap rows. */
export function cappedRoot(): CappedRoot {
  const assets = factorReturns(ASSETS, DAYS, 46);
  const exposure = new Float64Array(ASSETS * SLEEVES);
  for (let j = 0; j < SLEEVES; j++) {
    exposure[(j % CORE) * SLEEVES + j] = CORE_WEIGHT;
    for (let k = 0; k < HELD - 1; k++) {
      const i = CORE + ((j * 19 + k) % (ASSETS - CORE));
      exposure[i * SLEEVES + j] = (exposure[i * SLEEVES + j] as number) + (1 - CORE_WEIGHT) / (HELD - 1);
    }
  }
  const data = new Float64Array(DAYS * SLEEVES);
  for (let t = 0; t < DAYS; t++) {
    for (let i = 0; i < ASSETS; i++) {
      const r = assets.data[t * ASSETS + i] as number;
      for (let j = 0; j < SLEEVES; j++) {
        const e = exposure[i * SLEEVES + j] as number;
        if (e !== 0) data[t * SLEEVES + j] = (data[t * SLEEVES + j] as number) + e * r;
      }
    }
  }
  const rows: LinearConstraintRow[] = [];
  for (let i = 0; i < ASSETS; i++) {
    const a = Array.from(exposure.subarray(i * SLEEVES, (i + 1) * SLEEVES));
    if (Math.max(...a) <= CAP) continue;
    rows.push({ name: `cap asset${i}`, coefficients: a, lower: -CAP, upper: CAP });
  }
  return {
    name: `capped root (${SLEEVES} sleeves over ${ASSETS} assets x ${DAYS.toLocaleString('en-US')}, ${rows.length} caps of ${CAP * 100} %)`,
    returns: { rows: DAYS, cols: SLEEVES, data },
    exposure,
    rows,
  };
}

/** The root's weights by one method under the caps (as meta.optimize calls it). */
export function solveCappedRoot(
  root: CappedRoot,
  method: (typeof CAPPED_ROOT_METHODS)[number],
): Float64Array {
  return optimizeWithFallback(root.returns, {
    method,
    periodsPerYear: 252,
    covariance: 'auto',
    minWeight: 0,
    maxWeight: 1,
    constraints: createLinearConstraints(SLEEVES, root.rows),
  }).weights;
}

/** Caps the weights reach (within 1e-9) and the largest flattened position; throws if a cap is broken. */
export function capsReached(root: CappedRoot, weights: Float64Array): { binding: number; largest: number } {
  let binding = 0;
  let largest = 0;
  for (let i = 0; i < ASSETS; i++) {
    let flat = 0;
    for (let j = 0; j < SLEEVES; j++)
      flat += (root.exposure[i * SLEEVES + j] as number) * (weights[j] as number);
    largest = Math.max(largest, flat);
    if (flat > CAP + 1e-9) throw new Error(`asset${i}: flattened weight ${flat} above the cap ${CAP}`);
    if (root.rows.some((r) => r.name === `cap asset${i}`) && flat >= CAP - 1e-9) binding++;
  }
  return { binding, largest };
}
