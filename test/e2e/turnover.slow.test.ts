// Turnover-aware allocation through the built CLI: two consecutive `quant meta run`s of a meta profile
// with `turnover.max_turnover`; the first has no reference (inactive, recorded), the second stays within
// the bound of the first run's weights after the sleeves' data changed, and a tampered reference run makes
// the next run fail with one coded line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quant, tempDir } from '../helpers/cli.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const IDS = ['a', 'b', 'c', 'd'];
const PROFILES = ['min_variance', 'max_sharpe', 'hrp', 'risk_parity'];
const BOUND = 0.08;

async function sleeves(ws: string, round: number): Promise<void> {
  const dates = businessDays('2024-01-01', 160);
  for (const [i, id] of IDS.entries()) {
    const vol = round === 1 ? [0.004, 0.006, 0.01, 0.012][i] : [0.012, 0.01, 0.006, 0.004][i];
    await writeSleeveRun(ws, {
      runId: `${id}_run${round}`,
      profile: `s_${id}`,
      createdAt: `2025-0${round}-01T00:00:00Z`,
      streams: Object.fromEntries(
        PROFILES.map((p, k) => [
          p,
          {
            dates,
            returns: randomReturns(round * 100 + i * 7 + k, dates.length, {
              vol: vol as number,
              mean: 0.0005,
            }),
          },
        ]),
      ),
      weights: Object.fromEntries(
        PROFILES.map((p) => [
          p,
          [{ Symbol: `SIX:${id.toUpperCase()}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' as const }],
        ]),
      ),
    });
  }
}

interface Doc {
  readonly method: string;
  readonly weights: Record<string, number>;
  readonly turnover?: { active: boolean; achieved?: number; binding?: boolean; reference_run_id?: string };
}

describe('turnover: two consecutive meta runs (CLI)', () => {
  let ws: { path: string; cleanup(): void };
  const run = (id: string) =>
    quant(['meta', 'run', '--profile', 'm', '--run-id', id, '--no-backtest', '--workspace', ws.path], {
      env: ENV,
    });
  const doc = (id: string, P: string): Doc =>
    JSON.parse(readFileSync(join(ws.path, 'runs', id, 'data', `meta_optimized_m_${P}.json`), 'utf8')) as Doc;

  before(async () => {
    ws = tempDir('mf-turnover-cli-');
    await sleeves(ws.path, 1);
    await writeManifest(ws.path, {
      profiles: {
        m: {
          sleeves: IDS.map((id) => ({ id, profile: `s_${id}` })),
          risk_profiles: PROFILES,
          turnover: { max_turnover: BOUND },
        },
      },
    });
  });
  after(() => ws.cleanup());

  test('the first run has no reference; the second respects max_turnover against the first', async () => {
    const first = run('r1');
    assert.equal(first.code, 0, `first run: ${first.stderr}`);
    for (const P of PROFILES)
      assert.equal(doc('r1', P).turnover?.active, false, `${P}: inactive on the first run`);
    await sleeves(ws.path, 2);
    const second = run('r2');
    assert.equal(second.code, 0, `second run: ${second.stderr}`);
    let binding = 0;
    for (const P of PROFILES) {
      const before = doc('r1', P).weights;
      const now = doc('r2', P);
      const moved = IDS.reduce(
        (s, id) => s + Math.abs((now.weights[id] as number) - (before[id] as number)),
        0,
      );
      assert.ok(moved <= BOUND + 1e-9, `${P}: turnover ${moved} within ${BOUND}`);
      assert.equal(now.turnover?.reference_run_id, 'r1', `${P}: the reference is r1`);
      assert.ok(
        Math.abs((now.turnover?.achieved ?? -1) - moved) <= 1e-12,
        `${P}: recorded ${now.turnover?.achieved}`,
      );
      if (now.turnover?.binding === true) binding++;
    }
    assert.ok(binding >= 3, `the bound binds for most profiles (${binding} of ${PROFILES.length})`);
    const report = readFileSync(join(ws.path, 'runs', 'r2', 'reports', 'meta_portfolio_report.md'), 'utf8');
    assert.ok(report.includes('Turnover from run r1: '), 'the report names the reference run');
  });

  test('a tampered reference run stops the next run with one coded line', () => {
    const file = join(ws.path, 'runs', 'r2', 'data', 'meta_optimized_m_hrp.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"a": ?[0-9.e-]+/, '"a": 0.5'));
    const third = run('r3');
    assert.equal(third.code, 1, `exit 1: ${third.stderr}`);
    assert.match(third.stderr, /E_AUDIT_OUTPUT.*turnover reference run r2/, third.stderr);
    assert.ok(!third.stderr.includes('    at '), 'no stack trace');
  });
});
