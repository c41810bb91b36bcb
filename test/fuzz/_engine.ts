// Runs one fuzz target in a worker thread for a bounded number of inputs (or time), with a watchdog that
// measures progress: an input on which the worker makes no progress while the process spends `hangMs` of
// CPU time is reported as a hang (with the input), and so is a worker that dies. CPU time, not elapsed time,
// so that a busy machine does not turn a slow input into a hang; the worker's start-up does not count (the
// watchdog arms on the first input). An input that waits without using the CPU is a hang after
// `stallMs` of elapsed time without progress.
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
  /** One input using this much CPU time (ms) without finishing is a hang (default 5000). */
  readonly hangMs?: number;
  /** One input taking this much elapsed time (ms) without finishing is a hang, busy or not (default 120 000). */
  readonly stallMs?: number;
}

const WORKER = new URL('./_worker.ts', import.meta.url).href;

/** Fuzz `target` for `seconds` or `maxIterations` inputs, whichever ends first (seeded: the same seed replays the same inputs). */
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
  const stallMs = options.stallMs ?? 120_000;
  const cpuMs = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  return new Promise((resolve) => {
    // Inputs started so far (0 while the worker boots), and the CPU and wall clocks when that count last
    // moved: a hang is an input with no progress over `hangMs` of CPU or `stallMs` of elapsed time.
    let last = 0;
    let cpuSince = 0;
    let wallSince = 0;
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
        cpuSince = cpuMs();
        wallSince = Date.now();
      } else if (now === 0) {
        return; // still starting: start-up is not an input
      } else if (cpuMs() - cpuSince > hangMs) {
        broken('hang', `no progress on one input for ${hangMs} ms of CPU time`);
      } else if (Date.now() - wallSince > stallMs) {
        broken('hang', `no progress on one input for ${stallMs} ms`);
      }
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
