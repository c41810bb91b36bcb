// What dist/ was built from: a fingerprint of the sources, recorded by scripts/build.mjs after a build and
// compared by `--if-stale` and by scripts/start.mjs (`npm start`) before they decide to build.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/** Where a build records the fingerprint of what it was built from. */
export const stampFile = join(root, 'dist', '.build-fingerprint');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** SHA-256 over the path and bytes of every source file (src/, web/), the compiler and bundler settings. */
export function fingerprint() {
  const hash = createHash('sha256');
  const inputs = [
    ...files(join(root, 'src')),
    ...files(join(root, 'web')),
    join(root, 'tsconfig.json'),
    join(root, 'tsconfig.build.json'),
    join(root, 'scripts', 'build-web.mjs'),
    join(root, 'scripts', 'build-cli.mjs'),
    join(root, 'scripts', 'cli-loader.mjs'),
    join(root, 'scripts', 'demo-run.mjs'),
  ];
  for (const file of inputs) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/**
 * How dist/ stands against the sources whose fingerprint is `wanted`: 'current', 'stale' (built from other
 * sources, or an output is missing) or 'absent' (never built).
 */
export function buildState(wanted = fingerprint()) {
  const built = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  if (built === '') return 'absent';
  const outputs = [join(root, 'dist', 'cli', 'main.js'), join(root, 'dist', 'web', 'app.js')];
  return built === wanted && outputs.every((f) => existsSync(f)) ? 'current' : 'stale';
}
