/**
 * `quant manifest migrate`: the predecessor's `configs/manifest.json` as a metafolio manifest, with a list
 * of everything dropped or changed (JSON paths of the predecessor file). Pure: JSON value in, JSON value
 * and changes out. Rules (docs/meta-pipeline.md, "Predecessor runs"):
 *
 * - root: `default_profile`, `defaults`, `pipelines` and any other key but `$schema`, `description`,
 *   `profiles` are dropped (they configure the Python pipeline, which metafolio does not run);
 * - a string profile is an alias: dropped; a `meta_profile` that names one is mapped to its final target
 *   (a nested meta must be in the manifest), a `profile` that names one is kept as written (sleeve runs are
 *   found by the profile name they recorded, as the predecessor found them);
 * - a predecessor sleeve profile (selection, backtest, discovery, ...) is dropped: metafolio cannot
 *   backtest it, and finds its runs by name; a metafolio sleeve profile (`sleeve`) is kept;
 * - a meta profile keeps `description`, `sleeves` (`id`, `profile`, `meta_profile`, `run_id`; an empty
 *   `run_id` is removed: unpinned), `risk_profiles` (a comma string is split), `meta_allocation` bounds
 *   and optimizer settings (`engine` and `profile` dropped: the meta layer runs every risk profile
 *   philosophy-matched, and the predecessor's meta optimizer read neither), and `features`
 *   (`feat_directional_sign_test_gate` → `directional_sign_test_gate`; other features dropped).
 */
import { QuantError } from '../errors.js';
import { formatJsonPath, isRecord, type JsonPath } from './_json-path.js';

/** One thing the migration did not copy as it was. */
export interface MigrationChange {
  /** JSON path in the predecessor manifest (`profiles.meta_x.meta_allocation.engine`). */
  readonly path: string;
  /** `dropped`: left out; `changed`: written differently; `kept`: copied, but read the note. */
  readonly action: 'dropped' | 'changed' | 'kept';
  readonly detail: string;
}

export interface ManifestMigration {
  /** The metafolio manifest (plain JSON, key order of the predecessor file). */
  readonly manifest: { readonly profiles: Record<string, unknown> } & Record<string, unknown>;
  readonly changes: readonly MigrationChange[];
}

const ROOT_REASONS: Readonly<Record<string, string>> = {
  default_profile: 'metafolio has no default profile: name the meta profile with `quant meta run --profile`',
  defaults:
    "the predecessor's settings (data, selection, backtest, discovery, features) drive its Python pipeline; metafolio reads that pipeline's runs, not its settings",
  pipelines:
    "metafolio's pipelines are built in; the predecessor's stage names (meta.aggregation, risk.optimize_meta, risk.flatten_meta, risk.report_meta) resolve as aliases",
};
const ENTRY_KEYS = ['id', 'profile', 'meta_profile', 'run_id'];
const ALLOCATION_KEYS = [
  'min_weight',
  'max_weight',
  'linkage',
  'leaf_order',
  'covariance',
  'expected_returns',
  'risk_free_rate',
  'periods_per_year',
];
const ALLOCATION_REASONS: Readonly<Record<string, string>> = {
  engine: 'the meta layer has one optimizer per method; the predecessor read no engine here either',
  profile:
    'the meta layer runs every risk profile philosophy-matched (meta-HRP on the sleeves’ HRP streams, ...); choose them with "risk_profiles" or --profiles. The predecessor’s meta optimizer did not read this key either',
};
const GATE = 'directional_sign_test_gate';

const show = (value: unknown): string => {
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
};

/** Follow string aliases to a profile that is not one; undefined for a cycle or a dangling alias. */
function aliasTarget(profiles: Record<string, unknown>, name: string): string | undefined {
  const seen = new Set<string>();
  let at = name;
  for (;;) {
    if (seen.has(at) || !Object.hasOwn(profiles, at)) return undefined;
    seen.add(at);
    const value = profiles[at];
    if (typeof value !== 'string') return at;
    at = value;
  }
}

/**
 * Migrate a predecessor manifest (parsed JSON). Throws `E_MANIFEST` (naming `file`) when it is not one:
 * not an object, or `profiles` not an object.
 */
