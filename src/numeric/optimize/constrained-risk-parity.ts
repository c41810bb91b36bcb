/**
 * Risk parity (or risk budgeting) under general linear constraints, as a convex problem on the cone of
 * the constraints (after Spinu 2013 and Richard & Roncalli 2019, "Constrained risk budgeting
 * portfolios").
 */
import { dividedBy } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { buildConstraintSystem, type ConstraintSystem } from './_constraint-system.js';
import { solveDualQp } from './_dual-active-set-qp.js';
import { checkCovariance } from './_inputs.js';
import { resolveBounds } from './feasibility.js';
import { projectOntoConstraints, type LinearConstraints } from './linear-constraints.js';
import type { ConstrainedOptions } from './constrained-qp.js';

export interface ConstrainedRiskParityResult {
  readonly weights: Float64Array;
  /** Relative risk contributions w_i(Σw)_i / wᵀΣw (sum 1). */
  readonly riskContributions: Float64Array;
  /** Newton steps (each one QP solve). */
  readonly iterations: number;
  /** Names of the limits that bind (a positive multiplier). */
  readonly binding: readonly string[];
  /** Largest KKT violation of the cone problem (relative to the size of its gradient terms). */
  readonly kkt: { readonly maxViolation: number };
}

/** Newton steps before E_SOLVER. */
const MAX_NEWTON = 200;

/**
 * Weights whose risk contributions equal the budgets b (default equal) as far as the limits allow:
 *
 *   y* = argmin ½yᵀΣy − Σ b_i ln y_i   s.t.  (n_k − β_k·1)ᵀy ≥ 0 (=) for every constraint n_kᵀw ≥ β_k (=)
 *
 * of the budget-free constraint set (box and rows), and w = y* / 1ᵀy*. Each constraint on w becomes a cone
 * constraint on y (w = y/1ᵀy), so normalising keeps w feasible. The problem is strictly convex; at its
 * solution y_i(Σy)_i = b_i + y_i(Cᵀν)_i with ν ≥ 0 the multipliers of the binding limits: without a
 * binding limit the risk contributions equal the budgets exactly (the unconstrained Spinu solution), and
 * they deviate only through the limits that bind. Solved by Newton steps whose direction is the exact
 * solution of the linearly constrained quadratic model (dual active set), with a backtracking line
 * search that keeps y > 0; stops when the Newton decrement reaches the rounding floor.
 *
 * @throws QuantError E_INFEASIBLE_BOUNDS, E_INFEASIBLE_CONSTRAINTS, E_INPUT_VALUE (budgets),
 *   E_SINGULAR_COVARIANCE, E_SOLVER.
 */
export function riskParityConstrained(
  cov: Matrix,
  constraints: LinearConstraints,
  options: ConstrainedOptions & { readonly riskBudget?: ArrayLike<number> } = {},
): ConstrainedRiskParityResult {
  const n = checkCovariance(cov);
  const lo = options.minWeight ?? 0;
  const hi = options.maxWeight ?? 1;
  const start = interiorPoint(constraints, lo, hi, options.labels);
  const box = resolveBounds(n, lo, hi);
  const system = buildConstraintSystem(box.lo, box.hi, constraints, options.labels);
  const b = budgets(n, options.riskBudget);
  let s = 0;
  for (let i = 0; i < n; i++) s = Math.max(s, cov.data[i * n + i] as number);
  const sigma = dividedBy(cov.data, s > 0 ? s : 1);
  const cone = coneRows(system);
  const y = start.map((v) => v / Math.sqrt(quad(sigma, n, start)));
  const { iterations, nu } = newton(sigma, n, b, cone, y);
  let total = 0;
  for (let i = 0; i < n; i++) total += y[i] as number;
  const w = y.map((v) => v / total);
  const sw = matVec(sigma, n, w);
  const variance = quad(sigma, n, w);
  return {
    weights: w,
    riskContributions: w.map((wi, i) => (wi * (sw[i] as number)) / variance),
    iterations,
    binding: system.rows
      .filter((row, i) => i > 0 && row.row >= 0 && (row.side === 'eq' || (nu[i - 1] as number) > 0))
      .map((r) => `${r.name} ${r.side}`),
    kkt: { maxViolation: kktViolation(sigma, n, b, cone, y, nu) },
  };
}

