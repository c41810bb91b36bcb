/**
 * A manifest with an invalid profile still serves every run that does not use it: the loader keeps the
 * valid profiles and records each invalid one with its problems (`Manifest.invalid`). A run that uses an
 * invalid profile — its root, a nested meta profile, a sleeve profile of its tree — fails with every
 * problem of every such profile; other runs go on and report the invalid profiles as warnings.
 */
import { QuantError } from '../errors.js';
import { ownValue } from '../util/own.js';
import { isMetaProfile, type Manifest } from './schema.js';

/** One manifest problem with its JSON path and where it is in the file. */
export interface ManifestProblem {
  /** `profiles.meta_swiss.sleeves[1].id`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  /** The code of a condition that has its own (`E_CYCLE`); absent for the other problems (`E_MANIFEST`). */
  readonly code?: 'E_CYCLE';
}

/** A profile that failed validation: its problems and the profiles it names (read leniently). */
export interface InvalidProfile {
  readonly problems: readonly ManifestProblem[];
  /** `profile` / `meta_profile` names of its sleeve entries, as far as they could be read. */
  readonly uses: readonly string[];
}

/** The profiles a run of `profile` uses: itself and, through sleeve entries, every profile it reaches. */
export function profilesInUse(manifest: Manifest, profile: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const invalid = ownValue(manifest.invalid, name);
    if (invalid !== undefined) {
      for (const u of invalid.uses) visit(u);
      return;
    }
    const p = Object.hasOwn(manifest.profiles, name) ? manifest.profiles[name] : undefined;
    if (p === undefined || !isMetaProfile(p)) return;
    for (const s of p.sleeves) visit(s.meta_profile ?? s.profile ?? '');
  };
  visit(profile);
  seen.delete('');
  return seen;
}

/** The invalid profiles among `names`, in manifest order. */
function invalidAmong(manifest: Manifest, names: ReadonlySet<string>): string[] {
  return Object.keys(manifest.invalid ?? {}).filter((n) => names.has(n));
}

/**
 * `E_MANIFEST` (`E_CYCLE` when the first problem is a cycle) when a run of `profile` uses an invalid
 * profile, listing every problem of every invalid profile it uses (document order), as the
 * whole-manifest error did: `path (line L): problem; ...`.
 */
export function assertProfilesUsable(manifest: Manifest, profile: string, file: string): void {
  const bad = invalidAmong(manifest, profilesInUse(manifest, profile));
  if (bad.length > 0) {
    const problemsOf = new Map(bad.map((n) => [n, ownValue(manifest.invalid, n)?.problems ?? []]));
    throw invalidProfilesError(problemsOf, bad, file, profile);
  }
}

/**
 * `E_MANIFEST` listing every problem of every invalid profile, when there is one (a strict check).
 * `extra`: problems of profiles that are valid on their own but found wanting by a whole-manifest check
 * (`quant manifest check`), listed with the others.
 */
export function assertManifestValid(
  manifest: Manifest,
  file: string,
  extra: ReadonlyMap<string, readonly ManifestProblem[]> = new Map(),
): void {
  const problemsOf = new Map<string, readonly ManifestProblem[]>(
    Object.entries(manifest.invalid ?? {}).map(([n, p]) => [n, p.problems]),
  );
  for (const [n, p] of extra) problemsOf.set(n, [...(problemsOf.get(n) ?? []), ...p]);
  const firstLine = (n: string): number => Math.min(...(problemsOf.get(n) ?? []).map((p) => p.line));
  const bad = [...problemsOf.keys()].sort((a, b) => firstLine(a) - firstLine(b));
  if (bad.length > 0) throw invalidProfilesError(problemsOf, bad, file);
}

function invalidProfilesError(
  problemsOf: ReadonlyMap<string, readonly ManifestProblem[]>,
  bad: readonly string[],
  file: string,
  user?: string,
): QuantError {
  const problems = bad
    .flatMap((n) => problemsOf.get(n) ?? [])
    .sort((a, b) => a.line - b.line || a.column - b.column);
  const first = problems[0] as ManifestProblem;
  const n = problems.length;
  const names = `profile${bad.length === 1 ? '' : 's'} ${bad.join(', ')}`;
  const verb = bad.length === 1 ? 'is' : 'are';
  const which =
    user === undefined || (bad.length === 1 && bad[0] === user)
      ? `${names} ${verb} invalid`
      : `${names} used by ${user} ${verb} invalid`;
  const list = problems.map((p) => `${p.path} (line ${p.line}): ${p.message}`).join('; ');
  // The first problem (in document order) gives the code, as it gives the location.
  const code = first.code ?? 'E_MANIFEST';
  return new QuantError(code, `${file}: ${which}: ${n} problem${n === 1 ? '' : 's'}: ${list}`, {
    hint: 'fix the manifest at the paths listed (DESIGN §3 describes every key)',
    location: { file, jsonPath: first.path, line: first.line },
    issues: problems.map((p) => ({ path: p.path, message: p.message })),
    details: { problems, invalid_profiles: bad },
  });
}

/**
 * One line per invalid profile that the run does not use (`used`: {@link profilesInUse}), for stderr:
 * `manifest.json: profile meta_x is invalid and was skipped (2 problems: path (line L): problem; ...)`.
 */
export function invalidProfileWarnings(
  manifest: Manifest,
  used: ReadonlySet<string>,
  file: string,
): string[] {
  return Object.entries(manifest.invalid ?? {})
    .filter(([name]) => !used.has(name))
    .map(([name, p]) => {
      const n = p.problems.length;
      const list = p.problems.map((q) => `${q.path} (line ${q.line}): ${q.message}`).join('; ');
      return `${file}: profile ${name} is invalid and was skipped; runs that use it fail until it is fixed (${n} problem${n === 1 ? '' : 's'}: ${list})`;
    });
}
