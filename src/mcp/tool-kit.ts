/** The shape of an MCP tool and the helpers the tools share: argument validation, run options, addresses. */
import type { z } from 'zod';
import { formatArtifactAddress, formatStageAddress } from '../core/address.js';
import { zodIssues } from '../core/params.js';
import type { Registry } from '../core/registry.js';
import type { Stage } from '../core/stage.js';
import { QuantError, formatIssues } from '../errors.js';
import { confineRunFolder } from '../sdk/workspace-runs.js';
import type { QuantSDK, RunOptions } from '../sdk/quant-sdk.js';
import type { FileRecord } from '../sdk/run-session.js';
import { toolJsonSchema, type JsonSchema } from './tool-schemas.js';
import type { Env } from '../util/env.js';

export interface ToolContext {
  /** Absolute workspace folder; relative paths resolve against it. */
  readonly workspace: string;
  readonly manifest: string | undefined;
  readonly env: Env;
  readonly registry: Registry;
  readonly sdk: QuantSDK;
  /** Forwarded as `notifications/progress` when the client asked for progress. */
  progress(message: string): void;
}

export interface ToolResult {
  readonly summary: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface ToolAnnotations {
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

/** A tool with its argument type erased: `call` validates the arguments with the tool's zod schema. */
export interface Tool {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly annotations: ToolAnnotations;
  jsonSchema(registry: Registry): JsonSchema;
  call(args: unknown, ctx: ToolContext): Promise<ToolResult>;
}

interface ToolDefinition<S extends z.ZodType> extends Omit<Tool, 'call' | 'jsonSchema' | 'annotations'> {
  readonly input: S;
  readonly readOnly: boolean;
  readonly idempotent: boolean;
  readonly jsonSchema?: (registry: Registry) => JsonSchema;
  run(args: z.output<S>, ctx: ToolContext): Promise<ToolResult>;
}

/** Erase a tool's argument type: `call` validates with `input` (`E_USAGE` listing every issue), then runs. */
export function defineTool<S extends z.ZodType>(definition: ToolDefinition<S>): Tool {
  return Object.freeze({
    name: definition.name,
    title: definition.title,
    description: definition.description,
    annotations: {
      readOnlyHint: definition.readOnly,
      destructiveHint: false,
      idempotentHint: definition.idempotent,
      openWorldHint: false,
    },
    jsonSchema: definition.jsonSchema ?? (() => toolJsonSchema(definition.input)),
    async call(args: unknown, ctx: ToolContext) {
      const parsed = definition.input.safeParse(args ?? {});
      if (!parsed.success) {
        const issues = zodIssues(parsed.error);
        throw new QuantError(
          'E_USAGE',
          `invalid arguments for tool ${definition.name}: ${formatIssues(issues)}`,
          {
            hint: 'see the input schema of the tool (tools/list)',
            issues,
          },
        );
      }
      return definition.run(parsed.data, ctx);
    },
  });
}

/** A file record as the client sees it: workspace-relative path, hash, and its address when in a run. */
export function artifactRef(file: FileRecord): Record<string, unknown> {
  const m = /^runs\/([^/]+)\/(.+)$/.exec(file.path);
  return {
    path: file.path,
    address: m === null ? null : formatArtifactAddress(m[1] as string, m[2] as string),
    sha256: file.sha256,
  };
}

/**
 * Refuse (`E_PATH_ESCAPE`) a run folder, or the runs/ folder, that is a symlink out of the workspace,
 * before the SDK opens it. An invalid run id is `E_RUN_ID` first, as on the CLI.
 */
export async function confineRun(ctx: ToolContext, runId: string | undefined): Promise<void> {
  await confineRunFolder(ctx.workspace, runId);
}

/**
 * SDK run options for a tool call: confined to the workspace, which is also the folder relative paths
 * resolve against.
 */
export function runOptions(ctx: ToolContext, runId: string | undefined): RunOptions {
  return {
    workspace: ctx.workspace,
    cwd: ctx.workspace,
    env: ctx.env,
    confine: true,
    onProgress: (message) => ctx.progress(message),
    ...(runId === undefined ? {} : { runId }),
    ...(ctx.manifest === undefined ? {} : { manifest: ctx.manifest }),
  };
}

/** A stage as `list_stages` shows it (the fields of `quant stage list --json`, plus its address). */
export function stageInfo(stage: Stage): Record<string, unknown> {
  return {
    id: stage.id,
    name: stage.name,
    category: stage.category,
    tags: stage.tags,
    aliases: stage.aliases,
    description: stage.description,
    output: stage.output,
    address: formatStageAddress(stage.id),
  };
}
