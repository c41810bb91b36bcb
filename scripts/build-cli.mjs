// Bundles the CLI (`quant`, the package's `bin`) from what tsc wrote to dist/ into one script,
// dist/cli/quant.cjs, and trains V8 code caches for it: a process then loads one file, and the functions a
// run needs come compiled from the cache instead of being parsed and compiled again (a quarter of a
// second of CPU per process for the bundle itself, about a tenth more for the cache, on the development
// machine; the local executor's worker processes and the walk-forward's threads start the same way).
//
// The bundle is CommonJS because a code cache can be handed to V8 only for a classic script on Node 20
// (scripts/cli-loader.mjs, copied to dist/cli/_load.js, says how it is loaded and checked). Its one entry
// exports four functions, each evaluating its module on first call: `cli` (the bin's `startCli`), `poolChild`
// (the local pool's worker process), `sleeveJob` (the sleeve job runner) and `windowWorker` (a
// walk-forward worker thread). Each has a small ES module in dist/cli that loads the bundle and calls it:
// `main.js`, `_pool-child.js`, `sleeve-job.js` and `_window-worker.js`, where the code that starts them
// looks (`new URL('./x.js', import.meta.url)`; in the bundle `import.meta.url` is dist/cli/_load.js's).
// Any new file that code starts by a path next to itself must be one of them: the build fails otherwise.
// They sit two levels below the package root, like every file of dist/, so `../../package.json` (the
// version) and `../../dist/web/` (quant serve) stay where they were. The sub-commands stay lazily
// evaluated. The library (`exports`: dist/index.js, dist/registry.js) is not bundled. Packages that are
// CommonJS (commander) or optional peers (BullMQ, ioredis, the MCP SDK, Hono) stay `require`s of
// node_modules. No minification and no source map, so the same sources give the same bundle and stack
// traces with --verbose stay readable.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { demoRunArgs } from './demo-run.mjs';

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

/**
 * The bundle's entries: the file of dist/cli that starts each, the module of tsc's dist/ it evaluates,
 * the code cache it loads with, and whether its module's exports are re-exported (the job runner, which
 * the worker process imports by path) or it is run for its effect.
 */
const ENTRIES = [
  { name: 'cli', file: 'main.js', module: 'cli/start.js', role: 'cli', exports: false },
  { name: 'poolChild', file: '_pool-child.js', module: 'exec/_pool-child.js', role: 'job', exports: false },
  { name: 'sleeveJob', file: 'sleeve-job.js', module: 'sdk/sleeve-job.js', role: 'job', exports: true },
  {
    name: 'windowWorker',
    file: '_window-worker.js',
    module: 'numeric/backtest/_window-worker.js',
    role: 'job',
    exports: false,
  },
];

/**
 * zod compiles a fast path for each object schema with `new Function` when it first parses with it.
 * In the CLI's short-lived processes that compiling costs more than it saves, and code compiled by
 * `new Function` is not in the code caches: the bundle runs zod without it (`jitless`; the same results,
 * by zod's ordinary checks). The demo's meta pipeline alone (sleeves reused, `--no-cache`) took about 5 %
 * less CPU, the 10-sleeve meta run at scale the same (docs/benchmarks.md). The library leaves zod as it is.
 */
const ZOD_JITLESS = ["import { config } from 'zod';", 'config({ jitless: true });'];

/** Bundle the built CLI under `root` (the repository) in place; throws when esbuild reports an error. */
export async function buildCliBundle(root) {
  const dist = join(root, 'dist');
  const cli = join(dist, 'cli');
  // The job runner's exports, read before its module leaves dist/ (the stub re-exports them by name).
  const jobExports = new Map();
  for (const entry of ENTRIES.filter((e) => e.exports)) {
    const mod = await import(pathToFileURL(join(dist, entry.module)).href);
    jobExports.set(entry.name, Object.keys(mod).sort());
  }
  await build({
    absWorkingDir: root,
    stdin: {
      contents: [
        ...ZOD_JITLESS,
        ...ENTRIES.map((e) => `export const ${e.name} = () => require(${JSON.stringify(`./${e.module}`)});`),
        '',
      ].join('\n'),
      resolveDir: dist,
      sourcefile: 'cli-entries.js',
      loader: 'js',
    },
    outfile: join(cli, 'quant.cjs'),
    allowOverwrite: true,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: ['node20'],
    external: EXTERNAL,
    // Keep every module that the unbundled code would run, whatever `sideEffects` a package.json says.
    ignoreAnnotations: true,
    // The loader passes `import.meta` in (scripts/cli-loader.mjs); a script has none of its own.
    define: { 'import.meta': '__quantImportMeta' },
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    plugins: [zodEnglishOnly, importThroughLoader],
  });
  // tsc's own files of the CLI are inside the bundle now: remove them, so that nothing loads a second copy.
  for (const file of filesUnder(cli)) if (file.endsWith('.js')) rmSync(file);
  copyFileSync(join(root, 'scripts', 'cli-loader.mjs'), join(cli, '_load.js'));
  for (const entry of ENTRIES) {
    const call = `load(${JSON.stringify(entry.role)}).${entry.name}()`;
    const body = entry.exports
      ? `export const { ${jobExports.get(entry.name).join(', ')} } = ${call};\n`
      : entry.name === 'cli'
        ? `const argv = process.argv.slice(2);\nif (!answerVersion(argv)) await ${call}.startCli(argv);\n`
        : `${call};\n`;
    const shebang = entry.file === 'main.js' ? '#!/usr/bin/env node\n' : '';
    const head = `// Generated by scripts/build-cli.mjs: runs ${entry.module} of the CLI bundle (quant.cjs).\n`;
    const names = entry.name === 'cli' ? 'answerVersion, load' : 'load';
    writeFileSync(join(cli, entry.file), `${shebang}${head}import { ${names} } from './_load.js';\n${body}`);
  }
  assertRelativeFilesBundled(cli);
  assertNoDynamicImport(cli);
  chmodSync(join(cli, 'main.js'), 0o755);
}

