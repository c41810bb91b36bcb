/**
 * Who may use the API of `quant serve` (docs/serve.md, "Security"): the Host must be the server's own
 * (a DNS-rebinding page reaches the loopback port under its own name), every `/api` request carries the
 * per-process token (header, or `?token=` on a GET: links, the report iframe, EventSource), and a POST
 * carries the token in the header and a same-origin `Origin` (a cross-site form cannot set either).
 */
import { timingSafeEqual } from 'node:crypto';
import { QuantError } from '../errors.js';
import { TOKEN_HEADER, TOKEN_QUERY } from './api-types.js';

export interface GuardOptions {
  readonly token: string;
  /** `host:port` values a request may name in its Host header (and its Origin). */
  readonly allowedHosts: () => ReadonlySet<string>;
}

/** The loopback names a browser may use for a server bound to a loopback address. */
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/** Whether `host` (as given to --host) is a loopback address or name. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The Host values the server answers to when bound to `host`:`port`. */
export function allowedHostsFor(host: string, port: number): Set<string> {
  const bound = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const names = isLoopbackHost(host) ? [bound, ...LOOPBACK] : [bound];
  return new Set(names.map((n) => `${n}:${port}`));
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the guard needs of a request. */
export interface GuardedRequest {
  readonly method: string;
  readonly url: URL;
  header(name: string): string | undefined;
}

/** `E_HOST` unless the request names the server's own host and port. */
export function checkHost(req: GuardedRequest, options: GuardOptions): void {
  // Both the Host header and the request target's host: a request line in absolute form
  // (`GET http://127.0.0.1:8787/ HTTP/1.1`) sets the URL's host, whatever Host the client sends.
  const allowed = options.allowedHosts();
  const header = req.header('host');
  const named = header !== undefined && !allowed.has(header) ? header : req.url.host;
  if (allowed.has(named)) return;
  throw new QuantError('E_HOST', `requests must name this server's host, not ${JSON.stringify(named)}`, {
    hint: 'open the URL quant serve printed at start-up',
    details: { host: named },
  });
}

/** `E_TOKEN` / `E_ORIGIN` unless an API request carries the token (and, for a POST, the same origin). */
export function checkApiAccess(req: GuardedRequest, options: GuardOptions): void {
  const header = req.header(TOKEN_HEADER);
  const query = req.method === 'GET' ? req.url.searchParams.get(TOKEN_QUERY) : null;
  const given = header ?? query ?? undefined;
  if (given === undefined || !sameToken(given, options.token)) {
    const what = given === undefined ? 'lacks the session token' : 'carries a wrong session token';
    throw new QuantError('E_TOKEN', `the request ${what}`, {
      hint: `open the URL quant serve printed at start-up (it carries ?${TOKEN_QUERY}=...); API clients send the ${TOKEN_HEADER} header`,
    });
  }
  if (req.method === 'GET' || req.method === 'HEAD') return;
  if (header === undefined) {
    throw new QuantError(
      'E_TOKEN',
      `a ${req.method} carries the session token in the ${TOKEN_HEADER} header only`,
      {
        hint: `send the token as the ${TOKEN_HEADER} header`,
      },
    );
  }
  const origin = req.header('origin');
  const host = origin === undefined ? undefined : originHost(origin);
  if (host === undefined || !options.allowedHosts().has(host)) {
    throw new QuantError(
      'E_ORIGIN',
      `a ${req.method} must come from this server's own page, not from origin ${JSON.stringify(origin ?? null)}`,
      {
        hint: 'launch runs from the page quant serve serves; scripts send Origin: http://<host>:<port>',
        details: { origin: origin ?? null },
      },
    );
  }
}

function originHost(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' ? url.host : undefined;
  } catch {
    return undefined;
  }
}
