/**
 * Artifacts: the only code that does file I/O for runs and data. Atomic writes, canonical JSON, hashes, run
 * ids and folders, run locks, the audit ledger, CSV/Parquet tables. Imports nothing internal but errors.ts.
 */
export {
  writeFileAtomic,
  writeFileAtomicExclusive,
  writeFilesAtomic,
  writeJsonAtomic,
} from './atomic-write.js';
export { canonicalJson } from './canonical-json.js';
export { sha256File, sha256Hex, sha256Input } from './hash.js';
export { readOnceScope } from './read-once.js';
export { assertNotStopped, isStopError, outsideStoppable, whileStoppable } from './stop-request.js';
export { decodeInputText } from './input-file.js';
export { assertValidRunId, defaultRunId } from './run-id.js';
export { resolveNow, toIsoSeconds } from './clock.js';
export { isPathInside, resolveInside } from './resolve-inside.js';
export { assertConfined, assertConfinedSync, confinementRoot, runConfined } from './file-access.js';
export { checkOutputPath, type OutputPolicy } from './output-path.js';
export {
  assertRunAccepts,
  claimDefaultRunFolder,
  createOrOpenRun,
  readRunJson,
  readRunJsonFile,
  runDir,
  runPaths,
  runsDir,
  updateRunStatus,
  FIXED_RUN_MEMBERS,
  type RunHandle,
  type RunJson,
} from './run-folder.js';
export { listRuns, listRunsDetailed, type RunListing } from './run-listing.js';
export { instantMicros, listPredecessorRuns, PREDECESSOR_MANIFEST } from './predecessor-runs.js';
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
} from './run-state.js';
export {
  acquireRunLock,
  inspectRunLock,
  LOCK_FILE_NAME,
  processStartMarker,
  withRunLock,
  type RunLock,
} from './run-lock.js';
export {
  newReservationNonce,
  readReservation,
  removeReservation,
  reservationHolderState,
  RESERVATION_FILE,
  writeReservation,
} from './run-reservation.js';
export { ensureWorkspaceId, readWorkspaceId } from './workspace-id.js';
export {
  openLedger,
  readLedger,
  readLedgerLoose,
  verifyLedger,
  type Ledger,
  type LedgerEntryInput,
  type LedgerVerdict,
} from './audit-ledger.js';
export { recordedOutputWriters } from './recorded-outputs.js';
export { anchorLedger, LEDGER_ANCHOR_MEMBER, LedgerKey } from './ledger-anchor.js';
export {
  assertLedgerAnchored,
  assertRunSignable,
  auditFailure,
  auditRun,
  type AnchorState,
  type AuditProblem,
  type OutputsReport,
  type RunAuditReport,
  type SignatureState,
} from './run-audit.js';
export { normalizeIsoDay, type NumericTable, type ReadTableResult } from './numeric-table.js';
export { parseCsvTable, writeCsvTable } from './csv-table.js';
export { parseParquetTable } from './parquet-read.js';
export {
  encodeParquetTable,
  writeParquetTable,
  writeParquetRecords,
  type RecordColumn,
} from './parquet-write.js';
export { readParquetPreview, readTable } from './tables.js';
export { displayPath } from './display-path.js';
export {
  ATOM_WEIGHTS_FILE,
  findReturnStream,
  HEALTH_THRESHOLD,
  legacyProfileOf,
  listReturnStreams,
  PHYSICAL_WEIGHTS_FILE,
  physicalSymbol,
  readAtomWeights,
  readPhysicalWeights,
  readSleeveExposure,
  readSleeveHealth,
  readSleeveStream,
  resolveSleeveRun,
  type AtomWeight,
  type PhysicalWeight,
  type SleeveRunRef,
  type SleeveStream,
} from './sleeve-run.js';
export {
  cacheFileNameProblem,
  cacheTempName,
  lookupCacheEntry,
  sweepCacheTemps,
  writeCacheEntry,
  type CacheMetaCheck,
} from './cache-store.js';
export { readSymbolTable, type SymbolRow } from './symbol-table.js';
