// `npm start` and `npm test` build only when the sources changed (scripts/build.mjs --if-stale), so the
// README's `npm ci && npm start` pays the TypeScript build once, in `npm ci` (`prepare`). The web app of
// `quant serve` (web/ → dist/web) and the bundle of the CLI (dist/cli) are part of the same build and
// fingerprint, and each bundle is the same bytes for the same sources. `npm start` (scripts/start.mjs) makes the
// same check and then runs the demo in its own process. Checked on a copy of the repository's sources, so the suite's own dist/ is
// never rebuilt under other tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO, tempDir } from '../helpers/cli.js';

describe('build once: scripts/build.mjs --if-stale', () => {
  const tmp = tempDir('quant-build-');
  const root = tmp.path;
  after(() => tmp.cleanup());
  for (const f of ['src', 'web', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) {
    cpSync(join(REPO, f), join(root, f), { recursive: true });
  }
  mkdirSync(join(root, 'scripts'));
  for (const f of [
    'build.mjs',
    'build-state.mjs',
    'build-cli.mjs',
    'build-web.mjs',
    'cli-loader.mjs',
    'demo-run.mjs',
    'start.mjs',
  ])
    cpSync(join(REPO, 'scripts', f), join(root, 'scripts', f));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));

  const build = (): { code: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
      cwd: root,
      encoding: 'utf8',
    });
    return { code: r.status, stderr: r.stderr };
  };
  const main = join(root, 'dist', 'cli', 'main.js');
  /** The CLI bundle: every JavaScript file of dist/cli with its bytes. */
  const cliBundle = (): Map<string, Buffer> =>
    new Map(
      readdirSync(join(root, 'dist', 'cli'))
        .filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))
        .sort()
        .map((f) => [f, readFileSync(join(root, 'dist', 'cli', f))]),
    );

  test('no dist/: builds, marks the CLI executable and records the fingerprint', () => {
    const r = build();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /building dist\//, 'says it builds');
    // The copy has no examples/demo to train the code caches on: a warning, not a failed build, and
    // the CLI starts without them (below).
    assert.match(
      r.stderr,
      /^warning: the CLI's code caches were not trained \(the demo run failed: .+\); quant starts without them$/m,
      'says the caches were not trained',
    );
    for (const role of ['cli', 'job'])
      assert.ok(!existsSync(join(root, 'dist', 'cli', `quant.${role}.code-cache`)), `no ${role} cache`);
    assert.ok(existsSync(main), 'dist/cli/main.js exists');
    assert.equal(statSync(main).mode & 0o111, 0o111, 'dist/cli/main.js is executable');
    assert.match(
      readFileSync(join(root, 'dist', '.build-fingerprint'), 'utf8'),
      /^[0-9a-f]{64}\n$/,
      'fingerprint',
    );
    for (const f of ['index.html', 'app.js', 'app.css'])
      assert.ok(statSync(join(root, 'dist', 'web', f)).size > 0, `dist/web/${f} is built`);
  });

  test('the CLI is one bundle in dist/cli with the modules that start it, and it runs', () => {
    const names = [...cliBundle().keys()];
    assert.deepEqual(
      names,
      ['_load.js', '_pool-child.js', '_window-worker.js', 'main.js', 'quant.cjs', 'sleeve-job.js'],
      "the bundle, its loader and its four entries; tsc's own CLI modules are gone (the bundle holds them)",
    );
    assert.ok(!existsSync(join(root, 'dist', 'cli', 'commands', 'meta.js')), 'no unbundled sub-command');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const r = spawnSync(process.execPath, [main, '--version'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version, 'the bundled CLI reads the version from package.json');
  });

  test('nothing changed: no build, dist/ untouched', () => {
    const before = statSync(main).mtimeMs;
    const r = build();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'silent when up to date');
    assert.equal(statSync(main).mtimeMs, before, 'dist/cli/main.js was not rewritten');
  });

  test('a source file changed: rebuilds, and the change is in dist/', () => {
    appendFileSync(join(root, 'src', 'index.ts'), '\nexport const BUILD_ONCE_PROBE = 1;\n');
    const r = build();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /building dist\//, 'says it builds');
    assert.match(
      readFileSync(join(root, 'dist', 'index.js'), 'utf8'),
      /BUILD_ONCE_PROBE/,
      'dist/index.js is new',
    );
  });

  test('a web/ file changed: rebuilds the bundle; the unchanged script and CLI are the same bytes', () => {
    const script = readFileSync(join(root, 'dist', 'web', 'app.js'));
    const cli = cliBundle();
    appendFileSync(join(root, 'web', 'src', 'app.css'), '\n.build-once-probe {\n  color: red;\n}\n');
    const r = build();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /building dist\//, 'says it builds');
    assert.match(
      readFileSync(join(root, 'dist', 'web', 'app.css'), 'utf8'),
      /\.build-once-probe\{color:red\}/,
      'dist/web/app.css is new, minified',
    );
    assert.deepEqual(
      readFileSync(join(root, 'dist', 'web', 'app.js')),
      script,
      'dist/web/app.js rebuilt from the same sources has the same bytes',
    );
    assert.deepEqual(cliBundle(), cli, 'the CLI bundle rebuilt from the same sources has the same bytes');
  });

  test('npm start (scripts/start.mjs): builds when stale, then runs the demo in the same process', () => {
    cpSync(join(REPO, 'examples', 'demo'), join(root, 'examples', 'demo'), {
      recursive: true,
      filter: (from) => !/[\\/](runs|\.cache|\.quant)$/.test(from),
    });
    appendFileSync(join(root, 'src', 'index.ts'), '\nexport const START_PROBE = 1;\n');
    // Every Node process started with NODE_OPTIONS below appends its main script to `probe`.
    const probe = join(root, 'processes.txt');
    const preload = join(root, 'probe.mjs');
    writeFileSync(
      preload,
      `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(probe)}, process.argv[1] + '\\n');\n`,
    );
    const start = (
      args: string[] = [],
    ): { code: number | null; stdout: string; stderr: string; scripts: string[] } => {
      writeFileSync(probe, '');
      const r = spawnSync(process.execPath, ['scripts/start.mjs', ...args], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: `--import ${preload}` },
      });
      const scripts = readFileSync(probe, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((f) => f.split(/[\\/]/).slice(-2).join('/'));
      return { code: r.status, stdout: r.stdout, stderr: r.stderr, scripts };
    };
    const first = start();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /building dist\//, 'the sources changed: it builds first');
    assert.match(readFileSync(join(root, 'dist', 'index.js'), 'utf8'), /START_PROBE/, 'a new dist/');
    assert.match(first.stdout, /^sleeves: 4 ready \(4 produced, 0 reused\)/m, `sleeves: ${first.stdout}`);
    assert.match(first.stdout, /^meta run meta_global_\S+ ok \(hrp, /m, `the demo ran: ${first.stdout}`);
    for (const role of ['cli', 'job'])
      assert.ok(
        existsSync(join(root, 'dist', 'cli', `quant.${role}.code-cache`)),
        `with examples/demo present the build trained the ${role} cache`,
      );
    rmSync(join(root, 'examples', 'demo', 'runs'), { recursive: true });
    const again = start();
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr.includes('building'), false, `up to date: no build (${again.stderr})`);
    assert.match(again.stdout, /^sleeves: 4 ready \(4 produced, 0 reused\)/m, `sleeves: ${again.stdout}`);
    assert.match(again.stdout, /^meta run meta_global_\S+ ok /m, `the demo ran again: ${again.stdout}`);
    const [own, ...others] = again.scripts;
    assert.equal(own, 'scripts/start.mjs', `start.mjs runs first: ${again.scripts.join(', ')}`);
    assert.ok(
      others.length > 0 && others.every((s) => s === 'cli/_pool-child.js'),
      `then only the pool's sleeve workers, no build and no quant process: ${again.scripts.join(', ')}`,
    );
    const help = start(['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(
      help.stdout,
      /^Usage: quant meta run /m,
      `npm start -- <args> reach quant meta run: ${help.stdout}`,
    );
    assert.deepEqual(help.scripts, ['scripts/start.mjs'], 'and nothing else starts');
  });
});
