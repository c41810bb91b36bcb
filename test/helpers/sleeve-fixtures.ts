// Real sleeve run folders for tests (DESIGN §4): run.json or the predecessor's layout, Parquet/CSV return
// streams, weights files, a hash-chained audit.jsonl with backtest_optimize outcomes, and the optional
// raw / synthetic return matrices read by meta.sign_test.
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  openLedger,
  processStartMarker,
  writeCsvTable,
  writeFileAtomic,
  writeJsonAtomic,
  writeParquetTable,
  type NumericTable,
  type PhysicalWeight,
} from '../../src/artifacts/index.js';

const DAY_MS = 86_400_000;

/** `count` consecutive ISO days from `start` (inclusive); without `weekends`, Saturdays and Sundays are skipped. */
export function businessDays(start: string, count: number, options: { weekends?: boolean } = {}): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); out.length < count; t += DAY_MS) {
    const wd = new Date(t).getUTCDay();
    if (options.weekends === true || (wd !== 0 && wd !== 6)) out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

import { seededRandom } from './random.js';
/** `n` normal returns (Box–Muller on {@link seededRandom}); the same seed gives the same series. */
export function randomReturns(
  seed: number,
  n: number,
  options: { mean?: number; vol?: number } = {},
): Float64Array {
  const rand = seededRandom(seed);
  const mean = options.mean ?? 0.0003;
  const vol = options.vol ?? 0.01;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rand();
    const v = rand();
    out[i] = mean + vol * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

export interface AtomSpec {
  readonly Symbol: string;
  readonly Weight: number;
  readonly Net_Weight?: number;
  readonly Direction?: 'LONG' | 'SHORT';
  readonly Physical?: string;
}

export interface WideSpec {
  readonly dates: readonly string[];
  readonly columns: Readonly<Record<string, readonly number[] | Float64Array>>;
}

export interface SleeveRunSpec {
  readonly runId: string;
  readonly profile: string;
  readonly createdAt?: string;
  readonly status?: 'success' | 'failed' | 'running' | 'incomplete';
  readonly streams?: Readonly<
    Record<string, { readonly dates: readonly string[]; readonly returns: readonly number[] | Float64Array }>
  >;
  readonly format?: 'parquet' | 'csv';
  readonly layout?: 'native' | 'legacy';
  /** Predecessor file prefix `{engine}_{simulator}` (default `custom_cvxportfolio`). */
  readonly legacyPrefix?: string;
  readonly weights?: Readonly<Record<string, readonly PhysicalWeight[]>>;
  readonly atoms?: Readonly<Record<string, readonly AtomSpec[]>>;
  readonly health?: Readonly<Record<string, { readonly windows: number; readonly successes: number }>>;
  readonly returnsMatrix?: WideSpec;
  readonly syntheticReturns?: WideSpec;
}

function wide(spec: WideSpec): NumericTable {
  const columns = Object.keys(spec.columns);
  return { dates: spec.dates, columns, values: columns.map((c) => Float64Array.from(spec.columns[c] ?? [])) };
}

/**
 * A return stream as pandas writes `df.to_parquet()` for a frame with one `returns` column and an unnamed
 * UTC DatetimeIndex: the value column, then `__index_level_0__` as INT64 TIMESTAMP(NANOS, UTC), and the
 * `pandas` key-value metadata naming the index column.
 */
export function pandasReturnsParquet(dates: readonly string[], returns: ArrayLike<number>): Uint8Array {
  const index = dates.map((d) => BigInt(Date.parse(`${d}T00:00:00Z`)) * 1_000_000n);
  const pandasMeta = {
    index_columns: ['__index_level_0__'],
    columns: [
      {
        name: 'returns',
        field_name: 'returns',
        pandas_type: 'float64',
        numpy_type: 'float64',
        metadata: null,
      },
      {
        name: null,
        field_name: '__index_level_0__',
        pandas_type: 'datetimetz',
        numpy_type: 'datetime64[ns]',
        metadata: { timezone: 'UTC' },
      },
    ],
  };
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'returns', data: Float64Array.from(returns) },
        { name: '__index_level_0__', data: index },
      ],
      schema: [
        { name: 'schema', num_children: 2 },
        { name: 'returns', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        {
          name: '__index_level_0__',
          type: 'INT64',
          repetition_type: 'OPTIONAL',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' },
        },
      ],
      kvMetadata: [{ key: 'pandas', value: JSON.stringify(pandasMeta) }],
      createdBy: 'parquet-cpp-arrow version 15.0.0',
    }),
  );
}

function weightsDoc(byProfile: Readonly<Record<string, readonly object[]>>): unknown {
  return { profiles: Object.fromEntries(Object.entries(byProfile).map(([p, assets]) => [p, { assets }])) };
}

