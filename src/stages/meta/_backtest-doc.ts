/** The artifacts of `meta.backtest`: the daily Parquet table and the summary document. */
import type { NumericTable } from '../../artifacts/index.js';
import type { MetaWalkForwardResult } from '../../numeric/backtest/meta-walk-forward.js';
import { effectiveN, performanceMetrics, type MetricsSubject } from '../../numeric/stats/performance.js';
import type { BacktestMetrics, MetaBacktestDoc } from './_artifact-types.js';
import type { BacktestLevel } from './_backtest-tree.js';

/** What the summary records about the run's settings. */
export interface BacktestSettings {
  readonly metaProfile: string;
  readonly riskProfile: string;
  readonly method: string;
  readonly trainWindow: number;
  readonly rebalance: number;
  readonly commission: number;
  readonly slippage: number;
}

/** The three streams of a backtest: the meta portfolio, equal weight and each sleeve alone. */
export interface BacktestStreams {
  readonly meta: MetaWalkForwardResult;
  readonly equalWeight: Float64Array;
  /** Per sleeve column of the level, its out-of-sample stream on the same dates. */
  readonly sleeves: readonly Float64Array[];
}

function metrics(
  returns: Float64Array,
  periodsPerYear: number,
  riskFree: Float64Array,
  about: MetricsSubject,
): BacktestMetrics {
  const m = performanceMetrics(returns, periodsPerYear, riskFree, about);
  return {
    observations: m.observations,
    cagr: m.cagr,
    volatility: m.volatility,
    sharpe: m.sharpe,
    sortino: m.sortino,
    max_drawdown: m.maxDrawdown,
    calmar: m.calmar,
    win_rate: m.winRate,
  };
}

function base(
  s: BacktestSettings,
  level: BacktestLevel,
  status: MetaBacktestDoc['status'],
  reason: string | null,
): MetaBacktestDoc {
  return {
    schema_version: 1,
    meta_profile: s.metaProfile,
    risk_profile: s.riskProfile,
    status,
    reason,
    method: s.method,
    params: {
      train_window: s.trainWindow,
      rebalance: s.rebalance,
      commission: s.commission,
      slippage: s.slippage,
      periods_per_year: level.settings.periodsPerYear,
    },
    annualisation: level.annualisation,
    nesting: 'walk_forward',
    returns_file: null,
    sleeves: level.ids.map((id, j) => ({ id, kind: level.kinds[j] ?? 'atomic' })),
    leaves: [],
    period: { rows_available: level.dates.length, first_date: null, last_date: null, days: 0 },
    rebalances: 0,
    turnover: { total: 0, initial: 0, mean_per_rebalance: null, annualised: null },
    costs: { total: 0 },
    metrics: { meta: null, equal_weight: null, sleeves: {} },
    windows: [],
  };
}

/** The summary of a level whose history is shorter than one train window plus one day. */
export function insufficientHistoryDoc(s: BacktestSettings, level: BacktestLevel): MetaBacktestDoc {
  const T = level.dates.length;
  const reason = `${T} common dates: a train window of ${s.trainWindow} needs at least ${s.trainWindow + 1}`;
  return base(s, level, 'insufficient_history', reason);
}

