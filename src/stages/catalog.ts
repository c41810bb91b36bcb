import { createRegistry } from '../core/registry.js';
import { definePipeline, type PipelineDefinition, type Stage, type StageValue } from '../core/stage.js';
import { portfolioOptimize } from './portfolio/optimize.js';
import { metaSignTest } from './meta/sign-test.js';
import { metaReturns } from './meta/returns.js';
import { metaOptimize } from './meta/optimize.js';
import { metaFlatten } from './meta/flatten.js';
import { metaAttribution } from './meta/attribution.js';
import { metaReport } from './meta/report.js';
import { metaBacktest } from './meta/backtest.js';
import { metaTrades } from './meta/trades.js';
import { metaBenchmark } from './meta/benchmark.js';
import { sleeveBacktest } from './sleeve/backtest.js';

/**
 * The built-in stages, in catalog order. This array literal is the whole catalog: nothing registers
 * itself on import, so a fresh process that imports this module sees every built-in stage.
 */
export const builtinStages: readonly Stage[] = Object.freeze([
  metaReturns,
  metaOptimize,
  metaFlatten,
  metaAttribution,
  metaReport,
  metaSignTest,
  metaBacktest,
  metaTrades,
  metaBenchmark,
  sleeveBacktest,
  portfolioOptimize,
] as Stage[]);

/**
 * The value each built-in stage returns, by stage id: `QuantSDK.runStage('portfolio.optimize', ...)`
 * resolves to a flat result whose `weights` is typed. Keep it in step with `builtinStages` (a test
 * checks that the ids are the same).
 */
export interface BuiltinStageValues {
  'meta.returns': StageValue<typeof metaReturns>;
  'meta.optimize': StageValue<typeof metaOptimize>;
  'meta.flatten': StageValue<typeof metaFlatten>;
  'meta.attribution': StageValue<typeof metaAttribution>;
  'meta.report': StageValue<typeof metaReport>;
  'meta.sign_test': StageValue<typeof metaSignTest>;
  'meta.backtest': StageValue<typeof metaBacktest>;
  'meta.trades': StageValue<typeof metaTrades>;
  'meta.benchmark': StageValue<typeof metaBenchmark>;
  'sleeve.backtest': StageValue<typeof sleeveBacktest>;
  'portfolio.optimize': StageValue<typeof portfolioOptimize>;
}

/** The id of a built-in stage. */
export type BuiltinStageId = keyof BuiltinStageValues;

/** Built-in pipelines: ordered lists of stage ids. */
export const builtinPipelines: readonly PipelineDefinition[] = Object.freeze([
  definePipeline({
    name: 'meta',
    description: 'the meta pipeline of `quant meta run`, for every risk profile',
    stages: [
      'meta.returns',
      'meta.optimize',
      'meta.backtest',
      'meta.benchmark',
      'meta.flatten',
      'meta.attribution',
      'meta.report',
    ],
  }),
  definePipeline({
    name: 'meta.gated',
    description:
      'the meta pipeline behind the directional sign-test gate (features.directional_sign_test_gate)',
    stages: [
      'meta.sign_test',
      'meta.returns',
      'meta.optimize',
      'meta.backtest',
      'meta.benchmark',
      'meta.flatten',
      'meta.attribution',
      'meta.report',
    ],
  }),
  definePipeline({
    name: 'meta.no_backtest',
    description: '`meta` without the out-of-sample backtest (`quant meta run --no-backtest`)',
    stages: [
      'meta.returns',
      'meta.optimize',
      'meta.benchmark',
      'meta.flatten',
      'meta.attribution',
      'meta.report',
    ],
  }),
  definePipeline({
    name: 'meta.gated.no_backtest',
    description: '`meta.gated` without the out-of-sample backtest (`quant meta run --no-backtest`)',
    stages: [
      'meta.sign_test',
      'meta.returns',
      'meta.optimize',
      'meta.benchmark',
      'meta.flatten',
      'meta.attribution',
      'meta.report',
    ],
  }),
]);

/** The registry of the built-in catalog. */
export const StageRegistry = createRegistry(builtinStages, builtinPipelines);
