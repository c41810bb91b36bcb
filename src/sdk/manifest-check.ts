/**
 * `quant manifest check`: validate a whole manifest — every profile, used by a run or not — and fail with
 * one `E_MANIFEST` listing every problem at once, each with its JSON path and line (a meta profile with
 * fewer than 2 sleeves among them: every run of it would fail); then `E_INFEASIBLE_CONSTRAINTS` when a
 * meta level's sleeve and group limits cannot hold together; then, given the workspace, the benchmark
 * and risk-free files of each meta profile, its `turnover.holdings` file and the files each `trades`
 * block names, read as a run reads them (every refused file listed, not only the first); and a warning for each sleeve entry whose `profile` is neither a sleeve profile of the manifest
 * nor the profile of any run in the workspace (most likely a misspelt name).
 */
import { resolve } from 'node:path';
import {
  assertManifestValid,
  atomicSleeves,
  formatJsonPath,
  isMetaProfile,
  parseJsonWithLocations,
  readManifest,
  resolveMetaTree,
  resolveRiskProfiles,
  unknownSleeveProfile,
  type Manifest,
  type ManifestProblem,
} from '../manifest/index.js';
import { listPredecessorRuns, listRuns } from '../artifacts/index.js';
import { QuantError, isQuantError } from '../errors.js';
import {
  assertTreeLimitsFeasible,
  checkProfileBenchmarkFiles,
  checkTradesInputs,
  checkTurnoverHoldings,
  loadSleeveInput,
} from '../stages/index.js';

export interface ManifestCheckResult {
  /** Absolute path of the manifest checked. */
  readonly file: string;
  readonly metaProfiles: readonly string[];
  readonly sleeveProfiles: readonly string[];
  /**
   * What may be wrong but does not make the manifest invalid: sleeve entries of an unknown profile (given
   * a workspace), then risk profiles no sleeve profile lists; each kind in manifest order.
   */
  readonly warnings: readonly ManifestWarning[];
}

/** A doubt about one manifest entry: where (JSON path and line) and what. */
export interface ManifestWarning {
  readonly path: string;
  readonly line: number;
  readonly message: string;
}

export interface ManifestCheckOptions {
  /** The workspace the manifest serves: its `trades` blocks' files are checked inside it. */
  readonly workspace?: string;
}

/** Read and check the manifest at `path`; resolves only when no profile has a problem. */
export async function checkManifestFile(
  path: string,
  options: ManifestCheckOptions = {},
): Promise<ManifestCheckResult> {
  const { manifest, file, text } = await readManifest(resolve(path));
  // The tree's own errors (E_DEPTH, E_CYCLE...) carry their line, as in a run.
  const { lineOf } = parseJsonWithLocations(text, file);
  const profiles = Object.entries(manifest.profiles);
  // A level combines at least 2 sleeves: with one, every run of the profile ends in E_TOO_FEW_SLEEVES
  // (a nested one is excluded from its parent every time), so it is a problem of the manifest here.
  const lone = new Map<string, ManifestProblem[]>();
  for (const [name, p] of profiles) {
    if (!isMetaProfile(p) || p.sleeves.length >= 2) continue;
    const at = ['profiles', name, 'sleeves'];
    lone.set(name, [
      {
        path: formatJsonPath(at),
        message: `a meta profile combines at least 2 sleeves, this one has ${p.sleeves.length}: every run of it fails with E_TOO_FEW_SLEEVES; add a sleeve, or run the sleeve's profile on its own`,
        ...lineOf(at),
      },
    ]);
  }
  assertManifestValid(manifest, file, lone);
  // Sleeve and group limits that can never hold together fail here, as they would before a run.
  for (const [name, p] of profiles)
    if (isMetaProfile(p)) assertTreeLimitsFeasible(resolveMetaTree(manifest, name, { file, lineOf }), file);
  if (options.workspace !== undefined) {
    // Every input file is checked, a bad one does not hide the next: the refusals are collected and
    // thrown together at the end (one alone unchanged, several as one error with the first's code).
    const bad: QuantError[] = [];
    const keep = (error: unknown): void => {
      const located = withLine(error, lineOf);
      if (!isQuantError(located)) throw located;
      bad.push(located);
    };
    // Each sleeve's prices file is read and checked as `quant sleeve run` would: a path, a column or a
    // history that would fail the run fails here, at its manifest entry.
    for (const [name, p] of profiles) {
      if (isMetaProfile(p)) continue;
      await loadSleeveInput(file, name).catch(keep);
    }
    for (const [name, p] of profiles) {
      if (!isMetaProfile(p)) continue;
      const tree = resolveMetaTree(manifest, name, { file, lineOf });
      await checkProfileBenchmarkFiles(
        resolve(options.workspace),
        file,
        name,
        tree.benchmarks,
        tree.riskFree,
      ).catch(keep);
      // The level's own turnover holdings (a nested level's are checked as its own profile).
      await checkTurnoverHoldings(resolve(options.workspace), file, tree, lineOf).catch(keep);
    }
    for (const [name, p] of profiles) {
      if (!isMetaProfile(p) || p.trades === undefined) continue;
      const risk = resolveRiskProfiles(resolveMetaTree(manifest, name, { file, lineOf }), manifest);
      await checkTradesInputs(resolve(options.workspace), file, name, p.trades, {
        profiles: risk.profiles,
        // Unknown until the sleeve runs are found: a run decides which of the block's profiles it trades.
        chosen: risk.source === 'unknown',
      }).catch(keep);
    }
    if (bad.length > 0) throw badInputsError(bad, file);
  }
  const warnings = [
    ...(options.workspace === undefined
      ? []
      : await unknownSleeveProfiles(manifest, resolve(options.workspace), lineOf)),
    ...unlistedRiskProfiles(manifest, lineOf),
  ];
  return {
    file,
    warnings,
    metaProfiles: profiles.filter(([, p]) => isMetaProfile(p)).map(([n]) => n),
    sleeveProfiles: profiles.filter(([, p]) => !isMetaProfile(p)).map(([n]) => n),
  };
}

