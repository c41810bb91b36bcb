// Runs one fuzz target in a worker thread for a bounded time, with a watchdog: an input that keeps the
// worker busy longer than `hangMs` is reported as a hang (with the input), and so is a worker that dies.
import { Worker } from 'node:worker_threads';
import { MAX_INPUT_BYTES } from './_mutate.js';

export interface FuzzJob {
  readonly target: string;
  readonly seed: number;
  readonly seconds: number;
  readonly maxIterations: number;
  readonly shared: SharedArrayBuffer;
}

export interface FuzzFailure {
  readonly iteration: number;
  readonly kind: 'error' | 'hang' | 'crash';
  readonly message: string;
  readonly where: string;
  /** The failing input, base64: decode it into a file to add it to the corpus. */
  readonly input: string;
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly iterations: number;
  /** Inputs the reader accepted (the rest raised a coded error, or failed). */
  readonly accepted: number;
  /** How often each error code was raised. */
  readonly codes: Readonly<Record<string, number>>;
  readonly failures: readonly FuzzFailure[];
}

export interface FuzzOptions {
  readonly seconds: number;
  readonly seed?: number;
  readonly maxIterations?: number;
  /** One input taking longer than this is a hang (default 5 s). */
  readonly hangMs?: number;
}

const WORKER = new URL('./_worker.ts', import.meta.url).href;

/** Fuzz `target` for `seconds` (seeded: the same seed replays the same inputs). */
export function fuzz(target: string, options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? 1;
  const shared = new SharedArrayBuffer(8 + MAX_INPUT_BYTES);
  const job: FuzzJob = {
    target,
    seed,
    seconds: options.seconds,
    maxIterations: options.maxIterations ?? Number.MAX_SAFE_INTEGER,
    shared,
  };
  // The worker runs TypeScript: register tsx inside it before loading the loop.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(WORKER)});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: job });
  const counter = new Int32Array(shared, 0, 2);
  const current = (): { iteration: number; input: string } => ({
    iteration: Atomics.load(counter, 0) - 1,
    input: Buffer.from(new Uint8Array(shared, 8, Atomics.load(counter, 1))).toString('base64'),
  });
  const hangMs = options.hangMs ?? 5000;
  return new Promise((resolve) => {
    let last = -1;
    let since = Date.now();
    let settled = false;
    const finish = (report: FuzzReport): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve(report);
    };
    const broken = (kind: 'hang' | 'crash', message: string): void => {
      const { iteration, input } = current();
      finish({
        target,
        seed,
        iterations: iteration + 1,
        accepted: 0,
        codes: {},
        failures: [{ iteration, kind, message, where: '', input }],
      });
    };
    const watchdog = setInterval(() => {
      const now = Atomics.load(counter, 0);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > hangMs) broken('hang', `no progress for ${hangMs} ms on one input`);
    }, 100);
    worker.on('message', (report: FuzzReport) => finish(report));
    worker.on('error', (error) => broken('crash', `the worker died: ${error.message}`));
    worker.on('exit', (code) => broken('crash', `the worker exited with code ${code}`));
  });
}

/** One line per failure, ready to paste into an issue or a corpus file. */
export function formatFailures(report: FuzzReport): string {
  return report.failures
    .map(
      (f) =>
        `${report.target} seed ${report.seed} input #${f.iteration} (${f.kind}): ${f.message}${f.where === '' ? '' : ` at ${f.where}`}\n  base64: ${f.input}`,
    )
    .join('\n');
}
