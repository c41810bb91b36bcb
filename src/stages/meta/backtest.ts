import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineStage, type StageContext } from '../../core/stage.js';
import { writeJsonAtomic, writeParquetTable } from '../../artifacts/index.js';
import { OUT_OF_SAMPLE } from '../../report/index.js';
import {
  leafPaths,
  metaWalkForward,
  type MetaWalkForwardOptions,
  type MetaWalkForwardResult,
} from '../../numeric/backtest/meta-walk-forward.js';
import { assertStreamAboveTotalLoss } from '../_stream-floor.js';
import { policyFigures, resolvePolicies } from '../_backtest-policy.js';
import { resolveMethod } from '../../numeric/optimize/optimize-portfolio.js';
import { metaStageParams } from './_params.js';
import { loadResolvedMeta, type ResolvedMeta } from './_resolve.js';
import { resolveRiskFree } from './_risk-free.js';
import { metaBacktestPaths, type MetaBacktestDoc } from './_artifact-types.js';
import { loadBacktestLevel, type BacktestLevel } from './_backtest-tree.js';
import {
  backtestDoc,
  backtestTable,
  insufficientHistoryDoc,
  type BacktestSettings,
} from './_backtest-doc.js';

const metaBacktestParams = metaStageParams.extend({
  train_window: z
    .number()
    .int()
    .min(2)
    .default(252)
    .describe('rows of trailing history each rebalance fits the sleeve weights on'),
  rebalance: z
    .number()
    .int()
    .min(1)
    .default(21)
    .describe('rebalance every N rows (the weights drift in between)'),
  commission: z.number().min(0).max(1).default(0).describe('commission per unit of turnover (fraction)'),
  slippage: z.number().min(0).max(1).default(0.0005).describe('slippage per unit of turnover (fraction)'),
});

/** What `meta.backtest` returns, per risk profile. */
export interface MetaBacktestValue {
  readonly risk_profiles: readonly string[];
  readonly results: readonly {
    readonly risk_profile: string;
    readonly status: MetaBacktestDoc['status'];
    readonly days: number;
    readonly rebalances: number;
    readonly sharpe: number | null;
    readonly equal_weight_sharpe: number | null;
  }[];
}

type MetaBacktestParams = z.output<typeof metaBacktestParams>;

/**
 * No costed stream of a meta backtest loses more than the portfolio is worth in a period (checked before
 * its table is written): the meta stream, equal weight and each nested branch.
 */
function assertMetaStreams(
  metaProfile: string,
  P: string,
  resolved: ResolvedMeta,
  streams: readonly (readonly [string, MetaWalkForwardResult])[],
): void {
  const bps = resolved.node.rebalancing?.costs_bps !== undefined;
  const key = `profiles.${metaProfile}.rebalancing.costs_bps`;
  const hint = `lower ${bps ? `${key} or ` : ''}the commission and slippage params (--param commission=<c> --param slippage=<s>): a trade costs its rate per unit of turnover (entering from cash is a turnover of 1), so a rate of 100 % or more costs the whole portfolio`;
  for (const [name, r] of streams) {
    assertStreamAboveTotalLoss(
      {
        dates: r.dates,
        returns: r.returns,
        windows: r.rebalances,
        ...(r.events ? { events: r.events } : {}),
      },
      `meta profile "${metaProfile}", risk profile ${P}, ${name} stream`,
      hint,
      bps ? { file: resolved.doc.manifest_file, jsonPath: key } : {},
    );
  }
}

/**
 * The walk-forward of one risk profile: the meta stream (held under the manifest's `rebalancing` when
 * set, with the compared policies on the same targets), equal weight and each sleeve; writes the daily
 * table and returns the summary document.
 */
async function walkForward(
  ctx: StageContext,
  params: MetaBacktestParams,
  resolved: ResolvedMeta,
  P: string,
  level: BacktestLevel,
  settings: BacktestSettings,
): Promise<MetaBacktestDoc> {
  const paths = metaBacktestPaths(params.meta_profile, P);
  const options: MetaWalkForwardOptions = {
    method: resolveMethod(P),
    trainWindow: params.train_window,
    rebalance: params.rebalance,
    costs: { commission: params.commission, slippage: params.slippage },
  };
  const rebalancing = resolved.node.rebalancing;
  const policies =
    rebalancing === undefined
      ? undefined
      : resolvePolicies(rebalancing, leafPaths(level), params.commission + params.slippage);
  const meta = metaWalkForward(level, {
    ...options,
    ...(policies === undefined
      ? {}
      : { policy: policies.used.policy, comparePolicies: policies.compare.map((c) => c.policy) }),
  });
  const equalWeighted = metaWalkForward(level, { ...options, method: 'equal_weight' });
  const first = level.dates.length - meta.dates.length;
  const branches = level.children.map((child, j) =>
    child === null
      ? null
      : metaWalkForward(child, { ...options, dates: level.dates, branchPath: level.ids[j] as string }),
  );
  assertMetaStreams(params.meta_profile, P, resolved, [
    ['meta', meta],
    ['equal_weight', equalWeighted],
    ...branches.flatMap((b, j) => (b === null ? [] : [[`branch ${level.ids[j] as string}`, b] as const])),
  ]);
  const sleeves = branches.map((b, j) =>
    b === null ? (level.columns[j] as Float64Array).slice(first) : b.returns,
  );
  const streams = { meta, equalWeight: equalWeighted.returns, sleeves };
  const returnsFile = join(ctx.runDir, paths.returns);
  await writeParquetTable(returnsFile, backtestTable(level, streams), { dateType: 'date32' });
  ctx.recordOutput(returnsFile);
  const rf = await resolveRiskFree(
    { workspace: ctx.workspace, manifestFile: resolved.doc.manifest_file, recordInput: ctx.recordInput },
    resolved.node,
    meta.dates,
    level.settings.periodsPerYear,
  );
  const doc = backtestDoc(settings, level, streams, paths.returns, {
    perPeriod: rf.perPeriod,
    label: rf.record.label,
    annualRate: rf.record.annual_rate,
  });
  if (policies === undefined) return doc;
  const A = level.settings.periodsPerYear;
  const of = `meta profile ${params.meta_profile} (${P})`;
  const used = policyFigures(
    policies.used,
    { returns: meta.returns, events: meta.events ?? [] },
    A,
    of,
    rf.perPeriod,
  );
  const compared = policies.compare.map((c, k) =>
    policyFigures(
      c,
      meta.comparisons?.[k] ?? { returns: new Float64Array(), events: [] },
      A,
      of,
      rf.perPeriod,
    ),
  );
  await ctx.decision('meta.backtest_rebalancing', {
    meta_profile: params.meta_profile,
    risk_profile: P,
    policy: used.settings,
    rebalances: used.rebalances,
    turnover: used.turnover,
    costs: used.costs,
  });
  return {
    ...doc,
    rebalancing: { policy: used.settings, costs_bps: policies.costsBps, comparison: [used, ...compared] },
  };
}

