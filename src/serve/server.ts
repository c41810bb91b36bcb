/**
 * Start `quant serve`: a random per-process token, the app on @hono/node-server's adaptor, listening on
 * `host:port` (port 0: any free one). A taken port is `E_PORT_IN_USE`.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { QuantError, environmentError } from '../errors.js';
import type { Registry } from '../core/registry.js';
import { TOKEN_QUERY } from './api-types.js';
import { createServeApp, loadSdk } from './app.js';
import { allowedHostsFor } from './request-guard.js';
import type { Env } from '../util/env.js';

export interface ServeOptions {
  readonly workspace: string;
  readonly manifest?: string;
  readonly env: Env;
  readonly registry: () => Promise<Registry>;
  readonly host: string;
  readonly port: number;
  readonly readOnly: boolean;
  /** Default: dist/web of this package (src/serve and dist/serve both sit two levels below it). */
  readonly webRoot?: string;
  readonly log: (line: string) => void;
}

export interface RunningServer {
  /** `http://host:port/?token=...`: the page, with the token the API requires. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Listen; resolves once the port is bound. */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const token = randomBytes(24).toString('base64url');
  let allowed = new Set<string>();
  const app = createServeApp({
    workspace: o.workspace,
    ...(o.manifest === undefined ? {} : { manifest: o.manifest }),
    env: o.env,
    registry: o.registry,
    token,
    readOnly: o.readOnly,
    allowedHosts: () => allowed,
    webRoot: o.webRoot ?? DEFAULT_WEB_ROOT,
    log: o.log,
  });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((listening, failed) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        failed(
          new QuantError('E_PORT_IN_USE', `port ${o.port} on ${o.host} is taken by another process`, {
            hint: 'choose another with --port <n>, or --port 0 for any free port',
            details: { host: o.host, port: o.port },
          }),
        );
        return;
      }
      failed(environmentError(error) ?? error);
    });
    server.listen(o.port, o.host, () => listening());
  });
  const port = (server.address() as AddressInfo).port;
  allowed = allowedHostsFor(o.host, port);
  // Load the SDK while the user opens the page (a failure shows again on the request that needs it).
  void loadSdk().catch(() => undefined);
  return {
    url: `http://${urlHost(o.host)}:${port}/?${TOKEN_QUERY}=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
