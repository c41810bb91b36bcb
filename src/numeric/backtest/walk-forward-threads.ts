/**
 * The walk-forward of one sleeve on worker threads. The windows of a risk profile are independent (each
 * is an estimate and an optimisation on its own trailing rows), so they are split into contiguous chunks,
 * one per thread, which see the synthetic matrix through one SharedArrayBuffer (copied once, never per
 * window). The targets come back in window order and are held on this thread exactly as the sequential
 * path holds them, so every artifact is the same to the last byte whatever the thread count.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QuantError } from '../../errors.js';
import {
  holdTargets,
  planWalkForward,
  walkForwardBacktest,
  type WalkForwardOptions,
  type WalkForwardResult,
} from './walk-forward.js';
import type { PortfolioMethod } from '../optimize/optimize-portfolio.js';
import { createWindowOptimizer, type WindowOptimizerSettings } from './window-optimizer.js';
import type { ChunkFailure, ChunkJob, ThreadSafeSettings, WorkerMessage } from './_window-protocol.js';

/** Worker threads of a walk-forward: `auto`, or a count (1 = this thread only). */
export type ThreadsSetting = 'auto' | number;

/**
 * Estimated multiply-adds each thread must get (about 0.5 s of window optimisations on the development
 * machine): a thread costs about as much CPU, 0.1 s to start and load the optimisers from the built
 * package and the rest to compile them afresh (docs/benchmarks.md, "A sleeve's windows on worker threads").
 */
const WORK_PER_THREAD = 1.2e9;

export interface ThreadedWalkForwardOptions extends Omit<WalkForwardOptions, 'optimize'> {
  /** The window optimiser's settings ({@link createWindowOptimizer}); plain data, they cross to the workers. */
  readonly settings?: WindowOptimizerSettings;
  /** Worker threads (from {@link walkForwardThreads}); 1 runs on this thread. */
  readonly threads: number;
}

/** The size of a walk-forward as {@link walkForwardThreads} weighs it. */
export interface WalkForwardSize {
  readonly windows: number;
  readonly profiles: number;
  /** Rows of each training window and assets. */
  readonly trainRows: number;
  readonly assets: number;
  /** The sleeve updates its moments from window to window (`incremental_moments`). */
  readonly incremental: boolean;
}

/**
 * Threads for a walk-forward of `size`: 1 with incremental moments (each window's estimate is updated
 * from the previous one, a chain no split can reproduce bit for bit: a fallback inside a window moves
 * where the next full computation falls); else a count is taken as given (at most one thread per window);
 * `auto` = min(cores, windows, work / {@link WORK_PER_THREAD}), with work = profiles · windows ·
 * (train rows · n² + n³), the covariance and the optimisation of each window.
 */
export function walkForwardThreads(
  setting: ThreadsSetting,
  size: WalkForwardSize,
  cores = availableParallelism(),
): number {
  if (size.incremental || size.windows < 2) return 1;
  if (setting !== 'auto') return Math.max(1, Math.min(Math.floor(setting), size.windows));
  const n = size.assets;
  const work = size.profiles * size.windows * (size.trainRows * n * n + n * n * n);
  return Math.max(1, Math.min(cores, size.windows, Math.floor(work / WORK_PER_THREAD)));
}

/**
 * {@link walkForwardBacktest} with the windows optimised on `threads` worker threads: the same result,
 * value for value (the targets are held on this thread in window order). With one thread, or with
 * incremental moments, it runs here. A window's failure is the coded error the sequential path raises,
 * the first in its order (risk profile, then window); every worker has stopped when the promise settles.
 */
export async function walkForwardBacktestThreads(
  returns: Parameters<typeof walkForwardBacktest>[0],
  options: ThreadedWalkForwardOptions,
): Promise<WalkForwardResult> {
  const { settings = {}, threads, ...rest } = options;
  const plan = planWalkForward(returns, rest);
  const chunks = Math.min(Math.floor(threads), plan.spans.length);
  if (chunks < 2 || settings.incrementalMoments !== undefined) {
    return walkForwardBacktest(returns, { ...rest, optimize: createWindowOptimizer(settings) });
  }
  const { synthetic, spans } = plan;
  const shared = new SharedArrayBuffer(synthetic.data.byteLength);
  new Float64Array(shared).set(synthetic.data);
  const jobs = chunkBounds(spans.length, chunks).map(([from, to]): ChunkJob => ({
    synthetic: shared,
    rows: synthetic.rows,
    cols: synthetic.cols,
    dates: rest.dates,
    spans,
    from,
    to,
    profiles: rest.riskProfiles,
    settings: threadSafe(settings),
  }));
  const done = await runChunks(jobs, (profile, window) =>
    rest.onWindow?.({
      profile: rest.riskProfiles[profile] as PortfolioMethod,
      window,
      windows: spans.length,
    }),
  );
  const first = firstFailure(done.map((d) => d.failure));
  if (first !== undefined) throw rebuild(first);
  const targets = rest.riskProfiles.map((_, p) => done.flatMap((d) => d.targets[p] ?? []));
  return holdTargets(plan, targets, rest);
}