export const metaBacktest = defineStage({
  id: 'meta.backtest',
  name: 'Meta walk-forward backtest',
  description:
    'Out-of-sample backtest of the meta portfolio per risk profile: at each rebalance the sleeve weights (same method, bounds and nesting as meta.optimize) are fitted on the trailing train_window rows only, held with drifting weights, charged for turnover, and compared with equal weight and each single sleeve. Nested branches are re-fitted at every rebalance on their own trailing window.',
  category: 'meta',
  tags: ['meta', 'backtest', 'out-of-sample'],
  aliases: [],
  params: metaBacktestParams,
  output:
    'data/meta_backtest_{M}_{P}.parquet (daily returns of meta, equal_weight and each sleeve; turnover, cost and target weights on rebalance days) and data/meta_backtest_{M}_{P}.json (out-of-sample metrics, turnover, rebalances); a history shorter than one window gives a summary with status insufficient_history.',
  async run(params, ctx) {
    const resolved = await loadResolvedMeta(ctx, params.meta_profile, params.risk_profiles);
    const results: MetaBacktestValue['results'][number][] = [];
    const parts: string[] = [];
    for (const P of resolved.riskProfiles) {
      ctx.progress(`${params.meta_profile} ${P}: walk-forward`);
      const level = await loadBacktestLevel(ctx, resolved, resolved.node, P);
      const method = resolveMethod(P);
      const settings: BacktestSettings = {
        metaProfile: params.meta_profile,
        riskProfile: P,
        method,
        trainWindow: params.train_window,
        rebalance: params.rebalance,
        commission: params.commission,
        slippage: params.slippage,
      };
      const paths = metaBacktestPaths(params.meta_profile, P);
      const summaryFile = join(ctx.runDir, paths.summary);
      let doc: MetaBacktestDoc;
      if (level.dates.length < params.train_window + 1) {
        doc = insufficientHistoryDoc(settings, level);
        // A table left by an earlier, longer run of this stage would contradict the summary.
        await rm(join(ctx.runDir, paths.returns), { force: true });
        await ctx.decision('meta.backtest_skipped', {
          meta_profile: params.meta_profile,
          risk_profile: P,
          reason: doc.reason,
        });
        parts.push(`${P}: not run (${doc.reason})`);
      } else {
        doc = await walkForward(ctx, params, resolved, P, level, settings);
        for (const w of doc.windows) {
          for (const f of w.fallbacks) {
            await ctx.decision('meta.backtest_fallback', {
              meta_profile: params.meta_profile,
              risk_profile: P,
              window: w.index,
              date: w.date,
              level: f.level,
              failed_method: f.method,
              code: f.code,
              message: f.message,
              next: f.used,
            });
          }
        }
        const s = doc.metrics.meta?.sharpe ?? null;
        const e = doc.metrics.equal_weight?.sharpe ?? null;
        parts.push(
          `${P}: ${doc.period.days} days, ${doc.rebalances} rebalances, Sharpe ${s === null ? 'n/a' : s.toFixed(2)} ${OUT_OF_SAMPLE} (equal weight ${e === null ? 'n/a' : e.toFixed(2)})`,
        );
      }
      await writeJsonAtomic(summaryFile, doc);
      ctx.recordOutput(summaryFile);
      results.push({
        risk_profile: P,
        status: doc.status,
        days: doc.period.days,
        rebalances: doc.rebalances,
        sharpe: doc.metrics.meta?.sharpe ?? null,
        equal_weight_sharpe: doc.metrics.equal_weight?.sharpe ?? null,
      });
    }
    const value: MetaBacktestValue = { risk_profiles: resolved.riskProfiles, results };
    return { value, summary: parts.join('; ') };
  },
});
