// `npm run bench -- --peer`: metafolio's optimizers side by side with portfolio-allocation (npm), the
// JavaScript portfolio library a user would otherwise reach for, on the same generated returns
// (n = 50, 200, 500 assets x 2,520 days): largest absolute weight difference and median time of each
// method both have. The peer is installed into a temporary folder for the run (never a dependency of
// this package) and removed afterwards. Also times the exported, argument-checking optimizePortfolio
// against the internal kernel it calls, to bound the cost of the validation layer. The tables replace
// the part of docs/benchmarks.md between the peer markers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Matrix } from '../src/numeric/linalg/matrix.js';
import { factorReturns } from '../test/unit/numeric/optimize/_fixtures.js';
import { meanReturns, sampleCovariance } from '../src/numeric/covariance/sample-covariance.js';
import { minVariance } from '../src/numeric/optimize/min-variance.js';
import { riskParity } from '../src/numeric/optimize/risk-parity.js';
import { maxSharpe } from '../src/numeric/optimize/max-sharpe.js';
import { optimizePortfolio as kernel } from '../src/numeric/optimize/optimize-portfolio.js';
import { optimizePortfolio } from '../src/index.js';

type Weights = ArrayLike<number>;
interface Peer {
  globalMinimumVarianceWeights(sigma: number[][], opt?: object): number[];
  equalRiskContributionWeights(sigma: number[][], opt?: object): number[];
  maximumSharpeRatioWeights(mu: number[], sigma: number[][], rf: number, opt?: object): number[];
}

const START = '<!-- peer:start -->';
const OVERHEAD_START = '<!-- overhead:start -->';
const OVERHEAD_END = '<!-- overhead:end -->';
const END = '<!-- peer:end -->';
/** A peer call slower than this at some n is not repeated at larger n. */
const PEER_SLOW_MS = 60_000;