/** `[from, to)` of `parts` contiguous chunks of `count` windows, sizes differing by at most one. */
function chunkBounds(count: number, parts: number): [number, number][] {
  const base = Math.floor(count / parts);
  const extra = count % parts;
  const bounds: [number, number][] = [];
  let from = 0;
  for (let k = 0; k < parts; k++) {
    const to = from + base + (k < extra ? 1 : 0);
    bounds.push([from, to]);
    from = to;
  }
  return bounds;
}

function threadSafe(settings: WindowOptimizerSettings): ThreadSafeSettings {
  const { incrementalMoments, sampleCovariance, ...plain } = settings;
  void incrementalMoments;
  if (sampleCovariance !== undefined) {
    throw new QuantError('E_PARAMS', 'a sampleCovariance function cannot cross to a worker thread', {
      hint: 'run the walk-forward with threads: 1',
    });
  }
  return plain;
}

// The worker entry sits next to this file: `.ts` when running from sources (tsx), `.js` when built.
const SOURCE_EXT = extname(fileURLToPath(import.meta.url));
const WORKER_ENTRY = new URL(`./_window-worker${SOURCE_EXT}`, import.meta.url);

/**
 * Start a worker thread on the entry. From sources the thread registers the same TypeScript loader
 * first (Node 20 threads do not inherit `--import` loaders); the built package needs none.
 */
function startWorker(job: ChunkJob): Worker {
  const options = { workerData: job, execArgv: [], stdout: false, stderr: false };
  if (SOURCE_EXT !== '.ts') return new Worker(WORKER_ENTRY, options);
  const loader = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(loader)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_ENTRY.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

type ChunkResult = Extract<WorkerMessage, { type: 'done' }>;

/**
 * Run every chunk on its own worker thread; resolves with their results in chunk order once all have
 * answered. A thread that dies without an answer rejects, after every other thread has been stopped.
 */
async function runChunks(
  jobs: readonly ChunkJob[],
  onWindow: (profile: number, window: number) => void,
): Promise<ChunkResult[]> {
  const workers: Worker[] = [];
  try {
    return await Promise.all(
      jobs.map(
        (job, k) =>
          new Promise<ChunkResult>((resolve, reject) => {
            const worker = startWorker(job);
            workers.push(worker);
            let result: ChunkResult | undefined;
            worker.on('message', (message: WorkerMessage) => {
              if (message.type === 'window') onWindow(message.profile, message.window);
              else result = message;
            });
            worker.on('error', reject);
            worker.on('exit', (code) => {
              if (result !== undefined) resolve(result);
              else
                reject(
                  new Error(
                    `walk-forward worker thread ${k + 1} stopped (exit code ${code}) without an answer`,
                  ),
                );
            });
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The failure the sequential order (risk profile, then window) meets first. */
function firstFailure(failures: readonly (ChunkFailure | undefined)[]): ChunkFailure | undefined {
  let first: ChunkFailure | undefined;
  for (const f of failures) {
    if (f === undefined) continue;
    if (
      first === undefined ||
      f.profile < first.profile ||
      (f.profile === first.profile && f.window < first.window)
    ) {
      first = f;
    }
  }
  return first;
}

/** The error a worker reported, as this thread would have thrown it. */
function rebuild(failure: ChunkFailure): Error {
  if (!failure.coded) return new Error(failure.message);
  return new QuantError(failure.code, failure.message, {
    ...(failure.hint === undefined ? {} : { hint: failure.hint }),
    ...(failure.location === undefined ? {} : { location: failure.location }),
    issues: failure.issues,
    details: failure.details,
  });
}
