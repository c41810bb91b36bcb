import { relative } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
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
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const sdk = new QuantSDK({ registry: await ctx.registry() });
      const result = await sdk.runMeta(opts.profile, {
        workspace: ctx.workspace,
        cwd: ctx.cwd,
        env: ctx.env,
        ...(opts.runId === undefined ? {} : { runId: opts.runId }),
        ...(opts.profiles === undefined ? {} : { riskProfiles: opts.profiles }),
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
      ctx.io.out(`meta run ${result.runId} ok (${result.riskProfiles.join(', ')})`);
      ctx.io.out(`report: ${relative(ctx.cwd, result.reportPath) || result.reportPath}`);
    });

  return meta;
}
