import { createRegistry } from '../core/registry.js';
import type { PipelineDefinition, Stage } from '../core/stage.js';
import { portfolioOptimize } from './portfolio/optimize.js';

/**
 * The built-in stages, in catalog order. This array literal is the whole catalog: nothing registers
 * itself on import, so a fresh process that imports this module sees every built-in stage.
 */
export const builtinStages: readonly Stage[] = Object.freeze([portfolioOptimize]);

/** Built-in pipelines: ordered lists of stage ids. */
export const builtinPipelines: readonly PipelineDefinition[] = Object.freeze([]);

/** The registry of the built-in catalog. */
export const StageRegistry = createRegistry(builtinStages, builtinPipelines);
