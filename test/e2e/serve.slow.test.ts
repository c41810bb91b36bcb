// `quant serve` as a user starts it: the built CLI prints one line with the URL and its token, the API
// answers with the token and refuses without it, SIGTERM stops it with exit code 0, and a taken port
// is one E_PORT_IN_USE line with exit code 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI, REPO, quantAsync, tempDir } from '../helpers/cli.js';
import { buildSmallMetaWorkspace } from '../helpers/small-meta-workspace.js';

const ws = tempDir('quant-serve-');
after(() => ws.cleanup());
before(async () => {
  await buildSmallMetaWorkspace(ws.path);
});

interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: URL;
  readonly exit: Promise<{ code: number | null; stderr: string }>;
}

/** Start the server and resolve once it printed its URL line (or fail with what it printed). */
function startServe(args: readonly string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'serve', '--workspace', ws.path, ...args], {
    cwd: REPO,
    env: { ...process.env, CI: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((done) =>
    child.on('close', (code) => done({ code, stderr })),
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^quant serve: (http:\/\/\S+)$/m.exec(stdout);
      if (m?.[1] !== undefined) resolve({ child, url: new URL(m[1]), exit });
    });
    void exit.then(({ code }) =>
      reject(new Error(`quant serve exited (${code}) before its URL: ${stdout} ${stderr}`)),
    );
  });
}

test('quant serve prints its URL with a token, guards the API with it, and stops on SIGTERM', async () => {
  const { child, url, exit } = await startServe(['--port', '0']);
  assert.equal(url.hostname, '127.0.0.1', 'bound to loopback by default');
  const token = url.searchParams.get('token') ?? '';
  assert.ok(token.length >= 32, `a long random token in the URL (${token.length} characters)`);
  const api = new URL('/api/runs', url.origin);
  const refused = await fetch(api);
  assert.equal(refused.status, 401, 'without the token: 401');
  const body = (await refused.json()) as { error: { code: string } };
  assert.equal(body.error.code, 'E_TOKEN', 'coded E_TOKEN');
  const runs = await fetch(api, { headers: { 'X-Quant-Token': token } });
  assert.equal(runs.status, 200, 'with the token: 200');
  const list = (await runs.json()) as { runs: { run_id: string }[] };
  assert.deepEqual(
    list.runs.map((r) => r.run_id),
    ['s1_run', 's2_run'],
    'the runs of the workspace',
  );
  const page = await fetch(url);
  assert.ok(page.status === 200 || page.status === 503, `the page answers (${page.status})`);
  child.kill('SIGTERM');
  const { code, stderr } = await exit;
  assert.equal(code, 0, `SIGTERM stops the server cleanly: ${stderr}`);
});

test('a taken port is one E_PORT_IN_USE line and exit code 1', async () => {
  const { child, url, exit } = await startServe(['--port', '0']);
  const second = await quantAsync(['serve', '--workspace', ws.path, '--port', url.port]);
  assert.equal(second.code, 1, `exit code 1: ${second.stderr}`);
  const lines = second.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${second.stderr}`);
  assert.match(lines[0] ?? '', /^E_PORT_IN_USE: port \d+ on 127\.0\.0\.1 is taken/, 'coded, naming the port');
  assert.equal(second.stdout, '', 'no URL printed');
  child.kill('SIGTERM');
  assert.equal((await exit).code, 0, 'the first server stops cleanly');
});
