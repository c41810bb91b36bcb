// The guarded stdio transport on in-memory streams: framing across arbitrary chunk boundaries, the size
// limit (bounded memory, an error with the id read from the first bytes), the request guard, and the id
// peeker used for oversized messages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { GuardedStdioTransport, peekRequestId } from '../../../src/mcp/stdio-transport.js';

interface Wire {
  readonly transport: GuardedStdioTransport;
  readonly input: PassThrough;
  readonly forwarded: JSONRPCMessage[];
  readonly written: Record<string, unknown>[];
  readonly logged: string[];
  /** Resolves once every byte written so far to the input has been processed. */
  settle(): Promise<void>;
}

async function wire(maxMessageBytes?: number): Promise<Wire> {
  const input = new PassThrough();
  const output = new PassThrough();
  const written: Record<string, unknown>[] = [];
  let pending = '';
  output.setEncoding('utf8');
  output.on('data', (d: string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      written.push(JSON.parse(pending.slice(0, nl)) as Record<string, unknown>);
      pending = pending.slice(nl + 1);
    }
  });
  const logged: string[] = [];
  const transport = new GuardedStdioTransport(input, output, {
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    log: (l) => logged.push(l),
  });
  const forwarded: JSONRPCMessage[] = [];
  transport.onmessage = (m) => forwarded.push(m);
  await transport.start();
  // PassThrough delivers synchronously on write; one turn lets the output listener run.
  const settle = (): Promise<void> => new Promise((done) => setImmediate(done));
  return { transport, input, forwarded, written, logged, settle };
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

describe('GuardedStdioTransport', () => {
  test('messages split at every byte, with multi-byte characters and CRLF, arrive whole', async () => {
    const w = await wire();
    const text = `${INIT}\n${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'quant://runs/é€𝄞/x' } })}\r\n`;
    for (const byte of Buffer.from(text)) w.input.write(Buffer.of(byte));
    await w.settle();
    assert.equal(w.forwarded.length, 2, 'w.forwarded.length');
    assert.deepEqual(
      (w.forwarded[1] as unknown as { params: { uri: string } }).params.uri,
      'quant://runs/é€𝄞/x',
      '(w.forwarded[1]).params.uri',
    );
    assert.deepEqual(w.written, [], 'w.written');
  });

  test('an oversized line is answered once, with its id, discarded, and the next line is served', async () => {
    const w = await wire(200);
    w.input.write(`${INIT.slice(0, 50)}`);
    w.input.write(`${INIT.slice(50)}\n`);
    const big = `{"jsonrpc":"2.0","id":"big","method":"ping","params":{"_meta":{"pad":"${'z'.repeat(500)}"}}}`;
    for (let at = 0; at < big.length; at += 30) w.input.write(big.slice(at, at + 30));
    w.input.write('\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await w.settle();
    assert.deepEqual(
      w.written.map((r) => [r['id'], (r['error'] as { code: number }).code]),
      [['big', -32600]],
      "w.written.map((r) => [r['id'], (r['error']).code])",
    );
    assert.deepEqual(
      w.forwarded.map((m) => (m as { id?: unknown }).id),
      [0, 2],
      'w.forwarded.map((m) => (m as { id?: unknown }).id)',
    );
    assert.match(
      w.logged.join('\n'),
      /request too large: a message may be at most 200 bytes/,
      "w.logged.join('\\n') matches /request too large: a message may be at most 200 bytes/",
    );
  });

  test('the guard answers instead of the server: not JSON, not JSON-RPC, before initialize', async () => {
    const w = await wire();
    w.input.write('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\nnot json\n\n   \n[]\n');
    w.input.write('{"jsonrpc":"2.0","result":{},"id":99}\n{"jsonrpc":"2.0","id":"x","result":5}\n');
    await w.settle();
    assert.deepEqual(
      w.written.map((r) => [r['id'], (r['error'] as { code: number }).code]),
      [
        [1, -32600],
        [null, -32700],
        [null, -32600],
      ],
      "w.written.map((r) => [r['id'], (r['error']).code])",
    );
    // A well-formed response from the client passes on; a malformed one is dropped, never answered.
    assert.deepEqual(w.forwarded, [{ jsonrpc: '2.0', result: {}, id: 99 }], 'w.forwarded');
    assert.match(
      w.logged.join('\n'),
      /dropped a message: malformed response/,
      "w.logged.join('\\n') matches /dropped a message: malformed response/",
    );
  });

  test('end of input: a last line without its newline is served, then the transport closes once answered', async () => {
    const w = await wire();
    let closed = 0;
    w.transport.onclose = () => void (closed += 1);
    w.input.end(`${INIT}\n{"jsonrpc":"2.0","id":3,"method":"ping"}`);
    await new Promise((done) => w.input.once('end', done));
    await w.settle();
    assert.deepEqual(
      w.forwarded.map((m) => (m as { id?: unknown }).id),
      [0, 3],
      'w.forwarded.map((m) => (m as { id?: unknown }).id)',
    );
    assert.equal(closed, 0, 'open until both are answered');
    await w.transport.send({ jsonrpc: '2.0', id: 0, result: {} } as JSONRPCMessage);
    await w.transport.send({ jsonrpc: '2.0', id: 3, result: {} } as JSONRPCMessage);
    assert.equal(closed, 1, 'closed');
    await w.transport.close();
    assert.equal(closed, 1, 'closed once');
  });

  test('end of input waits for the answers of the requests passed on, and not for cancelled ones', async () => {
    const w = await wire();
    let closed = 0;
    w.transport.onclose = () => void (closed += 1);
    const call = (id: number | string): string =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'list_runs', arguments: {} },
      });
    const cancel = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'b' },
    });
    w.input.end(`${INIT}\n${call(7)}\n${call('b')}\n${call(7)}\n${cancel}`);
    await new Promise((done) => w.input.once('end', done));
    await w.settle();
    assert.equal(w.forwarded.length, 5, 'every message passed on');
    assert.equal(closed, 0, 'open while initialize and two requests with id 7 wait for their answers');
    await w.transport.send({ jsonrpc: '2.0', id: 0, result: {} } as JSONRPCMessage);
    await w.transport.send({ jsonrpc: '2.0', id: 7, result: {} } as JSONRPCMessage);
    assert.equal(closed, 0, 'open while the second request with id 7 waits');
    await w.transport.send({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32603, message: 'x' },
    } as JSONRPCMessage);
    assert.equal(closed, 1, 'closed after the last answer; the cancelled request is not waited for');
    await w.settle();
    assert.deepEqual(
      w.written.map((m) => m['id']),
      [0, 7, 7],
      'every answer was written before the close',
    );
  });
});

describe('peekRequestId', () => {
  test('finds a top-level id before other members, skipping nested ones', () => {
    const cases: [string, string | number | null][] = [
      ['{"jsonrpc":"2.0","id":7,"method":"x"', 7],
      ['{"id":"a\\"b","params":', 'a"b'],
      ['  { "method" : "x", "params": {"id": 1, "s": "}{\\""}, "id": -3 ,', -3],
      ['{"params":{"id":1,"pad":"xxxx', null],
      ['{"jsonrpc":"2.0","id":12', null], // the number may go on
      ['{"id":1.5,', null],
      ['{"id":{"x":1},', null],
      ['[{"id":1}]', null],
      ['', null],
    ];
    for (const [head, id] of cases) assert.equal(peekRequestId(head), id, head);
  });
});
