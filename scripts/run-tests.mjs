// Runs every test/**/*.test.ts with node:test through tsx (Node 20's --test takes no glob patterns).
// Extra arguments are passed to node --test (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.ts') ? [p] : [];
    });
}

const files = find('test');
const r = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=240000',
    '--test-force-exit',
    ...process.argv.slice(2),
    ...files,
  ],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
