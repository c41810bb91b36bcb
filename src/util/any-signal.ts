/**
 * `AbortSignal.any` for every Node the package accepts: Node has it from 20.3 only, and package.json says
 * `>=20`. Where Node has it, it is used (its listeners do not keep the signals alive); before, the same
 * behaviour is built from an AbortController.
 */

type AnyOf = (signals: AbortSignal[]) => AbortSignal;
const nativeAny = (AbortSignal as unknown as { any?: AnyOf }).any;

/** A signal aborted as soon as any of `signals` is, with that signal's reason. */
export function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  return nativeAny === undefined ? combineSignals(signals) : nativeAny.call(AbortSignal, [...signals]);
}

/**
 * {@link anySignal} without `AbortSignal.any`: aborted at once when one of `signals` already is, else on
 * the first abort, whose reason it takes; it then stops listening to the others.
 */
export function combineSignals(signals: readonly AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  const first = signals.find((s) => s.aborted);
  if (first !== undefined) {
    controller.abort(first.reason);
    return controller.signal;
  }
  const listeners = signals.map((signal) => {
    const listener = (): void => {
      controller.abort(signal.reason);
      for (const [s, l] of listeners) s.removeEventListener('abort', l);
    };
    signal.addEventListener('abort', listener, { once: true });
    return [signal, listener] as const;
  });
  return controller.signal;
}
