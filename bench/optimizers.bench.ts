// Benchmarks of the optimizers (compute only: data loaded and returns computed before timing).
// Median of repeated runs after warm-up, on the bundled data and on generated factor-model problems of
// 50, 200 and 500 assets x 2,520 days (with --large also 1,000 and 2,000), and a capped root over 10 sleeves
// (bench/capped-root.ts). Writes docs/benchmarks.md.
//   npm run bench                          measure, write docs/benchmarks.md
//   npm run bench -- --large               also 1,000 and 2,000 assets, min_cvar and mean_cvar at 500,
//                                          min_cvar and mean_cvar's unbounded verdict at 1,000 and 2,000
//                                          (minutes)
//   npm run bench -- --compare             also the ratio to bench/baseline.json per row; > 1.10 is flagged
//                                          (rows over 1 ms)
//   npm run bench -- --record-baseline     write the measurements to bench/baseline.json
//   npm run bench -- --no-demo             skip the end-to-end demo run (needs the built CLI)
//   npm run bench -- --peer                instead compare with portfolio-allocation (bench/peer-comparison.ts)
//   npm run bench -- --meta-scale          instead time `quant meta run` on generated workspaces of 10 and 50
//                                          sleeves (bench/meta-scale.ts; --meta-scale=10x5000x200 for one)
// Every row has the median wall time and the median CPU time of the process (process.cpuUsage: user +
// system) per run; on a shared machine the CPU time moves less than the wall time. --compare uses the CPU
// time when the baseline has it.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvParse } from 'd3-dsv';
import type { Matrix } from '../src/numeric/linalg/matrix.js';
import { factorReturns } from '../test/unit/numeric/optimize/_fixtures.js';
import { built } from './_built.js';
import { demoRunArgs } from '../scripts/demo-run.mjs';
import { cpuModel, cpuOfMachine, describeMachine, firstTouchMicros } from './_machine.js';
import type * as SampleCovarianceModule from '../src/numeric/covariance/sample-covariance.js';
import type * as HierarchicalRiskParityModule from '../src/numeric/optimize/hierarchical-risk-parity.js';
import type * as MinVarianceModule from '../src/numeric/optimize/min-variance.js';
import type * as RiskParityModule from '../src/numeric/optimize/risk-parity.js';
import type * as MaxSharpeModule from '../src/numeric/optimize/max-sharpe.js';
import type * as InverseVarianceModule from '../src/numeric/optimize/inverse-variance.js';
import type * as MinCvarModule from '../src/numeric/optimize/min-cvar.js';
import type * as MeanCvarModule from '../src/numeric/optimize/mean-cvar.js';
import { CAPPED_ROOT_METHODS, cappedRoot, capsReached, solveCappedRoot } from './capped-root.js';

// The optimizers from dist/ (bench/_built.ts): what users run.
const { meanReturns, sampleCovariance } = await built<typeof SampleCovarianceModule>(
  'numeric/covariance/sample-covariance.js',
);
const { hierarchicalRiskParity } = await built<typeof HierarchicalRiskParityModule>(
  'numeric/optimize/hierarchical-risk-parity.js',
);
const { minVariance } = await built<typeof MinVarianceModule>('numeric/optimize/min-variance.js');
const { riskParity } = await built<typeof RiskParityModule>('numeric/optimize/risk-parity.js');
const { maxSharpe } = await built<typeof MaxSharpeModule>('numeric/optimize/max-sharpe.js');
const { inverseVariance } = await built<typeof InverseVarianceModule>('numeric/optimize/inverse-variance.js');
const { minCvar } = await built<typeof MinCvarModule>('numeric/optimize/min-cvar.js');
const { meanCvar } = await built<typeof MeanCvarModule>('numeric/optimize/mean-cvar.js');

const root = fileURLToPath(new URL('..', import.meta.url));

/** Run `solve`, which must find the return per unit of risk unbounded (E_UNBOUNDED_SHARPE). */
function unbounded(solve: () => unknown): void {
  try {
    solve();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'E_UNBOUNDED_SHARPE') return;
    throw error;
  }
  throw new Error('expected E_UNBOUNDED_SHARPE: the problem was solved');
}
const flags = new Set(process.argv.slice(2));
const loadStart = loadavg()[0]?.toFixed(1);
const touchMicros = firstTouchMicros();
const BASELINE = resolve(root, 'bench', 'baseline.json');
/** A row slower than the baseline by more than this ratio is flagged. */
const REGRESSION = 1.1;

