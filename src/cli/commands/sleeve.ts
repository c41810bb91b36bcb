import { relative } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import type { CliContext } from '../context.js';
import { stageResultJson } from '../output.js';
import { stopOnSignal } from './_stop-on-signal.js';

export function sleeveCommand(ctx: CliContext): Command {
  const sleeve = new Command('sleeve').description('produce sleeve runs from prices');
  sleeve
    .command('run')
    .description('walk-forward backtest of a sleeve profile of the manifest (stage sleeve.backtest)')
    .requiredOption('--profile <sleeve_profile>', 'the sleeve profile')
    .option('--run-id <id>', 'run id (default: a new run <profile>_<YYYYMMDD-HHMMSS>[-NNN])')
    .option(
      '--threads <auto|N>',
      'worker threads for the walk-forward windows (stage param threads; default QUANT_THREADS, else auto)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const sdk = new QuantSDK({ registry: await ctx.registry() });
      const result = await stopOnSignal((signal) =>
        sdk.runStage(
          'sleeve.backtest',
          {
            profile: opts.profile,
            ...(opts.threads === undefined ? {} : { threads: threadsArg(opts.threads) }),
          },
          { ...ctx.runOptions(opts.runId), fresh: true, signal },
        ),
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

/** `auto`, or the count as a number; anything else goes to the stage as given, whose params check names it. */
function threadsArg(raw: string): string | number {
  const trimmed = raw.trim();
  return trimmed === 'auto' || !/^\d+$/.test(trimmed) ? trimmed : Number(trimmed);
}
