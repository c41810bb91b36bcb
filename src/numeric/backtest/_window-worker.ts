// Entry of a walk-forward worker thread (walk-forward-threads.ts): optimises one contiguous chunk of
// windows for every risk profile, on the synthetic matrix the parent shares (a SharedArrayBuffer, not
// copied), and posts the targets back in window order. The first failure stops the chunk: the parent
// keeps the one the sequential order meets first.
import { parentPort, workerData } from 'node:worker_threads';
import { isQuantError } from '../../errors.js';
import { optimizeWindow, type WindowTarget } from './walk-forward.js';
import { createWindowOptimizer } from './window-optimizer.js';
import type { ChunkFailure, ChunkJob, WorkerMessage } from './_window-protocol.js';

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

function failure(profile: number, window: number, error: unknown): ChunkFailure {
  if (isQuantError(error)) {
    return {
      profile,
      window,
      coded: true,
      code: error.code,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.location === undefined ? {} : { location: error.location }),
      issues: error.issues,
      details: error.details,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { profile, window, coded: false, message };
}

function run(job: ChunkJob): void {
  const synthetic = { rows: job.rows, cols: job.cols, data: new Float64Array(job.synthetic) };
  const spans = job.spans.slice(job.from, job.to);
  const targets: WindowTarget[][] = [];
  const transfer: ArrayBuffer[] = [];
  // One optimiser per chunk, as the sequential path has one per run: its only state is the windows'
  // covariances, shared by the risk profiles (incremental moments never reach a worker).
  const optimize = createWindowOptimizer(job.settings);
  for (const [p, profile] of job.profiles.entries()) {
    const own: WindowTarget[] = [];
    for (const span of spans) {
      try {
        const target = optimizeWindow(optimize, profile, synthetic, span, job.dates);
        own.push(target);
        transfer.push(target.weights.buffer);
      } catch (error) {
        post({ type: 'done', targets, failure: failure(p, span.index, error) });
        return;
      }
      post({ type: 'window', profile: p, window: span.index });
    }
    targets.push(own);
  }
  post({ type: 'done', targets }, transfer);
}

run(workerData as ChunkJob);
