// Report data for the HTML renderer tests: one risk profile with every section and chart, one with
// every optional source missing.
import type {
  AttributionRowData,
  AttributionSection,
  MetaReportData,
  RiskProfileReport,
  TimeSeriesChart,
} from '../../../src/report/index.js';

export const DATES = Array.from({ length: 130 }, (_, i) =>
  new Date(Date.UTC(2024, 0, 1 + i + 2 * Math.floor(i / 5))).toISOString().slice(0, 10),
);

const series = (k: number, n = DATES.length): Float64Array =>
  Float64Array.from({ length: n }, (_, t) => 1 + 0.001 * t * (k + 1) + 0.02 * Math.sin(t / (3 + k)));

function chart(dates: readonly string[], negate = false): TimeSeriesChart {
  const v = (k: number) => series(k, dates.length).map((x) => (negate ? Math.max(0, 1.05 - x) : x));
  return {
    dates,
    lines: [
      { label: 'Meta', role: 'meta', values: v(0) },
      { label: 'Equal weight', role: 'equal_weight', values: v(1) },
      { label: 'Best sleeve: gulf', role: 'best_sleeve', values: v(2) },
    ],
  };
}

const OOS = DATES.slice(60);

/** An attribution row from its weight and contributions (shares of the fixture's totals). */
function attributionRow(name: string, weight: number, vol: number, cvar: number): AttributionRowData {
  return {
    name,
    weight,
    volContribution: vol,
    volShare: vol / 0.2,
    volMarginal: vol / weight,
    cvarContribution: cvar,
    cvarShare: cvar / 0.02,
    cvarMarginal: cvar / weight,
  };
}

/**
 * Volatility 20 %, CVaR 2 %: three sleeves (one branch of two atomic sleeves, one a hedge), twelve assets
 * (ten of 1 % volatility each, a short, and the largest) and a part of the risk without physical exposure.
 */
export const attribution: AttributionSection = {
  file: 'data/meta_attribution_m_hrp.json',
  cvarLevel: 0.95,
  volatility: 0.2,
  cvar: 0.02,
  sharpe: 0.91,
  diversificationRatio: 1.42,
  effectiveN: 2.74,
  sleeves: [
    { ...attributionRow('swiss', 0.45, 0.07, 0.006), kind: 'meta' },
    { ...attributionRow('gulf', 0.35, 0.09, 0.01), kind: 'atomic' },
    { ...attributionRow('crypto', 0.2, 0.04, 0.004), kind: 'atomic' },
  ],
  leaves: [
    attributionRow('swiss/bonds', 0.2, -0.01, -0.001),
    attributionRow('swiss/equity', 0.25, 0.08, 0.007),
    attributionRow('gulf', 0.35, 0.09, 0.01),
    attributionRow('crypto', 0.2, 0.04, 0.004),
  ],
  leafDiversificationRatio: 1.55,
  leafEffectiveN: 2.99,
  assets: [
    ...Array.from({ length: 10 }, (_, i) =>
      attributionRow(`X${String(i + 1).padStart(2, '0')}`, 0.01, 0.01, 0.0011),
    ),
    attributionRow('CME_MINI:ES1!', -0.1, -0.01, -0.001),
    attributionRow('NESN', 0.3, 0.09, 0.008),
  ],
  unassigned: { volContribution: 0.02, cvarContribution: 0.002 },
  leaveOneOut: [
    { name: 'swiss', volatility: 0.25, cvar: 0.024, sharpe: 0.7 },
    { name: 'gulf', volatility: 0.15, cvar: 0.014, sharpe: 1.1 },
    { name: 'crypto', volatility: 0.12, cvar: null, sharpe: null },
  ],
};

