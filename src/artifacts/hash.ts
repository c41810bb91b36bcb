/** SHA-256 content hashes (lower-case hex), used by the ledger, the cache and outcome records. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { QuantError } from '../errors.js';
import { assertConfined } from './file-access.js';
import { hashOnce } from './read-once.js';

/** SHA-256 of a string (encoded as UTF-8) or of bytes, as 64 lower-case hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file's bytes, streamed. A missing file is `E_INPUT_NOT_FOUND`. */
export async function sha256File(path: string): Promise<string> {
  await assertConfined(path, 'read');
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new QuantError('E_INPUT_NOT_FOUND', `cannot hash ${path}: the file does not exist`, {
        location: { file: path },
        cause: error,
      });
    }
    throw error;
  }
  return hash.digest('hex');
}

/**
 * {@link sha256File} for the record of a stage's inputs and outputs: inside a run's read-once scope, the
 * hash of the bytes the run read when the file is unchanged since (no second read; see read-once.ts).
 * Checks of recorded hashes (`quant audit verify`, `meta.validate`) use {@link sha256File}: always the disk.
 */
export async function sha256Input(path: string): Promise<string> {
  await assertConfined(path, 'read');
  try {
    return await hashOnce(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new QuantError('E_INPUT_NOT_FOUND', `cannot hash ${path}: the file does not exist`, {
        location: { file: path },
        cause: error,
      });
    }
    throw error;
  }
}
