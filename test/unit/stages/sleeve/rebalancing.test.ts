// A sleeve profile's `rebalancing` in sleeve.backtest: the stream meta reads is the policy's, the
// compared policies are held on the same window targets (`at_refit`: the default full trade at each
// window), costs in basis points per asset are charged, and a costs key that is not an asset
// is E_MANIFEST at its JSON path before the run folder exists.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { readSleeveStream } from '../../../../src/artifacts/index.js';
import { QuantError } from '../../../../src/errors.js';
import { writeManifest } from '../../../helpers/sleeve-fixtures.js';
import { MANIFEST, runBacktest, sleeve, sleeveWorkspace } from './_sleeve-workspace.js';

interface PolicyRow {
  name: string;
  total_return: number;
  turnover: number;
  costs: number;
  rebalances: number;
  partial: number;
}
interface RunStats {
  risk_profiles: Record<string, { turnover?: unknown }>;
  rebalancing?: { policy: Record<string, unknown>; comparison: Record<string, PolicyRow[]> };
}

const growth = (xs: ArrayLike<number>): number => Array.from(xs).reduce((g, r) => g * (1 + r), 1) - 1;
const stats = (runDir: string): RunStats =>
  JSON.parse(readFileSync(join(runDir, 'data', 'run_stats.json'), 'utf8')) as RunStats;

const POLICY = {
  every: 1,
  band_absolute: 0.1,
  costs_bps: { BASI: 0, INDU: 0, HLTH: 50 },
  compare: { monthly: { calendar: 'monthly' } },
};

