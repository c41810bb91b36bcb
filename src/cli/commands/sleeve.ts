import { relative } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import type { CliContext } from '../context.js';
import { stageResultJson } from '../output.js';

export function sleeveCommand(ctx: CliContext): Command {
  const sleeve = new Command('sleeve').description('produce sleeve runs from prices');
  sleeve
    .command('run')
    .description('walk-forward backtest of a sleeve profile of the manifest (stage sleeve.backtest)')
    .requiredOption('--profile <sleeve_profile>', 'the sleeve profile')
    .option('--run-id <id>', 'run id (default: a new run <profile>_<YYYYMMDD-HHMMSS>[-NNN])')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const sdk = new QuantSDK({ registry: await ctx.registry() });
      const result = await sdk.runStage(
        'sleeve.backtest',
        { profile: opts.profile },
        { ...ctx.runOptions(opts.runId), fresh: true },
      );
      if (opts.json === true) {
        ctx.io.out(stageResultJson(result));
        return;
      }
      ctx.io.out(`sleeve run ${result.runId} ok: ${result.summary}`);
      ctx.io.out(`run folder: ${relative(ctx.cwd, result.runDir) || result.runDir}`);
    });
  return sleeve;
}
