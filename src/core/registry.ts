import { QuantError } from '../errors.js';
import { z } from 'zod';
import { closestMatches } from '../util/suggest.js';
import { checkArgument } from './arguments.js';
import { assertArray, assertPipelineDefinition, assertStageDefinition } from './definition-checks.js';
import type { PipelineDefinition, Stage, StageCategory } from './stage.js';

export interface StageFilter {
  readonly category?: StageCategory | string;
  readonly tag?: string;
}

/** An immutable registry of stages and pipelines, built from explicit lists. */
export interface Registry {
  /** Every stage, in catalog order. */
  readonly stages: readonly Stage[];
  readonly pipelines: readonly PipelineDefinition[];
  /** Stages in catalog order, optionally filtered by category and tag. */
  listStages(filter?: StageFilter): Stage[];
  /**
   * Resolve an id or alias; an unknown id throws `E_UNKNOWN_STAGE` with suggestions. The methods check their
   * arguments: a non-string id or name, a filter with an unknown key is `E_PARAMS`.
   */
  getStage(idOrAlias: string): Stage;
  hasStage(idOrAlias: string): boolean;
  getPipeline(name: string): PipelineDefinition;
}

const filterSchema = z
  .strictObject({ category: z.string().optional(), tag: z.string().optional() })
  .optional();
const nameSchema = z.string();

/**
 * Build a registry. A duplicate id or alias is an error naming both definitions; a pipeline naming an
 * unknown stage is an error. The result is frozen: registries are values, never mutated.
 */
export function createRegistry(
  stages: readonly Stage[],
  pipelines: readonly PipelineDefinition[] = [],
): Registry {
  assertArray(stages, 'stages');
  stages.forEach((stage, i) => assertStageDefinition(stage, `stages[${i}]`));
  assertArray(pipelines, 'pipelines');
  pipelines.forEach((pipeline, i) => assertPipelineDefinition(pipeline, `pipelines[${i}]`));
  const byKey = new Map<string, { stage: Stage; as: 'id' | 'alias' }>();
  for (const stage of stages) {
    const keys: [string, 'id' | 'alias'][] = [
      [stage.id, 'id'],
      ...stage.aliases.map((a): [string, 'alias'] => [a, 'alias']),
    ];
    for (const [key, as] of keys) {
      const existing = byKey.get(key);
      if (existing !== undefined) {
        throw new QuantError(
          'E_DUPLICATE_STAGE',
          `"${key}" is defined twice: as the ${existing.as} of stage ${existing.stage.id} ("${existing.stage.name}") and as the ${as} of stage ${stage.id} ("${stage.name}")`,
          {
            hint: 'give each stage a unique id and unique aliases',
            details: { key, first: existing.stage.id, second: stage.id },
          },
        );
      }
      byKey.set(key, { stage, as });
    }
  }
  const pipelineByName = new Map<string, PipelineDefinition>();
  for (const pipeline of pipelines) {
    if (pipelineByName.has(pipeline.name)) {
      throw new QuantError('E_DUPLICATE_STAGE', `pipeline "${pipeline.name}" is defined twice`);
    }
    for (const id of pipeline.stages) {
      if (!byKey.has(id)) {
        throw new QuantError('E_UNKNOWN_STAGE', `pipeline "${pipeline.name}" names unknown stage "${id}"`);
      }
    }
    pipelineByName.set(pipeline.name, pipeline);
  }
  const frozenStages = Object.freeze([...stages]);
  const frozenPipelines = Object.freeze([...pipelines]);

  const registry: Registry = {
    stages: frozenStages,
    pipelines: frozenPipelines,
    listStages(filter = {}) {
      checkArgument(filterSchema, filter, { method: 'registry.listStages', argument: 'filter' });
      return frozenStages.filter(
        (s) =>
          (filter.category === undefined || s.category === filter.category) &&
          (filter.tag === undefined || s.tags.includes(filter.tag)),
      );
    },
    getStage(idOrAlias) {
      checkArgument(nameSchema, idOrAlias, { method: 'registry.getStage', argument: 'id' });
      const hit = byKey.get(idOrAlias);
      if (hit !== undefined) return hit.stage;
      const suggestions = closestMatches(idOrAlias, [...byKey.keys()]);
      throw new QuantError('E_UNKNOWN_STAGE', `unknown stage "${idOrAlias}"`, {
        hint:
          suggestions.length > 0
            ? `did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}? (quant stage list shows all)`
            : 'run `quant stage list` to see the available stages',
        details: { suggestions },
      });
    },
    hasStage(idOrAlias) {
      return byKey.has(idOrAlias);
    },
    getPipeline(name) {
      checkArgument(nameSchema, name, { method: 'registry.getPipeline', argument: 'name' });
      const hit = pipelineByName.get(name);
      if (hit !== undefined) return hit;
      const suggestions = closestMatches(name, [...pipelineByName.keys()]);
      throw new QuantError('E_UNKNOWN_PIPELINE', `unknown pipeline "${name}"`, {
        hint:
          suggestions.length > 0
            ? `did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?`
            : `known pipelines: ${[...pipelineByName.keys()].join(', ') || '(none)'}`,
        details: { suggestions },
      });
    },
  };
  return Object.freeze(registry);
}
