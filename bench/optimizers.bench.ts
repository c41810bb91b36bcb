// Benchmarks of the optimizers (compute only: data loaded and returns computed before timing).
// Median of repeated runs after warm-up, on the bundled data and on generated factor-model problems of
// 200 and 500 assets x 2,520 days (with --large also 1,000 and 2,000). Writes docs/benchmarks.md.
//   npm run bench                          measure, write docs/benchmarks.md
//   npm run bench -- --large               also 1,000 and 2,000 assets (minutes)
//   npm run bench -- --compare             also the ratio to bench/baseline.json per row; > 1.10 is flagged
//   npm run bench -- --record-baseline     write the measurements to bench/baseline.json
//   npm run bench -- --no-demo             skip the end-to-end demo run (needs the built CLI)
//   npm run bench -- --peer                instead compare with portfolio-allocation (bench/peer-comparison.ts)
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
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
const flags = new Set(process.argv.slice(2));
const BASELINE = resolve(root, 'bench', 'baseline.json');
/** A row slower than the baseline by more than this ratio is flagged. */
const REGRESSION = 1.1;

interface Baseline {
  readonly recorded: string;
  readonly machine: string;
  readonly rows: readonly { problem: string; method: string; median: number }[];
}

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

function time(
  fn: () => unknown,
  minRuns: number,
  budgetMs: number,
  warmUp = 3,
): { median: number; runs: number } {
  for (let i = 0; i < warmUp; i++) fn();
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
  ...(flags.has('--large')
    ? [
        { name: 'generated 1,000 x 2,520', returns: factorReturns(1000, 2520, 44) },
        { name: 'generated 2,000 x 2,520', returns: factorReturns(2000, 2520, 45) },
      ]
    : []),
];

const rows: Row[] = [];
for (const { name, returns } of problems) {
  const n = returns.cols;
  const cov = sampleCovariance(returns);
  const mu = meanReturns(returns).map((x) => x * 252);
  const annual = { rows: n, cols: n, data: cov.data.map((x) => x * 252) };
  const big = n >= 200;
  const huge = n >= 1000;
  const runs = huge ? 3 : big ? 7 : 30;
  const budget = huge ? 0 : big ? 4000 : 1000;
  const add = (method: string, fn: () => unknown, target?: number): void => {
    const r = time(fn, runs, budget, huge ? 1 : 3);
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
for (let i = 0; i < (flags.has('--no-demo') ? 0 : 3); i++) {
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
const demoMedian = demoTimes[1];
if (demoMedian !== undefined) {
  console.log(
    `demo: quant meta run --execute-sleeves (3 sleeves, 7 risk profiles): ${(demoMedian / 1000).toFixed(2)} s median`,
  );
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)} at the end`;
if (flags.has('--record-baseline')) {
  const label = spawnSync('git', ['log', '-1', '--format=%h %cs'], {
    cwd: root,
    encoding: 'utf8',
  }).stdout.trim();
  const baseline: Baseline = {
    recorded: label,
    machine,
    rows: rows.map((r) => ({ problem: r.problem, method: r.method, median: Number(r.median.toFixed(4)) })),
  };
  writeFileSync(BASELINE, JSON.stringify(baseline, null, 2) + '\n');
  console.log(`wrote ${BASELINE}`);
}
const baseline: Baseline | undefined = flags.has('--compare')
  ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline)
  : undefined;
const before = (r: Row): number | undefined =>
  baseline?.rows.find((b) => b.problem === r.problem && b.method === r.method)?.median;
const ratioCell = (r: Row): string => {
  const b = before(r);
  if (b === undefined) return '';
  const ratio = r.median / b;
  // Sub-millisecond rows are timer noise: not flagged.
  return ratio > REGRESSION && r.median > 1 ? `**${ratio.toFixed(2)}** (regression)` : ratio.toFixed(2);
};
const regressions = baseline === undefined ? [] : rows.filter((r) => ratioCell(r).includes('regression'));
const lines = [
  '# Benchmarks',
  '',
  '<!-- Written by `npm run bench`; numbers from the last run on the machine named below. -->',
  '',
  `Machine: ${machine}.`,
  'Compute only (returns already in memory); median of repeated runs after warm-up runs (3 runs and one',
  'warm-up from 1,000 assets). The generated problems are 5-factor models with idiosyncratic noise',
  '(seeded, deterministic). The machine is shared: medians of one run can move by ±30 %.',
  ...(baseline === undefined
    ? []
    : [
        '',
        `Ratio: this run's median ÷ the baseline's (\`bench/baseline.json\`, recorded at ${baseline.recorded} on`,
        `${baseline.machine}); above ${REGRESSION.toFixed(2)} is flagged. Regressions flagged: ${regressions.length}.`,
      ]),
  '',
  `| problem | method | median (ms) | runs | target (ms) | within target |${baseline === undefined ? '' : ' baseline (ms) | ratio |'}`,
  `| --- | --- | ---: | ---: | ---: | --- |${baseline === undefined ? '' : ' ---: | ---: |'}`,
  ...rows.map(
    (r) =>
      `| ${r.problem} | ${r.method} | ${r.median.toFixed(3)} | ${r.runs} | ${r.target ?? ''} | ${r.target === undefined ? '' : r.median <= r.target ? 'yes' : '**no**'} |` +
      (baseline === undefined ? '' : ` ${before(r)?.toFixed(3) ?? ''} | ${ratioCell(r)} |`),
  ),
  '',
  'For scale (same kind of 2-core machine): PyPortfolioOpt/skfolio take 130-420 ms (HRP), 60-140 ms',
  '(min-variance) and 65 ms (ERC) at 200 assets.',
  '',
  ...(demoMedian === undefined
    ? []
    : [
        '## End to end',
        '',
        `The README's main job on a fresh copy of \`examples/demo\` (\`quant meta run --profile meta_global`,
        `--execute-sleeves\`: 3 walk-forward sleeves, sign test, 7 risk profiles of returns, optimize, backtest,`,
        `flatten, Markdown and HTML report), through the built CLI: median of 3 runs ${(demoMedian / 1000).toFixed(2)} s`,
        `(runs: ${demoTimes.map((t) => (t / 1000).toFixed(2)).join(', ')} s).`,
        '',
      ]),
];
if (regressions.length > 0) {
  for (const r of regressions) console.log(`regression: ${r.problem} ${r.method}: ${ratioCell(r)}`);
}
// Sections measured outside this script (install footprint, set-up times) are kept as they are.
const KEPT = '\n## Measured outside the benchmark';
const previous = readFileSync(resolve(root, 'docs', 'benchmarks.md'), 'utf8');
const kept = previous.includes(KEPT) ? previous.slice(previous.indexOf(KEPT) + 1) : '';
writeFileSync(resolve(root, 'docs', 'benchmarks.md'), lines.join('\n') + kept);
console.log('wrote docs/benchmarks.md');
