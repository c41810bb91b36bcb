// `quant serve` started from the built CLI for the browser tests: the server on a free port (`--port 0`),
// stopped by SIGTERM, and the rule that no request leaves the loopback interface.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, REPO } from './cli.js';

export interface Server {
  readonly child: ChildProcess;
  /** The address printed at start-up, token included. */
  readonly url: string;
  readonly origin: string;
}

/** Start `quant serve --port 0` and wait for the line with its address (the signal that it listens). */
export function startServer(ws: string, env: NodeJS.ProcessEnv = {}): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--workspace', ws], {
    cwd: REPO,
    env: { ...process.env, CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const look = (d: Buffer) => {
      output += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/\S*token=\S+/.exec(output);
      if (m !== null) resolve({ child, url: m[0], origin: m[1] as string });
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.on('exit', (code) =>
      reject(new Error(`quant serve exited (${code}) before listening:\n${output}`)),
    );
  });
}

/** Stop the server and wait until it has exited. */
export function stopServer(server: Server | undefined): Promise<void> {
  if (server === undefined || server.child.exitCode !== null || server.child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL stays on this machine (data: and blob: URLs have no host). */
export function isLocal(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'data:' || u.protocol === 'blob:' || LOOPBACK.has(u.hostname);
}
