// `quant mcp` survives its clients: raw bytes written to the built CLI's stdin, responses read line by
// line from its stdout. Requests before initialize, malformed JSON, messages that are not JSON-RPC, params
// of the wrong type and a message above the size limit each get a coded JSON-RPC error (one-line
// E_USAGE message) and the server keeps serving; stdout carries nothing but protocol lines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI, REPO, tempDir } from '../helpers/cli.js';

type Json = Record<string, unknown>;
interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: { code?: string; issues?: unknown[] };
}

const MIB = 1024 * 1024;

/** The server as a byte pipe: write raw bytes, wait for the response line carrying an id. */
class RawServer {
  readonly child: ChildProcessWithoutNullStreams;
  stderr = '';
  private buffer = '';
  private readonly lines: Json[] = [];
  private readonly rawLines: string[] = [];
  private wake: (() => void) | undefined;
  readonly exited: Promise<number | null>;

  constructor(workspace: string) {
    this.child = spawn(process.execPath, [CLI, 'mcp', '--workspace', workspace], {
      cwd: REPO,
      env: { ...process.env, CI: '1' },
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      this.buffer += d;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.rawLines.push(line);
        this.lines.push(JSON.parse(line) as Json);
      }
      this.wake?.();
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  write(bytes: string | Buffer): void {
    this.child.stdin.write(bytes);
  }

  send(message: unknown): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  /** Every line written so far, exactly as written. */
  get all(): readonly string[] {
    return this.rawLines;
  }

  /** The first response not yet taken whose id is `id` (null: an error about an unknown request). */
  async response(id: string | number | null): Promise<Json> {
    for (;;) {
      const i = this.lines.findIndex((l) => l['id'] === id && ('result' in l || 'error' in l));
      if (i >= 0) return this.lines.splice(i, 1)[0] as Json;
      await new Promise<void>((done) => (this.wake = done));
    }
  }

  async error(id: string | number | null): Promise<RpcError> {
    const r = await this.response(id);
    assert.ok('error' in r, `an error for id ${String(id)}: ${JSON.stringify(r)}`);
    return r['error'] as RpcError;
  }

  async ping(id: number): Promise<void> {
    this.send({ jsonrpc: '2.0', id, method: 'ping' });
    assert.deepEqual((await this.response(id))['result'], {}, 'ping answered');
  }
}

/** A coded one-line E_USAGE error with this JSON-RPC code and a message matching `re`. */
function assertUsage(error: RpcError, code: number, re: RegExp): void {
  assert.equal(error.code, code, error.message);
  assert.match(error.message, /^E_USAGE: /, 'error.message names E_USAGE');
  assert.match(error.message, re, 'error.message matches re');
  assert.equal(error.message.split('\n').length, 1, 'one line');
  assert.equal(error.data?.code, 'E_USAGE', 'error.data?.code');
}

const INIT = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'raw-bytes', version: '1' },
};

