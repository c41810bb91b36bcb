/**
 * Reading a sleeve run folder (DESIGN §4): which run a sleeve means, its return stream per risk profile
 * (native `data/returns/<P>.parquet|csv` or the predecessor's `data/returns/{engine}_{simulator}_{P}.parquet`),
 * its health from `audit.jsonl`, and its weights files (see `_sleeve-weights.ts`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { METHOD_IDS } from '../util/vocabulary.js';
import { QuantError } from '../errors.js';
import { readLedgerLoose } from './audit-ledger.js';
import { resolveLatestRun, resolvePinnedRun } from './run-listing.js';
import type { LedgerKey } from './ledger-anchor.js';
import { readReturnSeries } from './tables.js';
import { assertConfined } from './file-access.js';
import { memoOnce } from './read-once.js';

export {
  ATOM_WEIGHTS_FILE,
  PHYSICAL_WEIGHTS_FILE,
  physicalSymbol,
  readAtomWeights,
  readPhysicalWeights,
  readSleeveExposure,
  type AtomWeight,
  type PhysicalWeight,
} from './_sleeve-weights.js';

/** Layout of a sleeve run: `native` (run.json, `<P>.parquet`) or `legacy` (the predecessor's). */
export type SleeveLayout = 'native' | 'legacy';

/**
 * Risk-profile ids that name predecessor files (`{engine}_{simulator}_{P}.parquet`): the methods of
 * DESIGN §9 and the alias `erc`. Mirrors numeric/optimize, which this layer may not import.
 */
const KNOWN_RISK_PROFILES: readonly string[] = METHOD_IDS;

/** Where a risk profile's stream was found. `candidates`: every file that matched, in the order considered. */
export interface ReturnStreamLocation {
  readonly file: string;
  readonly candidates: readonly string[];
  readonly layout: SleeveLayout;
  /**
   * Predecessor file: the engine that produced the stream, the first `_`-separated part of
   * `{engine}_{simulator}_{P}` (the predecessor's engine names have no `_`). Native files: absent.
   */
  readonly engine?: string;
}

const SAFE_PROFILE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function returnsDir(runPath: string): string {
  return join(runPath, 'data', 'returns');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  await assertConfined(dir, 'read');
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

/**
 * The risk profile a predecessor file stem (`{engine}_{simulator}_{P}`) belongs to among `profiles`: the
 * longest id that the stem ends with as `_<id>` after a non-empty prefix. Longest wins, so
 * `x_y_min_variance` is `min_variance`, never `variance`; a stem that *is* an id (`min_variance`) is a
 * native file and belongs to no predecessor profile.
 */
export function legacyProfileOf(stem: string, profiles: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const p of profiles) {
    if (p === '' || stem.length <= p.length + 1 || !stem.endsWith(`_${p}`)) continue;
    if (best === undefined || p.length > best.length) best = p;
  }
  return best;
}

/**
 * Find the stream of `riskProfile` in a run folder: `data/returns/<P>.parquet`, else `<P>.csv`, else
 * predecessor files `data/returns/<prefix>_<P>.parquet` (non-empty prefix; a file whose stem ends with a
 * longer known profile id, e.g. `_min_variance` for P = `variance`, or is one, belongs to that profile).
 * Several predecessor files: the lexicographically first (code-unit order) is used. Null when none.
 */
export async function findReturnStream(
  runPath: string,
  riskProfile: string,
  knownProfiles: readonly string[] = KNOWN_RISK_PROFILES,
): Promise<ReturnStreamLocation | null> {
  if (!SAFE_PROFILE_RE.test(riskProfile)) {
    throw new QuantError('E_PATH_ESCAPE', `risk profile ${JSON.stringify(riskProfile)} cannot name a file`, {
      hint: 'risk profile ids are letters, digits, ".", "_" and "-"',
    });
  }
  const dir = returnsDir(runPath);
  const native = [join(dir, `${riskProfile}.parquet`), join(dir, `${riskProfile}.csv`)];
  const nativeFound: string[] = [];
  for (const file of native) if (await isFile(file)) nativeFound.push(file);
  const profiles = [riskProfile, ...knownProfiles];
  const legacy = (await listFiles(dir))
    .filter((name) => name.endsWith('.parquet'))
    .filter((name) => {
      const stem = name.slice(0, -'.parquet'.length);
      return !profiles.includes(stem) && legacyProfileOf(stem, profiles) === riskProfile;
    })
    .map((name) => join(dir, name));
  const candidates = [...nativeFound, ...legacy];
  const file = candidates[0];
  if (file === undefined) return null;
  if (nativeFound.length > 0) return { file, candidates, layout: 'native' };
  return { file, candidates, layout: 'legacy', engine: legacyEngineOf(basename(file), riskProfile) };
}

