// Workspace confinement carried by the async context: inside runConfined every reader and writer of the
// artifacts layer refuses a path outside the root, lexically or through a symlink; outside it nothing
// is refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertConfined,
  confinementRoot,
  readTable,
  runConfined,
  sha256File,
  writeFileAtomic,
} from '../../../src/artifacts/index.js';
import { quantError, tempDir } from './_temp.js';
import type { ErrorCode } from '../../../src/errors.js';

const CSV = 'date,A,B\n2024-01-01,1,2\n2024-01-02,1.1,2.1\n2024-01-03,1.2,2.0\n';

function setup(): { ws: string; outside: string } {
  const ws = tempDir('mf-confine-');
  const outside = tempDir('mf-confine-outside-');
  writeFileSync(join(outside, 'prices.csv'), CSV);
  mkdirSync(join(ws, 'data'));
  writeFileSync(join(ws, 'data', 'prices.csv'), CSV);
  symlinkSync(join(outside, 'prices.csv'), join(ws, 'data', 'linked.csv'));
  symlinkSync(outside, join(ws, 'out'));
  return { ws, outside };
}

describe('runConfined', () => {
  test('readers refuse a file outside the root or behind a symlink pointing out', async () => {
    const { ws, outside } = setup();
    await runConfined(ws, async () => {
      assert.equal(confinementRoot(), ws, 'confinementRoot()');
      assert.equal(
        (await readTable(join(ws, 'data', 'prices.csv'))).columns.length,
        2,
        "(await readTable(join(ws, 'data', 'prices.csv'))).columns.length",
      );
      await assert.rejects(
        readTable(join(outside, 'prices.csv')),
        quantError('E_PATH_ESCAPE', /refused to read .*prices\.csv: it lies outside the workspace/),
        'readTable rejects with E_PATH_ESCAPE',
      );
      await assert.rejects(
        readTable(join(ws, 'data', 'linked.csv')),
        quantError(
          'E_PATH_ESCAPE',
          /refused to read data\/linked\.csv: it resolves through a symlink to .*prices\.csv/,
        ),
        'readTable rejects with E_PATH_ESCAPE',
      );
      await assert.rejects(
        sha256File('/etc/passwd'),
        quantError('E_PATH_ESCAPE', /refused to read \/etc\/passwd/),
        'sha256File rejects with E_PATH_ESCAPE',
      );
    });
  });

  test('writers refuse a target whose parent is a symlink out; nothing is written there', async () => {
    const { ws, outside } = setup();
    await runConfined(ws, async () => {
      await assert.rejects(
        writeFileAtomic(join(ws, 'out', 'x.json'), '{}'),
        quantError('E_PATH_ESCAPE', /refused to write out\/x\.json: it resolves through a symlink/),
        'writeFileAtomic rejects with E_PATH_ESCAPE',
      );
      await writeFileAtomic(join(ws, 'data', 'ok.json'), '{}');
    });
    assert.equal(existsSync(join(outside, 'x.json')), false, 'nothing written outside');
    assert.equal(existsSync(join(ws, 'data', 'ok.json')), true, 'writes inside pass');
  });

  test('the confinement follows async calls and ends with the call; a nested root must lie inside', async () => {
    const { ws, outside } = setup();
    assert.equal(confinementRoot(), undefined, 'confinementRoot()');
    await assertConfined(join(outside, 'prices.csv'), 'read'); // not confined: allowed
    await runConfined(ws, async () => {
      await new Promise((r) => setImmediate(r));
      await Promise.all([
        assert.rejects(
          assertConfined(join(outside, 'a'), 'read'),
          quantError('E_PATH_ESCAPE'),
          'assertConfined rejects with E_PATH_ESCAPE',
        ),
        runConfined(join(ws, 'data'), async () => {
          await assert.rejects(
            assertConfined(join(ws, 'manifest.json'), 'read'),
            quantError('E_PATH_ESCAPE'),
            'assertConfined rejects with E_PATH_ESCAPE',
          );
        }),
      ]);
      await assert.rejects(
        runConfined(outside, async () => undefined),
        quantError('E_PATH_ESCAPE'),
        'runConfined rejects with E_PATH_ESCAPE',
      );
    });
    assert.equal(confinementRoot(), undefined, 'no confinement after the call');
  });
});

describe('names Node refuses', () => {
  test('a NUL in a path is E_PARAMS and a name too long E_WORKSPACE_IO, confined or not — never a TypeError', async () => {
    const { ws } = setup();
    const nul = join(ws, 'data', 'prices.csv\0.csv');
    const long = join(ws, 'data', `${'a'.repeat(5000)}.csv`);
    const coded = async (what: string, fn: () => Promise<unknown>, code: ErrorCode): Promise<void> => {
      await assert.rejects(fn, quantError(code), `${what}: ${code}`);
    };
    await runConfined(ws, async () => {
      await coded('confined NUL', () => assertConfined(nul, 'read'), 'E_PARAMS');
      await coded('confined long name', () => assertConfined(long, 'read'), 'E_WORKSPACE_IO');
    });
    await coded('a table read through a NUL', () => readTable(nul), 'E_PARAMS');
  });
});
