// Builds dist/ from src/ (tsc) and records a fingerprint of what it was built from.
//   node scripts/build.mjs             always build
//   node scripts/build.mjs --if-stale  build only when src/ or a tsconfig changed since the last build
// `npm start` and `npm test` use --if-stale, so the set-up (`npm ci`, which builds through `prepare`)
// is paid once and a start after it runs the demo at once.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** SHA-256 over the path and bytes of every source file and the compiler settings. */
function fingerprint() {
  const hash = createHash('sha256');
  const inputs = [
    ...files(join(root, 'src')),
    join(root, 'tsconfig.json'),
    join(root, 'tsconfig.build.json'),
  ];
  for (const file of inputs) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

const wanted = fingerprint();
if (process.argv.includes('--if-stale')) {
  const built = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  if (built === wanted && existsSync(join(root, 'dist', 'cli', 'main.js'))) process.exit(0);
  console.error(
    built === ''
      ? 'building dist/ (not built yet) ...'
      : 'building dist/ (src/ changed since the last build) ...',
  );
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);
writeFileSync(stampFile, `${wanted}\n`);
