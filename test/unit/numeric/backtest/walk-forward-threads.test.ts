// The walk-forward on worker threads gives the sequential result value for value (real data: the demo's
// sleeves), reports a window's failure as the same coded error, picks its thread count by the size of the
// work, and leaves no thread running.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { QuantError } from '../../../../src/errors.js';
import {
  walkForwardBacktest,
  type WalkForwardOptions,
} from '../../../../src/numeric/backtest/walk-forward.js';
import {
  walkForwardBacktestThreads,
  walkForwardThreads,
} from '../../../../src/numeric/backtest/walk-forward-threads.js';
import {
  createWindowOptimizer,
  type WindowOptimizerSettings,
} from '../../../../src/numeric/backtest/window-optimizer.js';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { loadSleeveInput } from '../../../../src/stages/sleeve/_sleeve-input.js';
import { sleeveWalkForward } from '../../../../src/stages/sleeve/backtest.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const DEMO_MANIFEST = join(REPO, 'examples', 'demo', 'manifest.json');

/** A demo sleeve's returns, walk-forward options and optimiser settings, as sleeve.backtest builds them. */
async function demoSleeve(profile: string): Promise<{
  returns: Matrix;
  options: Omit<WalkForwardOptions, 'optimize'>;
  settings: WindowOptimizerSettings;
}> {
  const input = await loadSleeveInput(DEMO_MANIFEST, profile);
  const { settings = {}, ...options } = sleeveWalkForward(input, undefined);
  return { returns: input.data.returns, options, settings };
}

/** Threads of this process (Linux), or undefined elsewhere. */
function threadCount(): number | undefined {
  return existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : undefined;
}

/** 3 assets x 300 days that all lose from row 150 on: max_sharpe has no positive excess return there. */
function turningNegative(): { returns: Matrix; dates: string[] } {
  const T = 300;
  const n = 3;
  const data = new Float64Array(T * n);
  let seed = 7;
  const next = (): number => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647 - 0.5) * 0.04;
  };
  for (let t = 0; t < T; t++) {
    const drift = t >= 150 ? -0.02 : 0.001;
    for (let i = 0; i < n; i++) data[t * n + i] = drift + next();
  }
  const dates = Array.from({ length: T }, (_, t) =>
    new Date(Date.UTC(2020, 0, 1 + t)).toISOString().slice(0, 10),
  );
  return { returns: { rows: T, cols: n, data }, dates };
}

