/**
 * The door of `quant mcp`: every message a client sends is judged here before the MCP SDK sees it.
 * Malformed JSON is answered with -32700, a message that is not JSON-RPC 2.0 with -32600, a request before
 * `initialize` with -32600, a known request whose params do not fit the protocol with -32602 — each with
 * a one-line `E_USAGE` message and the error as data, never a dump of schema issues. Responses and
 * notifications are never answered (JSON-RPC forbids it); a bad one is dropped and logged.
 */
import { RESERVED_NAME } from '../util/own.js';
import {
  CallToolRequestSchema,
  InitializeRequestSchema,
  JSONRPCErrorResponseSchema,
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
  JSONRPCResultResponseSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
  ReadResourceRequestSchema,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { zodIssues } from '../core/params.js';
import { QuantError, formatIssues, type Issue } from '../errors.js';

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

export type RpcId = string | number | null;

/** A JSON-RPC error response as written on the wire (`id` null when the request's id is unknown). */
export interface RpcErrorResponse {
  readonly jsonrpc: '2.0';
  readonly id: RpcId;
  readonly error: { readonly code: number; readonly message: string; readonly data: unknown };
}

export type Verdict =
  | { readonly action: 'forward'; readonly message: JSONRPCMessage }
  | { readonly action: 'reply'; readonly response: RpcErrorResponse }
  | { readonly action: 'drop'; readonly reason: string };

/** What the guard remembers of one connection. */
export interface SessionState {
  initialized: boolean;
}

// Requests served by the server, with the protocol's schema of each: their params are checked here so
// that a mistake is one coded line instead of the SDK's schema dump.
const REQUEST_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['initialize', InitializeRequestSchema],
  ['ping', PingRequestSchema],
  ['tools/list', ListToolsRequestSchema],
  ['tools/call', CallToolRequestSchema],
  ['resources/list', ListResourcesRequestSchema],
  ['resources/templates/list', ListResourceTemplatesRequestSchema],
  ['resources/read', ReadResourceRequestSchema],
]);

const ALLOWED_BEFORE_INITIALIZE = new Set(['initialize', 'ping']);
const ENVELOPE_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

/** A coded JSON-RPC error response: the message is the CLI's one line, the data the error as JSON. */
function errorResponse(id: RpcId, code: number, error: QuantError): RpcErrorResponse {
  return { jsonrpc: '2.0', id, error: { code, message: error.oneLine(), data: error.toJSON() } };
}

function usage(message: string, hint: string, issues: readonly Issue[] = []): QuantError {
  return new QuantError('E_USAGE', message, { hint, issues });
}

function reply(id: RpcId, code: number, error: QuantError): Verdict {
  return { action: 'reply', response: errorResponse(id, code, error) };
}

