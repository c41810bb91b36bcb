/**
 * Tail-risk metrics of one simple-return series r₁ … r_T, historical (every observation an equally
 * likely scenario, weight 1/T), with the definitions of skfolio's `skfolio.measures` and Riskfolio-Lib:
 *
 * - losses L_t = −r_t; k = (1 − β)·T scenarios in the tail, i_k = max(0, ⌈k⌉ − 1);
 * - VaR_β = the (i_k + 1)-th largest loss; CVaR_β = (Σ of the i_k largest losses + (k − i_k)·VaR_β) / k,
 *   the Rockafellar–Uryasev value min_α α + Σ_t (L_t − α)⁺ / k (Rockafellar & Uryasev 2000, 2002);
 * - drawdowns of the uncompounded cumulative return C_t = r₁ + … + r_t with C₀ = 0 counted as a peak:
 *   D_t = max(C₀ … C_t) − C_t ≥ 0; CDaR_β = CVaR_β of the drawdowns as losses (Chekhlov, Uryasev &
 *   Zabarankin 2005); Ulcer index = √(Σ D_t² / T) (Martin & McCann 1989, uncompounded);
 * - skewness m₃ / m₂^{3/2} and excess kurtosis m₄ / m₂² − 3 with population central moments m_p (ddof 0);
 * - Omega(τ) = Σ (r_t − τ)⁺ / Σ (τ − r_t)⁺ (Keating & Shadwick 2002).
 *
 * Metrics return `null`, never NaN, where they are undefined (empty series, zero dispersion, no loss).
 */
import { QuantError } from '../../errors.js';

/** Default confidence level of the tail measures (95 %). */
export const DEFAULT_CVAR_LEVEL = 0.95;

/**
 * Throw `E_PARAMS` unless 0 < β < 1 (`what` names the setting in the message, e.g. `cvar_level`).
 */
export function assertTailLevel(beta: number, what = 'cvar_level'): void {
  if (typeof beta !== 'number' || !(beta > 0 && beta < 1)) {
    throw new QuantError(
      'E_PARAMS',
      `${what} must be a number strictly between 0 and 1, got ${String(beta)}`,
      {
        hint: `use e.g. ${what}=0.95 (the mean of the worst 5 % of outcomes)`,
        details: { setting: what, value: String(beta) },
      },
    );
  }
}

/**
 * The number of tail scenarios k = (1 − β)·T, snapped to the nearest integer when it is one up to
 * rounding ((1 − 0.95)·2520 is 126.00000000000011 in floating point, not a 127th scenario).
 */
export function tailCount(observations: number, beta: number): number {
  const k = (1 - beta) * observations;
  const near = Math.round(k);
  return Math.abs(k - near) <= 1e-9 * Math.max(1, k) ? near : k;
}

/**
 * Scenario indices ordered from the largest loss down (ties: the earlier scenario first), so that the
 * tail and its weights are the same on every run.
 */
export function orderByLoss(losses: ArrayLike<number>): Int32Array {
  const order = new Int32Array(losses.length);
  for (let t = 0; t < order.length; t++) order[t] = t;
  order.sort((a, b) => (losses[b] as number) - (losses[a] as number) || a - b);
  return order;
}

/**
 * Tail weights of the sorted scenarios: 1/k for the first i_k, (k − i_k)/k for the next, 0 after.
 * Calls `visit(position, weight)` for each scenario with a positive weight.
 */
export function forEachTailWeight(
  observations: number,
  beta: number,
  visit: (position: number, weight: number) => void,
): void {
  const k = tailCount(observations, beta);
  const ik = Math.max(0, Math.ceil(k) - 1);
  for (let p = 0; p < ik; p++) visit(p, 1 / k);
  const last = (k - ik) / k;
  if (last > 0) visit(ik, last);
}

/**
 * CVaR_β of finite `losses` (as in the vertex simplex), bit for bit what sorting every scenario by {@link orderByLoss} and summing the
 * tail gives: only the i_k + 1 largest are found (a heap, one pass) and added in the same order.
 */
