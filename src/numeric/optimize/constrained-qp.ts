/**
 * Minimum variance and maximum Sharpe ratio under general linear constraints (budget, per-asset box and
 * rows lower ≤ A·w ≤ upper), solved exactly by the dual active-set method of Goldfarb & Idnani (1983).
 */
import { timesScalar } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { buildConstraintSystem, infeasibleError, type ConstraintSystem } from './_constraint-system.js';
import { dualQpKktViolation, solveDualQp, type DualQpProblem } from './_dual-active-set-qp.js';
import { checkCovariance } from './_inputs.js';
import { snapToBounds } from './bounded-projection.js';
import { resolveBounds, type WeightBound } from './feasibility.js';
import {
  assertFeasibleLinearConstraints,
  validateLinearConstraints,
  type LinearConstraints,
} from './linear-constraints.js';

export interface ConstrainedOptions {
  /** Lower weight bound, scalar or per asset (default 0). */
  readonly minWeight?: WeightBound;
  /** Upper weight bound, scalar or per asset (default 1). */
  readonly maxWeight?: WeightBound;
  /** Names of the assets in error messages (default `asset i`). */
  readonly labels?: readonly string[];
}

export interface ConstrainedResult {
  /** n weights satisfying the budget, the box and the constraints. */
  readonly weights: Float64Array;
  /** Changes of the active set. */
  readonly iterations: number;
  /** Names of the constraint sides that hold with equality and carry a positive multiplier. */
  readonly binding: readonly string[];
  /** Largest KKT violation of the QP solved (primal in weight units, dual relative to the gradient). */
  readonly kkt: { readonly maxViolation: number };
}

/**
 * Exact minimum-variance portfolio under linear constraints:
 *
 *   min wᵀΣw   s.t.   Σw = 1,   lo ≤ w ≤ hi,   lower ≤ A·w ≤ upper.
 *
 * Σ is scaled to a unit largest variance and ρ·(1ᵀw)² (ρ = 1, a constant on the budget) is added, so the
 * quadratic term is positive definite whenever Σ is on the directions the budget allows; the minimisers
 * are those of the original problem.
 *
 * @throws QuantError E_INFEASIBLE_BOUNDS, E_INFEASIBLE_CONSTRAINTS (naming the conflicting limits),
 *   E_SINGULAR_COVARIANCE (Σ singular on {1ᵀd = 0}), E_SOLVER.
 */
export function minVarianceConstrained(
  cov: Matrix,
  constraints: LinearConstraints,
  options: ConstrainedOptions = {},
): ConstrainedResult {
  const n = checkCovariance(cov);
  validateLinearConstraints(constraints, n);
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const system = buildConstraintSystem(lo, hi, constraints, options.labels);
  const g = scaledCovariance(cov, n);
  for (let k = 0; k < n * n; k++) g[k] = (g[k] as number) + 1;
  const problem: DualQpProblem = {
    n,
    g,
    c: new Float64Array(n),
    normals: system.normals,
    rhs: system.rhs,
    meq: system.meq,
  };
  const result = solveDualQp(problem);
  if (result.status === 'infeasible') throw infeasibleError(system, result.certificate);
  return {
    weights: result.x,
    iterations: result.iterations,
    binding: bindingNames(system, result.multipliers),
    kkt: { maxViolation: dualQpKktViolation(problem, result.x, result.multipliers) },
  };
}

/**
 * Exact maximum-Sharpe portfolio under linear constraints, through the homogenised QP (Cornuéjols &
 * Tütüncü 2007, §8.2): with y = κw, κ = 1ᵀy > 0 and m = μ − r_f,
 *
 *   min yᵀΣy   s.t.   mᵀy = 1,   (n_i − b_i·1)ᵀy ≥ 0 for every constraint n_iᵀw ≥ b_i,   1ᵀy ≥ 0,
 *
 * then w = y / 1ᵀy. Every constraint of w is a cone constraint of y, so the problem is one convex QP;
 * (mᵀy)² is constant on it and β·(mᵀy)² is added to make the quadratic term positive definite.
 *
 * @throws QuantError E_INFEASIBLE_BOUNDS, E_INFEASIBLE_CONSTRAINTS, E_NO_POSITIVE_EXCESS_RETURN (no
 *   feasible portfolio beats r_f), E_UNBOUNDED_SHARPE, E_SINGULAR_COVARIANCE, E_SOLVER, E_INPUT_VALUE.
 */
