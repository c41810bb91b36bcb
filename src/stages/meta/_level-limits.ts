/**
 * The limits of a meta level beyond its uniform `meta_allocation` box: each sleeve's own `min_weight` /
 * `max_weight` and the level's `group_limits` over sleeve `tags`. One source for the optimizer's
 * constraints, the feasibility check before any optimisation, the `limits` rows of `meta_optimized` and
 * the checks of `quant meta validate`.
 */
import { QuantError, isQuantError } from '../../errors.js';
import { formatJsonPath, walkMetaTree, type MetaNode } from '../../manifest/index.js';
import {
  assertFeasibleLinearConstraints,
  createLinearConstraints,
  type LinearConstraintRow,
  type LinearConstraints,
} from '../../numeric/optimize/linear-constraints.js';
import type { LevelLimitRow } from './_artifact-types.js';

/** `quant meta validate` accepts a realised weight this far outside a limit (rounding of the solvers). */
export const LIMIT_TOLERANCE = 1e-9;

/** A sleeve's `[min, max]`: its own bounds where set, the level's box otherwise. */
function sleeveRange(node: MetaNode, id: string): { min: number; max: number } {
  const own = node.sleeveBounds?.[id];
  return { min: own?.min ?? node.bounds.minWeight, max: own?.max ?? node.bounds.maxWeight };
}

/** The group limits over the sleeves `ids`: one per tag that at least one of them carries. */
function groupsOver(
  node: MetaNode,
  ids: readonly string[],
): { tag: string; members: string[]; min: number; max: number }[] {
  return Object.entries(node.groupLimits ?? {}).flatMap(([tag, [min, max]]) => {
    const members = ids.filter((id) => node.tags?.[id]?.includes(tag) === true);
    return members.length === 0 ? [] : [{ tag, members, min, max }];
  });
}

/**
 * The level's weight limits over the sleeves `ids`: the box of `meta_allocation` with each sleeve's own
 * `min_weight` / `max_weight` in its place (per-sleeve arrays only when a sleeve sets one), and one
 * constraint `group <tag>` per `group_limits` entry whose tag an included sleeve carries.
 */
export function levelLimits(
  node: MetaNode,
  ids?: readonly string[],
  extra: readonly LinearConstraintRow[] = [],
): { minWeight: number | Float64Array; maxWeight: number | Float64Array; constraints?: LinearConstraints } {
  const box = { minWeight: node.bounds.minWeight, maxWeight: node.bounds.maxWeight };
  if (ids === undefined) return box;
  const own = node.sleeveBounds !== undefined;
  const rows: LinearConstraintRow[] = groupsOver(node, ids).map(({ tag, members, min, max }) => ({
    name: `group ${tag}`,
    coefficients: ids.map((id) => (members.includes(id) ? 1 : 0)),
    lower: min,
    upper: max,
  }));
  rows.push(...extra);
  return {
    minWeight: own ? Float64Array.from(ids, (id) => sleeveRange(node, id).min) : box.minWeight,
    maxWeight: own ? Float64Array.from(ids, (id) => sleeveRange(node, id).max) : box.maxWeight,
    ...(rows.length === 0 ? {} : { constraints: createLinearConstraints(ids.length, rows) }),
  };
}

/** The `limits` of a level's optimized doc (absent when the level has only its uniform box). */
export function limitRows(
  node: MetaNode,
  ids: readonly string[],
  weights: Readonly<Record<string, number>>,
): { limits?: LevelLimitRow[] } {
  const rows: LevelLimitRow[] = [];
  const row = (
    name: string,
    kind: LevelLimitRow['kind'],
    members: string[],
    min: number,
    max: number,
  ): void => {
    const value = members.reduce((s, id) => s + (weights[id] ?? 0), 0);
    const binding = Math.abs(value - min) <= LIMIT_TOLERANCE || Math.abs(value - max) <= LIMIT_TOLERANCE;
    rows.push({ name, kind, members, min, max, value, binding });
  };
  for (const id of ids) {
    if (node.sleeveBounds?.[id] === undefined) continue;
    const { min, max } = sleeveRange(node, id);
    row(`sleeve ${id}`, 'sleeve', [id], min, max);
  }
  for (const g of groupsOver(node, ids)) row(`group ${g.tag}`, 'group', g.members, g.min, g.max);
  return rows.length === 0 ? {} : { limits: rows };
}

/**
 * Every limit of the level that `weights` (by sleeve id) breaks by more than {@link LIMIT_TOLERANCE}:
 * each sleeve's range (own bounds or the box) and each group limit whose tag a weighted sleeve carries.
 */
export function limitViolations(node: MetaNode, weights: Readonly<Record<string, number>>): string[] {
  const ids = Object.keys(weights);
  const out: string[] = [];
  const outside = (value: number, min: number, max: number): boolean =>
    value < min - LIMIT_TOLERANCE || value > max + LIMIT_TOLERANCE;
  for (const id of ids) {
    const { min, max } = sleeveRange(node, id);
    const w = weights[id] as number;
    if (outside(w, min, max)) out.push(`weight of ${id} is ${w}, outside [${min}, ${max}]`);
  }
  for (const g of groupsOver(node, ids)) {
    const sum = g.members.reduce((s, id) => s + (weights[id] as number), 0);
    if (outside(sum, g.min, g.max))
      out.push(`group ${g.tag} (${g.members.join(' + ')}) is ${sum}, outside [${g.min}, ${g.max}]`);
  }
  return out;
}

