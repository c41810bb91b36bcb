/**
 * Reading input files (tables a manifest or a param names): a size limit checked before any byte is read,
 * strict UTF-8 for text, and failed system calls as coded errors.
 *
 * The limit is `QUANT_MAX_INPUT_BYTES` (bytes, or with a suffix k, M, G for KiB, MiB, GiB), 256 MiB by
 * default: a larger file is `E_INPUT_TOO_LARGE` naming its size and the limit, instead of an out-of-memory
 * crash or V8's "string longer than 0x1fffffe8 characters" (CSV text cannot exceed ~512 MiB at all).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { QuantError } from '../errors.js';
import { decodeUtf8, findInvalidUtf8 } from '../util/utf8.js';
import { fsFailure } from './fs-failure.js';
import { readOnce, SYNC_READ_LIMIT } from './read-once.js';
import type { Env } from '../util/env.js';

export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 ** 2;
const MAX_INPUT_BYTES_VARIABLE = 'QUANT_MAX_INPUT_BYTES';

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** The input size limit from the environment (see the module comment); a malformed value is `E_USAGE`. */
export function maxInputBytes(env: Env = process.env): number {
  const raw = env[MAX_INPUT_BYTES_VARIABLE];
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_INPUT_BYTES;
  const m = /^\s*(\d+)\s*([kKmMgG]?)(?:i?B)?\s*$/.exec(raw);
  const bytes = m === null ? Number.NaN : Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new QuantError('E_USAGE', `${MAX_INPUT_BYTES_VARIABLE}=${JSON.stringify(raw)} is not a size`, {
      hint: `write a number of bytes, or with a suffix: ${MAX_INPUT_BYTES_VARIABLE}=512M (k, M, G = KiB, MiB, GiB)`,
    });
  }
  return bytes;
}

/** `1.5 GiB (1,610,612,736 bytes)`. */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const exact = bytes.toLocaleString('en-US');
  return unit === 0 ? `${exact} bytes` : `${Number(value.toFixed(1))} ${units[unit]} (${exact} bytes)`;
}

function tooLarge(path: string, size: number, limit: number): QuantError {
  return new QuantError(
    'E_INPUT_TOO_LARGE',
    `${path} is ${formatSize(size)}, above the input limit of ${formatSize(limit)}`,
    {
      location: { file: path },
      hint: `raise the limit (${MAX_INPUT_BYTES_VARIABLE}=2G, memory permitting) or split the file; a CSV above 512 MiB cannot be read as text at all, store it as Parquet`,
      details: { size, limit },
    },
  );
}

/**
 * The bytes of the input file `path`, refused with `E_INPUT_TOO_LARGE` before anything is read when it is
 * larger than the limit. The size is taken from the open file, so a file that grows meanwhile is still
 * read only up to the limit (and then refused). Inside a run's read-once scope, a file already read and
 * unchanged since is not read again (see read-once.ts).
 */
export async function readInputBytes(path: string, env: Env = process.env): Promise<Uint8Array> {
  const limit = maxInputBytes(env);
  // In a run, the bytes read before when the file is unchanged (read-once.ts); the limit holds for them too.
  const bytes = await readOnce(path, () => readBytesFromDisk(path, limit));
  if (bytes.length > limit) throw tooLarge(path, bytes.length, limit);
  return bytes;
}

/**
 * {@link readBytesFromDisk} with synchronous calls when the file is at most {@link SYNC_READ_LIMIT} bytes
 * (each call a few microseconds instead of a thread-pool round trip); undefined for a larger file.
 */
function readSmallFile(path: string, limit: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw fsFailure(error, `read ${path}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > SYNC_READ_LIMIT) return undefined;
    if (size > limit) throw tooLarge(path, size, limit);
    const buffer = Buffer.alloc(Math.min(size, limit) + 1);
    let filled = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) throw tooLarge(path, Math.max(size, filled), limit);
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    throw fsFailure(error, `read ${path}`);
  } finally {
    closeSync(fd);
  }
}

async function readBytesFromDisk(path: string, limit: number): Promise<Uint8Array> {
  const small = readSmallFile(path, limit);
  if (small !== undefined) return small;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fsFailure(error, `read ${path}`);
  }
  try {
    const size = (await handle.stat()).size;
    if (size > limit) throw tooLarge(path, size, limit);
    const buffer = Buffer.alloc(Math.min(size, limit) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) throw tooLarge(path, Math.max(size, filled), limit);
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    throw fsFailure(error, `read ${path}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** `bytes` of the file `path` as text: strict UTF-8, else `E_INPUT_ENCODING` naming the line. */
export function decodeInputText(path: string, bytes: Uint8Array): string {
  const text = decodeUtf8(bytes);
  if (text !== undefined) return text;
  const problem = findInvalidUtf8(bytes);
  // FF FE or FE FF: Excel's "Unicode Text" and other UTF-16 writers; converting from Latin-1 would keep the NULs.
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  const line = problem?.line ?? 1;
  const at = problem === undefined ? '' : `, byte ${problem.column} of the line (${problem.bytes})`;
  throw new QuantError('E_INPUT_ENCODING', `${path}:${line}: not valid UTF-8${at}`, {
    location: { file: path, line },
    hint: utf16
      ? 'the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8 (e.g. `iconv -f utf-16 -t utf-8 in.csv > out.csv`)'
      : 'save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`)',
    details: problem === undefined ? {} : { offset: problem.offset, bytes: problem.bytes },
  });
}

/** {@link readInputBytes}, then {@link decodeInputText}. */
export async function readInputText(path: string, env: Env = process.env): Promise<string> {
  return decodeInputText(path, await readInputBytes(path, env));
}
