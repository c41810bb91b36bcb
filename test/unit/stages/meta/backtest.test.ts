// meta.backtest on a workspace of real sleeve runs (test/helpers/meta-workspace.ts), after the meta
// pipeline without the backtest has written the return matrices.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { readLedger, readTable, verifyLedger } from '../../../../src/artifacts/index.js';
import { performanceMetrics } from '../../../../src/numeric/stats/performance.js';
import { QuantError } from '../../../../src/errors.js';
import {
  metaArtifactPaths,
  metaBacktestPaths,
  type MetaBacktestDoc,
} from '../../../../src/stages/meta/_artifact-types.js';
import type { MetaBacktestValue } from '../../../../src/stages/meta/backtest.js';
import { tempDir } from '../../../helpers/cli.js';
import { buildMetaWorkspace, PROFILES } from '../../../helpers/meta-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const M = 'meta_root';
const RUN = 'bt1';
const sdk = new QuantSDK();
let ws: { path: string; cleanup(): void };
const dir = (): string => join(ws.path, 'runs', RUN);
const summary = (P: string): MetaBacktestDoc =>
  JSON.parse(readFileSync(join(dir(), metaBacktestPaths(M, P).summary), 'utf8')) as MetaBacktestDoc;
const backtest = (params: Record<string, unknown>, runId = RUN) =>
  sdk.runStage<MetaBacktestValue>(
    'meta.backtest',
    { meta_profile: M, ...params },
    { workspace: ws.path, runId, env: ENV },
  );

before(async () => {
  ws = tempDir('mf-backtest-');
  await buildMetaWorkspace(ws.path);
  await sdk.runPipeline(
    'meta.no_backtest',
    { meta_profile: M },
    { workspace: ws.path, runId: RUN, env: ENV },
  );
});
after(() => ws.cleanup());

