import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { QuantError } from '../errors.js';
import type { Registry } from '../core/registry.js';
import type { GlobalOptions } from './global-options.js';
import type { Io } from './output.js';
import type { RunOptions } from '../sdk/quant-sdk.js';
import type { Env } from '../util/env.js';

/** What every command gets: global options, streams, and the registry (built on first use). */
export interface CliContext {
  readonly globals: GlobalOptions;
  readonly io: Io;
  readonly cwd: string;
  readonly env: Env;
  readonly workspace: string;
  registry(): Promise<Registry>;
  /** A warning on stderr, once per message: `warning: ...`, or `{"warning":"..."}` with `--json`. */
  warn(message: string): void;
  /** SDK run options of this invocation: workspace, folder, environment, manifest, run id, progress, warnings. */
  runOptions(runId?: string): RunOptions;
}

/** The `<stage id>: ` that run sessions put before a stage's warnings (`meta.returns: ...`). */
const STAGE_PREFIX = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+: /;

export function createCliContext(globals: GlobalOptions, io: Io, cwd: string, env: Env): CliContext {
  let registry: Promise<Registry> | undefined;
  // Several stages of one command may meet the same problem (each reads the manifest, and the SDK read
  // it before them): say it once. Stage warnings come as `<stage id>: <message>`; the message decides.
  const warned = new Set<string>();
  const warn = (message: string): void => {
    const key = message.replace(STAGE_PREFIX, '');
    if (warned.has(key)) return;
    warned.add(key);
    io.err(globals.json ? JSON.stringify({ warning: message }) : `warning: ${message}`);
  };
  return {
    globals,
    io,
    cwd,
    env,
    workspace: resolve(cwd, globals.workspace ?? env['QUANT_WORKSPACE'] ?? '.'),
    // Loaded on first use: commands that need no stage (and `--help`) do not load the catalog.
    registry: () =>
      (registry ??= import('../sdk/load-stages.js').then((m) => m.loadRegistry(globals.stages, cwd, env))),
    warn,
    runOptions(runId) {
      return {
        workspace: this.workspace,
        cwd,
        env,
        ...(runId === undefined ? {} : { runId }),
        ...(globals.manifest === undefined ? {} : { manifest: globals.manifest }),
        ...(io.interactive ? { onProgress: (m: string) => io.err(m) } : {}),
        onWarning: warn,
      };
    },
  };
}

/**
 * Commands that only read or serve a workspace refuse one that is not a folder: a mistyped --workspace
 * must not read as an empty workspace.
 */
export async function assertWorkspaceFolder(ctx: CliContext): Promise<void> {
  const info = await stat(ctx.workspace).catch(() => undefined);
  if (info?.isDirectory() === true) return;
  throw new QuantError('E_INPUT_NOT_FOUND', `workspace ${ctx.workspace} is not an existing folder`, {
    hint: 'create it, or pass --workspace <dir>',
    location: { file: ctx.workspace },
  });
}
