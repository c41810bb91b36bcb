/**
 * What the layers above stages (the SDK, the public entries) use of it: the catalog, the meta run's
 * tree resolution and input checks, the meta params, and the names of the meta artifacts. The
 * `_`-prefixed files stay private to stages/.
 */
export { StageRegistry, builtinStages, builtinPipelines } from './catalog.js';
export type { BuiltinStageId, BuiltinStageValues } from './catalog.js';
export { validateMetaRun, type ValidationVerdict } from './meta/validate-run.js';
export { checkSleeveInputs, computeMetaResolution } from './meta/_resolve.js';
export { assertTreeLimitsFeasible } from './meta/_level-limits.js';
export {
  checkBenchmarkInputs,
  checkProfileBenchmarkFiles,
  type InputFileRecord,
} from './meta/_benchmark-input.js';
export { checkTradesInputs, type TradesStageParams } from './meta/_trades-manifest.js';
export type { MetaTradesValue } from './meta/trades.js';
export { checkTurnoverHoldings, turnoverInputs } from './meta/_turnover-reference.js';
export { loadSleeveInput } from './sleeve/_sleeve-input.js';
export { metaStageParams } from './meta/_params.js';
export {
  REPORT_HTML,
  REPORT_MD,
  RESOLVED_MANIFEST,
  type ResolvedManifestDoc,
} from './meta/_artifact-types.js';
export {
  optimizeOptionSchemas,
  resolveRiskBudget,
  resolveTurnoverReference,
} from './portfolio/optimize-options.js';
export { readMetaRunData, type MetaTreeNode } from './meta/run-data.js';
