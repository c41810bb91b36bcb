// The option table of portfolio.optimize shared by the stage test (SDK) and the CLI test: for every
// option, the params without it (the default), the params with it, the weights expected with it from an
// independent computation (the PyPortfolioOpt / skfolio references of test/fixtures/golden, or
// test/helpers/reference-optimizers.ts on returns cleaned here from the CSV text), and how far the
// weights must move from the default's — so a change that ignores the option fails both ways.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';
import { matrixFromRows, type Matrix } from '../../src/numeric/linalg/matrix.js';
import { minCdar, minCvar } from '../../src/numeric/optimize/min-cvar.js';
import { meanCvar } from '../../src/numeric/optimize/mean-cvar.js';
import { goldenWeights, loadGolden } from './datasets.js';
import {
  inverseVarianceWeights,
  ledoitWolf,
  maxSharpeReference,
  meanReturns,
  minVarianceReference,
  sampleCovariance,
  scaled,
  type Rows,
} from './reference-optimizers.js';

type ParamValue = string | number | boolean | readonly string[];
export type Params = Readonly<Record<string, ParamValue>>;

/** The input tables of the cases (written by {@link writeSeamInputs}). */
export type SeamInput = 'swx' | 'swx_returns' | 'swx_log_returns' | 'swx_gappy';

export interface SeamCase {
  readonly name: string;
  readonly input: SeamInput;
  /** Params of the default run (the option left out). */
  readonly base: Params;
  /** The option(s) under test, added to `base`. */
  readonly option: Params;
  /** The default run fails with this code instead (the option is what makes the input usable). */
  readonly baseError?: string;
  /** Expected weights by asset, independently computed. */
  readonly expected: () => Readonly<Record<string, number>>;
  /** Largest allowed |w − expected| per asset. */
  readonly tolerance: number;
  /** Smallest required max |w − w_default| over the assets (an asset missing on one side counts as 0). */
  readonly minDiff?: number;
}

const SWX_FILE = join(REPO, 'data', 'swx_prices.csv');
const A = 252; // the SWX table is business-daily: the stage infers 252

interface PriceTable {
  readonly header: string[];
  readonly dates: string[];
  /** Rows of values, NaN for an empty cell. */
  readonly values: number[][];
}

function parseCsv(text: string): PriceTable {
  const lines = text.trim().split('\n');
  const header = (lines[0] as string).split(',').slice(1);
  const dates: string[] = [];
  const values: number[][] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    dates.push(cells[0] as string);
    values.push(cells.slice(1).map((c) => (c === '' ? NaN : Number(c))));
  }
  return { header, dates, values };
}

let swxCache: PriceTable | undefined;
function swx(): PriceTable {
  return (swxCache ??= parseCsv(readFileSync(SWX_FILE, 'utf8')));
}

function csv(
  header: readonly string[],
  dates: readonly string[],
  values: readonly (readonly number[])[],
): string {
  const body = values.map((r, t) =>
    [dates[t], ...r.map((v) => (Number.isNaN(v) ? '' : String(v)))].join(','),
  );
  return [['date', ...header].join(','), ...body].join('\n') + '\n';
}

/** Simple returns of consecutive rows. */
function simpleReturns(prices: Rows): number[][] {
  return prices.slice(1).map((r, t) => r.map((p, j) => p / (prices[t]![j] as number) - 1));
}

/**
 * The gappy table: SWX prices with SII missing on every 10th row (one-day gaps), SII missing for 60 rows
 * from row 1000, and LP60 listed only from row 300.
 */
function gappy(): PriceTable {
  const t = swx();
  const sii = t.header.indexOf('SII');
  const lp60 = t.header.indexOf('LP60');
  const values = t.values.map((r, i) =>
    r.map((v, j) =>
      (j === sii && ((i % 10 === 5 && i > 0) || (i >= 1000 && i < 1060))) || (j === lp60 && i < 300)
        ? NaN
        : v,
    ),
  );
  return { header: t.header, dates: t.dates, values };
}

