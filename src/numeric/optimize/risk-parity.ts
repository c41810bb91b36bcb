import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { checkCovariance, risklessAssets } from './_inputs.js';
import { solveBoxQp } from './_box-qp.js';
import { solveErcBudgetNewton } from './_erc-budget-newton.js';
import { normaliseRiskBudget, solveRiskBudget } from './_risk-budget.js';
import { solveLogBarrier, sumDerivative, type LogBarrierSolution } from './_log-barrier-newton.js';
import { resolveBounds, type WeightBound } from './feasibility.js';

export interface RiskParityOptions {
  /** Lower weight bound, scalar or per asset (default 0). */
  readonly minWeight?: WeightBound;
  /** Upper weight bound, scalar or per asset (default 1). */
  readonly maxWeight?: WeightBound;
  /**
   * Risk budgets b (one positive, finite value per asset; divided by their sum): the relative risk
   * contributions of the result equal b to 1e-8 (default: equal budgets, the classic ERC portfolio).
   */
  readonly riskBudget?: ArrayLike<number>;
  /** Names of the assets in error messages (default `asset i`). */
  readonly labels?: readonly string[];
}

export interface RiskParityResult {
  /** n weights, lo ≤ w ≤ hi, Σw = 1. */
  readonly weights: Float64Array;
  /** Relative risk contributions w_i(Σw)_i / wᵀΣw (sum 1). */
  readonly riskContributions: Float64Array;
  /** True when the unbounded ERC portfolio violated the bounds and the bounded problem was solved. */
  readonly boundsBind: boolean;
  /** Assets held at their lower / upper bound (empty when the bounds do not bind). */
  readonly activeLower: number[];
  readonly activeUpper: number[];
  /** max over free assets of |RC_i − c̄| / wᵀΣw, c̄ their mean risk contribution (0 when all are equal). */
  readonly maxDeviation: number;
  /** Newton steps and coordinate sweeps in total (the inner solves and the outer steps). */
  readonly iterations: number;
  /**
   * Steps of the outer search for the common risk contribution c (bounded problems; 0 when the bounds do
   * not bind): a cost measure, pinned by tests, that a slower but still correct search would raise.
   */
  readonly outerIterations: number;
  /** The normalised risk budgets when `riskBudget` was given. */
  readonly riskBudget?: Float64Array;
}

/**
 * Equal-risk-contribution portfolio (Maillard, Roncalli & Teïletche 2010): RC_i = w_i(Σw)_i equal for
 * all i.
 *
 * Unbounded: x = argmin_{x>0} ½xᵀΣx − (1/n)·Σ log x_i (Spinu 2013; strictly convex, unique), solved by
 * damped Newton steps after a few coordinate-descent sweeps, to |x_i(Σx)_i − 1/n|·n ≤ 1e-14 (or the
 * rounding floor, ≤ 1e-11); w = x / Σx. If w satisfies the bounds it is returned unchanged.
 *
 * Bounded (the unbounded answer violates lo ≤ w ≤ hi): the result satisfies Σw = 1, lo ≤ w ≤ hi and,
 * for a common level c,
 *   RC_i = c if lo_i < w_i < hi_i,   RC_i ≥ c if w_i = lo_i,   RC_i ≤ c if w_i = hi_i,
 * i.e. assets at a bound are fixed there and all others share one risk contribution; a capped asset
 * contributes no more, a floored asset no less, than the others. After Richard & Roncalli (2019),
 * w = x(c) with x(c) = argmin_{lo ≤ x ≤ hi} ½xᵀΣx − c·Σ log x_i (convex, unique; its KKT conditions are
 * the ones above) and c > 0 such that Σx(c) = 1, found by safeguarded Newton steps on log Σx(c) in
 * log c; x(c) by a projected Newton method. Such a c exists whenever Σx(c) < 1 for small c, always when
 * min_weight = 0. Otherwise (floors plus strongly hedging assets) the common level is ≤ 0 and the
 * conditions are solved directly by Newton's method with an active set; if that fails too, E_SOLVER with
 * `details.reason = 'non_positive_risk_contribution'`. skfolio's RiskBudgeting instead bounds the
 * homogenised weights (lo·Σx ≤ x_i ≤ hi·Σx), whose free assets do not share equal contributions; the
 * two agree whenever the bounds do not bind.
 *
 * Singular Σ: the portfolio exists and is unique exactly when no long-only portfolio has zero variance
 * (Spinu's objective is then bounded below and strictly convex), e.g. with duplicated assets, which
 * share their weight equally. A riskless asset (zero variance) contributes 0 risk whatever its weight,
 * so no portfolio gives it the common contribution: E_SINGULAR_COVARIANCE naming it (details.assets),
 * before any work. A long-only zero-variance combination of several assets (perfect hedges) makes the
 * unbounded problem diverge; that is reported the same way, naming the assets of the combination.
 *
 * Risk budgets (`riskBudget`, b > 0, divided by their sum): the portfolio whose relative contributions
 * RC_i / wᵀΣw equal b_i, from x = argmin ½xᵀΣx − Σ b_i·log x_i (Spinu 2013), w = x / Σx; exact (to
 * rounding) or refused: bounds that cut the budgeted portfolio off are E_INFEASIBLE_BOUNDS with
 * `details.reason = 'risk_budget_unreachable'`, naming each asset and the weight its budget needs
 * (holding it at the bound would silently change its budget). `maxDeviation` is then max |RC_i − b_i|.
 *
 * @param cov n x n covariance (symmetric positive semidefinite).
 * @throws QuantError E_TOO_FEW_ASSETS, E_INFEASIBLE_BOUNDS, E_SINGULAR_COVARIANCE, E_SOLVER, E_PARAMS
 * (a budget that is not positive and finite, or not one per asset).
 */
