import { Command, Option } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import type { CliContext } from '../context.js';
import { openWithPlatformOpener } from '../open-file.js';

function addReportCommand(
  report: Command,
  name: 'path' | 'open',
  description: string,
  ctx: CliContext,
): void {
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
      const file = await QuantSDK.reportPath(opts.runId, opts.format, { workspace: ctx.workspace });
      ctx.io.out(file);
      if (name === 'path') return;
      const outcome = await openWithPlatformOpener(file, ctx.env);
      ctx.io.err(
        outcome.opened ? `opened with ${outcome.opener}` : `${outcome.reason}; open it in a browser`,
      );
    });
}

/**
 * `quant report path --run-id R` prints the absolute path of a run's report (HTML by default);
 * `quant report open` prints it too and opens it with the platform's opener (xdg-open, open, start),
 * or says that none was found, so the command still serves a headless machine.
 */
export function reportCommand(ctx: CliContext): Command {
  const report = new Command('report').description("locate or open a meta run's report");
  addReportCommand(report, 'path', 'print the absolute path of the report', ctx);
  addReportCommand(
    report,
    'open',
    'print the path of the self-contained report and open it with the platform opener (xdg-open, open, start)',
    ctx,
  );
  return report;
}
