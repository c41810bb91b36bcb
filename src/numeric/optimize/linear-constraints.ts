/**
 * General linear constraints on portfolio weights, `lower ≤ A·w ≤ upper`, shared by every optimizer
 * that accepts them (the quadratic methods, the tail-risk LPs, the projection of heuristic weights).
 * The budget Σw = 1 and the per-asset box lo ≤ w ≤ hi are not rows here: every optimizer has them and
 * states them separately.
 */
import { QuantError } from '../../errors.js';
import { buildConstraintSystem, infeasibleError } from './_constraint-system.js';
import { solveDualQp } from './_dual-active-set-qp.js';
import { resolveBounds, type WeightBound } from './feasibility.js';

/** `lower ≤ A·w ≤ upper`, one named row per constraint. */
export interface LinearConstraints {
  /** Number of assets (columns of A). */
  readonly n: number;
  /** Number of constraints (rows of A). */
  readonly rows: number;
  /** rows × n, row-major. */
  readonly a: Float64Array;
  /** Per row; −Infinity when the row has no lower side. */
  readonly lower: Float64Array;
  /** Per row; +Infinity when the row has no upper side. */
  readonly upper: Float64Array;
  /** One per row, as a user reads it (`group crypto ≤ 0.30`, `cap NASDAQ:AAPL ≤ 0.25`); unique. */
  readonly names: readonly string[];
  /**
   * Per row, the power of two that row k of A and its bounds were divided by when built (absent: 1
   * for every row), so that messages state the bounds as given; see {@link createLinearConstraints}.
   */
  readonly rowScale?: Float64Array;
}

/** One constraint as a caller writes it: `lower ≤ Σ_j coefficients[j]·w_j ≤ upper`. */
export interface LinearConstraintRow {
  readonly name: string;
  /** n coefficients, one per asset. */
  readonly coefficients: ArrayLike<number>;
  /** Default −Infinity (no lower side). */
  readonly lower?: number;
  /** Default +Infinity (no upper side). */
  readonly upper?: number;
}

/** No constraint on n assets. */
export function emptyLinearConstraints(n: number): LinearConstraints {
  return {
    n,
    rows: 0,
    a: new Float64Array(0),
    lower: new Float64Array(0),
    upper: new Float64Array(0),
    names: [],
  };
}

/**
 * Build and validate constraints on n assets from rows (see {@link validateLinearConstraints}).
 *
 * A row whose largest |coefficient| lies outside [2⁻⁴, 2⁴) is multiplied, with its bounds, by the power
 * of two that brings that coefficient into [1, 2): the same constraint, exactly (a power of two changes
 * no digit), on the scale the solvers' tolerances are written for. Rows on an ordinary scale (group
 * limits and caps with coefficients 1) are left as they are. A bound that overflows to ±Infinity when
 * scaled is no bound (no weights in [0, 1] could reach it). A row whose coefficients are all 0 is 0 at
 * every w: when its bounds allow 0 it constrains nothing and is left out; when they do not, no weights
 * satisfy it.
 *
 * @throws QuantError E_INPUT_VALUE (wrong length, non-finite coefficient, NaN bound, duplicate or empty
 *   name), E_INFEASIBLE_CONSTRAINTS (a row with lower > upper, a row of zeros whose bounds exclude 0).
 */
export function createLinearConstraints(n: number, rows: readonly LinearConstraintRow[]): LinearConstraints {
  const a = new Float64Array(rows.length * n);
  const lower = new Float64Array(rows.length);
  const upper = new Float64Array(rows.length);
  rows.forEach((row, k) => {
    if (row.coefficients.length !== n) {
      throw badInput(
        `constraint "${row.name}" has ${row.coefficients.length} coefficients for ${n} assets`,
        'give one coefficient per asset',
        k,
      );
    }
    for (let j = 0; j < n; j++) a[k * n + j] = row.coefficients[j] as number;
    lower[k] = row.lower ?? -Infinity;
    upper[k] = row.upper ?? Infinity;
  });
  const constraints = { n, rows: rows.length, a, lower, upper, names: rows.map((r) => r.name) };
  validateLinearConstraints(constraints, n);
  return normaliseRows(constraints);
}

/** Binary exponents of the largest |coefficient| of a row left unscaled: it lies in [2⁻⁴, 2⁴). */
const SCALE_FLOOR_EXPONENT = -4;
const SCALE_CEILING_EXPONENT = 3;

