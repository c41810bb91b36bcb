/**
 * The risk-free rate of a meta level's Sharpe and Sortino ratios, alpha and beta, per period on the
 * level's dates. The meta profile's `risk_free` decides; without it `meta_allocation.risk_free_rate`
 * (the rate max_sharpe uses), else 0. An annual rate R is R / A per period; a series of annual rates is
 * aligned as of each date (the rate in force).
 */
import { resolve } from 'node:path';
import type { MetaNode } from '../../manifest/index.js';
import { asOfValues } from '../../numeric/series/as-of.js';
import { isQuantError, QuantError } from '../../errors.js';
import { loadRiskFree, type InputFileRecord } from './_benchmark-input.js';

/** How the run's risk-free rate was set (`meta_benchmark_{M}_{P}.json`, `risk_free`). */
export interface RiskFreeRecord {
  readonly kind: 'constant' | 'series';
  /** `risk_free`, `meta_allocation.risk_free_rate` or `default` (none set: 0). */
  readonly source: 'risk_free' | 'meta_allocation.risk_free_rate' | 'default';
  /** The constant annual rate; for a series, its mean over the dates used. */
  readonly annual_rate: number;
  /** Series: the file (relative to the workspace), its hash and column, and rows carried as of an earlier date. */
  readonly file: InputFileRecord | null;
  readonly column: string | null;
  readonly carried_rows: number;
  /** `r_f = 2.0 %` or `r_f = rates.csv:CHF3M (mean 1.9 %)`: the label next to every Sharpe figure. */
  readonly label: string;
}

export interface RiskFree {
  /** One rate per period, aligned with the dates asked for. */
  readonly perPeriod: Float64Array;
  readonly record: RiskFreeRecord;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** Where the level's inputs are: the workspace and the manifest the run resolved. */
export interface RiskFreeEnv {
  readonly workspace: string;
  /** The manifest file as `config/resolved_manifest.json` names it (relative to the workspace, or absolute). */
  readonly manifestFile: string;
  recordInput(path: string): void;
}

/**
 * The risk-free rate of meta node `node` per period on `dates`, annualised by `periodsPerYear`.
 *
 * @throws QuantError the input errors of the rate file (naming `profiles.M.risk_free`), and
 *   `E_INPUT_DATES` when a date precedes the series' first rate.
 */
export async function resolveRiskFree(
  env: RiskFreeEnv,
  node: MetaNode,
  dates: readonly string[],
  periodsPerYear: number,
): Promise<RiskFree> {
  const spec = node.riskFree;
  const manifestFile = resolve(env.workspace, env.manifestFile);
  if (spec?.file !== undefined) {
    const series = await loadRiskFree(env.workspace, manifestFile, node.profile, spec);
    if (series !== undefined) {
      env.recordInput(resolve(env.workspace, series.source.file));
      let aligned;
      try {
        aligned = asOfValues(dates, { dates: series.dates, values: series.annualRates });
      } catch (error) {
        if (!isQuantError(error)) throw error;
        throw new QuantError(error.code, `risk-free rate ${spec.file}:${series.column}: ${error.message}`, {
          location: { file: manifestFile, jsonPath: `profiles.${node.profile}.risk_free.file` },
          ...(error.hint === undefined ? {} : { hint: error.hint }),
          cause: error,
        });
      }
      const mean = aligned.values.reduce((s, v) => s + v, 0) / Math.max(aligned.values.length, 1);
      return {
        perPeriod: aligned.values.map((r) => r / periodsPerYear),
        record: {
          kind: 'series',
          source: 'risk_free',
          annual_rate: mean,
          file: series.source,
          column: series.column,
          carried_rows: aligned.carried,
          label: `r_f = ${spec.file}:${series.column} (mean ${pct(mean)})`,
        },
      };
    }
  }
  const fromAllocation = node.allocation.risk_free_rate;
  const rate = spec?.rate ?? fromAllocation ?? 0;
  const source =
    spec?.rate !== undefined
      ? 'risk_free'
      : fromAllocation !== undefined
        ? 'meta_allocation.risk_free_rate'
        : 'default';
  return {
    perPeriod: new Float64Array(dates.length).fill(rate / periodsPerYear),
    record: {
      kind: 'constant',
      source,
      annual_rate: rate,
      file: null,
      column: null,
      carried_rows: 0,
      label: `r_f = ${pct(rate)}`,
    },
  };
}
