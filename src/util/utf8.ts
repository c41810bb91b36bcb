/**
 * Strict UTF-8: text files are decoded with a fatal decoder, because the lenient one turns every invalid
 * byte into U+FFFD and so silently renames an asset (`Z\xfcrich` in Latin-1 would become `Z�rich`).
 */

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Where the first invalid UTF-8 sequence of a file starts. */
export interface Utf8Problem {
  /** Byte offset of the first byte of the invalid sequence. */
  readonly offset: number;
  /** 1-based line (line feeds before it, plus one) and 1-based byte column in that line. */
  readonly line: number;
  readonly column: number;
  /** The offending bytes (at most 4), as `0xff 0xfe`. */
  readonly bytes: string;
}

/** Length of the valid UTF-8 sequence at `i`, or 0 if the bytes there are not one (RFC 3629). */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && ((b[i + k] as number) & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1] ?? 0;
    // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1] ?? 0;
    // No overlong forms (F0 80..8F) and nothing above U+10FFFF (F4 90..).
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The first invalid UTF-8 sequence of `bytes`, or `undefined` if they are valid UTF-8. */
export function findInvalidUtf8(bytes: Uint8Array): Utf8Problem | undefined {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      // The lead byte and the continuation bytes after it (at most 4 in all), not the next character.
      let end = i + 1;
      while (end < bytes.length && end < i + 4 && ((bytes[end] as number) & 0xc0) === 0x80) end++;
      const shown = Array.from(bytes.subarray(i, end), (x) => `0x${x.toString(16).padStart(2, '0')}`);
      return { offset: i, line, column: i - lineStart + 1, bytes: shown.join(' ') };
    }
    if (bytes[i] === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
    i += n;
  }
  return undefined;
}

/** `bytes` as text if they are valid UTF-8 (a BOM is kept for the caller), else `undefined`. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}
