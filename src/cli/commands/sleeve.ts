import { relative } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import type { CliContext } from '../context.js';

export function sleeveCommand(ctx: CliContext): Command {
  const sleeve = new Command('sleeve').description('produce sleeve runs from prices');
  sleeve
    .command('run')
    .description('walk-forward backtest of a sleeve profile of the manifest (stage sleeve.backtest)')
    .requiredOption('--profile <sleeve_profile>', 'the sleeve profile')
    .option('--run-id <id>', 'run id (default <profile>_<YYYYMMDD-HHMMSS>)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const sdk = new QuantSDK({ registry: await ctx.registry() });
      const result = await sdk.runStage(
        'sleeve.backtest',
        { profile: opts.profile },
        {
          workspace: ctx.workspace,
          cwd: ctx.cwd,
          env: ctx.env,
          fresh: true,
          ...(opts.runId === undefined ? {} : { runId: opts.runId }),
          ...(ctx.globals.manifest === undefined ? {} : { manifest: ctx.globals.manifest }),
          ...(ctx.io.interactive ? { onProgress: (m: string) => ctx.io.err(m) } : {}),
        },
      );
      if (opts.json === true) {
        ctx.io.out(
          JSON.stringify(
            {
              run_id: result.runId,
              run_dir: result.runDir,
              summary: result.summary,
              outputs: result.outputs,
              value: result.value,
            },
            null,
            2,
          ),
        );
        return;
      }
      ctx.io.out(`sleeve run ${result.runId} ok: ${result.summary}`);
      ctx.io.out(`run folder: ${relative(ctx.cwd, result.runDir) || result.runDir}`);
    });
  return sleeve;
}
