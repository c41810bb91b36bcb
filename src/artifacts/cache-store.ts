/**
 * A content-addressed cache under `<workspace>/.cache/<namespace>/<key>/`: a `files/` tree and an
 * `entry.json`. An entry appears atomically (built in a temp folder, then renamed), so a reader sees a
 * complete entry or none; deleting `.cache/` only costs recomputation.
 *
 * An entry is untrusted input (anyone who can write the workspace can edit it), so a lookup proves what it
 * returns before anything is used: the entry folder, `entry.json` and every stored file are real folders
 * and files (a symlink is never followed), every name is a plain name inside the run folder, the metadata
 * passes the caller's check — which names every file the entry must hold, with its SHA-256 — and the files
 * are exactly those, with those hashes. Anything else is a rejected entry, with the reason: a miss, never
 * an error. The files are read into memory once and hashed there, so what is checked is what is used.
 *
 * Writers name their temp folders `.tmp-<host>-<pid>-<start>-<random>` (host: a hash of the host name;
 * start: the process start time, so that a reused pid is told apart). A writer killed before its final
 * rename leaves one behind; each lookup and store removes those of dead writers of this host.
 *
 * Test hook (inert unless set; read only here): `QUANT_CRASH_CACHE_STORE=1` makes the process SIGKILL
 * itself right before the rename that publishes a complete entry, as a kill at that moment would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, lstat, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { QuantError } from '../errors.js';
import {
  cacheFileNameProblem,
  listEntryTree,
  MAX_ENTRY_JSON_BYTES,
  readEntryFile,
  readRecordedFiles,
  type EntryProblem,
} from './_cache-entry-files.js';
import { writeFileAtomic } from './atomic-write.js';
import { displayPath } from './display-path.js';
import { assertConfined } from './file-access.js';
import { fsFailure, makeDirectorySync } from './fs-failure.js';
import { isProcessAlive, processStartMarker } from './run-lock.js';

export { cacheFileNameProblem, type EntryProblem } from './_cache-entry-files.js';

const KEY = /^[0-9a-f]{64}$/;
const ENTRY_JSON = 'entry.json';
const FILES = 'files';

/**
 * What the caller's check makes of an entry's metadata (parsed JSON, untrusted): the metadata and the
 * files the entry must hold (name inside the run folder → SHA-256), saying who records those hashes
 * (`recordedBy`, e.g. "its ledger"), or the problem.
 */
export type CacheMetaCheck<M> =
  | {
      readonly ok: true;
      readonly meta: M;
      readonly files: ReadonlyMap<string, string>;
      readonly recordedBy: string;
    }
  | ({ readonly ok: false } & EntryProblem);

/** The outcome of a lookup. `rejected` names the entry (workspace-relative) and why it was not used. */
export type CacheLookup<M> =
  | { readonly kind: 'absent' }
  | { readonly kind: 'rejected'; readonly entry: string; readonly reason: string; readonly file?: string }
  | {
      readonly kind: 'found';
      readonly entry: string;
      readonly meta: M;
      /** The stored files, verified, by name inside the run folder (in the order the check gave). */
      readonly files: ReadonlyMap<string, Uint8Array>;
    };

