// Hash routing: #/runs, #/runs/<id> (#/runs/<id>?profile=<risk profile> for a risk profile's tab),
// #/compare?runs=a,b, #/launch. The hash keeps every page a plain
// GET of / for the server, and the back button works.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly page: 'runs' }
  /** `profile`: the risk profile whose tab is open (null: the first). */
  | { readonly page: 'run'; readonly runId: string; readonly profile: string | null }
  | { readonly page: 'compare'; readonly runIds: readonly string[] }
  | { readonly page: 'launch' }
  /** A link the app cannot read: an unknown page, or a run id that is not valid percent-encoding. */
  | { readonly page: 'not-found'; readonly hash: string; readonly problem: string };

/** `text` percent-decoded, or null when it is not valid percent-encoded UTF-8 (`%E0%A4%A`). */
function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The route a location hash names; an empty hash is the runs list, anything else unknown is not found. */
function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter((p) => p !== '');
  const params = new URLSearchParams(query);
  const notFound = (problem: string): Route => ({ page: 'not-found', hash, problem });
  if (parts[0] === 'runs' && parts[1] !== undefined) {
    const runId = decoded(parts[1]);
    return runId === null
      ? notFound('the run id in it is not valid percent-encoding')
      : { page: 'run', runId, profile: params.get('profile') };
  }
  if (parts[0] === 'compare') {
    const ids = (params.get('runs') ?? '').split(',').filter((id) => id !== '');
    return { page: 'compare', runIds: ids };
  }
  if (parts[0] === 'launch') return { page: 'launch' };
  if (parts[0] === undefined || parts[0] === 'runs') return { page: 'runs' };
  return notFound(`the app has no page "${parts[0]}"`);
}

export function runHref(runId: string, profile?: string): string {
  const tab = profile === undefined ? '' : `?profile=${encodeURIComponent(profile)}`;
  return `#/runs/${encodeURIComponent(runId)}${tab}`;
}

export function compareHref(runIds: readonly string[]): string {
  return `#/compare?runs=${runIds.map(encodeURIComponent).join(',')}`;
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}

/** The current route, updated on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
