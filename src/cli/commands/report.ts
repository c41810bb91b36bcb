import { Command, Option } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import type { CliContext } from '../context.js';

function addPathCommand(report: Command, name: string, description: string, ctx: CliContext): void {
  report
    .command(name)
    .description(description)
    .requiredOption('--run-id <id>', 'the meta run')
    .addOption(
      new Option('--format <format>', 'which report')
        .choices(['html', 'md'] as const)
        .default('html' as const),
    )
    .action(async (opts) => {
      ctx.io.out(await QuantSDK.reportPath(opts.runId, opts.format, { workspace: ctx.workspace }));
    });
}

/**
 * `quant report open|path --run-id R`: print the absolute path of a run's report (HTML by default), for
 * a browser or a script. Nothing is launched: the same command works on a headless machine.
 */
export function reportCommand(ctx: CliContext): Command {
  const report = new Command('report').description("locate a meta run's report");
  addPathCommand(report, 'path', 'print the absolute path of the report', ctx);
  addPathCommand(
    report,
    'open',
    'print the path of the self-contained report to open in a browser (no network needed)',
    ctx,
  );
  return report;
}
