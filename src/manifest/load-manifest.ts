import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { QuantError, environmentError } from '../errors.js';
import { decodeUtf8, findInvalidUtf8 } from '../util/utf8.js';
import { crossCheckManifest, type RawProblem } from './_cross-checks.js';
import { formatJsonPath, isRecord, type JsonPath } from './_json-path.js';
import { didYouMean } from '../util/suggest.js';
import { nullPrototypeRecord, RESERVED_NAME } from '../util/own.js';
import { parseJsonWithLocations, type LocatedJson } from './json-locate.js';
import type { InvalidProfile, ManifestProblem } from './profile-usage.js';
import {
  ManifestRootSchema,
  ProfileNameSchema,
  ProfileSchema,
  isMetaProfile,
  allowedKeysAt,
  guessKindKey,
  type Manifest,
  type Profile,
} from './schema.js';

export type { ManifestProblem } from './profile-usage.js';

/**
 * Parse and validate manifest text (DESIGN §3). Every problem is collected — JSON duplicate keys, schema
 * issues, references between profiles, cycles of nested meta profiles — with its JSON path, line and
 * column. A problem of the document itself (not JSON, an unknown root key, `profiles` not an object) is
 * thrown as one `E_MANIFEST` QuantError listing every problem, `path (line L): problem` in document
 * order (`issues` holds `{path, message}`, `details.problems` adds line and column; `location` is the
 * first). A problem inside `profiles.<name>` makes that profile invalid, not the manifest: it is left out
 * of `profiles` and recorded in `invalid` with its problems, so that runs that do not use it still run
 * (`assertProfilesUsable` fails the runs that do, with all its problems). Cycles are reported here as
 * problems of the profile that closes them, with their own code: a run that uses that profile fails with
 * `E_CYCLE` when the cycle is its first problem, as `resolveMetaTree` throws `E_CYCLE` / `E_DEPTH` for
 * the tree it resolves. Depth is checked there only, because it depends on the root.
 */
export function parseManifest(text: string, file: string): Manifest {
  const doc = parseJsonWithLocations(text, file);
  const raw: RawProblem[] = doc.duplicateKeys.map((d) => ({
    path: d.path,
    message: `duplicate key "${String(d.path[d.path.length - 1])}" (first at line ${d.first.line}): JSON keeps only the last one; rename or merge them`,
  }));
  raw.push(...reservedKeys(doc.value, []));
  const root = ManifestRootSchema.safeParse(doc.value);
  if (!root.success) for (const issue of root.error.issues) raw.push(...describeIssue(issue, doc));
  // No prototype: a profile looked up by a user's name (`constructor`, `toString`) is found only if declared.
  const profiles = Object.create(null) as Record<string, Profile>;
  const rawProfiles = isRecord(doc.value) && isRecord(doc.value['profiles']) ? doc.value['profiles'] : {};
  for (const [name, value] of Object.entries(rawProfiles)) {
    const named = ProfileNameSchema.safeParse(name);
    if (!named.success)
      raw.push({
        path: ['profiles', name],
        message: named.error.issues[0]?.message ?? 'invalid profile name',
      });
    const parsed = ProfileSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        raw.push(...describeIssue({ ...issue, path: ['profiles', name, ...issue.path] }, doc));
    } else if (named.success) profiles[name] = withOwnDirections(parsed.data);
  }
  raw.push(...crossCheckManifest(doc.value));
  const located = locateProblems(raw, doc);
  if (located.some((p) => p.owner === undefined)) throw manifestError(file, located.map(strip));
  const invalid = Object.create(null) as Record<string, InvalidProfile>;
  for (const p of located) {
    const owner = p.owner as string;
    const entry = (invalid[owner] ??= { problems: [], uses: usesOf(rawProfiles[owner]) });
    (entry.problems as ManifestProblem[]).push(strip(p));
  }
  for (const name of Object.keys(invalid)) delete profiles[name];
  const meta: { $schema?: string | undefined; description?: string | undefined } = root.success
    ? root.data
    : {};
  return {
    ...(meta.$schema === undefined ? {} : { $schema: meta.$schema }),
    ...(meta.description === undefined ? {} : { description: meta.description }),
    profiles,
    ...(Object.keys(invalid).length === 0 ? {} : { invalid }),
  };
}

