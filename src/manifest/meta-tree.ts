import { QuantError } from '../errors.js';
import {
  PORTFOLIO_METHODS,
  RISK_PROFILE_ORDER,
  canonicalMethod,
  type PortfolioMethod,
} from '../util/vocabulary.js';
import { formatJsonPath, type JsonPath } from './_json-path.js';
import { ownValue } from '../util/own.js';
import { didYouMean, closestMatches as suggest } from '../util/suggest.js';
import {
  isMetaProfile,
  type BenchmarkSpec,
  type Manifest,
  type MetaAllocation,
  type MetaProfile,
  type Rebalancing,
  type RiskFreeSpec,
} from './schema.js';
import { assertProfilesUsable } from './profile-usage.js';

/** DESIGN §3: a meta profile nests at most this deep (the root is depth 1). */
const MAX_META_DEPTH = 4;

/** A sleeve of a meta node: an atomic sleeve (a sleeve profile, maybe pinned to a run) or a nested meta. */
export type MetaSleeve =
  | {
      readonly id: string;
      readonly kind: 'atomic';
      readonly profile: string;
      readonly runId?: string;
      /** The pin accepts a failed or incomplete run (`allow_unsuccessful: true`). */
      readonly allowUnsuccessful?: true;
    }
  | { readonly id: string; readonly kind: 'meta'; readonly node: MetaNode };

/** One meta profile of a resolved tree. */
export interface MetaNode {
  readonly profile: string;
  /** Profile names from the root to this node, both included. */
  readonly path: readonly string[];
  /** The root is depth 1. */
  readonly depth: number;
  readonly sleeves: readonly MetaSleeve[];
  readonly bounds: { readonly minWeight: number; readonly maxWeight: number };
  /** `meta_allocation` with its defaults applied. */
  readonly allocation: MetaAllocation;
  /** The node's declared `risk_profiles` (aliases normalised), if any. */
  readonly riskProfiles?: readonly PortfolioMethod[];
  readonly features: { readonly directionalSignTestGate: boolean };
  /** `benchmarks` as declared (empty when none). */
  readonly benchmarks: readonly BenchmarkSpec[];
  /** `risk_free`, if declared. */
  readonly riskFree?: RiskFreeSpec;
  /** `max_data_age_days`: trades from older data are refused unless overridden. */
  readonly maxDataAgeDays?: number;
  /** `rebalancing`: how meta.backtest holds the weights between refits, when set. */
  readonly rebalancing?: Rebalancing;
  /** The entries' `risk_budget` by sleeve id (risk_parity), when the level sets them. */
  readonly riskBudget?: Readonly<Record<string, number>>;
  /** Sleeves' own `min_weight` / `max_weight` (overriding `bounds`), by sleeve id, when any is set. */
  readonly sleeveBounds?: Readonly<Record<string, { readonly min?: number; readonly max?: number }>>;
  /** The entries' `tags` by sleeve id. */
  readonly tags?: Readonly<Record<string, readonly string[]>>;
  /** `group_limits`: per tag `[min, max]` of the summed weight of the sleeves carrying it. */
  readonly groupLimits?: Readonly<Record<string, readonly [number, number]>>;
  /** `exposure_limits`: caps on the level's flattened physical positions. */
  readonly exposureLimits?: ExposureLimits;
  /** `turnover`: stay near the previous run's weights (or a holdings file). */
  readonly turnover?: TurnoverSpec;
}

/** How far a level may move from its reference weights (`turnover` of the manifest). */
export interface TurnoverSpec {
  readonly maxTurnover?: number;
  readonly penalty?: number;
  /** A CSV of sleeve weights (relative to the manifest's folder) instead of the previous run. */
  readonly holdings?: string;
}

/** Caps on |net weight| per physical symbol (`maxWeight` default, `symbols` overrides) and per prefix. */
export interface ExposureLimits {
  readonly maxWeight?: number;
  readonly symbols?: Readonly<Record<string, number>>;
  readonly prefixes?: Readonly<Record<string, number>>;
}

export interface ResolveMetaTreeOptions {
  /** The manifest's path, for messages (default `manifest.json`). */
  readonly file?: string;
  /** Line lookup of the manifest text (`parseJsonWithLocations(...).lineOf`), to add lines to errors. */
  readonly lineOf?: (path: JsonPath) => { readonly line: number };
}

type MetaSleeveEntry = MetaProfile['sleeves'][number];
type Where = (path: JsonPath) => { file: string; jsonPath: string; line?: number };

