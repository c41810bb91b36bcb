// The JSON API of `quant serve` (src/serve/api-types.ts): every call carries the session token in the
// X-Quant-Token header; a failure comes back as the CLI's coded error ({ error: { code, message, hint? } })
// and is thrown as an ApiError with the same fields.
import { TOKEN_HEADER, TOKEN_QUERY, type ApiError as ApiErrorBody } from '../../src/serve/api-types.js';
import { takeToken } from './token.js';

const token = takeToken();

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string | undefined,
    readonly status: number,
  ) {
    super(message);
  }
}

type ErrorBody = Partial<ApiErrorBody>;

async function failure(res: Response): Promise<ApiError> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // not JSON: the status line is all there is
  }
  const e = body.error;
  return new ApiError(
    typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`,
    typeof e?.message === 'string' ? e.message : `${res.status} ${res.statusText}`,
    typeof e?.hint === 'string' ? e.hint : undefined,
    res.status,
  );
}

/** What the page says when the server does not answer at all (stopped, or the network is gone). */
export const LOST_CONTACT = 'lost contact with quant serve (is it still running?)';

/** GET (or `init`) a JSON endpoint of the API. */
export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  // No token (a bookmarked link opened in a new tab): send none, so the server says it is missing.
  if (token !== '') headers.set(TOKEN_HEADER, token);
  headers.set('Accept', 'application/json');
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  } catch {
    // fetch rejects only when no answer came (its message, "Failed to fetch", says nothing more).
    throw new Error(LOST_CONTACT);
  }
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** POST a JSON body. */
export function apiPost<T>(path: string, body: unknown): Promise<T> {
  return apiJson<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A URL that carries the token as a query parameter, for what cannot send headers (EventSource, iframe). */
export function withToken(path: string): string {
  if (token === '') return path;
  const sep = path.includes('?') ? '&' : '?';
  return `${path}${sep}${TOKEN_QUERY}=${encodeURIComponent(token)}`;
}
