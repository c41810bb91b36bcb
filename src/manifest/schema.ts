import { z } from 'zod';
import {
  COVARIANCE_ESTIMATORS,
  EXPECTED_RETURN_ESTIMATORS,
  INPUT_KINDS,
  LEAF_ORDERS,
  MISSING_POLICIES,
  LINKAGE_METHODS,
  METHOD_IDS,
  canonicalMethod,
  type PortfolioMethod,
  PERIODS_PER_YEAR_RANGE,
} from '../util/vocabulary.js';
import { boundsProblems, type BoundsIssue } from './_bounds.js';
import { isRecord } from './_json-path.js';
import type { InvalidProfile } from './profile-usage.js';
import { RESERVED_NAME } from '../util/own.js';
import { closestMatches } from '../util/suggest.js';

// The manifest's shape (DESIGN §3). Objects are strict: in a hand-written manifest an unknown key is a
// typo (`trian_window`), and silently ignoring it would run with a default the user did not mean.
// Checks inside one object (unique assets, directions ⊆ assets, bounds) run even when a sibling field
// failed (`when: always`) so that one load reports every problem; checks across profiles (references,
// cycles) need the whole document and live in `_cross-checks.ts`. Use `parseManifest` to validate.

const ALWAYS = { when: () => true };

/** Sleeve ids and profile names: safe in file names (`meta_returns_{M}_{P}.parquet`) and run ids. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** DESIGN §2. */
const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A profile name leaves room for the default run id `<profile>_<YYYYMMDD-HHMMSS>` (≤ 128 chars). */
export const MAX_PROFILE_NAME_LENGTH = 111;

const NAME_RULE = 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"';
const idSchema = z.string().regex(ID_PATTERN, { error: `sleeve id ${NAME_RULE}` });
const profileNameSchema = z
  .string()
  .regex(ID_PATTERN, { error: `profile name ${NAME_RULE}` })
  .max(MAX_PROFILE_NAME_LENGTH, {
    error: `profile name is longer than ${MAX_PROFILE_NAME_LENGTH} characters`,
  });
const runIdSchema = z
  .string()
  .regex(RUN_ID_PATTERN, { error: `run id ${NAME_RULE}, at most 128 characters` });
const weightSchema = z.number().min(0).max(1);
// Not z.number().int(): its failure aborts the enclosing object's refinements even with `when`, and
// then one non-integer window would hide every other problem of the sleeve.
const integerSchema = (min: number) =>
  z
    .number()
    .min(min)
    .refine((x) => Number.isInteger(x), { error: (iss) => `must be an integer, got ${String(iss.input)}` });

/** A risk profile id; the alias `erc` becomes `risk_parity`. */
const methodSchema = z
  .enum(METHOD_IDS as [string, ...string[]])
  .transform((id) => canonicalMethod(id) as PortfolioMethod);

const riskProfilesSchema = z
  .array(methodSchema)
  .min(1)
  .superRefine((list, ctx) => {
    // ALWAYS refinements run even when the value failed its type (here: not an array).
    if (!Array.isArray(list)) return;
    const firstAt = new Map<string, number>();
    list.forEach((m, j) => {
      if (typeof m !== 'string') return;
      const i = firstAt.get(m);
      if (i === undefined) firstAt.set(m, j);
      else
        ctx.addIssue({
          code: 'custom',
          path: [j],
          message: `"${m}" is listed twice (also at [${i}]; erc = risk_parity)`,
        });
    });
  }, ALWAYS);

/** Confidence level of CVaR / CDaR (min_cvar, min_cdar, mean_cvar). */
const cvarLevelSchema = z.number().gt(0).lt(1);

const periodsPerYearSchema = z.union(
  [z.literal('auto'), z.number().min(PERIODS_PER_YEAR_RANGE.min).max(PERIODS_PER_YEAR_RANGE.max)],
  {
    error: (issue) =>
      `must be "auto" or a number of periods per year from ${PERIODS_PER_YEAR_RANGE.min} (annual) to ${PERIODS_PER_YEAR_RANGE.max} (one a minute), got ${JSON.stringify(issue.input)}`,
  },
);

