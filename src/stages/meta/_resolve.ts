import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { QuantError, isQuantError } from '../../errors.js';
import { ownValue } from '../../util/own.js';
import { didYouMean } from '../../util/suggest.js';
import type { StageContext } from '../../core/stage.js';
import type { Env } from '../../util/env.js';
import {
  assertConfined,
  PHYSICAL_WEIGHTS_FILE,
  displayPath,
  findReturnStream,
  LedgerKey,
  listReturnStreams,
  readPhysicalWeights,
  readSleeveExposure,
  readSleeveHealth,
  readSleeveStream,
  resolveSleeveRun,
  sha256Hex,
  writeJsonAtomic,
  type SleeveStream,
} from '../../artifacts/index.js';
import { inferFrequency } from '../../numeric/series/periods-per-year.js';
import { assertReturnScale } from '../_returns-table.js';
import {
  atomicSleeves,
  formatJsonPath,
  invalidProfileWarnings,
  leafJsonPath,
  parseJsonWithLocations,
  profilesInUse,
  readManifest,
  resolveMetaTree,
  resolveRiskProfiles,
  unknownSleeveProfile,
  walkMetaTree,
  type AtomicLeaf,
  type Manifest,
  type MetaNode,
} from '../../manifest/index.js';
import { RISK_PROFILE_ORDER } from '../../manifest/index.js';

import { assertTreeLimitsFeasible } from './_level-limits.js';
import { checkPinnedRun, type UnsuccessfulPin } from './_pins.js';
import { RESOLVED_MANIFEST, type ResolvedManifestDoc, type ResolvedSleeve } from './_artifact-types.js';
import { readResolvedManifest, resolvedTree } from './_resolved-manifest.js';

/** A meta profile tree with every atomic sleeve's run resolved, as used by every meta stage of a run. */
export interface ResolvedMeta {
  readonly doc: ResolvedManifestDoc;
  readonly root: MetaNode;
  /** The node of the profile the stage was asked for (the root or a nested meta profile). */
  readonly node: MetaNode;
  /** Sleeve ids from the root to {@link ResolvedMeta.node} (empty for the root). */
  readonly prefix: readonly string[];
  readonly riskProfiles: readonly string[];
  /** Absolute run folder of the sleeve at a path (ids joined with '/'). */
  sleeveRunPath(path: readonly string[]): string;
  sleeve(path: readonly string[]): ResolvedSleeve;
}

const key = (path: readonly string[]): string => path.join('/');

/**
 * Resolve the manifest, the tree of `rootProfile`, every atomic sleeve's run and the risk profiles,
 * without writing anything. Pinned run ids must exist; otherwise the latest successful run of the
 * profile is used.
 */
