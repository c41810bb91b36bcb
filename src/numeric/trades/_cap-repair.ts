/**
 * Exposure caps on the rounded positions. A cap on one symbol narrows that symbol's lot choices before
 * the rounding ({@link capLotRange}), so the rounding is exact under it; a cap on a group of symbols
 * (an exposure prefix) couples positions and is restored after the rounding by {@link repairGroupCaps}.
 */
import { lotCandidates, lotCost, nextLots, type LotCandidates, type LotItem } from './_lot-candidates.js';

/** A final weight beyond its cap by more than this breaks it (the optimizer's tolerance). */
export const CAP_TOLERANCE = 1e-9;

/** Final weight of an item after k lots. */
export function weightOf(item: LotItem, k: number, nav: number): number {
  return ((item.held + k * item.lotSize) * item.price) / nav;
}

/**
 * The lots k a symbol's cap allows, [low, high]: those whose final weight stays within ±cap (1e-9 slack).
 * A holding already beyond the cap (`beyond`) may only move toward it — sells for a long beyond +cap,
 * buys for a short beyond −cap —: to within the cap when an allowed order (from the holding toward the
 * target, at most a lot beyond, not below the minimum ticket) gets there, else to the allowed order that
 * ends closest to the cap (ties: the smaller order), which may be no order at all.
 */
export function capLotRange(
  item: LotItem,
  cap: number,
  nav: number,
): { readonly low: number; readonly high: number; readonly beyond: boolean } {
  const within = (k: number): boolean => Math.abs(weightOf(item, k, nav)) <= cap + CAP_TOLERANCE;
  const unit = (item.lotSize * item.price) / nav;
  if (within(0)) {
    let high = Math.max(0, Math.floor((cap - weightOf(item, 0, nav)) / unit));
    while (high > 0 && !within(high)) high -= 1;
    while (within(high + 1)) high += 1;
    let low = Math.min(0, Math.ceil((-cap - weightOf(item, 0, nav)) / unit));
    while (low < 0 && !within(low)) low += 1;
    while (within(low - 1)) low -= 1;
    return { low, high, beyond: false };
  }
  const long = weightOf(item, 0, nav) > 0;
  // The k within the cap, if any: an interval on the side of 0 toward the cap.
  let high = Math.floor((cap - weightOf(item, 0, nav)) / unit);
  let low = Math.ceil((-cap - weightOf(item, 0, nav)) / unit);
  while (within(high + 1)) high += 1;
  while (high >= low && !within(high)) high -= 1;
  while (within(low - 1)) low -= 1;
  while (low <= high && !within(low)) low += 1;
  const toward = lotCandidates(
    item,
    nav,
    long ? { low: Number.NEGATIVE_INFINITY, high: 0 } : { low: 0, high: Number.POSITIVE_INFINITY },
  );
  // The allowed orders toward the cap: no order, and the spans of orders of at least the minimum ticket.
  const spans = [
    [toward.lowest, Math.min(toward.highest, -toward.minLots)],
    [0, 0],
    [Math.max(toward.lowest, toward.minLots), toward.highest],
  ].filter(([a, b]) => (a as number) <= (b as number)) as [number, number][];
  const excess = (k: number): number => Math.max(0, Math.abs(weightOf(item, k, nav)) - cap);
  let closest = 0;
  for (const [a, b] of spans) {
    for (const k of [a, b, low, high]) {
      const at = Math.min(b, Math.max(a, k));
      const nearer = excess(at) < excess(closest);
      if (nearer || (excess(at) === excess(closest) && Math.abs(at) < Math.abs(closest))) closest = at;
    }
  }
  if (low <= high && within(closest)) return { low, high, beyond: true };
  return { low: closest, high: closest, beyond: true };
}

/** A cap on the summed net weight of several items. */
export interface GroupCap {
  /** Where the cap is set, for messages (`exposure_limits.prefixes.NYSE:`). */
  readonly key: string;
  readonly members: readonly number[];
  readonly cap: number;
}

