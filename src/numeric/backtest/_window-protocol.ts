// Messages between walk-forward-threads.ts and its worker threads (_window-worker.ts).
import type { ErrorCode, ErrorLocation, Issue } from '../../errors.js';
import type { PortfolioMethod } from '../optimize/optimize-portfolio.js';
import type { WindowTarget } from './walk-forward.js';
import type { WindowSpan } from './walk-forward-windows.js';
import type { WindowOptimizerSettings } from './window-optimizer.js';

/** The settings a worker builds its window optimiser from: plain data (no functions, no incremental moments). */
export type ThreadSafeSettings = Omit<WindowOptimizerSettings, 'incrementalMoments' | 'sampleCovariance'>;

/** What one worker computes: windows `[from, to)` of every risk profile. */
export interface ChunkJob {
  /** The T x n synthetic matrix, row-major, shared with the parent. */
  readonly synthetic: SharedArrayBuffer;
  readonly rows: number;
  readonly cols: number;
  readonly dates: readonly string[];
  readonly spans: readonly WindowSpan[];
  readonly from: number;
  readonly to: number;
  readonly profiles: readonly PortfolioMethod[];
  readonly settings: ThreadSafeSettings;
}

/** The failure that stopped a chunk, at risk profile `profile` (its index) and window `window`. */
export type ChunkFailure = { readonly profile: number; readonly window: number; readonly message: string } & (
  | {
      readonly coded: true;
      readonly code: ErrorCode;
      readonly hint?: string;
      readonly location?: ErrorLocation;
      readonly issues: readonly Issue[];
      readonly details: Readonly<Record<string, unknown>>;
    }
  | { readonly coded: false }
);

export type WorkerMessage =
  | { readonly type: 'window'; readonly profile: number; readonly window: number }
  | {
      readonly type: 'done';
      /** Per risk profile (those completed, in order), the chunk's windows in order. */
      readonly targets: readonly (readonly WindowTarget[])[];
      readonly failure?: ChunkFailure;
    };
