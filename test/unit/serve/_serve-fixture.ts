// A small workspace with two sleeve runs and two meta runs (the second with the level's weights capped
// at 0.6 in the manifest), and the serve app over it, driven in-process with app.request().
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/index.js';
import { StageRegistry } from '../../../src/registry.js';
import { createServeApp } from '../../../src/serve/app.js';
import { TOKEN_HEADER } from '../../../src/serve/api-types.js';
import { buildSmallMetaWorkspace, SMALL_META_PROFILE } from '../../helpers/small-meta-workspace.js';
import { writeManifest } from '../../helpers/sleeve-fixtures.js';
import { tempDir } from '../artifacts/_temp.js';

export const TOKEN = 'test-token-0123456789';
export const ORIGIN = 'http://127.0.0.1:8787';
/** The content of the file outside the workspace: no answer may carry it. */
export const SECRET = 'SECRET-CONTENT-7f3a';

export interface ServeFixture {
  readonly workspace: string;
  /** Outside the workspace, for escape attempts. */
  readonly outside: string;
  readonly metaRuns: readonly [string, string];
  readonly webRoot: string;
  readonly app: ReturnType<typeof createServeApp>;
  readonly logged: string[];
}

const env = { ...process.env, SOURCE_DATE_EPOCH: '' };

export function serveApp(
  workspace: string,
  options: { readOnly?: boolean; webRoot?: string; logged?: string[] } = {},
): ReturnType<typeof createServeApp> {
  return createServeApp({
    workspace,
    env,
    registry: () => Promise.resolve(StageRegistry),
    token: TOKEN,
    readOnly: options.readOnly ?? false,
    allowedHosts: () => new Set(['127.0.0.1:8787', 'localhost:8787']),
    webRoot: options.webRoot ?? join(workspace, 'no-web-build'),
    log: (line) => options.logged?.push(line),
  });
}

export async function buildServeFixture(): Promise<ServeFixture> {
  const root = tempDir('mf-serve-');
  const workspace = join(root, 'ws');
  const outside = join(root, 'outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  await buildSmallMetaWorkspace(workspace);
  const first = await QuantSDK.runMeta(SMALL_META_PROFILE, { workspace, env, runId: 'meta_one' });
  // The same tree with the level's weights capped at 0.6: the second run's weights and manifest differ.
  const manifest = JSON.parse(readFileSync(join(workspace, 'manifest.json'), 'utf8')) as {
    profiles: Record<string, Record<string, unknown>>;
  };
  const small = manifest.profiles[SMALL_META_PROFILE];
  assert.ok(small !== undefined, 'the small workspace has the small meta profile');
  small['meta_allocation'] = { max_weight: 0.6 };
  await writeManifest(workspace, manifest);
  const second = await QuantSDK.runMeta(SMALL_META_PROFILE, { workspace, env, runId: 'meta_two' });
  const webRoot = join(root, 'web');
  mkdirSync(webRoot);
  writeFileSync(
    join(webRoot, 'index.html'),
    '<!doctype html><title>app</title><script src="app.js"></script>',
  );
  writeFileSync(join(webRoot, 'app.js'), 'console.log("app")');
  const logged: string[] = [];
  return {
    workspace,
    outside,
    metaRuns: [first.runId, second.runId],
    webRoot,
    app: serveApp(workspace, { webRoot, logged }),
    logged,
  };
}

/** A GET with the token in the header. */
export function get(
  app: ServeFixture['app'],
  path: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(app.request(`${ORIGIN}${path}`, { headers: { [TOKEN_HEADER]: TOKEN, ...headers } }));
}

/** A POST of JSON as the app's page sends it: token header and same Origin. */
export function post(
  app: ServeFixture['app'],
  path: string,
  body: unknown,
  headers: Record<string, string> = { [TOKEN_HEADER]: TOKEN, Origin: ORIGIN },
): Promise<Response> {
  return Promise.resolve(
    app.request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** The JSON body of a coded error, checked for its shape, status and code. */
export async function expectError(
  res: Response,
  status: number,
  code: string,
): Promise<{ code: string; message: string; hint?: string }> {
  const text = await res.text();
  assert.equal(res.status, status, `HTTP ${status} expected, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, 'errors are JSON');
  const body = JSON.parse(text) as { error: { code: string; message: string; hint?: string } };
  assert.equal(body.error.code, code, `error code: ${text}`);
  assert.ok(body.error.message.length > 0, 'the error has a message');
  return body.error;
}
