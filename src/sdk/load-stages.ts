import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { QuantError, StageModuleFailure, environmentError, isQuantError } from '../errors.js';
import { importModule } from '../util/import-module.js';
import type { PipelineDefinition, Stage } from '../core/stage.js';
import { createRegistry, type Registry } from '../core/registry.js';
import { builtinPipelines, builtinStages, StageRegistry } from '../stages/index.js';
import type { Env } from '../util/env.js';

function looksLikeStage(value: unknown): value is Stage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const params = v['params'] as { safeParse?: unknown } | undefined;
  return (
    typeof v['id'] === 'string' && typeof v['run'] === 'function' && typeof params?.safeParse === 'function'
  );
}

/** How long a `--stages` module may take to load, in seconds (`QUANT_STAGES_TIMEOUT`, default 30). */
const STAGES_TIMEOUT_VARIABLE = 'QUANT_STAGES_TIMEOUT';
const DEFAULT_STAGES_TIMEOUT_SECONDS = 30;

function stagesTimeoutSeconds(env: Env): number {
  const raw = env[STAGES_TIMEOUT_VARIABLE];
  if (raw === undefined || raw.trim() === '') return DEFAULT_STAGES_TIMEOUT_SECONDS;
  const seconds = /^\s*\d+(?:\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds > 0) || seconds > 86_400) {
    throw new QuantError('E_USAGE', `${STAGES_TIMEOUT_VARIABLE}=${JSON.stringify(raw)} is not a duration`, {
      hint: `write a number of seconds between 0 and 86400, e.g. ${STAGES_TIMEOUT_VARIABLE}=120`,
    });
  }
  return seconds;
}

/**
 * Import a stage module, or fail with `E_STAGE_MODULE` once `seconds` have passed: a module whose top-level
 * await never settles would otherwise leave the command waiting for ever (or exiting with Node's bare
 * "unsettled top-level await").
 */
async function importWithin(url: string, spec: string, seconds: number): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new QuantError(
          'E_STAGE_MODULE',
          `stage module ${spec} did not finish loading within ${seconds} s (a top-level await that never settles?)`,
          {
            location: { file: spec },
            hint: `fix the module's top-level code, or raise ${STAGES_TIMEOUT_VARIABLE}=<seconds> if it is merely slow`,
            details: { timeout_seconds: seconds },
          },
        ),
      );
    }, seconds * 1000);
  });
  try {
    return await Promise.race([importModule(url), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Build the registry for a CLI invocation: the built-in catalog plus the stages exported by each
 * `--stages` module (a default export or a named `stages` export that is an array of stages, and an
 * optional `pipelines` array). Modules are loaded for their exports, never for side effects; one that does
 * not finish loading within `QUANT_STAGES_TIMEOUT` seconds (default 30) is `E_STAGE_MODULE`.
 */
export async function loadRegistry(
  modules: readonly string[],
  cwd: string,
  env: Env = process.env,
): Promise<Registry> {
  if (modules.length === 0) return StageRegistry;
  const seconds = stagesTimeoutSeconds(env);
  const extraStages: Stage[] = [];
  const extraPipelines: PipelineDefinition[] = [];
  for (const spec of modules) {
    const file = resolve(cwd, spec);
    let mod: Record<string, unknown>;
    try {
      mod = await importWithin(pathToFileURL(file).href, spec, seconds);
    } catch (error) {
      if (error instanceof QuantError) throw error;
      throw new QuantError(
        'E_STAGE_MODULE',
        `cannot load stage module ${spec}: ${(error as Error).message}`,
        {
          location: { file: spec },
          cause: error,
        },
      );
    }
    const list = mod['stages'] ?? mod['default'];
    if (!Array.isArray(list)) {
      throw new QuantError('E_STAGE_MODULE', `${spec} does not export an array of stages`, {
        location: { file: spec },
        hint: 'export const stages = [defineStage({...}), ...] (or a default export of that array)',
      });
    }
    list.forEach((s: unknown, i) => {
      if (!looksLikeStage(s)) {
        throw new QuantError(
          'E_STAGE_MODULE',
          `element ${i} of the stages exported by ${spec} is not a stage`,
          {
            location: { file: spec, jsonPath: `stages[${i}]` },
            hint: 'each stage needs an id, a zod params schema and a run function (use defineStage)',
          },
        );
      }
      extraStages.push(withModuleFailures(s, spec));
    });
    const pipelines = mod['pipelines'];
    if (Array.isArray(pipelines)) extraPipelines.push(...(pipelines as PipelineDefinition[]));
  }
  return createRegistry([...builtinStages, ...extraStages], [...builtinPipelines, ...extraPipelines]);
}

/**
 * The stage with its own uncoded failures marked as the module's (a coded error or a failed system call
 * passes as it is), so that the CLI and the MCP server do not call them metafolio's bugs.
 */
function withModuleFailures(stage: Stage, spec: string): Stage {
  return {
    ...stage,
    run: async (params, ctx) => {
      try {
        return await stage.run(params, ctx);
      } catch (error) {
        if (isQuantError(error) || environmentError(error) !== undefined) throw error;
        throw new StageModuleFailure(stage.id, spec, error);
      }
    },
  };
}
