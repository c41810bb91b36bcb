/**
 * Atomic file writes: write a temp file in the target's folder, fsync it, rename it over the target, fsync
 * the folder. A crash leaves either the old file or the new one, never a torn one; a failed write removes
 * its temp file. rename(2) is atomic only within one file system, hence the temp file's location.
 *
 * Test hook (inert unless set; read only here): `QUANT_CRASH_AFTER_WRITES=<n>` makes the process SIGKILL
 * itself right after its n-th completed atomic write, `QUANT_CRASH_DURING_WRITE=<n>` after writing half
 * of the temp file of its n-th write (before the rename). The crash-safety tests kill a run at every
 * write this way.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  type PathLike,
} from 'node:fs';
import { link, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { QuantError } from '../errors.js';
import { toJsonValue } from './canonical-json.js';
import { assertConfined, assertConfinedSync } from './file-access.js';

// The crash hook's state. Module-level because it counts the writes of the whole process.
const crashAfter = crashPoint('QUANT_CRASH_AFTER_WRITES');
const crashDuring = crashPoint('QUANT_CRASH_DURING_WRITE');
let writesStarted = 0;

function crashPoint(name: string): number | undefined {
  const raw = process.env[name];
  return raw !== undefined && /^[1-9]\d*$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
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

function outputError(path: string, error: unknown): unknown {
  if (error instanceof QuantError) return error;
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

/** Atomically replace `path` with `data` (strings as UTF-8); creates parent folders. Failure: `E_OUTPUT`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  await assertConfined(target, 'write');
  const tmp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    await mkdir(dirname(target), { recursive: true });
    handle = await open(tmp, 'wx');
    const n = crashAfter === undefined && crashDuring === undefined ? 0 : startWrite(handle.fd, data);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, target);
    await syncDir(dirname(target));
    finishWrite(n);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw outputError(path, error);
  }
}

/**
 * {@link writeFileAtomic} that never replaces an existing file: the complete temp file is hard-linked to
 * `path`, which fails if `path` exists — decided by the file system at that instant, so a file created
 * meanwhile by another process is not clobbered either. An existing `path` is `E_OUTPUT_EXISTS`.
 */
export async function writeFileAtomicExclusive(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  const tmp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    await mkdir(dirname(target), { recursive: true });
    handle = await open(tmp, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    try {
      await link(tmp, target);
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

/** Synchronous {@link writeFileAtomic}, for exit paths where no event loop turn is left. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const target = resolve(path);
  assertConfinedSync(target, 'write');
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    mkdirSync(dirname(target), { recursive: true });
    fd = openSync(tmp, 'wx');
    const n = crashAfter === undefined && crashDuring === undefined ? 0 : startWrite(fd, data);
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
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
    rmSync(tmp, { force: true });
    throw outputError(path, error);
  }
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
