/**
 * The HTTP app of `quant serve` (Hono): the JSON API of docs/serve.md over the SDK's workspace views,
 * the launches, and the web app's static files from dist/web. Every workspace answer comes from a
 * confined SDK call, so a run id or artifact path in a URL reaches only what the MCP server could.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { QuantError } from '../errors.js';
import { parseQuantAddress } from '../core/address.js';
import type { Registry } from '../core/registry.js';
import type { QuantSDK, WorkspaceOptions } from '../sdk/quant-sdk.js';
import {
  API_ROUTES,
  MAX_COMPARE_RUNS,
  apiPath,
  type InfoResponse,
  type LaunchEvent,
  type LaunchesResponse,
  type LaunchResponse,
} from './api-types.js';
import { errorAnswer, workspaceRelative } from './http-errors.js';
import type { Launches } from './launches.js';
import { checkApiAccess, checkHost, type GuardedRequest } from './request-guard.js';
import { staticAnswer } from './static-files.js';
import type { Env } from '../util/env.js';

/** The largest launch request body, as the MCP server's message limit (a launch needs a few hundred bytes). */
const MAX_LAUNCH_BYTES = 1024 * 1024;
/** How long a browser waits before it reconnects a dropped event stream. */
const SSE_RETRY_MS = 1000;

export interface ServeAppOptions {
  readonly workspace: string;
  /** Manifest path (inside the workspace; the caller confines it). */
  readonly manifest?: string;
  readonly env: Env;
  readonly registry: () => Promise<Registry>;
  readonly token: string;
  readonly readOnly: boolean;
  /** `host:port` values requests may name (known once the server listens). */
  readonly allowedHosts: () => ReadonlySet<string>;
  /** Folder of the built web app (index.html, app.js, app.css). */
  readonly webRoot: string;
  /** Diagnostics (internal errors with their stack) for the server's log. */
  readonly log: (line: string) => void;
}

/** The report is someone's HTML: shown in a sandbox (no scripts, an opaque origin), styles and images inline. */
const REPORT_CSP =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

function guarded(c: Context): GuardedRequest {
  return { method: c.req.method, url: new URL(c.req.url), header: (n) => c.req.header(n) };
}

/** The raw (still percent-encoded) path after `/api/runs/`, read as a `quant://runs/...` address. */
function artifactAddress(c: Context): { runId: string; path: string } {
  const raw = new URL(c.req.url).pathname;
  const m = /^\/api\/runs\/([^/]+)\/artifacts\/(.+)$/.exec(raw);
  if (m === null) throw new QuantError('E_NOT_FOUND', `no API route ${raw}`);
  const address = parseQuantAddress(`quant://runs/${m[1] ?? ''}/${m[2] ?? ''}`);
  if (address.kind !== 'artifact') throw new QuantError('E_NOT_FOUND', `no API route ${raw}`);
  return { runId: address.runId, path: address.path };
}

/** A run id from the URL, decoded by the address rules (an encoded "/" or ".." is refused). */
function runIdParam(c: Context): string {
  const raw = /^\/api\/runs\/([^/]+)/.exec(new URL(c.req.url).pathname)?.[1] ?? '';
  const address = parseQuantAddress(`quant://runs/${raw}`);
  if (address.kind !== 'artifact' || address.path !== '')
    throw new QuantError('E_RUN_ID', `bad run id ${raw}`);
  return address.runId;
}

function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function compareIds(c: Context): string[] {
  const ids = (c.req.query('runs') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length < 2 || ids.length > MAX_COMPARE_RUNS) {
    throw new QuantError('E_PARAMS', `compare takes 2 to ${MAX_COMPARE_RUNS} run ids, got ${ids.length}`, {
      hint: `GET ${API_ROUTES.compare}?runs=<run_id>,<run_id>`,
      details: { runs: ids },
    });
  }
  return ids;
}

let sdkModule: Promise<typeof QuantSDK> | undefined;

/**
 * The SDK (and with it the stage catalog), loaded on first use: the server prints its URL before this
 * import, which is most of its start-up time, and {@link startServer} begins it right after.
 */
export function loadSdk(): Promise<typeof QuantSDK> {
  sdkModule ??= import('../sdk/quant-sdk.js').then((m): typeof QuantSDK => m.QuantSDK);
  return sdkModule;
}

