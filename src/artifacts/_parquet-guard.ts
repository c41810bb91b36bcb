/**
 * Structural checks of a Parquet file before hyparquet decodes it. hyparquet trusts the file: a page whose
 * level length runs past the page, a page claiming more values than its column chunk, or a corrupt run
 * header in RLE levels or dictionary indices make it loop for minutes or allocate without bound (found by
 * fuzzing). These checks read the page headers and walk the RLE/bit-packed runs of the definition levels
 * and dictionary indices without materialising them, so a damaged file is `E_INPUT_FORMAT` naming the
 * column, in time linear in the file size. Other value encodings are left to hyparquet.
 */
import { parquetHeader } from 'hyparquet/src/column.js';
import type { FileMetaData, PageHeader, SchemaElement } from 'hyparquet';
import { QuantError } from '../errors.js';
import { CODEC_HINT, PAGE_DECOMPRESSORS } from './_page-codecs.js';

/** More rows than any return table has; beyond it a row count is corruption, not data. */
const MAX_ROWS = 100_000_000;
const MAX_PAGE_BYTES = 1 << 28;

export type Fail = (message: string) => never;

/** A page-header field as a number; thrift may hand a corrupt i32 field over as a bigint or not at all. */
function count(value: unknown, what: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(`${what} is ${typeof value === 'number' ? value : `malformed (${typeof value} ${String(value)})`}`);
  return value;
}

/** Bits needed for values 0..max. */
const bitWidth = (max: number): number => (max === 0 ? 0 : 32 - Math.clz32(max));

/**
 * Walk an RLE / bit-packed hybrid run list in `bytes[start, end)` that must hold `count` values of `width`
 * bits. Writers may pad the last run past `count` (DuckDB does); what makes a decoder loop for minutes is a
 * run header beyond 32 bits or an RLE run longer than the whole page, and those are refused. Returns how
 * many of the `count` values equal `maxLevel` (for definition levels: the non-null values); with `levels`,
 * also writes the `count` values there.
 */
function walkHybrid(
  bytes: Uint8Array,
  start: number,
  end: number,
  width: number,
  count: number,
  fail: Fail,
  maxLevel?: number,
  levels?: Uint8Array | Int32Array,
): number {
  let pos = start;
  let decoded = 0;
  let present = 0;
  const valueBytes = (width + 7) >> 3;
  while (decoded < count) {
    let header = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) fail(`RLE runs end after ${decoded} of ${count} values`);
      const byte = bytes[pos++] as number;
      header += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) fail('an RLE run header is longer than 5 bytes');
    }
    // hyparquet counts bit-packed values as header >> 1 << 3 in 32-bit arithmetic.
    if (header >= 2 ** 31) fail(`an RLE run header of ${header} overflows`);
    const real = (n: number): number => Math.min(n, count - decoded);
    if (header % 2 === 1) {
      const values = Math.floor(header / 2) * 8;
      // hyparquet reads a byte even for a run of no values, after which its runs are not these (a fuzzed
      // page then had it grow an array to 182 million entries and abort the process).
      if (values === 0) fail('a bit-packed run of no values');
      const bytesUsed = Math.ceil((real(values) * width) / 8);
      if (pos + bytesUsed > end) fail('a bit-packed run runs past its page');
      if ((maxLevel !== undefined || levels !== undefined) && width <= 24) {
        // Values are packed LSB first: bytes go into an accumulator below the bits not yet taken (at most
        // 23 + 8 of them, so it stays a 32-bit integer), each value is its lowest `width` bits.
        const mask = (1 << width) - 1;
        let acc = 0;
        let bits = 0;
        let at = pos;
        for (let k = 0; k < real(values); k++) {
          while (bits < width) {
            acc |= (bytes[at++] as number) << bits;
            bits += 8;
          }
          const v = acc & mask;
          acc >>>= width;
          bits -= width;
          if (v === maxLevel) present++;
          if (levels !== undefined) levels[decoded + k] = v;
        }
      } else if (maxLevel !== undefined || levels !== undefined) {
        for (let k = 0; k < real(values); k++) {
          let v = 0;
          for (let b = 0; b < width; b++) {
            const bit = k * width + b;
            v |= (((bytes[pos + (bit >> 3)] as number) >> (bit & 7)) & 1) << b;
          }
          if (v === maxLevel) present++;
          if (levels !== undefined) levels[decoded + k] = v;
        }
      }
      // hyparquet reads a run's first byte before its values, so a run of 0-bit values takes a byte there.
      pos = Math.min(end, pos + (width === 0 ? 1 : (values * width) / 8));
      decoded += values;
    } else {
      const run = header / 2;
      if (run > count) fail(`an RLE run of ${run} values in a page of ${count}`);
      if (pos + valueBytes > end) fail('an RLE run value runs past its page');
      let value = 0;
      for (let i = 0; i < valueBytes; i++) value += (bytes[pos + i] as number) * 256 ** i;
      pos += valueBytes;
      if (maxLevel !== undefined && value === maxLevel) present += real(run);
      levels?.fill(value, decoded, decoded + real(run));
      decoded += run;
    }
  }
  return present;
}

