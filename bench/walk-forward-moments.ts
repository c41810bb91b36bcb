// The rolling covariance of walk-forward training windows (sleeve key `incremental_moments`) against the
// two-pass sample covariance of each window, and a whole walk-forward with and without it. CPU time of
// this process (process.cpuUsage), median of 5 runs after one warm-up; the figures go to
// docs/benchmarks.md ("Measured outside the benchmark").
//   node --import tsx bench/walk-forward-moments.ts
import { loadavg } from 'node:os';
import { RollingCovariance } from '../src/numeric/covariance/rolling-moments.js';
import { sampleCovariance } from '../src/numeric/covariance/sample-covariance.js';
import { walkForwardBacktest } from '../src/numeric/backtest/walk-forward.js';
import { createWindowOptimizer } from '../src/numeric/backtest/window-optimizer.js';
import type { Matrix } from '../src/numeric/linalg/matrix.js';
import { factorReturns } from '../test/unit/numeric/optimize/_fixtures.js';

let TRAIN = 252;
const STEP = 21;
const EVERY = 20;

function cpu(fn: () => void): number {
  fn();
  const samples: number[] = [];
  for (let k = 0; k < 5; k++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / 1000);
  }
  return samples.sort((a, b) => a - b)[2] as number;
}

const windowsOf = (R: Matrix, count: number): { m: Matrix; dates: string[] }[] => {
  const dates = Array.from({ length: R.rows }, (_, t) => `d${t}`);
  return Array.from({ length: count }, (_, w) => ({
    m: { rows: TRAIN, cols: R.cols, data: R.data.slice(w * STEP * R.cols, (w * STEP + TRAIN) * R.cols) },
    dates: dates.slice(w * STEP, w * STEP + TRAIN),
  }));
};

console.log(`load average ${loadavg()[0]?.toFixed(1)}`);
for (const [n, train] of [
  [100, 252],
  [500, 252],
  [100, 1260],
  [500, 1260],
] as const) {
  TRAIN = train;
  const count = 100;
  const windows = windowsOf(factorReturns(n, TRAIN + STEP * (count - 1), 50 + n), count);
  const full = cpu(() => windows.forEach(({ m }) => sampleCovariance(m)));
  const rolled = cpu(() => {
    const r = new RollingCovariance(EVERY);
    windows.forEach(({ m, dates }) => r.covariance(m, dates));
  });
  console.log(
    `covariance of ${count} windows, ${n} assets, train ${TRAIN}, step ${STEP}: two-pass ${full.toFixed(0)} ms, rolling (full every ${EVERY}) ${rolled.toFixed(0)} ms, ×${(full / rolled).toFixed(1)}`,
  );
}
TRAIN = 252;
for (const n of [100, 200]) {
  const R = factorReturns(n, 2520, 60 + n);
  const dates = Array.from({ length: R.rows }, (_, t) => `d${t}`);
  const run = (incremental?: number) => (): void => {
    walkForwardBacktest(R, {
      dates,
      directions: Array.from({ length: n }, () => 'LONG' as const),
      trainWindow: TRAIN,
      testWindow: STEP,
      step: STEP,
      riskProfiles: ['min_variance', 'risk_parity', 'hrp'],
      costs: { commission: 0.001, slippage: 0 },
      optimize: createWindowOptimizer({
        periodsPerYear: 252,
        ...(incremental === undefined ? {} : { incrementalMoments: incremental }),
      }),
    });
  };
  const full = cpu(run());
  const rolled = cpu(run(EVERY));
  console.log(
    `walk-forward, ${n} assets x 2,520 days, train ${TRAIN}, step ${STEP}, min_variance + risk_parity + hrp: ${full.toFixed(0)} ms, with incremental_moments ${EVERY}: ${rolled.toFixed(0)} ms, ×${(full / rolled).toFixed(2)}`,
  );
}
console.log(`load average ${loadavg()[0]?.toFixed(1)}`);
