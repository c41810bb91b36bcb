// The public surface of the package entry is pinned in docs/public-api.txt (exported names, kinds and
// types from the TypeScript compiler): adding, removing or retyping an export fails here until the file
// is regenerated with `npm run api`, so a change to the surface is a visible diff in review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PUBLIC_API_FILE, renderPublicApi } from '../../scripts/public-api.js';

test('docs/public-api.txt matches the exports of src/index.ts', () => {
  const pinned = readFileSync(PUBLIC_API_FILE, 'utf8');
  const current = renderPublicApi();
  assert.ok(current.includes('function optimizePortfolio('), 'the snapshot lists the exported functions');
  assert.equal(current, pinned, 'the public surface changed: review the diff, then run npm run api');
});
