/**
 * Rounding target weights to orders in whole lots: the integer program
 *
 *   minimise Σᵢ (wᵢ(kᵢ) − targetᵢ)²   with wᵢ(k) = (heldᵢ + k·lotᵢ)·priceᵢ / NAV
 *   subject to cash = NAV − Σᵢ (heldᵢ + kᵢ·lotᵢ)·priceᵢ ≥ 0,
 *              kᵢ integer, moving from held toward the target (at most one lot beyond it),
 *              kᵢ = 0 or |kᵢ|·lotᵢ·priceᵢ ≥ minimum ticketᵢ,
 *
 * solved exactly by depth-first branch-and-bound on small problems, greedily on large ones (recorded).
 * The bound of a node is the Lagrangian dual of the continuous relaxation of the positions left, which
 * is a valid lower bound at every multiplier (weak duality), so pruning never loses the optimum.
 */
import { QuantError, isQuantError } from '../../errors.js';
import { lotCandidates, lotCost, nextLots, type LotCandidates, type LotItem } from './_lot-candidates.js';
import {
  CAP_TOLERANCE,
  capLotRange,
  repairGroupCaps,
  weightOf,
  type BrokenCap,
  type CapMove,
  type GroupCap,
} from './_cap-repair.js';

export { type LotItem } from './_lot-candidates.js';
export { type BrokenCap, type CapMove, type GroupCap } from './_cap-repair.js';

/** Above this many positions with a choice, the greedy rounding is used. */
const EXACT_MAX_POSITIONS = 40;
/** Branch-and-bound stops after this many nodes and keeps the best solution found (not proven optimal). */
const EXACT_MAX_NODES = 100_000;

/**
 * `nearest_lot`: every position's own nearest allowed rounding fits the cash, which is then optimal
 * without a search; `branch_and_bound`: the exact search; `greedy`: the problem was above the exact limit.
 */
export type LotRoundingMethod = 'nearest_lot' | 'branch_and_bound' | 'greedy';

export interface LotRoundingOptions {
  /** Portfolio value the weights refer to, > 0. */
  readonly nav: number;
  /** Default {@link EXACT_MAX_POSITIONS}. */
  readonly maxExactPositions?: number;
  /** Default {@link EXACT_MAX_NODES}. */
  readonly maxNodes?: number;
  /**
   * Exposure caps on the final weights: per item, the cap on its |net weight| (undefined: none), and caps
   * on the summed net weight of groups of items. See {@link roundToLots}.
   */
  /**
   * Whether the rounding is solved again after a cap repair to spend the cash the repair freed (default
   * true; false keeps the repair's lots, as a baseline to compare with).
   */
  readonly respend?: boolean;
  readonly caps?: {
    readonly symbols: readonly ({ readonly key: string; readonly cap: number } | undefined)[];
    readonly groups: readonly GroupCap[];
  };
}

export interface LotRoundingResult {
  /** Lots traded per item (signed: + buy, − sell), in input order. */
  readonly lots: readonly number[];
  /**
   * Each item's own nearest allowed rounding, before the cash binds (the minimum ticket respected): an
   * item trading fewer lots than this was trimmed to fit the cash.
   */
  readonly nearest: readonly number[];
  readonly method: LotRoundingMethod;
  /** Whether the solution is proven optimal. */
  readonly optimal: boolean;
  /** Why the greedy rounding was used, or why optimality is not proven; null otherwise. */
  readonly reason: string | null;
  /** Branch-and-bound nodes visited (0 when not run). */
  readonly nodes: number;
  /** Σ (final weight − target)². */
  readonly objective: number;
  /** Cash left: NAV − Σ final quantity · price. */
  readonly cash: number;
  /** Each item's own nearest allowed rounding without its exposure cap (= `nearest` when none narrows it). */
  readonly uncapped: readonly number[];
  /**
   * Per item, whether what is held is already beyond its symbol cap: its orders then only move it toward
   * the cap (to within it when an allowed order gets there, else as close as one gets).
   */
  readonly heldBeyond: readonly boolean[];
  /**
   * Lots per item after the cap repair's moves, before the rounding is solved again to spend the cash they
   * freed (= `lots` when there was no repair or the second rounding was not kept).
   */
  readonly repaired: readonly number[];
  /** Lot moves made after the rounding to bring a cap back (in order). */
  readonly capMoves: readonly CapMove[];
  /** Caps still broken after those moves, with why no move was left. */
  readonly brokenCaps: readonly BrokenCap[];
}