/**
 * A sleeve entry's `profile` that the manifest does not declare is allowed (its runs may come from
 * elsewhere), but when no run of the workspace has that profile either, no run of the meta profile can
 * find the sleeve: most likely a misspelt name. One warning per entry, with the manifest's closest
 * sleeve profiles.
 */
async function unknownSleeveProfiles(
  manifest: Manifest,
  workspace: string,
  lineOf: (path: (string | number)[]) => { line: number },
): Promise<ManifestWarning[]> {
  let withRuns: ReadonlySet<string | null> | undefined;
  const warnings: ManifestWarning[] = [];
  for (const [name, p] of Object.entries(manifest.profiles)) {
    if (!isMetaProfile(p)) continue;
    for (const [j, entry] of p.sleeves.entries()) {
      const target = entry.profile;
      const unknown = target === undefined ? undefined : unknownSleeveProfile(manifest, target);
      if (target === undefined || unknown === undefined) continue;
      // The runs are listed once, and only when some profile is not declared.
      withRuns ??= new Set([
        ...(await listRuns(workspace, { settle: false })).map((r) => r.profile),
        ...(await listPredecessorRuns(workspace)).map((r) => r.profile),
      ]);
      if (withRuns.has(target)) continue;
      const at = ['profiles', name, 'sleeves', j, 'profile'];
      warnings.push({
        path: formatJsonPath(at),
        line: lineOf(at).line,
        message: `sleeve "${entry.id}" of ${name}: ${unknown} and no run in the workspace has that profile, so a meta run that uses ${name} fails; fix the name, or declare the profile or add a run of it`,
      });
    }
  }
  return warnings;
}

/**
 * A meta profile's `risk_profiles` entry that no sleeve profile of the manifest lists: no sleeve run made
 * by the manifest has that return stream, so a run of the profile is refused (`E_TOO_FEW_SLEEVES`). Said
 * only when every atomic sleeve of the profile's tree is a sleeve profile of the manifest and not pinned
 * to a run: an undeclared or pinned sleeve's run may carry other streams.
 */
function unlistedRiskProfiles(
  manifest: Manifest,
  lineOf: (path: (string | number)[]) => { line: number },
): ManifestWarning[] {
  const listed = new Set<string>();
  for (const p of Object.values(manifest.profiles))
    if (!isMetaProfile(p)) for (const P of p.sleeve.risk_profiles) listed.add(P);
  const warnings: ManifestWarning[] = [];
  for (const [name, p] of Object.entries(manifest.profiles)) {
    if (!isMetaProfile(p) || p.risk_profiles === undefined) continue;
    const leaves = atomicSleeves(resolveMetaTree(manifest, name));
    const allDeclared = leaves.every((leaf) => {
      const own = Object.hasOwn(manifest.profiles, leaf.profile)
        ? manifest.profiles[leaf.profile]
        : undefined;
      return leaf.runId === undefined && own !== undefined && !isMetaProfile(own);
    });
    if (!allDeclared) continue;
    for (const [i, P] of p.risk_profiles.entries()) {
      if (listed.has(P)) continue;
      const at = ['profiles', name, 'risk_profiles', i];
      warnings.push({
        path: formatJsonPath(at),
        line: lineOf(at).line,
        message: `no sleeve profile of the manifest lists the risk profile ${P} (they list ${[...listed].join(', ')}), so a run of ${name} has no ${P} return stream and is refused; add ${P} to the sleeves' risk_profiles, or remove it here`,
      });
    }
  }
  return warnings;
}

/**
 * The refusals of the manifest's input files: one alone as it is (as a run would throw it); several as
 * one error with the first's code, location and hint, its message listing each refusal (each naming its
 * file, and its line or JSON path) in the order the files were checked.
 */
function badInputsError(bad: readonly QuantError[], file: string): QuantError {
  const first = bad[0] as QuantError;
  if (bad.length === 1) return first;
  const list = bad.map((e) => `${e.code}: ${e.message}`).join('; ');
  return new QuantError(first.code, `${file}: ${bad.length} input files are refused: ${list}`, {
    ...(first.location === undefined ? {} : { location: first.location }),
    hint: `fix each file listed${first.hint === undefined ? '' : ` (the first: ${first.hint})`}`,
    issues: bad.map((e) => ({
      path: e.location?.jsonPath ?? e.location?.file ?? file,
      message: `${e.code}: ${e.message}`,
    })),
    details: { refusals: bad.map((e) => ({ code: e.code, message: e.message })) },
    cause: first,
  });
}

/** A benchmark or risk-free problem at its manifest JSON path, given the line of that path too. */
function withLine(error: unknown, lineOf: (path: (string | number)[]) => { line: number }): unknown {
  const at = isQuantError(error) ? error.location : undefined;
  if (!isQuantError(error) || at?.jsonPath === undefined || at.line !== undefined) return error;
  const path = at.jsonPath
    .split(/\.|\[(\d+)\]/)
    .filter((part) => part !== undefined && part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return new QuantError(error.code, error.message, {
    location: { ...at, line: lineOf(path).line },
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    details: error.details,
    cause: error,
  });
}