export async function computeMetaResolution(
  workspace: string,
  manifestPath: string,
  rootProfile: string,
  override?: readonly string[],
  pins: Readonly<Record<string, string>> = {},
  onWarning?: (message: string) => void,
  env: Env = process.env,
): Promise<{ doc: ResolvedManifestDoc; manifestFile: string }> {
  // A sleeve run whose process died, met as the latest of its profile, is settled as `quant runs list`
  // settles it: signed with the key of `env` (`QUANT_LEDGER_KEY`).
  const settleKey = LedgerKey.forSettling(env);
  await assertConfined(manifestPath, 'read');
  const { manifest, file, text } = await readManifest(manifestPath);
  const root = resolveMetaTree(manifest, rootProfile, { file });
  assertTreeLimitsFeasible(root, file);
  for (const w of invalidProfileWarnings(manifest, profilesInUse(manifest, rootProfile), file))
    onWarning?.(w);
  assertPinsInTree(pins, atomicSleeves(root), rootProfile);
  const sleeves: ResolvedSleeve[] = [];
  for (const leaf of atomicSleeves(root)) {
    const viaParam = leaf.runId === undefined && ownValue(pins, leaf.profile) !== undefined;
    let accepted: UnsuccessfulPin | undefined;
    // A profile the manifest does not declare may have runs from elsewhere; with none, it is most likely
    // misspelt, and `quant sleeve run --profile <it>` could not make one.
    const unknown = unknownSleeveProfile(manifest, leaf.profile);
    const fix = unknown === undefined ? undefined : `${unknown}: fix the name, or pin a run_id`;
    const pinned = leaf.runId ?? ownValue(pins, leaf.profile);
    const run = await resolveSleeveRun(workspace, leaf.profile, pinned, fix, settleKey)
      .then(async (resolved) => {
        // A pin is honoured, never replaced: but only a finished, successful run of the sleeve's profile.
        if (resolved.pinned) accepted = await checkPinnedRun(leaf, resolved);
        return resolved;
      })
      .catch((error: unknown) => {
        throw locateSleeveError(error, leaf, file, text, viaParam);
      });
    sleeves.push({
      path: leaf.path,
      id: leaf.id,
      profile: leaf.profile,
      run_id: run.runId,
      pinned: run.pinned,
      layout: run.layout,
      ...(accepted === undefined
        ? {}
        : { unsuccessful: { ...accepted, pin: formatJsonPath(pinPath(leaf)) } }),
    });
  }
  const declared = resolveRiskProfiles(root, manifest, override);
  let riskProfiles: string[] = [...declared.profiles];
  let source: ResolvedManifestDoc['risk_profiles_source'] =
    declared.source === 'unknown' ? 'streams' : declared.source;
  if (declared.source === 'unknown') {
    // Some sleeves are not declared in the manifest: use the profiles every sleeve run provides.
    let common: Set<string> | undefined;
    for (const s of sleeves) {
      const available = new Set<string>((await listReturnStreams(join(workspace, 'runs', s.run_id))).keys());
      common =
        common === undefined ? available : new Set<string>([...common].filter((p) => available.has(p)));
    }
    riskProfiles = RISK_PROFILE_ORDER.filter((p) => common?.has(p) ?? false);
    source = 'streams';
  }
  if (riskProfiles.length === 0) {
    throw new QuantError('E_PARAMS', `no risk profile is provided by every sleeve of ${rootProfile}`, {
      hint: 'name the risk profiles with --profiles hrp,min_variance (or declare risk_profiles on the meta profile)',
      location: { file, jsonPath: `profiles.${rootProfile}` },
    });
  }
  const profiles: Record<string, unknown> = {};
  const used = new Set<string>();
  for (const node of walkMetaTree(root)) used.add(node.profile);
  for (const leaf of atomicSleeves(root)) used.add(leaf.profile);
  for (const name of [...used].sort()) {
    if (Object.hasOwn(manifest.profiles, name)) profiles[name] = manifest.profiles[name];
  }
  const doc: ResolvedManifestDoc = {
    schema_version: 1,
    root: rootProfile,
    manifest_file: displayPath(workspace, file),
    manifest_sha256: sha256Hex(text),
    risk_profiles: riskProfiles,
    risk_profiles_source: source,
    profiles,
    sleeves,
  };
  return { doc, manifestFile: file };
}

/**
 * Every key of the `sleeve_runs` pins must be an atomic sleeve profile of the tree: a misspelt one
 * (`coer`, `Core`) would otherwise be ignored and the sleeve run with its latest run, without a word.
 */
function assertPinsInTree(
  pins: Readonly<Record<string, string>>,
  leaves: readonly AtomicLeaf[],
  rootProfile: string,
): void {
  const profiles = [...new Set(leaves.map((leaf) => leaf.profile))];
  for (const profile of Object.keys(pins)) {
    if (profiles.includes(profile)) continue;
    throw new QuantError(
      'E_PARAMS',
      `sleeve_runs: "${profile}" is not an atomic sleeve profile of ${rootProfile}${didYouMean(profile, profiles)}`,
      {
        location: { file: 'sleeve_runs param', jsonPath: `sleeve_runs.${profile}` },
        hint: `pin runs of its atomic sleeve profiles: ${profiles.join(', ')}`,
        details: { profile, sleeve_profiles: profiles },
      },
    );
  }
}

/** The manifest entry of an atomic sleeve: its `run_id` when pinned there, else its `profile`. */
function pinPath(leaf: AtomicLeaf): (string | number)[] {
  return [...leafJsonPath(leaf, leaf.runId === undefined ? 'profile' : 'run_id')];
}

/**
 * A sleeve run that cannot be resolved, located where the manifest (or the `sleeve_runs` param) asks for
 * it: the entry's `run_id` when pinned there, else its `profile`.
 */