describe('sleeve.backtest with a rebalancing policy', () => {
  let ws = '';
  let plainDir = '';
  let bandDir = '';
  before(async () => {
    ws = await sleeveWorkspace();
    await writeManifest(ws, {
      profiles: {
        ...MANIFEST.profiles,
        plain: sleeve({ risk_profiles: ['equal_weight'], costs: { commission: 0, slippage: 0 } }),
        banded: sleeve({
          risk_profiles: ['equal_weight'],
          costs: { commission: 0, slippage: 0 },
          rebalancing: POLICY,
        }),
      },
    });
    plainDir = (await runBacktest(ws, 'plain', 'plain_1')).runDir;
    bandDir = (await runBacktest(ws, 'banded', 'banded_1')).runDir;
  });

  test('the stream is the policy’s, compared with monthly and at_refit; only HLTH pays costs', async () => {
    assert.equal(stats(plainDir).rebalancing, undefined, 'no rebalancing record by default');
    const r = stats(bandDir).rebalancing;
    assert.ok(r !== undefined, 'run_stats records the policies');
    const rows = r.comparison['equal_weight'];
    assert.deepEqual(
      rows?.map((x) => x.name),
      ['policy', 'monthly', 'at_refit'],
      'the used policy, then compare, then the default',
    );
    const [used, , atRefit] = rows as [PolicyRow, PolicyRow, PolicyRow];
    const plain = await readSleeveStream(join(plainDir, 'data', 'returns', 'equal_weight.parquet'));
    const banded = await readSleeveStream(join(bandDir, 'data', 'returns', 'equal_weight.parquet'));
    assert.deepEqual(banded.dates, plain.dates, 'the same out-of-sample days');
    assert.ok(
      Math.abs(growth(banded.values) - used.total_return) < 1e-12,
      'data/returns/equal_weight is the policy’s stream',
    );
    assert.notDeepEqual(Array.from(banded.values), Array.from(plain.values), 'the policy changed the stream');
    assert.ok(used.rebalances < atRefit.rebalances, `a 10-point band trades less (${used.rebalances})`);
    // at_refit with HLTH at 50 bps and the others free: its stream is the free default's minus the costs,
    // so it earns less, and the costs are at most 50 bps of the turnover.
    assert.ok(atRefit.costs > 0 && atRefit.costs < 0.005 * atRefit.turnover, `HLTH pays (${atRefit.costs})`);
    assert.ok(
      atRefit.total_return < growth(plain.values),
      'the charged default earns less than the free one',
    );
  });

  test('costs above what the portfolio is worth: E_INPUT_VALUE naming the day, gross and costs; no stream', async () => {
    await writeManifest(ws, {
      profiles: {
        ...MANIFEST.profiles,
        all_bps: sleeve({
          risk_profiles: ['equal_weight'],
          rebalancing: { costs_bps: { BASI: 10_000, INDU: 10_000, HLTH: 10_000 } },
        }),
        rates: sleeve({ risk_profiles: ['equal_weight'], costs: { commission: 0.6, slippage: 0.6 } }),
      },
    });
    for (const [profile, key] of [
      ['all_bps', 'profiles.all_bps.sleeve.rebalancing.costs_bps'],
      ['rates', 'profiles.rates.sleeve.costs'],
    ] as const) {
      const error = await runBacktest(ws, profile, `${profile}_1`).catch((e: unknown) => e);
      assert.ok(error instanceof QuantError, `${profile}: a QuantError: ${String(error)}`);
      assert.equal(error.code, 'E_INPUT_VALUE', error.oneLine());
      assert.match(
        error.message,
        new RegExp(
          `^sleeve profile "${profile}", risk profile equal_weight: on \\d{4}-\\d{2}-\\d{2} the return after costs is -1\\.\\d+ \\(gross -?[\\d.e-]+, costs 1(\\.2)? on a turnover of 1\\), a loss of more than 100 %: the costs are more than the portfolio was worth$`,
        ),
        error.message,
      );
      assert.equal(error.location?.jsonPath, key, `${profile}: located at the costs to lower`);
      assert.match(error.hint ?? '', new RegExp(`^lower ${key.replaceAll('.', '\\.')}`), error.hint ?? '');
      assert.equal(
        existsSync(join(ws, 'runs', `${profile}_1`, 'data', 'returns', 'equal_weight.parquet')),
        false,
        `${profile}: no stream was written`,
      );
    }
  });

  test('commission + slippage that overflow: E_MANIFEST at profiles.X.sleeve.costs saying the sum overflows', async () => {
    await writeManifest(ws, {
      profiles: { ...MANIFEST.profiles, huge: sleeve({ costs: { commission: 1e308, slippage: 1e308 } }) },
    });
    const error = await runBacktest(ws, 'huge', 'huge_1').catch((e: unknown) => e);
    assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
    assert.equal(error.code, 'E_MANIFEST', error.oneLine());
    const issue = error.issues.find((i) => i.path.endsWith('profiles.huge.sleeve.costs'));
    assert.ok(issue !== undefined, `an issue at the costs: ${JSON.stringify(error.issues)}`);
    assert.match(
      issue.message,
      /commission \+ slippage \(1e\+308 \+ 1e\+308\) overflows to Infinity/,
      issue.message,
    );
  });

  test('a costs_bps key that is not an asset: E_MANIFEST at its JSON path, no run folder', async () => {
    await writeManifest(ws, {
      profiles: {
        ...MANIFEST.profiles,
        bad: sleeve({ rebalancing: { costs_bps: { HLHT: 10 } } }),
      },
    });
    const error = await runBacktest(ws, 'bad', 'bad_1').catch((e: unknown) => e);
    assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
    assert.equal(error.code, 'E_MANIFEST', error.oneLine());
    const issue = error.issues.find((i) => i.path.endsWith('profiles.bad.sleeve.rebalancing.costs_bps.HLHT'));
    assert.ok(issue !== undefined, `an issue at the key: ${JSON.stringify(error.issues)}`);
    assert.match(issue.message, /not one of the sleeve's assets/, issue.message);
    assert.equal(existsSync(join(ws, 'runs', 'bad_1')), false, 'no run folder was written');
  });
});
