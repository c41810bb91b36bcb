// `quant manifest check` (checkManifestFile) reports a tree's own errors with their line, as a run does:
// meta profiles nested five deep are E_DEPTH at the JSON path and line of the entry that goes too deep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isQuantError } from '../../../src/index.js';
import { checkManifestFile } from '../../../src/sdk/manifest-check.js';
import { tempDir } from '../../helpers/cli.js';

test('nesting deeper than 4 is E_DEPTH with the line of the entry', async () => {
  const ws = tempDir('mf-check-depth-');
  try {
    const sleeve = (p: string) => ({ sleeve: { prices: p, assets: ['A', 'B'], risk_profiles: ['hrp'] } });
    const meta = (child: string) => ({
      sleeves: [
        { id: 'x', meta_profile: child },
        { id: 'y', profile: 's2' },
      ],
    });
    const manifest = {
      profiles: {
        s1: sleeve('a.csv'),
        s2: sleeve('b.csv'),
        n1: {
          sleeves: [
            { id: 'a', profile: 's1' },
            { id: 'b', profile: 's2' },
          ],
        },
        n2: meta('n1'),
        n3: meta('n2'),
        n4: meta('n3'),
        n5: meta('n4'),
      },
    };
    const text = JSON.stringify(manifest, null, 2);
    writeFileSync(join(ws.path, 'manifest.json'), text);
    const error = await checkManifestFile(join(ws.path, 'manifest.json')).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isQuantError(error) && error.code === 'E_DEPTH', `E_DEPTH: ${String(error)}`);
    const line = text.split('\n').findIndex((l) => l.includes('"meta_profile": "n1"')) + 1;
    assert.equal(error.location?.line, line, 'the line of the entry that nests too deep');
  } finally {
    ws.cleanup();
  }
});
