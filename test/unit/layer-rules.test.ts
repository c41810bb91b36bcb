// The import-layer rules of .dependency-cruiser.json (`npm run layers`) catch what docs/architecture.md
// forbids, whatever the form of the import: a fixture tree with one planted violation per rule (a dynamic
// import(), a side-effect import, a type-only import, a re-export, a private file, a cycle) is cruised
// with the project's own config, and every plant must be reported under its rule, while the allowed
// imports next to them are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from '../helpers/cli.js';

const FIXTURE: Readonly<Record<string, string>> = {
  'src/errors.ts': 'export const E = 1;\n',
  'src/util/text.ts': "import { E } from '../errors.js';\nexport const T = E;\n",
  'src/artifacts/index.ts': 'export const A = 1;\n',
  'src/exec/job.ts': 'export interface Job { id: string }\n',
  'src/stages/catalog.ts': 'export const C = 1;\n',
  'src/stages/meta/_params.ts': 'export const P = 1;\n',
  'src/stages/uses-cli.ts': "import { M } from '../cli/main.js';\nexport const U = M;\n",
  'src/numeric/kernel.ts': "import { R } from '../core/registry.js';\nexport const K = R;\n",
  'src/core/registry.ts': "import { E } from '../errors.js';\nexport const R = E;\n",
  'src/core/cycle-a.ts': "import { B } from './cycle-b.js';\nexport const A = () => B;\n",
  'src/core/cycle-b.ts': "import { A } from './cycle-a.js';\nexport const B = () => A;\n",
  'src/core/types-a.ts': "import type { TB } from './types-b.js';\nexport interface TA { b?: TB }\n",
  'src/core/types-b.ts': "import type { TA } from './types-a.js';\nexport interface TB { a?: TA }\n",
  'src/sdk/quant-sdk.ts': "import { C } from '../stages/catalog.js';\nexport const S = C;\n",
  'src/sdk/private.ts': "import { P } from '../stages/meta/_params.js';\nexport const Q = P;\n",
  'src/mcp/server.ts':
    "import '../stages/catalog.js';\nimport { S } from '../sdk/quant-sdk.js';\nexport const V = S;\n",
  'src/mcp/reexport.ts': "export { A } from '../artifacts/index.js';\n",
  'src/cli/main.ts': "import { S } from '../sdk/quant-sdk.js';\nexport const M = S;\n",
  'src/cli/commands/lazy.ts':
    "export async function lazy(): Promise<unknown> {\n  return (await import('../../artifacts/index.js')).A;\n}\n",
  'src/cli/typed.ts':
    "import type { Job } from '../exec/job.js';\nexport const J: Job | undefined = undefined;\n",
};

/** `rule: from → to` of every violation dependency-cruiser reports on the fixture. */
function cruiseFixture(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'quant-layers-'));
  try {
    for (const [path, text] of Object.entries(FIXTURE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    copyFileSync(join(REPO, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    const bin = join(REPO, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
    const config = join(REPO, '.dependency-cruiser.json');
    const r = spawnSync(process.execPath, [bin, '--config', config, '--output-type', 'json', 'src'], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.ok(r.stdout.startsWith('{'), `depcruise printed its JSON result; stderr: ${r.stderr}`);
    const result = JSON.parse(r.stdout) as {
      summary: { violations: { rule: { name: string }; from: string; to: string }[] };
    };
    return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every planted layer violation is reported under its rule, and nothing else', () => {
  const found = cruiseFixture();
  const expected = [
    // a dynamic import() across layers
    'cli-layer: src/cli/commands/lazy.ts → src/artifacts/index.ts',
    // a type-only import counts for the layers
    'cli-layer: src/cli/typed.ts → src/exec/job.ts',
    // a side-effect import
    'mcp-layer: src/mcp/server.ts → src/stages/catalog.ts',
    // a re-export
    'mcp-layer: src/mcp/reexport.ts → src/artifacts/index.ts',
    // a `_` file outside its layer (the SDK may import stages, not their private files)
    'private-files: src/sdk/private.ts → src/stages/meta/_params.ts',
    // nothing imports cli
    'stages-layer: src/stages/uses-cli.ts → src/cli/main.ts',
    // numeric imports neither core nor its peers
    'lower-layers: src/numeric/kernel.ts → src/core/registry.ts',
    // util is a leaf
    'leaves: src/util/text.ts → src/errors.ts',
  ];
  for (const v of expected) assert.ok(found.includes(v), `expected "${v}" among:\n${found.join('\n')}`);
  const cycles = found.filter((v) => v.startsWith('no-circular:'));
  assert.ok(
    cycles.some((v) => v.includes('cycle-a.ts')) && cycles.some((v) => v.includes('cycle-b.ts')),
    `a run-time cycle is reported: ${cycles.join('; ')}`,
  );
  assert.ok(
    !found.some((v) => v.includes('types-a.ts') || v.includes('types-b.ts')),
    `a cycle of type-only imports is not a cycle: ${found.join('; ')}`,
  );
  const allowed = [
    'src/cli/main.ts → src/sdk/quant-sdk.ts',
    'src/mcp/server.ts → src/sdk/quant-sdk.ts',
    'src/sdk/quant-sdk.ts → src/stages/catalog.ts',
    'src/core/registry.ts → src/errors.ts',
  ];
  for (const edge of allowed) {
    assert.ok(!found.some((v) => v.endsWith(`: ${edge}`)), `${edge} is allowed, yet reported`);
  }
  assert.equal(found.length, expected.length + cycles.length, `no other violation:\n${found.join('\n')}`);
});
