/** Containment checks for paths built from user input (artifact names, run ids, `output` params). */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { QuantError, environmentError } from '../errors.js';

/** Whether absolute `target` is `base` or lies below it (purely lexical). */
export function isPathInside(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of absolute `path`: realpath of its deepest existing ancestor (the path itself when it
 * exists, a final symlink followed), with the missing tail re-appended. A path that does not exist yet
 * still escapes if one of its existing parents is a symlink pointing elsewhere.
 *
 * The system calls are synchronous: a few microseconds each, where an asynchronous call costs a round
 * trip through the thread pool (tens of microseconds) and a run checks hundreds of paths one after the
 * other (docs/architecture.md, "File-system calls").
 */
export async function realpathOfExistingPrefix(path: string): Promise<string> {
  return realpathOfExistingPrefixSync(path);
}

/** Synchronous {@link realpathOfExistingPrefix}. */
export function realpathOfExistingPrefixSync(path: string): string {
  // Node refuses a NUL inside a path with a TypeError; say what is wrong with the name instead.
  if (path.includes('\0')) {
    throw new QuantError('E_PARAMS', `path ${JSON.stringify(path)} contains a NUL character`, {
      hint: 'remove the \\0 from the file name',
      location: { file: path.replaceAll('\0', '\\0') },
    });
  }
  const tail: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync.native(current), ...tail.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A name too long, a loop of links, a folder that cannot be read: coded like any failed system call.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw environmentError(error, `resolve ${path}`) ?? error;
      const parent = dirname(current);
      if (parent === current) return path;
      tail.push(basename(current));
      current = parent;
    }
  }
}

function escapeError(base: string, relPath: string, why: string): QuantError {
  return new QuantError('E_PATH_ESCAPE', `path ${JSON.stringify(relPath)} ${why} ${base}`, {
    location: { file: relPath },
    hint: 'use a path inside that folder (no "..", no symlink pointing out of it)',
  });
}

/**
 * Resolve `relPath` against `base` and return the absolute path, refusing (`E_PATH_ESCAPE`) any result
 * outside `base`: lexically (`..`, absolute paths) and after resolving symlinks of existing parents.
 */
export async function resolveInside(base: string, relPath: string): Promise<string> {
  const absBase = resolve(base);
  const target = resolve(absBase, relPath);
  if (!isPathInside(absBase, target)) throw escapeError(absBase, relPath, 'points outside');
  const [realBase, realTarget] = await Promise.all([
    realpathOfExistingPrefix(absBase),
    realpathOfExistingPrefix(target),
  ]);
  if (!isPathInside(realBase, realTarget)) {
    throw escapeError(absBase, relPath, `resolves through a symlink to ${realTarget}, outside`);
  }
  return target;
}
