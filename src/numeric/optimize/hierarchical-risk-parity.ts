import { QuantError } from '../../errors.js';
import { squareOrder, type Matrix } from '../linalg/matrix.js';
import { covarianceDistances } from '../cluster/correlation-distance.js';
import { linkageOfSymmetric, type LinkageMatrix, type LinkageMethod } from '../cluster/linkage.js';
import { preOrderLeaves, type LeafOrder } from '../cluster/leaf-order.js';
import { optimalLeafOrdering } from '../cluster/optimal-leaf-ordering.js';

export interface HierarchicalRiskParityOptions {
  /** Linkage criterion of the clustering; default `single` (López de Prado 2016). */
  readonly linkage?: LinkageMethod;
  /** `dendrogram` (default, PyPortfolioOpt) or `optimal` (optimal leaf ordering first, skfolio). */
  readonly leafOrder?: LeafOrder;
  /** Lower bound of every weight; default 0. */
  readonly minWeight?: number;
  /** Upper bound of every weight; default 1. */
  readonly maxWeight?: number;
}

/** One node of the cluster tree (SciPy ids: leaves 0 … n − 1, merge k is n + k) with its total weight. */
export interface HrpTreeNode {
  readonly id: number;
  readonly left: number | null;
  readonly right: number | null;
  /** Merge distance; 0 for leaves. */
  readonly height: number;
  /** Number of leaves below. */
  readonly count: number;
  /** Sum of the HRP weights of the leaves below. */
  readonly weight: number;
}

/** One step of the recursive bisection: positions [start, mid) and [mid, end) of `order`. */
export interface HrpBisection {
  readonly start: number;
  readonly mid: number;
  readonly end: number;
  /** Weight of the parent range before the split. */
  readonly weight: number;
  /** Variances of the inverse-variance portfolios of the two halves. */
  readonly leftVariance: number;
  readonly rightVariance: number;
  /** Share of the parent weight given to the left half, before and after the bound clamp. */
  readonly rawAlpha: number;
  readonly alpha: number;
}

export interface HierarchicalRiskParityResult {
  /** Length-n weights in input order, ≥ 0 (within the bounds), summing to 1. */
  readonly weights: Float64Array;
  /** The quasi-diagonal leaf order used for the bisection (asset indices). */
  readonly order: number[];
  /** The tree in SciPy format; with `leafOrder: 'optimal'` the reordered one (`order` = its leaves). */
  readonly linkage: LinkageMatrix;
  /** 2n − 1 nodes by id: the n leaves, then the n − 1 merges. */
  readonly nodes: HrpTreeNode[];
  /** The bisection steps, breadth first. */
  readonly bisections: HrpBisection[];
}

const BOUND_TOLERANCE = 1e-12;

/**
 * Hierarchical Risk Parity (López de Prado 2016, "Building diversified portfolios that outperform out of
 * sample", J. Portfolio Management 42(4)).
 *
 * 1. Distance dᵢⱼ = √(clip((1 − ρᵢⱼ)/2, 0, 1)) on the correlation of `cov`.
 * 2. Hierarchical clustering (SciPy-identical {@link buildLinkage}); leaf order = pre-order of the tree
 *    (PyPortfolioOpt's `HRPOpt`) or of the optimally ordered tree (skfolio's `HierarchicalRiskParity`).
 * 3. Recursive bisection of the ordered list at ⌊len/2⌋: each half's variance is that of its inverse-variance
 *    portfolio, V = w̃ᵀΣw̃ with w̃ ∝ 1/diag(Σ); the left half gets α = 1 − V_L/(V_L + V_R) of the parent weight.
 *    With bounds, α is clamped (skfolio's rule) to [Σ min_L / W, Σ max_L / W], then 1 − α to the same
 *    interval of the right half, W being the parent weight; so every cluster weight stays within the sums
 *    of its members' bounds and every final weight within [minWeight, maxWeight].
 *
 * Zero-variance assets are treated as the limit σ → 0 (riskless): a cluster containing one has variance
 * 0, so it takes the whole weight of each split against a risky cluster (within the bounds), and two
 * riskless halves split 50/50. A variance so small that 1/σ² overflows counts as zero.
 * Their correlations are taken as 0 (see `covarianceToCorrelation`), so no NaN can arise. HRP is scale-
 * free: annualising `cov` does not change the weights.
 *
 * Column order: SciPy puts the lower index first when two single assets merge, so with `dendrogram` the
 * quasi-diagonal order, and with it the bisection, can change when the columns are permuted (as in
 * PyPortfolioOpt). With `optimal` the order is fixed by the distances alone (no ties, n ≥ 3).
 *
 * @param cov n x n covariance, n ≥ 2, finite, non-negative diagonal.
 * @throws QuantError `E_TOO_FEW_ASSETS`, `E_INFEASIBLE_BOUNDS` (n·min > 1, n·max < 1, min > max, or a
 *   non-finite bound), `E_INPUT_VALUE` (non-finite or non-square), `E_SINGULAR_COVARIANCE` (negative
 *   variance).
 */