function entryDir(workspace: string, namespace: string, key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid cache key ${key}`);
  return join(workspace, '.cache', namespace, key);
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

// ---- temp folders of writers ---------------------------------------------------------------------------

const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const TEMP = /^\.tmp-([0-9a-f]{8})-(\d+)-(\d+)-[0-9a-f]{12}$/;
/** The temp folders of earlier versions: `.tmp-<pid>-<random>`. */
const OLD_TEMP = /^\.tmp-(\d+)-[0-9a-f]{12}$/;

function startOf(pid: number): string {
  return processStartMarker(pid)?.split(':').pop() ?? '0';
}

/** A name for a temp folder of the writer `pid` of this host (this process by default). */
export function cacheTempName(pid: number = process.pid): string {
  return `.tmp-${HOST_TAG}-${pid}-${startOf(pid)}-${randomBytes(6).toString('hex')}`;
}

/** Whether a temp folder name is one of a writer of this host that is gone (dead, or its pid reused). */
function isStaleTemp(name: string): boolean {
  const old = OLD_TEMP.exec(name);
  if (old !== null) return !isProcessAlive(Number(old[1]));
  const m = TEMP.exec(name);
  if (m === null || m[1] !== HOST_TAG) return false;
  const pid = Number(m[2]);
  if (!isProcessAlive(pid)) return true;
  return m[3] !== '0' && startOf(pid) !== '0' && startOf(pid) !== m[3];
}

/**
 * Remove the temp folders that writers of this host left in `.cache/<namespace>/` when they were killed
 * (only names of the cache's own temp pattern, only there); the names removed. Never fails: a cache that
 * cannot be cleaned is still optional.
 */
export async function sweepCacheTemps(workspace: string, namespace: string): Promise<string[]> {
  const dir = join(workspace, '.cache', namespace);
  const removed: string[] = [];
  try {
    await assertConfined(dir, 'write');
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !isStaleTemp(entry.name)) continue;
      await rm(join(dir, entry.name), { recursive: true, force: true });
      removed.push(entry.name);
    }
  } catch {
    // No cache folder, or one this process may not clean: nothing to do.
  }
  return removed;
}

// ---- lookup ---------------------------------------------------------------------------------------------

async function readEntryJson(dir: string): Promise<{ readonly value: unknown } | EntryProblem> {
  const bytes = await readEntryFile(join(dir, ENTRY_JSON), ENTRY_JSON, MAX_ENTRY_JSON_BYTES);
  if (!(bytes instanceof Uint8Array)) return bytes;
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown };
  } catch (error) {
    const why = error instanceof SyntaxError ? error.message : 'not valid UTF-8';
    return { file: ENTRY_JSON, reason: `${ENTRY_JSON} is not valid JSON (${why})` };
  }
}

async function inspectEntry<M>(
  dir: string,
  check: (value: unknown) => CacheMetaCheck<M>,
): Promise<EntryProblem | { meta: M; files: Map<string, Uint8Array> }> {
  const stat = await lstat(dir);
  if (stat.isSymbolicLink()) return { file: '', reason: 'the entry is a symbolic link (never followed)' };
  if (!stat.isDirectory()) return { file: '', reason: 'the entry is not a folder' };
  const top = (await readdir(dir)).filter((n) => n !== ENTRY_JSON && n !== FILES).sort();
  if (top.length > 0)
    return { file: top[0] as string, reason: `unexpected ${JSON.stringify(top[0])} in the entry` };
  const parsed = await readEntryJson(dir);
  if ('reason' in parsed) return parsed;
  const checked = check(parsed.value);
  if (!checked.ok) return { reason: checked.reason, file: checked.file ?? ENTRY_JSON };
  for (const rel of checked.files.keys()) {
    const problem = cacheFileNameProblem(rel);
    if (problem !== undefined) return { file: ENTRY_JSON, reason: `${ENTRY_JSON}: ${problem}` };
  }
  const filesDir = join(dir, FILES);
  const filesStat = await lstat(filesDir).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  });
  let found: string[] = [];
  if (filesStat !== undefined) {
    if (!filesStat.isDirectory())
      return {
        file: FILES,
        reason: `${FILES} is ${filesStat.isSymbolicLink() ? 'a symbolic link (never followed)' : 'not a folder'}`,
      };
    const tree = await listEntryTree(filesDir, `${FILES}/`);
    if (!('files' in tree)) return tree;
    found = tree.files;
  }
  const files = await readRecordedFiles(filesDir, `${FILES}/`, found, checked.files, checked.recordedBy);
  if (!(files instanceof Map)) return files;
  return { meta: checked.meta, files };
}

function failureReason(error: unknown): string {
  if (error instanceof QuantError) return error.message;
  const coded = fsFailure(error, 'read the entry', { showPath: false });
  return coded instanceof Error ? coded.message : String(coded);
}

/**
 * Look up the entry of `key`: `absent` when there is none (or no usable `.cache`), `rejected` with the
 * reason when it exists but cannot be proven (see the module comment), `found` with its verified files.
 * Never throws for what the cache holds; `check` validates the metadata.
 */
export async function lookupCacheEntry<M>(
  workspace: string,
  namespace: string,
  key: string,
  check: (value: unknown) => CacheMetaCheck<M>,
): Promise<CacheLookup<M>> {
  const dir = entryDir(workspace, namespace, key);
  const shown = displayPath(workspace, dir);
  await sweepCacheTemps(workspace, namespace);
  try {
    await lstat(dir);
  } catch {
    return { kind: 'absent' }; // no entry, no cache folder, or `.cache` is a file
  }
  try {
    await assertConfined(join(dir, ENTRY_JSON), 'read');
    const result = await inspectEntry(dir, check);
    if ('reason' in result) {
      const file = result.file === undefined || result.file === '' ? undefined : `${shown}/${result.file}`;
      return {
        kind: 'rejected',
        entry: shown,
        reason: result.reason,
        ...(file === undefined ? {} : { file }),
      };
    }
    return { kind: 'found', entry: shown, meta: result.meta, files: result.files };
  } catch (error) {
    // Replaced by another writer while it was read: as if there had been none.
    if (errnoCode(error) === 'ENOENT' && !(await lstat(dir).catch(() => undefined)))
      return { kind: 'absent' };
    return { kind: 'rejected', entry: shown, reason: failureReason(error) };
  }
}

// ---- store ----------------------------------------------------------------------------------------------

const crashBeforePublish = (process.env['QUANT_CRASH_CACHE_STORE'] ?? '') !== '';

/**
 * A failure to store as one coded error naming the entry (workspace-relative, never a temp name), so that
 * the warning and the ledger record it becomes say the same on every run.
 */
function storeFailure(error: unknown, workspace: string, shown: string): Error {
  const raw = error instanceof QuantError && errnoCode(error.cause) !== undefined ? error.cause : error;
  const coded = fsFailure(raw, `store the cache entry ${shown}`, { showPath: false, file: shown });
  if (coded instanceof QuantError) {
    const message = coded.message.split(`${workspace}/`).join('');
    return new QuantError(coded.code, message, {
      ...(coded.hint === undefined ? {} : { hint: coded.hint }),
      location: { file: shown },
      details: coded.details,
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`cannot store the cache entry ${shown}: ${reason}`, { cause: error });
}

async function buildEntry(tmp: string, files: ReadonlyMap<string, string>, meta: unknown): Promise<void> {
  const copies: [string, string][] = [];
  const folders = new Set<string>();
  for (const [rel, source] of files) {
    const problem = cacheFileNameProblem(rel);
    if (problem !== undefined) throw new Error(`refused to store ${problem}`);
    const target = join(tmp, FILES, rel);
    folders.add(dirname(target));
    copies.push([source, target]);
  }
  // Folders first, synchronously (each reports EROFS or EACCES, not a follow-on ENOENT); then the copies
  // side by side on the thread pool: creating a file is the slow part of a copy (its inode; on some
  // disks most of a millisecond), and a meta run's entry holds a hundred files. Every copy settles before
  // this returns, so the caller's clean-up never races one.
  for (const folder of folders) makeDirectorySync(folder);
  const settled = await Promise.allSettled(copies.map(([source, target]) => copyFile(source, target)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  await writeFileAtomic(join(tmp, ENTRY_JSON), `${JSON.stringify(meta)}\n`);
}

/**
 * Store files (name inside the run folder → absolute source path) and a JSON description under `key`.
 * When an entry exists it is kept (same key, same content) unless `replace` is set — the caller found it
 * damaged. A failure (no usable `.cache`, a full disk, no permission) is a coded error naming the entry.
 */
export async function writeCacheEntry(
  workspace: string,
  namespace: string,
  key: string,
  files: ReadonlyMap<string, string>,
  meta: unknown,
  options: { readonly replace?: boolean } = {},
): Promise<void> {
  const final = entryDir(workspace, namespace, key);
  const shown = displayPath(workspace, final);
  const tmp = join(dirname(final), cacheTempName());
  const aside = join(dirname(final), cacheTempName());
  try {
    await assertConfined(final, 'write');
    await sweepCacheTemps(workspace, namespace);
    if (options.replace !== true && (await lstat(final).catch(() => null))) return;
    await buildEntry(tmp, files, meta);
    if (crashBeforePublish) process.kill(process.pid, 'SIGKILL');
    if (options.replace === true) {
      await rename(final, aside).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT') throw error;
      });
    }
    await rename(tmp, final).catch((error: unknown) => {
      // Lost a race with another writer of the same key: theirs is equivalent.
      if (errnoCode(error) !== 'ENOTEMPTY' && errnoCode(error) !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw storeFailure(error, workspace, shown);
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    await rm(aside, { recursive: true, force: true }).catch(() => undefined);
  }
}
