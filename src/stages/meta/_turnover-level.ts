/**
 * A level's `turnover` between the manifest and the optimizer: the reference weights over the level's
 * sleeves (a reference sleeve no longer in the level is sold in full: its weight is turnover the bound
 * must leave room for), the optimizer option, the `turnover` record of `meta_optimized` and the
 * `meta.turnover` ledger decision.
 */
import { QuantError, isQuantError } from '../../errors.js';
import { formatJsonPath, type MetaNode } from '../../manifest/index.js';
import type { TurnoverOptions } from '../../numeric/optimize/turnover.js';
import type { MetaEnv } from './_level.js';
import type { TurnoverRecord } from './_artifact-types.js';
import { levelReference, type LevelReference } from './_turnover-reference.js';
import { limitPaths, type SourcedRow } from './_level-limits.js';

export interface LevelTurnover {
  readonly reference: LevelReference;
  /** Absent when inactive. */
  readonly options?: TurnoverOptions;
  /** Reference weights of sleeves the level no longer holds. */
  readonly dropped: Readonly<Record<string, number>>;
}

const sumOf = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((s, w) => s + w, 0);

/** The level's turnover terms over the sleeves `ids`; undefined when the level sets no `turnover`. */
export async function levelTurnover(
  env: MetaEnv,
  node: MetaNode,
  ids: readonly string[],
): Promise<LevelTurnover | undefined> {
  const spec = node.turnover;
  const reference = await levelReference(env, node);
  if (spec === undefined || reference === undefined) return undefined;
  if (!reference.active) return { reference, dropped: {} };
  const dropped = Object.fromEntries(
    Object.entries(reference.weights).filter(([id, w]) => !ids.includes(id) && w > 0),
  );
  const gone = sumOf(dropped);
  const tau = spec.maxTurnover;
  if (tau !== undefined && gone > tau + 1e-12) {
    throw new QuantError(
      'E_INFEASIBLE_CONSTRAINTS',
      `meta profile ${node.profile} (${env.riskProfile}): max_turnover ${tau} < ${gone}, the reference weight of the sleeves no longer in the level (${Object.keys(dropped).join(', ')}) that must be sold`,
      {
        location: { file: env.resolved.doc.manifest_file, jsonPath: turnoverPath(node, 'max_turnover') },
        hint: `raise max_turnover to at least ${gone}`,
        details: { constraints: ['max_turnover'], max_turnover: tau, minimum_turnover: gone },
      },
    );
  }
  return {
    reference,
    dropped,
    options: {
      reference: ids.map((id) => reference.weights[id] ?? 0),
      ...(tau === undefined ? {} : { maxTurnover: Math.max(0, tau - gone) }),
      ...(spec.penalty === undefined ? {} : { penalty: spec.penalty }),
    },
  };
}

function turnoverPath(node: MetaNode, key: string): string {
  return formatJsonPath(['profiles', node.profile, 'turnover', key]);
}

/**
 * E_INFEASIBLE_CONSTRAINTS of the turnover bound, located at the level's `max_turnover`, with the JSON
 * paths of the limits the reference weights break (the level's bounds, group limits, exposure caps
 * `caps` over the sleeves `ids`).
 */
export function locateTurnoverError(
  error: unknown,
  env: MetaEnv,
  node: MetaNode,
  ids: readonly string[],
  caps: readonly SourcedRow[],
): unknown {
  if (!isQuantError(error) || error.code !== 'E_INFEASIBLE_CONSTRAINTS') return error;
  const names = error.details['constraints'];
  if (!Array.isArray(names) || !names.includes('max_turnover')) return error;
  const sides = error.details['sides'];
  const tau = turnoverPath(node, 'max_turnover');
  const forcing = limitPaths(
    node,
    ids,
    names as string[],
    Array.isArray(sides) ? (sides as string[]) : [],
    caps,
  );
  const paths = [tau, ...forcing];
  return new QuantError(
    error.code,
    `meta profile ${node.profile} (${env.riskProfile}): ${error.message.replace(/^infeasible constraints: /, '')}; set at ${paths.join(', ')}`,
    {
      location: { file: env.resolved.doc.manifest_file, jsonPath: tau },
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      details: { ...error.details, json_paths: paths },
      cause: error,
    },
  );
}

