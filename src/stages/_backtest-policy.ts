/**
 * The manifest's `rebalancing` of a backtest, resolved: the policy its stream is held with, the policies
 * compared with it on the same targets, costs in basis points per leaf, and the side-by-side figures.
 */
import type { Rebalancing } from '../manifest/index.js';
import type { PolicyHolding, RebalancePolicy } from '../numeric/backtest/rebalance-policy.js';
import { performanceMetrics } from '../numeric/stats/performance.js';

type PolicyFields = Pick<
  Rebalancing,
  'every' | 'calendar' | 'band_absolute' | 'band_relative' | 'max_turnover'
>;

/** A named policy, with its settings as the manifest wrote them (for the artifact). */
export interface NamedPolicy {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly policy: RebalancePolicy;
}

export interface ResolvedPolicies {
  /** The policy the stream is held with (`policy`). */
  readonly used: NamedPolicy;
  /** The `compare` entries, then `at_refit` (the default: full trade at each refit) as the baseline. */
  readonly compare: readonly NamedPolicy[];
  readonly costsBps: Readonly<Record<string, number>>;
}

function settingsOf(f: PolicyFields): Record<string, unknown> {
  return {
    ...(f.every === undefined ? { calendar: f.calendar ?? 'window' } : { every: f.every }),
    ...(f.band_absolute === undefined ? {} : { band_absolute: f.band_absolute }),
    ...(f.band_relative === undefined ? {} : { band_relative: f.band_relative }),
    ...(f.max_turnover === undefined ? {} : { max_turnover: f.max_turnover }),
  };
}

function policyOf(f: PolicyFields, assetCosts: Float64Array | undefined): RebalancePolicy {
  return {
    calendar: f.every === undefined ? (f.calendar ?? 'window') : { every: f.every },
    ...(f.band_absolute === undefined ? {} : { bandAbsolute: f.band_absolute }),
    ...(f.band_relative === undefined ? {} : { bandRelative: f.band_relative }),
    ...(f.max_turnover === undefined ? {} : { maxTurnover: f.max_turnover }),
    ...(assetCosts === undefined ? {} : { assetCosts }),
  };
}

/**
 * Costs per leaf (fractions) from `costs_bps`, keyed by a leaf's path or the path of a branch above it
 * (the longest key that matches wins); other leaves pay the single rate. The manifest's tree checked the
 * keys (`E_MANIFEST` at the key's JSON path); a key for a sleeve this risk profile left out is unused.
 */
function leafCosts(
  costsBps: Readonly<Record<string, number>>,
  leaves: readonly string[],
  rate: number,
): Float64Array | undefined {
  const keys = Object.keys(costsBps);
  if (keys.length === 0) return undefined;
  const covers = (key: string, leaf: string): boolean => leaf === key || leaf.startsWith(`${key}/`);
  return Float64Array.from(leaves, (leaf) => {
    const key = keys.filter((k) => covers(k, leaf)).sort((a, b) => b.length - a.length)[0];
    return key === undefined ? rate : (costsBps[key] as number) / 10_000;
  });
}

/** The policies of a level's `rebalancing`, costs resolved for its leaves (`rate`: the stage's single rate). */
export function resolvePolicies(
  rebalancing: Rebalancing,
  leaves: readonly string[],
  rate: number,
): ResolvedPolicies {
  const costs = leafCosts(rebalancing.costs_bps ?? {}, leaves, rate);
  const compare = Object.entries(rebalancing.compare ?? {}).map(([name, f]) => ({
    name,
    settings: settingsOf(f),
    policy: policyOf(f, costs),
  }));
  return {
    used: { name: 'policy', settings: settingsOf(rebalancing), policy: policyOf(rebalancing, costs) },
    compare: [
      ...compare,
      { name: 'at_refit', settings: { calendar: 'window' }, policy: policyOf({}, costs) },
    ],
    costsBps: rebalancing.costs_bps ?? {},
  };
}

/** One row of the side-by-side table. */
export interface PolicyFigures {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly total_return: number;
  readonly cagr: number | null;
  readonly sharpe: number | null;
  readonly max_drawdown: number | null;
  /** Σ turnover of every trade, the entry included. */
  readonly turnover: number;
  readonly costs: number;
  /** Trades, the entry included; `partial`: those the turnover limit cut short. */
  readonly rebalances: number;
  readonly partial: number;
}

/** Figures of one holding, net of costs; Sharpe over the per-period risk-free rate on the same rows. */
export function policyFigures(
  p: NamedPolicy,
  held: Pick<PolicyHolding, 'returns' | 'events'>,
  A: number,
  /** Whose holding it is, for errors: `sleeve profile S (hrp)`, `meta profile M (hrp)`. */
  of: string,
  riskFree?: Float64Array,
): PolicyFigures {
  const rf = riskFree !== undefined && riskFree.length === held.returns.length ? riskFree : undefined;
  const m = performanceMetrics(held.returns, A, rf, {
    subject: `${of}: the returns held under the rebalancing policy ${p.name}`,
  });
  let growth = 1;
  for (const r of held.returns) growth *= 1 + r;
  return {
    name: p.name,
    settings: p.settings,
    total_return: growth - 1,
    cagr: m.cagr,
    sharpe: m.sharpe,
    max_drawdown: m.maxDrawdown,
    turnover: held.events.reduce((s, e) => s + e.turnover, 0),
    costs: held.events.reduce((s, e) => s + e.cost, 0),
    rebalances: held.events.length,
    partial: held.events.filter((e) => e.partial).length,
  };
}
