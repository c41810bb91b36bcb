/**
 * The cluster tree behind HRP, exported for library callers: the same distance, linkage and leaf order
 * as `optimizePortfolio(..., { method: 'hrp' })`, from returns or from a covariance matrix.
 */
import { z } from 'zod';
import { QuantError } from '../errors.js';
import { sampleCovariance } from '../numeric/covariance/sample-covariance.js';
import { ledoitWolfCovariance } from '../numeric/covariance/ledoit-wolf.js';
import type { LinkageMatrix } from '../numeric/cluster/linkage.js';
import { clusterCovariance } from '../numeric/optimize/hierarchical-risk-parity.js';
import { matrixToRows, type Matrix } from '../numeric/linalg/matrix.js';
import { optimizeOptionSchemas as fields } from '../stages/index.js';
import type { CovarianceEstimator, LeafOrder, LinkageMethod } from '../util/vocabulary.js';
import { parseOptions } from './building-blocks.js';
import { describeValue } from '../util/describe-value.js';
import {
  resolveAssetNames,
  resolveReturns,
  type LabelledReturns,
  type MatrixInput,
  type ReturnsInput,
  type RowsInput,
} from './returns-input.js';
import { assertPositiveSemidefinite, checkCovariance } from '../numeric/optimize/covariance-input.js';

/** A covariance matrix given instead of returns (an {@link estimateCovariance} result fits). */
export interface CovarianceInput {
  /** n × n, symmetric, finite, non-negative diagonal; rows and columns in asset order. */
  readonly matrix: readonly (readonly number[])[];
  /** Asset names, one per row: the tree's leaves are then labelled. */
  readonly assets?: readonly string[];
  /** Carried by an `estimateCovariance` result; not read. */
  readonly estimator?: string;
  /** Carried by an `estimateCovariance` result; not read. */
  readonly shrinkage?: number;
}

/** A covariance with its asset names (a labelled `estimateCovariance` result fits). */
export interface LabelledCovarianceInput extends CovarianceInput {
  readonly assets: readonly string[];
}

/** A covariance without asset names (an unlabelled `estimateCovariance` result fits). */
export interface UnlabelledCovarianceInput extends CovarianceInput {
  readonly assets?: never;
}

/** Options of {@link hrpTree}: the `hrp` options of `optimizePortfolio` that shape the tree. */
export interface HrpTreeOptions {
  /** Linkage criterion: `single` (default, López de Prado 2016), `complete`, `average` or `ward`. */
  readonly linkage?: LinkageMethod;
  /** `dendrogram` (default: the tree as built) or `optimal` (optimal leaf ordering first). */
  readonly leafOrder?: LeafOrder;
  /** From returns: `sample` (default) or `ledoit_wolf` covariance. Not allowed with a covariance input. */
  readonly covariance?: CovarianceEstimator;
}

/** One cluster of the tree; a leaf is one asset. */
export interface ClusterNode {
  /** SciPy's id: leaves 0 … n − 1 are the assets by column, merge k is n + k. */
  readonly id: number;
  /** Merge distance; 0 for a leaf. */
  readonly height: number;
  /** Number of assets below. */
  readonly count: number;
  /** A leaf's asset name (labelled input). */
  readonly asset?: string;
  /** A merge's two clusters, left first (as in `order`); absent on a leaf. */
  readonly children?: readonly [ClusterNode, ClusterNode];
}

