import { relative } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { splitCommaList } from '../../core/params.js';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import { validateMetaRunAndRecord, type MetaRunResult } from '../../sdk/meta-run.js';
import { validationFailedError } from '../../sdk/run-checks.js';
import type { CliContext } from '../context.js';
import { printTradeList } from './trades.js';
import { SLEEVE_EXECUTORS, type ProducedSleeves } from '../../sdk/sleeve-jobs.js';
import {
  describeSleeves,
  executeSleevesOptions,
  positiveInt,
  positiveSeconds,
  produceSleevesWithSignals,
  redisTimeoutSeconds,
} from './_execute-sleeves.js';
import { stopOnSignal } from './_stop-on-signal.js';

const list = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...splitCommaList(value, '--profiles ').map((s) => s.trim()),
];

/** The result of `quant meta run --json`. */
function metaRunJson(result: MetaRunResult, sleeves: ProducedSleeves | undefined): unknown {
  return {
    run_id: result.runId,
    run_dir: result.runDir,
    meta_profile: result.metaProfile,
    risk_profiles: result.riskProfiles,
    report: result.reportPath,
    html_report: result.htmlReportPath,
    cache_hit: result.cacheHit,
    ...(sleeves === undefined
      ? {}
      : {
          sleeves: {
            executor: sleeves.executor,
            runs: sleeves.results.map((r) => ({
              profile: r.profile,
              run_id: r.run_id,
              status: r.status,
            })),
          },
        }),
    trade_lists: result.tradeList.map((t) => ({
      risk_profile: t.riskProfile,
      csv: t.csv,
      json: t.json,
      orders: t.orders,
      residual_cash: t.residual_cash,
      sleeves: t.sleeves,
    })),
    stages: result.stages.map((s) => ({
      stage: s.stageId,
      summary: s.summary,
      outputs: s.outputs,
    })),
  };
}

/** Print a finished meta run: as JSON, or one line per sleeve and stage, the verdict and the reports. */
function printMetaRun(
  ctx: CliContext,
  result: MetaRunResult,
  sleeves: ProducedSleeves | undefined,
  json: boolean,
): void {
  if (json) {
    ctx.io.out(JSON.stringify(metaRunJson(result, sleeves), null, 2));
    return;
  }
  if (sleeves !== undefined) for (const line of describeSleeves(sleeves)) ctx.io.out(line);
  for (const s of result.stages) ctx.io.out(`${s.stageId}: ${s.summary}`);
  ctx.io.out(
    `meta run ${result.runId} ok (${result.riskProfiles.join(', ')})${result.cacheHit ? ' — cache hit: stages restored from .cache, report regenerated' : ''}`,
  );
  ctx.io.out(`report: ${relative(ctx.cwd, result.reportPath) || result.reportPath}`);
  ctx.io.out(`html report: ${relative(ctx.cwd, result.htmlReportPath) || result.htmlReportPath}`);
  for (const t of result.tradeList) {
    ctx.io.out(`orders for ${t.riskProfile} (residual cash ${t.residual_cash}):`);
    printTradeList(ctx, t, ` (${t.riskProfile})`);
  }
}

/** `quant meta run`. */
function addMetaRunCommand(meta: Command, ctx: CliContext): void {
  meta
    .command('run')
    .description(
      'run the meta pipeline (returns → optimize → backtest → benchmark → flatten → attribution → report, after sign_test when gated; then the trades block) for every risk profile',
    )
    .requiredOption('--profile <meta_profile>', 'the meta profile of the manifest')
    .option('--profiles <list>', "risk profiles, comma separated (default: the manifest's)", list)
    .option('--run-id <id>', 'run id (default: a new run <profile>_<YYYYMMDD-HHMMSS>[-NNN])')
    .option('--no-cache', 'recompute everything, ignoring <workspace>/.cache')
    .option('--no-backtest', 'skip the out-of-sample walk-forward backtest (meta.backtest)')
    .option(
      '--execute-sleeves',
      'first backtest every atomic sleeve without a pinned run id (in parallel), then pin the new runs',
    )
    .addOption(
      new Option(
        '--executor <kind>',
        'with --execute-sleeves: local processes, or a BullMQ queue served by quant worker',
      ).choices(SLEEVE_EXECUTORS),
    )
    .option(
      '--concurrency <n>',
      'with --executor local: sleeves at once (default: the CPU count)',
      positiveInt,
    )
    .option(
      '--redis <url>',
      'with --executor bullmq: Redis URL (default $QUANT_REDIS_URL or redis://127.0.0.1:6379)',
    )
    .option('--queue <name>', 'with --executor bullmq: queue name (default $QUANT_QUEUE or quant-sleeves)')
    .option(
      '--redis-timeout <seconds>',
      'with --executor bullmq: fail with E_QUEUE when Redis does not answer for this many seconds mid-run (≥ 0.5, default 10)',
      redisTimeoutSeconds,
    )
    .option(
      '--timeout <seconds>',
      'with --execute-sleeves: give up on sleeves not finished by then',
      positiveSeconds,
    )
    .option(
      '--rebuild-sleeves',
      'with --execute-sleeves: produce every sleeve, even one a run with the same content key already has',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const execute = executeSleevesOptions(opts, ctx.env);
      const sdk = new QuantSDK({ registry: await ctx.registry() });
      const sleeves =
        execute === undefined
          ? undefined
          : await produceSleevesWithSignals(
              ctx,
              opts.profile,
              {
                ...ctx.runOptions(opts.runId),
                ...(opts.profiles === undefined ? {} : { riskProfiles: opts.profiles }),
              },
              execute,
            );
      for (const r of sleeves?.results ?? []) {
        for (const w of r.warnings ?? []) ctx.warn(`${r.profile}: ${w}`);
      }
      const result = await stopOnSignal((signal) =>
        sdk.runMeta(opts.profile, {
          ...ctx.runOptions(opts.runId),
          ...(sleeves === undefined ? {} : { producedSleeves: sleeves }),
          ...(opts.profiles === undefined ? {} : { riskProfiles: opts.profiles }),
          cache: opts.cache,
          backtest: opts.backtest,
          signal,
        }),
      );
      printMetaRun(ctx, result, sleeves, opts.json === true);
    });
}

/** `quant meta validate`. */
function addMetaValidateCommand(meta: Command, ctx: CliContext): void {
  meta
    .command('validate')
    .description('check a finished meta run against the artifact contract and invariants')
    .requiredOption('--run-id <id>', 'the meta run')
    .option('--write', 'also write the verdict to reports/meta_validation.json of the run')
    .option('--json', 'print the verdict as JSON')
    .action(async (opts) => {
      const { verdict, file, runDir } = await validateMetaRunAndRecord(ctx.workspace, opts.runId, {
        write: opts.write === true,
        env: ctx.env,
      });
      if (opts.json === true) ctx.io.out(JSON.stringify(verdict, null, 2));
      else {
        for (const c of verdict.checks) ctx.io.out(`${c.ok ? 'pass' : 'FAIL'}  ${c.id}: ${c.detail}`);
        const written = file === undefined ? '' : ` — verdict written to ${relative(ctx.cwd, file)}`;
        ctx.io.out(`${verdict.passed} passed, ${verdict.failed} failed${written}`);
      }
      if (!verdict.ok) throw validationFailedError(opts.runId, verdict, file ?? runDir, ctx.cwd);
    });
}

export function metaCommand(ctx: CliContext): Command {
  const meta = new Command('meta').description('run and validate meta-portfolio pipelines');
  addMetaRunCommand(meta, ctx);
  addMetaValidateCommand(meta, ctx);
  return meta;
}
