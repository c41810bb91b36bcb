// The meta profile's `rebalancing` in meta.backtest, on a workspace of real sleeve runs: a drift-band
// policy changes the out-of-sample stream against the calendar-only default, the compared policies are
// held on the same targets (`at_refit` reproduces the run without a policy exactly), costs per sleeve
// are charged, the report shows the policies side by side, and bad values are refused with E_MANIFEST
// at their JSON path before a run folder exists.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { readTable } from '../../../../src/artifacts/index.js';
import { QuantError } from '../../../../src/errors.js';
import { metaBacktestPaths, type MetaBacktestDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../../helpers/cli.js';
import { buildMetaWorkspace, metaManifest } from '../../../helpers/meta-workspace.js';
import { writeManifest } from '../../../helpers/sleeve-fixtures.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const M = 'meta_root';
const P = 'min_variance';
const sdk = new QuantSDK();
let ws: { path: string; cleanup(): void };

/** The default manifest with `rebalancing` (or other keys) on meta_root. */
function manifestWith(extra: Record<string, unknown>): Record<string, unknown> {
  const base = metaManifest() as { profiles: Record<string, Record<string, unknown>> };
  return {
    profiles: { ...base.profiles, [M]: { ...base.profiles[M], risk_profiles: [P], ...extra } },
  };
}

/** The meta pipeline without the backtest, then meta.backtest (120-row train window) and the report. */
async function run(runId: string, extra: Record<string, unknown>): Promise<MetaBacktestDoc> {
  await writeManifest(ws.path, manifestWith(extra));
  const options = { workspace: ws.path, runId, env: ENV };
  await sdk.runPipeline('meta.no_backtest', { meta_profile: M }, options);
  await sdk.runStage('meta.backtest', { meta_profile: M, train_window: 120, rebalance: 21 }, options);
  await sdk.runStage('meta.report', { meta_profile: M }, options);
  return doc(runId);
}
const doc = (runId: string): MetaBacktestDoc =>
  JSON.parse(
    readFileSync(join(ws.path, 'runs', runId, metaBacktestPaths(M, P).summary), 'utf8'),
  ) as MetaBacktestDoc;
const table = (runId: string) => readTable(join(ws.path, 'runs', runId, metaBacktestPaths(M, P).returns));
const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0);
const growth = (xs: ArrayLike<number>): number => Array.from(xs).reduce((g, r) => g * (1 + r), 1) - 1;
const near = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol;

const BANDS = {
  band_absolute: 0.05,
  compare: { monthly: { calendar: 'monthly' }, capped: { every: 1, max_turnover: 0.02 } },
};

before(async () => {
  ws = tempDir('mf-rebalancing-');
  await buildMetaWorkspace(ws.path);
});
after(() => ws.cleanup());

