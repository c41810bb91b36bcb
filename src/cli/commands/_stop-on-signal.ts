// SIGINT / SIGTERM during `quant sleeve run`, `stage run` and `meta run`: the first asks the run to stop
// at its next write or stage (it is then closed as incomplete and the command fails with one
// E_INTERRUPTED line, exit 130 / 143), a second exits at once.

/** The exit code of a process ended by `signal`, as a shell reports it (128 + the signal's number). */
export function signalExitCode(signal: string): number | undefined {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : undefined;
}

/** Run `fn` with a signal that SIGINT / SIGTERM abort (reason: the signal's name); a second one exits. */
export async function stopOnSignal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal) ?? 1);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