const byId = (ids: readonly string[], values: readonly number[]): Record<string, number> =>
  Object.fromEntries(ids.map((id, i) => [id, values[i] as number]));

/** The `turnover` record of the level's `meta_optimized` from the optimizer's diagnostics. */
export function turnoverRecord(
  node: MetaNode,
  level: LevelTurnover,
  ids: readonly string[],
  diagnostics: Readonly<Record<string, unknown>>,
): TurnoverRecord {
  const spec = node.turnover ?? {};
  const base = { max_turnover: spec.maxTurnover ?? null, penalty: spec.penalty ?? 0 };
  const ref = level.reference;
  if (!ref.active) {
    const off = { active: false as const, reason: ref.reason, ...base };
    return { ...off, summary: turnoverLine(off) };
  }
  const d = diagnostics['turnover'] as {
    solver: 'exact_sign_pattern' | 'projection';
    achieved: number;
    minimum: number;
    binding: boolean;
    before: { weights: number[]; turnover: number };
    kkt_max_violation: number;
  };
  const gone = sumOf(level.dropped);
  const on = {
    active: true as const,
    source: ref.source,
    ...(ref.source === 'previous_run' ? { reference_run_id: ref.from } : { holdings_file: ref.from }),
    reference: byId(ids, Array.from(level.options?.reference ?? [])),
    ...(gone > 0 ? { dropped: level.dropped } : {}),
    ...base,
    achieved: d.achieved + gone,
    minimum: d.minimum + gone,
    binding: d.binding,
    solver: d.solver,
    before: { weights: byId(ids, d.before.weights), turnover: d.before.turnover + gone },
    kkt_max_violation: d.kkt_max_violation,
  };
  return { ...on, summary: turnoverLine(on) };
}

/**
 * What `quant meta validate` finds wrong with a level's `turnover` record: the turnover of the weights
 * from the recorded reference (sold sleeves included) differs from `achieved`, or exceeds the manifest's
 * `max_turnover`, by more than `tolerance`. Empty when the record is inactive or absent.
 */
export function turnoverViolations(
  node: MetaNode,
  weights: Readonly<Record<string, number>>,
  record: TurnoverRecord | undefined,
  tolerance: number,
): string[] {
  if (record === undefined || !record.active) return [];
  const ids = Object.keys(weights);
  const moved =
    ids.reduce((s, id) => s + Math.abs((weights[id] as number) - (record.reference[id] ?? 0)), 0) +
    sumOf(record.dropped ?? {});
  const out: string[] = [];
  if (Math.abs(moved - record.achieved) > tolerance)
    out.push(`turnover from the reference is ${moved}, the record says ${record.achieved}`);
  const tau = node.turnover?.maxTurnover;
  if (tau !== undefined && moved > tau + tolerance) out.push(`turnover ${moved} above max_turnover ${tau}`);
  return out;
}

/** The `meta.turnover` ledger decision. */
export async function recordTurnover(env: MetaEnv, node: MetaNode, record: TurnoverRecord): Promise<void> {
  await env.ctx.decision('meta.turnover', {
    meta_profile: node.profile,
    risk_profile: env.riskProfile,
    ...record,
  });
}

type Unsummarised = TurnoverRecord extends infer R ? (R extends unknown ? Omit<R, 'summary'> : never) : never;

/** One line for the report: reference, turnover reached, bound and penalty. */
function turnoverLine(record: Unsummarised): string {
  if (!record.active) return `Turnover limit inactive: ${record.reason}.`;
  const from =
    record.source === 'previous_run' ? `run ${record.reference_run_id}` : `holdings ${record.holdings_file}`;
  const bound =
    record.max_turnover === null
      ? 'no bound'
      : `bound ${pct(record.max_turnover)}${record.binding ? ' (binding)' : ' (not binding)'}`;
  const penalty = record.penalty > 0 ? `, penalty ${record.penalty}` : '';
  return `Turnover from ${from}: ${pct(record.achieved)} (${bound}${penalty}; ${pct(record.before.turnover)} without the turnover terms).`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
