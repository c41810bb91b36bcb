import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  formatJson,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFilesAtomic,
  writeJsonAtomic,
} from '../../../src/artifacts/atomic-write.js';
import { sha256File, sha256Hex } from '../../../src/artifacts/hash.js';
import { quantError, tempDir } from './_temp.js';

describe('writeFileAtomic', () => {
  test('creates parent folders and writes strings and bytes; leaves no temp file', async () => {
    const dir = tempDir();
    const file = join(dir, 'a', 'b', 'x.txt');
    await writeFileAtomic(file, 'héllo');
    assert.equal(readFileSync(file, 'utf8'), 'héllo', "readFileSync(file, 'utf8')");
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(file)], [1, 2, 3], '[...readFileSync(file)]');
    assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['x.txt'], "readdirSync(join(dir, 'a', 'b'))");
  });

  test('sync variant replaces an existing file', () => {
    const dir = tempDir();
    const file = join(dir, 'y.json');
    writeFileSync(file, 'old');
    writeFileAtomicSync(file, 'new');
    assert.equal(readFileSync(file, 'utf8'), 'new', "readFileSync(file, 'utf8')");
    assert.deepEqual(readdirSync(dir), ['y.json'], 'readdirSync(dir)');
  });

  test('a failed rename is E_OUTPUT and removes the temp file', async () => {
    const dir = tempDir();
    const target = join(dir, 'occupied');
    mkdirSync(join(target, 'child'), { recursive: true }); // rename(file, non-empty dir) fails
    await assert.rejects(
      writeFileAtomic(target, 'x'),
      quantError('E_OUTPUT', /occupied/),
      'writeFileAtomic rejects with E_OUTPUT',
    );
    assert.throws(
      () => writeFileAtomicSync(target, 'x'),
      quantError('E_OUTPUT'),
      'writeFileAtomicSync throws E_OUTPUT',
    );
    assert.deepEqual(readdirSync(dir), ['occupied'], 'readdirSync(dir)');
  });

  test('a parent that is a file is E_OUTPUT', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), '');
    await assert.rejects(
      writeFileAtomic(join(dir, 'f', 'x.txt'), 'x'),
      quantError('E_OUTPUT'),
      'writeFileAtomic rejects with E_OUTPUT',
    );
  });

  test('SIGKILL during rewrites leaves the old or the new content, never a torn file', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.txt');
    const script = fileURLToPath(new URL('./fixtures/atomic-writer.ts', import.meta.url));
    for (let round = 1; round <= 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, file], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // Killed as soon as it starts rewrite `round` (after `round - 1` complete rewrites): the kill lands
      // in the middle of a write on any machine, at a point that differs from round to round.
      let out = '';
      await new Promise<void>((res) =>
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(`writing ${round}\n`)) res();
        }),
      );
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      const content = readFileSync(file, 'utf8');
      assert.equal(content.length, 4_000_000, 'the file keeps its full length');
      assert.ok(
        content === 'A'.repeat(4_000_000) || content === 'B'.repeat(4_000_000),
        'content is one whole version',
      );
    }
  });
});

describe('writeFilesAtomic', () => {
  test('writes every file (new folders, strings and bytes, replacing old ones); leaves no temp file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'old.json'), 'old');
    const files = new Map<string, string | Uint8Array>();
    for (let i = 0; i < 40; i++) files.set(join(dir, `sub${i % 3}`, `f${i}.bin`), new Uint8Array([i, i + 1]));
    files.set(join(dir, 'data', 'old.json'), 'new');
    files.set(join(dir, 'data', 'ü.txt'), 'héllo');
    await writeFilesAtomic(files);
    for (const [path, data] of files)
      assert.deepEqual(readFileSync(path), Buffer.from(data), `${path} holds its data`);
    assert.deepEqual(readdirSync(join(dir, 'data')).sort(), ['old.json', 'ü.txt'], 'no temp file in data/');
    for (const sub of ['sub0', 'sub1', 'sub2'])
      assert.ok(
        readdirSync(join(dir, sub)).every((f) => /^f\d+\.bin$/.test(f)),
        `only the written files in ${sub}/`,
      );
  });

  test('one write fails: E_OUTPUT naming it after every other write settled, no temp file left', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'occupied', 'child'), { recursive: true }); // rename(file, non-empty dir) fails
    const files = new Map<string, string>([
      [join(dir, 'a.txt'), 'a'],
      [join(dir, 'occupied'), 'x'],
      [join(dir, 'b.txt'), 'b'],
    ]);
    await assert.rejects(
      writeFilesAtomic(files),
      quantError('E_OUTPUT', /occupied/),
      'rejects with E_OUTPUT',
    );
    assert.deepEqual(
      readdirSync(dir).sort(),
      ['a.txt', 'b.txt', 'occupied'],
      'the others are written, no temp',
    );
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'b', 'b.txt is whole');
  });

  test('a parent that is a file is E_OUTPUT before anything is written', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), '');
    const files = new Map([
      [join(dir, 'ok.txt'), 'ok'],
      [join(dir, 'f', 'x.txt'), 'x'],
    ]);
    await assert.rejects(writeFilesAtomic(files), quantError('E_OUTPUT'), 'rejects with E_OUTPUT');
    assert.deepEqual(readdirSync(dir), ['f'], 'no file written');
  });
});

describe('writeJsonAtomic', () => {
  test('2-space JSON with a trailing newline and full-precision numbers', async () => {
    const file = join(tempDir(), 'w.json');
    const w = 1 / 3;
    await writeJsonAtomic(file, { schema_version: 1, weights: new Float64Array([w, 1 - w]) });
    const text = readFileSync(file, 'utf8');
    assert.equal(
      text,
      '{\n  "schema_version": 1,\n  "weights": [\n    0.3333333333333333,\n    0.6666666666666667\n  ]\n}\n',
      'text',
    );
    assert.equal((JSON.parse(text) as { weights: number[] }).weights[0], w, '(JSON.parse(text)).weights[0]');
  });

  test('refuses NaN instead of writing null, naming the file and JSON path', async () => {
    const file = join(tempDir(), 'bad.json');
    await assert.rejects(
      writeJsonAtomic(file, { metrics: { sharpe: Number.NaN } }),
      quantError('E_OUTPUT', /bad\.json.*\$\.metrics\.sharpe/),
      'writeJsonAtomic rejects with E_OUTPUT',
    );
    assert.throws(
      () => formatJson([Infinity]),
      quantError('E_OUTPUT', /\$\[0\]/),
      'formatJson throws E_OUTPUT',
    );
  });
});

describe('sha256File', () => {
  test('equals sha256Hex of the bytes; a missing file is E_INPUT_NOT_FOUND', async () => {
    const file = join(tempDir(), 'h.bin');
    const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
    writeFileSync(file, bytes);
    assert.equal(await sha256File(file), sha256Hex(bytes), 'await sha256File(file)');
    await assert.rejects(
      sha256File(`${file}.missing`),
      quantError('E_INPUT_NOT_FOUND'),
      'sha256File rejects with E_INPUT_NOT_FOUND',
    );
  });
});