/** The cone rows (n_k − β_k·1)ᵀy ≥ 0 (=) of every system row but the budget: cone row k is system row k + 1. */
interface Cone {
  readonly normals: Float64Array;
  readonly meq: number;
  readonly m: number;
}

function coneRows(system: ConstraintSystem): Cone {
  const n = system.n;
  const m = system.rhs.length - 1;
  const normals = new Float64Array(m * n);
  for (let k = 0; k < m; k++) {
    const beta = system.rhs[k + 1] as number;
    for (let j = 0; j < n; j++) normals[k * n + j] = (system.normals[(k + 1) * n + j] as number) - beta;
  }
  return { normals, meq: system.meq - 1, m };
}

/** Damped Newton on F(y) = ½yᵀΣy − Σ b ln y over the cone; y is updated in place. */
function newton(
  sigma: Float64Array,
  n: number,
  b: Float64Array,
  cone: Cone,
  y: Float64Array,
): { iterations: number; nu: Float64Array } {
  const h = new Float64Array(n * n);
  const lin = new Float64Array(n);
  const rhs = new Float64Array(cone.m);
  for (let it = 1; it <= MAX_NEWTON; it++) {
    const sy = matVec(sigma, n, y);
    h.set(sigma);
    for (let i = 0; i < n; i++) {
      const yi = y[i] as number;
      h[i * n + i] = (h[i * n + i] as number) + (b[i] as number) / (yi * yi);
    }
    // Model min ½zᵀHz + (g − Hy)ᵀz with g = Σy − b/y, so that z = y is the current point.
    const hy = matVec(h, n, y);
    for (let i = 0; i < n; i++)
      lin[i] = (sy[i] as number) - (b[i] as number) / (y[i] as number) - (hy[i] as number);
    const qp = solveDualQp({ n, g: h, c: lin, normals: cone.normals, rhs, meq: cone.meq });
    if (qp.status === 'infeasible')
      throw new QuantError('E_SOLVER', 'risk parity: the Newton model lost feasibility');
    let decrement = 0;
    let size = 0;
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      d[i] = (qp.x[i] as number) - (y[i] as number);
      decrement -= (d[i] as number) * ((sy[i] as number) - (b[i] as number) / (y[i] as number));
      size = Math.max(size, Math.abs(y[i] as number));
    }
    let dmax = 0;
    for (const v of d) dmax = Math.max(dmax, Math.abs(v));
    // Near the solution the model's minimiser is the next iterate to rounding: take it and stop.
    if (decrement <= 1e-20 || dmax <= 1e-15 * size) {
      if (qp.x.every((v) => v > 0)) y.set(qp.x);
      return { iterations: it, nu: qp.multipliers };
    }
    lineSearch(sigma, n, b, y, d, decrement);
  }
  throw new QuantError(
    'E_SOLVER',
    `risk parity under limits did not converge in ${MAX_NEWTON} Newton steps`,
    {
      hint: 'loosen the limits, or use min_variance or hrp',
    },
  );
}

/** y ← y + t·d, t the largest of 1, ½, ¼, … (within 99 % of the way to y_i = 0) with Armijo decrease. */
function lineSearch(
  sigma: Float64Array,
  n: number,
  b: Float64Array,
  y: Float64Array,
  d: Float64Array,
  decrement: number,
): void {
  let t = 1;
  for (let i = 0; i < n; i++) {
    const di = d[i] as number;
    if (di < 0) t = Math.min(t, (0.99 * (y[i] as number)) / -di);
  }
  const f0 = objective(sigma, n, b, y);
  const trial = new Float64Array(n);
  for (let k = 0; k < 60; k++) {
    for (let i = 0; i < n; i++) trial[i] = (y[i] as number) + t * (d[i] as number);
    if (objective(sigma, n, b, trial) <= f0 - 1e-4 * t * decrement || k === 59) break;
    t /= 2;
  }
  y.set(trial);
}

