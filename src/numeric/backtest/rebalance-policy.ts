/**
 * Rebalancing policies of a walk-forward backtest: when the drifted weights are traded back to the
 * target (a calendar, drift bands), how far (a turnover limit per rebalance), and at what cost (one rate,
 * or a rate per asset).
 */
import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import type { WindowSpan } from './walk-forward-windows.js';

/**
 * When a rebalance may happen: `window` on the first held day of every walk-forward window (when the
 * target is refitted), `{ every: k }` on every k-th held row counted from the first, `monthly` /
 * `quarterly` on the first held day of each calendar month / quarter.
 */
export type RebalanceCalendar = 'window' | 'monthly' | 'quarterly' | { readonly every: number };

export interface RebalancePolicy {
  readonly calendar: RebalanceCalendar;
  /** On a calendar day, trade only when some |w − target| exceeds this (absolute weight). */
  readonly bandAbsolute?: number;
  /** ... or exceeds this fraction of its target weight. With both bands, either one triggers. */
  readonly bandRelative?: number;
  /** Most turnover Σ|Δw| per rebalance: above it, the move toward the target is partial. */
  readonly maxTurnover?: number;
  /** Cost per unit of turnover of each asset (fractions); default: the backtest's single rate. */
  readonly assetCosts?: Float64Array;
}

/** One trade of the holding simulation. */
export interface RebalanceEvent {
  /** Row of the stitched out-of-sample stream. */
  readonly row: number;
  readonly date: string;
  /** `entry`: from cash (the first window); `calendar`: a calendar day without bands; `band`. */
  readonly reason: 'entry' | 'calendar' | 'band';
  readonly turnover: number;
  readonly cost: number;
  /** Whether the turnover limit cut the move short. */
  readonly partial: boolean;
}

export interface PolicyHolding {
  readonly dates: string[];
  readonly returns: Float64Array;
  readonly events: RebalanceEvent[];
  /** Σ turnover and Σ cost of the events inside each window. */
  readonly windows: { turnover: number; cost: number }[];
}

/** Check a policy's numbers; `E_PARAMS` naming the first bad one. */
export function assertRebalancePolicy(policy: RebalancePolicy, assets: number): void {
  const bad = (what: string, value: unknown): never => {
    throw new QuantError('E_PARAMS', `rebalancing: ${what} must be ${String(value)}`);
  };
  const c = policy.calendar;
  if (typeof c === 'object' && !(Number.isInteger(c.every) && c.every >= 1)) bad('every', 'an integer ≥ 1');
  for (const [name, v] of [
    ['band_absolute', policy.bandAbsolute],
    ['band_relative', policy.bandRelative],
  ] as const) {
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) bad(name, 'a finite number ≥ 0');
  }
  if (policy.maxTurnover !== undefined && !(policy.maxTurnover > 0 && Number.isFinite(policy.maxTurnover))) {
    bad('max_turnover', 'a finite number > 0');
  }
  const costs = policy.assetCosts;
  if (costs !== undefined && (costs.length !== assets || !costs.every((x) => x >= 0 && Number.isFinite(x)))) {
    bad('asset costs', `${assets} finite rates ≥ 0`);
  }
}

/** `YYYY-MM` or `YYYY-Qn` of an ISO day, for the monthly / quarterly calendars. */
function period(calendar: 'monthly' | 'quarterly', date: string): string {
  const month = Number(date.slice(5, 7));
  return calendar === 'monthly' ? date.slice(0, 7) : `${date.slice(0, 4)}-Q${Math.ceil(month / 3)}`;
}

function isCalendarDay(
  calendar: RebalanceCalendar,
  row: number,
  date: string,
  previous: string | null,
  windowStart: boolean,
): boolean {
  if (calendar === 'window') return windowStart;
  if (typeof calendar === 'object') return row % calendar.every === 0;
  return previous === null || period(calendar, date) !== period(calendar, previous);
}

/** Whether some weight is outside its band around the target (no band set: always). */
function outsideBands(w: Float64Array, target: Float64Array, policy: RebalancePolicy): boolean {
  const { bandAbsolute: abs, bandRelative: rel } = policy;
  if (abs === undefined && rel === undefined) return true;
  for (let i = 0; i < w.length; i++) {
    const t = target[i] as number;
    const gap = Math.abs(t - (w[i] as number));
    if (abs !== undefined && gap > abs) return true;
    if (rel !== undefined && gap > rel * t) return true;
  }
  return false;
}