/** The summary of a completed backtest (figures annualised by the level's factor). */
export function backtestDoc(
  s: BacktestSettings,
  level: BacktestLevel,
  streams: BacktestStreams,
  returnsFile: string,
  riskFree: { readonly perPeriod: Float64Array; readonly label: string; readonly annualRate: number },
): MetaBacktestDoc {
  const A = level.settings.periodsPerYear;
  const rf = riskFree.perPeriod;
  const { meta } = streams;
  const r = meta.rebalances;
  const initial = r[0]?.turnover ?? 0;
  const later = r.slice(1).reduce((sum, w) => sum + w.turnover, 0);
  const days = meta.dates.length;
  const effective = r.map((w) => effectiveN(w.weights)).filter((x): x is number => x !== null);
  // Each sleeve first: a sleeve whose stream compounds beyond a double is named, not only the portfolio
  // it overflows.
  const levelName = `meta profile ${s.metaProfile} (${s.riskProfile})`;
  const sleeves = Object.fromEntries(
    level.ids.map((id, j) => [
      id,
      metrics(streams.sleeves[j] as Float64Array, A, rf, {
        subject: `${levelName}: the out-of-sample returns of sleeve ${id}`,
        hint: `check the return stream of sleeve ${id} (simple returns, 0.01 = 1 %): re-run the sleeve or pin another run`,
        details: { sleeve: id },
      }),
    ]),
  );
  const equalWeight = metrics(streams.equalWeight, A, rf, {
    subject: `${levelName}: the out-of-sample returns of its sleeves at equal weight`,
  });
  const metaMetrics = metrics(meta.returns, A, rf, {
    subject: `${levelName}: the out-of-sample returns of the meta portfolio`,
  });
  return {
    ...base(s, level, 'ok', null),
    risk_free: { label: riskFree.label, annual_rate: riskFree.annualRate },
    returns_file: returnsFile,
    leaves: meta.leaves,
    period: {
      rows_available: level.dates.length,
      first_date: meta.dates[0] ?? null,
      last_date: meta.dates[days - 1] ?? null,
      days,
    },
    rebalances: r.length,
    turnover: {
      total: initial + later,
      initial,
      mean_per_rebalance: r.length > 1 ? later / (r.length - 1) : null,
      annualised: days > 0 ? (later * A) / days : null,
    },
    costs: { total: r.reduce((sum, w) => sum + w.cost, 0) },
    metrics: {
      meta: {
        ...metaMetrics,
        effective_n_mean:
          effective.length === 0 ? null : effective.reduce((a, b) => a + b, 0) / effective.length,
      },
      equal_weight: equalWeight,
      sleeves,
    },
    windows: r.map((w) => ({
      index: w.index,
      date: w.date,
      train_start: w.trainStart,
      train_end: w.trainEnd,
      held_days: w.heldDays,
      method: w.method,
      weights: Object.fromEntries(level.ids.map((id, j) => [id, w.weights[j] as number])),
      leaf_weights: Object.fromEntries(meta.leaves.map((path, k) => [path, w.leafWeights[k] as number])),
      turnover: w.turnover,
      cost: w.cost,
      fallbacks: w.fallbacks.map((f) => ({
        level: f.level,
        method: f.method,
        code: f.code,
        message: f.message,
        used: f.used,
      })),
    })),
  };
}

/**
 * The daily table: `meta` (net of costs), `equal_weight`, `sleeve:<id>` per sleeve, then per row whether
 * it is a rebalance day with its turnover and cost, and the target weights `weight:<id>` on rebalance
 * days (missing on the other days: the weights drift there).
 */
export function backtestTable(level: BacktestLevel, streams: BacktestStreams): NumericTable {
  const { meta } = streams;
  const T = meta.dates.length;
  const rebalance = new Float64Array(T);
  const turnover = new Float64Array(T);
  const cost = new Float64Array(T);
  const weights = level.ids.map(() => new Float64Array(T).fill(Number.NaN));
  const row = new Map(meta.dates.map((d, t) => [d, t]));
  for (const w of meta.rebalances) {
    const t = row.get(w.date) as number;
    rebalance[t] = 1;
    turnover[t] = w.turnover;
    cost[t] = w.cost;
    weights.forEach((col, j) => (col[t] = w.weights[j] as number));
  }
  // With a rebalancing policy the trades are its events, which need not fall on the refits.
  if (meta.events !== undefined) {
    rebalance.fill(0);
    turnover.fill(0);
    cost.fill(0);
    for (const e of meta.events) {
      rebalance[e.row] = 1;
      turnover[e.row] = e.turnover;
      cost[e.row] = e.cost;
    }
  }
  return {
    dates: meta.dates,
    columns: [
      'meta',
      'equal_weight',
      ...level.ids.map((id) => `sleeve:${id}`),
      'rebalance',
      'turnover',
      'cost',
      ...level.ids.map((id) => `weight:${id}`),
    ],
    values: [meta.returns, streams.equalWeight, ...streams.sleeves, rebalance, turnover, cost, ...weights],
  };
}