export function riskParity(cov: Matrix, options: RiskParityOptions = {}): RiskParityResult {
  const n = checkCovariance(cov);
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const riskless = risklessAssets(cov);
  if (riskless.length > 0) {
    throw noRiskContribution(
      riskless,
      `${riskless.map((i) => `asset ${i}`).join(', ')} ${riskless.length === 1 ? 'has' : 'have'} zero variance, so ${riskless.length === 1 ? 'its' : 'their'} risk contribution is 0 whatever the weight`,
    );
  }
  if (options.riskBudget !== undefined) return budgeted(cov, lo, hi, options);
  const sigma = cov.data;
  let sumLo = 0;
  let sumHi = 0;
  for (let i = 0; i < n; i++) {
    sumLo += lo[i] as number;
    sumHi += hi[i] as number;
  }
  // A single feasible point: nothing to optimize.
  if (sumLo >= 1 - 1e-15 || sumHi <= 1 + 1e-15) {
    const atLo = sumLo >= 1 - 1e-15;
    return finish(cov, atLo ? lo : hi, true, { total: 0, outer: 0 }, new Int8Array(n).fill(atLo ? -1 : 1));
  }

  const x0 = new Float64Array(n);
  for (let i = 0; i < n; i++) x0[i] = 1 / Math.sqrt(sigma[i * n + i] as number);
  const scale = 1 / Math.sqrt(quadForm(sigma, n, x0));
  for (let i = 0; i < n; i++) x0[i] = (x0[i] as number) * scale;
  const zero = new Float64Array(n);
  const inf = new Float64Array(n).fill(Infinity);
  const free = solveLogBarrier(sigma, n, 1 / n, zero, inf, x0);
  if (free === undefined) {
    assertNoRisklessCombination(cov);
    throw notConverged('the unbounded equal-risk-contribution solve');
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += free.x[i] as number;
  const w = free.x.map((v) => v / s);
  let within = true;
  for (let i = 0; i < n; i++)
    within &&= (w[i] as number) >= (lo[i] as number) && (w[i] as number) <= (hi[i] as number);
  if (within) return finish(cov, w, false, { total: free.iterations, outer: 0 });

  // Bounded: find c with Σx(c) = 1. Unbounded, x(c) = √(n·c)·x(1/n), so c0 hits Σ = 1 exactly.
  let c = 1 / (n * s * s);
  let iterations = free.iterations;
  let cLow = 0;
  let cHigh = Infinity;
  let x: Float64Array = w;
  for (let outer = 0; outer < 200; outer++) {
    const sol: LogBarrierSolution | undefined = solveLogBarrier(sigma, n, c, lo, hi, x);
    if (sol === undefined) throw notConverged('the bounded equal-risk-contribution solve');
    iterations += sol.iterations + 1;
    const cost = { total: iterations, outer: outer + 1 };
    x = sol.x;
    let total = 0;
    for (let i = 0; i < n; i++) total += x[i] as number;
    if (Math.abs(total - 1) <= 1e-15)
      return finish(cov, normalise(x, sol.state, lo, hi, total), true, cost, sol.state);
    if (total < 1) cLow = Math.max(cLow, c);
    else cHigh = Math.min(cHigh, c);
    if (cLow === 0 && c < 1e-8 / (n * s * s)) {
      // Even as c → 0 the weights sum to more than 1: the common contribution is not positive, which the
      // convex log-barrier path cannot reach. Solve the conditions directly from here.
      const direct = solveErcBudgetNewton(sigma, n, lo, hi, x, sol.state, c);
      if (direct === undefined) {
        throw new QuantError(
          'E_SOLVER',
          'the bounded equal-risk-contribution conditions could not be solved: with these floors the hedging assets leave no solution with positive risk contributions',
          {
            hint: 'lower min_weight, or use min_variance',
            details: {
              reason: 'non_positive_risk_contribution',
              min_weight: options.minWeight ?? 0,
              max_weight: options.maxWeight ?? 1,
            },
          },
        );
      }
      return finish(
        cov,
        direct.w,
        true,
        { total: iterations + direct.iterations, outer: cost.outer },
        direct.state,
      );
    }
    // Newton on log Σx(c) in log c (exactly linear, slope ½, while no bound changes).
    const slope = (c * sumDerivative(sigma, n, c, x, sol.state)) / total;
    let next = slope > 0 ? c * Math.exp(-Math.log(total) / slope) : NaN;
    if (!(next > cLow && next < cHigh)) {
      next = cHigh === Infinity ? c * 4 : cLow === 0 ? c / 4 : Math.sqrt(cLow * cHigh);
    }
    if (next === c) return finish(cov, normalise(x, sol.state, lo, hi, total), true, cost, sol.state);
    // Free assets scale like √c; start the next solve there.
    const grow = Math.sqrt(next / c);
    x = x.map((v, i) => (sol.state[i] === 0 ? v * grow : v));
    c = next;
  }
  throw notConverged('the search for the common risk contribution');
}

/**
 * Risk budgeting (see _risk-budget.ts): exact when the budgeted portfolio lies within the bounds.
 * Bounds that cut it off make the budgets unreachable: with an asset held at a bound its contribution
 * is no longer its budget, so the request is refused (E_INFEASIBLE_BOUNDS, details.reason
 * `risk_budget_unreachable`, naming each asset outside its bounds and the weight its budget needs)
 * rather than answered with other budgets.
 */
function budgeted(
  cov: Matrix,
  lo: Float64Array,
  hi: Float64Array,
  options: RiskParityOptions,
): RiskParityResult {
  const n = cov.rows;
  const budget = normaliseRiskBudget(options.riskBudget ?? [], n, options.labels);
  const sol = solveRiskBudget(cov.data, n, budget);
  if (sol === undefined) {
    assertNoRisklessCombination(cov);
    throw notConverged('the risk budgeting solve');
  }
  let s = 0;
  for (const v of sol.x) s += v;
  const w = sol.x.map((v) => v / s);
  const outside: { index: number; weight: number; bound: number; side: 'min' | 'max' }[] = [];
  for (let i = 0; i < n; i++) {
    const wi = w[i] as number;
    if (wi < (lo[i] as number) - 1e-12)
      outside.push({ index: i, weight: wi, bound: lo[i] as number, side: 'min' });
    if (wi > (hi[i] as number) + 1e-12)
      outside.push({ index: i, weight: wi, bound: hi[i] as number, side: 'max' });
  }
  if (outside.length > 0) {
    const name = (i: number): string => options.labels?.[i] ?? `asset ${i}`;
    const what = outside
      .map(
        (o) =>
          `${name(o.index)} needs weight ${o.weight.toFixed(4)} for its budget ${(budget[o.index] as number).toFixed(4)}, ${o.side === 'min' ? 'below its min_weight' : 'above its max_weight'} ${o.bound}`,
      )
      .join('; ');
    throw new QuantError(
      'E_INFEASIBLE_BOUNDS',
      `the risk budgets cannot be met within the weight bounds: ${what}`,
      {
        hint: 'widen the bounds of those assets or change their risk budgets (the budgeted weights are unique)',
        details: {
          reason: 'risk_budget_unreachable',
          assets: outside.map((o) => ({
            asset_index: o.index,
            weight: o.weight,
            bound: o.bound,
            side: o.side,
            budget: budget[o.index],
          })),
        },
      },
    );
  }
  const result = finish(cov, w, false, { total: sol.iterations, outer: 0 });
  let maxDeviation = 0;
  for (let i = 0; i < n; i++) {
    maxDeviation = Math.max(
      maxDeviation,
      Math.abs((result.riskContributions[i] as number) - (budget[i] as number)),
    );
  }
  return { ...result, maxDeviation, riskBudget: budget };
}

function finish(
  cov: Matrix,
  w: Float64Array,
  boundsBind: boolean,
  cost: { readonly total: number; readonly outer: number },
  state?: Int8Array,
): RiskParityResult {
  const n = cov.rows;
  const sigma = cov.data;
  const rc = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (sigma[i * n + j] as number) * (w[j] as number);
    rc[i] = (w[i] as number) * s;
    total += rc[i] as number;
  }
  const activeLower: number[] = [];
  const activeUpper: number[] = [];
  let freeCount = 0;
  let freeSum = 0;
  for (let i = 0; i < n; i++) {
    const st = state === undefined ? 0 : (state[i] as number);
    if (st < 0) activeLower.push(i);
    else if (st > 0) activeUpper.push(i);
    else {
      freeCount++;
      freeSum += rc[i] as number;
    }
  }
  // Deviation of the free assets' contributions from their mean, in units of the total variance.
  let maxDeviation = 0;
  const level = freeSum / freeCount;
  for (let i = 0; i < n; i++) {
    if ((state?.[i] ?? 0) === 0)
      maxDeviation = Math.max(maxDeviation, Math.abs((rc[i] as number) - level) / total);
  }
  return {
    weights: w,
    riskContributions: rc.map((v) => v / total),
    boundsBind,
    activeLower,
    activeUpper,
    maxDeviation: freeCount > 0 ? maxDeviation : 0,
    iterations: cost.total,
    outerIterations: cost.outer,
  };
}

