// Default run ids across processes: CLI runs started together without --run-id never share a run folder.
// All share one SOURCE_DATE_EPOCH, so their clocks read the same second whatever the machine's load — the
// collision is certain, not a matter of timing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, quant, quantAsync, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace } from '../helpers/meta-workspace.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
const PRICES = join(REPO, 'data', 'swx_prices.csv');

describe('default run ids in concurrent processes', () => {
  let template: { path: string; cleanup(): void };
  before(async () => {
    template = tempDir('quant-ids-');
    await buildMetaWorkspace(template.path);
  });
  after(() => template.cleanup());

  test('4 `quant stage run` processes in one second: 4 run folders, each with its own weights', async () => {
    const ws = tempDir('quant-ids-');
    try {
      const caps = ['1', '0.4', '0.3', '0.25'];
      const results = await Promise.all(
        caps.map((cap) =>
          quantAsync(
            [
              'stage',
              'run',
              'portfolio.optimize',
              '--workspace',
              ws.path,
              '--param',
              `input=${PRICES}`,
              '--param',
              'method=min_variance',
              '--param',
              `max_weight=${cap}`,
            ],
            { env: EPOCH },
          ),
        ),
      );
      const ids = results.map((r, i) => {
        assert.equal(r.code, 0, `process ${i + 1}: ${r.stderr}`);
        const m = /\(run ([^)]+)\)/.exec(r.stdout);
        assert.ok(m !== null, `process ${i + 1} names its run: ${r.stdout}`);
        return m[1] as string;
      });
      assert.equal(new Set(ids).size, 4, `distinct ids: ${ids.join(', ')}`);
      assert.deepEqual(readdirSync(join(ws.path, 'runs')).sort(), [...ids].sort(), 'one folder per process');
      for (const [i, id] of ids.entries()) {
        const file = join(ws.path, 'runs', id, 'data', 'weights_min_variance.json');
        const doc = JSON.parse(readFileSync(file, 'utf8')) as { params: { max_weight: number } };
        assert.equal(doc.params.max_weight, Number(caps[i]), `${id} holds the weights of its own process`);
        const verify = quant(['audit', 'verify', id, '--workspace', ws.path]);
        assert.equal(verify.code, 0, `${id}: ${verify.stdout}${verify.stderr}`);
      }
    } finally {
      ws.cleanup();
    }
  });

  test('2 `quant meta run` processes in one second without --run-id: both succeed, in 2 runs', async () => {
    const ws = tempDir('quant-ids-');
    try {
      cpSync(template.path, ws.path, { recursive: true });
      const args = ['meta', 'run', '--profile', 'meta_root', '--no-cache', '--workspace', ws.path];
      const [a, b] = await Promise.all([quantAsync(args, { env: EPOCH }), quantAsync(args, { env: EPOCH })]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const ids = [a, b].map((r) => /meta run (\S+) ok/.exec(r.stdout)?.[1]).sort();
      assert.deepEqual(ids, ['meta_root_20260101-000000', 'meta_root_20260101-000000-002'], 'two meta runs');
      for (const id of ids) {
        const v = quant(['meta', 'validate', '--run-id', id as string, '--workspace', ws.path]);
        assert.equal(v.code, 0, `${id}: ${v.stdout}${v.stderr}`);
      }
    } finally {
      ws.cleanup();
    }
  });
});