export function tailCvar(losses: Float64Array, beta: number): number {
  return sortedCvar(largestDescending(losses, tailPositions(losses.length, beta)), losses.length, beta);
}

/**
 * The scenarios at the first `count` positions of {@link orderByLoss}, as a mask:
 * every loss above the count-th largest value, then those equal to it (−0 = +0, as the sort compares) by
 * index until `count` — the same set, without sorting every scenario.
 */
export function worstScenarioMask(losses: Float64Array, count: number): Uint8Array {
  const T = losses.length;
  const mask = new Uint8Array(T);
  if (count <= 0) return mask;
  if (count >= T) return mask.fill(1);
  if (hasNaN(losses)) {
    const order = orderByLoss(losses);
    for (let q = 0; q < count; q++) mask[order[q] as number] = 1;
    return mask;
  }
  const v = largestDescending(losses, count)[count - 1] as number;
  let left = count;
  for (let t = 0; t < T; t++) {
    if ((losses[t] as number) > v) {
      mask[t] = 1;
      left--;
    }
  }
  for (let t = 0; t < T && left > 0; t++) {
    if (losses[t] === v) {
      mask[t] = 1;
      left--;
    }
  }
  return mask;
}

/**
 * The first `count` positions of {@link orderByLoss} (largest loss first, ties by
 * index): the worst scenarios found by {@link worstScenarioMask}, then only they are sorted.
 */
export function worstScenarios(losses: Float64Array, count: number): Int32Array {
  const T = losses.length;
  if (count * 4 >= T || hasNaN(losses)) return orderByLoss(losses).slice(0, Math.max(0, count));
  const mask = worstScenarioMask(losses, count);
  const out = new Int32Array(count);
  for (let t = 0, p = 0; t < T; t++) if (mask[t] === 1) out[p++] = t;
  return out.sort((a, b) => (losses[b] as number) - (losses[a] as number) || a - b);
}

/** How many of the largest scenarios a tail at level β reads: i_k + 1 (at most every one). */
export function tailPositions(observations: number, beta: number): number {
  return Math.min(observations, Math.max(0, Math.ceil(tailCount(observations, beta)) - 1) + 1);
}

/**
 * `orderByLoss(losses)[rank]`: the scenario at that position of the order (largest loss
 * first, ties by index), found from the (rank + 1)-th largest value without sorting every scenario.
 */
export function scenarioAtLossRank(losses: Float64Array, rank: number): number {
  const T = losses.length;
  if (!(rank >= 0 && rank < T)) throw new RangeError(`rank ${rank} outside 0..${T - 1}`);
  if (hasNaN(losses)) return orderByLoss(losses)[rank] as number;
  const v = largestDescending(losses, rank + 1)[rank] as number;
  let skip = rank;
  for (let t = 0; t < T; t++) if ((losses[t] as number) > v) skip--;
  for (let t = 0; t < T; t++) if (losses[t] === v && skip-- === 0) return t;
  throw new RangeError('losses must be numbers');
}

/**
 * A NaN makes the sort's comparator inconsistent, and its order then the engine's: the functions above
 * take the sort itself for such input, so that they never differ from it.
 */
function hasNaN(values: Float64Array): boolean {
  for (let t = 0; t < values.length; t++) if ((values[t] as number) !== (values[t] as number)) return true;
  return false;
}

/** CVaR_β of a list of losses (the mean of the worst (1 − β) share, with the fractional scenario). */
function cvarOfLosses(losses: ArrayLike<number>, beta: number): number | null {
  assertTailLevel(beta);
  if (losses.length === 0) return null;
  const order = orderByLoss(losses);
  let s = 0;
  forEachTailWeight(losses.length, beta, (p, q) => (s += q * (losses[order[p] as number] as number)));
  return s;
}

function negate(returns: ArrayLike<number>): Float64Array {
  const out = new Float64Array(returns.length);
  for (let t = 0; t < out.length; t++) out[t] = -(returns[t] as number);
  return out;
}