/**
 * x / Σx with the held assets exactly at their bounds and the (≤ 1e-15) rounding of the sum spread over
 * the free assets.
 */
function normalise(
  x: Float64Array,
  state: Int8Array,
  lo: Float64Array,
  hi: Float64Array,
  total: number,
): Float64Array {
  const n = x.length;
  const w = new Float64Array(n);
  let held = 0;
  let freeSum = 0;
  for (let i = 0; i < n; i++) {
    const st = state[i] as number;
    if (st < 0) w[i] = lo[i] as number;
    else if (st > 0) w[i] = hi[i] as number;
    else {
      w[i] = (x[i] as number) / total;
      freeSum += w[i] as number;
      continue;
    }
    held += w[i] as number;
  }
  if (freeSum > 0) {
    const f = (1 - held) / freeSum;
    for (let i = 0; i < n; i++)
      if (state[i] === 0) w[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, (w[i] as number) * f));
  }
  return w;
}

function quadForm(sigma: Float64Array, n: number, x: Float64Array): number {
  let q = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (sigma[i * n + j] as number) * (x[j] as number);
    q += (x[i] as number) * s;
  }
  return q;
}

/**
 * E_SINGULAR_COVARIANCE when a long-only portfolio has zero variance (the minimum variance over the
 * simplex is 0 to rounding, relative to the largest variance): Spinu's objective is then unbounded
 * below and no equal-risk-contribution portfolio exists.
 */