/** The HRP cluster tree in three forms. */
export interface HrpTree {
  readonly linkageMethod: LinkageMethod;
  readonly leafOrder: LeafOrder;
  /**
   * SciPy's linkage matrix `Z`: (n − 1) rows `[a, b, height, count]`, row k merging clusters a and b
   * into cluster n + k (ids < n are assets by column); identical to
   * `scipy.cluster.hierarchy.linkage(squareform(D), method)` on the distance D = √((1 − ρ)/2), after
   * `optimal_leaf_ordering` with `leafOrder: 'optimal'`.
   */
  readonly linkage: number[][];
  /** Asset columns in the quasi-diagonal order HRP bisects (the dendrogram's leaves left to right). */
  readonly order: number[];
  /** The root of the nested tree. */
  readonly tree: ClusterNode;
  /** The asset names of a labelled input, in input order. */
  readonly assets?: readonly string[];
  /** The asset names in `order` (labelled input). */
  readonly orderedAssets?: readonly string[];
}

/** The {@link HrpTree} of a labelled input (returns or covariance with asset names): the names are there. */
export interface LabelledHrpTree extends HrpTree {
  readonly assets: readonly string[];
  readonly orderedAssets: readonly string[];
}

/** The {@link HrpTree} of an unlabelled input: no asset names. */
export interface UnlabelledHrpTree extends HrpTree {
  readonly assets?: never;
  readonly orderedAssets?: never;
}

const treeOptions = z.strictObject({
  linkage: fields.linkage.optional(),
  leafOrder: fields.leafOrder.optional(),
  covariance: fields.covariance.optional(),
});

/**
 * The hierarchical clustering HRP bisects: distances dᵢⱼ = √(clip((1 − ρᵢⱼ)/2, 0, 1)) on the
 * correlation of the covariance, agglomerative linkage identical to SciPy's, and the leaf order. The
 * same tree as `optimizePortfolio(returns, { method: 'hrp', linkage, leafOrder })` uses (its
 * `tree.linkage`), as a SciPy linkage matrix, a leaf order and a nested tree with asset names.
 *
 * `input` is a returns table (any shape `optimizePortfolio` takes; the covariance is estimated with
 * `options.covariance`) or `{ matrix, assets? }`, a covariance (an `estimateCovariance` result fits).
 * A labelled input (`{ assets, returns }`, or a covariance with `assets`) types `assets` and
 * `orderedAssets` as present ({@link LabelledHrpTree}); an unlabelled one as absent.
 * Every argument is checked first (`E_PARAMS` naming it, the value received and what is allowed;
 * unknown options with a did-you-mean).
 *
 * @example
 * ```ts
 * const t = hrpTree({ assets: ['A', 'B', 'C'], returns: rows }, { linkage: 'ward' });
 * t.linkage; // [[a, b, height, count], …] as SciPy
 * t.orderedAssets; // ['B', 'A', 'C']
 * ```
 */
export function hrpTree(
  input: LabelledReturns | LabelledCovarianceInput,
  options?: HrpTreeOptions,
): LabelledHrpTree;
export function hrpTree(
  input: MatrixInput | RowsInput | UnlabelledCovarianceInput,
  options?: HrpTreeOptions,
): UnlabelledHrpTree;
export function hrpTree(input: ReturnsInput | CovarianceInput, options?: HrpTreeOptions): HrpTree;
export function hrpTree(input: ReturnsInput | CovarianceInput, options: HrpTreeOptions = {}): HrpTree {
  const o = parseOptions(treeOptions, options, 'hrpTree');
  const { cov, assets } = isCovarianceInput(input)
    ? { ...resolveCovariance(input), ...refuseEstimator(o.covariance) }
    : covarianceOfReturns(input, o.covariance ?? 'sample');
  const linkageMethod = o.linkage ?? 'single';
  const leafOrder = o.leafOrder ?? 'dendrogram';
  const { linkage: built, order } = clusterCovariance(cov, linkageMethod, leafOrder);
  return {
    linkageMethod,
    leafOrder,
    linkage: matrixToRows(built),
    order,
    tree: nestedTree(built, assets),
    ...(assets === undefined ? {} : { assets, orderedAssets: order.map((j) => assets[j] as string) }),
  };
}

interface Resolved {
  readonly cov: Matrix;
  readonly assets: readonly string[] | undefined;
}

