/**
 * metafolio — multi-sleeve, fractal meta-portfolios.
 *
 * Public surface: the SDK, the registry of built-in stages and the means to extend it, stage
 * definition helpers, and the error model.
 */
export { QuantSDK } from './sdk/quant-sdk.js';
export type {
  AuditOptions,
  RunOptions,
  StageRunResult,
  StageRunInfo,
  StageFields,
  ReservedResultKey,
  SafeStageResult,
  PipelineRunResult,
  SafeResult,
} from './sdk/quant-sdk.js';
export type {
  AnchorState,
  AuditProblem,
  OutputsReport,
  RunAuditReport,
  SignatureState,
} from './sdk/run-audit.js';
export { StageRegistry, builtinStages, builtinPipelines } from './stages/catalog.js';
export type { BuiltinStageId, BuiltinStageValues } from './stages/catalog.js';
export { createRegistry } from './core/registry.js';
export type { Registry, StageFilter } from './core/registry.js';
export { defineStage, definePipeline, STAGE_CATEGORIES } from './core/stage.js';
export type {
  StageDefinition,
  Stage,
  StageContext,
  StageOutput,
  StageValue,
  StageCategory,
  PipelineDefinition,
} from './core/stage.js';
export { stageParamsJsonSchema } from './core/params.js';
export { QuantError, ERROR_CODES, isQuantError } from './errors.js';
export type { ErrorCode, Issue, ErrorLocation } from './errors.js';
export { optimizePortfolio } from './sdk/optimize-portfolio.js';
export type { OptimizeOptions, LabelledOptimizeResult } from './sdk/optimize-portfolio.js';
export type {
  ReturnsInput,
  MatrixInput,
  RowsInput,
  LabelledReturns,
  NumberList,
} from './sdk/returns-input.js';
export { PORTFOLIO_METHODS } from './numeric/optimize/optimize-portfolio.js';
export type { OptimizeResult, PortfolioMethod } from './numeric/optimize/optimize-portfolio.js';
export type { LinearConstraintRow, LinearConstraints } from './numeric/optimize/linear-constraints.js';
export { inferFrequency, PERIODS_PER_YEAR } from './numeric/series/periods-per-year.js';
export type { Frequency, FrequencyInference } from './numeric/series/periods-per-year.js';
export { INPUT_KINDS, MISSING_POLICIES } from './util/vocabulary.js';
export type { InputKind, MissingPolicy } from './util/vocabulary.js';
export {
  estimateCovariance,
  expectedReturns,
  riskContributions,
  portfolioStats,
} from './sdk/building-blocks.js';
export type {
  CovarianceEstimate,
  EstimateCovarianceOptions,
  ExpectedReturnsEstimate,
  ExpectedReturnsOptions,
  LabelledCovarianceEstimate,
  LabelledExpectedReturns,
  UnlabelledCovarianceEstimate,
  UnlabelledExpectedReturns,
} from './sdk/building-blocks.js';
export { hrpTree } from './sdk/hrp-tree.js';
export type {
  ClusterNode,
  CovarianceInput,
  HrpTree,
  HrpTreeOptions,
  LabelledCovarianceInput,
  LabelledHrpTree,
  UnlabelledCovarianceInput,
  UnlabelledHrpTree,
} from './sdk/hrp-tree.js';
export type { PerformanceMetrics } from './numeric/stats/performance.js';
// The types of public signatures (QuantSDK.runMeta, listRuns, readRun, readArtifact, executeSleeves,
// OptimizeOptions.constraints, the meta.trades value), importable by name.
export type { WorkspaceOptions } from './sdk/quant-sdk.js';
export type { MetaRunOptions, MetaRunResult } from './sdk/meta-run.js';
export type { RunJson, RunListing } from './sdk/quant-sdk.js';
export type { LinearConstraintInput } from './sdk/optimize-portfolio.js';
export type { ArtifactView } from './sdk/artifact-view.js';
export type { MetaTradesValue, SleeveAge } from './stages/meta/trades.js';
export type { ExecuteSleevesOptions } from './sdk/sleeve-jobs.js';