function assertNoRisklessCombination(cov: Matrix): void {
  const n = cov.rows;
  const sol = solveBoxQp({
    n,
    sigma: cov.data,
    lo: new Float64Array(n),
    hi: new Float64Array(n).fill(1),
  });
  let variance = 0;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    variance += (sol.w[i] as number) * (sol.sigmaW[i] as number);
    largest = Math.max(largest, cov.data[i * n + i] as number);
  }
  if (variance > 1e-13 * largest) return;
  const assets: number[] = [];
  for (let i = 0; i < n; i++) if ((sol.w[i] as number) > 1e-9) assets.push(i);
  throw noRiskContribution(
    assets,
    `a long-only combination of ${assets.map((i) => `asset ${i}`).join(', ')} has zero variance (they hedge each other perfectly), so no weights give every asset the same positive risk contribution`,
  );
}

function noRiskContribution(assets: readonly number[], why: string): QuantError {
  return new QuantError('E_SINGULAR_COVARIANCE', `risk parity is undefined: ${why}`, {
    hint: 'remove the riskless asset (or one of the hedging assets), or use min_variance or hrp, which give a riskless asset the weight its bounds allow',
    details: { assets, ...(assets.length > 0 ? { asset_index: assets[0] } : {}) },
  });
}

function notConverged(what: string): QuantError {
  return new QuantError('E_SOLVER', `${what} did not converge`, {
    hint: 'the covariance may be nearly singular; try the ledoit_wolf covariance',
  });
}
