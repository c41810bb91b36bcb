// Benchmarks of the optimizers (compute only: data loaded and returns computed before timing).
// Median of repeated runs after warm-up, on the bundled data and on generated factor-model problems of
// 200 and 500 assets x 2,520 days. Writes docs/benchmarks.md. Run with `npm run bench`.
// `npm run bench -- --peer` instead compares with portfolio-allocation (bench/peer-comparison.ts).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { csvParse } from 'd3-dsv';
import type { Matrix } from '../src/numeric/linalg/matrix.js';
import { factorReturns } from '../test/unit/numeric/optimize/_fixtures.js';
import { meanReturns, sampleCovariance } from '../src/numeric/covariance/sample-covariance.js';
import { hierarchicalRiskParity } from '../src/numeric/optimize/hierarchical-risk-parity.js';
import { minVariance } from '../src/numeric/optimize/min-variance.js';
import { riskParity } from '../src/numeric/optimize/risk-parity.js';
import { maxSharpe } from '../src/numeric/optimize/max-sharpe.js';
import { inverseVariance } from '../src/numeric/optimize/inverse-variance.js';
import { minCvar } from '../src/numeric/optimize/min-cvar.js';

const root = resolve(import.meta.dirname, '..');

function loadPrices(name: string): Matrix {
  const rows = csvParse(readFileSync(resolve(root, 'data', `${name}.csv`), 'utf8'));
  const assets = rows.columns.filter((c) => c !== 'date');
  const kept = rows.filter((r) => assets.every((a) => r[a] !== ''));
  const T = kept.length - 1;
  const n = assets.length;
  const data = new Float64Array(T * n);
  for (let t = 1; t <= T; t++)
    for (let j = 0; j < n; j++)
      data[(t - 1) * n + j] = Number(kept[t]![assets[j]!]) / Number(kept[t - 1]![assets[j]!]) - 1;
  return { rows: T, cols: n, data };
}

function time(fn: () => unknown, minRuns: number, budgetMs: number): { median: number; runs: number } {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || (performance.now() - start < budgetMs && samples.length < 200)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)] as number, runs: samples.length };
}

interface Row {
  problem: string;
  method: string;
  median: number;
  runs: number;
  target?: number;
}

if (process.argv.includes('--peer')) {
  const { runPeerComparison } = await import('./peer-comparison.js');
  runPeerComparison(root);
  process.exit(0);
}

const problems: { name: string; returns: Matrix }[] = [
  { name: 'swx_prices (6 x 1,916)', returns: loadPrices('swx_prices') },
  { name: 'gccindex_prices (11 x 824)', returns: loadPrices('gccindex_prices') },
  { name: 'generated 200 x 2,520', returns: factorReturns(200, 2520, 42) },
  { name: 'generated 500 x 2,520', returns: factorReturns(500, 2520, 43) },
];

const rows: Row[] = [];
for (const { name, returns } of problems) {
  const n = returns.cols;
  const cov = sampleCovariance(returns);
  const mu = meanReturns(returns).map((x) => x * 252);
  const annual = { rows: n, cols: n, data: cov.data.map((x) => x * 252) };
  const big = n >= 200;
  const runs = big ? 7 : 30;
  const budget = big ? 4000 : 1000;
  const add = (method: string, fn: () => unknown, target?: number): void => {
    const r = time(fn, runs, budget);
    rows.push({
      problem: name,
      method,
      median: r.median,
      runs: r.runs,
      ...(target === undefined ? {} : { target }),
    });
    console.log(
      `${name.padEnd(28)} ${method.padEnd(36)} ${r.median.toFixed(3).padStart(9)} ms  (${r.runs} runs)`,
    );
  };
  add('sample covariance', () => sampleCovariance(returns));
  add(
    'hrp (single, incl. covariance)',
    () => hierarchicalRiskParity(sampleCovariance(returns), { linkage: 'single' }),
    n === 200 ? 40 : undefined,
  );
  add('hrp (ward, optimal leaf order)', () =>
    hierarchicalRiskParity(cov, { linkage: 'ward', leafOrder: 'optimal' }),
  );
  add('min_variance', () => minVariance(annual, {}), n === 200 ? 40 : n === 500 ? 400 : undefined);
  add('min_variance [0.0, 0.05] bounds', () =>
    minVariance(annual, { minWeight: 0, maxWeight: Math.max(0.05, 2 / n) }),
  );
  add('risk_parity (ERC)', () => riskParity(annual, {}), n === 200 ? 40 : undefined);
  add('max_sharpe', () => maxSharpe(annual, mu, {}));
  add('inverse_variance', () => inverseVariance(annual));
  // The tail-risk LP on the 2,520 scenarios (the 500-asset problem is left out: seconds per run).
  if (n <= 200) add('min_cvar (95 %)', () => minCvar(returns), n === 200 ? 1000 : undefined);
}

