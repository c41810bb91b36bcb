/**
 * A pool of child processes on this machine, each running one job at a time (the runner is loaded by
 * the child from its module). Children start lazily, up to `concurrency`, and are reused across jobs;
 * one that dies is reported as the failure of the job it held and replaced for the next job.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobOutcome, JobRunnerRef, JobSettings } from './job.js';
import type { ChildMessage, ParentMessage } from './_pool-protocol.js';
import type { Env } from '../util/env.js';

/** Options of one job on a pool. */
export interface PoolRunOptions {
  readonly attempt?: number;
  /** The runner's `ctx.settings` (default none). */
  readonly settings?: JobSettings;
  /** The job was handed to a child process. */
  readonly onStart?: () => void;
  readonly onProgress?: (message: string) => void;
  readonly onNotice?: (message: string) => void;
}

export interface LocalPool {
  readonly concurrency: number;
  /** Run one job; resolves with its outcome (a failure is an outcome, never a rejection). */
  run<R>(runner: JobRunnerRef, job: unknown, options?: PoolRunOptions): Promise<JobOutcome<R>>;
  /**
   * Stop the pool. Graceful (default): jobs not yet started fail as E_INTERRUPTED, running jobs finish.
   * `force`: running jobs are stopped too (SIGTERM) and fail as E_INTERRUPTED. Resolves when every
   * child has exited.
   */
  close(options?: { readonly force?: boolean }): Promise<void>;
}

interface Task {
  readonly id: number;
  readonly message: ParentMessage;
  readonly onStart: (() => void) | undefined;
  readonly onProgress: ((message: string) => void) | undefined;
  readonly onNotice: ((message: string) => void) | undefined;
  resolve(outcome: JobOutcome): void;
}

interface Child {
  readonly proc: ChildProcess;
  task: Task | undefined;
  stderr: string;
  exited: Promise<void>;
  stopping: boolean;
}