/** One lot move made to bring a group back within its cap. */
export interface CapMove {
  readonly index: number;
  readonly from: number;
  readonly to: number;
  readonly key: string;
}

/** A group cap still broken after the repair, and why no move was left. */
export interface BrokenCap {
  readonly key: string;
  readonly reason: string;
}

/** The next choice of k toward more lots (buying back, spending cash), or undefined past the domain. */
function upLots(c: LotCandidates, k: number): number | undefined {
  let next = k + 1;
  if (next < 0 && next > -c.minLots) next = 0;
  else if (next > 0 && next < c.minLots) next = c.minLots;
  return next > c.highest ? undefined : next;
}

/**
 * Group caps broken by the rounding, restored one lot step at a time: while a group is beyond its cap
 * (the first in the given order), among its members' one-step moves toward its cap — within each
 * member's own range (from the holding toward the target, at most a lot beyond; minimum ticket
 * respected), keeping cash ≥ 0 and breaking no other cap further — the one with the least increase of
 * the tracking cost per unit of weight moved is made (ties: the earlier item). A group with no such
 * move left stays broken, with the reason. Deterministic; not claimed optimal. The cash a move frees is
 * spent by the rounding solved again afterwards (`solveAgain` in lot-rounding.ts), not here.
 */
export function repairGroupCaps(
  items: readonly LotItem[],
  candidates: readonly LotCandidates[],
  start: readonly number[],
  budget: number,
  nav: number,
  groups: readonly GroupCap[],
): { lots: number[]; moves: CapMove[]; broken: BrokenCap[] } {
  const lots = [...start];
  const moves: CapMove[] = [];
  const broken: BrokenCap[] = [];
  const given = new Set<string>();
  const sum = (g: GroupCap, at: readonly number[]): number =>
    g.members.reduce((s, i) => s + weightOf(items[i] as LotItem, at[i] as number, nav), 0);
  const spent = (at: readonly number[]): number =>
    at.reduce((s, k, i) => s + (candidates[i] as LotCandidates).lotCash * k, 0);
  for (let step = 0; step < 100_000; step++) {
    const g = groups.find((x) => !given.has(x.key) && Math.abs(sum(x, lots)) > x.cap + CAP_TOLERANCE);
    if (g === undefined) break;
    const before = sum(g, lots);
    const why = new Set<string>();
    let pick: { index: number; to: number; rate: number } | undefined;
    for (const i of g.members) {
      const c = candidates[i] as LotCandidates;
      const k = lots[i] as number;
      const to = before > 0 ? nextLots(c, k) : upLots(c, k);
      if (to === undefined) {
        why.add(
          'no order toward the cap is allowed (orders go from the holding toward the target, at most a lot beyond it, and not below the minimum ticket)',
        );
        continue;
      }
      const trial = [...lots];
      trial[i] = to;
      if (!(Math.abs(sum(g, trial)) < Math.abs(before))) continue;
      if (budget - spent(trial) < 0) {
        why.add('buying back would need more cash than the orders leave');
        continue;
      }
      const other = groups.find(
        (x) =>
          x !== g &&
          x.members.includes(i) &&
          Math.abs(sum(x, trial)) > Math.max(x.cap + CAP_TOLERANCE, Math.abs(sum(x, lots))),
      );
      if (other !== undefined) {
        why.add(`a move would break ${other.key}`);
        continue;
      }
      const moved = Math.abs(weightOf(items[i] as LotItem, to, nav) - weightOf(items[i] as LotItem, k, nav));
      const rate = (lotCost(c, to) - lotCost(c, k)) / moved;
      if (pick === undefined || rate < pick.rate) pick = { index: i, to, rate };
    }
    if (pick === undefined) {
      given.add(g.key);
      broken.push({ key: g.key, reason: [...why].join('; ') || 'no lot move brings it closer' });
      continue;
    }
    moves.push({ index: pick.index, from: lots[pick.index] as number, to: pick.to, key: g.key });
    lots[pick.index] = pick.to;
  }
  return { lots, moves, broken };
}
