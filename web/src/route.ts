// Hash routing: #/runs, #/runs/<id>, #/compare?runs=a,b, #/launch. The hash keeps every page a plain
// GET of / for the server, and the back button works.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly page: 'runs' }
  | { readonly page: 'run'; readonly runId: string }
  | { readonly page: 'compare'; readonly runIds: readonly string[] }
  | { readonly page: 'launch' };

/** The route a location hash names; anything unknown is the runs list. */
function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter((p) => p !== '');
  const params = new URLSearchParams(query);
  if (parts[0] === 'runs' && parts[1] !== undefined)
    return { page: 'run', runId: decodeURIComponent(parts[1]) };
  if (parts[0] === 'compare') {
    const ids = (params.get('runs') ?? '').split(',').filter((id) => id !== '');
    return { page: 'compare', runIds: ids };
  }
  if (parts[0] === 'launch') return { page: 'launch' };
  return { page: 'runs' };
}

export function runHref(runId: string): string {
  return `#/runs/${encodeURIComponent(runId)}`;
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
