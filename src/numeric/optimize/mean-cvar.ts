import type { Matrix } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import { meanReturns } from '../covariance/sample-covariance.js';
import { DEFAULT_CVAR_LEVEL, assertTailLevel } from '../stats/tail-risk.js';
import { DualSimplex } from './_dual-simplex.js';
import { cvarOracle, scaledReturns, solveByCuts, type CuttingPlaneReport } from './_tail-cutting-plane.js';
import { resolveBounds } from './feasibility.js';
import { addLinearRows, infeasible, type TailRiskOptions } from './min-cvar.js';

export interface MeanCvarOptions extends TailRiskOptions {
  /** Risk-free return per period (the annual rate / A), subtracted from every mean; default 0. */
  readonly riskFreePerPeriod?: number;
}

export interface MeanCvarResult {
  readonly weights: Float64Array;
  /** CVaR_β of the weights, per period. */
  readonly cvar: number;
  /** Expected excess return of the weights, per period (mean of the scenarios − r_f). */
  readonly excessReturn: number;
  /** excessReturn / cvar: the maximum over the feasible weights. */
  readonly ratio: number;
  readonly lp: CuttingPlaneReport;
}

/**
 * The maximum expected excess return per unit of CVaR_β (the CVaR analogue of the maximum Sharpe ratio;
 * Riskfolio-Lib `obj='Sharpe', rm='CVaR'`, skfolio `ObjectiveFunction.MAXIMIZE_RATIO` with CVaR), made an
 * LP by the Charnes–Cooper homogenisation (y = κw, κ > 0; CVaR is positively homogeneous):
 *
 *   min CVaR_β(y)  s.t.  (μ − r_f)ᵀy = 1,  Σy = κ,  κ·lo ≤ y ≤ κ·hi,  κ·lower ≤ A y ≤ κ·upper,  κ ≥ 0,
 *
 * then w = y/κ. μ is the mean of the T scenarios (per period).
 *
 * @throws QuantError E_NO_POSITIVE_EXCESS_RETURN when no feasible weights have a positive excess
 *   return; E_UNBOUNDED_SHARPE when such weights have no tail loss (CVaR ≤ 0): the ratio is unbounded.
 */
export function meanCvar(returns: Matrix, options: MeanCvarOptions = {}): MeanCvarResult {
  const n = returns.cols;
  const beta = options.level ?? DEFAULT_CVAR_LEVEL;
  assertTailLevel(beta);
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  if (options.linear !== undefined) assertFeasible(n, lo, hi, options);
  const rf = options.riskFreePerPeriod ?? 0;
  const mu = meanReturns(returns).map((m) => m - rf);
  let muScale = 0;
  for (let i = 0; i < n; i++) muScale = Math.max(muScale, Math.abs(mu[i] as number));
  if (muScale === 0) throw noPositiveExcess();
  const { scaled, scale } = scaledReturns(returns);
  const columns = n + 2;
  const kappa = n;
  const theta = n + 1;
  const cost = new Float64Array(columns);
  cost[theta] = 1;
  const lp = new DualSimplex(cost, new Float64Array(columns), new Float64Array(columns).fill(Infinity));
  const target = new Float64Array(columns);
  for (let i = 0; i < n; i++) target[i] = (mu[i] as number) / muScale;
  lp.addRow(target, 1, 1);
  const budget = new Float64Array(columns);
  budget.fill(1, 0, n);
  budget[kappa] = -1;
  lp.addRow(budget, 0, 0);
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(columns);
    row[i] = 1;
    if ((lo[i] as number) > 0) {
      row[kappa] = -(lo[i] as number);
      lp.addRow(row, 0, Infinity);
    }
    if ((hi[i] as number) < 1) {
      row[kappa] = -(hi[i] as number);
      lp.addRow(row, -Infinity, 0);
    }
  }
  addLinearRows(lp, options.linear, n, columns, kappa);
  const solved = solveByCuts({ lp, columns, n, theta }, cvarOracle(scaled, beta));
  if (solved === null) throw noPositiveExcess();
  const k = solved.x[kappa] as number;
  if (!(solved.value > 1e-12) || !(k > 0)) {
    throw new QuantError(
      'E_UNBOUNDED_SHARPE',
      'weights with a positive expected excess return have no tail loss (CVaR ≤ 0): the return per unit of CVaR is unbounded',
      { hint: 'use min_cvar, or a longer history with losses in every asset' },
    );
  }
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    weights[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, (solved.x[i] as number) / k));
  }
  let excessReturn = 0;
  for (let i = 0; i < n; i++) excessReturn += (mu[i] as number) * (weights[i] as number);
  const cvar = (solved.value * scale) / k;
  return {
    weights,
    cvar,
    excessReturn,
    ratio: excessReturn / cvar,
    lp: { ...solved.report, gap: (solved.report.gap * scale) / k },
  };
}

function noPositiveExcess(): QuantError {
  return new QuantError(
    'E_NO_POSITIVE_EXCESS_RETURN',
    'no feasible weights have a mean return above the risk-free rate: the return per unit of CVaR has no positive maximum',
    { hint: 'use min_cvar, or lower risk_free_rate' },
  );
}

/** Throw when the budget, the bounds and the linear rows have no common point. */
function assertFeasible(n: number, lo: Float64Array, hi: Float64Array, options: MeanCvarOptions): void {
  const lp = new DualSimplex(new Float64Array(n), lo, hi);
  lp.addRow(new Float64Array(n).fill(1), 1, 1);
  addLinearRows(lp, options.linear, n, n, null);
  if (lp.solve(100000).status === 'infeasible') throw infeasible(options.linear);
}
