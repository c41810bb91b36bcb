// package.json accepts Node 20.0 (`engines: >=20`), so the package and its build scripts (scripts/*.mjs,
// run by `npm ci` through `prepare`) use nothing newer: found once, `import.meta.dirname` and
// `import.meta.filename` (Node 20.11) in scripts/ and bench/, and `readdirSync(…, { recursive })` (20.1;
// 20.0 ignores the option and lists one level) in scripts/build-cli.mjs. AbortSignal.any (20.3) has its
// own check (util/any-signal.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from '../helpers/cli.js';

/** What needs a Node newer than 20.0, and from which version. */
const NEWER_THAN_20_0: readonly (readonly [RegExp, string])[] = [
  [
    /import\.meta\.dirname/,
    'import.meta.dirname needs Node 20.11: fileURLToPath(new URL(".", import.meta.url))',
  ],
  [/import\.meta\.filename/, 'import.meta.filename needs Node 20.11: fileURLToPath(import.meta.url)'],
  [/readdir(Sync)?\([^)]*recursive/, "readdir's recursive option needs Node 20.1: walk the folders"],
  [
    /import\.meta\.resolve\(/,
    'import.meta.resolve needs Node 20.6 (a flag before): createRequire(import.meta.url).resolve',
  ],
];

/**
 * Uses that never run on a Node the package accepts without them: the TypeScript loader of a walk-forward
 * worker started from the sources (tsx, development only; the built package takes the other branch), and
 * the loader's `import.meta` for the bundle, whose resolve only that branch calls.
 */
const ALLOWED = new Set(['src/numeric/backtest/walk-forward-threads.ts', 'scripts/cli-loader.mjs']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

describe('the Node floor of package.json', () => {
  test('scripts/, src/ and bench/ use no API newer than Node 20.0', () => {
    const found: string[] = [];
    for (const dir of ['scripts', 'src', 'bench']) {
      for (const file of sourceFiles(join(REPO, dir))) {
        const rel = relative(REPO, file).split('\\').join('/');
        const lines = readFileSync(file, 'utf8').split('\n');
        for (const [i, line] of lines.entries())
          for (const [pattern, why] of NEWER_THAN_20_0)
            if (
              pattern.test(line) &&
              !(ALLOWED.has(rel) && pattern.source.startsWith('import\\.meta\\.resolve'))
            )
              found.push(`${rel}:${i + 1}: ${why}`);
      }
    }
    assert.deepEqual(found, [], `package.json accepts Node 20.0:\n${found.join('\n')}`);
  });

  test('package.json still says >=20', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      engines?: { node?: string };
    };
    assert.equal(pkg.engines?.node, '>=20', 'when the floor moves, update the list of APIs above');
  });
});
