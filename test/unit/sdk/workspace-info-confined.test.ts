// The web workbench's /api/info (QuantSDK.workspaceInfo, confined): a manifest.json that is a link out of
// the workspace is not read — its profiles never reach the client — and is reported as E_PATH_ESCAPE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/index.js';
import { tempDir } from '../../helpers/cli.js';

test('a manifest linked from outside the workspace is E_PATH_ESCAPE when confined, read when not', async () => {
  const root = tempDir('mf-info-confined-');
  try {
    const outside = join(root.path, 'outside');
    const workspace = join(root.path, 'ws');
    mkdirSync(outside);
    mkdirSync(workspace);
    const sleeve = { sleeve: { prices: 'p.csv', assets: ['A', 'B'], risk_profiles: ['hrp'] } };
    writeFileSync(join(outside, 'manifest.json'), JSON.stringify({ profiles: { SECRET_PROFILE: sleeve } }));
    symlinkSync(join(outside, 'manifest.json'), join(workspace, 'manifest.json'));
    const confined = await QuantSDK.workspaceInfo({ workspace, confine: true });
    assert.equal(confined.manifest_error?.code, 'E_PATH_ESCAPE', JSON.stringify(confined));
    assert.deepEqual(confined.profiles, { meta: [], sleeve: [] }, 'no profile of the outside file is shown');
    const open = await QuantSDK.workspaceInfo({ workspace });
    assert.deepEqual(
      open.profiles.sleeve,
      ['SECRET_PROFILE'],
      'unconfined, the link is followed as any file',
    );
  } finally {
    root.cleanup();
  }
});