/** The profile names an (invalid) profile's sleeve entries name, read defensively. */
function usesOf(value: unknown): string[] {
  if (!isRecord(value)) return [];
  const guess = 'sleeves' in value ? undefined : guessKindKey(value);
  const entries = value[guess?.kind === 'sleeves' ? guess.key : 'sleeves'];
  if (!Array.isArray(entries)) return [];
  const out: string[] = [];
  for (const entry of entries as unknown[]) {
    if (!isRecord(entry)) continue;
    for (const key of ['meta_profile', 'profile']) {
      const v = entry[key];
      if (typeof v === 'string' && v !== '' && !out.includes(v)) out.push(v);
    }
  }
  return out;
}

/**
 * Every `__proto__` key of the document. zod skips such a key without validating it (and an object
 * built from it would get a new prototype instead of a member), so it is refused here, wherever it is.
 */
function reservedKeys(value: unknown, path: JsonPath): RawProblem[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => reservedKeys(item, [...path, i]));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(key === RESERVED_NAME
      ? [{ path: [...path, key], message: RESERVED_MESSAGE('a key or a name') }]
      : []),
    ...reservedKeys(child, [...path, key]),
  ]);
}

const RESERVED_MESSAGE = (what: string): string =>
  `"${RESERVED_NAME}" cannot be ${what} (JavaScript reserves it: it would replace an object's prototype); rename it`;

/** A sleeve profile's `directions` without a prototype (an asset `toString` has no inherited direction). */
function withOwnDirections(profile: Profile): Profile {
  if (isMetaProfile(profile) || profile.sleeve.directions === undefined) return profile;
  return {
    ...profile,
    sleeve: { ...profile.sleeve, directions: nullPrototypeRecord(profile.sleeve.directions) },
  };
}

/**
 * Read and validate the manifest at `path` (resolved against the current folder; `file` in the
 * result and in every message is the absolute path). A missing file is `E_MANIFEST_NOT_FOUND`.
 */
export async function readManifest(
  path: string,
): Promise<{ manifest: Manifest; file: string; text: string }> {
  const file = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new QuantError('E_MANIFEST_NOT_FOUND', `manifest not found: ${file}`, {
        hint: 'create manifest.json in the workspace, or name the file with --manifest FILE (or the folder with --workspace DIR)',
        location: { file },
        cause: error,
      });
    }
    if (code === 'EISDIR') {
      throw new QuantError('E_MANIFEST', `cannot read the manifest ${file}: it is a folder, not a file`, {
        hint: 'pass the manifest file with --manifest FILE',
        location: { file },
        cause: error,
      });
    }
    throw environmentError(error, `read the manifest ${file}`) ?? error;
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    const bad = findInvalidUtf8(bytes);
    const line = bad?.line ?? 1;
    throw new QuantError(
      'E_INPUT_ENCODING',
      `${file}:${line}: the manifest is not valid UTF-8${bad === undefined ? '' : `, byte ${bad.column} of the line (${bad.bytes})`}`,
      { hint: 'save the manifest as UTF-8', location: { file, line } },
    );
  }
  return { manifest: parseManifest(text, file), file, text };
}

interface LocatedProblem extends ManifestProblem {
  /** The profile the problem belongs to (`profiles.<name>...`), or undefined for the document. */
  readonly owner: string | undefined;
}

const strip = ({ owner: _owner, ...p }: LocatedProblem): ManifestProblem => p;

