// QuantSDK.readArtifact (MCP resources/read, `quant runs show R/path`) serves what the run listing shows:
// files and folders. Run bookkeeping (hidden files: the lock) is not an artifact, and a FIFO someone
// placed in a run folder is refused at once instead of blocking the read (and the MCP server) for ever —
// the same answers as the web workbench's downloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK, isQuantError } from '../../../src/index.js';
import { writeParquetRecords } from '../../../src/artifacts/index.js';
import { tempDir } from '../../helpers/cli.js';

test('a FIFO and hidden files of a run are E_ARTIFACT_MISSING; files and folders are served', async () => {
  const ws = tempDir('mf-artifact-files-');
  try {
    const run = join(ws.path, 'runs', 'r1');
    mkdirSync(join(run, 'data'), { recursive: true });
    writeFileSync(join(run, 'run.json'), '{}');
    writeFileSync(join(run, 'data', 'w.json'), '{"a":1}');
    writeFileSync(join(run, '.lock'), '{"pid":1}');
    writeFileSync(join(run, 'data', '.hidden.json'), '{"secret":1}');
    execFileSync('mkfifo', [join(run, 'data', 'fifo.json')]);
    const read = (path: string) => QuantSDK.readArtifact('r1', path, { workspace: ws.path });
    for (const path of ['data/fifo.json', '.lock', 'data/.hidden.json']) {
      await assert.rejects(
        read(path),
        (e: unknown) => isQuantError(e) && e.code === 'E_ARTIFACT_MISSING',
        `${path} is not an artifact`,
      );
    }
    assert.deepEqual(
      await read('data/w.json'),
      { kind: 'json', address: 'quant://runs/r1/data/w.json', value: { a: 1 } },
      'a file',
    );
    assert.equal((await read('data')).kind, 'listing', 'a folder');
  } finally {
    ws.cleanup();
  }
});

test('a Parquet record table without a date column is shown with its shape and first rows', async () => {
  const ws = tempDir('mf-artifact-records-');
  try {
    const data = join(ws.path, 'runs', 'r1', 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(ws.path, 'runs', 'r1', 'run.json'), '{}');
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    await writeParquetRecords(join(data, 'meta_attribution_m_hrp.parquet'), [
      { name: 'level', type: 'string', values: names.map((_, i) => (i < 2 ? 'sleeve' : 'leaf')) },
      { name: 'name', type: 'string', values: names },
      { name: 'weight', type: 'double', values: Float64Array.from(names, (_, i) => i / 10) },
      { name: 'vol_share', type: 'double', values: Float64Array.from(names, (_, i) => (i === 1 ? NaN : i)) },
    ]);
    const view = await QuantSDK.readArtifact('r1', 'data/meta_attribution_m_hrp.parquet', {
      workspace: ws.path,
    });
    assert.deepEqual(
      view,
      {
        kind: 'table',
        address: 'quant://runs/r1/data/meta_attribution_m_hrp.parquet',
        format: 'parquet',
        shape: [7, 4],
        columns: ['level', 'name', 'weight', 'vol_share'],
        head: [
          { level: 'sleeve', name: 'a', weight: 0, vol_share: 0 },
          { level: 'sleeve', name: 'b', weight: 0.1, vol_share: null },
          { level: 'leaf', name: 'c', weight: 0.2, vol_share: 2 },
          { level: 'leaf', name: 'd', weight: 0.3, vol_share: 3 },
          { level: 'leaf', name: 'e', weight: 0.4, vol_share: 4 },
        ],
      },
      'seven rows of four columns, the first five shown, a missing value as null',
    );
  } finally {
    ws.cleanup();
  }
});
