import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import { parseParquetTable } from '/work/main/src/artifacts/index.ts';
const bytes = Buffer.from(readFileSync('/tmp/hx/hang.b64', 'utf8').trim(), 'base64');
const u = new Uint8Array(bytes);
const md = parquetMetadata(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength));
console.log(JSON.stringify(md, (k, v) => typeof v === 'bigint' ? v.toString() : v).slice(0, 1500));
const t0 = Date.now();
setTimeout(() => { console.log('still running after', Date.now() - t0); process.exit(1); }, 4000).unref();
try { await parseParquetTable('x.parquet', u); console.log('ok'); } catch (e) { console.log('err', (e as Error).message); }
console.log(Date.now() - t0);
