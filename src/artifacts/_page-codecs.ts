/**
 * Decompressors of Parquet pages by codec name, for the Parquet guard and hyparquet (its `compressors`
 * option): Snappy (`_snappy.ts`), and gzip and Brotli through node:zlib, each bounded to the page's
 * declared size and required to fill it. ZSTD and LZ4 would need a dependency: refused by name.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { snappyDecompress } from './_snappy.js';

type Decompressor = (input: Uint8Array, size: number) => Uint8Array;

/** `inflate` bounded to `size` bytes (a bomb stops there), which it must produce exactly. */
function zlibPage(
  name: string,
  inflate: (input: Uint8Array, options: { maxOutputLength: number }) => Buffer,
): Decompressor {
  return (input, size) => {
    const out = inflate(input, { maxOutputLength: Math.max(size, 1) });
    if (out.length !== size)
      throw new Error(`${name}: the stream holds ${out.length} bytes, the page ${size}`);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  };
}

/** The codecs a page may be compressed with (and `UNCOMPRESSED`), by their Parquet names. */
export const PAGE_DECOMPRESSORS: Readonly<Record<string, Decompressor>> = {
  SNAPPY: snappyDecompress,
  GZIP: zlibPage('gzip', gunzipSync),
  BROTLI: zlibPage('brotli', brotliDecompressSync),
};

/** How to write a file the reader takes, for a codec it does not. */
export const CODEC_HINT = "write the file with Snappy, gzip or no compression (pandas: compression='snappy')";
