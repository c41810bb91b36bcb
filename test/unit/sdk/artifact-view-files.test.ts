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
