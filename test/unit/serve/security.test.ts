// Who may use the API of `quant serve`, and what it may reach: the token (header, or ?token= on GET
// only), the Host (DNS rebinding), a same-origin Origin on POST (CSRF), read-only mode, and workspace
// confinement of run ids and artifact paths (.., encoded .., absolute paths, symlinks out).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_HEADER } from '../../../src/serve/api-types.js';
import { allowedHostsFor, isLoopbackHost } from '../../../src/serve/request-guard.js';
import {
  buildServeFixture,
  expectError,
  get,
  ORIGIN,
  post,
  SECRET,
  serveApp,
  TOKEN,
  type ServeFixture,
} from './_serve-fixture.js';

let f: ServeFixture;
before(async () => {
  f = await buildServeFixture();
  symlinkSync(join(f.outside, 'secret.txt'), join(f.workspace, 'runs/meta_one/data/leak.txt'));
  symlinkSync(f.outside, join(f.workspace, 'runs/meta_one/data/out'));
  mkdirSync(join(f.outside, 'evil_run'));
  symlinkSync(join(f.outside, 'evil_run'), join(f.workspace, 'runs/evil_run'));
});

describe('the token', () => {
  test('every API route refuses a request without it or with another: 401 E_TOKEN', async () => {
    for (const path of ['/api/info', '/api/runs', '/api/runs/meta_one', '/api/runs/meta_one/report']) {
      await expectError(await f.app.request(`${ORIGIN}${path}`), 401, 'E_TOKEN');
      await expectError(await get(f.app, path, { [TOKEN_HEADER]: `${TOKEN}x` }), 401, 'E_TOKEN');
    }
    await expectError(await get(f.app, '/api/runs', { [TOKEN_HEADER]: '' }), 401, 'E_TOKEN');
  });

  test('?token= is accepted on GET (links, the report iframe, EventSource)', async () => {
    const res = await f.app.request(`${ORIGIN}/api/runs?token=${TOKEN}`);
    assert.equal(res.status, 200, 'GET with the token in the query works');
  });

  test('a POST with the token in the query only is refused: 401 E_TOKEN', async () => {
    const res = await post(
      f.app,
      `/api/launch?token=${TOKEN}`,
      { kind: 'meta', profile: 'small' },
      { Origin: ORIGIN },
    );
    await expectError(res, 401, 'E_TOKEN');
  });
});

describe('Host and Origin', () => {
  test('a request naming another host is 403 E_HOST, static pages included (DNS rebinding)', async () => {
    const api = await f.app.request(`http://rebind.example:8787/api/runs?token=${TOKEN}`);
    await expectError(api, 403, 'E_HOST');
    await expectError(await f.app.request('http://rebind.example:8787/'), 403, 'E_HOST');
    await expectError(await f.app.request(`http://127.0.0.1:9999/api/runs?token=${TOKEN}`), 403, 'E_HOST');
    const local = await f.app.request(`http://localhost:8787/api/runs?token=${TOKEN}`);
    assert.equal(local.status, 200, 'localhost names the same loopback server');
    // A request line in absolute form sets the URL's host; the Host header is checked all the same.
    const absolute = await f.app.request(`${ORIGIN}/api/info?token=${TOKEN}`, {
      headers: { Host: 'evil.example' },
    });
    await expectError(absolute, 403, 'E_HOST');
    const same = await f.app.request(`${ORIGIN}/api/info?token=${TOKEN}`, {
      headers: { Host: new URL(ORIGIN).host },
    });
    assert.equal(same.status, 200, 'a Host header naming the server passes');
  });

  test('a launch body above 1 MiB is refused (E_PARAMS) before it is parsed', async () => {
    const big = JSON.stringify({ kind: 'meta', profile: 'small', pad: 'x'.repeat(1024 * 1024) });
    const error = await expectError(await post(f.app, '/api/launch', big), 400, 'E_PARAMS');
    assert.match(error.message, /larger than 1048576 bytes/, 'refused for its size, not its content');
  });

  test('a POST without Origin, or from another origin, is 403 E_ORIGIN and launches nothing', async () => {
    const body = { kind: 'meta', profile: 'small' };
    await expectError(await post(f.app, '/api/launch', body, { [TOKEN_HEADER]: TOKEN }), 403, 'E_ORIGIN');
    for (const origin of ['http://evil.example', 'https://127.0.0.1:8787', 'null', 'http://127.0.0.1:8788']) {
      const res = await post(f.app, '/api/launch', body, { [TOKEN_HEADER]: TOKEN, Origin: origin });
      await expectError(res, 403, 'E_ORIGIN');
    }
  });

  test('allowed hosts: a loopback bind answers to its loopback names, another address to itself', () => {
    assert.deepEqual(
      [...allowedHostsFor('127.0.0.1', 8787)].sort(),
      ['127.0.0.1:8787', '[::1]:8787', 'localhost:8787'],
      'loopback names',
    );
    assert.deepEqual([...allowedHostsFor('192.168.1.5', 80)], ['192.168.1.5:80'], 'only itself');
    assert.deepEqual(
      [...allowedHostsFor('::1', 1)].sort(),
      ['127.0.0.1:1', '[::1]:1', 'localhost:1'],
      'IPv6',
    );
    assert.ok(isLoopbackHost('127.0.0.2') && !isLoopbackHost('0.0.0.0'), '127/8 is loopback, 0.0.0.0 is not');
  });
});

