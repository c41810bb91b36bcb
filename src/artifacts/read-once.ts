/**
 * Read-once inputs. Inside `readOnceScope(fn)` (a meta run is one), a file read through {@link readOnce}
 * comes from the disk once: later reads of the same path get the same bytes, and a value derived from it
 * through {@link memoOnce} (a parsed table, a weights file) is computed once per file, as long as the file is unchanged — same device, inode, size,
 * modification and change time (nanoseconds), checked by a `stat` before every reuse. A file that
 * differs in any of them, or that changed while it was being read, is read again. A write of this
 * process through the atomic writers forgets the path. Outside a scope every call reads the disk, as
 * before.
 *
 * The SHA-256 a stage records for an input is that of the bytes read ({@link sha256Input}), so the ledger
 * names what was computed from, and hashing a file the run has read costs no second read.
 *
 * Reads from the disk are published on the `metafolio:input-read` diagnostics channel (`{ path, bytes,
 * purpose }`: absolute path, bytes read, `read` or `hash`), for observers in the same process; nothing is published
 * without a subscriber.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fstatSync,
  openSync,
  readSync,
  statSync,
  type BigIntStats,
} from 'node:fs';
import { channel } from 'node:diagnostics_channel';
import { resolve } from 'node:path';

interface Identity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

interface Entry {
  readonly identity: Identity;
  /** Absent when only the hash was taken (the bytes were streamed, not kept). */
  bytes?: Uint8Array;
  sha256?: string;
  readonly parsed: Map<string, unknown>;
}

const scope = new AsyncLocalStorage<Map<string, Entry>>();

const readEvents = channel('metafolio:input-read');

function publishRead(path: string, bytes: number, purpose: 'read' | 'hash'): void {
  if (!readEvents.hasSubscribers) return;
  readEvents.publish({ path: resolve(path), bytes, purpose });
}

/** Run `fn` with a fresh read-once store (nested scopes share the outer one). */
export function readOnceScope<T>(fn: () => Promise<T>): Promise<T> {
  if (scope.getStore() !== undefined) return fn();
  return scope.run(new Map(), fn);
}

function identityOf(s: BigIntStats): Identity {
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

// A synchronous stat: a few microseconds, against a thread-pool round trip for the asynchronous one; a
// run checks an identity before every reuse, hundreds of times (docs/architecture.md, "File-system calls").
async function currentIdentity(path: string): Promise<Identity | undefined> {
  let s: BigIntStats | undefined;
  try {
    s = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    s = undefined;
  }
  return s?.isFile() === true ? identityOf(s) : undefined;
}

/** The store's entry for `path` if the file on disk is still the one it describes. */
async function validEntry(
  store: Map<string, Entry>,
  path: string,
): Promise<{ entry: Entry | undefined; before: Identity | undefined }> {
  const before = await currentIdentity(path);
  const entry = store.get(path);
  if (entry !== undefined && before !== undefined && sameIdentity(entry.identity, before)) {
    return { entry, before };
  }
  store.delete(path);
  return { entry: undefined, before };
}

/**
 * The bytes of `path`: from the run's store when the file is unchanged since it was read, else from
 * `load` (the caller's reader, with its own size limit and error messages), kept when the file did not
 * change while it was read. Callers must not modify the bytes.
 */
export async function readOnce(path: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const store = scope.getStore();
  if (store === undefined) {
    const bytes = await load();
    publishRead(path, bytes.length, 'read');
    return bytes;
  }
  const key = resolve(path);
  const { entry, before } = await validEntry(store, key);
  if (entry?.bytes !== undefined) return entry.bytes;
  const bytes = await load();
  publishRead(path, bytes.length, 'read');
  const after = await currentIdentity(key);
  if (before !== undefined && after !== undefined && sameIdentity(before, after)) {
    if (after.size === BigInt(bytes.length)) {
      store.set(key, { identity: after, bytes, parsed: entry?.parsed ?? new Map() });
    }
  }
  return bytes;
}

/**
 * `compute()` — a value derived from the file `path` read through {@link readOnce} — once per file and
 * `kind` in a scope while the file is unchanged. The value is shared by every caller: it must not be
 * modified. A `compute` that throws is not kept (the next call runs it again).
 */
export async function memoOnce<T>(path: string, kind: string, compute: () => Promise<T>): Promise<T> {
  const store = scope.getStore();
  if (store === undefined) return compute();
  const key = resolve(path);
  const { entry } = await validEntry(store, key);
  if (entry?.parsed.has(kind) === true) return entry.parsed.get(kind) as T;
  const value = await compute();
  // The entry left by compute's read: its identity was checked around that read.
  const read = store.get(key);
  if (read?.bytes !== undefined) read.parsed.set(kind, value);
  return value;
}

function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Files up to this size are hashed with synchronous reads (no thread-pool round trip per call). */
export const SYNC_READ_LIMIT = 8 * 1024 * 1024;

/** The hash of a file of at most {@link SYNC_READ_LIMIT} bytes read synchronously, or undefined if larger. */
function smallFileHash(path: string): { sha256: string; bytes: number } | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > SYNC_READ_LIMIT) return undefined;
    const hash = createHash('sha256');
    // One byte more than the size: a file that grew since the stat is read on (up to the limit).
    const buffer = Buffer.allocUnsafe(Math.min(size + 1, SYNC_READ_LIMIT + 1));
    let bytes = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    closeSync(fd);
  }
}

async function streamHash(path: string): Promise<{ sha256: string; bytes: number }> {
  const small = smallFileHash(path);
  if (small !== undefined) return small;
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * SHA-256 of the file `path` for the record of a stage's inputs and outputs: in a scope, that of the
 * bytes the run read when the file is unchanged since (no second read), else streamed from the disk
 * (and kept for the next call while the file stays unchanged). Errors are those of `createReadStream`.
 */
export async function hashOnce(path: string): Promise<string> {
  const store = scope.getStore();
  if (store === undefined) {
    const { sha256, bytes } = await streamHash(path);
    publishRead(path, bytes, 'hash');
    return sha256;
  }
  const key = resolve(path);
  const { entry, before } = await validEntry(store, key);
  if (entry !== undefined) {
    if (entry.sha256 === undefined && entry.bytes !== undefined) entry.sha256 = sha256Of(entry.bytes);
    if (entry.sha256 !== undefined) return entry.sha256;
  }
  const { sha256, bytes } = await streamHash(key);
  publishRead(path, bytes, 'hash');
  const after = await currentIdentity(key);
  if (before !== undefined && after !== undefined && sameIdentity(before, after)) {
    store.set(key, { identity: after, sha256, parsed: new Map() });
  }
  return sha256;
}

/** Forget `path` (this process wrote it). */
export function forgetRead(path: string): void {
  scope.getStore()?.delete(resolve(path));
}