/** Historical VaR_β of a return series, as a positive loss (the (i_k + 1)-th largest loss). */
export function valueAtRisk(returns: ArrayLike<number>, beta: number): number | null {
  assertTailLevel(beta);
  if (returns.length === 0) return null;
  const losses = negate(returns);
  const order = orderByLoss(losses);
  const ik = Math.max(0, Math.ceil(tailCount(returns.length, beta)) - 1);
  return losses[order[ik] as number] as number;
}

/** Historical CVaR_β (expected shortfall) of a return series, as a positive loss. */
export function conditionalValueAtRisk(returns: ArrayLike<number>, beta: number): number | null {
  return cvarOfLosses(negate(returns), beta);
}

/** Drawdowns D_t ≥ 0 of the uncompounded cumulative return, C₀ = 0 counting as a peak (length T). */
export function uncompoundedDrawdowns(returns: ArrayLike<number>): Float64Array {
  const out = new Float64Array(returns.length);
  let c = 0;
  let peak = 0;
  for (let t = 0; t < out.length; t++) {
    c += returns[t] as number;
    if (c > peak) peak = c;
    out[t] = peak - c;
  }
  return out;
}

/** CDaR_β: the CVaR_β of the uncompounded drawdowns. */
export function conditionalDrawdownAtRisk(returns: ArrayLike<number>, beta: number): number | null {
  return cvarOfLosses(uncompoundedDrawdowns(returns), beta);
}

/** Ulcer index √(Σ D_t² / T) of the uncompounded drawdowns; `null` if empty. */
export function ulcerIndex(returns: ArrayLike<number>): number | null {
  if (returns.length === 0) return null;
  const d = uncompoundedDrawdowns(returns);
  let s = 0;
  for (let t = 0; t < d.length; t++) s += (d[t] as number) ** 2;
  return Math.sqrt(s / d.length);
}

