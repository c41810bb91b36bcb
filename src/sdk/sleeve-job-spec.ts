/**
 * The sleeve job as data: its JSON shape (what a queue carries), its result, its job name, and where
 * its runner lives. Kept apart from the runner (sleeve-job.ts) so that planning a batch does not load
 * the SDK's stages.
 */
import { extname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { JobRunnerRef } from '../exec/job.js';

/** The job name of a sleeve job on a queue. */
export const SLEEVE_JOB_NAME = 'sleeve.backtest';

/** A sleeve job, as it travels to a worker (JSON). Paths are absolute. */
export const SleeveJobSchema = z.strictObject({
  workspace: z.string().refine(isAbsolute, 'must be an absolute path'),
  manifest: z.string().refine(isAbsolute, 'must be an absolute path'),
  profile: z.string().min(1),
  run_id: z.string().min(1),
  /** Seconds since the epoch: the run's clock (run.json and ledger timestamps), wherever it runs. */
  source_date_epoch: z.number().int().nonnegative(),
});
export type SleeveJob = z.output<typeof SleeveJobSchema>;

/** What a sleeve job returns. */
export interface SleeveJobResult {
  readonly profile: string;
  readonly run_id: string;
  /** `produced` now, or `reused`: an identical successful run was already there. */
  readonly status: 'produced' | 'reused';
  readonly summary: string;
  /** Warnings of the sleeve's stage about its input (missing data dropped), when produced now. */
  readonly warnings?: readonly string[];
}

/** How other processes find `runSleeveJob` (sleeve-job.ts next to this file, `.ts` or `.js`). */
export const SLEEVE_JOB_RUNNER: JobRunnerRef = {
  module: new URL(`./sleeve-job${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href,
  exportName: 'runSleeveJob',
};