/** Cash spent by the trades, summed in item order (the order every caller uses, for identical floats). */
function spentBy(candidates: readonly LotCandidates[], lots: readonly number[]): number {
  let spent = 0;
  for (let i = 0; i < candidates.length; i++) {
    spent += (candidates[i] as LotCandidates).lotCash * (lots[i] as number);
  }
  return spent;
}

function objectiveOf(candidates: readonly LotCandidates[], lots: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < candidates.length; i++)
    sum += lotCost(candidates[i] as LotCandidates, lots[i] as number);
  return sum;
}

/** Greedy: from every position's cheapest choice, step down the one freeing cash at the least cost. */
function greedyLots(candidates: readonly LotCandidates[], budget: number): number[] {
  const lots = candidates.map((c) => c.best);
  let spent = spentBy(candidates, lots);
  while (spent > budget) {
    let pick = -1;
    let pickRate = Number.POSITIVE_INFINITY;
    let pickNext = 0;
    candidates.forEach((c, i) => {
      const k = lots[i] as number;
      const next = nextLots(c, k);
      if (next === undefined) return;
      const rate = (lotCost(c, next) - lotCost(c, k)) / (c.lotCash * (k - next));
      if (rate < pickRate) {
        pick = i;
        pickRate = rate;
        pickNext = next;
      }
    });
    if (pick < 0) break;
    lots[pick] = pickNext;
    spent = spentBy(candidates, lots);
  }
  return lots;
}

/**
 * max over μ ≥ 0 of the Lagrangian dual of the continuous relaxation of items from..end with cash b:
 * g(μ) = Σ min_{k ∈ [least, best]} [(αk − β)² + 2μαk] − 2μ·b/NAV. Every g(μ) is a lower bound; the
 * bisection on μ only tightens it.
 */
function relaxedBound(
  candidates: readonly LotCandidates[],
  from: number,
  budget: number,
  nav: number,
): number {
  const dual = (mu: number): { value: number; spent: number } => {
    let value = -2 * mu * (budget / nav);
    let spent = 0;
    for (let j = from; j < candidates.length; j++) {
      const c = candidates[j] as LotCandidates;
      const k = Math.min(c.best, Math.max(c.least, (c.beta - mu) / c.alpha));
      value += (c.alpha * k - c.beta) ** 2 + 2 * mu * c.alpha * k;
      spent += c.lotCash * k;
    }
    return { value, spent };
  };
  const atZero = dual(0);
  if (atZero.spent <= budget) return atZero.value;
  let lo = 0;
  let hi = 1;
  while (dual(hi).spent > budget && hi < 1e6) hi *= 2;
  let best = atZero.value;
  for (let iteration = 0; iteration < 40; iteration++) {
    const mid = (lo + hi) / 2;
    const at = dual(mid);
    if (at.value > best) best = at.value;
    if (at.spent > budget) lo = mid;
    else hi = mid;
  }
  return Math.max(best, dual(hi).value);
}

interface Search {
  readonly candidates: readonly LotCandidates[];
  readonly nav: number;
  readonly budget: number;
  /** Σ_{j ≥ i} cost of j's cheapest choice. */
  readonly restCost: readonly number[];
  /** Σ_{j ≥ i} cash of j's most cash-freeing choice. */
  readonly restLeast: readonly number[];
  readonly maxNodes: number;
  nodes: number;
  stopped: boolean;
  bestCost: number;
  bestLots: number[];
  readonly lots: number[];
}

// Tolerance of the bound test: a bound within rounding of the incumbent must not prune a tie.
const PRUNE_SLACK = 1e-13;

