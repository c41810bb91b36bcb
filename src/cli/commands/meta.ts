import { relative } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import { validateMetaRunAndRecord } from '../../sdk/meta-run.js';
import { QuantError } from '../../errors.js';
import type { CliContext } from '../context.js';

const list = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
];

export function metaCommand(ctx: CliContext): Command {
  const meta = new Command('meta').description('run and validate meta-portfolio pipelines');

  meta
    .command('run')
    .description('run the meta pipeline (returns → optimize → flatten → report) for every risk profile')
    .requiredOption('--profile <meta_profile>', 'the meta profile of the manifest')
    .option('--profiles <list>', "risk profiles, comma separated (default: the manifest's)", list)
    .option('--run-id <id>', 'run id (default <profile>_<YYYYMMDD-HHMMSS>)')
    .option('--no-cache', 'recompute everything, ignoring <workspace>/.cache')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const sdk = new QuantSDK({ registry: await ctx.registry() });
      const result = await sdk.runMeta(opts.profile, {
        workspace: ctx.workspace,
        cwd: ctx.cwd,
        env: ctx.env,
        ...(opts.runId === undefined ? {} : { runId: opts.runId }),
        ...(opts.profiles === undefined ? {} : { riskProfiles: opts.profiles }),
        cache: opts.cache,
        ...(ctx.globals.manifest === undefined ? {} : { manifest: ctx.globals.manifest }),
        ...(ctx.io.interactive ? { onProgress: (m: string) => ctx.io.err(m) } : {}),
      });
      if (opts.json === true) {
        ctx.io.out(
          JSON.stringify(
            {
              run_id: result.runId,
              run_dir: result.runDir,
              meta_profile: result.metaProfile,
              risk_profiles: result.riskProfiles,
              report: result.reportPath,
              cache_hit: result.cacheHit,
              stages: result.stages.map((s) => ({
                stage: s.stageId,
                summary: s.summary,
                outputs: s.outputs,
              })),
            },
            null,
            2,
          ),
        );
        return;
      }
      for (const s of result.stages) ctx.io.out(`${s.stageId}: ${s.summary}`);
      ctx.io.out(`meta run ${result.runId} ok (${result.riskProfiles.join(', ')})${result.cacheHit ? ' — cache hit: stages restored from .cache, report regenerated' : ''}`);
      ctx.io.out(`report: ${relative(ctx.cwd, result.reportPath) || result.reportPath}`);
    });

  meta
    .command('validate')
    .description('check a finished meta run against the artifact contract and invariants')
    .requiredOption('--run-id <id>', 'the meta run')
    .option('--json', 'print the verdict as JSON')
    .action(async (opts) => {
      const { verdict, file } = await validateMetaRunAndRecord(ctx.workspace, opts.runId);
      if (opts.json === true) ctx.io.out(JSON.stringify(verdict, null, 2));
      else {
        for (const c of verdict.checks) ctx.io.out(`${c.ok ? 'pass' : 'FAIL'}  ${c.id}: ${c.detail}`);
        ctx.io.out(
          `${verdict.passed} passed, ${verdict.failed} failed — verdict written to ${relative(ctx.cwd, file)}`,
        );
      }
      if (!verdict.ok) {
        const first = verdict.checks.find((c) => !c.ok);
        throw new QuantError(
          'E_VALIDATION_FAILED',
          `meta run ${opts.runId} failed ${verdict.failed} check(s); first: ${first?.id}: ${first?.detail}`,
          {
            location: { file: relative(ctx.cwd, file) },
          },
        );
      }
    });

  return meta;
}
