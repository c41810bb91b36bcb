/**
 * Atomic file writes: write a temp file in the target's folder, fsync it, rename it over the target, fsync
 * the folder. A crash leaves either the old file or the new one, never a torn one; a failed write removes
 * its temp file. rename(2) is atomic only within one file system, hence the temp file's location.
 *
 * Test hook (inert unless set; read only here): `QUANT_CRASH_AFTER_WRITES=<n>` makes the process SIGKILL
 * itself right after its n-th completed atomic write, `QUANT_CRASH_DURING_WRITE=<n>` after writing half
 * of the temp file of its n-th write (before the rename). The crash-safety tests kill a run at every
 * write this way. `QUANT_FAIL_WRITES=<ERRNO>:<n>` (e.g. `ENOSPC:3`) makes the n-th atomic write and every
 * later one fail with that errno before any byte is written, as a disk that fills up or a file system
 * remounted read-only would: the environment tests use it where a real full or read-only file system
 * cannot be made. `QUANT_FAIL_WRITES=<ERRNO>:<n>:<part>` counts only writes whose path contains `<part>`
 * (e.g. `ENOSPC:1:/.cache/` for a cache on a volume of its own that is full).
 *
 * A stop asked for (stop-request.ts) refuses every asynchronous write that has not started yet, before its
 * temp file exists; writes under way finish.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync, type PathLike } from 'node:fs';
import { link, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { QuantError } from '../errors.js';
import { toJsonValue } from './canonical-json.js';
import { assertConfinedSync } from './file-access.js';
import { fsFailure, makeDirectory, makeDirectorySync } from './fs-failure.js';
import { forgetRead } from './read-once.js';
import { beforeStoppableWrite } from './stop-request.js';

// The crash hook's state. Module-level because it counts the writes of the whole process.
const crashAfter = crashPoint('QUANT_CRASH_AFTER_WRITES');
const crashDuring = crashPoint('QUANT_CRASH_DURING_WRITE');
const failFrom = failPoint(process.env['QUANT_FAIL_WRITES']);
let writesStarted = 0;
let writesAttempted = 0;

function crashPoint(name: string): number | undefined {
  const raw = process.env[name];
  return raw !== undefined && /^[1-9]\d*$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}

function failPoint(raw: string | undefined): { errno: string; from: number; part: string } | undefined {
  const m = /^(E[A-Z0-9]+):([1-9]\d*)(?::(.+))?$/.exec(raw?.trim() ?? '');
  return m === null ? undefined : { errno: m[1] as string, from: Number(m[2]), part: m[3] ?? '' };
}

/** The test hook: an errno error as the file system would raise it, for the n-th write onwards. */
function injectedFailure(tmp: string): void {
  if (failFrom === undefined || !tmp.includes(failFrom.part)) return;
  if (++writesAttempted < failFrom.from) return;
  const { errno } = failFrom;
  const error = new Error(`${errno}: injected by QUANT_FAIL_WRITES, open '${tmp}'`) as NodeJS.ErrnoException;
  error.code = errno;
  const number = (osConstants.errno as Record<string, number | undefined>)[errno];
  if (number !== undefined) error.errno = -number;
  error.syscall = 'open';
  error.path = tmp;
  throw error;
}

function crashNow(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}

/** The test hook: the number of this write, or a torn temp file and SIGKILL when it is the one to crash in. */
function startWrite(fd: number, data: string | Uint8Array): number {
  writesStarted += 1;
  if (writesStarted === crashDuring) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    writeFileSync(fd, bytes.subarray(0, Math.floor(bytes.length / 2)));
    fsyncSync(fd);
    crashNow();
  }
  return writesStarted;
}

function finishWrite(n: number): void {
  if (n === crashAfter) crashNow();
}

function tempPathFor(target: string): string {
  // pid + random: unique across concurrent writers and across processes.
  const unique = `${process.pid}.${randomBytes(6).toString('hex')}`;
  return join(dirname(target), `.${basename(target)}.${unique}.tmp`);
}

const PATH_CONFLICTS = new Set(['ENOTDIR', 'EISDIR', 'EEXIST']);

function outputError(path: string, error: unknown): unknown {
  if (error instanceof QuantError) return error;
  // The temp file is an implementation detail: the message names the file being written.
  const coded = fsFailure(error, `write ${path}`, { showPath: false, file: resolve(path) });
  // Something in the way of the output (a folder named like the file, a file named like a folder) is a
  // problem of the output path, not of the machine: E_OUTPUT, with the same precise reason.
  if (coded instanceof QuantError && PATH_CONFLICTS.has(String(coded.details['errno']))) {
    return new QuantError('E_OUTPUT', coded.message, {
      location: { file: path },
      hint: 'choose another output path, or move away what is in the way',
      details: coded.details,
      cause: error,
    });
  }
  if (coded instanceof QuantError) return coded;
  const reason = error instanceof Error ? error.message : String(error);
  return new QuantError('E_OUTPUT', `could not write ${path}: ${reason}`, {
    location: { file: path },
    hint: 'check that the folder is writable and the disk is not full',
    cause: error,
  });
}