const costsShape = {
  commission: z.number().min(0).default(0),
  slippage: z.number().min(0).default(0),
};

const rebalancePolicyShape = {
  /** Rebalance every N held rows, or on a calendar (`window`: when the weights are refitted). */
  every: integerSchema(1).optional(),
  calendar: z.enum(['window', 'monthly', 'quarterly']).optional(),
  /** Trade only when some weight is more than this far from its target (absolute / relative). */
  band_absolute: z.number().min(0).finite().optional(),
  band_relative: z.number().min(0).finite().optional(),
  /**
   * Most turnover Σ|Δw| per rebalance: a partial move toward the target beyond it. In (0, 2]: weights
   * summing to 1 are at most 2 apart, and 0 would never trade (leave `rebalancing` out for that).
   */
  max_turnover: z.number().positive().max(2).optional(),
};

function calendarProblems(policy: unknown, ctx: z.RefinementCtx): void {
  if (isRecord(policy) && policy['every'] !== undefined && policy['calendar'] !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['calendar'],
      message: 'has both "every" and "calendar": keep one (every N rows, or window / monthly / quarterly)',
    });
  }
}

const RebalancePolicySchema = z.strictObject(rebalancePolicyShape).superRefine(calendarProblems, ALWAYS);

/**
 * How a backtest holds its targets: the policy used for its stream, costs in basis points per sleeve
 * (meta) or asset (sleeve), and other policies to compare side by side on the same targets.
 */
/** The names the comparison table gives the policy in use and the default; a `compare` entry may not take them. */
const RESERVED_POLICY_NAMES = ['policy', 'at_refit'];

function reservedNames(rebalancing: unknown, ctx: z.RefinementCtx): void {
  const compare = isRecord(rebalancing) ? rebalancing['compare'] : undefined;
  if (!isRecord(compare)) return;
  for (const name of RESERVED_POLICY_NAMES) {
    if (Object.hasOwn(compare, name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['compare', name],
        message: `"${name}" is the name the report gives ${name === 'policy' ? 'the policy in use' : 'the default (full trade at each refit)'}: choose another name`,
      });
    }
  }
}

const RebalancingSchema = z
  .strictObject({
    ...rebalancePolicyShape,
    /** Cost per unit of turnover in basis points, by sleeve id or path (`inner/alpha`); others: the stage's rate. */
    costs_bps: z.record(z.string().min(1), z.number().min(0).max(10_000).finite()).optional(),
    compare: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), RebalancePolicySchema).optional(),
  })
  .superRefine(calendarProblems, ALWAYS)
  .superRefine(reservedNames, ALWAYS);

export type Rebalancing = z.output<typeof RebalancingSchema>;

const sleeveSpecShape = {
  prices: z.string().min(1),
  assets: z.array(z.string().min(1)).min(1),
  directions: z.record(z.string(), z.enum(['LONG', 'SHORT'])).optional(),
  risk_profiles: riskProfilesSchema,
  train_window: integerSchema(20).default(252),
  test_window: integerSchema(1).default(21),
  /** Defaults to `test_window` (non-overlapping holding periods). */
  step: integerSchema(1).optional(),
  costs: z.strictObject(costsShape).prefault({}),
  input_kind: z.enum(INPUT_KINDS).default('prices'),
  missing: z.enum(MISSING_POLICIES).optional(),
  ffill_limit: integerSchema(1).optional(),
  periods_per_year: periodsPerYearSchema.optional(),
  fallback: z.boolean().default(true),
  linkage: z.enum(LINKAGE_METHODS).optional(),
  leaf_order: z.enum(LEAF_ORDERS).optional(),
  covariance: z.enum(COVARIANCE_ESTIMATORS).optional(),
  cvar_level: cvarLevelSchema.optional(),
  min_weight: weightSchema.optional(),
  max_weight: weightSchema.optional(),
  /**
   * Update the sample covariance from training window to training window (a full computation every
   * this many windows) instead of recomputing it; off by default (results differ by rounding).
   */
  incremental_moments: integerSchema(1).optional(),
  /** How the walk-forward holds each window's weights (default: traded in full at each window start). */
  rebalancing: RebalancingSchema.optional(),
};

