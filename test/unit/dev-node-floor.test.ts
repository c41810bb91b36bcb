// scripts/run-tests.mjs refuses a Node older than the development floor (20.14: --test-force-exit;
// module.register, which tsx uses to run the sources, needs 20.6) with one line naming the version
// needed and the one found. The check is a function of the version string: no old Node is spawned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_NODE_FLOOR, nodeFloorProblem } from '../../scripts/node-floor.mjs';
import { REPO } from '../helpers/cli.js';

test('a Node older than the development floor is one line naming the version needed and found', () => {
  assert.equal(DEV_NODE_FLOOR, '20.14.0', 'the floor is the Node of --test-force-exit');
  for (const found of ['v20.5.1', 'v20.13.9', 'v18.19.0', '20.0.0']) {
    const problem = nodeFloorProblem(found);
    assert.ok(problem !== undefined, `${found} is refused`);
    assert.ok(!problem.includes('\n'), `one line: ${problem}`);
    assert.match(problem, /need Node 20\.14\.0 or newer/, `names the version needed: ${problem}`);
    assert.ok(problem.endsWith(`this is Node ${found.replace(/^v/, '')}`), `names the one found: ${problem}`);
  }
  for (const found of ['v20.14.0', 'v20.15.1', 'v21.0.0', 'v22.11.0', process.version])
    assert.equal(nodeFloorProblem(found), undefined, `${found} passes`);
  assert.ok(nodeFloorProblem('not a version') !== undefined, 'an unreadable version is refused too');
  assert.equal(nodeFloorProblem('v20.6.0', '20.6.0'), undefined, 'another floor can be given');
});

test('scripts/run-tests.mjs checks the floor before it runs anything', () => {
  const script = readFileSync(join(REPO, 'scripts', 'run-tests.mjs'), 'utf8');
  const check = script.indexOf('nodeFloorProblem(process.version');
  assert.ok(check > 0, 'run-tests.mjs calls the check on its own Node');
  assert.ok(check < script.indexOf("'--test-force-exit'"), 'before it builds the node --test command');
  assert.match(script.slice(check, check + 300), /process\.exit\(1\)/, 'and exits 1 when it fails');
});
