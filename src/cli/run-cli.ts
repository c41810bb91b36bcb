import {
  StageModuleFailure,
  environmentError,
  internalErrorHint,
  isQuantError,
  printable,
} from '../errors.js';
import { signalExitCode } from './commands/_stop-on-signal.js';
import { createCliContext } from './context.js';
import { extractGlobalOptions } from './global-options.js';
import { processIo, type Io } from './output.js';
import { createProgram } from './program.js';
import { CommanderError, commanderStop, prepareCommandTree } from './usage.js';

/**
 * Run the CLI; resolves to the exit code (0 ok, 1 user error, 2 internal error, 130 / 143 a run stopped by
 * SIGINT / SIGTERM).
 */
export async function runCli(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const cut = argv.indexOf('--');
  const before = cut < 0 ? argv : argv.slice(0, cut);
  let verbose = before.includes('--verbose') || before.includes('-v');
  // Known before the options are parsed, so that an error parsing them is JSON too.
  const json = before.includes('--json');
  try {
    const { globals, rest } = extractGlobalOptions(argv);
    verbose = globals.verbose;
    const ctx = createCliContext(globals, io, process.cwd(), process.env);
    const program = await createProgram(ctx, rest);
    prepareCommandTree(program, io);
    try {
      await program.parseAsync(rest, { from: 'user' });
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      const stop = commanderStop(error);
      if (!stop.ok) throw stop.error;
    }
    return 0;
  } catch (thrown) {
    return reportFailure(thrown, io, { verbose, json });
  }
}

/**
 * Print a failure as one line on stderr — `E_CODE: message (at where) — hint`, or with `--json` the
 * object `{"error":{"code","message","hint","location",...}}` on one line — and return the exit code:
 * 1 for a coded (user-facing) error, 2 for anything else (a bug).
 */
function reportFailure(thrown: unknown, io: Io, mode: { verbose: boolean; json: boolean }): number {
  // A failed system call that no layer coded is still the machine's failure, not a bug.
  const error = environmentError(thrown) ?? thrown;
  const coded = isQuantError(error);
  if (mode.json) {
    const body = coded
      ? error.toJSON()
      : {
          code: 'E_INTERNAL',
          message: error instanceof Error ? error.message : String(error),
          hint: internalErrorHint(error),
        };
    io.err(JSON.stringify({ error: body }));
  } else if (coded) io.err(error.oneLine());
  else {
    const message = printable(error instanceof Error ? error.message : String(error));
    io.err(`E_INTERNAL: ${message} — ${internalErrorHint(error)}`);
  }
  // A stage module's failure carries the module's own error, whose stack says where it was thrown.
  const shown = error instanceof StageModuleFailure && error.cause instanceof Error ? error.cause : error;
  if (mode.verbose && shown instanceof Error && shown.stack !== undefined) io.err(shown.stack);
  // A run stopped by SIGINT / SIGTERM exits as the signal would have ended it (130 / 143).
  const stopped =
    coded && error.code === 'E_INTERRUPTED' && error.details['stopped'] === true
      ? signalExitCode(String(error.details['signal']))
      : undefined;
  return stopped ?? (coded ? 1 : 2);
}