/** The `sleeve` object of a sleeve profile; `step` is resolved (default `test_window`). */
export const SleeveSpecSchema = z
  .strictObject(sleeveSpecShape)
  .superRefine((spec, ctx) => {
    if (!isRecord(spec as unknown)) return;
    const assets = Array.isArray(spec.assets) ? spec.assets.filter((a) => typeof a === 'string') : [];
    const firstAt = new Map<string, number>();
    assets.forEach((a, j) => {
      if (a === RESERVED_NAME)
        ctx.addIssue({
          code: 'custom',
          path: ['assets', j],
          message: `"${RESERVED_NAME}" cannot be an asset name (JavaScript reserves it: it would replace an object's prototype); rename the column`,
        });
      const i = firstAt.get(a);
      if (i === undefined) firstAt.set(a, j);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['assets', j],
          message: `duplicate asset "${a}" (also assets[${i}])`,
        });
    });
    if (isRecord(spec.directions)) {
      for (const key of Object.keys(spec.directions)) {
        if (!firstAt.has(key)) {
          const list = [...firstAt.keys()].join(', ');
          ctx.addIssue({
            code: 'custom',
            path: ['directions', key],
            message: `"${key}" is not one of the sleeve's assets (${list})`,
          });
        }
      }
    }
    const costs = isRecord(spec.rebalancing) ? spec.rebalancing.costs_bps : undefined;
    if (isRecord(costs)) {
      for (const key of Object.keys(costs)) {
        if (!firstAt.has(key)) {
          const list = [...firstAt.keys()].join(', ');
          ctx.addIssue({
            code: 'custom',
            path: ['rebalancing', 'costs_bps', key],
            message: `"${key}" is not one of the sleeve's assets (${list})`,
          });
        }
      }
    }
    if (firstAt.size > 0) {
      for (const p of boundsProblems(firstAt.size, 'asset', spec.min_weight, spec.max_weight))
        ctx.addIssue(p);
    }
    if (
      typeof spec.step === 'number' &&
      typeof spec.test_window === 'number' &&
      spec.step > spec.test_window
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['step'],
        message: `${spec.step} is longer than test_window ${spec.test_window}: the windows would leave step − test_window = ${spec.step - spec.test_window} days of every step out of the stream (annualised figures would count the days held, not the days elapsed); set step ≤ test_window`,
      });
    }
    const rates = spec.costs as unknown;
    if (isRecord(rates) && typeof rates['commission'] === 'number' && typeof rates['slippage'] === 'number') {
      const sum = rates['commission'] + rates['slippage'];
      if (!Number.isFinite(sum)) {
        ctx.addIssue({
          code: 'custom',
          path: ['costs'],
          message: `commission + slippage (${rates['commission']} + ${rates['slippage']}) overflows to ${sum}: their sum is the cost per unit of turnover and must be a finite number`,
        });
      }
    }
    if (spec.ffill_limit !== undefined && spec.missing !== 'ffill') {
      ctx.addIssue({
        code: 'custom',
        path: ['ffill_limit'],
        message: `applies only with "missing": "ffill" (missing is ${JSON.stringify(spec.missing ?? 'drop_rows')})`,
      });
    }
  }, ALWAYS)
  .transform((spec) => ({ ...spec, step: spec.step ?? spec.test_window }));

const metaAllocationShape = {
  min_weight: weightSchema.default(0),
  max_weight: weightSchema.default(1),
  linkage: z.enum(LINKAGE_METHODS).optional(),
  leaf_order: z.enum(LEAF_ORDERS).optional(),
  covariance: z.enum(COVARIANCE_ESTIMATORS).optional(),
  expected_returns: z.enum(EXPECTED_RETURN_ESTIMATORS).optional(),
  risk_free_rate: z.number().optional(),
  cvar_level: cvarLevelSchema.optional(),
  periods_per_year: periodsPerYearSchema.optional(),
};
export const MetaAllocationSchema = z.strictObject(metaAllocationShape);

