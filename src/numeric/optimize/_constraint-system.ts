/**
 * The feasible set of a constrained portfolio — budget Σw = 1, box lo ≤ w ≤ hi, rows lower ≤ A·w ≤ upper
 * — as the `nᵀx ≥ b` rows of the dual active-set solver, each remembering which user constraint and
 * which side it is, so that a Farkas certificate reads back as arithmetic on named limits.
 */
import { QuantError } from '../../errors.js';
import type { LinearConstraints } from './linear-constraints.js';

/** Which side of which constraint a system row is. */
export interface SystemRow {
  readonly name: string;
  /** `min`: a·w ≥ bound; `max`: a·w ≤ bound; `eq`: a·w = bound. */
  readonly side: 'min' | 'max' | 'eq';
  readonly bound: number;
  /** The row of the LinearConstraints, −1 for the budget and the box. */
  readonly row: number;
  /** What the row and `bound` were divided by when built (`LinearConstraints.rowScale`); default 1. */
  readonly scale?: number;
}

export interface ConstraintSystem {
  readonly n: number;
  readonly normals: Float64Array;
  readonly rhs: Float64Array;
  /** Leading equality rows. */
  readonly meq: number;
  readonly rows: readonly SystemRow[];
}

/** Name of the budget row. */
const BUDGET = 'the budget Σw';

/**
 * The system for budget + box + `c`; `labels[i]` names asset i (default `asset i`). Box upper bounds of 1
 * are left out (implied by the budget and lo ≥ 0).
 */
export function buildConstraintSystem(
  lo: Float64Array,
  hi: Float64Array,
  c: LinearConstraints,
  labels?: readonly string[],
): ConstraintSystem {
  const n = lo.length;
  const normals: number[] = [];
  const rhs: number[] = [];
  const rows: SystemRow[] = [];
  const push = (coefficients: ArrayLike<number>, scale: number, b: number, row: SystemRow): void => {
    for (let j = 0; j < n; j++) normals.push(scale * (coefficients[j] as number));
    rhs.push(scale * b);
    rows.push(row);
  };
  push(new Float64Array(n).fill(1), 1, 1, { name: BUDGET, side: 'eq', bound: 1, row: -1 });
  for (let k = 0; k < c.rows; k++) {
    const l = c.lower[k] as number;
    if (l === c.upper[k])
      push(c.a.subarray(k * n, (k + 1) * n), 1, l, {
        name: c.names[k] as string,
        side: 'eq',
        bound: l,
        row: k,
        ...rowScaleOf(c, k),
      });
  }
  const meq = rows.length;
  for (let k = 0; k < c.rows; k++) {
    const a = c.a.subarray(k * n, (k + 1) * n);
    const l = c.lower[k] as number;
    const u = c.upper[k] as number;
    if (l === u) continue;
    const name = c.names[k] as string;
    if (l > -Infinity) push(a, 1, l, { name, side: 'min', bound: l, row: k, ...rowScaleOf(c, k) });
    if (u < Infinity) push(a, -1, u, { name, side: 'max', bound: u, row: k, ...rowScaleOf(c, k) });
  }
  const unit = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    unit.fill(0);
    unit[i] = 1;
    const label = labels?.[i] ?? `asset ${i}`;
    push(unit, 1, lo[i] as number, {
      name: `weight of ${label}`,
      side: 'min',
      bound: lo[i] as number,
      row: -1,
    });
    if ((hi[i] as number) < 1) {
      push(unit, -1, hi[i] as number, {
        name: `weight of ${label}`,
        side: 'max',
        bound: hi[i] as number,
        row: -1,
      });
    }
  }
  return { n, normals: Float64Array.from(normals), rhs: Float64Array.from(rhs), meq, rows };
}

/** `{ scale }` of row k when it was rescaled, else nothing. */
function rowScaleOf(c: LinearConstraints, k: number): { scale?: number } {
  const scale = c.rowScale?.[k];
  return scale === undefined || scale === 1 ? {} : { scale };
}

/**
 * E_INFEASIBLE_CONSTRAINTS from a Farkas certificate y (Σ y_i n_i = 0, Σ y_i b_i > 0): the constraints
 * it combines, written as `Σ (min sides) = X > Y = Σ (max sides)`.
 */
export function infeasibleError(system: ConstraintSystem, certificate: Float64Array): QuantError {
  // A rescaled row (bound b/s, normal a/s) reads as the row given: multiplier y/s on the bound b.
  const given = system.rows.map((row, i) => {
    const s = row.scale ?? 1;
    const y = (certificate[i] as number) / s;
    return s === 1 || !Number.isFinite(y)
      ? { y: certificate[i] as number, bound: row.bound }
      : { y, bound: row.bound * s };
  });
  // Multipliers relative to the largest on a row as given (a rescaled row may need 1e12 × its bound).
  let scale = 0;
  given.forEach(({ y }, i) => {
    if (system.rows[i]?.scale === undefined) scale = Math.max(scale, Math.abs(y));
  });
  if (scale === 0) for (const { y } of given) scale = Math.max(scale, Math.abs(y));
  let largest = 0;
  for (const y of certificate) largest = Math.max(largest, Math.abs(y));
  const low: string[] = [];
  const high: string[] = [];
  const names = new Map<string, 'min' | 'max'>();
  let lhs = 0;
  let rhs = 0;
  let longOnly = false;
  system.rows.forEach((scaled, i) => {
    const { y: yi, bound } = given[i] as { y: number; bound: number };
    const row = { ...scaled, bound };
    const y = yi / scale;
    // Which rows take part is read on the rows as solved (as relative multipliers, 1e-10).
    if (!(Math.abs((certificate[i] as number) / largest) > 1e-10)) return;
    const minSide = row.side === 'min' || (row.side === 'eq' && y > 0);
    const weight = Math.abs(y);
    names.set(row.name, minSide ? 'min' : 'max');
    if (row.bound === 0 && row.row === -1 && row.side === 'min') {
      longOnly = true;
      return;
    }
    const term = `${weight > 1 - 1e-9 && weight < 1 + 1e-9 ? '' : `${fmt(weight)} × `}${describe(row, minSide)}`;
    if (minSide) {
      low.push(term);
      lhs += weight * row.bound;
    } else {
      high.push(term);
      rhs += weight * row.bound;
    }
  });
  const left =
    low.length === 0
      ? '0'
      : `${low.join(' + ')}${low.length > 1 || low[0]?.includes('×') ? ` = ${fmt(lhs)}` : ''}`;
  const right =
    high.length === 0
      ? '0'
      : `${high.length > 1 || high[0]?.includes('×') ? `${fmt(rhs)} = ` : ''}${high.join(' + ')}`;
  const constraints = [...names.keys()];
  return new QuantError(
    'E_INFEASIBLE_CONSTRAINTS',
    `infeasible constraints: ${left} > ${right}${longOnly ? ' (weights are long-only)' : ''}; no weights satisfy ${constraints.map((c) => `"${c}"`).join(', ')} together`,
    {
      hint: 'loosen one of these limits',
      // `sides[k]`: which side of `constraints[k]` the conflict uses, so a caller can point at its source.
      details: { constraints, sides: [...names.values()], lower_sum: lhs, upper_sum: rhs },
    },
  );
}

function describe(row: SystemRow, minSide: boolean): string {
  if (row.name === BUDGET) return `1 (${BUDGET})`;
  if (row.side === 'eq') return `${row.name} = ${fmt(row.bound)}`;
  return `${row.name} ${minSide ? 'min' : 'max'} ${fmt(row.bound)}`;
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(10)));
}