describe('read-only', () => {
  test('--read-only refuses a launch: 403 E_SERVE_READ_ONLY; reads still work', async () => {
    const app = serveApp(f.workspace, { readOnly: true });
    const res = await post(app, '/api/launch', { kind: 'meta', profile: 'small' });
    const e = await expectError(res, 403, 'E_SERVE_READ_ONLY');
    assert.match(e.hint ?? '', /without --read-only/, 'the hint says how to launch');
    const info = (await (await get(app, '/api/info')).json()) as { read_only: boolean };
    assert.equal(info.read_only, true, 'info says read-only');
  });
});

describe('confinement of run ids and artifact paths', () => {
  const refused = async (path: string, status: number, code: string): Promise<void> => {
    const res = await get(f.app, path);
    const text = await res.clone().text();
    assert.ok(!text.includes(SECRET), `${path} never returns the outside file`);
    assert.ok(!text.includes('"profiles"'), `${path} never returns the manifest`);
    await expectError(res, status, code);
  };

  test('".." and its encodings never leave the run folder', async () => {
    // The URL parser folds "..", "%2e%2e" and ".%2E" segments before routing: what is left is no route.
    await refused('/api/runs/meta_one/artifacts/../../../manifest.json', 404, 'E_NOT_FOUND');
    await refused('/api/runs/meta_one/artifacts/%2e%2e/%2e%2e/manifest.json', 404, 'E_RUN_NOT_FOUND');
    await refused('/api/runs/meta_one/artifacts/data/.%2E/.%2e/../../manifest.json', 404, 'E_NOT_FOUND');
    // Encoded separators are refused by the address rules the MCP server applies.
    await refused('/api/runs/meta_one/artifacts/..%2F..%2Fmanifest.json', 400, 'E_ADDRESS');
    await refused('/api/runs/meta_one/artifacts/data%2F..%2F..%2F..%2Fmanifest.json', 400, 'E_ADDRESS');
    await refused('/api/runs/meta_one/artifacts/..%5C..%5Cmanifest.json', 400, 'E_ADDRESS');
    await refused('/api/runs/%2e%2e/artifacts/manifest.json', 404, 'E_NOT_FOUND');
    await refused('/api/runs/meta_one%2F..%2F..%2Fartifacts/manifest.json', 404, 'E_NOT_FOUND');
  });

  test('absolute paths are refused', async () => {
    await refused('/api/runs/meta_one/artifacts//etc/passwd', 400, 'E_ADDRESS');
    await refused('/api/runs/meta_one/artifacts/%2Fetc%2Fpasswd', 400, 'E_ADDRESS');
    await refused(
      `/api/runs/meta_one/artifacts/${encodeURIComponent(join(f.outside, 'secret.txt'))}`,
      400,
      'E_ADDRESS',
    );
  });

  test('symlinks out of the workspace are 403 E_PATH_ESCAPE: a file, a folder, a run folder', async () => {
    await refused('/api/runs/meta_one/artifacts/data/leak.txt', 403, 'E_PATH_ESCAPE');
    await refused('/api/runs/meta_one/artifacts/data/out/secret.txt', 403, 'E_PATH_ESCAPE');
    await refused('/api/runs/evil_run', 403, 'E_PATH_ESCAPE');
    await refused('/api/runs/evil_run/artifacts/run.json', 403, 'E_PATH_ESCAPE');
  });
});