/** Population central moments m₂, m₃, m₄; `null` when empty or m₂ = 0 (a constant series). */
function centralMoments(returns: ArrayLike<number>): { m2: number; m3: number; m4: number } | null {
  const T = returns.length;
  if (T === 0) return null;
  let lo = Infinity;
  let hi = -Infinity;
  let s = 0;
  for (let t = 0; t < T; t++) {
    const v = returns[t] as number;
    s += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return null;
  const mean = s / T;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let t = 0; t < T; t++) {
    const d = (returns[t] as number) - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  return { m2: m2 / T, m3: m3 / T, m4: m4 / T };
}

/** Skewness m₃ / m₂^{3/2} (population, the biased estimator of scipy's `skew`); `null` if undefined. */
export function skewness(returns: ArrayLike<number>): number | null {
  const m = centralMoments(returns);
  return m === null ? null : m.m3 / Math.pow(m.m2, 1.5);
}

/** Excess kurtosis m₄ / m₂² − 3 (population, scipy's `kurtosis` default); `null` if undefined. */
export function excessKurtosis(returns: ArrayLike<number>): number | null {
  const m = centralMoments(returns);
  return m === null ? null : m.m4 / (m.m2 * m.m2) - 3;
}

/** Omega ratio Σ (r − τ)⁺ / Σ (τ − r)⁺; `null` when no return is below τ (or the series is empty). */
export function omegaRatio(returns: ArrayLike<number>, threshold = 0): number | null {
  let gains = 0;
  let losses = 0;
  for (let t = 0; t < returns.length; t++) {
    const d = (returns[t] as number) - threshold;
    if (d > 0) gains += d;
    else losses -= d;
  }
  return losses === 0 ? null : gains / losses;
}

/** The tail metrics the report shows for one series. */
export interface TailMetrics {
  readonly var95: number | null;
  readonly cvar95: number | null;
  readonly var99: number | null;
  readonly cvar99: number | null;
  readonly skewness: number | null;
  readonly excessKurtosis: number | null;
  readonly cdar95: number | null;
  readonly ulcerIndex: number | null;
  readonly omega: number | null;
}

/** Every metric of this module for one series (per-period units; Omega at threshold 0). */
export function tailMetrics(returns: ArrayLike<number>): TailMetrics {
  for (let t = 0; t < returns.length; t++) {
    const v = returns[t] as number;
    if (v - v !== 0) {
      throw new QuantError('E_INPUT_VALUE', `return ${t} is not a finite number: ${String(v)}`, {
        hint: 'remove or fill missing values before computing tail metrics',
        details: { index: t, value: String(v) },
      });
    }
  }
  if (returns.length === 0) {
    return {
      var95: null,
      cvar95: null,
      var99: null,
      cvar99: null,
      skewness: null,
      excessKurtosis: null,
      cdar95: null,
      ulcerIndex: null,
      omega: null,
    };
  }
  // The largest 5 % of the losses, sorted once, serve the four VaR/CVaR figures, those of the drawdowns
  // CDaR; the values are bit for bit those of valueAtRisk, conditionalValueAtRisk and
  // conditionalDrawdownAtRisk, which sort every scenario.
  const T = returns.length;
  const tail = tailPositions(T, 0.95);
  const losses = negate(returns);
  const sorted = largestDescending(losses, tail);
  const drawdowns = uncompoundedDrawdowns(returns);
  return {
    var95: sortedValueAtRisk(losses, sorted, 0.95),
    cvar95: sortedCvar(sorted, T, 0.95),
    var99: sortedValueAtRisk(losses, sorted, 0.99),
    cvar99: sortedCvar(sorted, T, 0.99),
    skewness: skewness(returns),
    excessKurtosis: excessKurtosis(returns),
    cdar95: sortedCvar(largestDescending(drawdowns, tail), T, 0.95),
    ulcerIndex: ulcerIndex(returns),
    omega: omegaRatio(returns, 0),
  };
}

/**
 * The `count` largest of finite `values`, from the largest down: the values at the first `count`
 * positions {@link orderByLoss} gives (ties differ only in the sign of a zero). A min-heap of `count`
 * entries passes over the values once; the engine's numeric sort orders the heap.
 */
export function largestDescending(values: Float64Array, count: number): Float64Array {
  if (count * 4 >= values.length) return Float64Array.from(values).sort().reverse();
  const heap = new Float64Array(count);
  let size = 0;
  for (let t = 0; t < values.length; t++) {
    const v = values[t] as number;
    if (size < count) {
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!((heap[parent] as number) > v)) break;
        heap[i] = heap[parent] as number;
        i = parent;
      }
      heap[i] = v;
    } else if (v > (heap[0] as number)) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= count) break;
        const right = left + 1;
        const child = right < count && (heap[right] as number) < (heap[left] as number) ? right : left;
        if (!((heap[child] as number) < v)) break;
        heap[i] = heap[child] as number;
        i = child;
      }
      heap[i] = v;
    }
  }
  return heap.sort().reverse();
}

/**
 * {@link cvarOfLosses} on the largest losses, sorted (`observations` of them in all): the same terms
 * added in the same order. A tie of −0 and
 * +0 cannot change the sum, which starts at +0.
 */
function sortedCvar(sorted: Float64Array, observations: number, beta: number): number {
  let s = 0;
  forEachTailWeight(observations, beta, (p, q) => (s += q * (sorted[p] as number)));
  return s;
}

/**
 * {@link valueAtRisk} from the sorted losses. A zero VaR is the zero of `losses` that
 * {@link orderByLoss} puts at that position (ties by index), so its sign is the same as there.
 */
function sortedValueAtRisk(losses: Float64Array, sorted: Float64Array, beta: number): number {
  const ik = Math.max(0, Math.ceil(tailCount(losses.length, beta)) - 1);
  const v = sorted[ik] as number;
  if (v !== 0) return v;
  let zerosBefore = ik;
  while (zerosBefore > 0 && sorted[zerosBefore - 1] === 0) zerosBefore--;
  let skip = ik - zerosBefore;
  for (let t = 0; t < losses.length; t++) {
    const x = losses[t] as number;
    if (x === 0 && skip-- === 0) return x;
  }
  return v;
}
