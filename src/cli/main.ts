#!/usr/bin/env node
import { runCli } from './run-cli.js';

// A closed pipe (`quant ... | head`) ends the output, not the process with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
// A finished command does not linger: should a library still hold a handle (a Redis client retrying a
// server that is gone), leave once pending output had a moment to drain.
setTimeout(() => process.exit(), 1000).unref();
