// The meta_allocation options of a meta level, pinned like portfolio.optimize's (optimize-seams.ts): six
// atomic sleeves whose streams are the six SWX simple-return columns on the SWX dates, so a level's
// return matrix is exactly the table behind the PyPortfolioOpt / skfolio references. One meta profile per
// option; each case names the profile with the option, the profile without it, the risk profile, the
// independently computed weights and how far they must move from the default's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';
import { matrixFromRows } from '../../src/numeric/linalg/matrix.js';
import { minCvar } from '../../src/numeric/optimize/min-cvar.js';
import { goldenWeights, loadGolden } from './datasets.js';
import {
  ledoitWolf,
  maxSharpeReference,
  meanReturns,
  minVarianceReference,
  sampleCovariance,
  scaled,
} from './reference-optimizers.js';
import { writeManifest, writeSleeveRun } from './sleeve-fixtures.js';

const META_RISK_PROFILES = ['hrp', 'min_variance', 'max_sharpe', 'risk_parity', 'min_cvar'] as const;
type MetaRiskProfile = (typeof META_RISK_PROFILES)[number];

interface SwxReturns {
  readonly assets: string[];
  readonly dates: string[];
  readonly rows: number[][];
}

let cache: SwxReturns | undefined;
function swxReturns(): SwxReturns {
  if (cache !== undefined) return cache;
  const lines = readFileSync(join(REPO, 'data', 'swx_prices.csv'), 'utf8')
    .trim()
    .split('\n');
  const assets = (lines[0] as string).split(',').slice(1);
  const prices = lines.slice(1).map((l) => l.split(',').slice(1).map(Number));
  const dates = lines.slice(2).map((l) => l.split(',')[0] as string);
  const rows = prices.slice(1).map((r, t) => r.map((p, j) => p / (prices[t]![j] as number) - 1));
  return (cache = { assets, dates, rows });
}

/** Sleeve id of an SWX column. */
const sleeveId = (asset: string): string => asset.toLowerCase();

/** Meta profiles: the default and one per option (with the risk profiles it is tested on). */
const PROFILES: Readonly<Record<string, { allocation: Record<string, unknown>; risk: readonly string[] }>> = {
  m_default: { allocation: {}, risk: META_RISK_PROFILES },
  m_ward: { allocation: { linkage: 'ward' }, risk: ['hrp'] },
  m_optimal: { allocation: { leaf_order: 'optimal' }, risk: ['hrp'] },
  m_lw: { allocation: { covariance: 'ledoit_wolf' }, risk: ['min_variance'] },
  m_cagr: { allocation: { expected_returns: 'cagr' }, risk: ['max_sharpe'] },
  m_rf: { allocation: { risk_free_rate: 0.005 }, risk: ['max_sharpe'] },
  m_rf2: { allocation: { risk_free_rate: 0.002 }, risk: ['max_sharpe'] },
  m_rf2_weekly: { allocation: { risk_free_rate: 0.002, periods_per_year: 52 }, risk: ['max_sharpe'] },
  m_min: { allocation: { min_weight: 0.05 }, risk: ['min_variance'] },
  m_max: { allocation: { max_weight: 0.5 }, risk: ['min_variance'] },
  m_cvar: { allocation: { cvar_level: 0.9 }, risk: ['min_cvar'] },
};
export const META_PROFILES = Object.keys(PROFILES);

/** Six healthy sleeve runs (one stream per risk profile, the same SWX column) and the manifest. */
export async function buildMetaSeamWorkspace(ws: string): Promise<void> {
  const swx = swxReturns();
  for (const [j, asset] of swx.assets.entries()) {
    const returns = swx.rows.map((r) => r[j] as number);
    await writeSleeveRun(ws, {
      runId: `${sleeveId(asset)}_run`,
      profile: sleeveId(asset),
      streams: Object.fromEntries(META_RISK_PROFILES.map((P) => [P, { dates: swx.dates, returns }])),
      weights: Object.fromEntries(
        META_RISK_PROFILES.map((P) => [P, [{ Symbol: asset, Weight: 1, Net_Weight: 1, Direction: 'LONG' }]]),
      ),
      health: Object.fromEntries(META_RISK_PROFILES.map((P) => [P, { windows: 4, successes: 4 }])),
    });
  }
  const sleeves = swx.assets.map((a) => ({ id: sleeveId(a), profile: sleeveId(a) }));
  await writeManifest(ws, {
    profiles: Object.fromEntries(
      Object.entries(PROFILES).map(([name, p]) => [
        name,
        { sleeves, meta_allocation: p.allocation, risk_profiles: [...p.risk] },
      ]),
    ),
  });
}

