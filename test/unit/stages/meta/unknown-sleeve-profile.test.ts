// A meta run whose sleeve entry names a profile that has no run: when the manifest declares the profile,
// E_RUN_NOT_FOUND says to run it (`quant sleeve run --profile …`); when it does not (most likely a typo),
// that advice would fail too, so the error says the name is not a sleeve profile of the manifest, with a
// did-you-mean among its sleeve profiles, at the entry's JSON path and line. Nothing is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { isQuantError, type QuantError } from '../../../../src/errors.js';
import { tempDir } from '../../../helpers/cli.js';
import { buildSmallMetaWorkspace } from '../../../helpers/small-meta-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
let ws: { path: string; cleanup(): void };
let text = '';

before(async () => {
  ws = tempDir('mf-unknown-sleeve-');
  // Runs of s1 and s2, which the manifest does not declare: produced elsewhere, allowed.
  await buildSmallMetaWorkspace(ws.path);
  const sleeve = { sleeve: { prices: 'prices.csv', assets: ['A', 'B'], risk_profiles: ['hrp'] } };
  const pair = (profile: string) => ({
    sleeves: [
      { id: 'a', profile: 's1' },
      { id: 'b', profile },
    ],
    risk_profiles: ['hrp'],
  });
  text = JSON.stringify(
    {
      profiles: {
        bonds: sleeve,
        equities: sleeve,
        m_typo: pair('bondz'),
        m_far: pair('zzz_unrelated'),
        m_declared: pair('bonds'),
      },
    },
    null,
    2,
  );
  writeFileSync(join(ws.path, 'manifest.json'), text);
});
after(() => ws.cleanup());

async function refusal(profile: string): Promise<QuantError> {
  const error = await QuantSDK.runMeta(profile, { workspace: ws.path, env: ENV, runId: `r_${profile}` }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isQuantError(error), `a coded refusal: ${String(error)}`);
  assert.equal(existsSync(join(ws.path, 'runs', `r_${profile}`)), false, 'no run folder');
  return error;
}

/** The line of the entry of meta profile `meta` that names `profile`. */
function entryLine(meta: string, profile: string): number {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.includes(`"${meta}"`));
  return lines.findIndex((l, i) => i > start && l.includes(`"profile": "${profile}"`)) + 1;
}

describe('a sleeve profile without runs', () => {
  test('not in the manifest: a did-you-mean at the entry, not `quant sleeve run` of the typo', async () => {
    const e = await refusal('m_typo');
    assert.equal(e.code, 'E_RUN_NOT_FOUND', e.message);
    assert.match(
      e.message,
      /^sleeve b: no successful run of profile bondz in .*runs; "bondz" is not a sleeve profile of the manifest \(did you mean "bonds"\?\): fix the name, or pin a run_id$/,
      e.message,
    );
    assert.doesNotMatch(e.oneLine(), /quant sleeve run/, 'no advice to run a profile that does not exist');
    assert.equal(e.location?.jsonPath, 'profiles.m_typo.sleeves[1].profile', 'at the entry');
    assert.equal(e.location?.line, entryLine('m_typo', 'bondz'), 'with its line');
  });

  test('not in the manifest and close to nothing: the sleeve profiles of the manifest', async () => {
    const e = await refusal('m_far');
    assert.match(
      e.message,
      /"zzz_unrelated" is not a sleeve profile of the manifest \(its sleeve profiles: bonds, equities\): fix the name, or pin a run_id$/,
      e.message,
    );
    assert.equal(e.location?.jsonPath, 'profiles.m_far.sleeves[1].profile', 'at the entry');
  });

  test('declared in the manifest: run it', async () => {
    const e = await refusal('m_declared');
    assert.equal(e.code, 'E_RUN_NOT_FOUND', e.message);
    assert.match(e.message, /; run `quant sleeve run --profile bonds` or pin a run_id$/, e.message);
    assert.equal(e.location?.jsonPath, 'profiles.m_declared.sleeves[1].profile', 'at the entry');
  });
});