export function maxSharpeConstrained(
  cov: Matrix,
  mu: Float64Array,
  constraints: LinearConstraints,
  options: ConstrainedOptions & { readonly riskFreeRate?: number } = {},
): ConstrainedResult {
  const n = checkCovariance(cov);
  if (mu.length !== n || !mu.every(Number.isFinite)) {
    throw new QuantError('E_INPUT_VALUE', `μ must hold ${n} finite expected returns, got ${mu.length}`, {
      hint: 'pass one finite expected return per asset of the covariance',
    });
  }
  const lo = options.minWeight ?? 0;
  const hi = options.maxWeight ?? 1;
  assertFeasibleLinearConstraints(constraints, lo, hi, options.labels);
  const box = resolveBounds(n, lo, hi);
  const system = buildConstraintSystem(box.lo, box.hi, constraints, options.labels);
  const rf = options.riskFreeRate ?? 0;
  const m = mu.map((x) => x - rf);
  const problem = homogenised(system, scaledCovariance(cov, n), m);
  const result = solveDualQp(problem);
  if (result.status === 'infeasible') throw noPositiveExcess(rf);
  const y = result.x;
  let kappa = 0;
  for (let i = 0; i < n; i++) kappa += y[i] as number;
  // y_i = κ·lo_i holds its cone row only to rounding: w_i may sit 1e-17 outside its bound.
  const w = snapToBounds(
    y.map((v) => v / kappa),
    box.lo,
    box.hi,
  );
  let variance = 0;
  const sigma = cov.data;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      variance += (w[i] as number) * (sigma[i * n + j] as number) * (w[j] as number);
  if (!(variance > 1e-20 * maxVariance(cov, n))) {
    throw new QuantError(
      'E_UNBOUNDED_SHARPE',
      'a feasible portfolio of zero variance has a positive excess return',
      {
        hint: 'use min_variance, or remove the riskless asset',
      },
    );
  }
  return {
    weights: w,
    iterations: result.iterations,
    // Homogenised row i ≥ 1 is the system's row i.
    binding: bindingNames(system, result.multipliers),
    kkt: { maxViolation: dualQpKktViolation(problem, y, result.multipliers) },
  };
}

/** The homogenised rows: mᵀy = 1; (n_i − b_i·1)ᵀy (=, ≥) 0 for every row but the budget; 1ᵀy ≥ 0. */
function homogenised(system: ConstraintSystem, g: Float64Array, m: Float64Array): DualQpProblem {
  const n = system.n;
  const rows = system.rhs.length;
  // Row 0 is mᵀy = 1; rows 1.. are the system's rows 1.. (the budget row 0 is dropped); last is 1ᵀy ≥ 0.
  const normals = new Float64Array((rows + 1) * n);
  const rhs = new Float64Array(rows + 1);
  normals.set(m, 0);
  rhs[0] = 1;
  for (let i = 1; i < rows; i++) {
    const b = system.rhs[i] as number;
    for (let k = 0; k < n; k++) normals[i * n + k] = (system.normals[i * n + k] as number) - b;
  }
  normals.fill(1, rows * n, (rows + 1) * n);
  let mMax = 0;
  for (const v of m) mMax = Math.max(mMax, Math.abs(v));
  const beta = mMax > 0 ? 1 / (mMax * mMax) : 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      g[i * n + j] = (g[i * n + j] as number) + beta * (m[i] as number) * (m[j] as number);
  }
  return { n, g, c: new Float64Array(n), normals, rhs, meq: system.meq };
}

function scaledCovariance(cov: Matrix, n: number): Float64Array {
  const s = maxVariance(cov, n);
  const inv = s > 0 ? 1 / s : 1;
  return timesScalar(cov.data, inv);
}

function maxVariance(cov: Matrix, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = Math.max(s, cov.data[i * n + i] as number);
  return s;
}

/** Inequality sides with a positive multiplier, as `name min b` / `name max b`; the budget and box too. */
function bindingNames(system: ConstraintSystem, multipliers: Float64Array): string[] {
  const out: string[] = [];
  system.rows.forEach((row, i) => {
    if (i === 0 || row.row < 0) return;
    const y = multipliers[i] as number;
    if (row.side === 'eq' ? y !== 0 : y > 0) out.push(`${row.name} ${row.side}`);
  });
  return out;
}

function noPositiveExcess(rf: number): QuantError {
  return new QuantError(
    'E_NO_POSITIVE_EXCESS_RETURN',
    `no portfolio within the constraints has an expected return above the risk-free rate r_f = ${rf}; the tangency portfolio is undefined`,
    {
      hint: 'loosen the limits on the assets with μ > r_f, lower risk_free_rate, or use another method (min_variance, risk_parity, hrp)',
      details: { risk_free_rate: rf },
    },
  );
}
