// portfolio.optimize's `assets` param names each column once: a column named twice would be optimised as
// two assets and written as one (weights summing below 1), so it is refused before anything is read, as
// a manifest's sleeve refuses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { isQuantError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/cli.js';

test('a duplicate asset is E_PARAMS at its index, naming the first, and no run is left', async () => {
  const ws = tempDir('mf-optimize-assets-');
  try {
    await assert.rejects(
      QuantSDK.runStage(
        'portfolio.optimize',
        { input: 'missing.csv', assets: ['SBI', 'SPI', 'SBI'], method: 'min_variance' },
        { workspace: ws.path, runId: 'dup' },
      ),
      (e: unknown) =>
        isQuantError(e) &&
        e.code === 'E_PARAMS' &&
        /assets\[2\]: duplicate asset "SBI" \(also assets\[0\]\)/.test(e.message),
      'E_PARAMS naming the second occurrence and the first',
    );
    assert.equal(existsSync(join(ws.path, 'runs', 'dup')), false, 'no run folder');
  } finally {
    ws.cleanup();
  }
});