function locateProblems(raw: readonly RawProblem[], doc: LocatedJson): LocatedProblem[] {
  const seen = new Set<string>();
  const located: LocatedProblem[] = [];
  for (const p of raw) {
    const path = formatJsonPath(p.path);
    const key = `${path}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A member is found by its key (an unknown key has no schema value to point at); an item by its value.
    const last = p.path[p.path.length - 1];
    const { line, column } = doc.lineOf(p.path, typeof last === 'string' ? 'key' : 'value');
    const owner = p.path[0] === 'profiles' && p.path.length >= 2 ? String(p.path[1]) : undefined;
    located.push({
      path,
      message: p.message,
      line,
      column,
      owner,
      ...(p.code === undefined ? {} : { code: p.code }),
    });
  }
  // Document order reads like a compiler's error list; the sort is stable for problems on one spot.
  return located.sort((a, b) => a.line - b.line || a.column - b.column);
}

function manifestError(file: string, problems: readonly ManifestProblem[]): QuantError {
  const first = problems[0] as ManifestProblem;
  const n = problems.length;
  const list = problems
    .map((p) => `${p.path === '' ? '(document)' : p.path} (line ${p.line}): ${p.message}`)
    .join('; ');
  return new QuantError('E_MANIFEST', `${file}: ${n} problem${n === 1 ? '' : 's'}: ${list}`, {
    hint: 'fix the manifest at the paths listed (DESIGN §3 describes every key)',
    location: { file, jsonPath: first.path, line: first.line },
    issues: problems.map((p) => ({ path: p.path, message: p.message })),
    details: { problems },
  });
}

/** A zod issue as one or more problems with messages a manifest author can act on. */
function describeIssue(issue: z.core.$ZodIssue, doc: LocatedJson): RawProblem[] {
  const path = issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
  switch (issue.code) {
    case 'unrecognized_keys':
      // `__proto__` is reported by reservedKeys, wherever it is.
      return issue.keys
        .filter((key) => key !== RESERVED_NAME)
        .map((key) => {
          const allowed = allowedKeysAt(path);
          const close = didYouMean(key, allowed);
          return {
            path: [...path, key],
            message: `unknown key "${key}"${close === '' ? `; allowed: ${allowed.join(', ')}` : close}`,
          };
        });
    case 'invalid_type': {
      if (!doc.has(path)) return [{ path, message: `is required (${describeExpected(issue.expected)})` }];
      const value = valueAt(doc.value, path);
      if (typeof value === 'number' && !Number.isFinite(value)) {
        // JSON has no infinity: a literal beyond ±1.8e308 (1e999) is read as one.
        return [{ path, message: `is not a finite number: beyond ±1.8e308 it reads as ${String(value)}` }];
      }
      return [
        {
          path,
          message: `expected ${describeExpected(issue.expected)}, got ${describeJson(valueAt(doc.value, path))}`,
        },
      ];
    }
    case 'invalid_value': {
      const got = valueAt(doc.value, path);
      const options = issue.values.map((v) => JSON.stringify(v));
      const close = typeof got === 'string' ? didYouMean(got, issue.values.map(String)) : '';
      return [
        { path, message: `${describeJson(got)} is not allowed${close}; use one of ${options.join(', ')}` },
      ];
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      const op = small ? (issue.inclusive === false ? '>' : '≥') : issue.inclusive === false ? '<' : '≤';
      if (issue.origin === 'array') {
        if (small && Number(bound) === 1) return [{ path, message: 'must not be empty' }];
        return [{ path, message: `must have ${small ? 'at least' : 'at most'} ${String(bound)} items` }];
      }
      if (issue.origin === 'string' && small && Number(bound) === 1)
        return [{ path, message: 'must not be empty' }];
      if (issue.origin === 'string') return [{ path, message: issue.message }];
      return [
        { path, message: `must be ${op} ${String(bound)}, got ${describeJson(valueAt(doc.value, path))}` },
      ];
    }
    case 'invalid_key':
      return [{ path, message: issue.issues[0]?.message ?? issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

function describeExpected(expected: string): string {
  const words: Record<string, string> = {
    int: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    object: 'an object',
    array: 'an array',
    record: 'an object',
  };
  return words[expected] ?? expected;
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 40
    ? `${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : 'a long value'}`
    : json;
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let at: unknown = root;
  for (const k of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, k)) return undefined;
    at = (at as Record<string | number, unknown>)[k];
  }
  return at;
}
