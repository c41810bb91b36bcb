/**
 * Artifacts: the only code that does file I/O for runs and data. Atomic writes, canonical JSON, hashes, run
 * ids and folders, run locks, the audit ledger, CSV/Parquet tables. Imports nothing internal but errors.ts.
 */
export {
  formatJson,
  writeFileAtomic,
  writeFileAtomicExclusive,
  writeFileAtomicSync,
  writeJsonAtomic,
} from './atomic-write.js';
export { canonicalJson, toJsonValue, type JsonObject, type JsonValue } from './canonical-json.js';
export { sha256File, sha256Hex } from './hash.js';
export { fsFailure } from './fs-failure.js';
export {
  decodeInputText,
  DEFAULT_MAX_INPUT_BYTES,
  formatSize,
  maxInputBytes,
  MAX_INPUT_BYTES_VARIABLE,
  readInputBytes,
  readInputText,
} from './input-file.js';
export {
  assertValidRunId,
  defaultRunId,
  formatRunTimestamp,
  isValidRunId,
  RUN_ID_PATTERN,
} from './run-id.js';
export { resolveNow, toIsoSeconds } from './clock.js';
export {
  isPathInside,
  realpathOfExistingPrefix,
  realpathOfExistingPrefixSync,
  resolveInside,
} from './resolve-inside.js';
export {
  assertConfined,
  assertConfinedSync,
  confinementRoot,
  runConfined,
  type FileAccess,
} from './file-access.js';
export { checkOutputPath, EXPORTS_DIR, RUN_STATE_FILES, type OutputPolicy } from './output-path.js';
export {
  claimDefaultRunFolder,
  createOrOpenRun,
  parseRunJson,
  readRunJson,
  readRunJsonFile,
  RUN_KINDS,
  RUN_STATUSES,
  runDir,
  runPaths,
  runsDir,
  updateRunStatus,
  type CreateOrOpenRunOptions,
  type RunHandle,
  type RunJson,
  type RunKind,
  type RunPaths,
  type RunStatus,
} from './run-folder.js';
export {
  listRuns,
  listRunsDetailed,
  resolveLatestRun,
  resolvePinnedRun,
  type ListRunsOptions,
  type ResolvedRun,
  type RunListing,
  type SkippedRun,
} from './run-listing.js';
export {
  instantMicros,
  listPredecessorRuns,
  readPredecessorRun,
  PREDECESSOR_MANIFEST,
  type PredecessorRunInfo,
} from './predecessor-runs.js';
export {
  assertRunIsNew,
  discardEmptyRun,
  discardNewRun,
  describeInterruption,
  INTERRUPTED_STAGE,
  LAST_COMPLETED_STAGE,
  ledgerPosition,
  markRunIncomplete,
  removeOrphanTempFiles,
  runFolderHasContent,
  settleRunStatus,
  type LedgerPosition,
} from './run-state.js';
export {
  acquireRunLock,
  inspectRunLock,
  isProcessAlive,
  LOCK_FILE_NAME,
  lockHolderState,
  processStartMarker,
  withRunLock,
  type AcquireRunLockOptions,
  type LockHolderState,
  type RunLock,
  type RunLockInfo,
} from './run-lock.js';
export {
  newReservationNonce,
  readReservation,
  removeReservation,
  reservationHolderState,
  RESERVATION_FILE,
  RESERVATION_NONCE_PATTERN,
  writeReservation,
  type RunReservation,
} from './run-reservation.js';
export { ensureWorkspaceId, readWorkspaceId, WORKSPACE_ID_PATTERN, workspaceIdPath } from './workspace-id.js';
export {
  formatLedger,
  GENESIS_PREV_HASH,
  LEDGER_RECORD_TYPES,
  openLedger,
  readLedger,
  readLedgerLoose,
  verifyLedger,
  type Ledger,
  type LedgerEntryInput,
  type LedgerRecord,
  type LedgerRecordType,
  type LedgerVerdict,
  type OpenLedgerOptions,
} from './audit-ledger.js';
export {
  epochDayToIsoDay,
  isIsoDay,
  isoDayToEpochDay,
  normalizeIsoDay,
  type NumericTable,
  type ReadTableOptions,
  type ReadTableResult,
} from './numeric-table.js';
export { formatCsvTable, MISSING_MARKERS, parseCsvTable, writeCsvTable } from './csv-table.js';
export { parseParquetTable, readParquetFile } from './parquet-read.js';
export {
  encodeParquetTable,
  writeParquetTable,
  type ParquetDateType,
  type WriteParquetOptions,
} from './parquet-write.js';
export { readReturnSeries, readTable, RETURN_COLUMN_NAMES, type ReturnSeries } from './tables.js';
export { displayPath } from './display-path.js';
export {
  ATOM_WEIGHTS_FILE,
  DIRECTIONS,
  findReturnStream,
  HEALTH_THRESHOLD,
  KNOWN_RISK_PROFILES,
  legacyProfileOf,
  listReturnStreams,
  PHYSICAL_WEIGHTS_FILE,
  physicalFromAtoms,
  physicalSymbol,
  readAtomWeights,
  readPhysicalWeights,
  readSleeveExposure,
  readSleeveHealth,
  readSleeveStream,
  resolveSleeveRun,
  suffixDirection,
  type AtomWeight,
  type Direction,
  type PhysicalWeight,
  type ReturnStreamLocation,
  type SleeveExposure,
  type SleeveHealth,
  type SleeveHealthOptions,
  type SleeveLayout,
  type SleeveRunRef,
  type SleeveStream,
  type WeightsFile,
} from './sleeve-run.js';
export {
  cacheFileNameProblem,
  cacheTempName,
  lookupCacheEntry,
  sweepCacheTemps,
  writeCacheEntry,
  type CacheLookup,
  type CacheMetaCheck,
} from './cache-store.js';
