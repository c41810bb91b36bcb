/**
 * `quant mcp`: a Model Context Protocol server over one workspace. Tools run stages and pipelines
 * through the SDK; resources are the artifacts of the runs (`quant://runs/...`) and the stage catalog.
 *
 * Built on the SDK's low-level `Server` rather than `McpServer`: `McpServer` validates tool arguments
 * itself and answers a bad one with an uncoded "Input validation error", whereas every error here must
 * carry the CLI's code and message. The JSON Schemas in `tools/list` are derived from the same zod
 * schemas that validate the arguments (tool-schemas.ts).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { resolve } from 'node:path';
import { parseQuantAddress } from '../core/address.js';
import { renderStageCatalogMarkdown } from '../core/catalog-doc.js';
import type { Registry } from '../core/registry.js';
import { QuantError, internalErrorHint, isQuantError } from '../errors.js';
import { QuantSDK } from '../sdk/quant-sdk.js';
import { TOOL_VERSION } from '../sdk/version.js';
import { runConfined } from '../sdk/workspace-runs.js';
import { artifactResourceContents } from './artifact-render.js';
import { MCP_TOOLS, type Tool, type ToolContext, type ToolResult } from './tools.js';
import type { Env } from '../util/env.js';

const STAGES_DOC_URI = 'quant://docs/stages.md';

export interface QuantMcpServerOptions {
  /** The workspace served; every path read or written must resolve inside it. */
  readonly workspace: string;
  readonly registry?: Registry;
  /** Manifest path (default `<workspace>/manifest.json`); the caller confines it. */
  readonly manifest?: string;
  readonly env?: Env;
  /** Diagnostics (stderr in `quant mcp`); never the protocol stream. */
  readonly log?: (line: string) => void;
  /** Log stack traces of internal errors. */
  readonly verbose?: boolean;
}

const INSTRUCTIONS = [
  'metafolio builds multi-sleeve meta-portfolios. Call list_stages and describe_stage to see what can run,',
  'run_stage / run_meta_pipeline to run it (paths are relative to the workspace), and read the artifacts',
  'through the quant://runs/<run_id>/<path> addresses the runs return. Errors start with a stable code (E_...).',
].join(' ');

function internalMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `E_INTERNAL: ${message} — ${internalErrorHint(error)}`;
}

function toolSuccess(result: ToolResult): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(result.data, null, 2) }],
    structuredContent: { ...result.data },
  };
}

/** Resource-not-found for missing things, invalid params for the rest: the message is the CLI's line. */
function toMcpError(error: unknown): McpError {
  if (isQuantError(error)) {
    const notFound = error.code === 'E_ARTIFACT_MISSING' || error.code === 'E_RUN_NOT_FOUND';
    return new McpError(notFound ? -32002 : ErrorCode.InvalidParams, error.oneLine(), error.toJSON());
  }
  return new McpError(ErrorCode.InternalError, internalMessage(error), { code: 'E_INTERNAL' });
}

/** A tool's failure as an `isError` result: a coded error as its one line, anything else as E_INTERNAL (logged). */
function toolFailure(
  error: unknown,
  what: string,
  log: (line: string) => void,
  verbose: boolean,
): CallToolResult {
  if (isQuantError(error)) {
    return {
      content: [{ type: 'text', text: error.oneLine() }],
      structuredContent: { error: error.toJSON() },
      isError: true,
    };
  }
  log(`quant mcp: ${what}: ${internalMessage(error)}`);
  if (verbose && error instanceof Error && error.stack !== undefined) log(error.stack);
  return {
    content: [{ type: 'text', text: internalMessage(error) }],
    structuredContent: { error: { code: 'E_INTERNAL' } },
    isError: true,
  };
}

/** The stage catalog document and every artifact of every run of the workspace. */
async function listResources(workspace: string): Promise<Resource[]> {
  const artifacts = await QuantSDK.listArtifacts({ workspace, confine: true });
  return [
    {
      uri: STAGES_DOC_URI,
      name: 'stages.md',
      title: 'Stage catalog',
      description:
        'every stage: id, summary, aliases, output and the JSON Schema of its params (docs/stages.md)',
      mimeType: 'text/markdown',
    },
    ...artifacts.map((a) => ({
      uri: a.address,
      name: `${a.runId}/${a.path}`,
      mimeType: a.mimeType,
      size: a.bytes,
      ...(a.path.endsWith('.parquet')
        ? { description: 'Parquet table, read as its shape and first rows' }
        : {}),
    })),
  ];
}