describe('quant mcp survives its clients (raw bytes on stdin)', () => {
  let ws: { path: string; cleanup(): void };
  let server: RawServer;

  before(() => {
    ws = tempDir('quant-mcp-raw-');
    server = new RawServer(ws.path);
  });
  after(() => {
    if (server.child.exitCode === null) server.child.kill();
    ws.cleanup();
  });

  test('requests before initialize are refused (-32600); ping is answered; notifications are dropped', async () => {
    server.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assertUsage(await server.error(1), -32600, /request tools\/list before initialize/);
    server.send({
      jsonrpc: '2.0',
      id: 'r',
      method: 'resources/read',
      params: { uri: 'quant://docs/stages.md' },
    });
    assertUsage(await server.error('r'), -32600, /before initialize/);
    server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    await server.ping(2);
    server.send({ jsonrpc: '2.0', id: 3, method: 'initialize', params: INIT });
    const init = (await server.response(3))['result'] as { serverInfo: { name: string } };
    assert.equal(init.serverInfo.name, 'metafolio', 'init.serverInfo.name');
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    server.send({ jsonrpc: '2.0', id: 4, method: 'tools/list' });
    const tools = (await server.response(4))['result'] as { tools: unknown[] };
    assert.ok(tools.tools.length > 0, 'tools listed after initialize');
  });

  test('malformed JSON is -32700 with a null id', async () => {
    for (const line of ['{bad', '{"jsonrpc":"2.0","id":5,', 'nul', '\u0000\u0001']) {
      server.write(`${line}\n`);
      assertUsage(await server.error(null), -32700, /parse error: the message is not valid JSON/);
    }
    await server.ping(6);
  });

  test('messages that are not JSON-RPC requests are -32600, with their id when it can be read', async () => {
    const cases: [unknown, string | number | null, RegExp][] = [
      [[{ jsonrpc: '2.0', id: 7, method: 'ping' }], null, /batches/],
      ['ping', null, /a message is a JSON object, not a string/],
      [42, null, /not a number/],
      [{ jsonrpc: '1.0', id: 8, method: 'ping' }, 8, /"jsonrpc" must be "2\.0"/],
      [{ jsonrpc: '2.0', id: 9 }, 9, /"method" must be a non-empty string/],
      [{ jsonrpc: '2.0', id: 10, method: 7 }, 10, /"method" must be a non-empty string/],
      [{ jsonrpc: '2.0', id: { x: 1 }, method: 'ping' }, null, /"id" must be a string or an integer/],
      [{ jsonrpc: '2.0', id: 1.5, method: 'ping' }, null, /"id" must be a string or an integer/],
      [{ jsonrpc: '2.0', id: 11, method: 'ping', extra: true }, 11, /unknown member\(s\) "extra"/],
    ];
    for (const [message, id, re] of cases) {
      server.send(message);
      assertUsage(await server.error(id), -32600, re);
    }
    await server.ping(12);
  });

  test('params of the wrong type are one-line E_USAGE errors (-32602), never a schema dump', async () => {
    const call = (id: number, params: unknown): void =>
      server.send({ jsonrpc: '2.0', id, method: 'tools/call', params });
    call(13, { name: 5 });
    assertUsage(
      await server.error(13),
      -32602,
      /invalid tools\/call request: params\.name: expected string, received number/,
    );
    call(14, { name: 'run_stage', arguments: 'x' });
    assertUsage(await server.error(14), -32602, /params\.arguments: expected record, received string/);
    call(15, [1, 2]);
    assertUsage(await server.error(15), -32602, /"params" must be an object, not an array/);
    server.send({ jsonrpc: '2.0', id: 16, method: 'resources/read', params: { uri: 5 } });
    assertUsage(await server.error(16), -32602, /invalid resources\/read request: params\.uri/);
    server.send({ jsonrpc: '2.0', id: 17, method: 'tools/list', params: { cursor: 3 } });
    assertUsage(await server.error(17), -32602, /params\.cursor/);
    // Tool arguments of the wrong type: a tool error with the CLI's one-line E_USAGE.
    call(18, { name: 'run_stage', arguments: { stage: 5, params: 'x' } });
    const result = (await server.response(18))['result'] as { isError: boolean; content: { text: string }[] };
    assert.equal(result.isError, true, 'result.isError');
    const text = result.content[0]?.text ?? '';
    assert.match(
      text,
      /^E_USAGE: invalid arguments for tool run_stage: stage: .*; params: /,
      'text names E_USAGE',
    );
    assert.equal(text.split('\n').length, 1, 'one line');
    server.send({ jsonrpc: '2.0', id: 19, method: 'no/such/method' });
    assert.equal((await server.error(19)).code, -32601, '(await server.error(19)).code');
  });

  test('a message above 1 MiB is refused with its id, the rest of it discarded, and the server keeps serving', async () => {
    const big = (id: number | string, first: 'id' | 'padding'): string => {
      const pad = 'x'.repeat(2 * MIB);
      const args = `{"name":"list_stages","arguments":{"tag":"${pad}"}}`;
      return first === 'id'
        ? `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":${args}}\n`
        : `{"jsonrpc":"2.0","method":"tools/call","params":${args},"id":${JSON.stringify(id)}}\n`;
    };
    // Written in 64 KiB pieces, as a client streaming a large request would.
    const bytes = Buffer.from(big(20, 'id'));
    for (let at = 0; at < bytes.length; at += 64 * 1024) server.write(bytes.subarray(at, at + 64 * 1024));
    const error = await server.error(20);
    assertUsage(error, -32600, /request too large: a message may be at most 1048576 bytes/);
    await server.ping(21);
    // The id after the payload cannot be read from the first bytes: the error carries a null id.
    server.write(big('late', 'padding'));
    assertUsage(await server.error(null), -32600, /request too large/);
    await server.ping(22);
    // Just below the limit is served.
    const fits = `{"jsonrpc":"2.0","id":23,"method":"tools/call","params":{"name":"list_stages","arguments":{"tag":"${'y'.repeat(MIB - 200)}"}}}\n`;
    server.write(fits);
    const served = (await server.response(23))['result'] as { structuredContent: { stages: unknown[] } };
    assert.deepEqual(served.structuredContent.stages, [], 'served.structuredContent.stages');
  });

  test('a message split across writes, with a split UTF-8 character and CRLF, is read whole', async () => {
    const bytes = Buffer.from(
      `${JSON.stringify({ jsonrpc: '2.0', id: 24, method: 'tools/call', params: { name: 'describe_stage', arguments: { stage: 'nö.such' } } })}\r\n`,
    );
    const cut = bytes.indexOf(Buffer.from('ö')) + 1; // inside the two bytes of "ö"
    server.write(bytes.subarray(0, cut));
    server.write(bytes.subarray(cut));
    const result = (await server.response(24))['result'] as { content: { text: string }[] };
    assert.match(
      result.content[0]?.text ?? '',
      /^E_UNKNOWN_STAGE: .*nö\.such/,
      "result.content[0]?.text ?? '' names E_UNKNOWN_STAGE",
    );
  });

  test('stdout carried only JSON-RPC lines; stderr no stack trace; closing stdin ends the server cleanly', async () => {
    for (const line of server.all) {
      const message = JSON.parse(line) as Json;
      assert.equal(message['jsonrpc'], '2.0', line.slice(0, 200));
    }
    assert.match(
      server.stderr,
      /quant mcp: refused a message: E_USAGE: request too large/,
      'server.stderr matches /quant mcp: refused a message: E_USAGE: request too large/',
    );
    assert.doesNotMatch(
      server.stderr,
      /\n\s+at |E_INTERNAL/,
      'server.stderr does not match /\\n\\s+at |E_INTERNAL/',
    );
    server.child.stdin.end();
    assert.equal(await server.exited, 0, 'await server.exited');
  });
});