interface Baseline {
  readonly recorded: string;
  readonly machine: string;
  readonly rows: readonly { problem: string; method: string; median: number; cpu?: number }[];
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
): { median: number; cpu: number; runs: number } {
  for (let i = 0; i < warmUp; i++) fn();
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || (performance.now() - start < budgetMs && samples.length < 200)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuSamples.push((c.user + c.system) / 1000);
  }
  return { median: median(samples), cpu: median(cpuSamples), runs: samples.length };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * CPU time (ms) of the finished child processes of this process so far (`cutime` + `cstime` of
 * /proc/self/stat: every waited-for descendant, so a CLI's worker processes count), or undefined where
 * there is no /proc.
 */
function childrenCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces, so cut at its closing parenthesis).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? (ticks * 1000) / clockTicks : undefined;
}
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface Row {
  problem: string;
  method: string;
  median: number;
  cpu: number;
  runs: number;
  target?: number;
}

if (process.argv.includes('--overhead')) {
  const { runOverheadComparison } = await import('./peer-comparison.js');
  runOverheadComparison(root);
  process.exit(0);
}
if (process.argv.some((a) => a === '--meta-scale' || a.startsWith('--meta-scale='))) {
  const { runMetaScale } = await import('./meta-scale.js');
  await runMetaScale(root, process.argv.slice(2));
  process.exit(0);
}
if (process.argv.includes('--peer')) {
  const { runPeerComparison } = await import('./peer-comparison.js');
  runPeerComparison(root);
  process.exit(0);
}