const sleeveEntryShape = {
  id: idSchema,
  profile: profileNameSchema.optional(),
  meta_profile: profileNameSchema.optional(),
  run_id: runIdSchema.optional(),
  /** With `run_id`: accept a pinned run that failed or is incomplete (recorded in the meta run's ledger). */
  allow_unsuccessful: z.boolean().optional(),
  /** risk_parity: this entry's share of the level's risk (relative; set on every entry or none). */
  risk_budget: z.number().positive().finite().optional(),
  /** This sleeve's weight bounds, overriding the level's `meta_allocation` box. */
  min_weight: weightSchema.optional(),
  max_weight: weightSchema.optional(),
  /** Groups this sleeve belongs to, limited by the level's `group_limits`. */
  tags: z.array(z.string().regex(ID_PATTERN, { error: `tag ${NAME_RULE}` })).optional(),
};

/** One entry of a meta profile's `sleeves`: exactly one of `profile` (atomic) or `meta_profile` (nested). */
const SleeveEntrySchema = z.strictObject(sleeveEntryShape).superRefine((entry, ctx) => {
  if (!isRecord(entry as unknown)) return;
  const hasProfile = entry.profile !== undefined;
  const hasMeta = entry.meta_profile !== undefined;
  if (!hasProfile && !hasMeta) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: 'needs "profile" (an atomic sleeve) or "meta_profile" (a nested meta profile)',
    });
  } else if (hasProfile && hasMeta) {
    ctx.addIssue({
      code: 'custom',
      path: ['meta_profile'],
      message: 'has both "profile" and "meta_profile": keep exactly one',
    });
  }
  if (entry.allow_unsuccessful !== undefined && entry.run_id === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['allow_unsuccessful'],
      message:
        '"allow_unsuccessful" applies to a pinned run: add "run_id" naming the run, or remove "allow_unsuccessful"',
    });
  }
  if (hasMeta && entry.run_id !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['run_id'],
      message:
        '"run_id" pins the run of an atomic sleeve and cannot be used with "meta_profile" (a nested meta is built in the same run)',
    });
  }
}, ALWAYS);

const featuresShape = { directional_sign_test_gate: z.boolean().default(false) };

const benchmarkShape = {
  id: idSchema,
  /** A price or return table (CSV or Parquet), relative to the manifest's folder, inside the workspace. */
  file: z.string().min(1),
  /** The column of `file` that holds the benchmark. */
  column: z.string().min(1),
  input_kind: z.enum(INPUT_KINDS).default('prices'),
  description: z.string().optional(),
};

/** One benchmark series the report compares the meta portfolio with. */
const BenchmarkSchema = z.strictObject(benchmarkShape);

const riskFreeShape = {
  /** A constant annual rate (0.02 = 2 % a year). */
  rate: z.number().min(-1).max(1).optional(),
  /** Or a table of annual rates by date (CSV or Parquet), relative to the manifest's folder. */
  file: z.string().min(1).optional(),
  column: z.string().min(1).optional(),
};

/** The risk-free rate of the Sharpe and Sortino ratios, alpha and beta: a constant or a daily series. */
const RiskFreeSchema = z.strictObject(riskFreeShape).superRefine((rf, ctx) => {
  if (!isRecord(rf as unknown)) return;
  const hasRate = rf.rate !== undefined;
  const hasFile = rf.file !== undefined;
  if (hasRate === hasFile) {
    ctx.addIssue({
      code: 'custom',
      path: hasRate ? ['file'] : [],
      message: hasRate
        ? 'has both "rate" and "file": keep a constant annual "rate" or a "file" of annual rates'
        : 'needs "rate" (a constant annual rate, 0.02 = 2 %) or "file" and "column" (annual rates by date)',
    });
  }
  if (hasFile && rf.column === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['column'],
      message: 'needs "column": the column of the file that holds the rate',
    });
  }
  if (!hasFile && rf.column !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['column'], message: '"column" applies to a "file" of rates' });
  }
}, ALWAYS);