export function hierarchicalRiskParity(
  cov: Matrix,
  options: HierarchicalRiskParityOptions = {},
): HierarchicalRiskParityResult {
  const n = squareOrder(cov, 'covariance');
  if (n < 2) throw new QuantError('E_TOO_FEW_ASSETS', `HRP needs at least 2 assets, got ${n}`);
  for (let k = 0; k < n * n; k++) {
    const v = cov.data[k] as number;
    if (v - v !== 0) {
      throw new QuantError(
        'E_INPUT_VALUE',
        `covariance entry (${Math.floor(k / n)}, ${k % n}) is not finite: ${v}`,
      );
    }
  }
  const lo = options.minWeight ?? 0;
  const hi = options.maxWeight ?? 1;
  checkBounds(n, lo, hi);

  const { linkage: z, order } = clusterCovariance(cov, options.linkage ?? 'single', options.leafOrder);
  const { weights, bisections } = bisect(cov, order, lo, hi);
  return { weights, order, linkage: z, nodes: treeNodes(z, weights), bisections };
}

/**
 * Steps 1 and 2 of HRP: the tree of the correlation distances of `cov` (SciPy's linkage, then optimal
 * leaf ordering with `optimal`) and its leaves in pre-order.
 *
 * @param cov n x n covariance, finite above the diagonal.
 * @throws QuantError `E_TOO_FEW_ASSETS` (n < 2), `E_INPUT_VALUE` (a non-finite variance),
 *   `E_SINGULAR_COVARIANCE` (a negative one).
 */
export function clusterCovariance(
  cov: Matrix,
  method: LinkageMethod,
  leafOrder: LeafOrder = 'dendrogram',
): { linkage: LinkageMatrix; order: number[] } {
  const distance = covarianceDistances(cov);
  // Every method but single linkage overwrites its distances, which the leaf ordering reads afterwards.
  const work =
    method !== 'single' && leafOrder === 'optimal'
      ? { rows: distance.rows, cols: distance.cols, data: distance.data.slice() }
      : distance;
  const tree = linkageOfSymmetric(work, method);
  const z = leafOrder === 'optimal' ? optimalLeafOrdering(tree, distance) : tree;
  return { linkage: z, order: preOrderLeaves(z) };
}

function checkBounds(n: number, lo: number, hi: number): void {
  const fail = (message: string): never => {
    throw new QuantError('E_INFEASIBLE_BOUNDS', message, {
      hint: `choose 0 ≤ min_weight ≤ 1/${n} ≤ max_weight ≤ 1`,
      details: { assets: n, min_weight: lo, max_weight: hi },
    });
  };
  // A negative minimum or a maximum above 1 can never bind, so they are allowed (as no bound).
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    fail(`weight bounds [${lo}, ${hi}] must be finite with min ≤ max`);
  }
  if (n * lo > 1 + BOUND_TOLERANCE) fail(`${n} assets x min_weight ${lo} = ${n * lo} > 1`);
  if (n * hi < 1 - BOUND_TOLERANCE) fail(`${n} assets x max_weight ${hi} = ${n * hi} < 1`);
}