describe('meta.backtest with a rebalancing policy', () => {
  let calendarOnly: MetaBacktestDoc;
  let banded: MetaBacktestDoc;
  before(async () => {
    calendarOnly = await run('cal', {});
    banded = await run('band', { rebalancing: BANDS });
  });

  test('without `rebalancing` the summary has no policy record', () => {
    assert.equal(calendarOnly.rebalancing, undefined, 'no rebalancing block by default');
  });

  test('drift bands trade less and change the stream; at_refit reproduces the calendar-only run', async () => {
    const r = banded.rebalancing;
    assert.ok(r !== undefined, 'the summary records the policies');
    assert.deepEqual(
      r.comparison.map((c) => c.name),
      ['policy', 'monthly', 'capped', 'at_refit'],
      'the used policy first, then compare in manifest order, then the default',
    );
    assert.deepEqual(r.policy, { calendar: 'window', band_absolute: 0.05 }, 'the policy as written');
    const [used, , capped, atRefit] = r.comparison;
    assert.ok(used !== undefined && capped !== undefined && atRefit !== undefined, 'four rows');
    const cal = await table('cal');
    const calMeta = cal.values[cal.columns.indexOf('meta')]!;
    assert.ok(near(atRefit.total_return, growth(calMeta)), 'at_refit = the calendar-only stream, net');
    assert.ok(near(atRefit.turnover, calendarOnly.turnover.total), 'at_refit turnover = the default run’s');
    assert.ok(near(atRefit.costs, calendarOnly.costs.total), 'at_refit costs = the default run’s');
    assert.equal(atRefit.rebalances, calendarOnly.rebalances, 'at_refit trades at every refit');
    assert.ok(
      used.turnover < atRefit.turnover && used.rebalances < atRefit.rebalances,
      `the bands skip trades: ${used.rebalances} trades, turnover ${used.turnover} vs ${atRefit.rebalances}, ${atRefit.turnover}`,
    );
    assert.notEqual(banded.metrics.meta?.sharpe, calendarOnly.metrics.meta?.sharpe, 'the stream changed');
    assert.ok(
      capped.partial > 0 && capped.rebalances > atRefit.rebalances,
      `a 2 % turnover limit checked daily trades often and partly (${capped.rebalances}, ${capped.partial} partial)`,
    );
  });

  test('the daily table marks the policy’s trades; its sums are the summary’s', async () => {
    const band = await table('band');
    const col = (name: string) => band.values[band.columns.indexOf(name)]!;
    const used = banded.rebalancing!.comparison[0]!;
    assert.equal(sum(col('rebalance')), used.rebalances, 'one marked day per trade');
    assert.ok(near(sum(col('turnover')), used.turnover), 'Σ turnover column = the policy’s turnover');
    assert.ok(near(sum(col('cost')), used.costs, 1e-15), 'Σ cost column = the policy’s costs');
    assert.ok(near(growth(col('meta')), used.total_return), 'the meta column is the policy’s stream');
    assert.ok(near(banded.turnover.total, used.turnover), 'the summary’s turnover is the policy’s');
  });

  test('the report compares the policies side by side', () => {
    const md = readFileSync(join(ws.path, 'runs', 'band', 'reports', 'meta_portfolio_report.md'), 'utf8');
    const at = md.indexOf('Rebalancing policies on the same targets');
    assert.ok(at > 0, 'the backtest section has the policy table');
    const part = md.slice(at, md.indexOf('\n\n', md.indexOf('| Policy |', at)));
    assert.match(
      part,
      /\| Policy \| Rule \| Net return \| CAGR \| Sharpe \(r_f = 0\.0 %\) \| Turnover \| Costs paid \| Rebalances \|/,
      part,
    );
    assert.match(part, /\| `policy` \(used\) \| at each refit, band ±0\.05 \|/, `the used policy: ${part}`);
    assert.match(part, /\| `monthly` \| monthly \|/, `the monthly policy: ${part}`);
    assert.match(part, /\| `capped` \| every row, max turnover 0\.02 \| .* \| \d+ \(\d+ partial\) \|/, part);
    assert.match(part, /\| `at_refit` \| at each refit \|/, `the default: ${part}`);
  });

  test('a rerun with the same inputs, run id and SOURCE_DATE_EPOCH writes byte-identical artifacts', async () => {
    const files = Object.values(metaBacktestPaths(M, P)).map((f) => join(ws.path, 'runs', 'band', f));
    const before = files.map((f) => readFileSync(f));
    await sdk.runStage(
      'meta.backtest',
      { meta_profile: M, train_window: 120, rebalance: 21 },
      { workspace: ws.path, runId: 'band', env: ENV },
    );
    files.forEach((f, k) => assert.ok(readFileSync(f).equals(before[k]!), `${f} is byte-identical`));
  });

  test('costs in basis points per sleeve and per branch are charged on their own turnover', async () => {
    const priced = await run('priced', { rebalancing: { costs_bps: { inner: 0, gamma: 0, delta: 0 } } });
    const free = priced.rebalancing!.comparison.find((c) => c.name === 'at_refit')!;
    assert.equal(free.costs, 0, 'zero bps on every branch and sleeve: nothing paid');
    const cal = await table('cal');
    const charged = growth(cal.values[cal.columns.indexOf('meta')]!);
    assert.ok(
      free.total_return > charged,
      `the same trades without costs earn more than the charged default (${free.total_return} > ${charged})`,
    );
    const dearer = await run('dear', {
      rebalancing: { costs_bps: { inner: 0, 'inner/alpha': 100, gamma: 0, delta: 0 } },
    });
    const d = dearer.rebalancing!.comparison[0]!;
    assert.ok(d.costs > 0, 'inner/alpha pays 1 % per unit of its own turnover');
    assert.ok(
      d.costs < 0.01 * d.turnover,
      'less than 1 % of the total turnover: the other sleeves trade free',
    );
  });

  test('costs above what the portfolio is worth: E_INPUT_VALUE naming the day, gross and costs; no table', async () => {
    for (const [runId, extra, located] of [
      ['ruin', {}, undefined],
      [
        'ruin_bps',
        { rebalancing: { costs_bps: { inner: 10_000, gamma: 10_000, delta: 10_000 } } },
        `profiles.${M}.rebalancing.costs_bps`,
      ],
    ] as const) {
      const options = { workspace: ws.path, runId, env: ENV };
      await writeManifest(ws.path, manifestWith(extra));
      await sdk.runPipeline('meta.no_backtest', { meta_profile: M }, options);
      const error = await sdk
        .runStage(
          'meta.backtest',
          { meta_profile: M, train_window: 120, rebalance: 21, commission: 1, slippage: 1 },
          options,
        )
        .catch((e: unknown) => e);
      assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
      assert.equal(error.code, 'E_INPUT_VALUE', error.oneLine());
      assert.match(
        error.message,
        /^meta profile "meta_root", risk profile min_variance, meta stream: on \d{4}-\d{2}-\d{2} the return after costs is -\d\.\d+ \(gross -?[\d.e-]+, costs [\d.]+ on a turnover of 1\), a loss of more than 100 %: the costs are more than the portfolio was worth$/,
        error.message,
      );
      assert.equal(error.location?.jsonPath, located, 'located at costs_bps when the manifest sets them');
      assert.match(error.hint ?? '', /the commission and slippage params/, error.hint ?? '');
      assert.equal(
        existsSync(join(ws.path, 'runs', runId, metaBacktestPaths(M, P).returns)),
        false,
        'no daily table was written',
      );
    }
  });
});

