/**
 * Reading the meta artifacts the report needs (DESIGN §5), checked against the fields the report uses.
 * Extra members are allowed (the writers may add diagnostics); a missing optional file is `undefined`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { zodIssues } from '../../core/params.js';
import { QuantError } from '../../errors.js';
import { assertConfined } from '../../artifacts/index.js';
import { ID_PATTERN } from '../../manifest/index.js';

const finite = z.number().finite();
const health = z.looseObject({
  windows: finite,
  successes: finite,
  success_rate: finite.nullable(),
  healthy: z.boolean(),
});

/** An artifact's `annualisation` record (how `periods_per_year` was chosen). */
const annualisationSchema = z.looseObject({
  periods_per_year: finite.positive(),
  source: z.enum(['inferred', 'params', 'manifest']),
  frequency: z.string().nullable(),
  rule: z.string(),
});
export type AnnualisationRecord = z.output<typeof annualisationSchema>;

/** The fields of `MetaOptimizedDoc` the report reads. */
export const optimizedDocSchema = z.looseObject({
  schema_version: z.literal(1),
  method: z.string(),
  requested_method: z.string(),
  sleeves: z.array(z.looseObject({ id: z.string(), weight: finite })),
  bounds: z.looseObject({ min_weight: finite, max_weight: finite }),
  /** The level's limits beyond its box; `kind` open so that kinds added later still show. */
  limits: z
    .array(
      z.looseObject({
        name: z.string(),
        kind: z.string(),
        members: z.array(z.string()),
        min: finite,
        max: finite,
        value: finite,
      }),
    )
    .default([]),
  parameters: z.record(z.string(), z.unknown()).default({}),
  annualisation: annualisationSchema.optional(),
  exposure_caps: z
    .looseObject({
      max_weight: finite.optional(),
      symbols: z.record(z.string(), finite).optional(),
      prefixes: z.record(z.string(), finite).optional(),
    })
    .optional(),
  fallback_chain: z
    .array(z.looseObject({ method: z.string(), code: z.string(), message: z.string() }))
    .default([]),
  turnover: z.looseObject({ summary: z.string() }).optional(),
});
export type OptimizedDoc = z.output<typeof optimizedDocSchema>;

/** The fields of `MetaManifestDoc` the report reads. */
export const manifestDocSchema = z.looseObject({
  schema_version: z.literal(1),
  included: z.array(
    z.looseObject({
      id: z.string(),
      kind: z.enum(['atomic', 'meta']),
      // Nested profiles name further artifact files, so they must stay file-name safe.
      profile: z.string().regex(ID_PATTERN),
      run_id: z.string().nullable(),
      health,
      branch_weights: z.string().nullable().default(null),
    }),
  ),
  excluded: z.array(
    z.looseObject({
      id: z.string(),
      kind: z.string(),
      profile: z.string(),
      run_id: z.string().nullable(),
      reason: z.string(),
      detail: z.string(),
    }),
  ),
  calendar: z.looseObject({
    common_rows: finite,
    first_date: z.string().nullable(),
    last_date: z.string().nullable(),
    weekend_dates: z.boolean(),
    periods_per_year: finite,
    annualisation: annualisationSchema.optional(),
    per_sleeve: z.array(
      z.looseObject({ id: z.string(), rows: finite, kept: finite, intersection_loss: finite }),
    ),
  }),
  warnings: z.array(z.string()).default([]),
});
export type ManifestDoc = z.output<typeof manifestDocSchema>;

/** The fields of `FlattenedMetaDoc` the report reads. */
export const flattenedDocSchema = z.looseObject({
  schema_version: z.literal(1),
  assets: z.array(
    z.looseObject({
      Symbol: z.string(),
      Weight: finite,
      Net_Weight: finite,
      Direction: z.string(),
      Contributors: z.record(z.string(), finite).default({}),
    }),
  ),
  totals: z.looseObject({ gross: finite, net: finite, long: finite, short: finite }),
  missing: z.array(z.looseObject({ path: z.string(), reason: z.string() })).default([]),
  weights_fallbacks: z.array(z.looseObject({ path: z.string(), reason: z.string() })).default([]),
});
export type FlattenedDoc = z.output<typeof flattenedDocSchema>;

