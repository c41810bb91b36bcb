// `npm start`, the README's main job: builds dist/ first when the sources changed since the last build (as
// `node scripts/build.mjs --if-stale`), then runs the demo's meta run (demo-run.mjs) through the built
// CLI in this same process — one Node start fewer than a separate check before `quant`.
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildState, root } from './build-state.mjs';
import { demoRunArgs } from './demo-run.mjs';

if (buildState() !== 'current') {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], {
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const main = join(root, 'dist', 'cli', 'main.js');
const workspace = relative(process.cwd(), join(root, 'examples', 'demo')) || '.';
// Arguments after `npm start --` go to `quant meta run`, as they did when the script called it directly.
process.argv = [
  process.argv[0] ?? process.execPath,
  main,
  ...demoRunArgs(workspace),
  ...process.argv.slice(2),
];
await import(pathToFileURL(main).href);
