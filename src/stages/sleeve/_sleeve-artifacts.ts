// Pure builders of what sleeve.backtest writes (DESIGN §4): the atoms and physical weights files, the
// per-window ledger records and the run statistics. The stage only writes what these return.
import type { LedgerEntry } from '../../core/stage.js';
import type { ProfileBacktest, WindowRecord } from '../../numeric/backtest/walk-forward.js';
import type { PositionDirection } from '../../numeric/backtest/synthetic-returns.js';
import { performanceMetrics } from '../../numeric/stats/performance.js';

/** The `engine` named in every per-window health record. */
export const BACKTEST_ENGINE = 'metafolio.walk_forward';
/** Ledger step of the per-window health records the meta layer counts. */
const BACKTEST_STEP = 'backtest_optimize';

/** The logic-atom id of an asset held in a direction: `<ASSET>_<LONG|SHORT>`. */
export function atomId(asset: string, direction: PositionDirection): string {
  return `${asset}_${direction}`;
}

interface Holding {
  readonly asset: string;
  readonly direction: PositionDirection;
  readonly weight: number;
}

function holdings(
  assets: readonly string[],
  directions: readonly PositionDirection[],
  weights: Float64Array,
): Holding[] {
  return assets.map((asset, i) => ({
    asset,
    direction: directions[i] as PositionDirection,
    weight: weights[i] as number,
  }));
}

/** Signed weight; a zero stays +0 so that a SHORT asset without weight prints as 0, not -0. */
const signed = (h: Holding): number => (h.direction === 'SHORT' && h.weight !== 0 ? -h.weight : h.weight);

/**
 * `data/portfolio_optimized_v2.json` (atoms) and `data/portfolio_flattened.json` (physical assets) from
 * the target weights of each profile's last window. One atom per asset, so the flattened net weight of an
 * asset is its atom's signed weight; every asset is listed (zero weights included), in manifest order.
 */
export function weightsDocuments(
  assets: readonly string[],
  directions: readonly PositionDirection[],
  profiles: readonly ProfileBacktest[],
): { atoms: unknown; flattened: unknown } {
  const atoms: Record<string, unknown> = {};
  const flattened: Record<string, unknown> = {};
  for (const p of profiles) {
    const rows = holdings(assets, directions, p.lastWeights);
    const last = p.windows[p.windows.length - 1] as WindowRecord;
    const asOf = { as_of: last.testStart, method_used: last.methodUsed };
    atoms[p.profile] = {
      ...asOf,
      assets: rows.map((h) => ({
        Symbol: atomId(h.asset, h.direction),
        Physical: h.asset,
        Weight: h.weight,
        Net_Weight: signed(h),
        Direction: h.direction,
      })),
    };
    flattened[p.profile] = {
      ...asOf,
      assets: rows.map((h) => ({
        Symbol: h.asset,
        Weight: Math.abs(signed(h)),
        Net_Weight: signed(h),
        Direction: h.direction,
      })),
    };
  }
  return {
    atoms: { schema_version: 1, profiles: atoms },
    flattened: { schema_version: 1, profiles: flattened },
  };
}

/**
 * One `backtest_optimize` outcome per window and risk profile (the health records of DESIGN §4), each
 * followed by a `decision` record when the window fell back (DESIGN §7: every fallback is a decision).
 */
export function windowLedgerEntries(profiles: readonly ProfileBacktest[]): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const p of profiles) {
    for (const w of p.windows) {
      const context = { profile: p.profile, window: w.index, engine: BACKTEST_ENGINE };
      entries.push({
        type: 'outcome',
        step: BACKTEST_STEP,
        status: w.status,
        context,
        data: {
          train_start: w.trainStart,
          train_end: w.trainEnd,
          test_start: w.testStart,
          test_end: w.testEnd,
          method_used: w.methodUsed,
          turnover: w.turnover,
          cost: w.cost,
          ...(w.reason === undefined ? {} : { reason: w.reason }),
        },
      });
      if (w.fallbacks.length > 0) {
        entries.push({
          type: 'decision',
          step: 'backtest_fallback',
          status: 'recorded',
          context,
          data: {
            requested: p.profile,
            method_used: w.methodUsed,
            fallbacks: w.fallbacks.map((f) => ({ method: f.method, code: f.code, message: f.message })),
          },
        });
      }
    }
  }
  return entries;
}

/** Per risk profile: windows, failures, the out-of-sample span and its metrics, turnover and costs. */
export function profileStats(
  p: ProfileBacktest,
  periodsPerYear: number,
  sleeve: string,
): Record<string, unknown> {
  const m = performanceMetrics(p.returns, periodsPerYear, undefined, {
    subject: `sleeve profile ${sleeve} (${p.profile}): the out-of-sample returns`,
    hint: 'check the prices of the sleeve (prices, not returns, amounts or percentages; every price finite and > 0)',
    details: { profile: sleeve, risk_profile: p.profile },
  });
  const windows = p.windows.length;
  const turnover = p.windows.reduce((s, w) => s + w.turnover, 0);
  return {
    windows,
    failed_windows: p.windows.filter((w) => w.status === 'error').length,
    oos_days: p.returns.length,
    first_date: p.dates[0] ?? null,
    last_date: p.dates[p.dates.length - 1] ?? null,
    cagr: m.cagr,
    volatility: m.volatility,
    sharpe: m.sharpe,
    max_drawdown: m.maxDrawdown,
    average_turnover: windows === 0 ? null : turnover / windows,
    total_cost: p.windows.reduce((s, w) => s + w.cost, 0),
  };
}
