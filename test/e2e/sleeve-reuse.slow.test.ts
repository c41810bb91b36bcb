// Sleeve reuse through the built CLI on a copy of the demo workspace, as `npm start` runs it (no
// SOURCE_DATE_EPOCH): the first `meta run --execute-sleeves` produces every sleeve, the second produces
// none (each reused, recorded as `sleeve.source` in its ledger), `--rebuild-sleeves` produces all again
// under new run ids, and `--rebuild-sleeves` without `--execute-sleeves` is a usage error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { quant, REPO, tempDir } from '../helpers/cli.js';

/** The sleeve profiles of the demo manifest (meta_global uses every one). */
const SLEEVES = Object.entries(
  (
    JSON.parse(readFileSync(join(REPO, 'examples', 'demo', 'manifest.json'), 'utf8')) as {
      profiles: Record<string, object>;
    }
  ).profiles,
)
  .filter(([, p]) => 'sleeve' in p)
  .map(([name]) => name);

interface RunOutput {
  run_id: string;
  sleeves: { runs: { profile: string; run_id: string; status: string }[] };
}

describe(
  'quant meta run --execute-sleeves reuses unchanged sleeves (demo workspace)',
  { timeout: 600_000 },
  () => {
    let ws: { path: string; cleanup(): void };
    before(() => {
      ws = tempDir('mf-sleeve-reuse-e2e-');
      cpSync(join(REPO, 'examples', 'demo'), ws.path, { recursive: true });
      rmSync(join(ws.path, 'runs'), { recursive: true, force: true });
    });
    after(() => ws.cleanup());

    const metaRun = (extra: string[] = []): RunOutput => {
      const r = quant(
        [
          'meta',
          'run',
          '--profile',
          'meta_global',
          '--execute-sleeves',
          '--json',
          ...extra,
          '--workspace',
          ws.path,
        ],
        { env: { SOURCE_DATE_EPOCH: '' } },
      );
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as RunOutput;
    };
    const sleeveFolders = (): string[] =>
      readdirSync(join(ws.path, 'runs'))
        .filter((id) => SLEEVES.some((p) => id.startsWith(`${p}_`)))
        .sort();

    let firstPins: string[] = [];

    test('the first run produces every sleeve', () => {
      const out = metaRun();
      assert.deepEqual(
        out.sleeves.runs.map((r) => [r.profile, r.status]).sort(),
        SLEEVES.map((p) => [p, 'produced']).sort(),
        'every sleeve produced',
      );
      firstPins = out.sleeves.runs.map((r) => r.run_id);
      assert.equal(sleeveFolders().length, SLEEVES.length, 'one run per sleeve');
    });

    test('the second run produces no sleeve: each is reused, and its ledger says so', () => {
      const out = metaRun();
      assert.deepEqual(
        out.sleeves.runs.map((r) => [r.run_id, r.status]),
        firstPins.map((id) => [id, 'reused']),
        'every sleeve reused from the first run',
      );
      assert.equal(sleeveFolders().length, SLEEVES.length, 'still one run per sleeve');
      const sources = readFileSync(join(ws.path, 'runs', out.run_id, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step: string; status: string; data: { run_id: string } })
        .filter((r) => r.step === 'sleeve.source');
      assert.deepEqual(
        sources.map((r) => [r.status, r.data.run_id]),
        firstPins.map((id) => ['reused', id]),
        'sleeve.source records: reused, with the run ids',
      );
    });

    test('--rebuild-sleeves produces every sleeve again, under new run ids', () => {
      const out = metaRun(['--rebuild-sleeves']);
      assert.deepEqual(
        out.sleeves.runs.map((r) => [r.profile, r.status]).sort(),
        SLEEVES.map((p) => [p, 'produced']).sort(),
        'every sleeve produced',
      );
      for (const r of out.sleeves.runs)
        assert.ok(!firstPins.includes(r.run_id), `${r.profile}: a new run id (${r.run_id})`);
      assert.equal(sleeveFolders().length, 2 * SLEEVES.length, 'one more run per sleeve, none overwritten');
    });

    test('--rebuild-sleeves without --execute-sleeves is a usage error', () => {
      const r = quant([
        'meta',
        'run',
        '--profile',
        'meta_global',
        '--rebuild-sleeves',
        '--workspace',
        ws.path,
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /E_USAGE: --rebuild-sleeves applies only with --execute-sleeves/,
        'the usage error names the flag',
      );
    });
  },
);
