// Runs the test files with node:test through tsx (Node 20's --test takes no glob patterns).
//   node scripts/run-tests.mjs            every test/**/*.test.ts but the slow ones (npm test)
//   node scripts/run-tests.mjs --slow     only test/**/*.slow.test.ts (npm run test:slow)
//   node scripts/run-tests.mjs --stress   the same files as npm test while one CPU hog per core spins
//                                         (npm run test:stress): the suite must not depend on timing
//   node scripts/run-tests.mjs test/x.test.ts ...   only the files named
// Other arguments go to node --test (e.g. --test-name-pattern).
//
// Output is Node's TAP; before the closing summary every skipped or todo test and suite is listed with
// its reason (scripts/test-reporter.mjs), and `# skipped` counts skipped suites too. With CI set, a skip
// in a file that must run there (it needs chromium or redis-server, which .ci/run installs) fails the
// run. There is no time limit per file: a file that takes long on a busy machine is not a failure; each
// test bounds its own waits on a signal.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { nodeFloorProblem } from './node-floor.mjs';

// --test-force-exit (below) needs Node 20.14: an older one would fail with a bare "bad option".
const tooOld = nodeFloorProblem(process.version, undefined, 'scripts/run-tests.mjs: the tests');
if (tooOld !== undefined) {
  console.error(tooOld);
  process.exit(1);
}

/** Files whose suites must run in CI: skipping them there fails the run ($QUANT_TEST_CI_REQUIRED: tests). */
const CI_REQUIRED = process.env['QUANT_TEST_CI_REQUIRED']
  ? JSON.parse(process.env['QUANT_TEST_CI_REQUIRED'])
  : {
      'test/e2e/report-browser.test.ts': 'chromium',
      'test/e2e/serve-browser.slow.test.ts': 'chromium',
      'test/e2e/bullmq.test.ts': 'redis-server',
      'test/e2e/queue-poisoned.test.ts': 'redis-server',
      'test/e2e/queue-resilience.test.ts': 'redis-server',
      'test/unit/exec/queue.test.ts': 'redis-server',
    };

function find(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.ts') ? [p] : [];
    });
}

const args = process.argv.slice(2);
const slow = args.includes('--slow');
const stress = args.includes('--stress');
const named = args.filter((a) => /\.[cm]?[jt]s$/.test(a) && existsSync(a));
const passThrough = args.filter((a) => a !== '--slow' && a !== '--stress' && !named.includes(a));

const files = named.length > 0 ? named : find('test').filter((f) => f.endsWith('.slow.test.ts') === slow);
if (files.length === 0) {
  // node --test without files would search the whole tree with its own patterns.
  console.log(`# no test files${slow ? ' named *.slow.test.ts' : ''}: nothing to run`);
  process.exit(0);
}
for (const f of Object.keys(CI_REQUIRED))
  if (!existsSync(f)) throw new Error(`scripts/run-tests.mjs: ${f} (CI_REQUIRED) does not exist`);

/** One busy loop per core, each its own process, until the run ends. */
function startHogs() {
  const n = availableParallelism();
  const hogs = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  console.log(`# stress: ${n} CPU hog process(es) spinning (pids ${hogs.map((h) => h.pid).join(', ')})`);
  return hogs;
}

const tmp = mkdtempSync(join(tmpdir(), 'quant-test-run-'));
const skipsFile = join(tmp, 'skips.json');
const hogs = stress ? startHogs() : [];
const started = Date.now();
// A run started from inside a test (test/unit/run-tests.test.ts) is a run of its own, not a test file's child.
const env = { ...process.env, QUANT_TEST_SKIPS_FILE: skipsFile };
delete env['NODE_TEST_CONTEXT'];
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-force-exit',
    `--test-reporter=${new URL('./test-reporter.mjs', import.meta.url).href}`,
    '--test-reporter-destination=stdout',
    ...passThrough,
    ...files,
  ],
  { stdio: 'inherit', env },
);
const stop = (signal) => child.kill(signal);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

child.on('close', (code, signal) => {
  for (const h of hogs) h.kill('SIGKILL');
  if (stress) console.log(`# stress: ${((Date.now() - started) / 1000).toFixed(0)} s with the CPU hogs`);
  let status = code ?? (signal ? 1 : 0);
  if (process.env['CI'] !== undefined && existsSync(skipsFile)) {
    const skips = JSON.parse(readFileSync(skipsFile, 'utf8'));
    for (const s of skips) {
      const needs = CI_REQUIRED[s.file.split(sep).join('/')];
      if (needs === undefined || s.todo) continue;
      console.log(
        `# CI: ${s.file} › ${s.name} was skipped (${s.reason}); it must run in CI (install ${needs}: .ci/run does)`,
      );
      status = 1;
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  process.exit(status);
});