interface ColumnShape {
  readonly maxDef: number;
  readonly type: SchemaElement['type'];
  /** Decompress every page, not only those whose dictionary indices are walked (see below). */
  readonly decompressAll: boolean;
}

function checkDataPage(
  bytes: Uint8Array,
  header: PageHeader,
  shape: ColumnShape,
  codec: string,
  fail: Fail,
): number {
  const compressed = bytes;
  const v2 = header.data_page_header_v2;
  const v1 = header.data_page_header;
  const values = count(v2?.num_values ?? v1?.num_values, 'the value count of a page', fail);
  let page: Uint8Array;
  let pos: number;
  let present = values;
  if (v2 !== undefined) {
    // Both lengths are required fields: hyparquet positions its reader at the first, and without it reads
    // byte 0 for ever (a fuzzed header).
    const rep = count(v2.repetition_levels_byte_length, 'a repetition level length', fail);
    const def = count(v2.definition_levels_byte_length, 'a definition level length', fail);
    if (rep + def > compressed.length)
      fail(`level lengths ${rep} + ${def} exceed the page (${compressed.length} bytes)`);
    if (rep > 0) fail('repetition levels in a flat column');
    if (shape.maxDef > 0)
      present = walkHybrid(compressed, rep, rep + def, bitWidth(shape.maxDef), values, fail, shape.maxDef);
    // hyparquet takes the count of values stored from the header's null count, not from the levels: the
    // two must agree, or it reads dictionary indices past those walked here (or fewer values than rows).
    const nulls = count(v2.num_nulls, 'the null count of a page', fail);
    if (nulls !== values - present)
      fail(`the page header counts ${nulls} nulls, its definition levels ${values - present}`);
    const body = compressed.subarray(rep + def);
    const size = count(header.uncompressed_page_size, 'an uncompressed page size', fail) - rep - def;
    // The levels of a v2 page lie outside its compressed values, so only dictionary indices need the
    // values decompressed here; other encodings are left to hyparquet, which decompresses the page itself
    // into a buffer of the size checked here (and when that fails, the reader runs these checks again
    // with `decompressAll` to name the column).
    if (!shape.decompressAll && (!indexed(v2.encoding, shape) || present === 0)) {
      if (size > MAX_PAGE_BYTES) fail(`a page claims ${size} uncompressed bytes`);
      return values;
    }
    page = v2.is_compressed !== false && size > 0 ? decompress(body, size, codec, fail) : body;
    pos = 0;
  } else {
    page = decompress(compressed, header.uncompressed_page_size, codec, fail);
    pos = 0;
    if (shape.maxDef > 0) {
      // hyparquet reads a v1 page's definition levels as RLE / bit-packed runs whatever encoding the
      // header names (a fuzzed header naming none let unchecked runs through): walk them as it reads them.
      if (pos + 4 > page.length) fail('the page ends before its definition levels');
      const length = new DataView(page.buffer, page.byteOffset + pos, 4).getUint32(0, true);
      pos += 4;
      if (pos + length > page.length) fail(`definition levels of ${length} bytes exceed the page`);
      present = walkHybrid(page, pos, pos + length, bitWidth(shape.maxDef), values, fail, shape.maxDef);
      pos += length;
    }
  }
  if (indexed(v2?.encoding ?? v1?.encoding, shape) && present > 0) walkIndices(page, pos, present, fail);
  return values;
}

