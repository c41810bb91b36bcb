// The manifest layer (DESIGN §3): parse and validate manifest.json, resolve meta profile trees.
export { parseJsonWithLocations } from './json-locate.js';
export { formatJsonPath } from './_json-path.js';
export {
  ID_PATTERN,
  MAX_PROFILE_NAME_LENGTH,
  MetaProfileSchema,
  isMetaProfile,
  type Manifest,
  type Rebalancing,
  type SleeveSpec,
  type TradesSpec,
} from './schema.js';
export { parseManifest, readManifest, type ManifestProblem } from './load-manifest.js';
export {
  assertManifestValid,
  assertProfilesUsable,
  invalidProfileWarnings,
  profilesInUse,
} from './profile-usage.js';
export {
  atomicSleeves,
  leafJsonPath,
  resolveMetaTree,
  unknownSleeveProfile,
  resolveRiskProfiles,
  walkMetaTree,
  type AtomicLeaf,
  type MetaNode,
  type MetaSleeve,
} from './meta-tree.js';
export { migratePredecessorManifest, type MigrationChange } from './migrate-predecessor.js';
export { RISK_PROFILE_ORDER } from '../util/vocabulary.js';