// End to end: the README's main job (sleeves + meta pipeline + report) on a fresh copy of the demo
// workspace, through the built CLI, three times.
const demoTimes: number[] = [];
for (let i = 0; i < 3; i++) {
  const ws = mkdtempSync(join(tmpdir(), 'quant-bench-'));
  cpSync(resolve(root, 'examples', 'demo', 'manifest.json'), join(ws, 'manifest.json'));
  cpSync(resolve(root, 'examples', 'demo', 'data'), join(ws, 'data'), { recursive: true });
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      resolve(root, 'dist', 'cli', 'main.js'),
      'meta',
      'run',
      '--profile',
      'meta_global',
      '--execute-sleeves',
      '--workspace',
      ws,
    ],
    { encoding: 'utf8' },
  );
  demoTimes.push(performance.now() - t0);
  rmSync(ws, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`demo run failed: ${r.stderr}`);
}
demoTimes.sort((a, b) => a - b);
const demoMedian = demoTimes[1] as number;
console.log(
  `demo: quant meta run --execute-sleeves (3 sleeves, 7 risk profiles): ${(demoMedian / 1000).toFixed(2)} s median`,
);

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  '# Benchmarks',
  '',
  '<!-- Written by `npm run bench`; numbers from the last run on the machine named below. -->',
  '',
  `Machine: ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
  'Compute only (returns already in memory); median of repeated runs after 3 warm-up runs. The',
  'generated problems are 5-factor models with idiosyncratic noise (seeded, deterministic).',
  '',
  '| problem | method | median (ms) | runs | target (ms) | within target |',
  '| --- | --- | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.problem} | ${r.method} | ${r.median.toFixed(3)} | ${r.runs} | ${r.target ?? ''} | ${r.target === undefined ? '' : r.median <= r.target ? 'yes' : '**no**'} |`,
  ),
  '',
  'For scale (same kind of 2-core machine): PyPortfolioOpt/skfolio take 130-420 ms (HRP), 60-140 ms',
  '(min-variance) and 65 ms (ERC) at 200 assets.',
  '',
  '## End to end',
  '',
  `The README's main job on a fresh copy of \`examples/demo\` (\`quant meta run --profile meta_global`,
  `--execute-sleeves\`: 3 walk-forward sleeves, sign test, 7 risk profiles of returns, optimize, backtest,`,
  `flatten, Markdown and HTML report), through the built CLI: median of 3 runs ${(demoMedian / 1000).toFixed(2)} s`,
  `(runs: ${demoTimes.map((t) => (t / 1000).toFixed(2)).join(', ')} s).`,
  '',
];
// Sections measured outside this script (install footprint, set-up times) are kept as they are.
const KEPT = '\n## Measured outside the benchmark';
const previous = readFileSync(resolve(root, 'docs', 'benchmarks.md'), 'utf8');
const kept = previous.includes(KEPT) ? previous.slice(previous.indexOf(KEPT) + 1) : '';
writeFileSync(resolve(root, 'docs', 'benchmarks.md'), lines.join('\n') + kept);
console.log('wrote docs/benchmarks.md');
