import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_MAX_INPUT_BYTES,
  formatSize,
  maxInputBytes,
  readInputBytes,
  readInputText,
} from '../../../src/artifacts/input-file.js';
import { SYNC_READ_LIMIT } from '../../../src/artifacts/read-once.js';
import type { QuantError } from '../../../src/errors.js';
import { quantError, tempDir } from './_temp.js';

describe('input files', () => {
  test('QUANT_MAX_INPUT_BYTES: bytes or k/M/G, 256 MiB by default, anything else E_USAGE', () => {
    assert.equal(maxInputBytes({}), DEFAULT_MAX_INPUT_BYTES, 'maxInputBytes({})');
    assert.equal(DEFAULT_MAX_INPUT_BYTES, 268_435_456, 'DEFAULT_MAX_INPUT_BYTES');
    assert.equal(
      maxInputBytes({ QUANT_MAX_INPUT_BYTES: '1000' }),
      1000,
      "maxInputBytes({ QUANT_MAX_INPUT_BYTES: '1000' })",
    );
    assert.equal(
      maxInputBytes({ QUANT_MAX_INPUT_BYTES: '2k' }),
      2048,
      "maxInputBytes({ QUANT_MAX_INPUT_BYTES: '2k' })",
    );
    assert.equal(
      maxInputBytes({ QUANT_MAX_INPUT_BYTES: '512M' }),
      512 * 1024 ** 2,
      "maxInputBytes({ QUANT_MAX_INPUT_BYTES: '512M' })",
    );
    assert.equal(
      maxInputBytes({ QUANT_MAX_INPUT_BYTES: '1GiB' }),
      1024 ** 3,
      "maxInputBytes({ QUANT_MAX_INPUT_BYTES: '1GiB' })",
    );
    for (const bad of ['0', '-5', 'lots', '1.5G', '1T'])
      assert.throws(() => maxInputBytes({ QUANT_MAX_INPUT_BYTES: bad }), quantError('E_USAGE'), bad);
  });

  test('sizes read as people say them, with the exact count', () => {
    assert.equal(formatSize(1023), '1,023 bytes', 'formatSize(1023)');
    assert.equal(formatSize(1536), '1.5 KiB (1,536 bytes)', 'formatSize(1536)');
    assert.equal(formatSize(629_145_600), '600 MiB (629,145,600 bytes)', 'formatSize(629_145_600)');
  });

  test('a file above the limit is E_INPUT_TOO_LARGE naming both sizes; at the limit it is read', async () => {
    const file = join(tempDir(), 'x.csv');
    writeFileSync(file, 'a'.repeat(100));
    const env = { QUANT_MAX_INPUT_BYTES: '99' };
    await assert.rejects(
      readInputBytes(file, env),
      quantError('E_INPUT_TOO_LARGE', /x\.csv is 100 bytes, above the input limit of 99 bytes/),
      'readInputBytes rejects with E_INPUT_TOO_LARGE',
    );
    assert.equal(
      (await readInputBytes(file, { QUANT_MAX_INPUT_BYTES: '100' })).length,
      100,
      "(await readInputBytes(file, { QUANT_MAX_INPUT_BYTES: '100' })).length",
    );
  });

  test('files on both sides of the synchronous-read size are read whole, and refused above the limit', async () => {
    // Up to SYNC_READ_LIMIT the bytes come from synchronous reads, above it from asynchronous ones.
    const dir = tempDir();
    for (const size of [SYNC_READ_LIMIT, SYNC_READ_LIMIT + 1]) {
      const file = join(dir, `s${size}.csv`);
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 251;
      writeFileSync(file, bytes);
      const read = await readInputBytes(file);
      assert.equal(read.length, size, `${size} bytes read`);
      assert.ok(Buffer.from(read).equals(bytes), `the ${size} bytes read are those of the file`);
      await assert.rejects(
        readInputBytes(file, { QUANT_MAX_INPUT_BYTES: String(size - 1) }),
        quantError(
          'E_INPUT_TOO_LARGE',
          new RegExp(`above the input limit of .*\\(${(size - 1).toLocaleString('en-US')} bytes\\)`),
        ),
        `a file of ${size} bytes above a limit of ${size - 1} is E_INPUT_TOO_LARGE`,
      );
    }
  });

  test('text must be UTF-8: E_INPUT_ENCODING names the line and the bytes', async () => {
    const file = join(tempDir(), 'l.csv');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('date,A\n2024-01-01,'), Buffer.from([0xff]), Buffer.from('\n')]),
    );
    await assert.rejects(
      readInputText(file),
      quantError('E_INPUT_ENCODING', /l\.csv:2: not valid UTF-8, byte 12 of the line \(0xff\)/),
      'readInputText rejects with E_INPUT_ENCODING',
    );
  });

  test('a UTF-16 file (either byte order mark) is told to convert from UTF-16, not from Latin-1', async () => {
    const dir = tempDir();
    const text = 'date,A\n2024-01-01,1\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(2)).swap16();
    const files: Array<[string, Buffer]> = [
      ['le.csv', le],
      ['be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
    ];
    for (const [name, bytes] of files) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      await assert.rejects(
        readInputText(file),
        (e: unknown) =>
          quantError('E_INPUT_ENCODING', /:1: not valid UTF-8/)(e) &&
          /UTF-16 .*`iconv -f utf-16 -t utf-8 in\.csv > out\.csv`/.test((e as QuantError).hint ?? ''),
        name,
      );
    }
    const latin = join(dir, 'latin.csv');
    writeFileSync(latin, Buffer.from([0x64, 0xfc, 0x0a]));
    await assert.rejects(
      readInputText(latin),
      (e: unknown) => /iconv -f latin1/.test((e as QuantError).hint ?? ''),
      'other bytes keep the Latin-1 example',
    );
  });

  test('a missing file or a folder is a coded error naming the path', async () => {
    const dir = tempDir();
    await assert.rejects(
      readInputBytes(join(dir, 'none.csv')),
      quantError('E_WORKSPACE_IO', /none\.csv/),
      'readInputBytes rejects with E_WORKSPACE_IO',
    );
    await assert.rejects(
      readInputBytes(dir),
      quantError('E_WORKSPACE_IO', /EISDIR/),
      'readInputBytes rejects with E_WORKSPACE_IO',
    );
  });
});