/**
 * Train the bundle's code caches (scripts/cli-loader.mjs): run the demo's meta run with its sleeves, in
 * a copy of examples/demo under the system's temporary folder, with QUANT_CODE_CACHE=write — the `quant`
 * process writes the `cli` cache when it exits, the local pool's worker processes the `job` cache. A
 * failure leaves no cache (the CLI then compiles as it starts) and a warning, not a failed build.
 */
export function trainCodeCaches(root) {
  const cli = join(root, 'dist', 'cli');
  const caches = [...new Set(ENTRIES.map((e) => join(cli, `quant.${e.role}.code-cache`)))];
  for (const file of caches) rmSync(file, { force: true });
  const work = mkdtempSync(join(tmpdir(), 'quant-code-cache-'));
  let why;
  try {
    const demo = join(root, 'examples', 'demo');
    cpSync(demo, join(work, 'demo'), { recursive: true, filter: (src) => relative(demo, src) !== 'runs' });
    const run = spawnSync(process.execPath, [join(cli, 'main.js'), ...demoRunArgs('demo')], {
      cwd: work,
      env: { ...process.env, QUANT_CODE_CACHE: 'write' },
      encoding: 'utf8',
    });
    if (run.status !== 0)
      why = (run.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || `exit ${run.status}`;
    else if (!caches.every((f) => existsSync(f))) why = 'it wrote no cache';
  } catch (error) {
    why = error.message;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (why !== undefined) {
    for (const file of caches) rmSync(file, { force: true });
    console.error(
      `warning: the CLI's code caches were not trained (the demo run failed: ${why}); quant starts without them`,
    );
  }
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
 * `import()` in the bundle: compiled from a code cache, V8 no longer knows which loader to call (Node 20
 * then throws "A dynamic import callback was not specified"), so util/import-module.js, through which the
 * code imports what it knows only at run time, asks the loader's `import.meta` instead — `_load.js` is a
 * real module. Imports of bundled modules are esbuild's own (`require` of the bundle), of the optional
 * peers `require`s.
 */
const importThroughLoader = {
  name: 'import-through-loader',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]util[\\/]import-module\.js$/ }, () => ({
      contents:
        'export function importModule(specifier) {\n  return __quantImportMeta.import(specifier);\n}\n',
      loader: 'js',
    }));
  },
};

/**
 * No `import(` expression may be left in the bundle (above): every line that has one must be a comment or
 * the text of a template (the walk-forward's boot code for threads started from sources).
 */
/**
 * The files under `dir`, at any depth. A walk of its own: `readdirSync`'s `recursive` option needs Node
 * 20.1 (20.0 ignores it), and package.json accepts 20.0.
 */
function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function assertNoDynamicImport(cli) {
  const lines = readFileSync(join(cli, 'quant.cjs'), 'utf8').split('\n');
  const bad = lines.findIndex(
    (line) => /(?<![\w$.])import\(/.test(line) && !/^\s*(\/\/|\*|\/\*)|`import\(|typeof import\(/.test(line),
  );
  if (bad >= 0) {
    throw new Error(
      `dist/cli/quant.cjs:${bad + 1} has an import() that cannot run from the code cache: import through util/import-module.ts (${lines[bad].trim()})`,
    );
  }
  if (!lines.some((line) => line.includes('__quantImportMeta.import('))) {
    throw new Error(
      'dist/cli/quant.cjs does not import through its loader: scripts/build-cli.mjs is out of date',
    );
  }
}

/**
 * Every module the bundle starts by a path next to its own code (`new URL('./x' + ext, import.meta.url)`:
 * a worker process, a job runner, a worker thread) must be one of the entries' files in dist/cli: a
 * missing one would only fail when that path is taken. Fails the build instead.
 */
function assertRelativeFilesBundled(cli) {
  const reference =
    /new URL\(\s*[`'"](\.\/[^`'"$]+)(\$\{[^}]*\})?[`'"]\s*,\s*(?:import\.meta|__quantImportMeta)\.url\s*\)/g;
  const found = [...readFileSync(join(cli, 'quant.cjs'), 'utf8').matchAll(reference)];
  if (found.length === 0)
    throw new Error('dist/cli/quant.cjs starts nothing next to itself: the check is out of date');
  for (const [, path, ext] of found) {
    const file = join(cli, ext === undefined ? path : `${path}.js`);
    if (!existsSync(file)) {
      throw new Error(
        `dist/cli/quant.cjs starts ${relative(cli, file)} next to itself, which is not an entry of the CLI bundle (scripts/build-cli.mjs)`,
      );
    }
  }
}