/** Write `runs/<runId>/` of a sleeve per `spec`; returns the run folder. */
export async function writeSleeveRun(workspace: string, spec: SleeveRunSpec): Promise<string> {
  const dir = join(workspace, 'runs', spec.runId);
  const layout = spec.layout ?? 'native';
  const createdAt = spec.createdAt ?? '2024-06-01T00:00:00Z';
  await mkdir(join(dir, 'data'), { recursive: true });
  if (layout === 'native') {
    await writeJsonAtomic(join(dir, 'run.json'), {
      schema_version: 1,
      run_id: spec.runId,
      kind: 'sleeve',
      profile: spec.profile,
      status: spec.status ?? 'success',
      created_at: createdAt,
      tool_version: 'fixture',
      params: {},
    });
  } else {
    await writeJsonAtomic(join(dir, 'config', 'resolved_manifest.json'), {
      profile: spec.profile,
      engine: 'custom',
    });
  }
  for (const [p, s] of Object.entries(spec.streams ?? {})) {
    const table: NumericTable = {
      dates: s.dates,
      columns: ['return'],
      values: [Float64Array.from(s.returns)],
    };
    if (layout === 'legacy') {
      const prefix = spec.legacyPrefix ?? 'custom_cvxportfolio';
      await writeFileAtomic(
        join(dir, 'data', 'returns', `${prefix}_${p}.parquet`),
        pandasReturnsParquet(s.dates, s.returns),
      );
    } else if (spec.format === 'csv') {
      await writeCsvTable(join(dir, 'data', 'returns', `${p}.csv`), table);
    } else {
      await writeParquetTable(join(dir, 'data', 'returns', `${p}.parquet`), table);
    }
  }
  if (spec.weights !== undefined)
    await writeJsonAtomic(join(dir, 'data', 'portfolio_flattened.json'), weightsDoc(spec.weights));
  if (spec.atoms !== undefined)
    await writeJsonAtomic(join(dir, 'data', 'portfolio_optimized_v2.json'), weightsDoc(spec.atoms));
  if (spec.returnsMatrix !== undefined)
    await writeParquetTable(join(dir, 'data', 'returns_matrix.parquet'), wide(spec.returnsMatrix));
  if (spec.syntheticReturns !== undefined)
    await writeParquetTable(join(dir, 'data', 'synthetic_returns.parquet'), wide(spec.syntheticReturns));
  if (spec.health !== undefined) {
    const ledger = await openLedger(join(dir, 'audit.jsonl'), { now: new Date(createdAt) });
    const entries = Object.entries(spec.health).flatMap(([p, h]) =>
      Array.from({ length: h.windows }, (_, w) => ({
        type: 'outcome' as const,
        step: 'backtest_optimize',
        status: w < h.successes ? 'success' : 'error',
        context: { profile: p, window: w, engine: 'fixture' },
      })),
    );
    await ledger.appendMany(entries);
  }
  return dir;
}

/** Write `<workspace>/manifest.json`; returns its path. */
export async function writeManifest(workspace: string, manifest: unknown): Promise<string> {
  const file = join(workspace, 'manifest.json');
  await writeJsonAtomic(file, manifest);
  return file;
}

/**
 * One atomic sleeve run per entry of `holdings` (run `<id>_run` of profile `s_<id>`): for each risk
 * profile the same LONG symbols and a random return stream on `dates` (seed and daily volatility from
 * `stream(i, k)`, i the sleeve's index, k the risk profile's).
 */
export async function writeHoldingSleeves(
  workspace: string,
  holdings: Readonly<Record<string, readonly (readonly [string, number])[]>>,
  profiles: readonly string[],
  dates: readonly string[],
  stream: (i: number, k: number) => { readonly seed: number; readonly vol: number },
): Promise<void> {
  for (const [i, [id, rows]] of Object.entries(holdings).entries()) {
    await writeSleeveRun(workspace, {
      runId: `${id}_run`,
      profile: `s_${id}`,
      streams: Object.fromEntries(
        profiles.map((p, k) => {
          const { seed, vol } = stream(i, k);
          return [p, { dates, returns: randomReturns(seed, dates.length, { vol }) }];
        }),
      ),
      weights: Object.fromEntries(
        profiles.map((p) => [
          p,
          rows.map(([Symbol, w]) => ({ Symbol, Weight: w, Net_Weight: w, Direction: 'LONG' as const })),
        ]),
      ),
    });
  }
}

/** A CSV of `days` business days from 2024-01-01: prices of A, B and C from 100, 50 and 80, seeded by `seed`. */
export function abcPricesCsv(days: number, seed: number): string {
  const dates = businessDays('2024-01-01', days);
  const level = [100, 50, 80];
  const lines = ['date,A,B,C'];
  const returns = [0, 1, 2].map((i) => randomReturns(seed + i, dates.length, { vol: 0.01 }));
  for (const [t, date] of dates.entries()) {
    for (let i = 0; i < 3; i++) level[i] = (level[i] ?? 1) * (1 + (returns[i]?.[t] ?? 0));
    lines.push(`${date},${level.map((v) => v.toFixed(6)).join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A manifest with one sleeve profile `s`: equal weight over A, B and C of `p.csv` (see {@link abcPricesCsv}). */
export const ABC_SLEEVE_MANIFEST = {
  profiles: {
    s: {
      sleeve: {
        prices: 'p.csv',
        assets: ['A', 'B', 'C'],
        risk_profiles: ['equal_weight'],
        train_window: 20,
        test_window: 10,
      },
    },
  },
};

/** The run lock of `runDir` held by this very process (alive), as `quant sleeve run` writes it. */
export function holdRunLock(runDir: string): void {
  const start = processStartMarker(process.pid);
  writeFileSync(
    join(runDir, '.lock'),
    `${JSON.stringify({
      pid: process.pid,
      hostname: hostname(),
      command: 'sleeve run',
      acquired_at: '2026-01-01T00:00:00Z',
      token: 'f'.repeat(32),
      ...(start === undefined ? {} : { pid_start: start }),
    })}\n`,
  );
}