const benchmarksSchema = z.array(BenchmarkSchema).superRefine((list, ctx) => {
  if (!Array.isArray(list)) return;
  const firstAt = new Map<string, number>();
  list.forEach((b, j) => {
    const id: unknown = isRecord(b) ? b['id'] : undefined;
    if (typeof id !== 'string') return;
    const i = firstAt.get(id);
    if (i === undefined) firstAt.set(id, j);
    else
      ctx.addIssue({
        code: 'custom',
        path: [j, 'id'],
        message: `duplicate benchmark id "${id}" (also benchmarks[${i}])`,
      });
  });
}, ALWAYS);

const tradesShape = {
  /** CSV of symbol,price; like every file the block names, relative to the manifest's folder, inside the workspace. */
  prices: z.string().min(1),
  /** CSV of symbol,quantity held now (negative: short); default: nothing held. */
  holdings: z.string().min(1).optional(),
  /** CSV of symbol,lot_size,min_ticket; default: lot 1, no minimum ticket. */
  lots: z.string().min(1).optional(),
  /** Portfolio value the target weights apply to (holdings plus cash). */
  nav: z.number().positive().finite(),
  /** The risk profiles whose flattened target becomes a trade list. */
  risk_profiles: riskProfilesSchema,
  /** Refuse a target whose data is older (default: the meta profile's `max_data_age_days`). */
  max_data_age_days: integerSchema(0).optional(),
  /** Produce the orders from stale data anyway (recorded in the ledger and the trade list). */
  allow_stale: z.boolean().optional(),
};

/** After the meta pipeline, `meta.trades` for each of `risk_profiles` (DESIGN §3, docs/trades.md). */
const TradesSchema = z.strictObject(tradesShape);
export type TradesSpec = z.output<typeof TradesSchema>;

/**
 * `turnover` of a meta level: stay near the reference weights — the level's weights in the last
 * successful run of the same meta profile, or a `holdings` file of sleeve weights — by a bound on the
 * L1 turnover Σ|w − w_ref| (`max_turnover`, 0..2) and/or a `penalty` λ·Σ|w − w_ref| in the objective.
 */
const TurnoverSchema = z
  .strictObject({
    max_turnover: z.number().min(0).max(2).optional(),
    penalty: z.number().min(0).max(1e6).optional(),
    holdings: z.string().min(1).optional(),
  })
  .refine((t) => t.max_turnover !== undefined || t.penalty !== undefined, {
    error: 'set max_turnover, penalty or both',
  });

const metaProfileShape = {
  sleeves: z.array(SleeveEntrySchema).min(1),
  meta_allocation: MetaAllocationSchema.prefault({}),
  risk_profiles: riskProfilesSchema.optional(),
  features: z.strictObject(featuresShape).prefault({}),
  /** Series the report compares the meta portfolio with (active return, tracking error, beta, ...). */
  benchmarks: benchmarksSchema.optional(),
  risk_free: RiskFreeSchema.optional(),
  /** Trades from data whose last date is older than this many days are refused (`E_STALE_DATA`). */
  max_data_age_days: integerSchema(0).optional(),
  /** Per tag `[min, max]`: the summed weight of the sleeves carrying the tag stays within it. */
  group_limits: z.record(z.string().min(1), z.tuple([weightSchema, weightSchema])).optional(),
  /** How meta.backtest holds the sleeve weights between refits (default: traded in full at each refit). */
  rebalancing: RebalancingSchema.optional(),
  /**
   * Caps on the level's flattened physical positions (|net weight| per symbol): `max_weight` for every
   * symbol, `symbols` overriding it per symbol, `prefixes` capping the summed net weight of the symbols
   * starting with a prefix.
   */
  exposure_limits: z
    .strictObject({
      max_weight: weightSchema.optional(),
      symbols: z.record(z.string().min(1), weightSchema).optional(),
      prefixes: z.record(z.string().min(1), weightSchema).optional(),
    })
    .refine((e) => e.max_weight !== undefined || e.symbols !== undefined || e.prefixes !== undefined, {
      error: 'set at least one of max_weight, symbols, prefixes',
    })
    .optional(),
  /** Trade lists `quant meta run` writes after the pipeline, from the flattened targets. */
  trades: TradesSchema.optional(),

  turnover: TurnoverSchema.optional(),
  description: z.string().optional(),
};