export function migratePredecessorManifest(doc: unknown, file: string): ManifestMigration {
  if (!isRecord(doc) || !isRecord(doc['profiles'])) {
    throw new QuantError(
      'E_MANIFEST',
      `${file}: not a predecessor manifest: expected an object with a "profiles" object`,
      {
        location: { file, jsonPath: isRecord(doc) ? 'profiles' : '' },
        hint: "pass the predecessor's configs/manifest.json",
      },
    );
  }
  const changes: MigrationChange[] = [];
  const note = (path: JsonPath, action: MigrationChange['action'], detail: string): void => {
    changes.push({ path: formatJsonPath(path), action, detail });
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === '$schema' || key === 'description') out[key] = value;
    else if (key !== 'profiles')
      note([key], 'dropped', ROOT_REASONS[key] ?? 'not a key of a metafolio manifest');
  }
  const source = doc['profiles'];
  const profiles: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source)) {
    const at: JsonPath = ['profiles', name];
    if (typeof value === 'string') {
      const target = aliasTarget(source, name);
      note(
        at,
        'dropped',
        target === undefined
          ? `alias of ${show(value)}, which leads to no profile (a cycle or a missing name)`
          : `alias of ${show(value)}${target === value ? '' : ` (→ ${target})`}: metafolio has no aliases; references to it are resolved below`,
      );
    } else if (!isRecord(value)) {
      note(at, 'dropped', `${show(value)} is not a profile`);
    } else if ('sleeves' in value) {
      profiles[name] = migrateMeta(value, at, source, note);
    } else if ('sleeve' in value) {
      profiles[name] = value;
    } else {
      note(
        at,
        'dropped',
        'a predecessor sleeve profile (its own selection, backtest and discovery settings): metafolio cannot backtest it, and finds its runs by profile name (the latest by replay_context.timestamp) or by a pinned run_id',
      );
    }
  }
  return { manifest: { ...out, profiles }, changes };
}

type Note = (path: JsonPath, action: MigrationChange['action'], detail: string) => void;

function migrateMeta(
  meta: Record<string, unknown>,
  at: JsonPath,
  profiles: Record<string, unknown>,
  note: Note,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    const path = [...at, key];
    if (key === 'description') out[key] = value;
    else if (key === 'sleeves')
      out[key] = Array.isArray(value)
        ? value.map((e: unknown, j) => migrateEntry(e, [...path, j], profiles, note))
        : value;
    else if (key === 'risk_profiles') out[key] = migrateRiskProfiles(value, path, note);
    else if (key === 'meta_allocation') out[key] = migrateAllocation(value, path, note);
    else if (key === 'features') {
      const features = migrateFeatures(value, path, note);
      if (features !== undefined) out[key] = features;
    } else note(path, 'dropped', 'not a key of a metafolio meta profile');
  }
  return out;
}

function migrateEntry(entry: unknown, at: JsonPath, profiles: Record<string, unknown>, note: Note): unknown {
  if (!isRecord(entry)) return entry;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    const path = [...at, key];
    if (!ENTRY_KEYS.includes(key)) {
      note(path, 'dropped', 'not a key of a sleeve entry (id, profile, meta_profile, run_id)');
      continue;
    }
    if (key === 'run_id' && (value === '' || value === null)) {
      note(
        path,
        'dropped',
        `${show(value)} pins nothing: without run_id the latest run of the profile is used`,
      );
      continue;
    }
    const alias = typeof value === 'string' && typeof profiles[value] === 'string';
    const target = alias ? aliasTarget(profiles, value as string) : undefined;
    if (key === 'meta_profile' && alias && target !== undefined) {
      note(path, 'changed', `${show(value)} is an alias: now ${show(target)}`);
      out[key] = target;
      continue;
    }
    if (key === 'profile' && alias) {
      note(
        path,
        'kept',
        `${show(value)} is an alias${target === undefined ? '' : ` of ${show(target)}`}: kept, because sleeve runs are found by the profile name they recorded, as the predecessor found them; write ${show(target ?? value)} if its runs recorded that name`,
      );
    }
    out[key] = value;
  }
  return out;
}

function migrateRiskProfiles(value: unknown, at: JsonPath, note: Note): unknown {
  if (typeof value !== 'string') return value;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  note(at, 'changed', `the comma list ${show(value)} is now the list ${show(list)}`);
  return list;
}

function migrateAllocation(value: unknown, at: JsonPath, note: Note): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (ALLOCATION_KEYS.includes(key)) out[key] = v;
    else
      note(
        [...at, key],
        'dropped',
        `${ALLOCATION_REASONS[key] ?? 'not a key of meta_allocation'} (was ${show(v)})`,
      );
  }
  return out;
}

function migrateFeatures(value: unknown, at: JsonPath, note: Note): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === GATE) out[GATE] = v;
    else if (key === `feat_${GATE}`) {
      note([...at, key], 'changed', `now features.${GATE} (${show(v)})`);
      out[GATE] = v;
    } else
      note(
        [...at, key],
        'dropped',
        `no such metafolio feature (was ${show(v)}); the only feature is ${GATE}`,
      );
  }
  return Object.keys(out).length === 0 ? undefined : out;
}