/** Clean a price table as the docs state: drop_rows, drop_assets, or ffill (≤ limit after a value) then drop rows. */
function cleanPrices(
  table: PriceTable,
  missing: 'drop_rows' | 'drop_assets' | 'ffill',
  ffillLimit = 5,
): { assets: string[]; returns: number[][] } {
  let cols = table.header.map((_, j) => table.values.map((r) => r[j] as number));
  let assets = [...table.header];
  if (missing === 'drop_assets') {
    const keep = cols.map((c) => !c.some(Number.isNaN));
    assets = assets.filter((_, j) => keep[j]);
    cols = cols.filter((_, j) => keep[j]);
  }
  if (missing === 'ffill') {
    cols = cols.map((c) => {
      const out = [...c];
      let last = NaN;
      let run = 0;
      for (let i = 0; i < out.length; i++) {
        if (!Number.isNaN(out[i]!)) {
          last = out[i]!;
          run = 0;
        } else {
          run++;
          if (!Number.isNaN(last) && run <= ffillLimit) out[i] = last;
        }
      }
      return out;
    });
  }
  const rows = table.values
    .map((_, i) => cols.map((c) => c[i]!))
    .filter((r) => r.every((v) => !Number.isNaN(v)));
  return { assets, returns: simpleReturns(rows) };
}

/** Write the case inputs into `dir`; returns their paths. */
export function writeSeamInputs(dir: string): Record<SeamInput, string> {
  const t = swx();
  const returns = simpleReturns(t.values);
  const paths: Record<SeamInput, string> = {
    swx: SWX_FILE,
    swx_returns: join(dir, 'swx_returns.csv'),
    swx_log_returns: join(dir, 'swx_log_returns.csv'),
    swx_gappy: join(dir, 'swx_gappy.csv'),
  };
  writeFileSync(paths.swx_returns, csv(t.header, t.dates.slice(1), returns));
  writeFileSync(
    paths.swx_log_returns,
    csv(
      t.header,
      t.dates.slice(1),
      returns.map((r) => r.map(Math.log1p)),
    ),
  );
  const g = gappy();
  writeFileSync(paths.swx_gappy, csv(g.header, g.dates, g.values));
  return paths;
}

function byAsset(assets: readonly string[], w: readonly number[]): Record<string, number> {
  return Object.fromEntries(assets.map((a, i) => [a, w[i] as number]));
}

const golden = (id: string) => (): Record<string, number> => {
  const g = loadGolden('swx_prices');
  return byAsset(g.dataset.assets, goldenWeights(g, id));
};
const swxReturns = (): number[][] => simpleReturns(swx().values);
const assets = (): string[] => swx().header;
const swxMatrix = (): Matrix => matrixFromRows(swxReturns());

/** max over the union of assets of |a − b| (absent = 0). */
export function weightDistance(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): number {
  let d = 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
    d = Math.max(d, Math.abs((a[k] ?? 0) - (b[k] ?? 0)));
  return d;
}

const MS = { method: 'max_sharpe' } as const;
const MV = { method: 'min_variance' } as const;
const IV = { method: 'inverse_variance' } as const;