/** Where the manifest sets sleeve `id`'s lower and upper weight: its own bound, else the level's box. */
function sleeveBoundPaths(node: MetaNode, id: string): SourcedRow['paths'] {
  const at = (...rest: (string | number)[]): string => formatJsonPath(['profiles', node.profile, ...rest]);
  const j = node.sleeves.findIndex((s) => s.id === id);
  const own = node.sleeveBounds?.[id];
  return {
    min: own?.min === undefined ? at('meta_allocation', 'min_weight') : at('sleeves', j, 'min_weight'),
    max: own?.max === undefined ? at('meta_allocation', 'max_weight') : at('sleeves', j, 'max_weight'),
  };
}

/**
 * The manifest JSON paths of the level's limits named by an optimizer error (`constraints[k]` on side
 * `sides[k]`): the box rows `weight of sleeve <id>`, the `sleeve <id>` and `group <tag>` rows and the
 * `extra` rows (exposure caps); names that are none of these (max_turnover, the budget) have none.
 */
export function limitPaths(
  node: MetaNode,
  ids: readonly string[],
  names: readonly string[],
  sides: readonly string[],
  extra: readonly SourcedRow[] = [],
): string[] {
  const rows = [...sourcedRows(node, ids), ...extra];
  const paths = names.flatMap((name, k) => {
    const box = /^weight of sleeve (.+)$/.exec(name)?.[1];
    const row = rows.find((r) => r.name === name);
    const at = box !== undefined && ids.includes(box) ? sleeveBoundPaths(node, box) : row?.paths;
    return at === undefined ? [] : [sides[k] === 'max' ? at.max : at.min];
  });
  return [...new Set(paths)];
}

/** A limit of the feasibility check and where the manifest sets each of its sides. */
export interface SourcedRow extends LinearConstraintRow {
  readonly paths: { readonly min: string; readonly max: string };
}

/** The level's limits over `ids` as rows (a sleeve row only when its range is narrower than [0, 1]). */
function sourcedRows(node: MetaNode, ids: readonly string[]): SourcedRow[] {
  const base = ['profiles', node.profile];
  const at = (...rest: (string | number)[]): string => formatJsonPath([...base, ...rest]);
  const rows: SourcedRow[] = [];
  for (const id of ids) {
    const { min, max } = sleeveRange(node, id);
    if (min <= 0 && max >= 1) continue;
    rows.push({
      name: `sleeve ${id}`,
      coefficients: ids.map((x) => (x === id ? 1 : 0)),
      lower: min,
      upper: max,
      paths: sleeveBoundPaths(node, id),
    });
  }
  for (const g of groupsOver(node, ids)) {
    const path = at('group_limits', g.tag);
    rows.push({
      name: `group ${g.tag}`,
      coefficients: ids.map((id) => (g.members.includes(id) ? 1 : 0)),
      lower: g.min,
      upper: g.max,
      paths: { min: path, max: path },
    });
  }
  return rows;
}

/**
 * Throw E_INFEASIBLE_CONSTRAINTS unless some weights of the sleeves `ids` satisfy the level's box, every
 * sleeve's own bounds, every group limit and the `extra` rows (exposure caps) together (exact: a Farkas
 * certificate). The message names
 * the conflicting limits with their arithmetic and the manifest JSON path of each. Levels with only the
 * uniform box are left to the schema's check.
 */
export function assertLevelLimitsFeasible(
  node: MetaNode,
  ids: readonly string[],
  file?: string,
  extra: readonly SourcedRow[] = [],
  riskProfile?: string,
): void {
  const none = node.sleeveBounds === undefined && node.groupLimits === undefined && extra.length === 0;
  if (ids.length < 2 || none) return;
  const rows = [...sourcedRows(node, ids), ...extra];
  if (rows.length === 0) return;
  try {
    assertFeasibleLinearConstraints(createLinearConstraints(ids.length, rows), 0, 1);
  } catch (error) {
    if (!isQuantError(error) || error.code !== 'E_INFEASIBLE_CONSTRAINTS') throw error;
    const names = (error.details['constraints'] ?? []) as string[];
    const sides = (error.details['sides'] ?? []) as string[];
    const paths = limitPaths(node, ids, names, sides, extra);
    const arithmetic = error.message.replace(/^infeasible constraints: /, '');
    const subset = ids.length === node.sleeves.length ? '' : ` (with the included sleeves ${ids.join(', ')})`;
    // Exposure caps are rows of the risk profile's flattened holdings: another risk profile may hold.
    const caps = extra.some((r) => names.includes(r.name));
    const where = riskProfile === undefined ? '' : ` (${riskProfile})`;
    throw new QuantError(
      'E_INFEASIBLE_CONSTRAINTS',
      `infeasible limits in meta profile ${node.profile}${where}${subset}: ${arithmetic}; set at ${paths.join(', ')}`,
      {
        hint:
          caps && riskProfile !== undefined
            ? `loosen one of these limits, or leave ${riskProfile} out (--profiles): exposure caps bind on each risk profile's holdings`
            : 'loosen one of these limits',
        ...(paths[0] === undefined
          ? {}
          : { location: { ...(file === undefined ? {} : { file }), jsonPath: paths[0] } }),
        details: {
          constraints: names.filter((n) => rows.some((r) => r.name === n)),
          json_paths: paths,
          lower_sum: error.details['lower_sum'],
          upper_sum: error.details['upper_sum'],
        },
      },
    );
  }
}

/** {@link assertLevelLimitsFeasible} on every level of the tree with all its sleeves, before any data is read. */
export function assertTreeLimitsFeasible(root: MetaNode, file?: string): void {
  for (const node of walkMetaTree(root)) {
    assertLevelLimitsFeasible(
      node,
      node.sleeves.map((s) => s.id),
      file,
    );
  }
}