/** The engine part of a predecessor stream file name `{engine}_{simulator}_{P}.parquet`. */
function legacyEngineOf(fileName: string, riskProfile: string): string {
  const prefix = fileName.slice(0, -`_${riskProfile}.parquet`.length);
  const cut = prefix.indexOf('_');
  return cut > 0 ? prefix.slice(0, cut) : prefix;
}

/**
 * The risk profiles a run folder has streams for, sorted by name, each with the stream
 * {@link findReturnStream} picks for it: native `<P>.parquet|csv` stems, and predecessor files whose
 * profile part is one of `knownProfiles`.
 */
export async function listReturnStreams(
  runPath: string,
  knownProfiles: readonly string[] = KNOWN_RISK_PROFILES,
): Promise<Map<string, ReturnStreamLocation>> {
  const found = new Set<string>();
  for (const name of await listFiles(returnsDir(runPath))) {
    const ext = name.endsWith('.parquet') ? '.parquet' : name.endsWith('.csv') ? '.csv' : undefined;
    if (ext === undefined) continue;
    const stem = name.slice(0, -ext.length);
    const legacy =
      ext === '.parquet' && !knownProfiles.includes(stem) ? legacyProfileOf(stem, knownProfiles) : undefined;
    const profile = legacy ?? stem;
    if (SAFE_PROFILE_RE.test(profile)) found.add(profile);
  }
  const out = new Map<string, ReturnStreamLocation>();
  for (const profile of [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const location = await findReturnStream(runPath, profile, knownProfiles);
    if (location !== null) out.set(profile, location);
  }
  return out;
}

/** A sleeve's return stream: UTC calendar days (strictly increasing) and simple returns. */
export interface SleeveStream {
  readonly file: string;
  /** The column the returns were read from (`return`, or the predecessor's `returns`). */
  readonly column: string;
  readonly dates: readonly string[];
  readonly values: Float64Array;
}

/**
 * Read a stream file (native `date,return` or the predecessor's `returns` + UTC index). Datetimes become
 * UTC days; a duplicate day is `E_INPUT_DATES`, a missing value or a return below −1 (a loss of more
 * than 100 %, impossible for a simple return) `E_INPUT_VALUE`, each naming the file and the line or row.
 */
export async function readSleeveStream(file: string): Promise<SleeveStream> {
  // Read and parsed once per run while the file is unchanged (read-once.ts): the value is shared.
  await assertConfined(file, 'read'); // on every call: a stored value is handed out only past this check
  return memoOnce(file, 'sleeve-stream', () => readSleeveStreamFile(file));
}

async function readSleeveStreamFile(file: string): Promise<SleeveStream> {
  const series = await readReturnSeries(file, { allowMissing: false });
  const bad = series.values.findIndex((v) => !(v >= -1));
  if (bad >= 0) {
    const line = series.lines?.[bad];
    const location = { file, column: series.column, ...(line === undefined ? {} : { line }) };
    const where =
      line === undefined
        ? `${file} column ${series.column}: row ${bad + 1}`
        : `${file}:${line} column ${series.column}`;
    throw new QuantError(
      'E_INPUT_VALUE',
      `${where}: return ${series.values[bad]} on ${series.dates[bad]} is below -1 (a loss of more than 100 %)`,
      {
        location,
        hint: 'a stream holds simple daily returns (0.01 = 1 %); were percentages or log returns written?',
        details: { row: bad + 1, date: series.dates[bad] },
      },
    );
  }
  return { file, column: series.column, dates: Object.freeze(series.dates), values: series.values };
}

/** Success share of a sleeve's `backtest_optimize` windows (same shape as the meta manifest's). */
export interface SleeveHealth {
  /** `backtest_optimize` windows counted (0 = no records: healthy with a warning). */
  readonly windows: number;
  readonly successes: number;
  /** successes / windows, or null without records. */
  readonly success_rate: number | null;
  readonly healthy: boolean;
  /** Only the records of this engine were counted (the engine of a predecessor stream). */
  readonly engine?: string;
}

/** Minimum success share of a healthy sleeve (DESIGN §6). */
export const HEALTH_THRESHOLD = 0.75;

/** Which records count: the engine of the stream read, when it is known (predecessor files). */
export interface SleeveHealthOptions {
  readonly engine?: string;
}

function contextField(record: Readonly<Record<string, unknown>>, key: string): unknown {
  const context = record['context'];
  return typeof context === 'object' && context !== null && !Array.isArray(context)
    ? (context as Record<string, unknown>)[key]
    : undefined;
}

/**
 * A health record: a `backtest_optimize` outcome, as metafolio writes it (`type: "outcome"`) or as the
 * predecessor did (`type: "action"`, whose intents carry `status: "intent"` and are not outcomes).
 */
function isHealthRecord(record: Readonly<Record<string, unknown>>): boolean {
  if (record['step'] !== 'backtest_optimize') return false;
  const type = record['type'];
  return type === 'outcome' || (type === 'action' && record['status'] !== 'intent');
}

/**
 * Health of a sleeve for `riskProfile` from its `audit.jsonl` (read loosely, so predecessor ledgers work).
 * Counted: the `backtest_optimize` outcomes (`type: "outcome"`, or the predecessor's `type: "action"`
 * records other than intents); with `options.engine`, only those whose `context.engine` is that engine
 * (case-insensitive), as the predecessor counted only the engine whose streams the meta layer read —
 * unless no record names an engine at all; then those whose `context.profile` is the profile, or all of
 * them when none names it. Healthy iff no records or successes / windows ≥ {@link HEALTH_THRESHOLD}. No ledger → 0 windows.
 */
export async function readSleeveHealth(
  runPath: string,
  riskProfile: string,
  options: SleeveHealthOptions = {},
): Promise<SleeveHealth> {
  const engine = options.engine;
  const tag = engine === undefined ? {} : { engine };
  const file = join(runPath, 'audit.jsonl');
  if (!existsSync(file)) return { windows: 0, successes: 0, success_rate: null, healthy: true, ...tag };
  let records = (await readLedgerLoose(file)).filter(isHealthRecord);
  if (engine !== undefined && records.some((r) => typeof contextField(r, 'engine') === 'string')) {
    const wanted = engine.toLowerCase();
    records = records.filter((r) => String(contextField(r, 'engine') ?? '').toLowerCase() === wanted);
  }
  const named = records.filter((r) => contextField(r, 'profile') === riskProfile);
  const counted = named.length > 0 ? named : records;
  const windows = counted.length;
  const successes = counted.filter((r) => r['status'] === 'success').length;
  // Exact: HEALTH_THRESHOLD is a dyadic fraction, so HEALTH_THRESHOLD × windows has no rounding and 3/4
  // (exactly at the threshold) passes.
  const healthy = windows === 0 || successes >= HEALTH_THRESHOLD * windows;
  return { windows, successes, success_rate: windows === 0 ? null : successes / windows, healthy, ...tag };
}

/** A sleeve run as resolved for a manifest entry. `profile`: the run's own profile, as it states it. */
export interface SleeveRunRef {
  readonly runId: string;
  readonly path: string;
  readonly layout: SleeveLayout;
  readonly pinned: boolean;
  readonly profile: string | null;
}

/**
 * The run a sleeve entry means: the pinned run (always honoured; a missing one is `E_RUN_NOT_FOUND`, never
 * replaced) or the latest successful run of `profile` (`E_RUN_NOT_FOUND` if none, saying `fix` when given;
 * a run whose process died met there is settled, signed with `key` when given).
 */
export async function resolveSleeveRun(
  workspace: string,
  profile: string,
  pinnedRunId?: string,
  fix?: string,
  key?: LedgerKey,
): Promise<SleeveRunRef> {
  const run =
    pinnedRunId === undefined
      ? await resolveLatestRun(workspace, profile, fix, key)
      : await resolvePinnedRun(workspace, pinnedRunId);
  return {
    runId: run.runId,
    path: run.path,
    layout: run.layout === 'native' ? 'native' : 'legacy',
    pinned: pinnedRunId !== undefined,
    profile: run.profile,
  };
}