function locateSleeveError(
  error: unknown,
  leaf: AtomicLeaf,
  file: string,
  text: string,
  viaParam: boolean,
): unknown {
  if (!(error instanceof QuantError) || error.location?.jsonPath !== undefined) return error;
  let location: { file: string; jsonPath: string; line?: number };
  if (viaParam) {
    location = { file: 'sleeve_runs param', jsonPath: `sleeve_runs.${leaf.profile}` };
  } else {
    const path = pinPath(leaf);
    const { line } = parseJsonWithLocations(text, file).lineOf(path);
    location = { file, jsonPath: formatJsonPath(path), line };
  }
  return new QuantError(error.code, `sleeve ${leaf.path.join('/')}: ${error.message}`, {
    location,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    issues: error.issues,
    details: { ...error.details, sleeve: leaf.path.join('/') },
    cause: error,
  });
}

/**
 * Check, before a meta run writes anything, what its stages will read from every resolved sleeve run:
 * the physical weights file (required by DESIGN §4; meta.flatten cannot weigh a sleeve without it), the
 * return stream of each risk profile it has and, for each such profile on which the sleeve is healthy,
 * its physical weights (from the flattened file, or derivable from the atoms file). Throws the first
 * problem, naming the sleeve and the file.
 */
export async function checkSleeveInputs(workspace: string, doc: ResolvedManifestDoc): Promise<void> {
  await checkRiskProfileStreams(workspace, doc);
  await checkLevelStreams(workspace, doc);
  const seen = new Set<string>();
  for (const s of doc.sleeves) {
    if (seen.has(s.run_id)) continue;
    seen.add(s.run_id);
    const runPath = join(workspace, 'runs', s.run_id);
    const weights = await readPhysicalWeights(runPath);
    if (weights === null) {
      const file = join(runPath, PHYSICAL_WEIGHTS_FILE);
      throw new QuantError(
        'E_ARTIFACT_MISSING',
        `sleeve ${s.path.join('/')}: run ${s.run_id} has no ${PHYSICAL_WEIGHTS_FILE}, so its assets cannot be flattened`,
        {
          location: { file },
          hint: `re-run the sleeve (quant sleeve run --profile ${s.profile}) or pin another run`,
        },
      );
    }
    for (const P of doc.risk_profiles) {
      const stream = await findReturnStream(runPath, P);
      if (stream === null) continue; // excluded as missing_stream: its weights are not read
      assertStreamScale(workspace, s, P, await readSleeveStream(stream.file));
      const health = await readSleeveHealth(
        runPath,
        P,
        stream.engine === undefined ? {} : { engine: stream.engine },
      );
      if (!health.healthy) continue; // excluded for health: idem
      await readSleeveExposure(runPath, P).catch((error: unknown) => {
        if (!(error instanceof QuantError)) throw error;
        throw new QuantError(error.code, `sleeve ${s.path.join('/')}: run ${s.run_id}: ${error.message}`, {
          ...(error.hint === undefined ? {} : { hint: error.hint }),
          ...(error.location === undefined ? {} : { location: error.location }),
          details: { ...error.details, sleeve: s.path.join('/'), run_id: s.run_id },
          cause: error,
        });
      });
    }
  }
}

/**
 * `E_INPUT_KIND` for a sleeve's return stream written in percent (a stream brought from elsewhere or
 * written by the user's own tool): the check of return tables, at A of the stream's own dates. A stream
 * whose dates give no one frequency (irregular, or changing frequency) is checked too, at the rows a
 * year of its dates: that finding is the level's (`E_FREQUENCY`, or its set A), the scale is the
 * stream's, and a stream in percent is refused here first. Checked before a meta run's folder exists
 * ({@link checkSleeveInputs}) and where a level reads the stream.
 */
export function assertStreamScale(
  workspace: string,
  sleeve: ResolvedSleeve,
  riskProfile: string,
  stream: SleeveStream,
): void {
  let periodsPerYear: number;
  let at = '';
  try {
    periodsPerYear = inferFrequency(stream.dates).periodsPerYear;
  } catch (error) {
    if (!isQuantError(error)) throw error;
    // Fewer than 2 dates (nothing to measure) or malformed ones (refused where the stream is read).
    const rows = error.details['rows_per_year'];
    if (error.code !== 'E_FREQUENCY' || typeof rows !== 'number' || !Number.isFinite(rows)) return;
    periodsPerYear = Math.max(1, Math.round(rows));
    at = `, at ${periodsPerYear} rows a year (their dates give no one frequency),`;
  }
  const path = sleeve.path.join('/');
  assertReturnScale([stream.values], [stream.column], periodsPerYear, {
    file: displayPath(workspace, stream.file),
    returns: `sleeve ${path} (run ${sleeve.run_id}): the ${riskProfile} returns${at}`,
    otherwise: `re-run the sleeve (quant sleeve run --profile ${sleeve.profile}) or pin another run`,
    details: { sleeve: path, run_id: sleeve.run_id, risk_profile: riskProfile },
  });
}

