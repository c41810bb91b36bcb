/**
 * The web app's files from dist/web (built by `npm run build`): `/` is index.html, `/<file>` and
 * `/assets/<file>` a file of that folder by a plain name; any other page path gets index.html (the app
 * routes in the browser). Without a build, `/` says how to make one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'hono';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
};

/** The app's own page: scripts and styles from this server only, frames of its own reports only. */
const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>quant serve</title></head>
<body><h1>quant serve</h1><p>The web app is not built: run <code>npm run build</code> in the metafolio
checkout, then reload this page. The JSON API under <code>/api</code> works without it.</p></body></html>
`;

async function fileOrUndefined(path: string): Promise<Buffer | undefined> {
  return readFile(path).catch(() => undefined);
}

/** Answer a GET outside /api from `webRoot`. */
export async function staticAnswer(c: Context, webRoot: string): Promise<Response> {
  const path = new URL(c.req.url).pathname;
  const m = /^\/(?:assets\/)?([^/]+)$/.exec(path);
  const name = m?.[1];
  if (name !== undefined && SAFE_NAME.test(name) && name.includes('.')) {
    const bytes = await fileOrUndefined(join(webRoot, path.startsWith('/assets/') ? 'assets' : '', name));
    if (bytes !== undefined) {
      const type = TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';
      return c.body(new Uint8Array(bytes), 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
    }
    return c.text('not found', 404);
  }
  const index = await fileOrUndefined(join(webRoot, 'index.html'));
  const headers = {
    'Content-Type': TYPES['html'] as string,
    'Content-Security-Policy': APP_CSP,
    'Cache-Control': 'no-cache',
  };
  if (index === undefined) return c.body(NOT_BUILT, 503, headers);
  return c.body(new Uint8Array(index), 200, headers);
}