export const full: RiskProfileReport = {
  riskProfile: 'hrp',
  firstDate: DATES[0]!,
  lastDate: DATES.at(-1)!,
  periodsPerYear: 252,
  periodsPerYearSource: 'meta manifest calendar',
  frequency: 'daily',
  metrics: {
    observations: 130,
    cagr: 0.123456,
    volatility: 0.2,
    sharpe: 1.23456,
    sortino: null,
    maxDrawdown: 0.0512,
    calmar: 2.41125,
    winRate: 0.536,
    effectiveN: 1.8,
  },
  allocation: {
    method: 'hrp',
    requestedMethod: 'hrp',
    minWeight: 0.05,
    maxWeight: 0.6,
    fallbacks: [],
    sleeves: [
      {
        id: 'swiss',
        kind: 'meta',
        profile: 'meta_swiss',
        runId: null,
        weight: 0.45,
        figures: { cagr: 0.1, volatility: 0.15, sharpe: 0.66666, maxDrawdown: 0.04 },
      },
      {
        id: 'gulf',
        kind: 'atomic',
        profile: 'gulf_equity',
        runId: 'gulf_1',
        weight: 0.35,
        figures: { cagr: -0.00001, volatility: 0.3, sharpe: null, maxDrawdown: 0.1 },
      },
      {
        id: 'crypto',
        kind: 'atomic',
        profile: 'crypto',
        runId: 'c_1',
        weight: 0.2,
        figures: { cagr: 0.5, volatility: 0.9, sharpe: 0.55, maxDrawdown: 0.6 },
      },
    ],
  },
  correlation: {
    ids: ['swiss', 'gulf', 'crypto'],
    values: [
      [1, 0.254, -0.4],
      [0.254, 1, 0.1],
      [-0.4, 0.1, 1],
    ],
  },
  assets: {
    top: [
      {
        symbol: 'NESN',
        direction: 'LONG',
        gross: 0.3,
        net: 0.3,
        contributors: [
          { path: 'swiss/sectors', contribution: 0.25 },
          { path: 'gulf', contribution: 0.05 },
        ],
      },
      {
        symbol: 'CME_MINI:ES1!',
        direction: 'SHORT',
        gross: 0.1,
        net: -0.1,
        contributors: [{ path: 'gulf', contribution: -0.1 }],
      },
    ],
    limit: 20,
    assetCount: 2,
    totals: { gross: 0.4, net: 0.2, long: 0.3, short: -0.1 },
    missing: [],
    fallbacks: [],
  },
  health: {
    sleeves: [{ id: 'gulf', windows: 10, successes: 9, successRate: 0.9, healthy: true }],
    excluded: [],
    warnings: ['sleeve <img src=x onerror=alert(1)> & "quotes" | pipes'],
  },
  anomalies: { window: 21, sharpeLimit: 10, volatilityLimit: 2, series: ['portfolio', 'gulf'], windows: [] },
  calendar: {
    commonRows: 130,
    firstDate: DATES[0]!,
    lastDate: DATES.at(-1)!,
    weekendDates: false,
    periodsPerYear: 252,
    sleeves: [{ id: 'gulf', rows: 200, kept: 130, intersectionLoss: 0.35 }],
  },
  nested: { branches: [] },
  attribution,
  exposure: {
    rows: [
      {
        symbol: 'NESN',
        gross: 0.3,
        net: 0.3,
        volShare: 0.45,
        cvarShare: 0.4,
        contributors: [
          { path: 'swiss/equity', contribution: 0.2 },
          { path: 'gulf', contribution: 0.06 },
          { path: 'crypto', contribution: 0.03 },
          { path: 'swiss/bonds', contribution: 0.01 },
        ],
      },
      {
        symbol: 'CME_MINI:ES1!',
        gross: 0.1,
        net: -0.1,
        volShare: -0.05,
        cvarShare: -0.05,
        contributors: [{ path: 'gulf', contribution: -0.1 }],
      },
    ],
    totalGross: 0.4,
    attributionFile: 'data/meta_attribution_m_hrp.json',
  },
  backtest: {
    status: 'ok',
    reason: null,
    method: 'hrp',
    trainWindow: 60,
    rebalance: 21,
    commission: 0.0001,
    slippage: 0.0005,
    periodsPerYear: 252,
    firstDate: OOS[0]!,
    lastDate: OOS.at(-1)!,
    days: OOS.length,
    rebalances: 4,
    turnover: { total: 1.31, initial: 1, meanPerRebalance: 0.1033, annualised: 1.116 },
    costs: 0.000786,
    effectiveNMean: 2.71,
    fallbacks: [{ date: OOS[21]!, level: 'swiss', text: 'hrp failed with E_SOLVER, used inverse_variance' }],
    rows: [
      {
        label: 'meta',
        kind: 'meta',
        observations: 70,
        cagr: 0.08,
        volatility: 0.12,
        sharpe: 0.7,
        sortino: 1.1,
        maxDrawdown: 0.05,
        calmar: 1.6,
        winRate: 0.52,
      },
      {
        label: 'in_sample_weights',
        kind: 'in_sample_weights',
        observations: 70,
        cagr: 0.1,
        volatility: 0.12,
        sharpe: 0.85,
        sortino: 1.3,
        maxDrawdown: 0.045,
        calmar: 2.2,
        winRate: 0.53,
      },
      {
        label: 'equal_weight',
        kind: 'equal_weight',
        observations: 70,
        cagr: 0.06,
        volatility: 0.13,
        sharpe: 0.5,
        sortino: 0.8,
        maxDrawdown: 0.06,
        calmar: 1,
        winRate: 0.5,
      },
      {
        label: 'gulf',
        kind: 'sleeve',
        observations: 70,
        cagr: -0.02,
        volatility: 0.3,
        sharpe: null,
        sortino: null,
        maxDrawdown: 0.2,
        calmar: null,
        winRate: 0.48,
      },
    ],
  },
  charts: {
    inSample: { equity: chart(DATES), drawdown: chart(DATES, true) },
    outOfSample: { equity: chart(OOS), drawdown: chart(OOS, true) },
    rollingVolatility: {
      window: 63,
      chart: {
        dates: DATES,
        lines: [
          {
            label: 'Meta',
            role: 'meta',
            values: Float64Array.from(DATES, (_, t) => (t < 62 ? Number.NaN : 0.1 + t / 1e4)),
          },
        ],
      },
    },
    weightsHistory: {
      ids: ['swiss', 'gulf', 'crypto'],
      dates: [OOS[0]!, OOS[21]!, OOS[42]!, OOS[63]!],
      weights: [
        [0.4, 0.4, 0.2],
        [0.45, 0.35, 0.2],
        [0.5, 0.3, 0.2],
        [0.45, 0.35, 0.2],
      ],
    },
    // The swiss branch trades inside: its sleeves swap weight while the branch's own weight moves less.
    leafWeightsHistory: {
      ids: ['swiss/bonds', 'swiss/equity', 'gulf', 'crypto'],
      dates: [OOS[0]!, OOS[21]!, OOS[42]!, OOS[63]!],
      weights: [
        [0.3, 0.1, 0.4, 0.2],
        [0.1, 0.35, 0.35, 0.2],
        [0.35, 0.15, 0.3, 0.2],
        [0.1, 0.35, 0.35, 0.2],
      ],
    },
    tree: {
      labels: ['swiss', 'gulf', 'crypto'],
      order: [2, 0, 1],
      merges: [
        { left: 0, right: 1, height: 0.3 },
        { left: 2, right: 3, height: 0.55 },
      ],
      weights: [0.45, 0.35, 0.2],
      linkage: 'single',
    },
  },
};

const degraded: RiskProfileReport = {
  ...full,
  riskProfile: 'min_variance',
  allocation: { ...full.allocation, method: 'min_variance', requestedMethod: 'min_variance' },
  assets: { omitted: 'data/portfolio_optimized_meta_m_min_variance.json' },
  health: { omitted: 'data/meta_manifest_m_min_variance.json' },
  calendar: { omitted: 'data/meta_manifest_m_min_variance.json' },
  nested: { omitted: 'data/meta_manifest_m_min_variance.json' },
  backtest: { omitted: 'data/meta_backtest_m_min_variance.json' },
  attribution: { omitted: 'data/meta_attribution_m_min_variance.json' },
  exposure: { omitted: 'data/portfolio_optimized_meta_m_min_variance.json' },
  charts: {
    ...full.charts!,
    outOfSample: null,
    weightsHistory: null,
    rollingVolatility: null,
    tree: { omitted: 'data/meta_cluster_tree_m_min_variance.json' },
  },
};

export const data: MetaReportData = {
  metaProfile: 'm',
  runId: 'm_20260101-000000',
  createdAt: '2026-01-01T00:00:00Z',
  toolVersion: '0.1.0',
  riskProfiles: [full, degraded],
};
