/**
 * The common Parquet columns decoded straight into typed arrays: a flat DOUBLE column without a logical
 * type (missing values as NaN) and a flat INT32 DATE column without nulls (day numbers), every data page
 * PLAIN or dictionary-encoded (RLE_DICTIONARY / PLAIN_DICTIONARY indices into a PLAIN dictionary page),
 * v1 or v2, Snappy or uncompressed — metafolio's own files, pyarrow's (which encode with a dictionary by
 * default) and DuckDB's. hyparquet decodes such a column through one JavaScript array entry per value
 * (its list assembly), which was most of a meta run's Parquet reading; these are the same numbers, bit
 * for bit, from one copy of the page's values or one lookup per index. Any other column — another type or
 * encoding, a page that does not add up, an index past its dictionary — is `undefined` here and left to
 * hyparquet, so its results and its errors stay hyparquet's. Only pages the guard (`_parquet-guard.ts`)
 * has checked reach this module.
 */
import type { PageHeader, SchemaElement } from 'hyparquet';
import { decompress, definitionLevels, dictionaryIndices, type CheckedChunk } from './_parquet-guard.js';

/** A run of decoded rows of one column, from `rowStart` on. */
export interface PlainChunk {
  readonly data: Float64Array | Int32Array;
  readonly rowStart: number;
}

type Kind = 'double' | 'days';

function kindOf(element: SchemaElement): Kind | undefined {
  const { type, converted_type: ctype, logical_type: ltype } = element;
  if (element.repetition_type === 'REPEATED') return undefined;
  if (type === 'DOUBLE' && ctype === undefined && ltype === undefined) return 'double';
  if (type === 'INT32' && (ctype === 'DATE' || (ctype === undefined && ltype?.type === 'DATE')))
    return 'days';
  return undefined;
}

const widthOf = (kind: Kind): number => (kind === 'double' ? 8 : 4);

/** `count` little-endian values of `kind` from `bytes[start]` on, in one copy (aligned whatever the offset). */
function copyValues(bytes: Uint8Array, start: number, count: number, kind: Kind): Float64Array | Int32Array {
  const at = bytes.byteOffset + start;
  const copy = bytes.buffer.slice(at, at + count * widthOf(kind));
  return kind === 'double' ? new Float64Array(copy) : new Int32Array(copy);
}

/**
 * A data page's values: its bytes from `start` on (PLAIN values, or the bit width and runs of dictionary
 * indices), its definition levels if it has nulls, and its counts.
 */
interface PageValues {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly count: number;
  readonly present: number;
  readonly levels: Uint8Array | undefined;
  readonly indexed: boolean;
}

const isIndexed = (encoding: string): boolean =>
  encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY';

function pageValues(
  header: PageHeader,
  stored: Uint8Array,
  chunk: CheckedChunk,
  maxDef: number,
): PageValues | undefined {
  const v2 = header.data_page_header_v2;
  const v1 = header.data_page_header;
  if (header.type === 'DATA_PAGE_V2' && v2 !== undefined) {
    if ((v2.encoding !== 'PLAIN' && !isIndexed(v2.encoding)) || v2.repetition_levels_byte_length !== 0)
      return undefined;
    const count = v2.num_values;
    const def = v2.definition_levels_byte_length;
    const levels = maxDef > 0 ? definitionLevels(stored, 0, def, count, chunk.fail) : undefined;
    const body = stored.subarray(def);
    const size = header.uncompressed_page_size - def;
    const bytes =
      v2.is_compressed !== false && size > 0 ? decompress(body, size, chunk.codec, chunk.fail) : body;
    const present = levels?.present ?? count;
    return { bytes, start: 0, count, present, levels: levels?.levels, indexed: isIndexed(v2.encoding) };
  }
  if (header.type === 'DATA_PAGE' && v1 !== undefined) {
    if (v1.encoding !== 'PLAIN' && !isIndexed(v1.encoding)) return undefined;
    const count = v1.num_values;
    const indexed = isIndexed(v1.encoding);
    const bytes = decompress(stored, header.uncompressed_page_size, chunk.codec, chunk.fail);
    if (maxDef === 0) return { bytes, start: 0, count, present: count, levels: undefined, indexed };
    if (v1.definition_level_encoding !== 'RLE' || bytes.length < 4) return undefined;
    const length = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    if (4 + length > bytes.length) return undefined;
    const levels = definitionLevels(bytes, 4, 4 + length, count, chunk.fail);
    return { bytes, start: 4 + length, count, present: levels.present, levels: levels.levels, indexed };
  }
  return undefined;
}

