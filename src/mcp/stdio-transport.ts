/**
 * The stdio transport of `quant mcp`: newline-delimited JSON-RPC, like the SDK's StdioServerTransport,
 * but one that survives its client. A line longer than the limit is discarded as it arrives (memory stays
 * bounded) and answered with an error carrying the request's id when its first bytes name one; every other
 * message passes the request guard (request-guard.ts) before the server sees it. The SDK's own transport
 * closes the connection on an oversized buffer and answers malformed lines with silence.
 *
 * The end of the input does not drop work: the transport closes once every request it passed on has been
 * answered (or cancelled by the client), so `printf '…' | quant mcp` gets every answer before the exit.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  judgeMessage,
  parseErrorResponse,
  tooLargeResponse,
  type RpcErrorResponse,
  type RpcId,
  type SessionState,
} from './request-guard.js';

/** The largest message (one line, in bytes, without its newline) `quant mcp` accepts: 1 MiB. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** How much of an oversized message is kept to find its id. */
const ID_PEEK_BYTES = 4096;

export interface GuardedStdioOptions {
  readonly maxMessageBytes?: number;
  /** Diagnostics (stderr): every refused or dropped message, in one line. */
  readonly log?: (line: string) => void;
}

/**
 * The `id` of a JSON-RPC object from the first bytes of its text, when they hold it as a top-level member
 * (a string or an integer); null otherwise. Used only for messages too large to parse.
 */
export function peekRequestId(head: string): RpcId {
  let i = 0;
  const skipSpace = (): void => {
    while (i < head.length && ' \t\r\n'.includes(head.charAt(i))) i += 1;
  };
  const readString = (): string | undefined => {
    if (head.charAt(i) !== '"') return undefined;
    const start = i;
    for (i += 1; i < head.length; i += 1) {
      const c = head.charAt(i);
      if (c === '\\') i += 1;
      else if (c === '"') {
        i += 1;
        try {
          return JSON.parse(head.slice(start, i)) as string;
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  };
  const skipValue = (): boolean => {
    const c = head.charAt(i);
    if (c === '"') return readString() !== undefined;
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < head.length) {
        const d = head.charAt(i);
        if (d === '"') {
          if (readString() === undefined) return false;
          continue;
        }
        if (d === '{' || d === '[') depth += 1;
        else if (d === '}' || d === ']') depth -= 1;
        i += 1;
        if (depth === 0) return true;
      }
      return false;
    }
    const literal = /^[^,}\]\s]+/.exec(head.slice(i));
    if (literal === null) return false;
    i += literal[0].length;
    return true;
  };
  skipSpace();
  if (head.charAt(i) !== '{') return null;
  i += 1;
  for (;;) {
    skipSpace();
    const key = readString();
    skipSpace();
    if (key === undefined || head.charAt(i) !== ':') return null;
    i += 1;
    skipSpace();
    if (key === 'id') {
      if (head.charAt(i) === '"') return readString() ?? null;
      const n = /^-?\d+(?=[\s,}])/.exec(head.slice(i));
      return n === null || !Number.isSafeInteger(Number(n[0])) ? null : Number(n[0]);
    }
    if (!skipValue()) return null;
    skipSpace();
    if (head.charAt(i) !== ',') return null;
    i += 1;
  }
}

/** Newline-delimited JSON-RPC over a pair of streams, with a size limit and the request guard. */
export class GuardedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly limit: number;
  private readonly log: (line: string) => void;
  private readonly state: SessionState = { initialized: false };
  private parts: Buffer[] = [];
  private size = 0;
  /** Inside an oversized line: its bytes are discarded up to the next newline. */
  private discarding = false;
  private closed = false;
  /** The input has ended: close as soon as no request is waiting for its answer. */
  private ending = false;
  /** Requests passed on to the server and not yet answered, by id (a count: a client may repeat an id). */
  private readonly unanswered = new Map<string, number>();

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    options: GuardedStdioOptions = {},
  ) {
    this.limit = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.log = options.log ?? (() => undefined);
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let from = 0;
    for (;;) {
      const newline = bytes.indexOf(0x0a, from);
      this.take(bytes.subarray(from, newline === -1 ? bytes.length : newline));
      if (newline === -1) return;
      this.endLine();
      from = newline + 1;
    }
  };

  private readonly onEnd = (): void => {
    if (this.ending || this.closed) return;
    if (this.size > 0) this.endLine(); // a last message without its newline
    this.ending = true;
    this.closeWhenAnswered();
  };

  private closeWhenAnswered(): void {
    if (this.ending && this.unanswered.size === 0) void this.close();
  }

  private count(id: unknown, by: 1 | -1): void {
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const key = `${typeof id}:${String(id)}`;
    const n = (this.unanswered.get(key) ?? 0) + by;
    if (n > 0) this.unanswered.set(key, n);
    else this.unanswered.delete(key);
  }

  private readonly onStreamError = (error: Error): void => {
    if (this.closed) return;
    this.onerror?.(error);
    void this.close();
  };

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('close', this.onEnd);
    this.input.on('error', this.onStreamError);
    this.output.on('error', this.onStreamError);
  }

  private take(piece: Buffer): void {
    if (piece.length === 0 || this.discarding) return;
    if (this.size + piece.length <= this.limit) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    const head = Buffer.concat([...this.parts, piece.subarray(0, ID_PEEK_BYTES)]).subarray(0, ID_PEEK_BYTES);
    this.parts = [];
    this.size = 0;
    this.discarding = true;
    this.refuse(tooLargeResponse(peekRequestId(head.toString('utf8')), this.limit));
  }

  private endLine(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const line = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.size = 0;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.refuse(parseErrorResponse((error as Error).message));
      return;
    }
    const verdict = judgeMessage(value, this.state);
    if (verdict.action === 'forward') {
      const message = verdict.message as { id?: unknown; method?: unknown; params?: { requestId?: unknown } };
      if (typeof message.method === 'string' && 'id' in message) this.count(message.id, 1);
      // A cancelled request gets no answer (the MCP specification), so the end of input must not wait for it.
      else if (message.method === 'notifications/cancelled') this.count(message.params?.requestId, -1);
      this.onmessage?.(verdict.message);
    } else if (verdict.action === 'reply') this.refuse(verdict.response);
    else this.log(`quant mcp: dropped a message: ${verdict.reason}`);
  }

  private refuse(response: RpcErrorResponse): void {
    this.log(`quant mcp: refused a message: ${response.error.message}`);
    this.write(response).catch((error: unknown) => this.onerror?.(error as Error));
  }

  private write(message: unknown): Promise<void> {
    return new Promise((done) => {
      if (this.closed || this.output.destroyed) {
        done();
        return;
      }
      if (this.output.write(`${JSON.stringify(message)}\n`)) done();
      else {
        const settle = (): void => {
          this.output.off('drain', settle);
          this.output.off('close', settle);
          done();
        };
        this.output.on('drain', settle);
        this.output.on('close', settle);
      }
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await this.write(message);
    if (!('method' in message) && 'id' in message) {
      this.count(message.id, -1);
      this.closeWhenAnswered();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    this.input.off('error', this.onStreamError);
    // The output keeps its error listener: a write in flight may still fail (EPIPE) after the close.
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.parts = [];
    this.unanswered.clear();
    this.onclose?.();
  }
}
