// Builds dist/ from src/ (tsc), bundles the CLI in dist/cli (esbuild, scripts/build-cli.mjs) and the web
// app of `quant serve` from web/ (esbuild → dist/web), and records a fingerprint of what it was built from.
//   node scripts/build.mjs             always build
//   node scripts/build.mjs --if-stale  build only when src/, web/ or a tsconfig changed since the last build
// `npm start` and `npm test` use --if-stale, so the set-up (`npm ci`, which builds through `prepare`)
// is paid once and a start after it runs the demo at once.
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildState, fingerprint, root, stampFile } from './build-state.mjs';

const wanted = fingerprint();
if (process.argv.includes('--if-stale')) {
  const state = buildState(wanted);
  if (state === 'current') process.exit(0);
  console.error(
    state === 'absent'
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
