import { Command, Option } from '@commander-js/extra-typings';
import { TOOL_VERSION } from '../sdk/version.js';
import type { CliContext } from './context.js';

type CommandFactory = (ctx: CliContext) => Command;

/** A sub-command as the top-level help lists it, and how to load it. */
export interface CommandEntry {
  readonly name: string;
  readonly description: string;
  /** Whether the command has options of its own (`worker [options]` in the top-level help). */
  readonly options: boolean;
  readonly load: () => Promise<CommandFactory>;
}

/**
 * The sub-commands, listed explicitly like the stage catalog. Each is loaded only when the command line
 * names it: `quant --version`, `quant --help` and a usage error at the top level load none of them (and
 * so none of the stages, the SDK or the Parquet and report code). The names and descriptions must match
 * the commands' own (test/unit/cli/program.test.ts checks).
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'stage',
    description: 'list, describe and run stages',
    options: false,
    load: async () => (await import('./commands/stage.js')).stageCommand as CommandFactory,
  },
  {
    name: 'meta',
    description: 'run and validate meta-portfolio pipelines',
    options: false,
    load: async () => (await import('./commands/meta.js')).metaCommand as CommandFactory,
  },
  {
    name: 'worker',
    description:
      'run sleeve jobs of `quant meta run --execute-sleeves --executor bullmq` from a Redis queue, for the workspace given by --workspace (default: the current folder)',
    options: true,
    load: async () => (await import('./commands/worker.js')).workerCommand as CommandFactory,
  },
  {
    name: 'sleeve',
    description: 'produce sleeve runs from prices',
    options: false,
    load: async () => (await import('./commands/sleeve.js')).sleeveCommand as CommandFactory,
  },
  {
    name: 'runs',
    description: 'inspect runs of the workspace',
    options: false,
    load: async () => (await import('./commands/runs.js')).runsCommand as CommandFactory,
  },
  {
    name: 'audit',
    description: 'check audit ledgers',
    options: false,
    load: async () => (await import('./commands/audit.js')).auditCommand as CommandFactory,
  },
  {
    name: 'report',
    description: "locate or open a meta run's report",
    options: false,
    load: async () => (await import('./commands/report.js')).reportCommand as CommandFactory,
  },
  {
    name: 'trades',
    description:
      'turn the flattened target of a risk profile of a meta run into orders in whole lots (CSV + JSON; nothing is sent)',
    options: true,
    load: async () => (await import('./commands/trades.js')).tradesCommand as CommandFactory,
  },
  {
    name: 'manifest',
    description: 'work with manifest files',
    options: false,
    load: async () => (await import('./commands/manifest.js')).manifestCommand as CommandFactory,
  },
  {
    name: 'mcp',
    description: 'serve the workspace to an MCP client (Model Context Protocol over stdio)',
    options: false,
    load: async () => (await import('./commands/mcp.js')).mcpCommand as CommandFactory,
  },
  {
    name: 'serve',
    description: 'browse, compare and launch the runs of the workspace in a web browser (local web server)',
    options: true,
    load: async () => (await import('./commands/serve.js')).serveCommand as CommandFactory,
  },
];

/**
 * The sub-command a command line (global options already taken out) runs: its first word, or the one
 * after `help` (`quant help meta`).
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) return undefined;
  return first === 'help' ? argv[1] : first;
}

/**
 * The command tree for `argv`: the named sub-command in full, every other one as a stand-in with its
 * name and description (enough for the top-level help and "did you mean"). `argv` undefined: all in full.
 */
export async function createProgram(ctx: CliContext, argv?: readonly string[]): Promise<Command> {
  const program = new Command('quant')
    .description('metafolio: multi-sleeve, fractal meta-portfolios')
    .version(TOOL_VERSION)
    .addHelpText(
      'after',
      '\nGlobal options (before or after the sub-command):\n  --workspace <dir>   workspace folder (default $QUANT_WORKSPACE or .)\n  --manifest <file>   manifest (default <workspace>/manifest.json)\n  --stages <module>   also load the stages exported by this module (repeatable)\n  --verbose           stack traces on errors',
    );
  const wanted = argv === undefined ? undefined : commandNamed(argv);
  for (const entry of COMMANDS) {
    if (argv === undefined || entry.name === wanted) {
      program.addCommand((await entry.load())(ctx));
      continue;
    }
    const standIn = new Command(entry.name).description(entry.description);
    // Shows as `name [options]` in the top-level help, like the real command; never parsed.
    if (entry.options) standIn.addOption(new Option('--options').hideHelp());
    program.addCommand(standIn);
  }
  return program as unknown as Command;
}
