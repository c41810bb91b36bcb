// Bundles the CLI (`quant`, the package's `bin`) from what tsc wrote to dist/ into dist/cli: Node loads
// a few dozen files at start-up instead of about 290 of dist/ plus zod's and Parquet's, which is most of
// a command's start-up (a quarter of a second of CPU per process on the development machine; the local
// executor's worker processes start the same way).
//
// Four entries, all in dist/cli so that the paths the code builds from `import.meta.url` still resolve:
// `main.js` (replacing tsc's), `_pool-child.js` (the local pool's worker process, found next to the code
// of exec/local-pool.ts), `sleeve-job.js` (the sleeve job runner, found next to sdk/sleeve-job-spec.ts)
// and `_window-worker.js` (the walk-forward's worker thread, found next to
// numeric/backtest/walk-forward-threads.ts). Any new file that code starts by a path next to itself
// must be an entry here. They sit two levels below the package root, like every file of dist/, so `../../package.json`
// (the version) and `../../dist/web/` (quant serve) stay where they were. Shared code goes to chunks
// beside them; the sub-commands stay lazily loaded. The library (`exports`: dist/index.js,
// dist/registry.js) is not bundled. Packages that are CommonJS (commander) or optional peers (BullMQ,
// ioredis, the MCP SDK, Hono) stay imports of node_modules. No minification and no source map, so the
// same sources give the same bytes and stack traces with --verbose stay readable.
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
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
      '_window-worker': join(dist, 'numeric', 'backtest', '_window-worker.js'),
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
    plugins: [zodEnglishOnly],
  });
  // tsc's own files of the CLI are inside the bundle now: remove them, so that nothing loads a second copy.
  const bundled = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(root, f)));
  const cli = join(dist, 'cli');
  for (const entry of readdirSync(cli, { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isFile() && file.endsWith('.js') && !bundled.has(file)) rmSync(file);
  }
  assertRelativeFilesBundled(cli);
  chmodSync(join(dist, 'cli', 'main.js'), 0o755);
}

/**
 * zod's `locales` namespace (`z.locales.fr()`, … for `z.config`) holds its messages in 63 languages,
 * 300 kB of the 680 kB of zod in the bundle, which every process parses at start-up; the CLI never
 * switches zod's language (its messages are its own, in English), and zod sets English, the default,
 * from its own import of `locales/en.js`. So in the bundle the namespace holds English alone. The library
 * (dist/index.js, not bundled) imports zod unchanged.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    // Paths relative to the repository, so that the bundle's module comments are the same bytes wherever
    // it is built.
    const root = b.initialOptions.absWorkingDir ?? process.cwd();
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? {
            path: relative(root, resolve(args.resolveDir, '../locales/index.js')).split(sep).join('/'),
            namespace: 'zod-english-only',
          }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: resolve(root, args.path, '..'),
      loader: 'js',
    }));
  },
};

/**
 * Every module the bundle starts by a path next to its own code (`new URL('./x' + ext, import.meta.url)`:
 * a worker process, a job runner, a worker thread) must be an entry of the bundle: the code now runs from
 * dist/cli, and a missing entry would only fail when that path is taken. Fails the build instead.
 */
function assertRelativeFilesBundled(cli) {
  const reference = /new URL\(\s*[`'"](\.\/[^`'"$]+)(\$\{[^}]*\})?[`'"]\s*,\s*import\.meta\.url\s*\)/g;
  for (const name of readdirSync(cli).filter((f) => f.endsWith('.js'))) {
    for (const [, path, ext] of readFileSync(join(cli, name), 'utf8').matchAll(reference)) {
      const file = join(cli, ext === undefined ? path : `${path}.js`);
      if (!existsSync(file)) {
        throw new Error(
          `dist/cli/${name} starts ${relative(cli, file)} next to itself, which is not an entry of the CLI bundle (scripts/build-cli.mjs)`,
        );
      }
    }
  }
}
