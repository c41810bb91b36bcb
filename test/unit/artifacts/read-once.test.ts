// Read-once inputs: a meta run reads each file of its sleeve runs from the disk once (streams, weights,
// ledgers, run.json), counted on the `metafolio:input-read` diagnostics channel; the ledger still records
// the SHA-256 of the bytes on disk; a file that changes is read again; outside a run every call reads.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { QuantSDK } from '../../../src/index.js';
import { readInputBytes } from '../../../src/artifacts/input-file.js';
import { readOnceScope, SYNC_READ_LIMIT } from '../../../src/artifacts/read-once.js';
import { sha256Input, writeFileAtomic } from '../../../src/artifacts/index.js';
import { readPhysicalWeights } from '../../../src/artifacts/sleeve-run.js';
import { buildMetaWorkspace } from '../../helpers/meta-workspace.js';
import { quantError, tempDir } from './_temp.js';

interface ReadEvent {
  readonly path: string;
  readonly bytes: number;
  readonly purpose: 'read' | 'hash';
}

/** Every disk read published while `fn` runs. */
async function recordReads<T>(fn: () => Promise<T>): Promise<{ value: T; reads: ReadEvent[] }> {
  const reads: ReadEvent[] = [];
  const onRead = (message: unknown): void => {
    reads.push(message as ReadEvent);
  };
  subscribe('metafolio:input-read', onRead);
  try {
    return { value: await fn(), reads };
  } finally {
    unsubscribe('metafolio:input-read', onRead);
  }
}