// The child entry sits next to this file: `.ts` when running from sources (tsx), `.js` when built.
const CHILD_ENTRY = fileURLToPath(
  new URL(`./_pool-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);
const STDERR_TAIL = 2000;

/**
 * Node flags a child must not inherit: the parent's script given on the command line (`-e`, `--eval`,
 * `-p`, `--print`, `-pe`, with `--input-type` and `-i`, which go with it) would run again in each child in
 * place of the child entry, and debugger ports and the test runner's flags are the parent's own.
 */
const NOT_INHERITED =
  /^(?:-e|--eval|-p|--print|-pe|--input-type|-i|--interactive|--(?:inspect|debug|test)[\w-]*)(?:=|$)/;

/**
 * The Node flags of a child: the parent's (`--import tsx`, V8 flags, …) but those {@link NOT_INHERITED},
 * each with its value. A value given as the next argument is dropped too: in `execArgv` a word that is
 * not a flag is always the value of the flag before it (Node takes none starting with `-`).
 */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (!NOT_INHERITED.test(arg)) kept.push(arg);
    else if (!arg.includes('=') && execArgv[i + 1]?.startsWith('-') === false) i++;
  }
  return kept;
}

/**
 * The environment of a child: the parent's, with `QUANT_THREAD_CORES` set to the child's share of the
 * cores (at least 1), so that `concurrency` children each going parallel (a sleeve's walk-forward with
 * `threads: auto`) do not start more threads than the machine has cores. A share the parent already has
 * (a pool inside a pool's child) is divided further.
 */
export function childEnv(concurrency: number, env: Env = process.env): Env {
  const inherited = Number(env['QUANT_THREAD_CORES']);
  const cores = Number.isInteger(inherited) && inherited >= 1 ? inherited : availableParallelism();
  return { ...env, QUANT_THREAD_CORES: String(Math.max(1, Math.floor(cores / concurrency))) };
}

function interrupted(why: string): JobOutcome {
  return { ok: false, error: { code: 'E_INTERRUPTED', message: why } };
}

/** The outcome of the job a child held when it exited: interrupted if the pool stopped it, else a death. */
function exitOutcome(child: Child, code: number | null, signal: NodeJS.Signals | null): JobOutcome {
  if (child.stopping) return interrupted('stopped while running');
  const how = signal === null ? `exit code ${code ?? '?'}` : `signal ${signal}`;
  const tail = child.stderr.trim().split('\n').slice(-3).join(' | ');
  return {
    ok: false,
    error: {
      code: 'E_INTERNAL',
      message: `worker process ${child.proc.pid ?? '?'} died (${how}) while running the job${tail === '' ? '' : `: ${tail}`}`,
    },
  };
}

/** Stop one child: a graceful stop lets its running job finish first; `force` stops it mid-job. */
async function stopChild(child: Child, force: boolean): Promise<void> {
  if (child.task !== undefined && !force) {
    await new Promise<void>((r) => {
      const check = (): void => (child.task === undefined ? r() : void setTimeout(check, 20));
      check();
    });
  }
  child.stopping = true;
  if (child.task !== undefined) child.proc.kill('SIGTERM');
  else if (child.proc.connected) child.proc.disconnect();
  else child.proc.kill('SIGTERM');
  await child.exited;
}

function createTask(
  id: number,
  runner: JobRunnerRef,
  job: unknown,
  runOptions: PoolRunOptions,
  resolve: (outcome: JobOutcome) => void,
): Task {
  return {
    id,
    message: {
      type: 'run',
      id,
      runner,
      job,
      attempt: runOptions.attempt ?? 1,
      settings: runOptions.settings ?? {},
    },
    onStart: runOptions.onStart,
    onProgress: runOptions.onProgress,
    onNotice: runOptions.onNotice,
    resolve,
  };
}

/** How to create a pool. */
export interface LocalPoolOptions {
  /** Child processes at most (≥ 1). */
  readonly concurrency: number;
  /**
   * Variables set in every child's environment on top of this process's own (an SDK caller's `env`
   * option, which the children cannot see otherwise). Default none.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** Create a pool of at most `concurrency` (≥ 1) child processes. */
export function createLocalPool(options: LocalPoolOptions): LocalPool {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const env = options.env === undefined ? process.env : { ...process.env, ...options.env };
  const children: Child[] = [];
  const pending: Task[] = [];
  let nextId = 1;
  let closing = false;

  const spawnChild = (): Child => {
    const proc = fork(CHILD_ENTRY, [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: childEnv(concurrency, env),
      execArgv: childExecArgv(),
      serialization: 'json',
    });
    const child: Child = { proc, task: undefined, stderr: '', exited: Promise.resolve(), stopping: false };
    proc.stderr?.on('data', (d: Buffer) => {
      child.stderr = (child.stderr + d.toString()).slice(-STDERR_TAIL);
    });
    proc.on('message', (message: ChildMessage) => {
      const task = child.task;
      if (task === undefined || message.id !== task.id) return;
      if (message.type === 'progress') task.onProgress?.(message.message);
      else if (message.type === 'notice') task.onNotice?.(message.message);
      else {
        child.task = undefined;
        task.resolve(message.outcome);
        // Let the caller see this outcome before the next job's start.
        setImmediate(dispatch);
      }
    });
    child.exited = new Promise((resolveExit) => {
      proc.on('exit', (code, signal) => {
        const index = children.indexOf(child);
        if (index >= 0) children.splice(index, 1);
        const task = child.task;
        child.task = undefined;
        if (task !== undefined) task.resolve(exitOutcome(child, code, signal));
        resolveExit();
        dispatch();
      });
    });
    proc.on('error', () => undefined); // reported through 'exit'
    children.push(child);
    return child;
  };

  function dispatch(): void {
    if (closing) return;
    while (pending.length > 0) {
      let child = children.find((c) => c.task === undefined && !c.stopping);
      if (child === undefined) {
        if (children.length >= concurrency) return;
        child = spawnChild();
      }
      const task = pending.shift() as Task;
      child.task = task;
      child.proc.send(task.message);
      task.onStart?.();
    }
  }

  return {
    concurrency,
    run<R>(runner: JobRunnerRef, job: unknown, runOptions: PoolRunOptions = {}): Promise<JobOutcome<R>> {
      if (closing) return Promise.resolve(interrupted('not started: the pool is closed') as JobOutcome<R>);
      return new Promise<JobOutcome<R>>((resolveRun) => {
        const id = nextId++;
        pending.push(createTask(id, runner, job, runOptions, resolveRun as (outcome: JobOutcome) => void));
        dispatch();
      });
    },
    async close(closeOptions = {}): Promise<void> {
      closing = true;
      for (const task of pending.splice(0)) task.resolve(interrupted('not started'));
      await Promise.all([...children].map((child) => stopChild(child, closeOptions.force === true)));
    },
  };
}