function branch(s: Search, i: number, spent: number, cost: number): void {
  if (i === s.candidates.length) {
    if (cost < s.bestCost) {
      s.bestCost = cost;
      s.bestLots = [...s.lots];
    }
    return;
  }
  const c = s.candidates[i] as LotCandidates;
  for (let k: number | undefined = c.best; k !== undefined; k = nextLots(c, k)) {
    if (s.nodes >= s.maxNodes) {
      s.stopped = true;
      return;
    }
    s.nodes += 1;
    const withK = cost + lotCost(c, k);
    // Later choices of this item cost more: nothing below can beat the incumbent any more.
    if (withK + (s.restCost[i + 1] as number) >= s.bestCost + PRUNE_SLACK) return;
    const after = spent + c.lotCash * k;
    if (after + (s.restLeast[i + 1] as number) > s.budget) continue;
    const rest = relaxedBound(s.candidates, i + 1, s.budget - after, s.nav);
    if (withK + rest >= s.bestCost + PRUNE_SLACK) continue;
    s.lots[i] = k;
    branch(s, i + 1, after, withK);
  }
  s.lots[i] = c.best;
}

function suffixSums(values: readonly number[]): number[] {
  const out = new Array<number>(values.length + 1).fill(0);
  for (let i = values.length - 1; i >= 0; i--) out[i] = (out[i + 1] as number) + (values[i] as number);
  return out;
}

const money = (x: number): string => String(Number(x.toPrecision(12)));

/** Per item, its candidates without its symbol cap and where the cap is set (undefined: no cap). */
interface CapLimits {
  readonly uncapped: readonly LotCandidates[];
  readonly keys: readonly (string | undefined)[];
}

/**
 * The symbol caps that hold an order back from raising the cash it could (a short held above its target,
 * a sell that may not cross below −cap, a short beyond its cap that must be bought back): per such line,
 * its cap's key, the cash held back and a phrase for the message.
 */
function cappedOrders(
  items: readonly LotItem[],
  candidates: readonly LotCandidates[],
  limits: CapLimits | undefined,
): { symbol: string; key: string; cash: number; text: string }[] {
  if (limits === undefined) return [];
  const order = (c: LotCandidates, k: number): string =>
    k < 0 ? `selling ${money(-k * c.lotCash)}` : k > 0 ? `buying ${money(k * c.lotCash)}` : 'no order';
  return candidates.flatMap((c, i) => {
    const free = limits.uncapped[i];
    const key = limits.keys[i];
    if (free === undefined || key === undefined || !(c.least > free.least)) return [];
    const symbol = items[i]?.symbol ?? `position ${i + 1}`;
    const cash = (c.least - free.least) * c.lotCash;
    return [
      {
        symbol,
        key,
        cash,
        text: `${symbol} (its cap ${key} ${c.least > 0 ? `requires at least ${order(c, c.least)}` : c.least < 0 ? `allows at most ${order(c, c.least)}` : 'allows no sell'} where the target allows ${order(free, free.least)})`,
      },
    ];
  });
}

/**
 * `E_TRADES_INFEASIBLE` with the arithmetic: cash is below 0 before any order only when the holdings are
 * worth more than the NAV, and then only sells raise cash; it names how much they can raise at most and
 * which minimum tickets stop a sell toward the target.
 */