describe('walkForwardBacktestThreads', () => {
  let baseline: number | undefined;
  before(async () => {
    await demoSleeve('swiss_defensive'); // the file reads start the thread pool of libuv first
    baseline = threadCount();
  });

  test('a demo sleeve on 3 threads: the sequential result, value for value', async () => {
    const { returns, options, settings } = await demoSleeve('gulf_equity');
    const sequential = walkForwardBacktest(returns, {
      ...options,
      optimize: createWindowOptimizer(settings),
    });
    const seen: string[] = [];
    const parallel = await walkForwardBacktestThreads(returns, {
      ...options,
      settings,
      threads: 3,
      onWindow: ({ profile, window }) => seen.push(`${profile}/${window}`),
    });
    assert.deepStrictEqual(parallel, sequential, 'gulf_equity on 3 threads');
    assert.equal(
      new Set(seen).size,
      options.riskProfiles.length * sequential.spans.length,
      'every window reported once as progress',
    );
  });

  test('a rebalancing policy and compared policies hold the threads’ targets as the sequential ones', async () => {
    const { returns, options, settings } = await demoSleeve('swiss_defensive');
    const withPolicies = {
      ...options,
      riskProfiles: options.riskProfiles.filter((p) => p !== 'min_cvar'),
      policy: { calendar: 'window' as const, bandAbsolute: 0.02 },
      comparePolicies: [{ calendar: 'window' as const, maxTurnover: 0.1 }],
    };
    const sequential = walkForwardBacktest(returns, {
      ...withPolicies,
      optimize: createWindowOptimizer(settings),
    });
    const parallel = await walkForwardBacktestThreads(returns, { ...withPolicies, settings, threads: 2 });
    assert.deepStrictEqual(parallel, sequential, 'the same streams, events and comparisons');
  });

  test('a failing window is the sequential coded error, the first in (risk profile, window) order', async () => {
    const { returns, dates } = turningNegative();
    const options: Omit<WalkForwardOptions, 'optimize'> = {
      dates,
      directions: ['LONG', 'LONG', 'LONG'],
      trainWindow: 60,
      testWindow: 20,
      step: 20,
      riskProfiles: ['equal_weight', 'max_sharpe'],
      costs: { commission: 0, slippage: 0 },
    };
    const settings: WindowOptimizerSettings = { fallback: false, periodsPerYear: 252 };
    let expected: unknown;
    try {
      walkForwardBacktest(returns, { ...options, optimize: createWindowOptimizer(settings) });
    } catch (error) {
      expected = error;
    }
    assert.ok(
      expected instanceof QuantError,
      `the sequential run fails with a coded error: ${String(expected)}`,
    );
    assert.equal(expected.details['risk_profile'], 'max_sharpe', 'sequential: the failing profile');
    // 12 windows on 3 threads: [0, 4), [4, 8), [8, 12); the second and the third chunk both fail.
    const window = expected.details['window'] as number;
    assert.ok(window >= 4 && window < 8, `the first failing window is in the middle chunk: ${window}`);
    await assert.rejects(
      walkForwardBacktestThreads(returns, { ...options, settings, threads: 3 }),
      (error: unknown) => {
        assert.ok(error instanceof QuantError, `a QuantError, got ${String(error)}`);
        assert.equal(error.code, expected.code, 'the code');
        assert.equal(error.message, expected.message, 'the message');
        assert.equal(error.hint, expected.hint, 'the hint');
        assert.deepEqual(error.details, expected.details, 'the details');
        return true;
      },
      'the threads reject',
    );
  });

  test('no worker thread is left once the runs above have settled, in success or failure', (t) => {
    const after = threadCount();
    if (baseline === undefined || after === undefined) {
      t.skip('needs /proc/self/task (Linux)');
      return;
    }
    assert.ok(after <= baseline, `threads of the process: ${baseline} before the runs, ${after} after`);
  });
});

describe('walkForwardThreads', () => {
  const size = { windows: 109, profiles: 4, trainRows: 252, assets: 200, incremental: false };
  test('auto: one thread for small work, up to one per core for large work', () => {
    assert.equal(walkForwardThreads('auto', { ...size, assets: 6 }, 16), 1, 'a demo-sized sleeve stays here');
    assert.equal(walkForwardThreads('auto', size, 2), 2, '200 assets on 2 cores');
    assert.equal(walkForwardThreads('auto', size, 16), 6, '200 assets on 16 cores: 7.9e9 / 1.2e9');
    assert.equal(walkForwardThreads('auto', { ...size, assets: 500 }, 16), 16, '500 assets on 16 cores');
    assert.equal(
      walkForwardThreads('auto', { ...size, windows: 5, profiles: 100 }, 16),
      5,
      'never more threads than windows',
    );
  });
  test('a count is taken as given, at most one thread per window; incremental moments run here', () => {
    assert.equal(walkForwardThreads(3, { ...size, assets: 2 }, 2), 3, 'a forced count on small data');
    assert.equal(walkForwardThreads(64, { ...size, windows: 7 }, 2), 7, 'capped at the windows');
    assert.equal(walkForwardThreads(1, size, 16), 1, 'one thread');
    assert.equal(walkForwardThreads(8, { ...size, incremental: true }, 16), 1, 'incremental moments');
    assert.equal(
      walkForwardThreads('auto', { ...size, incremental: true }, 16),
      1,
      'incremental moments, auto',
    );
  });
});