/** What building the tree needs at every node: the manifest, its meta profile names, error locations. */
interface TreeScope {
  readonly manifest: Manifest;
  readonly file: string;
  readonly metaNames: readonly string[];
  readonly where: Where;
}

/** The root profile, if it is a meta profile; otherwise `E_UNKNOWN_PROFILE` with a suggestion. */
function resolveRootProfile(
  manifest: Manifest,
  rootProfile: string,
  file: string,
  metaNames: readonly string[],
): MetaProfile {
  const root = Object.hasOwn(manifest.profiles, rootProfile) ? manifest.profiles[rootProfile] : undefined;
  // A run that uses an invalid profile fails with all its problems; other invalid profiles do not matter.
  if (root !== undefined || ownValue(manifest.invalid, rootProfile) !== undefined)
    assertProfilesUsable(manifest, rootProfile, file);
  if (root === undefined) {
    const close = suggest(rootProfile, metaNames);
    const hint =
      close.length > 0
        ? `did you mean ${close.map((c) => `"${c}"`).join(' or ')}?`
        : metaNames.length > 0
          ? `meta profiles in the manifest: ${metaNames.slice(0, 10).join(', ')}${metaNames.length > 10 ? ', ...' : ''}`
          : 'the manifest declares no meta profile (one with "sleeves")';
    throw new QuantError('E_UNKNOWN_PROFILE', `profile "${rootProfile}" is not in ${file}`, {
      hint,
      location: { file },
    });
  }
  if (!isMetaProfile(root)) {
    throw new QuantError('E_UNKNOWN_PROFILE', `profile "${rootProfile}" is not a meta profile in ${file}`, {
      hint: `${rootProfile} is a sleeve profile: use quant sleeve run --profile ${rootProfile}`,
      location: { file, jsonPath: formatJsonPath(['profiles', rootProfile]) },
    });
  }
  return root;
}

/** Sleeve `j` of meta profile `name` that names a sleeve profile (`profile`), maybe pinned to a run. */
function atomicSleeve(scope: TreeScope, name: string, entry: MetaSleeveEntry, j: number): MetaSleeve {
  const target = entry.profile;
  const jsonPath: JsonPath = ['profiles', name, 'sleeves', j, 'profile'];
  const declared = target === undefined ? undefined : ownValue(scope.manifest.profiles, target);
  if (target === undefined || (declared !== undefined && isMetaProfile(declared))) {
    throw new QuantError(
      'E_MANIFEST',
      `sleeve "${entry.id}" of ${name} needs "profile" naming a sleeve profile`,
      {
        hint:
          target === undefined
            ? 'add "profile" or "meta_profile"'
            : `nest a meta profile with "meta_profile": "${target}"`,
        location: scope.where(jsonPath),
      },
    );
  }
  return {
    id: entry.id,
    kind: 'atomic',
    profile: target,
    ...(entry.run_id === undefined ? {} : { runId: entry.run_id }),
    ...(entry.allow_unsuccessful === true ? { allowUnsuccessful: true as const } : {}),
  };
}

/**
 * The meta profile `child` nested as sleeve `j` of `name`, checked against the chain of its ancestors:
 * a cycle is `E_CYCLE`, an unknown or sleeve profile `E_UNKNOWN_PROFILE`, too deep `E_DEPTH`.
 */
function nestedMetaProfile(
  scope: TreeScope,
  name: string,
  entry: MetaSleeveEntry,
  j: number,
  child: string,
  chain: readonly string[],
): MetaProfile {
  const jsonPath: JsonPath = ['profiles', name, 'sleeves', j, 'meta_profile'];
  if (chain.includes(child)) {
    const cycle = [...chain.slice(chain.indexOf(child)), child];
    throw new QuantError('E_CYCLE', `meta profiles nest in a cycle: ${cycle.join(' → ')}`, {
      hint: `remove one of these nestings (the cycle closes at ${formatJsonPath(jsonPath)})`,
      location: scope.where(jsonPath),
      details: { cycle },
    });
  }
  const { manifest, file } = scope;
  const nested = Object.hasOwn(manifest.profiles, child) ? manifest.profiles[child] : undefined;
  if (nested === undefined || !isMetaProfile(nested)) {
    throw new QuantError(
      'E_UNKNOWN_PROFILE',
      `meta profile "${child}" (sleeve "${entry.id}" of ${name}) is not in ${file}`,
      {
        hint:
          nested === undefined
            ? `declare it in ${file}${didYouMean(child, scope.metaNames)}`
            : `"${child}" is a sleeve profile: write "profile": "${child}"`,
        location: scope.where(jsonPath),
      },
    );
  }
  const childChain = [...chain, child];
  if (childChain.length > MAX_META_DEPTH) {
    throw new QuantError(
      'E_DEPTH',
      `nesting depth ${childChain.length} exceeds ${MAX_META_DEPTH}: ${childChain.join(' → ')}`,
      {
        hint: "flatten the tree: list the deepest meta profile's sleeves directly in its parent",
        location: scope.where(jsonPath),
        details: { chain: childChain },
      },
    );
  }
  return nested;
}

