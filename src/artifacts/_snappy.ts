/**
 * Snappy decompression of Parquet pages (the raw format of Google's `format_description.txt`: the
 * uncompressed length as a varint, then literals and back-references), with every element checked against
 * the input and the output before it is copied: a damaged stream is an error after at most one pass over
 * its bytes. hyparquet's own decoder reads a literal's 4-byte length as a signed 32-bit number and steps
 * backwards over the input on a negative one: a 10 KB page of a damaged file took 5–7 s of CPU (found by
 * `npm run fuzz`). Both the Parquet guard and hyparquet (through its `compressors` option) use this one.
 */

/** A literal longer than this is copied with `set`; shorter ones byte by byte (cheaper than a subarray). */
const LONG = 64;

function fail(message: string): never {
  throw new Error(`snappy: ${message}`);
}

/** The `size` bytes a Snappy stream decompresses to; throws when the stream is damaged or of another size. */
export function snappyDecompress(input: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const n = input.length;
  if (n === 0 && size === 0) return out;
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= n || shift > 28) fail('invalid length header');
    const byte = input[pos++] as number;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (length !== size) fail(`the stream holds ${length} bytes, the page ${size}`);
  let o = 0;
  while (pos < n) {
    const tag = input[pos++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const bytes = len - 60;
        if (bytes > n - pos) fail('a literal length runs past the input');
        // In 32-bit integers, so that lengths and positions stay small integers for the JIT (a length of
        // 2^31 or more comes out negative: no page is that long).
        let value = 0;
        for (let k = 0; k < bytes; k++) value |= (input[pos + k] as number) << (8 * k);
        pos += bytes;
        if (value < 0) fail('a literal runs past the input');
        len = value + 1;
      }
      if (len > n - pos) fail('a literal runs past the input');
      if (len > size - o) fail('a literal runs past the output');
      if (len > LONG) out.set(input.subarray(pos, pos + len), o);
      else for (let k = 0; k < len; k++) out[o + k] = input[pos + k] as number;
      pos += len;
      o += len;
    } else {
      // A copy of at most 64 bytes: byte by byte, in order (an overlapping copy repeats the last bytes).
      let len = (tag >>> 2) + 1;
      let offset: number;
      if (kind === 1) {
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | (input[pos] as number);
        pos += 1;
      } else if (kind === 2) {
        offset = (input[pos] as number) | ((input[pos + 1] as number) << 8);
        pos += 2;
      } else {
        offset =
          (input[pos] as number) |
          ((input[pos + 1] as number) << 8) |
          ((input[pos + 2] as number) << 16) |
          ((input[pos + 3] as number) << 24);
        pos += 4;
      }
      // Past the input, a read above is undefined (0 in the bitwise forms); an offset of 2^31 or more is
      // negative here. All refused below.
      if (pos > n) fail('a copy runs past the input');
      if (!(offset > 0 && offset <= o)) fail(`a copy from ${offset} bytes back at byte ${o}`);
      if (len > size - o) fail('a copy runs past the output');
      for (let k = 0; k < len; k++) out[o + k] = out[o + k - offset] as number;
      o += len;
    }
  }
  if (o !== size) fail(`the stream ends after ${o} of ${size} bytes`);
  return out;
}