function isCovarianceInput(input: unknown): input is CovarianceInput {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && 'matrix' in input;
}

function refuseEstimator(estimator: CovarianceEstimator | undefined): Record<string, never> {
  if (estimator !== undefined) {
    throw new QuantError(
      'E_PARAMS',
      `hrpTree: options.covariance: received ${describeValue(estimator)}; expected nothing with a covariance input (the matrix is the covariance)`,
      { hint: 'pass returns to estimate the covariance, or drop options.covariance' },
    );
  }
  return {};
}

function covarianceOfReturns(input: unknown, estimator: CovarianceEstimator): Resolved {
  const { matrix, assets } = resolveReturns(input);
  const cov =
    estimator === 'ledoit_wolf' ? ledoitWolfCovariance(matrix).covariance : sampleCovariance(matrix);
  return { cov, assets };
}

const COVARIANCE_KEYS = ['matrix', 'assets', 'estimator', 'shrinkage'];

/** A square, symmetric, finite covariance given as rows, with its optional asset names. */
function resolveCovariance(input: CovarianceInput): Resolved {
  for (const key of Object.keys(input)) {
    if (!COVARIANCE_KEYS.includes(key)) {
      throw new QuantError(
        'E_PARAMS',
        `covariance.${key}: unknown key; allowed: ${COVARIANCE_KEYS.join(', ')}`,
      );
    }
  }
  if (!Array.isArray(input.matrix)) {
    throw new QuantError(
      'E_PARAMS',
      `covariance.matrix: received ${describeValue(input.matrix)}; expected an n × n array of rows`,
    );
  }
  const cov = resolveReturns(input.matrix, 'covariance.matrix').matrix;
  const n = cov.rows;
  if (cov.cols !== n) {
    throw new QuantError(
      'E_PARAMS',
      `covariance.matrix: received ${cov.rows} × ${cov.cols}; expected a square matrix (one row and column per asset)`,
    );
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = cov.data[i * n + j] as number;
      const b = cov.data[j * n + i] as number;
      if (Math.abs(a - b) > 1e-12 * Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE)) {
        throw new QuantError(
          'E_PARAMS',
          `covariance.matrix[${i}][${j}] = ${a} but [${j}][${i}] = ${b}; expected a symmetric matrix`,
        );
      }
    }
  }
  // Variances ≥ 0 and no correlation above 1, as every optimizer checks (a distance would clip it to 0).
  if (n >= 2) checkCovariance(cov);
  if (input.assets === undefined) {
    if (n >= 2) assertPositiveSemidefinite(cov);
    return { cov, assets: undefined };
  }
  const assets = resolveAssetNames(input.assets, 'covariance.assets');
  if (assets.length !== n) {
    throw new QuantError(
      'E_PARAMS',
      `covariance.assets: received ${assets.length} names; expected ${n}, one per row of the matrix`,
    );
  }
  if (n >= 2) assertPositiveSemidefinite(cov, assets);
  return { cov, assets };
}

/** The nested tree of a linkage matrix, built bottom up (no recursion: a chain may be n deep). */
function nestedTree(z: LinkageMatrix, assets: readonly string[] | undefined): ClusterNode {
  const n = z.rows + 1;
  const nodes: ClusterNode[] = [];
  for (let j = 0; j < n; j++) {
    nodes.push({
      id: j,
      height: 0,
      count: 1,
      ...(assets === undefined ? {} : { asset: assets[j] as string }),
    });
  }
  for (let k = 0; k < z.rows; k++) {
    const left = nodes[z.data[4 * k] as number] as ClusterNode;
    const right = nodes[z.data[4 * k + 1] as number] as ClusterNode;
    nodes.push({
      id: n + k,
      height: z.data[4 * k + 2] as number,
      count: z.data[4 * k + 3] as number,
      children: [left, right],
    });
  }
  return nodes[nodes.length - 1] as ClusterNode;
}
