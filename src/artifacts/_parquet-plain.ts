/**
 * The common Parquet columns decoded straight into typed arrays: a flat DOUBLE column without a logical
 * type (missing values as NaN) and a flat INT32 DATE column without nulls (day numbers), every data page
 * PLAIN-encoded, v1 or v2, Snappy or uncompressed — metafolio's own files, and pyarrow's or DuckDB's
 * without dictionary encoding. hyparquet decodes such a column through one JavaScript array entry per
 * value (its list assembly), which was most of a meta run's Parquet reading; these are the same numbers,
 * bit for bit, from one copy of the page's bytes. Any other column — another type or encoding, a
 * dictionary page, a page that does not add up — is `undefined` here and left to hyparquet, so its
 * results and its errors stay hyparquet's. Only pages the guard (`_parquet-guard.ts`) has checked reach
 * this module.
 */
import type { PageHeader, SchemaElement } from 'hyparquet';
import { decompress, definitionLevels, type CheckedChunk } from './_parquet-guard.js';

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

/** A data page's values (PLAIN bytes from `start`), its definition levels if it has nulls, and its counts. */
interface PageValues {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly count: number;
  readonly present: number;
  readonly levels: Uint8Array | undefined;
}

function pageValues(
  header: PageHeader,
  stored: Uint8Array,
  chunk: CheckedChunk,
  maxDef: number,
): PageValues | undefined {
  const v2 = header.data_page_header_v2;
  const v1 = header.data_page_header;
  if (header.type === 'DATA_PAGE_V2' && v2 !== undefined) {
    if (v2.encoding !== 'PLAIN' || (v2.repetition_levels_byte_length ?? 0) !== 0) return undefined;
    const count = v2.num_values;
    const def = v2.definition_levels_byte_length ?? 0;
    const levels = maxDef > 0 ? definitionLevels(stored, 0, def, count, chunk.fail) : undefined;
    const body = stored.subarray(def);
    const size = header.uncompressed_page_size - def;
    const bytes =
      v2.is_compressed !== false && size > 0 ? decompress(body, size, chunk.codec, chunk.fail) : body;
    return { bytes, start: 0, count, present: levels?.present ?? count, levels: levels?.levels };
  }
  if (header.type === 'DATA_PAGE' && v1 !== undefined) {
    if (v1.encoding !== 'PLAIN') return undefined;
    const count = v1.num_values;
    const bytes = decompress(stored, header.uncompressed_page_size, chunk.codec, chunk.fail);
    if (maxDef === 0) return { bytes, start: 0, count, present: count, levels: undefined };
    if (v1.definition_level_encoding !== 'RLE' || bytes.length < 4) return undefined;
    const length = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    if (4 + length > bytes.length) return undefined;
    const levels = definitionLevels(bytes, 4, 4 + length, count, chunk.fail);
    return { bytes, start: 4 + length, count, present: levels.present, levels: levels.levels };
  }
  return undefined;
}

/** The page's values as a typed array of `count` entries (NaN where a double is null). */
function decodePage(page: PageValues, kind: Kind): Float64Array | Int32Array | undefined {
  const { bytes, start, count, present, levels } = page;
  const width = kind === 'double' ? 8 : 4;
  if (present * width > bytes.length - start) return undefined;
  const at = bytes.byteOffset + start;
  if (present === count) {
    // One copy of the page's little-endian values (the copy is aligned whatever the page's offset).
    const copy = bytes.buffer.slice(at, at + count * width);
    return kind === 'double' ? new Float64Array(copy) : new Int32Array(copy);
  }
  if (kind === 'days' || levels === undefined) return undefined;
  const view = new DataView(bytes.buffer, at, present * 8);
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < count; i++) out[i] = levels[i] === 1 ? view.getFloat64(8 * k++, true) : Number.NaN;
  return out;
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
    for (const { header, bytes } of chunk.pages) {
      if (header.type === 'DICTIONARY_PAGE') return undefined;
      const page = pageValues(header, bytes, chunk, maxDef);
      const data = page === undefined ? undefined : decodePage(page, kind);
      if (data === undefined) return undefined;
      out.push({ data, rowStart: row });
      row += data.length;
    }
  }
  return out;
}