function installPeer(): { peer: Peer; version: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'quant-peer-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(
    npm,
    ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', 'portfolio-allocation'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`npm install --prefix ${dir} portfolio-allocation failed:\n${r.stderr}`);
  }
  const require = createRequire(join(dir, 'package.json'));
  const pkg = join(dir, 'node_modules', 'portfolio-allocation', 'package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return {
    peer: require('portfolio-allocation') as Peer,
    version,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Median time of `fn` (one warm-up), at least `minRuns` runs and until `budgetMs` is spent. */
function time<T>(fn: () => T, minRuns: number, budgetMs: number): { median: number; runs: number; value: T } {
  const value = fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || (performance.now() - start < budgetMs && samples.length < 50)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return { median: median(samples), runs: samples.length, value };
}

function maxAbsDiff(a: Weights, b: Weights): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

function rowsOf(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

interface PeerRow {
  n: number;
  method: string;
  peerMethod: string;
  diff: number;
  ours: number;
  theirs: number;
}

function comparePeer(peer: Peer): PeerRow[] {
  const rows: PeerRow[] = [];
  const skip = new Set<string>();
  for (const [n, seed] of [
    [50, 41],
    [200, 42],
    [500, 43],
  ] as const) {
    const returns = factorReturns(n, 2520, seed);
    const cov = sampleCovariance(returns);
    const annual: Matrix = { rows: n, cols: n, data: cov.data.map((x) => x * 252) };
    const mu = meanReturns(returns).map((x) => x * 252);
    const sigma = rowsOf(annual);
    const muList = Array.from(mu);
    const cases: [string, string, () => Weights, () => Weights][] = [
      [
        'min_variance',
        'globalMinimumVarianceWeights (critical line)',
        () => minVariance(annual, {}).weights,
        () => peer.globalMinimumVarianceWeights(sigma, { optimizationMethod: 'critical-line' }),
      ],
      [
        'risk_parity (ERC)',
        'equalRiskContributionWeights (eps 1e-12)',
        () => riskParity(annual, {}).weights,
        () => peer.equalRiskContributionWeights(sigma, { eps: 1e-12 }),
      ],
      [
        'max_sharpe (r_f = 0)',
        'maximumSharpeRatioWeights (critical line)',
        () => maxSharpe(annual, mu, {}).weights,
        () => peer.maximumSharpeRatioWeights(muList, sigma, 0, { optimizationMethod: 'critical-line' }),
      ],
    ];
    for (const [method, peerMethod, ours, theirs] of cases) {
      if (skip.has(method)) continue;
      const a = time(ours, n >= 500 ? 3 : 5, 2000);
      const b = time(theirs, n >= 200 ? 1 : 3, n >= 200 ? 0 : 2000);
      if (b.median > PEER_SLOW_MS) skip.add(method);
      const row = {
        n,
        method,
        peerMethod,
        diff: maxAbsDiff(a.value, b.value),
        ours: a.median,
        theirs: b.median,
      };
      rows.push(row);
      console.log(
        `n=${n} ${method.padEnd(22)} max |Δw| ${row.diff.toExponential(1)}  ours ${row.ours.toFixed(2)} ms  peer ${row.theirs.toFixed(2)} ms`,
      );
    }
  }
  return rows;
}

interface SdkRow {
  n: number;
  method: string;
  sdk: number;
  internal: number;
}

/**
 * The exported optimizePortfolio against the kernel it calls, runs interleaved in pairs (same load on
 * both), which of the two goes first alternating; the difference is the median of the pairs' differences
 * over the kernel's median.
 */
function compareSdk(): SdkRow[] {
  const rows: SdkRow[] = [];
  for (const [n, seed] of [
    [200, 42],
    [500, 43],
  ] as const) {
    const returns = factorReturns(n, 2520, seed);
    for (const method of ['min_variance', 'risk_parity', 'hrp'] as const) {
      const options = { method, periodsPerYear: 252 };
      kernel(returns, options);
      optimizePortfolio(returns, options);
      const a: number[] = [];
      const b: number[] = [];
      const timed = (fn: () => unknown, into: number[]): void => {
        const t0 = performance.now();
        fn();
        into.push(performance.now() - t0);
      };
      for (let i = 0; i < (n >= 500 ? 21 : 61); i++) {
        const sdk = (): unknown => optimizePortfolio(returns, options);
        const own = (): unknown => kernel(returns, options);
        if (i % 2 === 0) {
          timed(sdk, a);
          timed(own, b);
        } else {
          timed(own, b);
          timed(sdk, a);
        }
      }
      const internal = median(b);
      const row = { n, method, sdk: internal + median(a.map((x, i) => x - (b[i] as number))), internal };
      rows.push(row);
      console.log(
        `n=${n} ${method.padEnd(14)} optimizePortfolio ${row.sdk.toFixed(2)} ms  kernel ${row.internal.toFixed(2)} ms  (${(((row.sdk - row.internal) / row.internal) * 100).toFixed(1)} %)`,
      );
    }
  }
  return rows;
}

const ms = (x: number): string =>
  x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`;

function render(version: string, peerRows: PeerRow[], sdkRows: SdkRow[]): string {
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ')[0] ?? '?';
  return [
    START,
    '',
    '### Against portfolio-allocation',
    '',
    `Written by \`npm run bench -- --peer\`: portfolio-allocation ${version} (npm), installed by the script into a`,
    `temporary folder for the run, against metafolio's kernels on the same generated factor-model returns`,
    `(2,520 days; sample covariance × 252, mean × 252), both from the same covariance. Node ${process.version},`,
    `${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load} when written (a shared machine: times are`,
    'upper bounds). portfolio-allocation has no HRP. Its ERC is a cyclical coordinate descent (run to',
    '`eps` 1e-12); min-variance and max-Sharpe use its critical-line algorithm.',
    '',
    '| n | method | portfolio-allocation | max abs weight diff | metafolio | portfolio-allocation | speed-up |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: |',
    ...peerRows.map(
      (r) =>
        `| ${r.n} | ${r.method} | ${r.peerMethod} | ${r.diff.toExponential(1)} | ${ms(r.ours)} | ${ms(r.theirs)} | ${(r.theirs / r.ours).toFixed(1)}x |`,
    ),
    '',
    '### Cost of the argument checks',
    '',
    OVERHEAD_START,
    '',
    'The exported `optimizePortfolio` (options checked by the zod schemas; a Float64Array read in place, its',
    "values checked by the kernel's column means) against the internal kernel it calls, on the same",
    '`{ rows, cols, data }` returns, covariance included. Runs in pairs, interleaved so that both see the same',
    "load, the order alternating; kernel: median time; difference: median of the pairs' differences over it.",
    `Load average ${load} when written.`,
    '',
    '| n | method | optimizePortfolio | kernel | difference |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...sdkRows.map(
      (r) =>
        `| ${r.n} | ${r.method} | ${ms(r.sdk)} | ${ms(r.internal)} | ${(((r.sdk - r.internal) / r.internal) * 100).toFixed(1)} % |`,
    ),
    '',
    OVERHEAD_END,
    '',
    END,
  ].join('\n');
}

/** `--overhead`: only the cost of the argument checks, written over its part of docs/benchmarks.md. */
export function runOverheadComparison(root: string): void {
  const file = resolve(root, 'docs', 'benchmarks.md');
  const rows = compareSdk();
  const block = render('', [], rows);
  const part = block.slice(block.indexOf(OVERHEAD_START), block.indexOf(OVERHEAD_END) + OVERHEAD_END.length);
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf(OVERHEAD_START);
  const end = doc.indexOf(OVERHEAD_END);
  if (start < 0 || end < start) throw new Error(`${file} has no ${OVERHEAD_START} part: run --peer once`);
  writeFileSync(file, doc.slice(0, start) + part + doc.slice(end + OVERHEAD_END.length));
  console.log(`wrote the overhead table to ${file}`);
}

/** Run both comparisons and write their tables into the kept part of docs/benchmarks.md. */
export function runPeerComparison(root: string): void {
  const sdkRows = compareSdk();
  const { peer, version, cleanup } = installPeer();
  let peerRows: PeerRow[];
  try {
    peerRows = comparePeer(peer);
  } finally {
    cleanup();
  }
  const file = resolve(root, 'docs', 'benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const block = render(version, peerRows, sdkRows);
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  const next =
    start >= 0 && end > start
      ? doc.slice(0, start) + block + doc.slice(end + END.length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  console.log(`wrote the peer tables to ${file}`);
}