function infeasible(
  items: readonly LotItem[],
  candidates: readonly LotCandidates[],
  nav: number,
  heldValue: number,
  limits: CapLimits | undefined,
): QuantError {
  const name = (i: number): string => items[i]?.symbol ?? `position ${i + 1}`;
  let raisable = 0;
  for (const c of candidates) raisable -= c.lotCash * c.least;
  const missing = heldValue - nav;
  const blocked = candidates.flatMap((c, i) =>
    c.least === 0 && c.lowest < 0
      ? [
          `${name(i)} (selling ${money(-c.lowest * c.lotCash)} toward its target is below its minimum ticket of ${money((items[i] as LotItem).minTicket)})`,
        ]
      : [],
  );
  const shown =
    blocked.slice(0, 5).join(', ') + (blocked.length > 5 ? `, and ${blocked.length - 5} more` : '');
  let heldBack = 0;
  for (const c of candidates) if (c.least === 0 && c.lowest < 0) heldBack -= c.lotCash * c.lowest;
  const because = blocked.length > 0 ? `; sells held back (${money(heldBack)} together): ${shown}` : '';
  const capped = cappedOrders(items, candidates, limits);
  // Cut at five as the sells are: the lines holding back the most cash first (ties in input order).
  const largest = [...capped].sort((a, b) => b.cash - a.cash);
  const cappedShown =
    largest
      .slice(0, 5)
      .map((c) => c.text)
      .join(', ') + (largest.length > 5 ? `, and ${largest.length - 5} more` : '');
  const cappedKeys = [...new Set(largest.map((c) => c.key))];
  const keysShown =
    cappedKeys.slice(0, 5).join(', ') + (cappedKeys.length > 5 ? `, and ${cappedKeys.length - 5} more` : '');
  const byCaps =
    capped.length > 0
      ? `; ${capped.length === 1 ? 'an exposure cap holds an order' : 'exposure caps hold orders'} back: ${cappedShown}`
      : '';
  return new QuantError(
    'E_TRADES_INFEASIBLE',
    `no set of orders keeps cash ≥ 0: the holdings are worth ${money(heldValue)}, ${money(missing)} above the NAV of ${money(nav)}, and the sells toward the targets raise at most ${money(raisable)}${because}${byCaps}`,
    {
      hint:
        `--nav is the portfolio value, holdings plus cash: set it to at least the holdings' value (${money(heldValue)}) plus the cash held` +
        (blocked.length > 0 ? ', or lower the minimum tickets of the sells held back' : '') +
        (capped.length > 0
          ? `, or raise the exposure cap${cappedKeys.length === 1 ? '' : 's'} holding orders back (${keysShown}) in the meta profile's exposure_limits`
          : ''),
      details: {
        nav,
        held_value: heldValue,
        cash_needed: missing,
        cash_raisable: raisable,
        blocked: candidates.flatMap((c, i) => (c.least === 0 && c.lowest < 0 ? [name(i)] : [])),
        capped: capped.map((c) => ({ symbol: c.symbol, key: c.key, cash_held_back: c.cash })),
      },
    },
  );
}

/**
 * Orders in whole lots closest to the target weights (sum of squared weight gaps) that keep cash ≥ 0.
 * Exact (branch-and-bound) when at most `maxExactPositions` positions have a choice and the search ends
 * within `maxNodes` nodes; otherwise the greedy rounding (or the best solution found), with the reason.
 * When every position's own best rounding fits the cash, that is the optimum and no search runs.
 * No order set keeping cash ≥ 0 is `E_TRADES_INFEASIBLE`.
 *
 * `caps`: a symbol's cap narrows its choices to the lots within it before the rounding (exact under the
 * cap; a holding already beyond it to the orders toward the cap, see {@link capLotRange}); then every cap still broken — symbols first, then
 * groups — is restored by {@link repairGroupCaps} one lot step at a time, least tracking cost per unit
 * of weight first (`capMoves`; the result is then not claimed optimal), and what no step restores is
 * listed in `brokenCaps` with the reason. The rounding is then solved again with the lines of those caps
 * held at their repaired lots or further toward the cap, spending the cash the steps freed; its orders
 * are kept when they track better with every cap kept (never worse than the repair alone).
 *
 * @param items positions, in a fixed order (the result follows it; ties go to the earlier choice).
 */