describe('quant mcp answers every request it read before stdin closed', () => {
  test('a script piped in whole, the last line without its newline: every answer, then exit 0', async () => {
    const ws = tempDir('quant-mcp-eof-');
    const server = new RawServer(ws.path);
    try {
      const lines = [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_stages', arguments: {} } },
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_runs', arguments: {} } },
        { jsonrpc: '2.0', id: 4, method: 'ping' },
      ].map((m) => JSON.stringify(m));
      const closed = new Promise<void>((done) => server.child.once('close', () => done()));
      server.child.stdin.end(lines.join('\n')); // no newline after the last one
      assert.equal(await server.exited, 0, 'the server exits 0 once stdin is closed');
      await closed; // stdout read to its end
      const answers = new Map(server.all.map((l) => JSON.parse(l) as Json).map((m) => [m['id'], m]));
      for (const id of [1, 2, 3, 4]) {
        assert.ok(
          answers.get(id)?.['result'] !== undefined,
          `request ${id} answered: ${JSON.stringify(answers.get(id))}`,
        );
      }
      const stages = answers.get(2)?.['result'] as { content?: { text?: string }[] } | undefined;
      assert.match(stages?.content?.[0]?.text ?? '', /meta\./, 'list_stages answered with the stages');
      assert.doesNotMatch(server.stderr, /\n\s+at |E_INTERNAL/, 'no stack trace on stderr');
    } finally {
      if (server.child.exitCode === null) server.child.kill();
      ws.cleanup();
    }
  });
});
