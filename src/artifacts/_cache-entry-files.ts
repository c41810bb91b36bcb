/**
 * Reading the files of a cache entry as untrusted input: every name a plain relative name, nothing
 * followed through a symlink, every file read once into memory and hashed there, so that what is checked
 * is what is used. Problems are returned as data (`EntryProblem`): a damaged or tampered entry is a miss.
 */
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from './hash.js';

/** Why an entry cannot be used, and which file of it (relative to the entry folder) says so. */
export interface EntryProblem {
  readonly reason: string;
  readonly file?: string;
}

/** Largest `entry.json` read; larger is a damaged entry. */
export const MAX_ENTRY_JSON_BYTES = 16 * 1024 ** 2;
/** Largest single stored file read. */
const MAX_ENTRY_FILE_BYTES = 256 * 1024 ** 2;
/** Most files and folders walked in one entry. */
const MAX_TREE_NODES = 10_000;
const MAX_DEPTH = 16;

// Letters, digits, `.`, `_`, `-`, never starting with `.` (no `..`, no hidden files, no temp files).
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;
/** Names that are run state in every folder: a cache entry never restores them. */
const RUN_STATE = new Set(['run.json', 'audit.jsonl']);

/** A name as quoted in a reason: JSON string syntax, shortened. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
}

/**
 * Why `rel` cannot name a file of a run folder restored from the cache, or undefined when it can: a
 * relative path of plain names (no `..`, not absolute, no hidden or run-state file).
 */
export function cacheFileNameProblem(rel: string): string | undefined {
  if (rel === '') return 'an empty file name';
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel) || rel.startsWith('\\'))
    return `${quoteName(rel)} is an absolute path, not a name inside the run folder`;
  const segments = rel.split('/');
  if (segments.includes('..')) return `${quoteName(rel)} leaves the run folder ("..")`;
  if (segments.length > MAX_DEPTH) return `${quoteName(rel)} is nested more than ${MAX_DEPTH} levels`;
  const bad = segments.find((s) => !SEGMENT.test(s));
  if (bad !== undefined)
    return `${quoteName(rel)} is not a plain name inside the run folder (${quoteName(bad)}: letters, digits, ".", "_", "-", not starting with ".")`;
  const last = segments[segments.length - 1] as string;
  if (RUN_STATE.has(last)) return `${quoteName(rel)} is run state, never a cached file`;
  return undefined;
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * The bytes of the regular file `path`, never through a symlink (O_NOFOLLOW), at most `limit` bytes; a
 * problem otherwise. `shown` names the file in the reason. ENOENT is thrown (the caller decides).
 */
export async function readEntryFile(
  path: string,
  shown: string,
  limit: number,
): Promise<Uint8Array | EntryProblem> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (errnoCode(error) === 'ELOOP')
      return { file: shown, reason: `${shown} is a symbolic link (never followed)` };
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { file: shown, reason: `${shown} is not a regular file` };
    if (stat.size > limit)
      return { file: shown, reason: `${shown} is ${stat.size} bytes, above the limit of ${limit}` };
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * The regular files under `dir` by relative name, walking without following links: a symlink, a device
 * or a name that is not a plain name is a problem, named by its path under `shownPrefix`.
 */
export async function listEntryTree(
  dir: string,
  shownPrefix: string,
): Promise<{ readonly files: string[] } | EntryProblem> {
  const files: string[] = [];
  let nodes = 0;
  const walk = async (sub: string, depth: number): Promise<EntryProblem | undefined> => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      const shown = `${shownPrefix}${rel}`;
      if ((nodes += 1) > MAX_TREE_NODES)
        return { file: shownPrefix, reason: `more than ${MAX_TREE_NODES} files and folders` };
      if (entry.isSymbolicLink())
        return { file: shown, reason: `${shown} is a symbolic link (never followed)` };
      const problem = cacheFileNameProblem(rel);
      if (problem !== undefined) return { file: shown, reason: problem };
      if (entry.isDirectory()) {
        if (depth >= MAX_DEPTH) return { file: shown, reason: `${shown} is nested too deep` };
        const inner = await walk(rel, depth + 1);
        if (inner !== undefined) return inner;
      } else if (entry.isFile()) files.push(rel);
      else return { file: shown, reason: `${shown} is not a regular file or folder` };
    }
    return undefined;
  };
  const problem = await walk('', 1);
  return problem ?? { files };
}

/**
 * Compare the files found in an entry with the files its metadata records (name → SHA-256; `recordedBy`
 * says who records them, e.g. "its ledger"), reading each into memory: a missing file, an extra file or
 * another hash is a problem. The bytes, by name, in the order of `expected`.
 */
export async function readRecordedFiles(
  filesDir: string,
  shownPrefix: string,
  found: readonly string[],
  expected: ReadonlyMap<string, string>,
  recordedBy: string,
): Promise<Map<string, Uint8Array> | EntryProblem> {
  const present = new Set(found);
  for (const rel of found) {
    if (!expected.has(rel))
      return {
        file: `${shownPrefix}${rel}`,
        reason: `${shownPrefix}${rel} is not a file ${recordedBy} records (an extra file)`,
      };
  }
  const out = new Map<string, Uint8Array>();
  for (const [rel, sha256] of expected) {
    const shown = `${shownPrefix}${rel}`;
    if (!present.has(rel)) return { file: shown, reason: `${shown} is missing (${recordedBy} records it)` };
    const bytes = await readEntryFile(join(filesDir, rel), shown, MAX_ENTRY_FILE_BYTES);
    if (!(bytes instanceof Uint8Array)) return bytes;
    const actual = sha256Hex(bytes);
    if (actual !== sha256)
      return {
        file: shown,
        reason: `${shown} does not match the SHA-256 ${recordedBy} records (sha256 ${actual.slice(0, 12)}…, recorded ${sha256.slice(0, 12)}…)`,
      };
    out.set(rel, bytes);
  }
  return out;
}
