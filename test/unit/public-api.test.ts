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
  // Compared line by line: a diff of the whole file (one line of it is long) takes minutes to print.
  const now = current.split('\n');
  const was = pinned.split('\n');
  const at = now.findIndex((line, i) => line !== was[i]);
  const line = at < 0 ? now.length : at;
  const a = now[line] ?? '';
  const b = was[line] ?? '';
  let col = 0;
  while (col < a.length && a[col] === b[col]) col++;
  const near = (s: string): string => JSON.stringify(s.slice(Math.max(0, col - 60), col + 100));
  assert.ok(
    current === pinned,
    `the public surface changed at line ${line + 1} of docs/public-api.txt column ${col + 1} (now: ${near(a)}; pinned: ${near(b)}): review it, then run npm run api`,
  );
});