/** Move w toward the target (all the way, or by the turnover limit); returns turnover, cost, partial. */
function trade(
  w: Float64Array,
  target: Float64Array,
  policy: RebalancePolicy,
  rate: number,
  fromCash: boolean,
): { turnover: number; cost: number; partial: boolean } {
  let full = 0;
  for (let i = 0; i < w.length; i++)
    full += Math.abs((target[i] as number) - (fromCash ? 0 : (w[i] as number)));
  const limit = policy.maxTurnover;
  // Entry from cash is never partial: the holding model needs the whole value invested.
  const share = !fromCash && limit !== undefined && full > limit ? limit / full : 1;
  let cost = 0;
  for (let i = 0; i < w.length; i++) {
    const from = fromCash ? 0 : (w[i] as number);
    const move = share * ((target[i] as number) - from);
    w[i] = share === 1 ? (target[i] as number) : from + move;
    if (policy.assetCosts !== undefined) cost += (policy.assetCosts[i] as number) * Math.abs(move);
  }
  const turnover = share * full;
  return { turnover, cost: policy.assetCosts === undefined ? rate * turnover : cost, partial: share < 1 };
}

/**
 * Hold the windows' targets under a policy: day by day, the weights drift with the returns
 * (wₜ₊₁,ᵢ ∝ wₜ,ᵢ (1 + sₜ,ᵢ)); on a calendar day whose weights are outside the bands, they are traded
 * toward the current target (the last refitted one), at most `maxTurnover` of turnover, and the cost
 * Σᵢ rateᵢ·|Δwᵢ| is subtracted from that day's return. Entering from cash (the first window)
 * always trades in full.
 *
 * @param synthetic T x n returns the weights hold.
 * @param targets one target per span (Σ = 1, ≥ 0).
 */
export function holdWithPolicy(
  synthetic: Matrix,
  spans: readonly WindowSpan[],
  targets: readonly Float64Array[],
  allDates: readonly string[],
  policy: RebalancePolicy,
  rate: number,
): PolicyHolding {
  const n = synthetic.cols;
  const held = spans.reduce((sum, s) => sum + (s.heldEnd - s.testStart), 0);
  const returns = new Float64Array(held);
  const dates: string[] = [];
  const events: RebalanceEvent[] = [];
  const windows: { turnover: number; cost: number }[] = [];
  const w = new Float64Array(n);
  const next = new Float64Array(n);
  spans.forEach((span, k) => {
    const target = targets[k] as Float64Array;
    const sums = { turnover: 0, cost: 0 };
    for (let t = span.testStart; t < span.heldEnd; t++) {
      const row = dates.length;
      const date = allDates[t] as string;
      const fromCash = t === span.testStart && !span.continues;
      const onCalendar = isCalendarDay(
        policy.calendar,
        row,
        date,
        dates[row - 1] ?? null,
        t === span.testStart,
      );
      let cost = 0;
      if (fromCash || (onCalendar && outsideBands(w, target, policy))) {
        const done = trade(w, target, policy, rate, fromCash);
        cost = done.cost;
        const hasBands = policy.bandAbsolute !== undefined || policy.bandRelative !== undefined;
        const reason = fromCash ? 'entry' : hasBands ? 'band' : 'calendar';
        events.push({ row, date, reason, turnover: done.turnover, cost, partial: done.partial });
        sums.turnover += done.turnover;
        sums.cost += cost;
      }
      let r = 0;
      let value = 0;
      for (let i = 0; i < n; i++) {
        const s = synthetic.data[t * n + i] as number;
        const wi = w[i] as number;
        r += wi * s;
        next[i] = wi * (1 + s);
        value += next[i] as number;
      }
      if (value > 0) for (let i = 0; i < n; i++) w[i] = (next[i] as number) / value;
      returns[row] = r - cost;
      dates.push(date);
    }
    windows.push(sums);
  });
  return { dates, returns, events, windows };
}
