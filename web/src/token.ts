// The per-session token of `quant serve`: it arrives once as `?token=` in the address the server
// printed, is kept in sessionStorage (gone when the tab closes) and removed from the address bar, so it
// is neither bookmarked nor left in the history.
const KEY = 'quant-serve-token';

/** Take the token from the address (then strip it) or from sessionStorage; '' when there is none. */
export function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    window.sessionStorage.setItem(KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return window.sessionStorage.getItem(KEY) ?? '';
}