export interface MetaSeamCase {
  readonly name: string;
  readonly profile: string;
  /** The profile without the option. */
  readonly base: string;
  readonly risk: MetaRiskProfile;
  /** Expected sleeve weights by sleeve id, in manifest order. */
  readonly expected: () => Readonly<Record<string, number>>;
  readonly tolerance: number;
  readonly minDiff: number;
}

function bySleeve(w: readonly number[]): Record<string, number> {
  return Object.fromEntries(swxReturns().assets.map((a, i) => [sleeveId(a), w[i] as number]));
}
const golden = (id: string) => (): Record<string, number> =>
  bySleeve(goldenWeights(loadGolden('swx_prices'), id));
const A = 252;

export const META_SEAM_CASES: readonly MetaSeamCase[] = [
  // The risk profile chooses the method (default level: hrp, single linkage, dendrogram order).
  {
    name: 'risk profile min_variance',
    profile: 'm_default',
    base: 'm_default',
    risk: 'min_variance',
    expected: () => bySleeve(minVarianceReference(sampleCovariance(swxReturns().rows))),
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  {
    name: 'risk profile risk_parity',
    profile: 'm_default',
    base: 'm_default',
    risk: 'risk_parity',
    expected: golden('own.erc.newton'),
    tolerance: 1e-9,
    minDiff: 0.1,
  },
  {
    name: 'meta_allocation.linkage=ward',
    profile: 'm_ward',
    base: 'm_default',
    risk: 'hrp',
    expected: golden('pypfopt.HRPOpt.ward'),
    tolerance: 1e-9,
    minDiff: 0.02,
  },
  {
    name: 'meta_allocation.leaf_order=optimal',
    profile: 'm_optimal',
    base: 'm_default',
    risk: 'hrp',
    expected: golden('skfolio.HierarchicalRiskParity.single'),
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  {
    name: 'meta_allocation.covariance=ledoit_wolf',
    profile: 'm_lw',
    base: 'm_default',
    risk: 'min_variance',
    expected: () => bySleeve(minVarianceReference(ledoitWolf(swxReturns().rows).covariance)),
    tolerance: 1e-9,
    minDiff: 0.01,
  },
  {
    name: 'meta_allocation.expected_returns=cagr',
    profile: 'm_cagr',
    base: 'm_default',
    risk: 'max_sharpe',
    expected: golden('own.max_sharpe.exact.mu_cagr'),
    tolerance: 1e-9,
    minDiff: 0.008,
  },
  {
    name: 'meta_allocation.risk_free_rate=0.005',
    profile: 'm_rf',
    base: 'm_default',
    risk: 'max_sharpe',
    expected: () => {
      const r = swxReturns().rows;
      return bySleeve(maxSharpeReference(scaled(sampleCovariance(r), A), meanReturns(r, A), 0.005));
    },
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  {
    name: 'meta_allocation.periods_per_year=52 (risk_free_rate 0.002)',
    profile: 'm_rf2_weekly',
    base: 'm_rf2',
    risk: 'max_sharpe',
    expected: () => {
      const r = swxReturns().rows;
      return bySleeve(maxSharpeReference(scaled(sampleCovariance(r), 52), meanReturns(r, 52), 0.002));
    },
    tolerance: 1e-9,
    minDiff: 0.02,
  },
  {
    // The LP kernel on the level's matrix, itself checked against exact enumeration in
    // test/golden/tail-risk.golden.test.ts: here the seam is what is tested.
    name: 'meta_allocation.cvar_level=0.9',
    profile: 'm_cvar',
    base: 'm_default',
    risk: 'min_cvar',
    expected: () => bySleeve(Array.from(minCvar(matrixFromRows(swxReturns().rows), { level: 0.9 }).weights)),
    tolerance: 1e-12,
    minDiff: 0.01,
  },
  {
    name: 'meta_allocation.min_weight=0.05',
    profile: 'm_min',
    base: 'm_default',
    risk: 'min_variance',
    expected: () => bySleeve(minVarianceReference(sampleCovariance(swxReturns().rows), 0.05, 1)),
    tolerance: 1e-9,
    minDiff: 0.04,
  },
  {
    name: 'meta_allocation.max_weight=0.5',
    profile: 'm_max',
    base: 'm_default',
    risk: 'min_variance',
    expected: () => bySleeve(minVarianceReference(sampleCovariance(swxReturns().rows), 0, 0.5)),
    tolerance: 1e-9,
    minDiff: 0.1,
  },
];

/** The default level's hrp weights: pypfopt.HRPOpt.single (checked as the base of the hrp cases). */
export const META_DEFAULT_HRP = golden('pypfopt.HRPOpt.single');
