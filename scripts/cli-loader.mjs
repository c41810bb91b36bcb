// Copied by scripts/build-cli.mjs to dist/cli/_load.js: loads the CLI bundle (dist/cli/quant.cjs) once per
// process or thread, with V8's code cache when the build left one for it.
//
// The bundle is a classic script, not a module, because Node 20 can hand V8 a code cache only for those
// (vm.Script's `cachedData`): the bytecode of every function a representative run compiled, so that a
// process starts without parsing and compiling them again. Two caches, by role: `cli` (the `quant`
// process, trained on the demo's meta run) and `job` (the local pool's worker processes and the
// walk-forward's threads, trained on its sleeve runs); scripts/build-cli.mjs writes them after the
// build.
//
// A cache file is the SHA-256 of the bundle it was made from, the SHA-256 of V8's data, then the data.
// It is used only when both hashes match (V8 itself checks little more than the source's length), and
// V8 may still refuse it (another Node or other V8 flags): either way the bundle is compiled as without
// one, the same code, only slower to start. QUANT_CODE_CACHE=off ignores the caches;
// QUANT_CODE_CACHE=write makes each main thread write its role's cache when it exits (the build's
// training run). QUANT_CODE_CACHE_REPORT=1 prints one line to stderr saying whether a cache was used,
// and the interrupt budget the process runs with (below).
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

const BUNDLE = new URL('./quant.cjs', import.meta.url);
const HASH_BYTES = 32;

/** The file of `role`'s code cache, next to the bundle. */
function codeCacheFile(role) {
  return fileURLToPath(new URL(`./quant.${role}.code-cache`, import.meta.url));
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest();

/** V8's data of the cache in `file` when it was made from a bundle with hash `bundleHash`, else why not. */
function readCodeCache(file, bundleHash) {
  let bytes;
  try {
    bytes = readFileSync(file);
  } catch {
    return { why: 'none' };
  }
  if (bytes.length <= 2 * HASH_BYTES || !bytes.subarray(0, HASH_BYTES).equals(bundleHash)) {
    return { why: 'made from another bundle' };
  }
  const data = bytes.subarray(2 * HASH_BYTES);
  if (!bytes.subarray(HASH_BYTES, 2 * HASH_BYTES).equals(sha256(data))) return { why: 'damaged' };
  return { data };
}

function writeCodeCache(file, bundleHash, data) {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([bundleHash, sha256(data), data]));
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    process.stderr.write(`warning: code cache ${file} not written: ${error.message}\n`);
  }
}

/**
 * How much a function runs in the interpreter before V8 considers optimising it: 8 times V8's default
 * (67,584 bytes of bytecode executed). A CLI process runs most of its code briefly, and V8's optimising
 * compiler (TurboFan, a third of the meta pipeline's CPU by `perf`) then compiles code that has already
 * finished, on the core the other process needed; the loops that run long still get optimised. A
 * budget the user gives Node (`node --interrupt-budget=N`) stands. Set once per process, before the
 * bundle is compiled, and the same in the build's training run, so the caches match (V8 checks its
 * flags against a cache's).
 */
const INTERRUPT_BUDGET = 8 * 67_584;

/**
 * `quant --version` (or `-V`) and nothing else: writes the package's version, as the CLI would, and
 * returns true — without reading the bundle, which a process that only asks for the version does not
 * need (its 2 MB and their code cache are most of `quant`'s start-up). Otherwise returns false.
 */
export function answerVersion(argv) {
  if (argv.length !== 1 || (argv[0] !== '--version' && argv[0] !== '-V')) return false;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${typeof pkg.version === 'string' ? pkg.version : '0.0.0'}\n`);
  return true;
}

let entries;

/**
 * The bundle's entries (`cli`, `poolChild`, `sleeveJob`, `windowWorker`: each returns its module,
 * evaluated on first call), the bundle run once in this process or thread; `role` picks the code cache.
 */
export function load(role) {
  if (entries !== undefined) return entries;
  // (Node takes it on its command line only, not in NODE_OPTIONS.)
  const givenBudget = process.execArgv.some((a) => /^--interrupt[-_]budget(=|$)/.test(a));
  if (isMainThread && !givenBudget) setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  const filename = fileURLToPath(BUNDLE);
  const bytes = readFileSync(filename);
  const bundleHash = sha256(bytes);
  const mode = process.env.QUANT_CODE_CACHE;
  const cacheFile = codeCacheFile(role);
  const cache = mode === 'off' ? { why: 'off' } : readCodeCache(cacheFile, bundleHash);
  // One line, so that line and column numbers in stack traces are the bundle's own.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __quantImportMeta) {${bytes.toString('utf8')}\n})`;
  const script = new Script(wrapped, {
    filename,
    cachedData: cache.data,
  });
  if (process.env.QUANT_CODE_CACHE_REPORT === '1') {
    const used = cache.data === undefined ? cache.why : script.cachedDataRejected ? 'refused by V8' : 'used';
    const budget = givenBudget ? 'as given to node' : String(INTERRUPT_BUDGET);
    process.stderr.write(`code cache ${role}: ${used}; interrupt budget ${budget}\n`);
  }
  const module = { exports: {} };
  // `import.meta` of the bundled modules: a file of dist/cli, which is where their code now lives; and
  // `import()` for them (util/import-module.ts in the bundle), which a script from a code cache cannot do.
  const meta = {
    url: import.meta.url,
    resolve: (specifier) => import.meta.resolve(specifier),
    import: (specifier) => import(specifier),
  };
  script.runInThisContext()(
    module.exports,
    createRequire(BUNDLE),
    module,
    filename,
    fileURLToPath(new URL('.', BUNDLE)),
    meta,
  );
  if (mode === 'write' && isMainThread) {
    process.on('exit', () => writeCodeCache(cacheFile, bundleHash, script.createCachedData()));
  }
  entries = module.exports;
  return entries;
}
