// Proves that registration needs no prior import: a fresh process that imports only the registry entry
// point of the built package lists every built-in stage. The catalog's ids are pinned here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO, quant } from '../helpers/cli.js';

// Snapshot of the built-in catalog, in catalog order. Change it only on purpose (ids are public).
const CATALOG_IDS = [
  'meta.returns',
  'meta.optimize',
  'meta.flatten',
  'meta.attribution',
  'meta.report',
  'meta.sign_test',
  'meta.backtest',
  'meta.trades',
  'meta.benchmark',
  'sleeve.backtest',
  'portfolio.optimize',
];

test('a fresh process importing only metafolio/registry lists every built-in stage', () => {
  const script = `import { StageRegistry } from 'metafolio/registry';
console.log(JSON.stringify(StageRegistry.listStages().map((s) => s.id)));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), CATALOG_IDS, 'JSON.parse(r.stdout)');
});

test('the built CLI lists the same catalog in a fresh process', () => {
  const r = quant(['stage', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const stages = JSON.parse(r.stdout) as { id: string; category: string; name: string }[];
  assert.deepEqual(
    stages.map((s) => s.id),
    CATALOG_IDS,
    'stages.map((s) => s.id)',
  );
  for (const s of stages)
    assert.ok(s.name.length > 0 && s.category.length > 0, 's.name.length > 0 && s.category.length > 0');
});