function bisect(
  cov: Matrix,
  order: readonly number[],
  lo: number,
  hi: number,
): { weights: Float64Array; bisections: HrpBisection[] } {
  const n = order.length;
  const bounded = lo > 0 || hi < 1;
  const weights = new Float64Array(n).fill(1);
  const bisections: HrpBisection[] = [];
  // Every range the bisection measures lies in one half of the first split, so the two diagonal blocks
  // of Σ in leaf order hold all it reads, in contiguous rows: gathered once (n²/2 entries) instead of
  // once per level through the leaf order.
  const half = n >> 1;
  const blocks = [orderedBlock(cov, order, 0, half), orderedBlock(cov, order, half, n)] as const;
  const scratch = new Float64Array(n - half);
  const variance = (start: number, end: number): number =>
    end <= half
      ? clusterVariance(blocks[0], half, start, end, scratch)
      : clusterVariance(blocks[1], n - half, start - half, end - half, scratch);
  const queue: number[] = [0, n];
  for (let head = 0; head < queue.length; head += 2) {
    const start = queue[head] as number;
    const end = queue[head + 1] as number;
    if (end - start < 2) continue;
    const mid = start + ((end - start) >> 1);
    const vL = variance(start, mid);
    const vR = variance(mid, end);
    const rawAlpha = vL + vR === 0 ? 0.5 : 1 - vL / (vL + vR);
    const parent = weights[order[start] as number] as number;
    let alpha = rawAlpha;
    if (bounded && parent > 0) {
      alpha = Math.min((hi * (mid - start)) / parent, Math.max((lo * (mid - start)) / parent, alpha));
      alpha = 1 - Math.min((hi * (end - mid)) / parent, Math.max((lo * (end - mid)) / parent, 1 - alpha));
    }
    for (let p = start; p < mid; p++)
      weights[order[p] as number] = (weights[order[p] as number] as number) * alpha;
    for (let p = mid; p < end; p++)
      weights[order[p] as number] = (weights[order[p] as number] as number) * (1 - alpha);
    bisections.push({
      start,
      mid,
      end,
      weight: parent,
      leftVariance: vL,
      rightVariance: vR,
      rawAlpha,
      alpha,
    });
    queue.push(start, mid, mid, end);
  }
  return { weights, bisections };
}

/** Σ[order[a]][order[b]] for positions a, b in [start, end), row-major (end − start)². */
function orderedBlock(cov: Matrix, order: readonly number[], start: number, end: number): Float64Array {
  const n = cov.rows;
  const c = cov.data;
  const size = end - start;
  const columns = Int32Array.from(order.slice(start, end));
  const block = new Float64Array(size * size);
  for (let a = 0; a < size; a++) {
    const row = (columns[a] as number) * n;
    const out = a * size;
    for (let b = 0; b < size; b++) block[out + b] = c[row + (columns[b] as number)] as number;
  }
  return block;
}

/**
 * Variance of the inverse-variance portfolio of positions [start, end) of an ordered block of Σ
 * ({@link orderedBlock}, `size` x `size`): w̃ᵀΣw̃, w̃ᵢ = (1/σᵢ²)/Σ(1/σⱼ²). With a zero variance inside, the
 * portfolio tends to the riskless assets and the variance to 0. `w` is scratch of at least end − start.
 */
function clusterVariance(
  block: Float64Array,
  size: number,
  start: number,
  end: number,
  w: Float64Array,
): number {
  const m = end - start;
  let total = 0;
  for (let a = 0; a < m; a++) {
    const v = block[(start + a) * (size + 1)] as number;
    const inverse = 1 / v;
    // 0, or so small that 1/σ² overflows: riskless in the limit.
    if (inverse === Infinity) return 0;
    w[a] = inverse;
    total += inverse;
  }
  for (let a = 0; a < m; a++) w[a] = (w[a] as number) / total;
  let variance = 0;
  for (let a = 0; a < m; a++) {
    const row = (start + a) * size + start;
    let s = 0;
    for (let b = 0; b < m; b++) s += (block[row + b] as number) * (w[b] as number);
    variance += (w[a] as number) * s;
  }
  // A PSD matrix can still round to a tiny negative quadratic form (e.g. ρ = −1 pairs); a negative
  // variance would push α outside [0, 1] and a weight below 0.
  return variance > 0 ? variance : 0;
}

function treeNodes(z: LinkageMatrix, weights: Float64Array): HrpTreeNode[] {
  const n = weights.length;
  const nodes: HrpTreeNode[] = [];
  const mass = new Float64Array(2 * n - 1);
  for (let i = 0; i < n; i++) {
    mass[i] = weights[i] as number;
    nodes.push({ id: i, left: null, right: null, height: 0, count: 1, weight: weights[i] as number });
  }
  for (let k = 0; k < n - 1; k++) {
    const a = z.data[k * 4] as number;
    const b = z.data[k * 4 + 1] as number;
    mass[n + k] = (mass[a] as number) + (mass[b] as number);
    nodes.push({
      id: n + k,
      left: a,
      right: b,
      height: z.data[k * 4 + 2] as number,
      count: z.data[k * 4 + 3] as number,
      weight: mass[n + k] as number,
    });
  }
  return nodes;
}
