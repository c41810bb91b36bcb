// Bundles the CLI (`quant`, the package's `bin`) from what tsc wrote to dist/ into dist/cli: Node loads
// a few dozen files at start-up instead of about 290 of dist/ plus zod's and Parquet's, which is most of
// a command's start-up (a quarter of a second of CPU per process on the development machine; the local
// executor's worker processes start the same way).
//
// Three entries, all in dist/cli so that the paths the code builds from `import.meta.url` still resolve:
// `main.js` (replacing tsc's), `_pool-child.js` (the local pool's worker process, found next to the code
// of exec/local-pool.ts) and `sleeve-job.js` (the sleeve job runner, found next to sdk/sleeve-job-spec.ts).
// Both also sit two levels below the package root, like every file of dist/, so `../../package.json`
// (the version) and `../../dist/web/` (quant serve) stay where they were. Shared code goes to chunks
// beside them; the sub-commands stay lazily loaded. The library (`exports`: dist/index.js,
// dist/registry.js) is not bundled. Packages that are CommonJS (commander) or optional peers (BullMQ,
// ioredis, the MCP SDK, Hono) stay imports of node_modules. No minification and no source map, so the
// same sources give the same bytes and stack traces with --verbose stay readable.
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** Packages the bundle leaves to node_modules: CommonJS ones and the optional peers (loaded on use). */
const EXTERNAL = [
  'commander',
  '@commander-js/*',
  'bullmq',
  'ioredis',
  '@modelcontextprotocol/*',
  'hono',
  'hono/*',
  '@hono/*',
];

/** Bundle the built CLI under `root` (the repository) in place; throws when esbuild reports an error. */
export async function buildCliBundle(root) {
  const dist = join(root, 'dist');
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      main: join(dist, 'cli', 'main.js'),
      '_pool-child': join(dist, 'exec', '_pool-child.js'),
      'sleeve-job': join(dist, 'sdk', 'sleeve-job.js'),
    },
    outdir: join(dist, 'cli'),
    allowOverwrite: true,
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    external: EXTERNAL,
    // Keep every module that the unbundled code would run, whatever `sideEffects` a package.json says.
    ignoreAnnotations: true,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    metafile: true,
  });
  // tsc's own files of the CLI are inside the bundle now: remove them, so that nothing loads a second copy.
  const bundled = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(root, f)));
  const cli = join(dist, 'cli');
  for (const entry of readdirSync(cli, { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isFile() && file.endsWith('.js') && !bundled.has(file)) rmSync(file);
  }
  chmodSync(join(dist, 'cli', 'main.js'), 0o755);
}