/**
 * The page's values as a typed array of `count` entries (NaN where a double is null), looked up in
 * `dictionary` when the page holds indices.
 */
function decodePage(
  page: PageValues,
  kind: Kind,
  dictionary: Float64Array | Int32Array | undefined,
  chunk: CheckedChunk,
): Float64Array | Int32Array | undefined {
  const { bytes, start, count, present, levels } = page;
  if (kind === 'days' && present !== count) return undefined;
  let values: Float64Array | Int32Array;
  if (page.indexed) {
    if (dictionary === undefined) return undefined;
    const indices = present === 0 ? new Int32Array(0) : dictionaryIndices(bytes, start, present, chunk.fail);
    values = kind === 'double' ? new Float64Array(present) : new Int32Array(present);
    const size = dictionary.length;
    for (let k = 0; k < present; k++) {
      const index = indices[k] as number;
      // hyparquet would give `undefined` (a missing value) for it: left to hyparquet, as it is.
      if (index < 0 || index >= size) return undefined;
      values[k] = dictionary[index] as number;
    }
    if (present === count) return values;
  } else {
    if (present * widthOf(kind) > bytes.length - start) return undefined;
    if (present === count) return copyValues(bytes, start, count, kind);
    values = copyValues(bytes, start, present, kind);
  }
  if (levels === undefined) return undefined;
  const out = new Float64Array(count);
  for (let i = 0, k = 0; i < count; i++) out[i] = levels[i] === 1 ? (values[k++] as number) : Number.NaN;
  return out;
}

/** A dictionary page's PLAIN values, or `undefined` when it is not one this module reads. */
function dictionaryPage(
  header: PageHeader,
  stored: Uint8Array,
  chunk: CheckedChunk,
  kind: Kind,
): Float64Array | Int32Array | undefined {
  const dph = header.dictionary_page_header;
  if (dph === undefined || (dph.encoding !== 'PLAIN' && dph.encoding !== 'PLAIN_DICTIONARY'))
    return undefined;
  const bytes = decompress(stored, header.uncompressed_page_size, chunk.codec, chunk.fail);
  if (dph.num_values * widthOf(kind) > bytes.length) return undefined;
  return copyValues(bytes, 0, dph.num_values, kind);
}

/**
 * The column's rows from the guard's checked `chunks` (one per row group), or `undefined` when the column
 * is not one this module decodes (see the module comment) and hyparquet should.
 */
export function decodePlainColumn(
  element: SchemaElement,
  chunks: readonly CheckedChunk[],
  rowGroups: number,
): PlainChunk[] | undefined {
  const kind = kindOf(element);
  if (kind === undefined || chunks.length !== rowGroups) return undefined;
  const maxDef = element.repetition_type === 'REQUIRED' ? 0 : 1;
  const out: PlainChunk[] = [];
  for (const chunk of chunks) {
    let row = chunk.rowStart;
    let dictionary: Float64Array | Int32Array | undefined;
    for (const { header, bytes } of chunk.pages) {
      if (header.type === 'DICTIONARY_PAGE') {
        dictionary = dictionaryPage(header, bytes, chunk, kind);
        if (dictionary === undefined) return undefined;
        continue;
      }
      const page = pageValues(header, bytes, chunk, maxDef);
      const data = page === undefined ? undefined : decodePage(page, kind, dictionary, chunk);
      if (data === undefined) return undefined;
      out.push({ data, rowStart: row });
      row += data.length;
    }
  }
  return out;
}