/** A meta profile: sleeves, the bounds of their weights, optional risk profiles and features. */
export const MetaProfileSchema = z.strictObject(metaProfileShape).superRefine((meta, ctx) => {
  if (!isRecord(meta as unknown) || !Array.isArray(meta.sleeves)) return;
  const firstAt = new Map<string, number>();
  meta.sleeves.forEach((entry, j) => {
    const id: unknown = isRecord(entry) ? entry['id'] : undefined;
    if (typeof id !== 'string') return;
    const i = firstAt.get(id);
    if (i === undefined) firstAt.set(id, j);
    else {
      ctx.addIssue({
        code: 'custom',
        path: ['sleeves', j, 'id'],
        message: `duplicate sleeve id "${id}": sleeves[${i}] and sleeves[${j}] both use it; ids must be unique within a meta profile`,
      });
    }
  });
  riskBudgetProblems(meta.sleeves).forEach((p) => ctx.addIssue(p));
  limitProblems(meta.sleeves, meta.group_limits).forEach((p) => ctx.addIssue(p));
  tradeProfileProblems(meta.trades, meta.risk_profiles).forEach((p) => ctx.addIssue(p));
  const allocation: unknown = meta.meta_allocation;
  if (meta.sleeves.length > 0 && isRecord(allocation)) {
    for (const p of boundsProblems(
      meta.sleeves.length,
      'sleeve',
      allocation['min_weight'],
      allocation['max_weight'],
    )) {
      ctx.addIssue({ ...p, path: ['meta_allocation', ...p.path] });
    }
  }
}, ALWAYS);

/**
 * A sleeve's `min_weight` above its `max_weight`; a `group_limits` entry with min > max or naming a tag
 * no sleeve carries (with a did-you-mean). Whether the limits can hold together is checked with the
 * data's sleeves before optimisation (E_INFEASIBLE_CONSTRAINTS).
 */
function limitProblems(sleeves: readonly unknown[], groups: unknown): BoundsIssue[] {
  const out: BoundsIssue[] = [];
  const tags = new Set<string>();
  sleeves.forEach((e, j) => {
    if (!isRecord(e)) return;
    const lo = e['min_weight'];
    const hi = e['max_weight'];
    if (typeof lo === 'number' && typeof hi === 'number' && lo > hi) {
      out.push({
        code: 'custom',
        path: ['sleeves', j, 'min_weight'],
        message: `min_weight ${lo} exceeds max_weight ${hi}: use min_weight ≤ max_weight`,
      });
    }
    if (Array.isArray(e['tags'])) for (const t of e['tags']) if (typeof t === 'string') tags.add(t);
  });
  if (!isRecord(groups)) return out;
  for (const [name, range] of Object.entries(groups)) {
    if (!tags.has(name)) {
      const [near] = closestMatches(name, [...tags], 1);
      out.push({
        code: 'custom',
        path: ['group_limits', name],
        message: `no sleeve of this meta profile has the tag "${name}"${near === undefined ? '' : `; did you mean "${near}"?`} (tags: ${[...tags].join(', ') || 'none'})`,
      });
    }
    if (
      Array.isArray(range) &&
      typeof range[0] === 'number' &&
      typeof range[1] === 'number' &&
      range[0] > range[1]
    ) {
      out.push({
        code: 'custom',
        path: ['group_limits', name],
        message: `min ${range[0]} exceeds max ${range[1]}: write [min, max] with min ≤ max`,
      });
    }
  }
  return out;
}

/** A `trades` risk profile the meta profile does not run (when it lists its `risk_profiles`). */
function tradeProfileProblems(trades: unknown, riskProfiles: unknown): BoundsIssue[] {
  if (!isRecord(trades) || !Array.isArray(trades['risk_profiles']) || !Array.isArray(riskProfiles)) return [];
  const run = riskProfiles.filter((p): p is string => typeof p === 'string');
  return trades['risk_profiles'].flatMap((p: unknown, j: number) =>
    typeof p !== 'string' || run.includes(p)
      ? []
      : [
          {
            code: 'custom' as const,
            path: ['trades', 'risk_profiles', j],
            message: `"${p}" is not one of the meta profile's risk_profiles (${run.join(', ')}): add it there or trade another`,
          },
        ],
  );
}

