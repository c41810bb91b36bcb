/**
 * Stopping a run at its next write. A caller (the CLI on SIGINT / SIGTERM) runs the work inside
 * {@link whileStoppable} with an `AbortSignal`; once it is aborted, every atomic write started in that
 * scope refuses to start (`E_INTERRUPTED`, before its temp file exists) and the runner refuses to start
 * the next stage. Writes already under way finish, so nothing lands half-written or after the run is
 * closed; the run then settles through its failure path, whose own bookkeeping (the ledger, run.json,
 * the lock) runs in {@link outsideStoppable}. The signal travels in an AsyncLocalStorage, like the
 * confinement policy (file-access.ts): the writers sit many calls below the caller.
 *
 * Test hook (inert unless set; read only here): `QUANT_PAUSE_AT_WRITE=<n>` (or `<n>:<part>`, counting only
 * writes whose path contains `<part>`) makes the n-th atomic write of a stoppable scope print
 * `quant: paused at write <n> (<file>)` on stderr and wait until the scope is told to stop; the write
 * then goes on (and is refused). The signal tests use it to send the signal while a run is surely running.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import { QuantError } from '../errors.js';

const scope = new AsyncLocalStorage<AbortSignal | undefined>();

/** Run `fn` so that its writes stop once `signal` is aborted (no signal: as the caller's scope says). */
export function whileStoppable<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return signal === undefined ? fn() : scope.run(signal, fn);
}

/** Run `fn` (bookkeeping of a stopped run: its ledger, run.json, lock) with no stop in force. */
export function outsideStoppable<T>(fn: () => Promise<T>): Promise<T> {
  return scope.run(undefined, fn);
}

/** The reason a stop was asked for (the signal's name), or undefined while none was. */
function stopReason(): string | undefined {
  const signal = scope.getStore();
  if (signal?.aborted !== true) return undefined;
  return typeof signal.reason === 'string' ? signal.reason : 'stop';
}

/** Whether `error` is the refusal of {@link assertNotStopped}. */
export function isStopError(error: unknown): error is QuantError {
  return error instanceof QuantError && error.code === 'E_INTERRUPTED' && error.details['stopped'] === true;
}

/** `E_INTERRUPTED` when a stop was asked for in this scope; `before` says what is not started. */
export function assertNotStopped(before: string): void {
  const reason = stopReason();
  if (reason === undefined) return;
  throw new QuantError('E_INTERRUPTED', `${reason}: stopped before ${before}`, {
    hint: 'run the command again',
    details: { stopped: true, signal: reason },
  });
}

const pauseAt = pausePoint(process.env['QUANT_PAUSE_AT_WRITE']);
let writesSeen = 0;

function pausePoint(raw: string | undefined): { at: number; part: string } | undefined {
  const m = /^([1-9]\d*)(?::(.+))?$/.exec(raw?.trim() ?? '');
  return m === null ? undefined : { at: Number(m[1]), part: m[2] ?? '' };
}

/**
 * Before an atomic write of `path`: the test hook's pause, then `E_INTERRUPTED` if a stop was asked for.
 * Resolves at once outside a stoppable scope.
 */
export async function beforeStoppableWrite(path: string): Promise<void> {
  const signal = scope.getStore();
  if (signal === undefined) return;
  if (pauseAt !== undefined && path.includes(pauseAt.part) && ++writesSeen === pauseAt.at) {
    process.stderr.write(`quant: paused at write ${pauseAt.at} (${path})\n`);
    // A signal handler is no handle of the event loop: without this timer the process would just end.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    try {
      if (!signal.aborted) await once(signal, 'abort');
    } finally {
      clearInterval(keepAlive);
    }
  }
  assertNotStopped(`writing ${path}`);
}