// Directory fsync makes the rename durable; some platforms (Windows) cannot open folders, which is fine.
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EACCES', 'ENOTSUP']);

async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!DIR_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

function syncDirSync(dir: PathLike): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    if (!DIR_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Atomically replace `path` with `data` (strings as UTF-8); creates parent folders. Failure: `E_OUTPUT`.
 * The work is done by {@link writeFileAtomicSync}: a write is ten system calls in a row (folder, temp
 * file, data, fsync, close, rename, folder fsync), each a few microseconds synchronously against a
 * thread-pool round trip asynchronously, and nothing else of a run can proceed while its artifact is
 * being written (docs/architecture.md, "File-system calls").
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await beforeStoppableWrite(path);
  writeFileAtomicSync(path, data);
}

/**
 * {@link writeFileAtomic} that never replaces an existing file: the complete temp file is hard-linked to
 * `path`, which fails if `path` exists — decided by the file system at that instant, so a file created
 * meanwhile by another process is not clobbered either. An existing `path` is `E_OUTPUT_EXISTS`.
 */
export async function writeFileAtomicExclusive(path: string, data: string | Uint8Array): Promise<void> {
  await beforeStoppableWrite(path);
  const target = resolve(path);
  const tmp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    await makeDirectory(dirname(target));
    handle = await open(tmp, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    try {
      await link(tmp, target);
      forgetRead(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw new QuantError('E_OUTPUT_EXISTS', `${target} already exists`, {
        location: { file: target },
        hint: 'pass --force to replace it, or choose another --output',
        cause: error,
      });
    }
    await syncDir(dirname(target));
  } catch (error) {
    await handle?.close().catch(() => undefined);
    throw outputError(path, error);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** Synchronous {@link writeFileAtomic}, also for exit paths where no event loop turn is left. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const target = resolve(path);
  assertConfinedSync(target, 'write');
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    makeDirectorySync(dirname(target));
    injectedFailure(tmp);
    fd = openSync(tmp, 'wx');
    const n = crashAfter === undefined && crashDuring === undefined ? 0 : startWrite(fd, data);
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
    forgetRead(target);
    syncDirSync(dirname(target));
    finishWrite(n);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // the original error is the one worth reporting
      }
    }
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the original error is the one worth reporting
    }
    throw outputError(path, error);
  }
}

/** One write of {@link writeFilesAtomic}: temp file, data, fsync, rename — on the thread pool. */
async function writeAndRename(path: string, target: string, data: string | Uint8Array): Promise<void> {
  await beforeStoppableWrite(path);
  const tmp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    injectedFailure(tmp);
    handle = await open(tmp, 'wx');
    const n = crashAfter === undefined && crashDuring === undefined ? 0 : startWrite(handle.fd, data);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, target);
    forgetRead(target);
    finishWrite(n);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw outputError(path, error);
  }
}

/**
 * {@link writeFileAtomic} for files that do not depend on each other (path → data; e.g. the verified files
 * of a stage-cache entry restored into a run). Each file is its own atomic write — temp file, fsync,
 * rename — and they run side by side on the thread pool, where the file system creates the files and
 * commits their fsyncs together instead of one after another (docs/architecture.md, "File-system
 * calls"); each folder is fsynced once, after its renames. Every write settles before this returns; then
 * the first failure is thrown (`E_OUTPUT` or the file system's coded error), the files written stay.
 */
export async function writeFilesAtomic(files: ReadonlyMap<string, string | Uint8Array>): Promise<void> {
  const writes = [...files].map(([path, data]) => ({ path, target: resolve(path), data }));
  const folders = new Map<string, string>(); // folder → the first file written into it (for an error)
  for (const w of writes) {
    assertConfinedSync(w.target, 'write');
    if (!folders.has(dirname(w.target))) folders.set(dirname(w.target), w.path);
  }
  for (const [folder, path] of folders) {
    try {
      makeDirectorySync(folder);
    } catch (error) {
      throw outputError(path, error);
    }
  }
  const settled = await Promise.allSettled(writes.map((w) => writeAndRename(w.path, w.target, w.data)));
  let failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as unknown;
  for (const [folder, path] of folders) {
    try {
      syncDirSync(folder);
    } catch (error) {
      failure ??= outputError(path, error);
    }
  }
  if (failure !== undefined) throw failure;
}

/**
 * The bytes of a JSON artifact: 2-space indented, trailing newline, numbers in shortest round-trip form
 * (full double precision). Non-finite numbers are refused (`E_OUTPUT` naming the JSON path) instead of
 * silently becoming `null`; typed arrays are written as arrays.
 */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(toJsonValue(value), null, 2)}\n`;
}

/** Atomically write `value` as a JSON artifact (see {@link formatJson}). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  let text: string;
  try {
    text = formatJson(value);
  } catch (error) {
    if (!(error instanceof QuantError)) throw error;
    throw new QuantError(error.code, `${path}: ${error.message}`, {
      location: { ...error.location, file: path },
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      cause: error,
    });
  }
  await writeFileAtomic(path, text);
}