export const SEAM_CASES: readonly SeamCase[] = [
  // method (default hrp, single linkage, dendrogram order: pypfopt.HRPOpt.single)
  {
    name: 'method=inverse_variance',
    input: 'swx',
    base: {},
    option: IV,
    expected: golden('own.inverse_variance'),
    tolerance: 1e-9,
    minDiff: 0.1,
  },
  {
    name: 'method=equal_weight',
    input: 'swx',
    base: {},
    option: { method: 'equal_weight' },
    expected: () =>
      byAsset(
        assets(),
        assets().map(() => 1 / 6),
      ),
    tolerance: 1e-15,
    minDiff: 0.5,
  },
  {
    name: 'method=min_variance',
    input: 'swx',
    base: {},
    option: MV,
    expected: () => byAsset(assets(), minVarianceReference(sampleCovariance(swxReturns()))),
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  {
    name: 'method=max_sharpe',
    input: 'swx',
    base: {},
    option: MS,
    expected: () => {
      const r = swxReturns();
      return byAsset(assets(), maxSharpeReference(scaled(sampleCovariance(r), A), meanReturns(r, A)));
    },
    tolerance: 1e-9,
    minDiff: 0.5,
  },
  {
    name: 'method=risk_parity',
    input: 'swx',
    base: {},
    option: { method: 'risk_parity' },
    expected: golden('own.erc.newton'),
    tolerance: 1e-9,
    minDiff: 0.1,
  },
  {
    name: 'method=erc (alias)',
    input: 'swx',
    base: {},
    option: { method: 'erc' },
    expected: golden('own.erc.newton'),
    tolerance: 1e-9,
    minDiff: 0.1,
  },
  {
    name: 'method=barbell',
    input: 'swx',
    base: {},
    option: { method: 'barbell' },
    // 10 % shared equally by the 3 aggressors (the best antifragility scores on SWX: SII, LP40, LP60),
    // 90 % in the minimum-variance proportions of the other three.
    expected: () => {
      const r = swxReturns();
      const aggressors = ['SII', 'LP40', 'LP60'];
      const core = assets().filter((a) => !aggressors.includes(a));
      const idx = core.map((a) => assets().indexOf(a));
      const cov = sampleCovariance(r.map((row) => idx.map((j) => row[j]!)));
      const w = minVarianceReference(cov);
      const weights = {
        ...byAsset(
          aggressors,
          aggressors.map(() => 0.1 / 3),
        ),
        ...byAsset(
          core,
          w.map((v) => 0.9 * v),
        ),
      };
      return Object.fromEntries(assets().map((a) => [a, weights[a] as number]));
    },
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  // Tail-risk LPs: expected from the LP kernel on the cleaned returns, itself checked against exact
  // enumeration and grids in test/golden/tail-risk.golden.test.ts; here the seam is what is tested.
  {
    name: 'method=min_cvar',
    input: 'swx',
    base: {},
    option: { method: 'min_cvar' },
    expected: () => byAsset(assets(), Array.from(minCvar(swxMatrix()).weights)),
    tolerance: 1e-12,
    minDiff: 0.1,
  },
  {
    name: 'cvar_level=0.9 (min_cvar)',
    input: 'swx',
    base: { method: 'min_cvar' },
    option: { cvar_level: 0.9 },
    expected: () => byAsset(assets(), Array.from(minCvar(swxMatrix(), { level: 0.9 }).weights)),
    tolerance: 1e-12,
    minDiff: 0.01,
  },
  {
    name: 'method=min_cdar',
    input: 'swx',
    base: {},
    option: { method: 'min_cdar' },
    expected: () => byAsset(assets(), Array.from(minCdar(swxMatrix()).weights)),
    tolerance: 1e-12,
    minDiff: 0.1,
  },
  {
    name: 'method=mean_cvar',
    input: 'swx',
    base: {},
    option: { method: 'mean_cvar' },
    expected: () => byAsset(assets(), Array.from(meanCvar(swxMatrix()).weights)),
    tolerance: 1e-12,
    minDiff: 0.1,
  },
  // hrp options
  {
    name: 'linkage=ward',
    input: 'swx',
    base: {},
    option: { linkage: 'ward' },
    expected: golden('pypfopt.HRPOpt.ward'),
    tolerance: 1e-9,
    minDiff: 0.02,
  },
  {
    name: 'linkage=complete',
    input: 'swx',
    base: {},
    option: { linkage: 'complete' },
    expected: golden('pypfopt.HRPOpt.complete'),
    tolerance: 1e-9,
    minDiff: 0.02,
  },
  {
    name: 'linkage=average',
    input: 'swx',
    base: {},
    option: { linkage: 'average' },
    expected: golden('pypfopt.HRPOpt.average'),
    tolerance: 1e-9,
    minDiff: 0.02,
  },
  {
    name: 'leaf_order=optimal',
    input: 'swx',
    base: {},
    option: { leaf_order: 'optimal' },
    expected: golden('skfolio.HierarchicalRiskParity.single'),
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  // covariance
  {
    name: 'covariance=ledoit_wolf (inverse_variance)',
    input: 'swx',
    base: IV,
    option: { covariance: 'ledoit_wolf' },
    expected: () => byAsset(assets(), inverseVarianceWeights(ledoitWolf(swxReturns()).covariance)),
    tolerance: 1e-9,
    minDiff: 0.01,
  },
  {
    name: 'covariance=ledoit_wolf (min_variance)',
    input: 'swx',
    base: MV,
    option: { covariance: 'ledoit_wolf' },
    expected: () => byAsset(assets(), minVarianceReference(ledoitWolf(swxReturns()).covariance)),
    tolerance: 1e-9,
    minDiff: 0.01,
  },
  // max_sharpe options
  {
    name: 'expected_returns=cagr',
    input: 'swx',
    base: MS,
    option: { expected_returns: 'cagr' },
    expected: golden('own.max_sharpe.exact.mu_cagr'),
    tolerance: 1e-9,
    minDiff: 0.008,
  },
  {
    name: 'risk_free_rate=0.005',
    input: 'swx',
    base: MS,
    option: { risk_free_rate: 0.005 },
    expected: () => {
      const r = swxReturns();
      return byAsset(assets(), maxSharpeReference(scaled(sampleCovariance(r), A), meanReturns(r, A), 0.005));
    },
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  {
    name: 'periods_per_year=52 (max_sharpe, risk_free_rate 0.002)',
    input: 'swx',
    base: { ...MS, risk_free_rate: 0.002 },
    option: { periods_per_year: 52 },
    expected: () => {
      const r = swxReturns();
      return byAsset(
        assets(),
        maxSharpeReference(scaled(sampleCovariance(r), 52), meanReturns(r, 52), 0.002),
      );
    },
    tolerance: 1e-9,
    minDiff: 0.02,
  },
  // bounds
  {
    name: 'min_weight=0.05',
    input: 'swx',
    base: MV,
    option: { min_weight: 0.05 },
    expected: () => byAsset(assets(), minVarianceReference(sampleCovariance(swxReturns()), 0.05, 1)),
    tolerance: 1e-9,
    minDiff: 0.04,
  },
  {
    name: 'max_weight=0.5',
    input: 'swx',
    base: MV,
    option: { max_weight: 0.5 },
    expected: () => byAsset(assets(), minVarianceReference(sampleCovariance(swxReturns()), 0, 0.5)),
    tolerance: 1e-9,
    minDiff: 0.1,
  },
  // input_kind: the default (prices) refuses a return table; the option reads it as the references do
  {
    name: 'input_kind=returns',
    input: 'swx_returns',
    base: {},
    option: { input_kind: 'returns' },
    baseError: 'E_INPUT_KIND',
    expected: golden('pypfopt.HRPOpt.single'),
    tolerance: 1e-9,
  },
  {
    name: 'input_kind=log_returns',
    input: 'swx_log_returns',
    base: {},
    option: { input_kind: 'log_returns' },
    baseError: 'E_INPUT_KIND',
    expected: golden('pypfopt.HRPOpt.single'),
    tolerance: 1e-9,
  },
  // missing (inverse variance: closed form on the returns cleaned here)
  {
    name: 'missing=drop_assets',
    input: 'swx_gappy',
    base: IV,
    option: { missing: 'drop_assets' },
    expected: () => {
      const c = cleanPrices(gappy(), 'drop_assets');
      return byAsset(c.assets, inverseVarianceWeights(sampleCovariance(c.returns)));
    },
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  {
    name: 'missing=ffill',
    input: 'swx_gappy',
    base: IV,
    option: { missing: 'ffill' },
    expected: () => {
      const c = cleanPrices(gappy(), 'ffill', 5);
      return byAsset(c.assets, inverseVarianceWeights(sampleCovariance(c.returns)));
    },
    tolerance: 1e-9,
    minDiff: 0.003,
  },
  {
    name: 'ffill_limit=60',
    input: 'swx_gappy',
    base: { ...IV, missing: 'ffill' },
    option: { ffill_limit: 60 },
    expected: () => {
      const c = cleanPrices(gappy(), 'ffill', 60);
      return byAsset(c.assets, inverseVarianceWeights(sampleCovariance(c.returns)));
    },
    tolerance: 1e-9,
    minDiff: 0.003,
  },
  // assets: inverse variance of a subset is the full answer renormalised over it
  {
    name: 'assets=SII,LP25,SBI',
    input: 'swx',
    base: IV,
    option: { assets: ['SII', 'LP25', 'SBI'] },
    expected: () => {
      const full = golden('own.inverse_variance')();
      const keep = ['SII', 'LP25', 'SBI'];
      const total = keep.reduce((s, a) => s + (full[a] as number), 0);
      return byAsset(
        keep,
        keep.map((a) => (full[a] as number) / total),
      );
    },
    tolerance: 1e-9,
    minDiff: 0.05,
  },
  // fallback: max_sharpe without an asset above r_f fails by default; the chain gives inverse variance
  {
    name: 'fallback=true',
    input: 'swx',
    base: { ...MS, risk_free_rate: 1 },
    option: { fallback: true },
    baseError: 'E_NO_POSITIVE_EXCESS_RETURN',
    expected: golden('own.inverse_variance'),
    tolerance: 1e-9,
  },
];

/** Params as `--param key=value` arguments (arrays as comma lists). */
export function cliParams(params: Params): string[] {
  return Object.entries(params).flatMap(([k, v]) => [
    '--param',
    `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`,
  ]);
}