/**
 * A risk profile that no sleeve of the tree has a return stream for can only fail (every sleeve is
 * excluded as `missing_stream`, so no level has 2 usable sleeves): `E_TOO_FEW_SLEEVES` now, before the
 * run folder exists, naming the streams the sleeves do have.
 */
async function checkRiskProfileStreams(workspace: string, doc: ResolvedManifestDoc): Promise<void> {
  const runs = [...new Set(doc.sleeves.map((s) => join(workspace, 'runs', s.run_id)))];
  const missing: string[] = [];
  for (const P of doc.risk_profiles) {
    let found = false;
    for (const run of runs) if (!found) found = (await findReturnStream(run, P)) !== null;
    if (!found) missing.push(P);
  }
  if (missing.length === 0) return;
  const have = new Set<string>();
  for (const run of runs) for (const P of (await listReturnStreams(run)).keys()) have.add(P);
  const available = RISK_PROFILE_ORDER.filter((P) => have.has(P));
  const named = doc.risk_profiles_source === 'override' ? '--profiles' : `the risk profiles of ${doc.root}`;
  const list = missing.join(', ');
  const location = await declaredAt(workspace, doc, missing[0] as string);
  throw new QuantError(
    'E_TOO_FEW_SLEEVES',
    `${named} name${missing.length === 1 ? 's' : ''} ${list}, but no sleeve of ${doc.root} has a ${list} return stream (${doc.sleeves.map((s) => `${s.path.join('/')}: run ${s.run_id}`).join(', ')})`,
    {
      hint:
        available.length === 0
          ? 'produce the sleeve runs (quant sleeve run) or pin runs that have return streams'
          : `choose among the streams the sleeves have (--profiles ${available.join(',')}${location === undefined ? '' : `, or in profiles.${doc.root}.risk_profiles`}), or produce the missing streams`,
      ...(location === undefined ? {} : { location }),
      details: { missing, available },
    },
  );
}

/**
 * Where the manifest names risk profile `P` of the run (`profiles.<root>.risk_profiles[i]` and its line),
 * when the run's risk profiles are the root's declared ones; undefined for `--profiles` or derived ones.
 */
async function declaredAt(
  workspace: string,
  doc: ResolvedManifestDoc,
  P: string,
): Promise<{ file: string; jsonPath: string; line?: number } | undefined> {
  const i = doc.risk_profiles.indexOf(P);
  if (doc.risk_profiles_source !== 'declared' || i < 0) return undefined;
  const at = ['profiles', doc.root, 'risk_profiles', i];
  const where = { file: doc.manifest_file, jsonPath: formatJsonPath(at) };
  try {
    const { file, text } = await readManifest(resolve(workspace, doc.manifest_file));
    return { ...where, line: parseJsonWithLocations(text, file).lineOf(at).line };
  } catch {
    return where; // the manifest was read moments ago; without it, the path alone
  }
}

/** Why one level of the tree cannot combine 2 sleeves for a risk profile, judged by streams alone. */
interface LevelShortfall {
  readonly meta_profile: string;
  readonly path: string;
  readonly usable: string[];
  readonly missing_stream: string[];
  readonly branch_failed: string[];
}

/**
 * Walk the tree for risk profile `P` as meta.returns will: an atomic sleeve counts when its run has a
 * `P` stream, a nested level when it keeps at least 2 sleeves itself. Returns the levels that keep
 * fewer than 2 (deepest first); a nested level among them is dropped by its parent (`branch_failed`),
 * which is fine as long as the root keeps 2.
 */
