// Runners for the executor tests, loaded by module URL in the pool's child processes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Returns the settings of the process that ran it (never part of the job). */
export async function settingsEcho(_job: unknown, ctx: JobContext): Promise<Record<string, string>> {
  return { ...ctx.settings };
}

/** The cores a sleeve's `threads: auto` may use in the process that ran it (QUANT_THREAD_CORES). */
export async function threadCoresEcho(): Promise<string | undefined> {
  return process.env['QUANT_THREAD_CORES'];
}

/** Sends a notice, then returns. */
export async function notifies(job: { text: string }, ctx: JobContext): Promise<string> {
  ctx.notice(job.text);
  return 'done';
}

/** Never ends on its own (until its process is stopped). */
export async function hangs(_job: unknown, ctx: JobContext): Promise<never> {
  ctx.progress('hanging');
  return new Promise<never>(() => undefined);
}

/** Reports progress, then waits until the file `release` exists (the test's signal) and returns its id. */
export async function waitsForFile(job: { id: string; release: string }, ctx: JobContext): Promise<string> {
  ctx.progress(`${job.id}: waiting`);
  while (!existsSync(job.release)) await sleep(10);
  return job.id;
}

/**
 * Marks `<dir>/<id>`, then waits until `<dir>/<partner>` exists (no partner: returns at once): two jobs
 * that name each other finish only if they run at the same time.
 */
export async function meets(
  job: { id: string; dir: string; partner?: string },
  ctx: JobContext,
): Promise<Timed> {
  const start = Date.now();
  ctx.progress(`${job.id}: working`);
  writeFileSync(join(job.dir, job.id), '');
  while (job.partner !== undefined && !existsSync(join(job.dir, job.partner))) await sleep(10);
  return { id: job.id, pid: process.pid, attempt: ctx.attempt, start, end: Date.now() };
}

/**
 * A rogue sleeve worker: runs nothing and answers a job with what the file `ctx.settings.answer` says
 * (`{ mode, old? }`), as anyone who can write to the queue could.
 */
export async function rogueSleeve(
  job: { profile: string; run_id: string },
  ctx: JobContext,
): Promise<unknown> {
  const answer = JSON.parse(readFileSync(ctx.settings['answer'] as string, 'utf8')) as {
    mode: string;
    old?: Record<string, string>;
  };
  const claim = { profile: job.profile, run_id: job.run_id, status: 'produced', summary: 'done' };
  if (answer.mode === 'old') return { ...claim, run_id: answer.old?.[job.profile] };
  if (answer.mode === 'null') return null;
  if (answer.mode === 'other-profile') return { ...claim, profile: 'bonds' };
  return claim;
}
