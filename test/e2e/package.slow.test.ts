// The package as a user installs it: `npm pack` of the built repository, installed into a fresh
// `npm init -y` project (CommonJS by default) with the npm registry, the README's quickstart run as-is,
// `npx quant` on the path, the optional peers (BullMQ, ioredis, the MCP SDK) absent until asked for, and
// the declarations compiling under `tsc --strict` in a project without @types/node.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO, tempDir } from '../helpers/cli.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  peerDependencies: Record<string, string>;
};

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The js block after `<!-- quickstart -->` in the README. */
function quickstart(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const m = /<!-- quickstart -->\s*```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(m?.[1] !== undefined, 'README.md has a ```js block after <!-- quickstart -->');
  return m[1];
}

describe('the packed package in a fresh project', () => {
  const tmp = tempDir('quant-pack-');
  const project = join(tmp.path, 'project');
  let tarball = '';

  before(() => {
    // dist/ is built by `npm test` (pretest); --ignore-scripts keeps pack from rebuilding it.
    const out = ok(
      run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.path], REPO),
      'npm pack',
    );
    const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
    tarball = join(tmp.path, info.filename);
    mkdirSync(project);
    ok(run(NPM, ['init', '-y'], project), 'npm init -y');
    ok(
      run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project),
      `npm install ${info.filename}`,
    );
  });
  after(() => tmp.cleanup());

  test('the tarball holds the build, the licence and the docs, not the sources or tests', () => {
    const out = ok(run(NPM, ['pack', '--ignore-scripts', '--dry-run', '--json'], REPO), 'npm pack --dry-run');
    const [info] = JSON.parse(out) as [{ files: { path: string }[] }];
    const files = new Set(info.files.map((f) => f.path));
    for (const f of [
      'LICENSE',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/cli/quant.cjs',
      'dist/cli/_load.js',
    ]) {
      assert.ok(files.has(f), `${f} is in the tarball`);
    }
    const leaked = [...files].filter((f) => f.startsWith('src/') || f.startsWith('test/'));
    assert.deepEqual(leaked, [], 'no sources or tests in the tarball');
    // The code caches match the V8 build that trained them only (docs/architecture.md, "Code caches").
    assert.ok(existsSync(join(REPO, 'dist', 'cli', 'quant.cli.code-cache')), 'the build has its caches');
    const caches = [...files].filter((f) => f.endsWith('.code-cache'));
    assert.deepEqual(caches, [], 'no code cache in the tarball');
    assert.match(readFileSync(join(REPO, 'LICENSE'), 'utf8'), /^MIT License/, 'LICENSE is the MIT licence');
  });

  test('the core install leaves the optional peers out', () => {
    const installed = readdirSync(join(project, 'node_modules'));
    assert.ok(installed.includes('metafolio'), 'metafolio is installed');
    for (const peer of Object.keys(pkg.peerDependencies)) {
      assert.ok(!existsSync(join(project, 'node_modules', peer)), `${peer} is not installed with the core`);
    }
  });

  test("the README's quickstart runs as-is in a CommonJS project, saved as quickstart.mjs", () => {
    writeFileSync(join(project, 'quickstart.mjs'), quickstart());
    const out = ok(run(process.execPath, ['quickstart.mjs'], project), 'node quickstart.mjs');
    const weights = /\{ BONDS: ([\d.]+), EQUITY: ([\d.]+), GOLD: ([\d.]+) \}/.exec(out);
    assert.ok(weights !== null, `weights printed:\n${out}`);
    const w = weights.slice(1).map(Number);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-9, `weights sum to 1: ${w.join(', ')}`);
    assert.ok(Math.max(...w) <= 0.6 + 1e-12, `max_weight 0.6 holds: ${w.join(', ')}`);
    assert.match(out, /runs\/stage_run_portfolio\.optimize_[^/]+\/data\/weights_min_variance\.json/, out);
  });

  test('npx quant is on the path and answers --version with the package version', () => {
    const out = ok(
      run(NPM, ['exec', '--offline', '--', 'quant', '--version'], project),
      'npx quant --version',
    );
    assert.equal(out.trim(), pkg.version, 'quant --version');
  });

  /** `tsc --strict --noEmit` over `files` in the project, with no ambient types (`"types": []`). */
  function tscStrict(name: string, files: Record<string, string>): SpawnSyncReturns<string> {
    const dir = join(project, name);
    mkdirSync(dir);
    const compilerOptions = {
      strict: true,
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      noEmit: true,
      types: [],
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    return run(process.execPath, [tsc, '-p', '.'], dir);
  }

  test('the declarations compile under tsc --strict without @types/node', () => {
    assert.ok(!existsSync(join(project, 'node_modules', '@types', 'node')), 'the project has no @types/node');
    const r = tscStrict('ts-no-node', {
      'use.ts': [
        "import { QuantSDK, estimateCovariance, hrpTree, optimizePortfolio } from 'metafolio';",
        "const w = optimizePortfolio([[0.01, 0.02], [0.02, -0.01], [0, 0.01]], { method: 'hrp', periodsPerYear: 252 });",
        "const table = { assets: ['x', 'y'], returns: [[0.01, 0.02], [0.02, -0.01], [0, 0.01]] };",
        '// A labelled covariance: orderedAssets is there, no non-null assertion.',
        'export const ordered: readonly string[] = hrpTree(estimateCovariance(table, { periodsPerYear: 252 })).orderedAssets;',
        "const env: Readonly<Record<string, string | undefined>> = { QUANT_WORKSPACE: '.' };",
        'export const listing = QuantSDK.listRuns({ env }).then((l) => l);',
        "export const run = QuantSDK.runMeta('meta.yaml', { env });",
        'export const weights = w.weights;',
        '',
      ].join('\n'),
    });
    ok(r, 'tsc --strict with "types": []');
  });

  test("the README's TypeScript block compiles under tsc --strict", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const m = /<!-- tsc -->\s*```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(m?.[1] !== undefined, 'README.md has a ```ts block after <!-- tsc -->');
    const r = tscStrict('ts-readme', { 'readme.ts': `${m[1]}export {};\n` });
    ok(r, "tsc --strict on the README's block");
  });

  test('the types of public signatures can be imported by name', () => {
    const names = [
      'MetaRunOptions',
      'MetaRunResult',
      'RunJson',
      'RunListing',
      'WorkspaceOptions',
      'LinearConstraintInput',
      'ArtifactView',
      'MetaTradesValue',
      'SleeveAge',
      'ExecuteSleevesOptions',
    ];
    const r = tscStrict('ts-names', {
      'names.ts': `import type { ${names.join(', ')} } from 'metafolio';\nexport type All = [${names.join(', ')}];\n`,
    });
    ok(r, 'tsc --strict importing the types by name');
  });

  for (const [args, pkgName] of [
    [['mcp', '--workspace', '.'], '@modelcontextprotocol/sdk'],
    [['worker', '--workspace', '.'], 'bullmq'],
  ] as const) {
    test(`quant ${args[0]} without its optional peer: E_MISSING_DEPENDENCY naming ${pkgName} and the install`, () => {
      const r = run(NPM, ['exec', '--offline', '--', 'quant', ...args], project);
      assert.equal(r.status, 1, `exit 1:\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
      assert.match(lines[0] ?? '', /E_MISSING_DEPENDENCY/, r.stderr);
      assert.ok(lines[0]?.includes(pkgName), `names ${pkgName}: ${r.stderr}`);
      assert.match(lines[0] ?? '', /npm install \S+@\d/, `gives the install command: ${r.stderr}`);
    });
  }
});
