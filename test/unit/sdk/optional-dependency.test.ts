import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isQuantError } from '../../../src/errors.js';
import { loadOptional, OPTIONAL_FEATURES } from '../../../src/sdk/optional-dependency.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};

describe('optional peer dependencies', () => {
  test('the features name exactly the optional peers, at the versions the repository tests with', () => {
    const named = Object.values(OPTIONAL_FEATURES).flatMap((f) => Object.entries(f.packages));
    assert.deepEqual(
      named.map(([name]) => name).sort(),
      Object.keys(pkg.peerDependencies).sort(),
      'peerDependencies = the packages of OPTIONAL_FEATURES',
    );
    for (const [name, version] of named) {
      assert.equal(pkg.peerDependencies[name], `^${version}`, `peerDependencies.${name}`);
      assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is an optional peer`);
      assert.equal(pkg.devDependencies[name], version, `devDependencies.${name} (what the tests run)`);
      assert.equal(pkg.dependencies[name], undefined, `${name} is not a core dependency`);
    }
  });

  // A stand-in for Node's own error: the real "package not installed" path runs in test/e2e/package.slow.test.ts.
  const notFound = (name: string): Error =>
    Object.assign(new Error(`Cannot find package '${name}' imported from /x/queue-executor.js`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });

  test('a missing peer is E_MISSING_DEPENDENCY naming the feature, the package and the install command', async () => {
    const error = await loadOptional('queue', () => Promise.reject(notFound('ioredis'))).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isQuantError(error), `a QuantError: ${String(error)}`);
    assert.equal(error.code, 'E_MISSING_DEPENDENCY', 'code');
    assert.match(error.message, /--executor bullmq.*needs the package ioredis/, error.message);
    assert.equal(error.hint, 'install it next to metafolio: npm install bullmq@6.7.0 ioredis@6.0.0', 'hint');
  });

  test("in the CLI bundle the peers are require()s: Node's MODULE_NOT_FOUND for a file of the package", async () => {
    const required = Object.assign(
      new Error(
        "Cannot find module '@modelcontextprotocol/sdk/types.js'\nRequire stack:\n- /x/dist/cli/quant.cjs",
      ),
      { code: 'MODULE_NOT_FOUND' },
    );
    const error = await loadOptional('mcp', () => Promise.reject(required)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isQuantError(error), `a QuantError: ${String(error)}`);
    assert.equal(error.code, 'E_MISSING_DEPENDENCY', 'code');
    assert.match(error.message, /needs the package @modelcontextprotocol\/sdk,/, error.message);
    const prefix = Object.assign(new Error("Cannot find module 'bullmq-extra'"), {
      code: 'MODULE_NOT_FOUND',
    });
    await assert.rejects(
      loadOptional('queue', () => Promise.reject(prefix)),
      (e) => e === prefix,
      "a package whose name only starts with a peer's",
    );
  });

  test('any other failure, or another missing package, propagates unchanged', async () => {
    const other = notFound('left-pad');
    await assert.rejects(
      loadOptional('mcp', () => Promise.reject(other)),
      (e) => e === other,
      'other package',
    );
    const boom = new Error('boom');
    await assert.rejects(
      loadOptional('mcp', () => Promise.reject(boom)),
      (e) => e === boom,
      'other error',
    );
    assert.equal(await loadOptional('mcp', () => Promise.resolve(42)), 42, 'a successful load is returned');
  });
});
