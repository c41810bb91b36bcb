import { Command } from '@commander-js/extra-typings';
import { TOOL_VERSION } from '../sdk/version.js';
import type { CliContext } from './context.js';
import { auditCommand } from './commands/audit.js';
import { runsCommand } from './commands/runs.js';
import { stageCommand } from './commands/stage.js';
import { metaCommand } from './commands/meta.js';
import { workerCommand } from './commands/worker.js';
import { sleeveCommand } from './commands/sleeve.js';
import { mcpCommand } from './commands/mcp.js';
import { reportCommand } from './commands/report.js';
import { manifestCommand } from './commands/manifest.js';
import { tradesCommand } from './commands/trades.js';

/** The command tree. Sub-commands are listed explicitly, like the stage catalog. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('quant')
    .description('metafolio: multi-sleeve, fractal meta-portfolios')
    .version(TOOL_VERSION)
    .addHelpText(
      'after',
      '\nGlobal options (before or after the sub-command):\n  --workspace <dir>   workspace folder (default $QUANT_WORKSPACE or .)\n  --manifest <file>   manifest (default <workspace>/manifest.json)\n  --stages <module>   also load the stages exported by this module (repeatable)\n  --verbose           stack traces on errors',
    );
  program.addCommand(stageCommand(ctx));
  program.addCommand(metaCommand(ctx));
  program.addCommand(workerCommand(ctx));
  program.addCommand(sleeveCommand(ctx));
  program.addCommand(runsCommand(ctx));
  program.addCommand(auditCommand(ctx));
  program.addCommand(reportCommand(ctx));
  program.addCommand(tradesCommand(ctx));
  program.addCommand(manifestCommand(ctx));
  program.addCommand(mcpCommand(ctx));
  return program as unknown as Command;
}
