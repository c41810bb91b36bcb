/**
 * A content-addressed cache under `<workspace>/.cache/<namespace>/<key>/`: a `files/` tree and an
 * `entry.json`. An entry appears atomically (built in a temp folder, then renamed), so a reader sees a
 * complete entry or none; deleting `.cache/` only costs recomputation.
 */
import { copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { assertConfined } from './file-access.js';

const KEY = /^[0-9a-f]{64}$/;

export interface CacheEntry<M> {
  readonly dir: string;
  readonly meta: M;
  /** Absolute path of a stored file by its relative name. */
  file(rel: string): string;
}

function entryDir(workspace: string, namespace: string, key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid cache key ${key}`);
  return join(workspace, '.cache', namespace, key);
}

/** The entry for `key`, or null when absent or unreadable (a damaged entry is a miss, never an error). */
export async function readCacheEntry<M>(
  workspace: string,
  namespace: string,
  key: string,
): Promise<CacheEntry<M> | null> {
  const dir = entryDir(workspace, namespace, key);
  try {
    // A cache reached through a symlink out of a confined workspace is a miss, like a damaged one.
    await assertConfined(join(dir, 'entry.json'), 'read');
    const meta = JSON.parse(await readFile(join(dir, 'entry.json'), 'utf8')) as M;
    return { dir, meta, file: (rel) => join(dir, 'files', rel) };
  } catch {
    return null;
  }
}

/**
 * Store files (relative name → absolute source path) and a JSON description under `key`. When another
 * process stored the same key first, its entry is kept (same key, same content).
 */
export async function writeCacheEntry(
  workspace: string,
  namespace: string,
  key: string,
  files: ReadonlyMap<string, string>,
  meta: unknown,
): Promise<void> {
  const final = entryDir(workspace, namespace, key);
  await assertConfined(final, 'write');
  if (await stat(final).catch(() => null)) return;
  const tmp = join(workspace, '.cache', namespace, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    for (const [rel, source] of files) {
      const target = join(tmp, 'files', rel);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source, target);
    }
    await writeFileAtomic(join(tmp, 'entry.json'), `${JSON.stringify(meta)}\n`);
    await rename(tmp, final).catch(async (error: NodeJS.ErrnoException) => {
      // Lost a race with another writer of the same key: theirs is equivalent.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