export function roundToLots(items: readonly LotItem[], options: LotRoundingOptions): LotRoundingResult {
  const { nav } = options;
  const symbolCaps = options.caps?.symbols ?? [];
  const ranges = items.map((item, i) => {
    const cap = symbolCaps[i];
    return cap === undefined ? undefined : capLotRange(item, cap.cap, nav);
  });
  const candidates = items.map((item, i) => lotCandidates(item, nav, ranges[i]));
  const free = items.map((item) => lotCandidates(item, nav));
  const uncapped = free.map((c) => c.best);
  const heldBeyond = ranges.map((r) => r?.beyond === true);
  // Every cap, each symbol's as a group of one, checked (and restored where it can be) after the rounding.
  const groups: GroupCap[] = [
    ...symbolCaps.flatMap((c, i) => (c === undefined ? [] : [{ key: c.key, members: [i], cap: c.cap }])),
    ...(options.caps?.groups ?? []),
  ];
  const solved = solve(items, candidates, options, {
    uncapped: free,
    keys: items.map((_, i) => symbolCaps[i]?.key),
  });
  if (groups.length === 0)
    return { ...solved, uncapped, heldBeyond, repaired: solved.lots, capMoves: [], brokenCaps: [] };
  const budget = solved.cash + spentBy(candidates, solved.lots);
  const repaired = repairGroupCaps(items, candidates, solved.lots, budget, nav, groups);
  if (repaired.moves.length === 0)
    return {
      ...solved,
      uncapped,
      heldBeyond,
      repaired: solved.lots,
      capMoves: [],
      brokenCaps: repaired.broken,
    };
  const keys = [...new Set(repaired.moves.map((m) => m.key))].join(', ');
  const moved = `${repaired.moves.length} lot move${repaired.moves.length === 1 ? '' : 's'} after the rounding to bring ${keys} within the cap (least tracking cost first)`;
  const objective = objectiveOf(candidates, repaired.lots);
  const again =
    options.respend === false
      ? undefined
      : solveAgain(
          items,
          ranges,
          { start: solved.lots, lots: repaired.lots, broken: repaired.broken },
          groups,
          options,
        );
  if (again !== undefined && again.objective < objective - RESPEND_GAIN) {
    return {
      ...solved,
      lots: again.lots,
      // The second rounding gave the orders: its method (the first one's nodes are counted in too).
      method: again.method,
      optimal: false,
      reason: `${moved}, then the rounding solved again with the lines of the caps held there, spending the cash the moves freed`,
      nodes: solved.nodes + again.nodes,
      objective: objectiveOf(candidates, again.lots),
      cash: budget - spentBy(candidates, again.lots),
      uncapped,
      heldBeyond,
      repaired: repaired.lots,
      capMoves: repaired.moves,
      brokenCaps: repaired.broken,
    };
  }
  return {
    ...solved,
    lots: repaired.lots,
    optimal: false,
    reason: moved,
    objective,
    cash: budget - spentBy(candidates, repaired.lots),
    uncapped,
    heldBeyond,
    repaired: repaired.lots,
    capMoves: repaired.moves,
    brokenCaps: repaired.broken,
  };
}

/** A second rounding replaces the repaired one only when it lowers the tracking cost by more than this. */
const RESPEND_GAIN = 1e-15;

/**
 * The rounding solved again after a cap repair, so that the cash the repair freed is spent: each line of
 * a cap the repair moved or left broken may not move back past its repaired lots in the direction the cap
 * was broken (k ≤ its lots for a cap broken upward, k ≥ for one broken downward), so the cap cannot come
 * back; a cap the new rounding breaks is held the same way and the rounding solved again (at most twice
 * per cap). The repaired lots satisfy every bound, so an exact solve is never worse than them. Undefined
 * when no rounding keeping every cap (or a broken cap no further) is found.
 */
