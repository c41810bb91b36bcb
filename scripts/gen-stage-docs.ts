// Writes docs/stages.md from the built-in catalog; with --check, fails when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StageRegistry } from '../src/stages/catalog.js';
import { renderStageCatalogMarkdown } from '../src/core/catalog-doc.js';

const target = fileURLToPath(new URL('../docs/stages.md', import.meta.url));
const expected = renderStageCatalogMarkdown(StageRegistry);
if (process.argv.includes('--check')) {
  let actual = '';
  try {
    actual = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (actual !== expected) {
    console.error('docs/stages.md is stale: run `npm run docs` and commit the result');
    process.exit(1);
  }
  console.log('docs/stages.md is up to date');
} else {
  writeFileSync(target, expected);
  console.log(`wrote ${target}`);
}
