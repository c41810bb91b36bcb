// Meta runs at scale: `quant meta run` over N completed sleeve runs of D days each, whose flattened
// portfolios hold A physical assets, in a generated temporary workspace (nothing is committed).
//   npm run bench -- --meta-scale                  both cases: 10 x 5,000 x 200 and 50 x 10,000 x 2,000
//   npm run bench -- --meta-scale=10x5000x200      one case (sleeves x days x assets)
//   npm run bench -- --meta-scale --keep           leave the workspaces in the temp folder
// Each sleeve run is what `quant sleeve run` leaves: run.json, a Parquet return stream per risk profile
// (hrp, min_variance, risk_parity), `data/portfolio_flattened.json` with every one of the A assets per risk
// profile, and an audit ledger with one backtest_optimize outcome per walk-forward window. The meta profile
// `meta_scale` holds the N sleeves (each free in [0, 1]). Everything is seeded: the same case gives the
// same workspace. Timed through the built CLI (`/usr/bin/time`): wall time, CPU time (user + system of the
// CLI and its children) and peak resident memory, one run per case after the workspace is written.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeMachine, firstTouchMicros } from './_machine.js';
import { seededRandom } from '../test/helpers/random.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../test/helpers/sleeve-fixtures.js';

/** The risk profiles of every sleeve and of the meta level. */
const RISK_PROFILES = ['hrp', 'min_variance', 'risk_parity'] as const;
/** A sleeve's walk-forward: one audit outcome per test window of this many days after the training window. */
const TRAIN_DAYS = 252;
const TEST_DAYS = 21;
export const META_PROFILE = 'meta_scale';

export interface MetaScaleCase {
  readonly sleeves: number;
  readonly days: number;
  readonly assets: number;
}

export const META_SCALE_CASES: readonly MetaScaleCase[] = [
  { sleeves: 10, days: 5000, assets: 200 },
  { sleeves: 50, days: 10000, assets: 2000 },
];

export const caseName = (c: MetaScaleCase): string =>
  `${c.sleeves} sleeves x ${c.days.toLocaleString('en-US')} days x ${c.assets.toLocaleString('en-US')} assets`;

/** Long-only weights of `assets` symbols summing to 1, seeded. */
function assetWeights(seed: number, assets: number): { Symbol: string; Weight: number }[] {
  const rand = seededRandom(seed);
  const raw = Array.from({ length: assets }, () => 0.05 + rand());
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((x, j) => ({ Symbol: `X${String(j).padStart(4, '0')}`, Weight: x / total }));
}

/** Write the workspace of `c` into `ws` (sleeve runs `s<i>_run` of profile `s<i>` and the manifest). */
export async function writeMetaScaleWorkspace(ws: string, c: MetaScaleCase): Promise<void> {
  const dates = businessDays('1990-01-01', c.days);
  const windows = Math.max(1, Math.floor((c.days - TRAIN_DAYS) / TEST_DAYS));
  for (let i = 0; i < c.sleeves; i++) {
    const id = `s${String(i).padStart(3, '0')}`;
    await writeSleeveRun(ws, {
      runId: `${id}_run`,
      profile: id,
      createdAt: '2024-06-01T00:00:00Z',
      streams: Object.fromEntries(
        RISK_PROFILES.map((p, k) => [
          p,
          {
            dates,
            returns: randomReturns(1000 * i + k, c.days, { vol: 0.006 + 0.0002 * (i % 20), mean: 0.0003 }),
          },
        ]),
      ),
      weights: Object.fromEntries(
        RISK_PROFILES.map((p, k) => [
          p,
          assetWeights(7919 * i + k, c.assets).map((w) => ({
            ...w,
            Net_Weight: w.Weight,
            Direction: 'LONG' as const,
          })),
        ]),
      ),
      health: Object.fromEntries(RISK_PROFILES.map((p) => [p, { windows, successes: windows }])),
    });
  }
  await writeManifest(ws, {
    profiles: {
      [META_PROFILE]: {
        sleeves: Array.from({ length: c.sleeves }, (_, i) => {
          const id = `s${String(i).padStart(3, '0')}`;
          return { id, profile: id };
        }),
        meta_allocation: { min_weight: 0, max_weight: 1 },
        risk_profiles: [...RISK_PROFILES],
      },
    },
  });
}

export interface MetaScaleMeasure {
  readonly name: string;
  /** Seconds. */
  readonly wall: number;
  /** Seconds of user + system time of the CLI and its children. */
  readonly cpu: number;
  /** Peak resident set size, MiB. */
  readonly peakMiB: number;
  /** Seconds to write the workspace. */
  readonly generate: number;
}

/** One `quant meta run --profile meta_scale` in `ws` under /usr/bin/time. */
function timeMetaRun(root: string, ws: string): { wall: number; cpu: number; peakMiB: number } {
  const report = join(ws, 'time.txt');
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%e %U %S %M',
      '-o',
      report,
      process.execPath,
      resolve(root, 'dist', 'cli', 'main.js'),
      'meta',
      'run',
      '--profile',
      META_PROFILE,
      '--run-id',
      'meta_scale_run',
      '--no-cache',
      '--workspace',
      ws,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) throw new Error(`meta run failed (${r.status}): ${r.stderr}`);
  const [wall, user, sys, kib] = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .at(-1)!
    .split(' ')
    .map(Number);
  return { wall: wall!, cpu: user! + sys!, peakMiB: kib! / 1024 };
}

/** Generate and time each case; prints one line per case and the machine. */
export async function runMetaScale(root: string, argv: readonly string[]): Promise<MetaScaleMeasure[]> {
  const only = argv.find((a) => a.startsWith('--meta-scale='))?.slice('--meta-scale='.length);
  const cases = META_SCALE_CASES.filter(
    (c) => only === undefined || only === `${c.sleeves}x${c.days}x${c.assets}`,
  );
  if (cases.length === 0)
    throw new Error(`no meta-scale case ${only}: use sleeves x days x assets, e.g. 10x5000x200`);
  const keep = argv.includes('--keep');
  const out: MetaScaleMeasure[] = [];
  const loadStart = loadavg()[0]?.toFixed(1);
  for (const c of cases) {
    const ws = mkdtempSync(join(tmpdir(), 'quant-meta-scale-'));
    try {
      const g0 = performance.now();
      await writeMetaScaleWorkspace(ws, c);
      const generate = (performance.now() - g0) / 1000;
      const m = { name: caseName(c), generate, ...timeMetaRun(root, ws) };
      out.push(m);
      console.log(
        `${m.name}: ${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s CPU, peak RSS ${m.peakMiB.toFixed(0)} MiB` +
          ` (workspace written in ${generate.toFixed(1)} s${keep ? `: ${ws}` : ''})`,
      );
    } finally {
      if (!keep) rmSync(ws, { recursive: true, force: true });
    }
  }
  console.log(`machine: ${describeMachine(loadStart, firstTouchMicros())}`);
  return out;
}