const problems: { name: string; returns: Matrix }[] = [
  { name: 'swx_prices (6 x 1,916)', returns: loadPrices('swx_prices') },
  { name: 'gccindex_prices (11 x 824)', returns: loadPrices('gccindex_prices') },
  { name: 'generated 50 x 2,520', returns: factorReturns(50, 2520, 41) },
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
  const add = (
    method: string,
    fn: () => unknown,
    target?: number,
    heavy: { runs: number; warmUp: number } | undefined = undefined,
  ): void => {
    const r =
      heavy === undefined ? time(fn, runs, budget, huge ? 1 : 3) : time(fn, heavy.runs, 0, heavy.warmUp);
    rows.push({
      problem: name,
      method,
      median: r.median,
      cpu: r.cpu,
      runs: r.runs,
      ...(target === undefined ? {} : { target }),
    });
    console.log(
      `${name.padEnd(28)} ${method.padEnd(36)} ${r.median.toFixed(3).padStart(9)} ms  CPU ${r.cpu.toFixed(3).padStart(9)} ms  (${r.runs} runs)`,
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
  // The tail-risk LPs on the 2,520 scenarios; from 500 assets (seconds per solve) only with --large, 3 runs.
  if (n <= 200) {
    add('min_cvar (95 %)', () => minCvar(returns), n === 200 ? 1000 : undefined);
    add('mean_cvar (95 %)', () => meanCvar(returns));
  } else if (n === 500 && flags.has('--large')) {
    add('min_cvar (95 %)', () => minCvar(returns), undefined, { runs: 3, warmUp: 1 });
    add('mean_cvar (95 %)', () => meanCvar(returns), undefined, { runs: 3, warmUp: 1 });
  } else if (n >= 1000) {
    // About 7–11 s per solve at 1,000 assets and 40–50 s at 2,000: one, no warm-up (the first call's
    // compilation is a small part of it). mean_cvar has no answer here: at these sizes the minimum CVaR of
    // the 2,520 scenarios is negative (weights without a tail loss), so the return per unit of CVaR is
    // unbounded; its row times that verdict (E_UNBOUNDED_SHARPE, after a minimum-CVaR solve) and fails
    // the bench if the solver says anything else.
    add('min_cvar (95 %)', () => minCvar(returns), undefined, { runs: 1, warmUp: 0 });
    add(
      'mean_cvar (95 %): unbounded, E_UNBOUNDED_SHARPE',
      () => unbounded(() => meanCvar(returns)),
      undefined,
      {
        runs: 1,
        warmUp: 0,
      },
    );
  }
}

// A capped root over 10 sleeves (bench/capped-root.ts): each method under the exposure caps (hrp projected
// onto them), with how many caps bind at its answer.
{
  const root = cappedRoot();
  for (const method of CAPPED_ROOT_METHODS) {
    const { binding } = capsReached(root, solveCappedRoot(root, method));
    const label = `${method === 'hrp' ? 'hrp (projected)' : method}, ${binding} binding`;
    const r = time(() => solveCappedRoot(root, method), 7, 4000);
    rows.push({
      problem: root.name,
      method: label,
      median: r.median,
      cpu: r.cpu,
      runs: r.runs,
      target: 1000,
    });
    console.log(
      `${root.name} ${label.padEnd(28)} ${r.median.toFixed(3).padStart(9)} ms  CPU ${r.cpu.toFixed(3).padStart(9)} ms  (${r.runs} runs)`,
    );
  }
}

// End to end: the README's main job (sleeves + meta pipeline + report) on a fresh copy of the demo
// workspace, through the built CLI, three times; each time run again in the same workspace, where every
// sleeve is reused (nothing about it changed) and the meta stages come from the cache.
const demoTimes: number[] = [];
const demoCpu: number[] = [];
const againTimes: number[] = [];
const againCpu: number[] = [];
/** The 1-minute load average before each demo run: the wall times mean little without it. */
const demoLoads: number[] = [];
/** One `npm start`-style run in `ws`: its wall time, and the CPU of the CLI and its worker processes. */
function demoRun(ws: string, times: number[], cpuTimes: number[]): void {
  demoLoads.push(loadavg()[0] ?? Number.NaN);
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [resolve(root, 'dist', 'cli', 'main.js'), ...demoRunArgs(ws)], {
    encoding: 'utf8',
  });
  times.push(performance.now() - t0);
  const c1 = childrenCpuMs();
  if (c0 !== undefined && c1 !== undefined) cpuTimes.push(c1 - c0);
  if (r.status !== 0) throw new Error(`demo run failed: ${r.stderr}`);
  if (times === againTimes && !/\(0 produced, \d+ reused\)/.test(r.stdout))
    throw new Error(`the second demo run produced sleeves: ${r.stdout}`);
}
for (let i = 0; i < (flags.has('--no-demo') ? 0 : 3); i++) {
  const ws = mkdtempSync(join(tmpdir(), 'quant-bench-'));
  // The whole demo (its trades block reads files next to the manifest), without earlier runs or cache.
  const demo = resolve(root, 'examples', 'demo');
  cpSync(demo, ws, {
    recursive: true,
    filter: (src) => !['runs', '.cache', '.quant'].includes(relative(demo, src).split(/[\\/]/)[0] ?? ''),
  });
  try {
    demoRun(ws, demoTimes, demoCpu);
    demoRun(ws, againTimes, againCpu);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
const demoMedian = demoTimes.length === 0 ? undefined : median(demoTimes);
const demoCpuMedian = demoCpu.length === 0 ? undefined : median(demoCpu);
const againMedian = againTimes.length === 0 ? undefined : median(againTimes);
const againCpuMedian = againCpu.length === 0 ? undefined : median(againCpu);
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const demoLoad =
  demoLoads.length === 0
    ? ''
    : `load average ${Math.min(...demoLoads).toFixed(1)}–${Math.max(...demoLoads).toFixed(1)} on ${cpus().length} cores`;
if (demoMedian !== undefined) {
  console.log(
    `demo: quant meta run --execute-sleeves (4 sleeves, 7 risk profiles): ${seconds(demoMedian)} s median` +
      (demoCpuMedian === undefined ? '' : `, CPU ${seconds(demoCpuMedian)} s median`) +
      ` (${demoLoad})`,
  );
}
if (againMedian !== undefined) {
  console.log(
    `demo again (sleeves reused): ${seconds(againMedian)} s median` +
      (againCpuMedian === undefined ? '' : `, CPU ${seconds(againCpuMedian)} s median`),
  );
}

const machine = describeMachine(loadStart, touchMicros);
if (flags.has('--record-baseline')) {
  const label = spawnSync('git', ['log', '-1', '--format=%h %cs'], {
    cwd: root,
    encoding: 'utf8',
  }).stdout.trim();
  const baseline: Baseline = {
    recorded: label,
    machine,
    rows: rows.map((r) => ({
      problem: r.problem,
      method: r.method,
      median: Number(r.median.toFixed(4)),
      cpu: Number(r.cpu.toFixed(4)),
    })),
  };
  writeFileSync(BASELINE, JSON.stringify(baseline, null, 2) + '\n');
  console.log(`wrote ${BASELINE}`);
}
const baseline: Baseline | undefined = flags.has('--compare')
  ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline)
  : undefined;
const baselineRow = (r: Row): Baseline['rows'][number] | undefined =>
  baseline?.rows.find((b) => b.problem === r.problem && b.method === r.method);
/** The baseline's figure and this run's that are compared: CPU times when the baseline has them. */
const compared = (r: Row): { before: number; now: number } | undefined => {
  const b = baselineRow(r);
  if (b === undefined) return undefined;
  return b.cpu === undefined ? { before: b.median, now: r.median } : { before: b.cpu, now: r.cpu };
};
const ratioCell = (r: Row): string => {
  const c = compared(r);
  if (c === undefined) return '';
  const ratio = c.now / c.before;
  // Sub-millisecond rows are timer noise: not flagged.
  return ratio > REGRESSION && c.now > 1 ? `**${ratio.toFixed(2)}** (regression)` : ratio.toFixed(2);
};
const regressions = baseline === undefined ? [] : rows.filter((r) => ratioCell(r).includes('regression'));
const lines = [
  '# Benchmarks',
  '',
  '<!-- Written by `npm run bench`; numbers from the last run on the machine named below. -->',
  '',
  `Machine: ${machine}.`,
  'Compute only (returns already in memory), the built package (`dist/`, as users run it); median of',
  'repeated runs after warm-up runs (3 runs and one warm-up from 1,000 assets), wall time and CPU time of',
  'the process (user + system, `process.cpuUsage`) per run. The generated problems are 5-factor models',
  'with idiosyncratic noise (seeded, deterministic).',
  'The machine is shared: wall medians of one run can move by ±30 %; CPU time moves less.',
  ...(baseline === undefined
    ? []
    : [
        '',
        `Ratio: this run's median ÷ the baseline's (\`bench/baseline.json\`, recorded${baseline.recorded === '' ? '' : ` at ${baseline.recorded}`} on`,
        `${baseline.machine}), CPU time where the baseline has it, else wall time; above`,
        `${REGRESSION.toFixed(2)} is flagged where the row takes more than 1 ms (below that the timer and the`,
        `scheduler move a median by more than that). Regressions flagged: ${regressions.length}.`,
        ...(cpuOfMachine(baseline.machine) === cpuModel()
          ? []
          : [
              `**The baseline was recorded on another CPU (${cpuOfMachine(baseline.machine) ?? 'not named'}):`,
              'its ratios mix the two machines with the code.** Record a baseline here to compare code alone.',
            ]),
      ]),
  '',
  `| problem | method | median (ms) | CPU (ms) | runs | target (ms) | within target |${baseline === undefined ? '' : ' baseline (ms) | ratio |'}`,
  `| --- | --- | ---: | ---: | ---: | ---: | --- |${baseline === undefined ? '' : ' ---: | ---: |'}`,
  ...rows.map(
    (r) =>
      `| ${r.problem} | ${r.method} | ${r.median.toFixed(3)} | ${r.cpu.toFixed(3)} | ${r.runs} | ${r.target ?? ''} | ${r.target === undefined ? '' : r.median <= r.target ? 'yes' : '**no**'} |` +
      (baseline === undefined ? '' : ` ${compared(r)?.before.toFixed(3) ?? ''} | ${ratioCell(r)} |`),
  ),
  '',
  'The peers (skfolio, PyPortfolioOpt) and the same arithmetic in NumPy/SciPy on single-threaded OpenBLAS:',
  'see "Against the peers and the BLAS floor" below.',
  '',
  ...(demoMedian === undefined
    ? []
    : [
        '## End to end',
        '',
        `The README's main job on a fresh copy of \`examples/demo\` (\`quant meta run --profile meta_global`,
        `--execute-sleeves\`: 4 walk-forward sleeves, sign test, 7 risk profiles of returns, optimize, backtest,`,
        `flatten, Markdown and HTML report), through the built CLI (${demoLoad} before the runs): median of 3 runs ${seconds(demoMedian)} s wall`,
        `(runs: ${demoTimes.map(seconds).join(', ')} s)` +
          (demoCpuMedian === undefined
            ? '.'
            : `, ${seconds(demoCpuMedian)} s CPU of the CLI and its worker processes (runs: ${demoCpu.map(seconds).join(', ')} s).`),
        '',
        ...(againMedian === undefined
          ? []
          : [
              `Run again in the same workspace (nothing changed: every sleeve reused after its audit, no sleeve`,
              `produced, the meta stages restored from the cache): median ${seconds(againMedian)} s wall (runs:`,
              `${againTimes.map(seconds).join(', ')} s)` +
                (againCpuMedian === undefined
                  ? '.'
                  : `, ${seconds(againCpuMedian)} s CPU (runs: ${againCpu.map(seconds).join(', ')} s).`),
              '',
            ]),
      ]),
];
if (regressions.length > 0) {
  for (const r of regressions) console.log(`regression: ${r.problem} ${r.method}: ${ratioCell(r)}`);
}
// Sections measured outside this script (install footprint, set-up times) are kept as they are.
const KEPT = '\n## Measured outside the benchmark';
const previous = readFileSync(resolve(root, 'docs', 'benchmarks.md'), 'utf8');
const kept = previous.includes(KEPT) ? previous.slice(previous.indexOf(KEPT) + 1) : '';
writeFileSync(resolve(root, 'docs', 'benchmarks.md'), lines.join('\n') + (kept === '' ? '' : '\n' + kept));
console.log('wrote docs/benchmarks.md');
