// Test-only loader for the bundled price tables and the golden references (../shared/golden, copied
// into test/fixtures/golden with their provenance). Cleaning follows the references: drop rows with any
// missing price, then simple returns p_t / p_{t-1} - 1.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { csvParse } from 'd3-dsv';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';

export const DATASETS = ['swx_prices', 'gccindex_prices'] as const;
export type DatasetName = (typeof DATASETS)[number] | 'spisector_prices';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface LoadedReturns {
  readonly assets: string[];
  readonly dates: string[];
  readonly returns: Matrix;
}

export function loadDatasetReturns(name: DatasetName): LoadedReturns {
  const rows = csvParse(readFileSync(`${root}data/${name}.csv`, 'utf8'));
  const assets = rows.columns.filter((c) => c !== 'date');
  const kept = rows.filter((r) => assets.every((a) => r[a] !== undefined && r[a] !== ''));
  const T = kept.length - 1;
  const n = assets.length;
  const data = new Float64Array(T * n);
  for (let t = 1; t <= T; t++) {
    for (let j = 0; j < n; j++) {
      const p1 = Number(kept[t]![assets[j]!]);
      const p0 = Number(kept[t - 1]![assets[j]!]);
      data[(t - 1) * n + j] = p1 / p0 - 1;
    }
  }
  return { assets, dates: kept.slice(1).map((r) => r['date']!), returns: { rows: T, cols: n, data } };
}

export interface GoldenResult {
  readonly id: string;
  readonly peer: string;
  readonly call: string;
  readonly params: Record<string, unknown>;
  readonly weights: Record<string, number>;
}

export interface GoldenFile {
  readonly dataset: { assets: string[]; n_returns: number };
  readonly common_inputs: {
    S_ann_values: Record<string, Record<string, number>>;
    mu_arith_values: Record<string, number>;
    mu_cagr_values: Record<string, number>;
  };
  readonly results: GoldenResult[];
}

export function loadGolden(name: (typeof DATASETS)[number]): GoldenFile {
  return JSON.parse(readFileSync(`${root}test/fixtures/golden/${name}.reference.json`, 'utf8')) as GoldenFile;
}

/** The golden weights of one result id, in the dataset's asset order. */
export function goldenWeights(golden: GoldenFile, id: string): number[] {
  const r = golden.results.find((x) => x.id === id);
  if (r === undefined) throw new Error(`no golden result ${id}`);
  return golden.dataset.assets.map((a) => r.weights[a] as number);
}