function objective(sigma: Float64Array, n: number, b: Float64Array, y: Float64Array): number {
  let f = 0.5 * quad(sigma, n, y);
  for (let i = 0; i < n; i++) f -= (b[i] as number) * Math.log(y[i] as number);
  return f;
}

/** max |Σy − b/y − Cᵀν| relative to the gradient's terms; sign, slack and complementarity of ν. */
function kktViolation(
  sigma: Float64Array,
  n: number,
  b: Float64Array,
  cone: Cone,
  y: Float64Array,
  nu: Float64Array,
): number {
  const sy = matVec(sigma, n, y);
  const grad = new Float64Array(n);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const barrier = (b[i] as number) / (y[i] as number);
    grad[i] = (sy[i] as number) - barrier;
    scale = Math.max(scale, Math.abs(sy[i] as number), barrier);
  }
  let worst = 0;
  let ySize = 0;
  for (const v of y) ySize = Math.max(ySize, Math.abs(v));
  for (let k = 0; k < cone.m; k++) {
    let slack = 0;
    for (let i = 0; i < n; i++) slack += (cone.normals[k * n + i] as number) * (y[i] as number);
    const v = nu[k] as number;
    worst = Math.max(worst, k < cone.meq ? Math.abs(slack) / ySize : -slack / ySize);
    if (k >= cone.meq) worst = Math.max(worst, -v / scale, Math.abs(v * slack) / (scale * ySize));
    for (let i = 0; i < n; i++) grad[i] = (grad[i] as number) - v * (cone.normals[k * n + i] as number);
  }
  for (const g of grad) worst = Math.max(worst, Math.abs(g) / scale);
  return worst;
}

/**
 * A feasible point with every weight positive: the mean of the projections of the equal-weight
 * portfolio and of each corner e_i onto the feasible set (a weight that is 0 in all of them is forced
 * to 0 by the limits, where the log-barrier has no solution).
 */
function interiorPoint(
  constraints: LinearConstraints,
  lo: number | Float64Array,
  hi: number | Float64Array,
  labels: readonly string[] | undefined,
): Float64Array {
  const n = constraints.n;
  const mean = projectOntoConstraints(new Float64Array(n).fill(1 / n), constraints, lo, hi, labels);
  const corner = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    corner.fill(0);
    corner[i] = 1;
    const p = projectOntoConstraints(corner, constraints, lo, hi, labels);
    for (let k = 0; k < n; k++) mean[k] = (mean[k] as number) + (p[k] as number);
  }
  for (let i = 0; i < n; i++) {
    if (!((mean[i] as number) > 1e-12)) {
      const who = labels?.[i] ?? `asset ${i}`;
      throw new QuantError(
        'E_INFEASIBLE_CONSTRAINTS',
        `risk parity needs every weight positive, but the limits force ${who} to 0`,
        {
          hint: `let ${who} hold some weight, or leave it out`,
          details: { asset_index: i },
        },
      );
    }
  }
  return mean.map((v) => v / (n + 1));
}

function budgets(n: number, budget: ArrayLike<number> | undefined): Float64Array {
  if (budget === undefined) return new Float64Array(n).fill(1 / n);
  if (budget.length !== n) {
    throw new QuantError('E_INPUT_VALUE', `risk budget has ${budget.length} values for ${n} assets`, {
      hint: 'give one positive budget per asset',
    });
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = budget[i] as number;
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new QuantError('E_INPUT_VALUE', `risk budget ${i} is ${v}; budgets are positive and finite`, {
        hint: 'give one positive budget per asset',
      });
    }
    total += v;
  }
  return Float64Array.from({ length: n }, (_, i) => (budget[i] as number) / total);
}

function matVec(a: Float64Array, n: number, x: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (a[i * n + j] as number) * (x[j] as number);
    out[i] = s;
  }
  return out;
}

function quad(a: Float64Array, n: number, x: Float64Array): number {
  const ax = matVec(a, n, x);
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i] as number) * (ax[i] as number);
  return s;
}