const nullableFinite = finite.nullable();
const backtestMetrics = z.looseObject({
  observations: finite,
  cagr: nullableFinite,
  volatility: nullableFinite,
  sharpe: nullableFinite,
  sortino: nullableFinite,
  max_drawdown: nullableFinite,
  calmar: nullableFinite,
  win_rate: nullableFinite,
});

/** The fields of `MetaBacktestDoc` the report reads. */
export const backtestDocSchema = z.looseObject({
  schema_version: z.literal(1),
  status: z.enum(['ok', 'insufficient_history']),
  reason: z.string().nullable(),
  method: z.string(),
  params: z.looseObject({
    train_window: finite,
    rebalance: finite,
    commission: finite,
    slippage: finite,
    periods_per_year: finite.positive(),
  }),
  annualisation: annualisationSchema.optional(),
  returns_file: z.string().nullable(),
  sleeves: z.array(z.looseObject({ id: z.string(), kind: z.string() })),
  leaves: z.array(z.string()).default([]),
  period: z.looseObject({
    first_date: z.string().nullable(),
    last_date: z.string().nullable(),
    days: finite,
  }),
  rebalances: finite,
  turnover: z.looseObject({
    total: finite,
    initial: finite,
    mean_per_rebalance: nullableFinite,
    annualised: nullableFinite,
  }),
  costs: z.looseObject({ total: finite }),
  metrics: z.looseObject({
    meta: backtestMetrics.extend({ effective_n_mean: nullableFinite }).nullable(),
    equal_weight: backtestMetrics.nullable(),
    sleeves: z.record(z.string(), backtestMetrics),
  }),
  rebalancing: z
    .looseObject({
      policy: z.record(z.string(), z.unknown()),
      costs_bps: z.record(z.string(), finite).optional(),
      comparison: z.array(
        z.looseObject({
          name: z.string(),
          settings: z.record(z.string(), z.unknown()),
          total_return: finite,
          cagr: nullableFinite,
          sharpe: nullableFinite,
          turnover: finite,
          costs: finite,
          rebalances: finite,
          partial: finite,
        }),
      ),
    })
    .optional(),
  windows: z.array(
    z.looseObject({
      date: z.string(),
      weights: z.record(z.string(), finite),
      // Absent in backtests written before it existed: the report then draws the top level only.
      leaf_weights: z.record(z.string(), finite).optional(),
      fallbacks: z
        .array(
          z.looseObject({
            level: z.string(),
            method: z.string(),
            code: z.string(),
            message: z.string(),
            used: z.string(),
          }),
        )
        .default([]),
    }),
  ),
});
export type BacktestDoc = z.output<typeof backtestDocSchema>;

/** `meta_cluster_tree_{M}_{P}.json`: a linkage where the method builds a tree, `tree: null` otherwise. */
export const clusterTreeDocSchema = z.looseObject({
  schema_version: z.literal(1),
  method: z.string(),
  labels: z.array(z.string()),
  weights: z.record(z.string(), finite),
  linkage_method: z.string().optional(),
  order: z.array(z.string()).optional(),
  linkage: z.array(z.array(finite).length(4)).optional(),
});
export type ClusterTreeDoc = z.output<typeof clusterTreeDocSchema>;

/** `config/resolved_manifest.json`: only the risk profiles matter here. */
export const resolvedManifestSchema = z.looseObject({
  schema_version: z.literal(1),
  risk_profiles: z.array(z.string().regex(ID_PATTERN)).min(1),
});

/**
 * Read and check a JSON artifact; `undefined` when the file does not exist. A file that is not JSON or
 * lacks a field is `E_INPUT_FORMAT` naming the file (`rel`) and every problem with its JSON path.
 */
export async function readJsonArtifact<S extends z.ZodType>(
  file: string,
  rel: string,
  schema: S,
): Promise<z.output<S> | undefined> {
  let text: string;
  await assertConfined(file, 'read');
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const hint =
    'the file does not match the meta artifact contract (DESIGN §5); run the stage that writes it again';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new QuantError('E_INPUT_FORMAT', `${rel} is not valid JSON (${(error as Error).message})`, {
      location: { file },
      hint,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    const first = issues[0];
    throw new QuantError(
      'E_INPUT_FORMAT',
      `${rel} is malformed${first === undefined ? '' : `: ${first.path || '(root)'}: ${first.message}`}`,
      { location: { file, ...(first === undefined ? {} : { jsonPath: first.path }) }, issues, hint },
    );
  }
  return parsed.data as z.output<S>;
}