/** Every sleeve path under a node's sleeves (`inner`, `inner/alpha`, `gamma`), depth first. */
function sleevePaths(sleeves: readonly MetaSleeve[], prefix = ''): string[] {
  return sleeves.flatMap((s) => {
    const path = prefix === '' ? s.id : `${prefix}/${s.id}`;
    return s.kind === 'meta' ? [path, ...sleevePaths(s.node.sleeves, path)] : [path];
  });
}

/** `rebalancing.costs_bps` keys must name a sleeve or branch of this level: `E_MANIFEST` at the key. */
function checkCostKeys(
  scope: TreeScope,
  name: string,
  meta: MetaProfile,
  sleeves: readonly MetaSleeve[],
): void {
  const keys = Object.keys(meta.rebalancing?.costs_bps ?? {});
  if (keys.length === 0) return;
  const known = sleevePaths(sleeves);
  for (const key of keys) {
    if (known.includes(key)) continue;
    throw new QuantError(
      'E_MANIFEST',
      `rebalancing.costs_bps of ${name}: "${key}" names no sleeve of this meta profile${didYouMean(key, known)}`,
      {
        hint: `key the costs by sleeve id or path: ${known.join(', ')}`,
        location: scope.where(['profiles', name, 'rebalancing', 'costs_bps', key]),
      },
    );
  }
}

/** The node of meta profile `name` reached through `chain` (root first), its nested metas built too. */
function buildMetaNode(
  scope: TreeScope,
  name: string,
  meta: MetaProfile,
  chain: readonly string[],
): MetaNode {
  const sleeves = meta.sleeves.map((entry, j): MetaSleeve => {
    const child = entry.meta_profile;
    if (child === undefined) return atomicSleeve(scope, name, entry, j);
    const nested = nestedMetaProfile(scope, name, entry, j, child, chain);
    return { id: entry.id, kind: 'meta', node: buildMetaNode(scope, child, nested, [...chain, child]) };
  });
  checkCostKeys(scope, name, meta, sleeves);
  const allocation = meta.meta_allocation;
  const budgets = meta.sleeves.flatMap((e) =>
    e.risk_budget === undefined ? [] : [[e.id, e.risk_budget] as const],
  );
  return {
    profile: name,
    path: chain,
    depth: chain.length,
    sleeves,
    bounds: { minWeight: allocation.min_weight, maxWeight: allocation.max_weight },
    allocation,
    ...(meta.risk_profiles === undefined ? {} : { riskProfiles: meta.risk_profiles }),
    features: { directionalSignTestGate: meta.features.directional_sign_test_gate },
    benchmarks: meta.benchmarks ?? [],
    ...(meta.risk_free === undefined ? {} : { riskFree: meta.risk_free }),
    ...(meta.max_data_age_days === undefined ? {} : { maxDataAgeDays: meta.max_data_age_days }),
    ...(budgets.length === 0 ? {} : { riskBudget: Object.fromEntries(budgets) }),
    ...(meta.rebalancing === undefined ? {} : { rebalancing: meta.rebalancing }),
    ...(meta.turnover === undefined ? {} : { turnover: turnoverSpec(meta.turnover) }),
    ...sleeveLimits(meta),
  };
}

/** The node's per-sleeve bounds, tags and group limits (absent keys when the profile sets none). */
function sleeveLimits(
  meta: MetaProfile,
): Pick<MetaNode, 'sleeveBounds' | 'tags' | 'groupLimits' | 'exposureLimits'> {
  const bounds = meta.sleeves.flatMap((e) =>
    e.min_weight === undefined && e.max_weight === undefined
      ? []
      : [
          [
            e.id,
            {
              ...(e.min_weight === undefined ? {} : { min: e.min_weight }),
              ...(e.max_weight === undefined ? {} : { max: e.max_weight }),
            },
          ] as const,
        ],
  );
  const tags = meta.sleeves.flatMap((e) => (e.tags === undefined ? [] : [[e.id, e.tags] as const]));
  return {
    ...(bounds.length === 0 ? {} : { sleeveBounds: Object.fromEntries(bounds) }),
    ...(tags.length === 0 ? {} : { tags: Object.fromEntries(tags) }),
    ...(meta.group_limits === undefined ? {} : { groupLimits: meta.group_limits }),
    ...(meta.exposure_limits === undefined ? {} : { exposureLimits: exposureLimits(meta.exposure_limits) }),
  };
}

