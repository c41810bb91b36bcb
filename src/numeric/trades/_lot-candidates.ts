/**
 * The integer choices of one position when orders are rounded to lots: how many lots k it may trade
 * (final quantity held + k·lot), and the tracking cost of each choice, (final weight − target)².
 */

/** One position to round: what is held, its price, its target weight, its lot and its minimum ticket. */
export interface LotItem {
  /** Quantity held now (negative: short). */
  readonly held: number;
  /** Price per unit, > 0. */
  readonly price: number;
  /** Target weight of the portfolio value (negative: short). */
  readonly target: number;
  /** Orders are whole multiples of this quantity, > 0. */
  readonly lotSize: number;
  /** Smallest notional of an order (0: none). */
  readonly minTicket: number;
  /** Name of the position, for messages only. */
  readonly symbol?: string;
}

/**
 * The choices of one position. The cheapest is `best`; the others are best − 1, best − 2, ... down to
 * `lowest` (skipping the orders below the minimum ticket): each costs more and spends less cash than the
 * one before. Walk them with {@link nextLots}.
 */
export interface LotCandidates {
  /** Lots of the cheapest choice (signed: + buys, − sells). */
  readonly best: number;
  /** Fewest lots (most selling) the domain allows, minimum ticket aside. */
  readonly lowest: number;
  /**
   * Fewest lots an allowed order reaches: `lowest`, or the next allowed choice above it when selling down
   * to it is below the minimum ticket (0, when every sell of the domain is then too small). The last
   * choice of the walk from `best`.
   */
  readonly least: number;
  /** Most lots the domain allows. */
  readonly highest: number;
  /** Smallest non-zero |k| whose notional reaches the minimum ticket. */
  readonly minLots: number;
  /** Cash one lot costs: lotSize · price. */
  readonly lotCash: number;
  /** α = lotCash / NAV, β = target − held·price / NAV: cost(k) = (α·k − β)². */
  readonly alpha: number;
  readonly beta: number;
}

/** Smallest n ≥ 1 with n·lotCash ≥ minTicket. */
function minimumLots(lotCash: number, minTicket: number): number {
  if (!(minTicket > 0)) return 1;
  let n = Math.max(1, Math.ceil(minTicket / lotCash));
  // Beyond 2^53, n + 1 === n and the settling below would never end (callers check the counts first).
  if (!(n <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`a minimum ticket of ${n} lots is not countable`);
  // Division rounding may put n one off: settle it on the product itself.
  while (n > 1 && (n - 1) * lotCash >= minTicket) n -= 1;
  while (n * lotCash < minTicket) n += 1;
  return n;
}

/**
 * How close (in lots, relative to the distance) a target must be to a whole number of lots away to count
 * as exactly that many: the arithmetic of weight × NAV ÷ price leaves ~1e-16 of noise, which would open
 * one more lot beyond the target (⌊−3.0000000000000004⌋ = −4).
 */
const WHOLE_LOTS = 1e-9;

/** Lots from the held quantity to the target, snapped to a whole number within {@link WHOLE_LOTS}. */
export function lotsToTarget(alpha: number, beta: number): number {
  const d = beta / alpha;
  const whole = Math.round(d);
  return Math.abs(d - whole) <= WHOLE_LOTS * Math.max(1, Math.abs(d)) ? whole : d;
}

/** (α·k − β)²: the squared gap between the final weight after k lots and the target. */
export function lotCost(c: LotCandidates, k: number): number {
  return (c.alpha * k - c.beta) ** 2;
}

/** The next choice after k (one more costly, spending less cash), or undefined after the last. */
export function nextLots(c: LotCandidates, k: number): number | undefined {
  let next = k - 1;
  if (next > 0 && next < c.minLots) next = 0;
  else if (next < 0 && next > -c.minLots) next = -c.minLots;
  return next < c.lowest ? undefined : next;
}

/**
 * The domain of k: every move goes from the held quantity toward the target and stops there or less
 * than one lot beyond it, d = (target·NAV/price − held)/lotSize lots away (a whole number when within
 * 1e-9 of one): k ∈ [min(0, ⌊d⌋), max(0, ⌈d⌉)],
 * without the orders below the minimum ticket. Cost is convex in k, so a choice spending more cash than
 * the cheapest one is never better: only k ≤ best are choices. Ties go to the smaller order. `range`
 * (lots within an exposure cap, or bounds a cap repair sets) narrows the domain further; it may leave 0
 * out (an order the cap makes necessary), but must leave at least one allowed order in the domain.
 */
export function lotCandidates(
  item: LotItem,
  nav: number,
  range?: { readonly low: number; readonly high: number },
): LotCandidates {
  const lotCash = item.lotSize * item.price;
  const alpha = lotCash / nav;
  const beta = item.target - (item.held * item.price) / nav;
  const d = lotsToTarget(alpha, beta);
  const lowest = Math.max(Math.min(0, Math.floor(d)), range?.low ?? Number.NEGATIVE_INFINITY);
  const highest = Math.min(Math.max(0, Math.ceil(d)), range?.high ?? Number.POSITIVE_INFINITY);
  const minLots = minimumLots(lotCash, item.minTicket);
  // The allowed orders within [lowest, highest]: the sells of at least the minimum ticket, no order, the buys.
  const spans = [
    [lowest, Math.min(highest, -minLots)],
    [Math.max(lowest, 0), Math.min(highest, 0)],
    [Math.max(lowest, minLots), highest],
  ].filter(([a, b]) => (a as number) <= (b as number)) as [number, number][];
  const first = spans[0];
  if (first === undefined)
    throw new RangeError(`no allowed order of ${item.symbol ?? 'a position'} in its range`);
  const least = first[0];
  const partial = { best: least, lowest, least, highest, minLots, lotCash, alpha, beta };
  let best = least;
  for (const [a, b] of spans) {
    for (const k of [Math.floor(d), Math.ceil(d), a, b]) {
      const at = Math.min(b, Math.max(a, k));
      const better = lotCost(partial, at) < lotCost(partial, best);
      const tie = lotCost(partial, at) === lotCost(partial, best) && Math.abs(at) < Math.abs(best);
      if (better || tie) best = at;
    }
  }
  return { ...partial, best };
}
