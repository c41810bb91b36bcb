import { QuantError } from '../../errors.js';
import type { LinkageMatrix } from './linkage.js';

/**
 * How HRP orders the leaves before bisection: `dendrogram` = pre-order of the tree as built
 * (PyPortfolioOpt); `optimal` = after optimal leaf ordering (skfolio).
 */
export { LEAF_ORDERS, type LeafOrder } from '../../util/vocabulary.js';

/**
 * Leaves of a linkage tree in pre-order, left child first: `scipy.cluster.hierarchy.to_tree(Z).pre_order()`.
 * Each cluster's leaves form one contiguous run of the result (the quasi-diagonal order of López de
 * Prado 2016).
 *
 * @param z (n − 1) x 4 linkage matrix (SciPy format).
 * @returns a permutation of 0 … n − 1.
 * @throws QuantError `E_INPUT_VALUE` when a row refers to a cluster that does not exist yet.
 */
export function preOrderLeaves(z: LinkageMatrix): number[] {
  const n = z.rows + 1;
  const out: number[] = [];
  if (n === 1) return [0];
  const stack: number[] = [2 * n - 2];
  while (stack.length > 0) {
    const id = stack.pop() as number;
    if (id < n) {
      out.push(id);
      continue;
    }
    const row = (id - n) * 4;
    const left = z.data[row] as number;
    const right = z.data[row + 1] as number;
    if (!(left < id && right < id && left >= 0 && right >= 0)) {
      throw new QuantError('E_INPUT_VALUE', `linkage row ${id - n} refers to a cluster not formed before it`);
    }
    // Right first so that the left child is popped (visited) first.
    stack.push(right, left);
  }
  return out;
}

/**
 * Leaf ids in the order they appear left to right in the dendrogram: `scipy.cluster.hierarchy.leaves_list`
 * (the same sequence as {@link preOrderLeaves}).
 */
export function leavesList(z: LinkageMatrix): number[] {
  return preOrderLeaves(z);
}
