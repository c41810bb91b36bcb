// The manifest layer (DESIGN §3): parse and validate manifest.json, resolve meta profile trees.
export {
  parseJsonWithLocations,
  type DuplicateKey,
  type JsonPosition,
  type LocatedJson,
} from './json-locate.js';
export { formatJsonPath, type JsonPath } from './_json-path.js';
export {
  ID_PATTERN,
  MAX_PROFILE_NAME_LENGTH,
  ManifestSchema,
  MetaAllocationSchema,
  MetaProfileSchema,
  ProfileSchema,
  RUN_ID_PATTERN,
  SleeveEntrySchema,
  SleeveProfileSchema,
  SleeveSpecSchema,
  isMetaProfile,
  type Manifest,
  type MetaAllocation,
  type MetaProfile,
  type Profile,
  type SleeveEntry,
  type SleeveProfile,
  type SleeveSpec,
} from './schema.js';
export { parseManifest, readManifest, type ManifestProblem } from './load-manifest.js';
export {
  assertManifestValid,
  assertProfilesUsable,
  invalidProfileWarnings,
  profilesInUse,
  type InvalidProfile,
} from './profile-usage.js';
export {
  MAX_META_DEPTH,
  atomicSleeves,
  resolveMetaTree,
  resolveRiskProfiles,
  walkMetaTree,
  type AtomicLeaf,
  type MetaNode,
  type MetaSleeve,
  type ResolveMetaTreeOptions,
  type ResolvedRiskProfiles,
} from './meta-tree.js';
export {
  migratePredecessorManifest,
  type ManifestMigration,
  type MigrationChange,
} from './migrate-predecessor.js';
export { RISK_PROFILE_ORDER } from '../util/vocabulary.js';
