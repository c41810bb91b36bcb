/**
 * The registry entry point: importing this module alone lists every built-in stage, in a fresh process,
 * with no other import needed first.
 */
export { StageRegistry, builtinStages, builtinPipelines } from './stages/catalog.js';
export { createRegistry } from './core/registry.js';
export type { Registry, StageFilter } from './core/registry.js';
