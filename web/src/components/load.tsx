// Loading a resource of the API into a page: the value, or the coded error shown as one block.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';

export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly error: unknown }
  | { readonly state: 'ok'; readonly value: T };

/**
 * Run `load` when `key` changes; a later answer never overwrites a newer request's. A change of `refresh`
 * loads again but keeps the value shown until the new one arrives (no "Loading…" in between).
 */
export function useLoad<T>(key: string, load: () => Promise<T>, refresh = 0): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const loadedKey = useRef<string | null>(null);
  useEffect(() => {
    let current = true;
    if (loadedKey.current !== key) setResult({ state: 'loading' });
    loadedKey.current = key;
    load().then(
      (value) => current && setResult({ state: 'ok', value }),
      (error: unknown) => current && setResult({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [key, refresh]);
  return result;
}

/** A failure as the CLI would print it: code, message, hint. */
export function ErrorBox(props: { error: unknown }) {
  const e = props.error;
  if (e instanceof ApiError)
    return (
      <p class="error" role="alert" data-code={e.code}>
        <strong>{e.code}</strong>: {e.message}
        {e.hint === undefined ? null : <span class="muted"> — {e.hint}</span>}
      </p>
    );
  return (
    <p class="error" role="alert">
      {e instanceof Error ? e.message : String(e)}
    </p>
  );
}

/** Render `children(value)` once loaded; the error or a loading line otherwise. */
export function Await<T>(props: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  const l = props.loaded;
  if (l.state === 'loading')
    return (
      <p class="muted" aria-busy="true">
        Loading…
      </p>
    );
  if (l.state === 'error') return <ErrorBox error={l.error} />;
  return <>{props.children(l.value)}</>;
}
