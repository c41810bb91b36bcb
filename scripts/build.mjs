// Builds dist/ from src/ (tsc), bundles the CLI in dist/cli (esbuild, scripts/build-cli.mjs) and the web
// app of `quant serve` from web/ (esbuild → dist/web), and records a fingerprint of what it was built from.
//   node scripts/build.mjs             always build
//   node scripts/build.mjs --if-stale  build only when src/, web/ or a tsconfig changed since the last build
// `npm start` and `npm test` use --if-stale, so the set-up (`npm ci`, which builds through `prepare`)
// is paid once and a start after it runs the demo at once.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampFile = join(root, 'dist', '.build-fingerprint');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** SHA-256 over the path and bytes of every source file (src/, web/), the compiler and bundler settings. */
function fingerprint() {
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

const wanted = fingerprint();
if (process.argv.includes('--if-stale')) {
  const built = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  const outputs = [join(root, 'dist', 'cli', 'main.js'), join(root, 'dist', 'web', 'app.js')];
  if (built === wanted && outputs.every((f) => existsSync(f))) process.exit(0);
  console.error(
    built === ''
      ? 'building dist/ (not built yet) ...'
      : 'building dist/ (src/ or web/ changed since the last build) ...',
  );
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// The bundlers (and esbuild with them) load only when there is something to build.
const [{ buildCliBundle, trainCodeCaches }, { buildWebApp }] = await Promise.all([
  import('./build-cli.mjs'),
  import('./build-web.mjs'),
]);
await buildCliBundle(root);
await buildWebApp(root);
// Last: the training run is the demo through the built CLI (and `quant serve`'s app is part of dist/).
trainCodeCaches(root);
writeFileSync(stampFile, `${wanted}\n`);
