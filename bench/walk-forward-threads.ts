// sleeve.backtest on one and on two worker threads (QUANT_THREADS), through the built CLI: a generated
// sleeve of 200 assets x 2,520 daily returns and the demo's four sleeves. Wall and CPU time (user + system
// of the whole process, worker threads included) of each `quant sleeve run`, interleaved, medians; and the
// walk-forward alone in this process (from dist/) on one thread, which gives the share of the run that
// can go parallel. The figures go to docs/benchmarks.md ("Measured outside the benchmark").
//   node scripts/build.mjs --if-stale && node --import tsx bench/walk-forward-threads.ts [--reps 3] [--only-wide]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { factorReturns } from '../test/unit/numeric/optimize/_fixtures.js';
import type * as InputModule from '../src/stages/sleeve/_sleeve-input.js';
import type * as StageModule from '../src/stages/sleeve/backtest.js';
import type * as ThreadsModule from '../src/numeric/backtest/walk-forward-threads.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(root, 'dist', 'cli', 'main.js');
const repsAt = process.argv.indexOf('--reps');
const REPS = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 3;
const N = 200;
const T = 2520;
const WIDE_PROFILES = ['hrp', 'min_variance', 'risk_parity', 'max_sharpe'];
const ONLY_WIDE = process.argv.includes('--only-wide');

/** A workspace with `wide`: N assets x T returns from a 5-factor model, as prices. */
function wideWorkspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'mf-threads-'));
  const R = factorReturns(N, T, 4242);
  const assets = Array.from({ length: N }, (_, i) => `A${String(i).padStart(3, '0')}`);
  const price = new Float64Array(N).fill(100);
  const day = new Date(Date.UTC(2010, 0, 4));
  const lines = [`date,${assets.join(',')}`];
  for (let t = 0; t <= T; t++) {
    if (t > 0)
      for (let i = 0; i < N; i++) price[i] = (price[i] as number) * (1 + (R.data[(t - 1) * N + i] as number));
    lines.push(`${day.toISOString().slice(0, 10)},${Array.from(price, (p) => p.toPrecision(10)).join(',')}`);
    do day.setUTCDate(day.getUTCDate() + 1);
    while (day.getUTCDay() === 0 || day.getUTCDay() === 6);
  }
  writeFileSync(join(ws, 'prices.csv'), lines.join('\n') + '\n');
  const sleeve = {
    prices: 'prices.csv',
    assets,
    risk_profiles: WIDE_PROFILES,
    train_window: 252,
    test_window: 21,
    step: 21,
    costs: { commission: 0.0001, slippage: 0.0005 },
  };
  writeFileSync(join(ws, 'manifest.json'), JSON.stringify({ profiles: { wide: { sleeve } } }, null, 2));
  return ws;
}

interface Sample {
  readonly wall: number;
  readonly cpu: number;
}

let runNo = 0;
/** One `quant sleeve run` under /usr/bin/time: seconds of wall and of CPU (user + system). */
function sleeveRun(ws: string, profile: string, threads: number): Sample {
  runNo++;
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      'TIME %e %U %S',
      process.execPath,
      CLI,
      'sleeve',
      'run',
      '--profile',
      profile,
      '--run-id',
      `r${runNo}`,
      '--workspace',
      ws,
    ],
    {
      env: { ...process.env, QUANT_THREADS: String(threads), SOURCE_DATE_EPOCH: '1717200000' },
      encoding: 'utf8',
    },
  );
  const line = r.stderr.split('\n').find((l) => l.startsWith('TIME '));
  if (r.status !== 0 || line === undefined) throw new Error(`sleeve run ${profile} failed: ${r.stderr}`);
  const [wall, user, sys] = line.slice(5).split(' ').map(Number) as [number, number, number];
  rmSync(join(ws, 'runs', `r${runNo}`), { recursive: true, force: true });
  return { wall, cpu: user + sys };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The walk-forward alone in this process, from dist/: wall and CPU seconds (worker threads included). */
async function walkForwardAlone(ws: string, profile: string, threads: number): Promise<Sample> {
  const { loadSleeveInput } = (await import(
    join(root, 'dist/stages/sleeve/_sleeve-input.js')
  )) as typeof InputModule;
  const { sleeveWalkForward } = (await import(
    join(root, 'dist/stages/sleeve/backtest.js')
  )) as typeof StageModule;
  const { walkForwardBacktestThreads } = (await import(
    join(root, 'dist/numeric/backtest/walk-forward-threads.js')
  )) as typeof ThreadsModule;
  const input = await loadSleeveInput(join(ws, 'manifest.json'), profile);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await walkForwardBacktestThreads(input.data.returns, { ...sleeveWalkForward(input, undefined), threads });
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

async function measure(ws: string, profile: string): Promise<void> {
  const one: Sample[] = [];
  const two: Sample[] = [];
  const aloneOne: Sample[] = [];
  const aloneTwo: Sample[] = [];
  const load0 = loadavg()[0] as number;
  for (let k = 0; k < REPS; k++) {
    one.push(sleeveRun(ws, profile, 1));
    two.push(sleeveRun(ws, profile, 2));
    aloneOne.push(await walkForwardAlone(ws, profile, 1));
    aloneTwo.push(await walkForwardAlone(ws, profile, 2));
  }
  const load1 = loadavg()[0] as number;
  const wall = (xs: Sample[]): number => median(xs.map((s) => s.wall));
  const cpu = (xs: Sample[]): number => median(xs.map((s) => s.cpu));
  // The share that goes parallel, in CPU (steady under load, unlike wall time).
  const p = Math.min(1, cpu(aloneOne) / cpu(one));
  const amdahl = (n: number): number => 1 / (1 - p + p / n);
  const f = (x: number): string => x.toFixed(2);
  console.log(
    `${profile}: run 1 thread ${f(wall(one))} s wall / ${f(cpu(one))} s CPU, 2 threads ${f(wall(two))} / ${f(cpu(two))}, x${f(wall(one) / wall(two))} wall; ` +
      `walk-forward alone 1 thread ${f(wall(aloneOne))} / ${f(cpu(aloneOne))}, 2 threads ${f(wall(aloneTwo))} / ${f(cpu(aloneTwo))}, x${f(wall(aloneOne) / wall(aloneTwo))} wall; ` +
      `parallel share ${(100 * p).toFixed(0)} % of the run's CPU: Amdahl x${f(amdahl(2))} on 2, x${f(amdahl(16))} on 16 (load ${load0.toFixed(1)} -> ${load1.toFixed(1)}, ${REPS} runs each)`,
  );
}

console.log(`${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)}`);
const wide = wideWorkspace();
const demo = mkdtempSync(join(tmpdir(), 'mf-threads-demo-'));
cpSync(join(root, 'examples', 'demo'), demo, { recursive: true });
try {
  await measure(wide, 'wide');
  for (const profile of ONLY_WIDE
    ? []
    : ['swiss_sectors', 'swiss_defensive', 'swiss_balanced', 'gulf_equity']) {
    await measure(demo, profile);
  }
} finally {
  rmSync(wide, { recursive: true, force: true });
  rmSync(demo, { recursive: true, force: true });
}