function countByPath(reads: readonly ReadEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of reads) out.set(r.path, (out.get(r.path) ?? 0) + 1);
  return out;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('read-once inputs', () => {
  test('a meta run reads every file of its sleeve runs from the disk once', async () => {
    const ws = tempDir('mf-read-once-');
    await buildMetaWorkspace(ws);
    const { value: run, reads } = await recordReads(() =>
      QuantSDK.runMeta('meta_root', {
        workspace: ws,
        runId: 'once',
        env: { SOURCE_DATE_EPOCH: '1767225600' },
      }),
    );
    assert.ok(run.stages.length > 0, 'the meta run ran its stages');
    const sleeveReads = reads.filter((r) => {
      const rel = relative(join(ws, 'runs'), r.path);
      return !rel.startsWith('..') && !rel.startsWith(`once${sep}`);
    });
    const counts = countByPath(sleeveReads);
    const twice = [...counts].filter(([, n]) => n > 1).map(([p, n]) => `${relative(ws, p)} x${n}`);
    assert.deepEqual(
      twice,
      [],
      `each sleeve-run file is read once per run; read more often: ${twice.join(', ')}`,
    );
    // What the count covers: streams (native and predecessor), weights, ledgers and run.json files.
    const kinds = new Set([...counts.keys()].map((p) => p.split(sep).slice(-2).join('/')));
    for (const kind of ['returns/hrp.parquet', 'data/portfolio_flattened.json']) {
      assert.ok(kinds.has(kind), `${kind} was read (files read: ${[...kinds].join(', ')})`);
    }
    const names = new Set([...counts.keys()].map((p) => p.split(sep).pop()));
    for (const name of ['audit.jsonl', 'run.json']) {
      assert.ok(names.has(name), `${name} of a sleeve run was read (files read: ${[...names].join(', ')})`);
    }
  });

  test('the ledger records the SHA-256 of the stream files as they are on disk', async () => {
    const ws = tempDir('mf-read-once-ledger-');
    await buildMetaWorkspace(ws);
    const run = await QuantSDK.runMeta('meta_root', {
      workspace: ws,
      runId: 'hashes',
      cache: false,
      backtest: false,
      env: { SOURCE_DATE_EPOCH: '1767225600' },
    });
    assert.ok(run.stages.length > 0, 'the meta run ran its stages');
    const records = readFileSync(join(ws, 'runs', 'hashes', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { data?: { inputs?: { path: string; sha256: string }[] } });
    const inputs = records.flatMap((r) => r.data?.inputs ?? []).filter((f) => f.path.endsWith('.parquet'));
    const streams = inputs.filter((f) => f.path.includes('/data/returns/'));
    assert.ok(streams.length > 0, 'the ledger names the sleeve streams read');
    for (const f of streams) {
      assert.equal(f.sha256, sha256(join(ws, f.path)), `${f.path}: recorded hash = hash of the file`);
    }
  });

  test('in a scope a file is read once; a rewritten or grown file is read again', async () => {
    const dir = tempDir('mf-read-once-file-');
    const file = join(dir, 'a.csv');
    writeFileSync(file, 'date,x\n2024-01-01,1\n');
    const { reads } = await recordReads(() =>
      readOnceScope(async () => {
        const first = await readInputBytes(file);
        const second = await readInputBytes(file);
        assert.equal(second, first, 'the second read returns the same bytes');
        assert.equal(await sha256Input(file), sha256(file), 'the hash is that of the file');
        // Same size, new content, written by this process (rename over the path).
        await writeFileAtomic(file, 'date,x\n2024-01-01,2\n');
        assert.equal(
          Buffer.from(await readInputBytes(file)).toString(),
          'date,x\n2024-01-01,2\n',
          'new bytes',
        );
        // Written by someone else, in place: the size differs.
        writeFileSync(file, 'date,x\n2024-01-01,30\n');
        assert.equal(Buffer.from(await readInputBytes(file)).toString(), 'date,x\n2024-01-01,30\n', 'grown');
        assert.equal(await sha256Input(file), sha256(file), 'the hash follows the file');
      }),
    );
    assert.deepEqual(
      reads.map((r) => r.purpose),
      ['read', 'read', 'read'],
      'three reads from the disk: the first, after the rewrite, after the growth (hashes from the bytes read)',
    );
  });

  test('hashes of files on both sides of the synchronous-read size are those of the bytes on disk', async () => {
    // Up to SYNC_READ_LIMIT a file is hashed from synchronous reads, above it from a stream.
    const dir = tempDir('mf-read-once-hash-');
    for (const size of [0, SYNC_READ_LIMIT, SYNC_READ_LIMIT + 1]) {
      const file = join(dir, `h${size}.bin`);
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 251;
      writeFileSync(file, bytes);
      assert.equal(await sha256Input(file), sha256(file), `${size} bytes outside a scope`);
      assert.equal(
        await readOnceScope(() => sha256Input(file)),
        sha256(file),
        `${size} bytes in a scope, nothing read before`,
      );
    }
    await assert.rejects(
      readOnceScope(() => sha256Input(join(dir, 'missing.bin'))),
      quantError('E_INPUT_NOT_FOUND', /missing\.bin: the file does not exist/),
      'a missing file is E_INPUT_NOT_FOUND',
    );
  });

  test('the same parsed weights are shared in a scope; outside a scope every call reads', async () => {
    const ws = tempDir('mf-read-once-weights-');
    await buildMetaWorkspace(ws);
    const runPath = join(ws, 'runs', 'gamma_20240101-000000');
    const inside = await recordReads(() =>
      readOnceScope(async () => [await readPhysicalWeights(runPath), await readPhysicalWeights(runPath)]),
    );
    const [a, b] = inside.value;
    assert.ok(a !== null && a !== undefined && a === b, 'one parsed value for both calls');
    assert.ok(Object.isFrozen(a.profiles.get('hrp')), 'the shared rows are frozen');
    assert.equal(inside.reads.length, 1, 'one read in a scope');
    const outside = await recordReads(async () => {
      await readPhysicalWeights(runPath);
      await readPhysicalWeights(runPath);
    });
    assert.equal(outside.reads.length, 2, 'two reads outside a scope');
  });
});