describe('bad rebalancing values are refused before the run folder exists', () => {
  const cases: { name: string; rebalancing: unknown; path: string; message: RegExp }[] = [
    {
      name: 'a negative band',
      rebalancing: { band_absolute: -0.01 },
      path: 'rebalancing.band_absolute',
      message: /0/,
    },
    { name: 'every 0 rows', rebalancing: { every: 0 }, path: 'rebalancing.every', message: /1/ },
    {
      name: 'both every and a calendar',
      rebalancing: { every: 5, calendar: 'monthly' },
      path: 'rebalancing.calendar',
      message: /both "every" and "calendar"/,
    },
    {
      name: 'an unknown calendar',
      rebalancing: { calendar: 'weekly' },
      path: 'rebalancing.calendar',
      message: /monthly/,
    },
    {
      name: 'a zero turnover limit',
      rebalancing: { max_turnover: 0 },
      path: 'rebalancing.max_turnover',
      message: /0/,
    },
    {
      // Σ|Δw| between weights that sum to 1 is at most 2, as for turnover.max_turnover.
      name: 'a turnover limit above 2 inside compare',
      rebalancing: { compare: { capped: { max_turnover: 5 } } },
      path: 'rebalancing.compare.capped.max_turnover',
      message: /2/,
    },
    {
      name: 'a misspelt key',
      rebalancing: { band_absolut: 0.1 },
      path: 'rebalancing.band_absolut',
      message: /did you mean "band_absolute"/,
    },
    {
      name: 'a compare entry named like the policy in use',
      rebalancing: { compare: { policy: { every: 5 } } },
      path: 'rebalancing.compare.policy',
      message: /choose another name/,
    },
    {
      name: 'a bad value inside compare',
      rebalancing: { compare: { weekly: { band_relative: -1 } } },
      path: 'rebalancing.compare.weekly.band_relative',
      message: /0/,
    },
    {
      name: 'negative costs',
      rebalancing: { costs_bps: { gamma: -5 } },
      path: 'rebalancing.costs_bps.gamma',
      message: /0/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      await writeManifest(ws.path, manifestWith({ rebalancing: c.rebalancing }));
      const runId = 'bad_rebalancing';
      const error = await sdk
        .runPipeline('meta.no_backtest', { meta_profile: M }, { workspace: ws.path, runId, env: ENV })
        .catch((e: unknown) => e);
      assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
      assert.equal(error.code, 'E_MANIFEST', `the code: ${error.oneLine()}`);
      const issue = error.issues.find((i) => i.path.endsWith(`profiles.${M}.${c.path}`));
      assert.ok(issue !== undefined, `an issue at ${c.path}: ${JSON.stringify(error.issues)}`);
      assert.match(issue.message, c.message, `the issue says what is wrong: ${issue.message}`);
      assert.equal(existsSync(join(ws.path, 'runs', runId)), false, 'no run folder was written');
    });
  }

  test('a costs_bps key that names no sleeve: E_MANIFEST at the key, with a suggestion', async () => {
    await writeManifest(ws.path, manifestWith({ rebalancing: { costs_bps: { gamm: 10 } } }));
    const runId = 'bad_costs_key';
    const error = await sdk
      .runPipeline('meta.no_backtest', { meta_profile: M }, { workspace: ws.path, runId, env: ENV })
      .catch((e: unknown) => e);
    assert.ok(error instanceof QuantError, `a QuantError: ${String(error)}`);
    assert.equal(error.code, 'E_MANIFEST', `the code: ${error.oneLine()}`);
    assert.equal(error.location?.jsonPath, `profiles.${M}.rebalancing.costs_bps.gamm`, error.oneLine());
    assert.match(error.message, /did you mean "gamma"/, error.message);
    assert.match(error.hint ?? '', /inner\/alpha/, 'the hint lists the sleeve paths');
    assert.equal(existsSync(join(ws.path, 'runs', runId)), false, 'no run folder was written');
  });
});
