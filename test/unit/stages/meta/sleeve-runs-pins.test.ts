// A `sleeve_runs` pin (runMeta's `sleeveRuns`, meta.returns' `sleeve_runs` param) keyed by a profile that
// is not an atomic sleeve of the tree is refused with E_PARAMS naming it, the tree's atomic sleeve
// profiles and a did-you-mean, before a run folder exists; it used to be ignored, the sleeve then running
// with its latest run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { QuantError } from '../../../../src/errors.js';
import { tempDir } from '../../../helpers/cli.js';
import { buildMetaWorkspace } from '../../../helpers/meta-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
let ws: { path: string; cleanup(): void };

before(async () => {
  ws = tempDir('mf-sleeve-runs-pins-');
  await buildMetaWorkspace(ws.path);
});
after(() => ws.cleanup());

function refused(key: string, suggestion: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
    assert.equal(error.code, 'E_PARAMS', `E_PARAMS: ${error.message}`);
    assert.equal(
      error.message,
      `sleeve_runs: "${key}" is not an atomic sleeve profile of meta_root (did you mean "${suggestion}"?)`,
      'the message names the key and suggests the profile',
    );
    assert.match(
      error.hint ?? '',
      /: alpha, beta, gamma, delta$/,
      'the hint lists the atomic sleeve profiles',
    );
    assert.equal(error.location?.jsonPath, `sleeve_runs.${key}`, 'located at the pin');
    return true;
  };
}

describe('sleeve_runs pins must name atomic sleeves of the tree', () => {
  for (const [key, suggestion] of [
    ['alpah', 'alpha'],
    ['Gamma', 'gamma'],
  ] as const) {
    test(`runMeta({ sleeveRuns: { ${key} } }): E_PARAMS, nothing written`, async () => {
      await assert.rejects(
        QuantSDK.runMeta('meta_root', {
          workspace: ws.path,
          env: ENV,
          runId: `pin_${key}`,
          sleeveRuns: { [key]: 'no_such_run' },
        }),
        refused(key, suggestion),
        'runMeta rejects the pin',
      );
      assert.equal(existsSync(join(ws.path, 'runs', `pin_${key}`)), false, 'no run folder');
    });
  }

  test("meta.returns' sleeve_runs param: the same refusal", async () => {
    await assert.rejects(
      QuantSDK.runStage(
        'meta.returns',
        { meta_profile: 'meta_root', sleeve_runs: { delat: 'no_such_run' } },
        { workspace: ws.path, env: ENV, runId: 'pin_stage' },
      ),
      refused('delat', 'delta'),
      'runStage rejects the pin',
    );
  });
});