describe('meta.backtest', () => {
  test('writes the daily table and the summary; figures recompute from the table', async () => {
    const result = await backtest({ train_window: 120, rebalance: 21 });
    assert.deepEqual(result.value.risk_profiles, [...PROFILES], 'result.value.risk_profiles');
    for (const P of PROFILES) {
      const doc = summary(P);
      const input = await readTable(join(dir(), metaArtifactPaths(M, P).returns));
      const T = input.dates.length;
      assert.equal(doc.status, 'ok', 'doc.status');
      assert.equal(doc.period.days, T - 120, 'doc.period.days');
      assert.equal(doc.rebalances, Math.ceil((T - 120) / 21), 'doc.rebalances');
      const table = await readTable(join(dir(), metaBacktestPaths(M, P).returns));
      const ids = [...input.columns];
      assert.deepEqual(
        table.columns,
        [
          'meta',
          'equal_weight',
          ...ids.map((id) => `sleeve:${id}`),
          'rebalance',
          'turnover',
          'cost',
          ...ids.map((id) => `weight:${id}`),
        ],
        'table.columns',
      );
      assert.deepEqual(table.dates, input.dates.slice(120), 'table.dates');
      const col = (name: string) => table.values[table.columns.indexOf(name)]!;
      // Metrics of the summary = the metrics of the table's columns (A = 252, business days).
      const m = performanceMetrics(col('meta'), 252);
      assert.equal(doc.metrics.meta?.sharpe, m.sharpe, 'doc.metrics.meta?.sharpe');
      assert.equal(doc.metrics.meta?.max_drawdown, m.maxDrawdown, 'doc.metrics.meta?.max_drawdown');
      assert.equal(
        doc.metrics.equal_weight?.cagr,
        performanceMetrics(col('equal_weight'), 252).cagr,
        'doc.metrics.equal_weight?.cagr',
      );
      // An atomic sleeve's benchmark is its own stream on the held days.
      const atomic = ids.filter((id) => id !== 'inner');
      for (const id of atomic) {
        assert.deepEqual(
          Array.from(col(`sleeve:${id}`)),
          Array.from(input.values[ids.indexOf(id)]!.slice(120)),
          'Array.from(col(`sleeve:${id}`))',
        );
      }
      // Weights on rebalance days only, within the root's bounds [0.1, 0.7], summing to 1.
      const rebalances = Array.from(col('rebalance')).flatMap((v, t) => (v === 1 ? [t] : []));
      assert.equal(rebalances.length, doc.rebalances, 'rebalances.length');
      for (const [k, t] of rebalances.entries()) {
        const w = ids.map((id) => col(`weight:${id}`)[t]!);
        assert.ok(
          Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12,
          'w.reduce((a, b) => a + b, 0) ≈ 1 within 1e-12',
        );
        for (const x of w) assert.ok(x >= 0.1 - 1e-12 && x <= 0.7 + 1e-12, `${P}: ${x}`);
        assert.deepEqual(
          w,
          ids.map((id) => doc.windows[k]!.weights[id]),
          'w',
        );
        assert.equal(col('turnover')[t], doc.windows[k]!.turnover, "col('turnover')[t]");
      }
      assert.ok(Number.isNaN(col(`weight:${ids[0]}`)[1]!), 'no weight between rebalances');
      assert.ok(Math.abs(doc.turnover.initial - 1) < 1e-12, 'entry from cash: Σ target weights');
      const costs = Array.from(col('cost')).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(doc.costs.total - costs) < 1e-15, 'doc.costs.total ≈ costs within 1e-15');
      assert.ok(
        Math.abs(costs - 0.0005 * doc.turnover.total) < 1e-15,
        'costs ≈ 0.0005 * doc.turnover.total within 1e-15',
      );
    }
    // Nesting: the branch of risk_parity is traded through its leaves.
    assert.deepEqual(
      summary('risk_parity').leaves,
      ['inner/alpha', 'inner/beta', 'gamma', 'delta'],
      "summary('risk_parity').leaves",
    );
    // Each rebalance records the leaf weights as traded: the branch's weight split over its sleeves.
    for (const w of summary('risk_parity').windows) {
      const leaf = w.leaf_weights;
      assert.deepEqual(Object.keys(leaf), ['inner/alpha', 'inner/beta', 'gamma', 'delta'], 'leaf paths');
      const inner = (leaf['inner/alpha'] as number) + (leaf['inner/beta'] as number);
      assert.ok(Math.abs(inner - (w.weights['inner'] as number)) < 1e-12, `${w.date}: branch = Σ its leaves`);
      assert.equal(
        leaf['gamma'],
        w.weights['gamma'],
        `${w.date}: an atomic sleeve's leaf weight is its weight`,
      );
      assert.ok((leaf['inner/alpha'] as number) > 0, `${w.date}: the branch's sleeve carries weight`);
    }
    assert.deepEqual(
      summary('risk_parity').sleeves.map((s) => [s.id, s.kind]),
      [
        ['inner', 'meta'],
        ['gamma', 'atomic'],
        ['delta', 'atomic'],
      ],
      "summary('risk_parity').sleeves.map((s) => [s.id, s.kind])",
    );
    assert.equal(
      (await verifyLedger(join(dir(), 'audit.jsonl'))).ok,
      true,
      "(await verifyLedger(join(dir(), 'audit.jsonl'))).ok",
    );
    assert.ok(
      result.outputs.some((o) => o.path.endsWith(metaBacktestPaths(M, 'hrp').returns)),
      "result.outputs.some((o) => o.path.endsWith(metaBacktestPaths(M, 'hrp'…",
    );
    assert.ok(
      result.inputs.some((o) => o.path.endsWith(metaArtifactPaths('meta_inner', 'hrp').returns)),
      "result.inputs.some((o) => o.path.endsWith(metaArtifactPaths('meta_inn…",
    );
  });

  test('same inputs, run and SOURCE_DATE_EPOCH: byte-identical artifacts', async () => {
    await backtest({ train_window: 120, rebalance: 21 });
    const files = PROFILES.flatMap((P) => Object.values(metaBacktestPaths(M, P)));
    const first = files.map((f) => readFileSync(join(dir(), f)));
    await backtest({ train_window: 120, rebalance: 21 });
    files.forEach((f, i) => assert.ok(readFileSync(join(dir(), f)).equals(first[i]!), f));
  });

  test('a history shorter than one window is reported, not an error', async () => {
    const result = await backtest({ train_window: 310, rebalance: 21 });
    // min_variance has 320 common dates (gamma excluded), the others 300.
    assert.deepEqual(
      result.value.results.map((r) => [r.risk_profile, r.status]),
      [
        ['hrp', 'insufficient_history'],
        ['min_variance', 'ok'],
        ['risk_parity', 'insufficient_history'],
      ],
      'result.value.results.map((r) => [r.risk_profile, r.status])',
    );
    const short = JSON.parse(
      readFileSync(join(dir(), metaBacktestPaths(M, 'hrp').summary), 'utf8'),
    ) as MetaBacktestDoc;
    assert.equal(short.reason, '300 common dates: a train window of 310 needs at least 311', 'short.reason');
    assert.equal(short.metrics.meta, null, 'short.metrics.meta');
    assert.equal(
      result.outputs.some((o) => o.path.endsWith(metaBacktestPaths(M, 'hrp').returns)),
      false,
      "result.outputs.some((o) => o.path.endsWith(metaBacktestPaths(M, 'hrp'…",
    );
    assert.equal(
      existsSync(join(dir(), metaBacktestPaths(M, 'hrp').returns)),
      false,
      'the earlier table is gone',
    );
    const ledger = await readLedger(join(dir(), 'audit.jsonl'));
    assert.equal(
      ledger.filter((r) => r.type === 'decision' && r.step === 'meta.backtest_skipped').length,
      2,
      "ledger.filter((r) => r.type === 'decision' && r.step === 'meta.backte…",
    );
  });

  test('missing return matrices name the file and the stage to run; bad params are E_PARAMS', async () => {
    const rejects = (code: string, text?: string) => (e: unknown) =>
      e instanceof QuantError && e.code === code && (text === undefined || e.message.includes(text));
    await assert.rejects(
      backtest({ risk_profiles: ['hrp'] }, 'bt_empty'),
      rejects('E_ARTIFACT_MISSING', metaArtifactPaths(M, 'hrp').returns),
      'backtest rejects with E_ARTIFACT_MISSING',
    );
    await assert.rejects(backtest({ rebalance: 0 }), rejects('E_PARAMS'), 'backtest rejects with E_PARAMS');
    await assert.rejects(
      backtest({ train_window: 1.5 }),
      rejects('E_PARAMS'),
      'backtest rejects with E_PARAMS',
    );
    await assert.rejects(backtest({ slippage: -0.1 }), rejects('E_PARAMS'), 'backtest rejects with E_PARAMS');
  });
});