function schemaIssues(error: z.ZodError): Issue[] {
  return zodIssues(error).map((i) => ({ path: i.path, message: i.message.replace(/^Invalid input: /, '') }));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

const PROTOCOL_HINT =
  'send one JSON-RPC 2.0 object per line: {"jsonrpc":"2.0","id":1,"method":"...","params":{...}}';

/** A client's response to a server request: passed on when well formed, else dropped (never answered). */
function judgeResponse(value: Record<string, unknown>): Verdict {
  const schema = 'error' in value ? JSONRPCErrorResponseSchema : JSONRPCResultResponseSchema;
  const parsed = schema.safeParse(value);
  if (parsed.success) return { action: 'forward', message: parsed.data as JSONRPCMessage };
  return { action: 'drop', reason: `malformed response: ${formatIssues(schemaIssues(parsed.error))}` };
}

/** The envelope of a request or notification; a verdict when it is malformed. */
function judgeEnvelope(value: Record<string, unknown>, id: RpcId): Verdict | undefined {
  const refuse = (message: string): Verdict => reply(id, INVALID_REQUEST, usage(message, PROTOCOL_HINT));
  if (value['jsonrpc'] !== '2.0') return refuse('invalid JSON-RPC message: "jsonrpc" must be "2.0"');
  if (typeof value['method'] !== 'string' || value['method'] === '')
    return refuse('invalid JSON-RPC message: "method" must be a non-empty string');
  if ('id' in value && id === null)
    return refuse('invalid JSON-RPC message: "id" must be a string or an integer');
  const unknown = Object.keys(value).filter((k) => !ENVELOPE_KEYS.has(k));
  if (unknown.length > 0)
    return refuse(`invalid JSON-RPC message: unknown member(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  if ('params' in value && !isPlainObject(value['params'])) {
    return reply(
      id,
      INVALID_PARAMS,
      usage(
        `invalid ${value['method']} request: "params" must be an object, not ${kindOf(value['params'])}`,
        PROTOCOL_HINT,
      ),
    );
  }
  return undefined;
}

function judgeNotification(value: Record<string, unknown>, state: SessionState): Verdict {
  const method = String(value['method']);
  if (!state.initialized && method !== 'notifications/initialized')
    return { action: 'drop', reason: `notification ${method} before initialize` };
  const parsed = JSONRPCNotificationSchema.safeParse(value);
  if (!parsed.success)
    return {
      action: 'drop',
      reason: `malformed notification ${method}: ${formatIssues(schemaIssues(parsed.error))}`,
    };
  return { action: 'forward', message: parsed.data as JSONRPCMessage };
}

function judgeRequest(value: Record<string, unknown>, id: RpcId, state: SessionState): Verdict {
  const method = String(value['method']);
  if (!state.initialized && !ALLOWED_BEFORE_INITIALIZE.has(method)) {
    return reply(
      id,
      INVALID_REQUEST,
      usage(
        `request ${method} before initialize: the session is not initialized`,
        'send initialize first (the MCP lifecycle); only ping is answered before it',
      ),
    );
  }
  const schema = REQUEST_SCHEMAS.get(method);
  const parsed = (schema ?? JSONRPCRequestSchema).safeParse(value);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    return reply(
      id,
      INVALID_PARAMS,
      usage(
        `invalid ${method} request: ${formatIssues(issues)}`,
        `see the MCP specification of ${method}`,
        issues,
      ),
    );
  }
  const reserved = reservedKeyPath(value['params'], 'params');
  if (reserved !== undefined) {
    // JSON.parse keeps "__proto__" as an own member; the SDK's schemas would drop it silently (or a
    // copy would set a prototype), so a stage would run without the param the client sent.
    return reply(
      id,
      INVALID_PARAMS,
      new QuantError(
        'E_PARAMS',
        `invalid ${method} request: ${reserved}: "${RESERVED_NAME}" cannot be a key`,
        {
          hint: 'rename the key (JavaScript reserves __proto__: it would replace an object’s prototype)',
        },
      ),
    );
  }
  if (method === 'initialize') state.initialized = true;
  return { action: 'forward', message: value as JSONRPCMessage };
}

/**
 * The JSON path of an own `__proto__` member inside `value`, if any. Iterative: a message of deeply
 * nested arrays must not exhaust the stack.
 */
function reservedKeyPath(value: unknown, path: string): string | undefined {
  const stack: [unknown, string][] = [[value, path]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, at] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      node.forEach((item: unknown, i) => stack.push([item, `${at}[${i}]`]));
      continue;
    }
    for (const key of Object.keys(node)) {
      if (key === RESERVED_NAME) return `${at}.${key}`;
      stack.push([(node as Record<string, unknown>)[key], `${at}.${key}`]);
    }
  }
  return undefined;
}

/**
 * Judge one parsed message of a connection: forward it to the server, answer it with an error, or drop
 * it. `state` is updated when `initialize` passes.
 */
export function judgeMessage(value: unknown, state: SessionState): Verdict {
  if (Array.isArray(value)) {
    return reply(
      null,
      INVALID_REQUEST,
      usage('invalid JSON-RPC message: batches (JSON arrays) are not supported', PROTOCOL_HINT),
    );
  }
  if (!isPlainObject(value)) {
    return reply(
      null,
      INVALID_REQUEST,
      usage(`invalid JSON-RPC message: a message is a JSON object, not ${kindOf(value)}`, PROTOCOL_HINT),
    );
  }
  if (!('method' in value) && ('result' in value || 'error' in value)) return judgeResponse(value);
  const raw = value['id'];
  const id: RpcId = typeof raw === 'string' || Number.isSafeInteger(raw) ? (raw as string | number) : null;
  const envelope = judgeEnvelope(value, id);
  if (envelope !== undefined) return envelope;
  return 'id' in value ? judgeRequest(value, id, state) : judgeNotification(value, state);
}

/** The answer to a line that is not JSON (-32700; its id cannot be known). */
export function parseErrorResponse(reason: string): RpcErrorResponse {
  return errorResponse(
    null,
    PARSE_ERROR,
    usage(`parse error: the message is not valid JSON (${reason})`, PROTOCOL_HINT),
  );
}

/** The answer to a message longer than the limit; `id` as far as it could be read from its first bytes. */
export function tooLargeResponse(id: RpcId, limit: number): RpcErrorResponse {
  return errorResponse(
    id,
    INVALID_REQUEST,
    new QuantError(
      'E_USAGE',
      `request too large: a message may be at most ${limit} bytes; it was discarded`,
      {
        hint: 'send less data per request (one JSON-RPC message per line, each within the limit)',
        details: { limit_bytes: limit },
      },
    ),
  );
}
