import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { QuantError } from '../errors.js';
import type { PipelineDefinition, Stage } from '../core/stage.js';
import { createRegistry, type Registry } from '../core/registry.js';
import { builtinPipelines, builtinStages, StageRegistry } from '../stages/catalog.js';

function looksLikeStage(value: unknown): value is Stage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const params = v['params'] as { safeParse?: unknown } | undefined;
  return (
    typeof v['id'] === 'string' && typeof v['run'] === 'function' && typeof params?.safeParse === 'function'
  );
}

/**
 * Build the registry for a CLI invocation: the built-in catalog plus the stages exported by each
 * `--stages` module (a default export or a named `stages` export that is an array of stages, and an
 * optional `pipelines` array). Modules are loaded for their exports, never for side effects.
 */
export async function loadRegistry(modules: readonly string[], cwd: string): Promise<Registry> {
  if (modules.length === 0) return StageRegistry;
  const extraStages: Stage[] = [];
  const extraPipelines: PipelineDefinition[] = [];
  for (const spec of modules) {
    const file = resolve(cwd, spec);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
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
      extraStages.push(s);
    });
    const pipelines = mod['pipelines'];
    if (Array.isArray(pipelines)) extraPipelines.push(...(pipelines as PipelineDefinition[]));
  }
  return createRegistry([...builtinStages, ...extraStages], [...builtinPipelines, ...extraPipelines]);
}