async function levelShortfalls(
  workspace: string,
  doc: ResolvedManifestDoc,
  node: MetaNode,
  prefix: readonly string[],
  P: string,
  out: LevelShortfall[],
): Promise<boolean> {
  const usable: string[] = [];
  const missing: string[] = [];
  const failed: string[] = [];
  for (const sleeve of node.sleeves) {
    const path = [...prefix, sleeve.id];
    if (sleeve.kind === 'meta') {
      if (await levelShortfalls(workspace, doc, sleeve.node, path, P, out)) usable.push(sleeve.id);
      else failed.push(sleeve.id);
      continue;
    }
    const rs = doc.sleeves.find((s) => key(s.path) === key(path));
    const stream = rs === undefined ? null : await findReturnStream(join(workspace, 'runs', rs.run_id), P);
    (stream === null ? missing : usable).push(sleeve.id);
  }
  if (usable.length >= 2) return true;
  out.push({
    meta_profile: node.profile,
    path: prefix.length === 0 ? node.profile : key(prefix),
    usable,
    missing_stream: missing,
    branch_failed: failed,
  });
  return false;
}

/**
 * A risk profile that some sleeves lack can leave a level with fewer than 2 sleeves; when that reaches
 * the root, meta.returns would fail with `E_TOO_FEW_SLEEVES` after the run folder exists. Refuse now,
 * naming each level that falls short, the sleeves lacking the stream, and the risk profiles that every
 * level the run needs can combine. A nested level that falls short while its parent keeps 2 sleeves is
 * left alone: the parent drops it as `branch_failed`, as before.
 */
async function checkLevelStreams(workspace: string, doc: ResolvedManifestDoc): Promise<void> {
  const tree = resolvedTree(doc, doc.root);
  const failing: { risk_profile: string; levels: LevelShortfall[] }[] = [];
  for (const P of doc.risk_profiles) {
    const levels: LevelShortfall[] = [];
    if (!(await levelShortfalls(workspace, doc, tree, [], P, levels)))
      failing.push({ risk_profile: P, levels });
  }
  if (failing.length === 0) return;
  const runs = [...new Set(doc.sleeves.map((s) => join(workspace, 'runs', s.run_id)))];
  const have = new Set<string>();
  for (const run of runs) for (const P of (await listReturnStreams(run)).keys()) have.add(P);
  const runnable: string[] = [];
  for (const P of RISK_PROFILE_ORDER.filter((p) => have.has(p)))
    if (await levelShortfalls(workspace, doc, tree, [], P, [])) runnable.push(P);
  const named = doc.risk_profiles_source === 'override' ? '--profiles' : `the risk profiles of ${doc.root}`;
  const location = await declaredAt(workspace, doc, failing[0]?.risk_profile as string);
  const describe = (l: LevelShortfall, P: string): string => {
    const why = [
      ...(l.missing_stream.length === 0
        ? []
        : [`${l.missing_stream.join(', ')} lacking the ${P} return stream`]),
      ...(l.branch_failed.length === 0 ? [] : [`${l.branch_failed.join(', ')} falling short itself`]),
    ];
    const at = l.path === l.meta_profile ? l.meta_profile : `${l.meta_profile} (${l.path})`;
    return `${at} keeps ${l.usable.length} sleeve(s)${l.usable.length === 0 ? '' : ` (${l.usable.join(', ')})`}, with ${why.join(' and ')}`;
  };
  const parts = failing.map(
    (f) => `${f.risk_profile}: ${f.levels.map((l) => describe(l, f.risk_profile)).join('; ')}`,
  );
  throw new QuantError(
    'E_TOO_FEW_SLEEVES',
    `${named} leave${failing.length === 1 ? 's' : ''} a level of ${doc.root} with fewer than 2 sleeves, which every level needs — ${parts.join(' | ')}`,
    {
      hint:
        runnable.length === 0
          ? 'no risk profile has a return stream in enough sleeves of every level: produce the missing streams (quant sleeve run) or pin runs that have them'
          : `choose risk profiles that every level can combine (--profiles ${runnable.join(',')}${location === undefined ? '' : `, or in profiles.${doc.root}.risk_profiles`}), or produce the missing streams`,
      ...(location === undefined ? {} : { location }),
      details: {
        risk_profiles: failing.map((f) => f.risk_profile),
        levels: failing.flatMap((f) => f.levels.map((l) => ({ risk_profile: f.risk_profile, ...l }))),
        runnable,
      },
    },
  );
}