/** `c` (validated) with its rows of zeros left out (or refused) and its rows of extreme scale rescaled. */
function normaliseRows(c: LinearConstraints): LinearConstraints {
  const n = c.n;
  const keep: number[] = [];
  const exponents: number[] = [];
  const largests: number[] = [];
  for (let k = 0; k < c.rows; k++) {
    let largest = 0;
    for (let j = 0; j < n; j++) largest = Math.max(largest, Math.abs(c.a[k * n + j] as number));
    if (largest === 0) {
      const lo = c.lower[k] as number;
      const hi = c.upper[k] as number;
      if (lo > 0 || hi < 0) {
        const name = c.names[k] as string;
        throw new QuantError(
          'E_INFEASIBLE_CONSTRAINTS',
          `infeasible constraints: "${name}" has no nonzero coefficient, so its value is 0 at any weights, and it needs ${lo > 0 ? `at least ${lo}` : `at most ${hi}`}`,
          {
            hint: 'give it the coefficients of the assets it limits, or drop it',
            details: { constraints: [name], sides: [lo > 0 ? 'min' : 'max'] },
          },
        );
      }
      continue;
    }
    keep.push(k);
    largests.push(largest);
    const e = binaryExponent(largest);
    exponents.push(e >= SCALE_FLOOR_EXPONENT && e <= SCALE_CEILING_EXPONENT ? 0 : -e);
  }
  if (keep.length === c.rows && exponents.every((e) => e === 0)) return c;
  const rows = keep.length;
  const a = new Float64Array(rows * n);
  const lower = new Float64Array(rows);
  const upper = new Float64Array(rows);
  const rowScale = new Float64Array(rows);
  keep.forEach((k, r) => {
    const e = exponents[r] as number;
    // 2^e in two factors: 2^e alone overflows beyond e = 1023 (a row of subnormal coefficients).
    const half = Math.trunc(e / 2);
    const f1 = 2 ** half;
    const f2 = 2 ** (e - half);
    for (let j = 0; j < n; j++) a[r * n + j] = (c.a[k * n + j] as number) * f1 * f2;
    lower[r] = (c.lower[k] as number) * f1 * f2;
    upper[r] = (c.upper[k] as number) * f1 * f2;
    // Scaled, |A·w| < 2 for weights in [0, 1] summing to 1: a finite bound that overflows past the
    // range of doubles is no bound on its own side (upper → +Infinity, lower → −Infinity) and out of
    // reach on the other.
    if (lower[r] === Infinity || upper[r] === -Infinity) {
      const name = c.names[k] as string;
      const min = lower[r] === Infinity;
      throw new QuantError(
        'E_INFEASIBLE_CONSTRAINTS',
        `infeasible constraints: "${name}" needs ${min ? `at least ${c.lower[k]}` : `at most ${c.upper[k]}`}, beyond the reach of its coefficients (the largest in size ${largests[r]}) with weights summing to 1`,
        {
          hint: 'check the scale of its coefficients and of its bound',
          details: { constraints: [name], sides: [min ? 'min' : 'max'] },
        },
      );
    }
    rowScale[r] = 2 ** -half * 2 ** -(e - half);
  });
  const names = keep.map((k) => c.names[k] as string);
  if (exponents.every((e) => e === 0)) return { n, rows, a, lower, upper, names };
  return { n, rows, a, lower, upper, names, rowScale };
}

/** e with 2^e ≤ x < 2^(e+1), for a finite x > 0 (subnormals included). */
function binaryExponent(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (2 ** e > x) e--;
  else if (2 ** (e + 1) <= x) e++;
  return e;
}

/**
 * Check the shape and the values of `c` for n assets: A is rows × n and finite, bounds are not NaN
 * (±Infinity allowed), lower ≤ upper, names non-empty and unique.
 *
 * @throws QuantError E_INPUT_VALUE for a malformed constraint, E_INFEASIBLE_CONSTRAINTS for lower > upper.
 */
export function validateLinearConstraints(c: LinearConstraints, n: number): void {
  if (c.n !== n)
    throw badInput(
      `the constraints are on ${c.n} assets, the problem has ${n}`,
      'give one coefficient per asset',
    );
  if (
    c.a.length !== c.rows * n ||
    c.lower.length !== c.rows ||
    c.upper.length !== c.rows ||
    c.names.length !== c.rows ||
    (c.rowScale !== undefined && c.rowScale.length !== c.rows)
  ) {
    throw badInput(
      `the constraints have ${c.rows} rows but ${c.a.length} coefficients, ${c.lower.length} lower and ${c.upper.length} upper bounds and ${c.names.length} names`,
      'build them with createLinearConstraints',
    );
  }
  const seen = new Set<string>();
  for (let k = 0; k < c.rows; k++) {
    const name = c.names[k] as string;
    if (name.trim() === '') throw badInput(`constraint ${k} has an empty name`, 'name every constraint', k);
    if (seen.has(name))
      throw badInput(`two constraints are named "${name}"`, 'give every constraint its own name', k);
    seen.add(name);
    for (let j = 0; j < n; j++) {
      const v = c.a[k * n + j] as number;
      if (!Number.isFinite(v)) {
        throw badInput(
          `constraint "${name}" has coefficient ${v} for asset ${j}`,
          'use finite coefficients',
          k,
        );
      }
    }
    const lo = c.lower[k] as number;
    const hi = c.upper[k] as number;
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo === Infinity || hi === -Infinity) {
      throw badInput(
        `constraint "${name}" has bounds [${lo}, ${hi}]`,
        'use numbers, or ±Infinity for no bound',
        k,
      );
    }
    if (lo > hi) {
      throw new QuantError(
        'E_INFEASIBLE_CONSTRAINTS',
        `infeasible constraints: "${name}" needs at least ${lo} and at most ${hi}`,
        { hint: 'make its lower bound at most its upper bound', details: { constraints: [name] } },
      );
    }
  }
}