function addApiRoutes(app: Hono, o: ServeAppOptions, launches: () => Promise<Launches>): void {
  const ws: WorkspaceOptions = { workspace: o.workspace, env: o.env, confine: true };
  app.get(API_ROUTES.info, async (c) => {
    const info = await (
      await loadSdk()
    ).workspaceInfo({
      ...ws,
      ...(o.manifest === undefined ? {} : { manifest: o.manifest }),
    });
    return c.json({ ...info, read_only: o.readOnly } satisfies InfoResponse);
  });
  app.get(API_ROUTES.runs, async (c) => c.json(await (await loadSdk()).listRunRows(ws)));
  app.get(API_ROUTES.run, async (c) => c.json(await (await loadSdk()).runView(runIdParam(c), ws)));
  app.get(API_ROUTES.report, async (c) => {
    const file = await (await loadSdk()).readReportHtml(runIdParam(c), ws);
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': file.mimeType,
      'Content-Security-Policy': REPORT_CSP,
    });
  });
  app.get(API_ROUTES.artifact, async (c) => {
    const { runId, path } = artifactAddress(c);
    const file = await (await loadSdk()).readArtifactFile(runId, path, ws);
    const inline = c.req.query('inline') === '1';
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type':
        inline && file.mimeType.startsWith('text/html') ? 'text/plain; charset=utf-8' : file.mimeType,
      'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', file.name),
      'Content-Security-Policy': REPORT_CSP,
    });
  });
  app.get(API_ROUTES.compare, async (c) => c.json(await (await loadSdk()).compareRuns(compareIds(c), ws)));
  app.post(
    API_ROUTES.launch,
    bodyLimit({
      maxSize: MAX_LAUNCH_BYTES,
      onError: () => {
        throw new QuantError('E_PARAMS', `the launch request is larger than ${MAX_LAUNCH_BYTES} bytes`, {
          hint: 'POST {"kind": "meta", "profile": "<meta profile>"}: a launch names a profile and a few options',
        });
      },
    }),
    async (c) => {
      if (o.readOnly) {
        throw new QuantError(
          'E_SERVE_READ_ONLY',
          'this server runs with --read-only: it does not launch runs',
          {
            hint: 'restart quant serve without --read-only, or run the command in a terminal',
          },
        );
      }
      const body: unknown = await c.req.json().catch(() => {
        throw new QuantError('E_PARAMS', 'the launch request is not a JSON object', {
          hint: 'POST {"kind": "meta", "profile": "<meta profile>"} with Content-Type: application/json',
        });
      });
      const { parseLaunchRequest } = await import('./launches.js');
      const id = (await launches()).start(parseLaunchRequest(body));
      return c.json({ launch_id: id, events: apiPath('launchEvents', { id }) } satisfies LaunchResponse, 201);
    },
  );
  app.get(API_ROUTES.launches, async (c) =>
    c.json({ launches: (await launches()).list() } satisfies LaunchesResponse),
  );
  app.get(API_ROUTES.launchEvents, async (c) => {
    const id = c.req.param('id');
    const all = await launches();
    all.require(id); // an unknown id is a JSON error, before the stream opens
    // A reconnecting EventSource names the last event it has: resume after it rather than repeat them.
    const from = all.resumeAfter(id, c.req.header('last-event-id'));
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      const send = (event: LaunchEvent, index: number): Promise<void> =>
        stream.writeSSE({
          event: event.type,
          data: JSON.stringify(event),
          id: String(index),
          // A dropped stream is retried after a second (the browser's default is about three).
          ...(index === from ? { retry: SSE_RETRY_MS } : {}),
        });
      await all.follow(id, send, aborted.signal, from);
    });
  });
}

/** The app of one server. */
export function createServeApp(o: ServeAppOptions): Hono {
  const app = new Hono();
  let launches: Promise<Launches> | undefined;
  const getLaunches = (): Promise<Launches> =>
    (launches ??= import('./launches.js').then(
      (m) =>
        new m.Launches({
          workspace: o.workspace,
          ...(o.manifest === undefined ? {} : { manifest: o.manifest }),
          env: o.env,
          registry: o.registry,
          log: o.log,
        }),
    ));
  const shown = workspaceRelative(o.workspace);
  app.onError((error, c) => {
    const { status, body } = errorAnswer(error, shown);
    if (status === 500 && body.error.code === 'E_INTERNAL')
      o.log(`quant serve: ${c.req.method} ${new URL(c.req.url).pathname}: ${error.stack ?? error.message}`);
    return c.json(body, status as 400);
  });
  app.use('*', async (c, next) => {
    checkHost(guarded(c), o);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    await next();
  });
  app.use('/api/*', async (c, next) => {
    checkApiAccess(guarded(c), o);
    c.header('Cache-Control', 'no-store');
    await next();
  });
  addApiRoutes(app, o, getLaunches);
  app.all('/api/*', (c) => {
    throw new QuantError('E_NOT_FOUND', `no API route ${c.req.method} ${new URL(c.req.url).pathname}`, {
      hint: 'the routes are listed in docs/serve.md',
    });
  });
  app.get('*', (c) => staticAnswer(c, o.webRoot));
  return app;
}