/** `risk_budget` is set on every entry of a level or on none: a budget cannot be implied. */
function riskBudgetProblems(
  sleeves: readonly unknown[],
): { code: 'custom'; path: (string | number)[]; message: string }[] {
  const set = sleeves.map((e) => isRecord(e) && e['risk_budget'] !== undefined);
  if (!set.includes(true)) return [];
  return set.flatMap((has, j) =>
    has
      ? []
      : [
          {
            code: 'custom' as const,
            path: ['sleeves', j],
            message: `has no "risk_budget" while other sleeves of this meta profile have one: give every sleeve a positive risk_budget, or none`,
          },
        ],
  );
}

const sleeveProfileShape = { sleeve: SleeveSpecSchema, description: z.string().optional() };
/** A sleeve profile: how `sleeve.backtest` builds the sleeve from prices. */
export const SleeveProfileSchema = z.strictObject(sleeveProfileShape);

export type SleeveSpec = z.output<typeof SleeveSpecSchema>;
export type SleeveProfile = z.output<typeof SleeveProfileSchema>;
export type MetaAllocation = z.output<typeof MetaAllocationSchema>;
export type BenchmarkSpec = z.output<typeof BenchmarkSchema>;
export type RiskFreeSpec = z.output<typeof RiskFreeSchema>;
export type MetaProfile = z.output<typeof MetaProfileSchema>;
export type Profile = SleeveProfile | MetaProfile;

/**
 * The key of a profile that has neither `sleeve` nor `sleeves` but a key close to one of them (`sleves`,
 * `sleev`), and the kind it probably meant; undefined when no key is close.
 */
export function guessKindKey(
  profile: Readonly<Record<string, unknown>>,
): { readonly key: string; readonly kind: 'sleeve' | 'sleeves' } | undefined {
  for (const key of Object.keys(profile)) {
    const [kind] = closestMatches(key, ['sleeves', 'sleeve'], 1);
    if (kind === 'sleeve' || kind === 'sleeves') return { key, kind };
  }
  return undefined;
}

/**
 * A profile is a sleeve profile (`sleeve`) or a meta profile (`sleeves`). Dispatching on the key
 * rather than a `z.union` keeps the errors about the branch the user meant, with their exact paths.
 */
export const ProfileSchema = z.unknown().transform((input, ctx): Profile => {
  if (!isRecord(input)) {
    ctx.addIssue({
      code: 'custom',
      message: 'a profile is an object with "sleeve" (a sleeve profile) or "sleeves" (a meta profile)',
    });
    return z.NEVER;
  }
  const hasSleeve = 'sleeve' in input;
  const hasSleeves = 'sleeves' in input;
  const guess = hasSleeve || hasSleeves ? undefined : guessKindKey(input);
  if (guess !== undefined) {
    // A misspelt kind key: say so, and check the rest as the kind meant, so that every problem shows now.
    ctx.addIssue({
      code: 'custom',
      path: [guess.key],
      message: `unknown key "${guess.key}" (did you mean "${guess.kind}"?)`,
    });
    const { [guess.key]: body, ...rest } = input;
    const schema = guess.kind === 'sleeve' ? SleeveProfileSchema : MetaProfileSchema;
    const result = schema.safeParse({ ...rest, [guess.kind]: body });
    if (!result.success)
      for (const issue of result.error.issues) {
        const path = issue.path[0] === guess.kind ? [guess.key, ...issue.path.slice(1)] : issue.path;
        ctx.issues.push({ ...issue, path, input } as (typeof ctx.issues)[number]);
      }
    return z.NEVER;
  }
  if (hasSleeve === hasSleeves) {
    ctx.addIssue({
      code: 'custom',
      message: hasSleeve
        ? 'has both "sleeve" and "sleeves": a profile is either a sleeve profile or a meta profile'
        : 'has neither "sleeve" (a sleeve profile) nor "sleeves" (a meta profile)',
    });
    return z.NEVER;
  }
  const result = hasSleeve ? SleeveProfileSchema.safeParse(input) : MetaProfileSchema.safeParse(input);
  if (result.success) return result.data;
  // Finalized issues keep their code and data (unrecognized keys, enum values) for the loader's messages.
  for (const issue of result.error.issues)
    ctx.issues.push({ ...issue, input } as (typeof ctx.issues)[number]);
  return z.NEVER;
});