function turnoverSpec(t: NonNullable<MetaProfile['turnover']>): TurnoverSpec {
  return {
    ...(t.max_turnover === undefined ? {} : { maxTurnover: t.max_turnover }),
    ...(t.penalty === undefined ? {} : { penalty: t.penalty }),
    ...(t.holdings === undefined ? {} : { holdings: t.holdings }),
  };
}

function exposureLimits(e: NonNullable<MetaProfile['exposure_limits']>): ExposureLimits {
  return {
    ...(e.max_weight === undefined ? {} : { maxWeight: e.max_weight }),
    ...(e.symbols === undefined ? {} : { symbols: e.symbols }),
    ...(e.prefixes === undefined ? {} : { prefixes: e.prefixes }),
  };
}

/**
 * Resolve the tree of meta profile `rootProfile`: nested `meta_profile` entries become child nodes,
 * `profile` entries atomic leaves. Unknown root or a sleeve profile as root → `E_UNKNOWN_PROFILE`;
 * nesting in a cycle → `E_CYCLE` naming it (`a → b → a`); deeper than {@link MAX_META_DEPTH} →
 * `E_DEPTH` naming the chain. Both carry the JSON path of the offending entry.
 */
export function resolveMetaTree(
  manifest: Manifest,
  rootProfile: string,
  options: ResolveMetaTreeOptions = {},
): MetaNode {
  const file = options.file ?? 'manifest.json';
  const metaNames = Object.keys(manifest.profiles).filter((n) =>
    isMetaProfile(manifest.profiles[n] as MetaProfile),
  );
  const root = resolveRootProfile(manifest, rootProfile, file, metaNames);
  const where: Where = (path) => {
    const line = options.lineOf?.(path).line;
    return { file, jsonPath: formatJsonPath(path), ...(line === undefined ? {} : { line }) };
  };
  return buildMetaNode({ manifest, file, metaNames, where }, rootProfile, root, [rootProfile]);
}

/** Every meta node of the tree, pre-order (a node before its nested metas, in sleeve order). */
export function walkMetaTree(node: MetaNode): MetaNode[] {
  const out: MetaNode[] = [node];
  for (const s of node.sleeves) if (s.kind === 'meta') out.push(...walkMetaTree(s.node));
  return out;
}

/** An atomic sleeve of a tree, with its path of sleeve ids from the root (`['swiss', 'sectors']`). */
export interface AtomicLeaf {
  readonly id: string;
  readonly profile: string;
  readonly runId?: string;
  /** The manifest's pin accepts a failed or incomplete run (`allow_unsuccessful: true`). */
  readonly allowUnsuccessful?: true;
  readonly path: readonly string[];
  /** The meta node that lists it. */
  readonly parent: MetaNode;
}

/** Every atomic sleeve of the tree, depth-first in sleeve order. */
export function atomicSleeves(node: MetaNode, prefix: readonly string[] = []): AtomicLeaf[] {
  const out: AtomicLeaf[] = [];
  for (const s of node.sleeves) {
    const path = [...prefix, s.id];
    if (s.kind === 'meta') out.push(...atomicSleeves(s.node, path));
    else
      out.push({
        id: s.id,
        profile: s.profile,
        ...(s.runId === undefined ? {} : { runId: s.runId }),
        ...(s.allowUnsuccessful === true ? { allowUnsuccessful: true as const } : {}),
        path,
        parent: node,
      });
  }
  return out;
}

/**
 * The JSON path of an atomic sleeve's manifest entry, at its `profile` (default) or its `run_id`:
 * `['profiles', 'meta_global', 'sleeves', 2, 'profile']`. Sleeve ids are unique within a level.
 */
export function leafJsonPath(leaf: AtomicLeaf, key: 'profile' | 'run_id' = 'profile'): JsonPath {
  const entry = leaf.parent.sleeves.findIndex((s) => s.id === leaf.id);
  return ['profiles', leaf.parent.profile, 'sleeves', entry, key];
}

