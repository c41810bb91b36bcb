// Entry of a local pool's child process (local-pool.ts): runs one job at a time on request of the
// parent over IPC and answers with its outcome. A process, not a worker thread, so that a job that
// crashes or is killed takes nothing else with it, and so that runners written in TypeScript load the
// same way as in the parent (worker threads do not inherit `--import` loaders on Node 20).
import { toJobFailure, type JobOutcome, type JobRunner, type JobRunnerRef } from './job.js';
import type { ChildMessage, ParentMessage } from './_pool-protocol.js';
import { importModule } from '../util/import-module.js';

const runners = new Map<string, Promise<JobRunner>>();
const PROGRESS_EVERY_MS = 250;

function loadRunner(ref: JobRunnerRef): Promise<JobRunner> {
  const key = `${ref.module}#${ref.exportName}`;
  let loaded = runners.get(key);
  if (loaded === undefined) {
    loaded = importModule(ref.module).then((mod) => {
      const fn = mod[ref.exportName];
      if (typeof fn !== 'function')
        throw new Error(`${ref.module} does not export a function ${ref.exportName}`);
      return fn as JobRunner;
    });
    runners.set(key, loaded);
  }
  return loaded;
}

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

async function run(message: Extract<ParentMessage, { type: 'run' }>): Promise<void> {
  let outcome: JobOutcome;
  try {
    const runner = await loadRunner(message.runner);
    let last = -Infinity;
    const value = await runner(message.job, {
      attempt: message.attempt,
      settings: message.settings,
      notice: (text) => send({ type: 'notice', id: message.id, message: text }),
      progress: (text) => {
        // A synchronous loop may report thousands of steps that only leave at its end: keep a few.
        const now = performance.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        send({ type: 'progress', id: message.id, message: text });
      },
    });
    outcome = { ok: true, value };
  } catch (error) {
    outcome = { ok: false, error: toJobFailure(error) };
  }
  send({ type: 'done', id: message.id, outcome });
}

// Ctrl-C reaches the whole process group: the parent decides whether running jobs finish or stop.
process.on('SIGINT', () => undefined);
// The parent is gone (killed, crashed): nobody will read the result, and a queue has re-delivered or
// will re-deliver the job elsewhere, so stop at the next turn of the event loop.
process.on('disconnect', () => process.exit(0));
process.on('message', (message: ParentMessage) => {
  if (message.type === 'run') void run(message);
});