function solveAgain(
  items: readonly LotItem[],
  ranges: readonly ({ readonly low: number; readonly high: number } | undefined)[],
  repaired: {
    readonly start: readonly number[];
    readonly lots: readonly number[];
    readonly broken: readonly BrokenCap[];
  },
  groups: readonly GroupCap[],
  options: LotRoundingOptions,
): { lots: readonly number[]; objective: number; nodes: number; method: LotRoundingMethod } | undefined {
  const { nav } = options;
  const sum = (g: GroupCap, lots: readonly number[]): number =>
    g.members.reduce((s, i) => s + weightOf(items[i] as LotItem, lots[i] as number, nav), 0);
  const beyond = (g: GroupCap, lots: readonly number[]): number => {
    const w = sum(g, lots);
    return Math.abs(w) > g.cap + CAP_TOLERANCE ? Math.sign(w) : 0;
  };
  // Per cap, the directions its lines are held in: those the rounding broke it in (repaired or not).
  const held = groups.map((g) => {
    const broken = repaired.broken.some((b) => b.key === g.key);
    const direction = beyond(g, repaired.start) || (broken ? beyond(g, repaired.lots) : 0);
    return new Set<number>(direction === 0 ? [] : [direction]);
  });
  let nodes = 0;
  for (let round = 0; round <= 2 * groups.length; round++) {
    const narrowed = items.map((item, i) => {
      let low = ranges[i]?.low ?? Number.NEGATIVE_INFINITY;
      let high = ranges[i]?.high ?? Number.POSITIVE_INFINITY;
      const k = repaired.lots[i] as number;
      groups.forEach((g, j) => {
        if (!g.members.includes(i)) return;
        if (held[j]?.has(1)) high = Math.min(high, k);
        if (held[j]?.has(-1)) low = Math.max(low, k);
      });
      return lotCandidates(item, nav, { low, high });
    });
    let again: Solved;
    try {
      again = solve(items, narrowed, options);
    } catch (error) {
      if (isQuantError(error) && error.code === 'E_TRADES_INFEASIBLE') return undefined;
      throw error;
    }
    nodes += again.nodes;
    if (!(again.cash >= 0)) return undefined;
    let added = false;
    groups.forEach((g, j) => {
      const direction = beyond(g, again.lots);
      const set = held[j] as Set<number>;
      if (direction !== 0 && !set.has(direction)) {
        set.add(direction);
        added = true;
      }
    });
    if (!added) return { lots: again.lots, objective: again.objective, nodes, method: again.method };
  }
  return undefined;
}

type Solved = Omit<LotRoundingResult, 'uncapped' | 'heldBeyond' | 'repaired' | 'capMoves' | 'brokenCaps'>;

/** The rounding itself, on candidates already narrowed by the symbol caps. */
function solve(
  items: readonly LotItem[],
  candidates: readonly LotCandidates[],
  options: LotRoundingOptions,
  limits?: CapLimits,
): Solved {
  const { nav } = options;
  let heldValue = 0;
  for (const item of items) heldValue += item.held * item.price;
  const budget = nav - heldValue;
  const least = candidates.map((c) => c.lotCash * c.least);
  if (least.reduce((a, b) => a + b, 0) > budget) throw infeasible(items, candidates, nav, heldValue, limits);
  const finish = (
    lots: readonly number[],
    method: LotRoundingMethod,
    optimal: boolean,
    reason: string | null,
    nodes: number,
  ): Solved => ({
    lots,
    nearest: candidates.map((c) => c.best),
    method,
    optimal,
    reason,
    nodes,
    objective: objectiveOf(candidates, lots),
    cash: budget - spentBy(candidates, lots),
  });
  const own = candidates.map((c) => c.best);
  if (spentBy(candidates, own) <= budget) return finish(own, 'nearest_lot', true, null, 0);
  // Feasible from here on: the all-least choice fits, and greedy steps down to it if need be.
  const greedy = greedyLots(candidates, budget);
  const choices = candidates.filter((c) => nextLots(c, c.best) !== undefined).length;
  const maxExact = options.maxExactPositions ?? EXACT_MAX_POSITIONS;
  if (choices > maxExact) {
    const reason = `${choices} positions with a choice, above the exact limit of ${maxExact}`;
    return finish(greedy, 'greedy', false, reason, 0);
  }
  const search: Search = {
    candidates,
    nav,
    budget,
    restCost: suffixSums(candidates.map((c) => lotCost(c, c.best))),
    restLeast: suffixSums(least),
    maxNodes: options.maxNodes ?? EXACT_MAX_NODES,
    nodes: 0,
    stopped: false,
    bestCost: objectiveOf(candidates, greedy),
    bestLots: greedy,
    lots: [...own],
  };
  branch(search, 0, 0, 0);
  if (search.stopped) {
    const reason = `branch-and-bound stopped at ${search.maxNodes} nodes; the best solution found is used`;
    return finish(search.bestLots, 'branch_and_bound', false, reason, search.nodes);
  }
  return finish(search.bestLots, 'branch_and_bound', true, null, search.nodes);
}
