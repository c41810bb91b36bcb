import { readdirSync, readFileSync } from 'node:fs';
import { parseParquetTable } from '../../src/artifacts/index.ts';
import { parquetMetadata } from 'hyparquet';
for (const f of readdirSync('/tmp/hx/duckout')) {
  const bytes = new Uint8Array(readFileSync('/tmp/hx/duckout/' + f));
  try {
    const t = await parseParquetTable(f, bytes);
    const nan = t.values.map((c) => c.filter(Number.isNaN).length);
    console.log(f, 'ok', t.dates.length, t.columns.join(','), 'nan', nan.join(','), t.dates[0], t.values[0]?.[1], t.values[1]?.[2]);
  } catch (e) { console.log(f, 'ERR', (e as Error).message); }
}