/** The whole manifest: `{profiles: {name: SleeveProfile | MetaProfile}}`, plus `$schema`/`description`. */
export const ManifestSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  profiles: z.record(profileNameSchema, ProfileSchema),
});

/** The document level alone: each profile is then validated on its own (see `parseManifest`). */
export const ManifestRootSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  profiles: z.record(z.string(), z.unknown()),
});

/** A profile name: safe in file names and run ids. */
export const ProfileNameSchema = profileNameSchema;

/**
 * A loaded manifest: its valid profiles and, under `invalid`, each profile that failed validation with
 * its problems (absent when every profile is valid). Runs that use an invalid profile fail
 * (`assertProfilesUsable`); others run.
 */
export type Manifest = z.output<typeof ManifestSchema> & {
  readonly invalid?: Readonly<Record<string, InvalidProfile>>;
};

/** Whether a parsed profile is a meta profile. */
export function isMetaProfile(profile: Profile): profile is MetaProfile {
  return 'sleeves' in profile;
}

/** A schema with its wrappers (optional, default, pipe, lazy, …) taken off. */
function unwrapSchema(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (let guard = 0; guard < 32; guard++) {
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if ('innerType' in def && def['innerType'] !== undefined) current = def['innerType'] as z.core.$ZodType;
    else if (def.type === 'pipe') current = def['in'] as z.core.$ZodType;
    else if (def.type === 'lazy') current = (def['getter'] as () => z.core.$ZodType)();
    else return current;
  }
  return current;
}

/** The schemas one step below `schema` at `key` (a union gives each branch's). */
function childSchemas(schema: z.core.$ZodType, key: string | number): z.core.$ZodType[] {
  const s = unwrapSchema(schema);
  const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object': {
      const shape = def['shape'] as Record<string, z.core.$ZodType>;
      return typeof key === 'string' && Object.hasOwn(shape, key) ? [shape[key] as z.core.$ZodType] : [];
    }
    case 'record':
      return [def['valueType'] as z.core.$ZodType];
    case 'array':
      return typeof key === 'number' ? [def['element'] as z.core.$ZodType] : [];
    case 'union':
      return (def['options'] as z.core.$ZodType[]).flatMap((o) => childSchemas(o, key));
    case 'intersection':
      return [def['left'], def['right']].flatMap((o) => childSchemas(o as z.core.$ZodType, key));
    default:
      return [];
  }
}

/** The keys of the objects among `schema` (a union: of each object branch). */
function objectKeys(schema: z.core.$ZodType): string[] {
  const s = unwrapSchema(schema);
  const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
  if (def.type === 'object') return Object.keys(def['shape'] as object);
  if (def.type === 'union') return (def['options'] as z.core.$ZodType[]).flatMap(objectKeys);
  if (def.type === 'intersection')
    return [def['left'], def['right']].flatMap((o) => objectKeys(o as z.core.$ZodType));
  return [];
}

/**
 * The keys an object at `path` may have (for "did you mean" on unknown keys), read from the schema
 * itself: a profile is either kind, so below `profiles.<name>` both kinds' keys count.
 */
export function allowedKeysAt(path: readonly (string | number)[]): readonly string[] {
  let schemas: z.core.$ZodType[] =
    path[0] === 'profiles' && path.length >= 2 ? [SleeveProfileSchema, MetaProfileSchema] : [ManifestSchema];
  for (const key of path[0] === 'profiles' && path.length >= 2 ? path.slice(2) : path)
    schemas = schemas.flatMap((schema) => childSchemas(schema, key));
  return [...new Set(schemas.flatMap(objectKeys))];
}