/** The value of row k of A at w. */
export function rowValue(c: LinearConstraints, k: number, w: ArrayLike<number>): number {
  let s = 0;
  const off = k * c.n;
  for (let j = 0; j < c.n; j++) s += (c.a[off + j] as number) * (w[j] as number);
  return s;
}

/**
 * Throw unless some weights satisfy Σw = 1, lo ≤ w ≤ hi and `c` together. The check is exact (a dual
 * active-set solve of the projection of the equal-weight portfolio onto the set); when it fails, the
 * error names the constraints that conflict and their arithmetic, e.g. `group rates min 0.2 + group
 * crypto min 0.9 = 1.1 > 1 (the budget Σw)`. `labels[i]` names asset i in that message.
 *
 * @throws QuantError E_INFEASIBLE_BOUNDS (the box alone), E_INFEASIBLE_CONSTRAINTS, E_INPUT_VALUE.
 */
export function assertFeasibleLinearConstraints(
  c: LinearConstraints,
  lo: WeightBound,
  hi: WeightBound,
  labels?: readonly string[],
): void {
  projectOntoConstraints(new Float64Array(c.n).fill(1 / c.n), c, lo, hi, labels);
}

/**
 * The feasible weights nearest to `target` in the least-squares sense:
 *
 *   min ½‖w − target‖²   s.t.   Σw = 1,  lo ≤ w ≤ hi,  lower ≤ A·w ≤ upper,
 *
 * solved exactly (Goldfarb–Idnani dual active set). Throws as {@link assertFeasibleLinearConstraints}.
 */
export function projectOntoConstraints(
  target: Float64Array,
  c: LinearConstraints,
  lo: WeightBound,
  hi: WeightBound,
  labels?: readonly string[],
): Float64Array {
  const n = c.n;
  validateLinearConstraints(c, n);
  const box = resolveBounds(n, lo, hi);
  const system = buildConstraintSystem(box.lo, box.hi, c, labels);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) g[i * n + i] = 1;
  const linear = new Float64Array(n);
  for (let i = 0; i < n; i++) linear[i] = -(target[i] as number);
  const result = solveDualQp({ n, g, c: linear, normals: system.normals, rhs: system.rhs, meq: system.meq });
  if (result.status === 'infeasible') throw infeasibleError(system, result.certificate);
  return result.x;
}

/** A weight, Σw or a row this far outside its limit after a solve is a failure of the solver, not rounding. */
const SETTLE_TOLERANCE = 1e-9;

/**
 * A solver's weights under limits, checked and without negative rounding. The dual active set holds a
 * binding bound to rounding only: where the bound is 0 a weight may come out as −2e-17, which callers
 * that need w ≥ 0 (the walk-forward, a previous run's weights read as a turnover reference) reject. Such
 * a weight is set to 0; every other weight is returned as it is, bit for bit.
 *
 * @throws QuantError E_SOLVER when a weight, Σw or a row of `c` misses its limit by more than 1e-9:
 *   weights that break the limits are never returned.
 */
export function settleWeights(
  w: Float64Array,
  c: LinearConstraints,
  lo: WeightBound,
  hi: WeightBound,
  labels?: readonly string[],
): Float64Array {
  const n = w.length;
  const box = resolveBounds(n, lo, hi);
  const misses: string[] = [];
  const check = (what: string, value: number, min: number, max: number): void => {
    if (!(value >= min - SETTLE_TOLERANCE && value <= max + SETTLE_TOLERANCE))
      misses.push(`${what} is ${value}, outside [${min}, ${max}]`);
  };
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i] as number;
    check(`the weight of ${labels?.[i] ?? `asset ${i}`}`, v, box.lo[i] as number, box.hi[i] as number);
    sum += v;
  }
  check('Σw', sum, 1, 1);
  for (let k = 0; k < c.rows; k++)
    check(c.names[k] as string, rowValue(c, k, w), c.lower[k] as number, c.upper[k] as number);
  if (misses.length > 0) {
    throw new QuantError(
      'E_SOLVER',
      `the optimizer's weights miss the limits by more than ${SETTLE_TOLERANCE}: ${misses.join('; ')}`,
      { hint: 'loosen the limits, or use another method', details: { misses } },
    );
  }
  return w.some((v) => v < 0) ? w.map((v) => (v < 0 ? 0 : v)) : w;
}

function badInput(message: string, hint: string, row?: number): QuantError {
  return new QuantError('E_INPUT_VALUE', `invalid linear constraint: ${message}`, {
    hint,
    ...(row === undefined ? {} : { details: { row } }),
  });
}
