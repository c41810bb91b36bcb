// A meta workspace for tests, made of real sleeve run folders (Parquet streams, weights, audit ledgers):
//   meta_root = [inner (meta_profile meta_inner), gamma, delta], bounds [0.1, 0.7]
//   meta_inner = [alpha, beta], bounds [0.2, 0.8]
// alpha: hrp/min_variance/risk_parity; beta: same, legacy (predecessor) layout; gamma: hrp + risk_parity
// only (no min_variance stream); delta: healthy for min_variance/risk_parity, 2/4 windows for hrp.
// Calendars: alpha/beta/delta business days; gamma starts 20 days later (intersection loss).
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from './sleeve-fixtures.js';

export const PROFILES = ['hrp', 'min_variance', 'risk_parity'] as const;
const DAYS = 320;

function streams(
  seed: number,
  dates: string[],
  profiles: readonly string[],
  vol = 0.01,
): Record<string, { dates: string[]; returns: Float64Array }> {
  return Object.fromEntries(
    profiles.map((p, k) => [
      p,
      { dates, returns: randomReturns(seed * 10 + k, dates.length, { vol, mean: 0.0004 }) },
    ]),
  );
}

const ALPHA_WEIGHTS = [
  { Symbol: 'CME_MINI:ES1!', Weight: 0.6, Net_Weight: 0.6, Direction: 'LONG' as const },
  { Symbol: 'SHARED', Weight: 0.4, Net_Weight: 0.4, Direction: 'LONG' as const },
];
const BETA_WEIGHTS = [
  { Symbol: 'SHARED', Weight: 0.5, Net_Weight: 0.5, Direction: 'LONG' as const },
  { Symbol: 'NYMEX:CL1!', Weight: 0.5, Net_Weight: -0.5, Direction: 'SHORT' as const },
];
const GAMMA_WEIGHTS = [{ Symbol: 'GLD', Weight: 1, Net_Weight: 1, Direction: 'LONG' as const }];
const DELTA_WEIGHTS = [
  { Symbol: 'TLT', Weight: 0.7, Net_Weight: 0.7, Direction: 'LONG' as const },
  { Symbol: 'SHARED', Weight: 0.3, Net_Weight: -0.3, Direction: 'SHORT' as const },
];

export function metaManifest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    profiles: {
      meta_inner: {
        sleeves: [
          { id: 'alpha', profile: 'alpha' },
          { id: 'beta', profile: 'beta', run_id: 'beta_legacy' },
        ],
        meta_allocation: { min_weight: 0.2, max_weight: 0.8 },
      },
      meta_root: {
        sleeves: [
          { id: 'inner', meta_profile: 'meta_inner' },
          { id: 'gamma', profile: 'gamma' },
          { id: 'delta', profile: 'delta' },
        ],
        meta_allocation: { min_weight: 0.1, max_weight: 0.7 },
        risk_profiles: [...PROFILES],
      },
      ...extra,
    },
  };
}

export async function buildMetaWorkspace(
  ws: string,
  options: { manifest?: Record<string, unknown> } = {},
): Promise<void> {
  const dates = businessDays('2023-01-02', DAYS);
  const late = dates.slice(20);
  const all = Object.fromEntries(PROFILES.map((p) => [p, ALPHA_WEIGHTS]));
  await writeSleeveRun(ws, {
    runId: 'alpha_20240101-000000',
    profile: 'alpha',
    createdAt: '2024-01-01T00:00:00Z',
    streams: streams(1, dates, PROFILES),
    weights: all,
    health: {
      hrp: { windows: 4, successes: 4 },
      min_variance: { windows: 4, successes: 4 },
      risk_parity: { windows: 4, successes: 3 },
    },
  });
  // An older alpha run: "latest" must pick the 2024-01-01 one.
  await writeSleeveRun(ws, {
    runId: 'alpha_20230101-000000',
    profile: 'alpha',
    createdAt: '2023-01-01T00:00:00Z',
    streams: streams(9, dates, PROFILES, 0.05),
    weights: all,
  });
  await writeSleeveRun(ws, {
    runId: 'beta_legacy',
    profile: 'beta',
    layout: 'legacy',
    streams: streams(2, dates, PROFILES, 0.015),
    weights: Object.fromEntries(PROFILES.map((p) => [p, BETA_WEIGHTS])),
  });
  await writeSleeveRun(ws, {
    runId: 'gamma_20240101-000000',
    profile: 'gamma',
    streams: streams(3, late, ['hrp', 'risk_parity'], 0.008),
    weights: { hrp: GAMMA_WEIGHTS, risk_parity: GAMMA_WEIGHTS },
  });
  await writeSleeveRun(ws, {
    runId: 'delta_20240101-000000',
    profile: 'delta',
    streams: streams(4, dates, PROFILES, 0.012),
    weights: Object.fromEntries(PROFILES.map((p) => [p, DELTA_WEIGHTS])),
    health: {
      hrp: { windows: 4, successes: 2 },
      min_variance: { windows: 4, successes: 4 },
      risk_parity: { windows: 4, successes: 4 },
    },
  });
  await writeManifest(ws, options.manifest ?? metaManifest());
}
