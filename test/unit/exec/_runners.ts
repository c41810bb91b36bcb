// Runners for the executor tests, loaded by module URL in the pool's child processes.
import { QuantError } from '../../../src/errors.js';
import type { JobContext, JobRunnerRef } from '../../../src/exec/job.js';

export interface TimedJob {
  readonly id: string;
  readonly ms?: number;
}
export interface Timed {
  readonly id: string;
  readonly pid: number;
  readonly attempt: number;
  readonly start: number;
  readonly end: number;
}

export const ref = (exportName: string): JobRunnerRef => ({ module: import.meta.url, exportName });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sleeps `ms`, reports progress, returns when and where it ran. */
export async function timed(job: TimedJob, ctx: JobContext): Promise<Timed> {
  const start = Date.now();
  ctx.progress(`${job.id}: working`);
  await sleep(job.ms ?? 0);
  return { id: job.id, pid: process.pid, attempt: ctx.attempt, start, end: Date.now() };
}

export async function failsWithCode(job: { file: string }): Promise<never> {
  throw new QuantError('E_INPUT_NOT_FOUND', `input file ${job.file} does not exist`);
}

export async function failsPlain(): Promise<never> {
  throw new TypeError('not a QuantError');
}

export async function dies(job: { code: number }): Promise<never> {
  process.stderr.write('about to die\n');
  process.exit(job.code);
}