/** The sleeve profiles (those with a `sleeve` object) the manifest declares, in its order. */
function sleeveProfileNames(manifest: Manifest): string[] {
  return Object.entries(manifest.profiles)
    .filter(([, p]) => !isMetaProfile(p))
    .map(([name]) => name);
}

/**
 * `"us_equty" is not a sleeve profile of the manifest (did you mean "us_equity"?)` — or, with nothing
 * close, the manifest's sleeve profiles — when an atomic sleeve's `profile` is not declared in the
 * manifest as a sleeve profile; undefined when it is.
 */
export function unknownSleeveProfile(manifest: Manifest, profile: string): string | undefined {
  const declared = ownValue(manifest.profiles, profile);
  if (declared !== undefined && !isMetaProfile(declared)) return undefined;
  const names = sleeveProfileNames(manifest);
  const close = didYouMean(profile, names);
  const others =
    close !== ''
      ? close
      : names.length === 0
        ? ' (it declares no sleeve profile)'
        : ` (its sleeve profiles: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''})`;
  return `"${profile}" is not a sleeve profile of the manifest${others}`;
}

/** Which risk profiles a meta run computes, and why. */
export interface ResolvedRiskProfiles {
  readonly profiles: readonly PortfolioMethod[];
  /**
   * `override` (`--profiles`), `declared` (the root's `risk_profiles`), `intersection` (those every
   * atomic sleeve of the tree declares, in canonical order; may be empty), or `unknown` (some atomic
   * sleeve is not declared in the manifest: the caller uses the streams its runs provide).
   */
  readonly source: 'override' | 'declared' | 'intersection' | 'unknown';
}

/**
 * The risk profiles of a meta run (DESIGN §3): the override if given (unknown id → `E_PARAMS`,
 * `erc` → `risk_parity`, a method named twice → `E_PARAMS`), else the root's declared `risk_profiles`, else the
 * intersection of the atomic sleeves' declared `sleeve.risk_profiles` in the order
 * hrp, min_variance, max_sharpe, risk_parity, equal_weight, inverse_variance, min_cvar, min_cdar,
 * mean_cvar, barbell.
 */
export function resolveRiskProfiles(
  node: MetaNode,
  manifest: Manifest,
  override?: readonly string[],
): ResolvedRiskProfiles {
  if (override !== undefined) {
    const ids = override.map((s) => s.trim()).filter((s) => s !== '');
    const allowed = `use one of ${PORTFOLIO_METHODS.join(', ')} (alias erc)`;
    if (ids.length === 0) throw new QuantError('E_PARAMS', 'no risk profile given', { hint: allowed });
    const profiles: PortfolioMethod[] = [];
    const given: string[] = [];
    for (const id of ids) {
      const method = canonicalMethod(id);
      if (method === undefined) {
        throw new QuantError(
          'E_PARAMS',
          `unknown risk profile "${id}"${didYouMean(id, [...PORTFOLIO_METHODS, 'erc'])}`,
          { hint: allowed },
        );
      }
      // Refused like a duplicate in the manifest's risk_profiles: a list that names one method twice
      // (perhaps once by its alias) is a mistake, not a request for it twice.
      const first = profiles.indexOf(method);
      if (first >= 0) {
        const was = given[first] === id ? '' : ` as "${given[first]}"`;
        throw new QuantError(
          'E_PARAMS',
          `risk profile "${method}" is listed twice (position ${first + 1}${was} and position ${profiles.length + 1}${id === method ? '' : ` as "${id}"`}; erc = risk_parity)`,
          { hint: 'name each risk profile once' },
        );
      }
      profiles.push(method);
      given.push(id);
    }
    return { profiles, source: 'override' };
  }
  if (node.riskProfiles !== undefined) return { profiles: [...node.riskProfiles], source: 'declared' };
  let common = new Set<PortfolioMethod>(RISK_PROFILE_ORDER);
  for (const leaf of atomicSleeves(node)) {
    const declared = Object.hasOwn(manifest.profiles, leaf.profile)
      ? manifest.profiles[leaf.profile]
      : undefined;
    if (declared === undefined || isMetaProfile(declared)) return { profiles: [], source: 'unknown' };
    const own = new Set<PortfolioMethod>(declared.sleeve.risk_profiles);
    common = new Set([...common].filter((m) => own.has(m)));
  }
  return { profiles: RISK_PROFILE_ORDER.filter((m) => common.has(m)), source: 'intersection' };
}
