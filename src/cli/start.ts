import { runCli } from './run-cli.js';

/**
 * Run `quant` with `argv` as a process: the exit code goes to `process.exitCode`. The bin
 * (`cli/main.ts`, and in the build the bundle's `dist/cli/main.js`) is this one call.
 */
export async function startCli(argv: readonly string[]): Promise<void> {
  // A closed pipe (`quant ... | head`) ends the output, not the process with a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await runCli(argv);
  // A finished command does not linger: should a library still hold a handle (a Redis client retrying a
  // server that is gone), leave once pending output had a moment to drain.
  setTimeout(() => process.exit(), 1000).unref();
}