const RESOURCE_TEMPLATES = [
  {
    uriTemplate: 'quant://runs/{run_id}/{+path}',
    name: 'run-artifact',
    title: 'Artifact of a run',
    description:
      'a file of runs/<run_id>/ (JSON as is, Parquet as shape + head, text as text, a folder as its file list)',
  },
  {
    uriTemplate: 'quant://runs/{run_id}',
    name: 'run',
    title: 'Files of a run',
    description: 'the files of runs/<run_id>/ with their addresses',
    mimeType: 'application/json',
  },
];

/** The contents behind a `quant://` address: the stage catalog, or an artifact of a run (confined). */
async function readResource(uri: string, workspace: string, registry: Registry): Promise<ReadResourceResult> {
  const address = parseQuantAddress(uri);
  if (address.kind === 'doc') {
    if (address.name !== 'stages.md') {
      throw new QuantError('E_ARTIFACT_MISSING', `no document ${uri}`, {
        hint: `documents: ${STAGES_DOC_URI}`,
      });
    }
    return { contents: [{ uri, mimeType: 'text/markdown', text: renderStageCatalogMarkdown(registry) }] };
  }
  if (address.kind === 'stage') {
    throw new QuantError('E_ADDRESS', `${uri} names a stage, not a resource`, {
      hint: 'run it with the run_stage tool; resources are quant://runs/<run_id>/<path>',
      details: { address: uri },
    });
  }
  const view = await QuantSDK.readArtifact(address.runId, address.path, { workspace, confine: true });
  return { contents: [artifactResourceContents(uri, view)] };
}

/**
 * Create the server (not yet connected). Tool errors come back as `isError` results whose text is the
 * CLI's one-line `E_CODE: message — hint`; resource errors as JSON-RPC errors with the same text and
 * the error as data. Nothing is ever written to stdout but by the transport.
 */
export function createQuantMcpServer(options: QuantMcpServerOptions): Server {
  const workspace = resolve(options.workspace);
  const sdk = new QuantSDK(options.registry === undefined ? {} : { registry: options.registry });
  const registry = sdk.registry;
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const tools = new Map<string, Tool>(MCP_TOOLS.map((t) => [t.name, t]));
  const server = new Server(
    { name: 'metafolio', title: 'metafolio (quant)', version: TOOL_VERSION },
    { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS },
  );

  // Unparsable input lines and transport failures: reported on stderr, the server keeps serving.
  server.onerror = (error) => log(`quant mcp: ${error.message}`);

  const fail = (error: unknown, what: string): CallToolResult =>
    toolFailure(error, what, log, options.verbose === true);

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: MCP_TOOLS.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: t.jsonSchema(registry) as { type: 'object' },
      annotations: { title: t.title, ...t.annotations },
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const tool = tools.get(name);
    if (tool === undefined) {
      return fail(
        new QuantError('E_USAGE', `unknown tool "${name}"`, {
          hint: `tools: ${[...tools.keys()].join(', ')}`,
        }),
        name,
      );
    }
    const token = request.params._meta?.progressToken;
    let step = 0;
    const ctx: ToolContext = {
      workspace,
      manifest: options.manifest,
      env,
      registry,
      sdk,
      progress(message) {
        if (token === undefined) return;
        step += 1;
        extra
          .sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: step, message },
          })
          .catch((error: unknown) => log(`quant mcp: progress notification failed: ${String(error)}`));
      },
    };
    try {
      // Every file the tool reads or writes, by whatever route, must lie inside the workspace.
      return toolSuccess(await runConfined(workspace, () => tool.call(request.params.arguments ?? {}, ctx)));
    } catch (error) {
      return fail(error, `tool ${name}`);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    try {
      return { resources: await listResources(workspace) };
    } catch (error) {
      throw toMcpError(error);
    }
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: RESOURCE_TEMPLATES,
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request): Promise<ReadResourceResult> => {
    const uri = request.params.uri;
    try {
      return await readResource(uri, workspace, registry);
    } catch (error) {
      if (!isQuantError(error)) log(`quant mcp: read ${uri}: ${internalMessage(error)}`);
      throw toMcpError(error);
    }
  });

  return server;
}