/** {@link computeMetaResolution}, then write `config/resolved_manifest.json` into the run. */
async function resolveAndRecordMeta(
  ctx: StageContext,
  rootProfile: string,
  override?: readonly string[],
  pins?: Readonly<Record<string, string>>,
): Promise<ResolvedMeta> {
  const { doc, manifestFile } = await computeMetaResolution(
    ctx.workspace,
    ctx.manifestPath,
    rootProfile,
    override,
    pins,
    (message) => ctx.warn(message),
  );
  ctx.recordInput(manifestFile);
  const out = join(ctx.runDir, RESOLVED_MANIFEST);
  await writeJsonAtomic(out, doc);
  ctx.recordOutput(out);
  for (const s of doc.sleeves) {
    if (s.unsuccessful === undefined) continue;
    await ctx.decision('meta.pin_unsuccessful', {
      sleeve: key(s.path),
      profile: s.profile,
      run_id: s.run_id,
      status: s.unsuccessful.status,
      detail: s.unsuccessful.detail,
      pin: s.unsuccessful.pin,
      allow_unsuccessful: true,
    });
  }
  return fromDoc(ctx, doc, rootProfile, override);
}

/**
 * The run's resolution: `config/resolved_manifest.json` when the run has one (so that every stage of a
 * run uses the same sleeve runs), else a fresh resolution that is then recorded.
 */
export async function loadResolvedMeta(
  ctx: StageContext,
  metaProfile: string,
  override?: readonly string[],
  pins?: Readonly<Record<string, string>>,
): Promise<ResolvedMeta> {
  const file = join(ctx.runDir, RESOLVED_MANIFEST);
  if (!existsSync(file)) return resolveAndRecordMeta(ctx, metaProfile, override, pins);
  const doc = await readResolvedManifest(ctx.runDir, ctx.runId);
  ctx.recordInput(file);
  return fromDoc(ctx, doc, metaProfile, override);
}

function fromDoc(
  ctx: StageContext,
  doc: ResolvedManifestDoc,
  metaProfile: string,
  override?: readonly string[],
): ResolvedMeta {
  const manifest = { profiles: doc.profiles } as unknown as Manifest;
  const root = resolvedTree(doc, ctx.runId);
  const found = findNode(root, metaProfile, []);
  if (found === undefined) {
    throw new QuantError(
      'E_UNKNOWN_PROFILE',
      `meta profile "${metaProfile}" is not part of run ${ctx.runId} (root ${doc.root})`,
      {
        hint: `use --param meta_profile=${doc.root}, or another run id`,
      },
    );
  }
  const riskProfiles =
    override === undefined ? doc.risk_profiles : resolveRiskProfiles(root, manifest, override).profiles;
  const byPath = new Map(doc.sleeves.map((s) => [key(s.path), s]));
  return {
    doc,
    root,
    node: found.node,
    prefix: found.prefix,
    riskProfiles,
    sleeve(path) {
      const hit = byPath.get(key(path));
      if (hit === undefined)
        throw new QuantError(
          'E_RUN_CORRUPT',
          `sleeve ${key(path)} is missing from ${RESOLVED_MANIFEST} of run ${ctx.runId}`,
        );
      return hit;
    },
    sleeveRunPath(path) {
      return join(ctx.workspace, 'runs', this.sleeve(path).run_id);
    },
  };
}

function findNode(
  node: MetaNode,
  profile: string,
  prefix: string[],
): { node: MetaNode; prefix: string[] } | undefined {
  if (node.profile === profile) return { node, prefix };
  for (const s of node.sleeves) {
    if (s.kind === 'meta') {
      const hit = findNode(s.node, profile, [...prefix, s.id]);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** The root meta profile recorded in the run's `config/resolved_manifest.json`, if any. */
async function readRecordedRoot(ctx: StageContext): Promise<string | undefined> {
  const file = join(ctx.runDir, RESOLVED_MANIFEST);
  if (!existsSync(file)) return undefined;
  await assertConfined(file, 'read');
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Partial<ResolvedManifestDoc>;
    return typeof doc.root === 'string' ? doc.root : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolution for a stage that starts a meta chain (`meta.sign_test`, `meta.returns`): for the run's
 * root, or a run without a recorded resolution, resolve the sleeves anew and record them; for a nested
 * meta profile of the run, reuse the recorded resolution.
 */
export async function resolveForChainStart(
  ctx: StageContext,
  metaProfile: string,
  override?: readonly string[],
  pins?: Readonly<Record<string, string>>,
): Promise<ResolvedMeta> {
  const recorded = await readRecordedRoot(ctx);
  return recorded === undefined || recorded === metaProfile
    ? resolveAndRecordMeta(ctx, metaProfile, override, pins)
    : loadResolvedMeta(ctx, metaProfile, override, pins);
}
