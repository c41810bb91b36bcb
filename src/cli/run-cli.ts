import { CommanderError } from '@commander-js/extra-typings';
import { QuantError, environmentError, isQuantError, printable } from '../errors.js';
import { createCliContext } from './context.js';
import { extractGlobalOptions } from './global-options.js';
import { processIo, type Io } from './output.js';
import { createProgram } from './program.js';

/** Run the CLI; resolves to the exit code (0 ok, 1 user error, 2 internal error). */
export async function runCli(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    const { globals, rest } = extractGlobalOptions(argv);
    verbose = globals.verbose;
    const ctx = createCliContext(globals, io, process.cwd(), process.env);
    const program = createProgram(ctx);
    const usage: string[] = [];
    program.exitOverride();
    program.configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => usage.push(s.trim()),
      outputError: (s) => usage.push(s.trim()),
    });
    for (const sub of program.commands) {
      sub.exitOverride();
      sub.configureOutput({
        writeOut: (s) => io.out(s.trimEnd()),
        writeErr: (s) => usage.push(s.trim()),
        outputError: (s) => usage.push(s.trim()),
      });
      for (const leaf of sub.commands) {
        leaf.exitOverride();
        leaf.configureOutput({
          writeOut: (s) => io.out(s.trimEnd()),
          writeErr: (s) => usage.push(s.trim()),
          outputError: (s) => usage.push(s.trim()),
        });
      }
    }
    try {
      await program.parseAsync(rest, { from: 'user' });
    } catch (error) {
      if (error instanceof CommanderError) {
        if (
          error.exitCode === 0 ||
          error.code === 'commander.helpDisplayed' ||
          error.code === 'commander.version'
        )
          return 0;
        if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync') return 0;
        const message = error.message.replace(/^error:\s*/i, '');
        throw new QuantError('E_USAGE', message, { hint: 'run `quant --help` for usage' });
      }
      throw error;
    }
    return 0;
  } catch (thrown) {
    // A failed system call that no layer coded is still the machine's failure, not a bug.
    const error = environmentError(thrown) ?? thrown;
    if (isQuantError(error)) {
      io.err(error.oneLine());
      if (verbose && error.stack !== undefined) io.err(error.stack);
      return 1;
    }
    const message = printable(error instanceof Error ? error.message : String(error));
    io.err(`E_INTERNAL: ${message} — this is a bug; rerun with --verbose and report it`);
    if (verbose && error instanceof Error && error.stack !== undefined) io.err(error.stack);
    return 2;
  }
}
