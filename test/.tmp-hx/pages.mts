import { readFileSync } from 'node:fs';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
const bytes = new Uint8Array(Buffer.from(readFileSync('/tmp/hx/hang.b64', 'utf8').trim(), 'base64'));
const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const md = parquetMetadata(buf);
for (const rg of md.row_groups) for (const c of rg.columns) {
  const m = c.meta_data!;
  const reader = { view: new DataView(buf), offset: Number(m.dictionary_page_offset ?? m.data_page_offset) };
  const h = parquetHeader(reader);
  console.log(m.path_in_schema, m.num_values, JSON.stringify(h, (k, v) => typeof v === 'bigint' ? String(v) : v));
}