/** Whether a page's values are dictionary indices (RLE / bit-packed runs the guard walks). */
function indexed(encoding: string | undefined, shape: ColumnShape): boolean {
  return (encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') && shape.type !== 'BOOLEAN';
}

/**
 * A page's definition levels of a flat optional column (0 null, 1 present) from the RLE / bit-packed runs in
 * `bytes[start, end)`, checked as the guard checks them.
 */
export function definitionLevels(
  bytes: Uint8Array,
  start: number,
  end: number,
  count: number,
  fail: Fail,
): { levels: Uint8Array; present: number } {
  const levels = new Uint8Array(count);
  const present = walkHybrid(bytes, start, end, 1, count, fail, 1, levels);
  return { levels, present };
}

/**
 * A page's dictionary indices from `bytes[start]` on (their bit width, then RLE / bit-packed runs of
 * `count` values), checked as the guard checks them; an index of 2^31 or more comes out negative.
 */
export function dictionaryIndices(bytes: Uint8Array, start: number, count: number, fail: Fail): Int32Array {
  const indices = new Int32Array(count);
  walkIndices(bytes, start, count, fail, indices);
  return indices;
}

/** Walk (and with `out`, decode) a page's dictionary indices from `bytes[start]` on. */
function walkIndices(bytes: Uint8Array, start: number, count: number, fail: Fail, out?: Int32Array): void {
  if (start >= bytes.length) fail('the page ends before its dictionary indices');
  const width = bytes[start] as number;
  if (width > 32) fail(`dictionary indices of ${width} bits`);
  // Also at width 0 (a dictionary of one value): hyparquet still reads the run headers, and an unchecked
  // RLE run count would have it fill an array of that length.
  walkHybrid(bytes, start + 1, bytes.length, width, count, fail, undefined, out);
}

/** A page's bytes uncompressed (`codec` UNCOMPRESSED or one of PAGE_DECOMPRESSORS, as the guard allows); `fail` if they do not decompress. */
export function decompress(bytes: Uint8Array, size: unknown, codec: string, fail: Fail): Uint8Array {
  if (count(size, 'an uncompressed page size', fail) > MAX_PAGE_BYTES)
    fail(`a page claims ${String(size)} uncompressed bytes`);
  if (codec === 'UNCOMPRESSED') return bytes;
  const inflate = Object.hasOwn(PAGE_DECOMPRESSORS, codec) ? PAGE_DECOMPRESSORS[codec] : undefined;
  if (inflate === undefined) fail(`codec ${codec} is not supported`);
  try {
    return inflate(bytes, size as number);
  } catch (error) {
    fail(`a ${codec === 'SNAPPY' ? 'Snappy' : codec} page does not decompress (${(error as Error).message})`);
  }
}

/** A column chunk as the guard checked it: its pages (headers and bytes as stored) and where its rows start. */
export interface CheckedChunk {
  readonly rowStart: number;
  readonly codec: string;
  readonly pages: readonly { readonly header: PageHeader; readonly bytes: Uint8Array }[];
  /** `E_INPUT_FORMAT` naming the file, the column and the row group. */
  readonly fail: Fail;
}

/**
 * Check the row counts, the column chunks of `columns` (flat columns of `schema`) and every page in them.
 * `buffer` is the whole file. Throws `E_INPUT_FORMAT` naming `file` and the column. A v2 page of values
 * that are not dictionary indices is decompressed only with `decompressAll` (hyparquet decompresses it
 * anyway; this names the column of a page that does not decompress). Returns each column's chunks in
 * row-group order, for a reader that decodes them without reading the page headers again.
 */
export function assertParquetStructure(
  file: string,
  buffer: ArrayBuffer,
  metadata: FileMetaData,
  columns: ReadonlyMap<string, SchemaElement>,
  { decompressAll = false }: { readonly decompressAll?: boolean } = {},
): Map<string, CheckedChunk[]> {
  const whole = new Uint8Array(buffer);
  const fileFail: Fail = (message) => {
    throw new QuantError('E_INPUT_FORMAT', `${file}: damaged Parquet file: ${message}`, {
      location: { file },
      hint: 'the file is truncated or corrupt: write it again',
    });
  };
  const rows = Number(metadata.num_rows);
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > MAX_ROWS)
    fileFail(`it claims ${String(metadata.num_rows)} rows`);
  // hyparquet counts a repeated root as a level of repetition of every column: levels the checks below
  // would not walk (a fuzzed root made it grow an array until V8 aborted the process).
  if (metadata.schema[0]?.repetition_type === 'REPEATED') fileFail('its schema root is a repeated field');
  const inGroups = metadata.row_groups.reduce((s, g) => s + Number(g.num_rows), 0);
  if (inGroups !== rows) fileFail(`its row groups hold ${inGroups} rows, its footer says ${rows}`);
  const checked = new Map<string, CheckedChunk[]>();
  let rowStart = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    for (const chunk of group.columns) {
      // A damaged footer may give `false` or a number for the metadata or its path: no column then.
      const meta = typeof chunk.meta_data === 'object' ? chunk.meta_data : undefined;
      const name = Array.isArray(meta?.path_in_schema) ? meta.path_in_schema.join('.') : '?';
      const element = columns.get(name);
      if (meta === undefined || element === undefined) continue;
      const fail: Fail = (message) => {
        throw new QuantError(
          'E_INPUT_FORMAT',
          `${file} column ${name}: damaged Parquet file: ${message} (row group ${g + 1})`,
          {
            location: { file, column: name },
            hint: 'the file is truncated or corrupt: write it again',
          },
        );
      };
      if (meta.codec !== 'UNCOMPRESSED' && !Object.hasOwn(PAGE_DECOMPRESSORS, meta.codec)) {
        // A sound file in a codec the reader lacks: not the damaged-file error and its hint.
        throw new QuantError(
          'E_INPUT_FORMAT',
          `${file} column ${name}: unsupported Parquet compression ${String(meta.codec)}`,
          { location: { file, column: name }, hint: CODEC_HINT },
        );
      }
      if (element.repetition_type === 'REPEATED') fail('a repeated (list) column');
      const expected = Number(meta.num_values);
      if (expected !== Number(group.num_rows))
        fail(`the column has ${expected} values for ${Number(group.num_rows)} rows`);
      const dictionary = meta.dictionary_page_offset === undefined ? 0 : Number(meta.dictionary_page_offset);
      const start = dictionary > 0 ? dictionary : Number(meta.data_page_offset);
      const end = start + Number(meta.total_compressed_size);
      if (!(start >= 4 && end <= whole.length - 8 && end >= start))
        fail(`its pages [${start}, ${end}) lie outside the file`);
      const shape: ColumnShape = {
        maxDef: element.repetition_type === 'REQUIRED' ? 0 : 1,
        type: element.type,
        decompressAll,
      };
      const reader = { view: new DataView(buffer, 0, end), offset: start };
      const pages: { header: PageHeader; bytes: Uint8Array }[] = [];
      let seen = 0;
      while (seen < expected) {
        let header: PageHeader;
        try {
          header = parquetHeader(reader);
        } catch (error) {
          fail(`unreadable page header at byte ${reader.offset} (${(error as Error).message})`);
        }
        const size = count(header.compressed_page_size, 'a compressed page size', fail);
        if (reader.offset + size > end) fail(`a page of ${size} bytes runs past its column chunk`);
        const bytes = whole.subarray(reader.offset, reader.offset + size);
        reader.offset += size;
        pages.push({ header, bytes });
        if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
          seen += checkDataPage(bytes, header, shape, meta.codec, fail);
          if (seen > expected) fail(`its pages hold more than the ${expected} values of the column`);
        } else if (header.type === 'DICTIONARY_PAGE') {
          const n = count(header.dictionary_page_header?.num_values, 'the size of a dictionary', fail);
          if (n > MAX_ROWS) fail(`a dictionary of ${n} values`);
          decompress(bytes, header.uncompressed_page_size, meta.codec, fail);
        }
      }
      const list = checked.get(name) ?? [];
      list.push({ rowStart, codec: meta.codec, pages, fail });
      checked.set(name, list);
    }
    rowStart += Number(group.num_rows);
  }
  return checked;
}
