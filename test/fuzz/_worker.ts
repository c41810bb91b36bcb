// The fuzz loop, in a worker thread so that the engine can stop it on a hang. Before each input it copies
// the input into shared memory and bumps a counter: a watchdog that sees the counter stall knows which input
// hangs. Reports iterations, the error codes seen, and every failure (input as base64).
import { parentPort, workerData } from 'node:worker_threads';
import { fuzzInputs, targetByName } from './_targets.js';
import type { FuzzFailure, FuzzJob, FuzzReport } from './_engine.js';

const job = workerData as FuzzJob;
const target = targetByName(job.target);
const inputs = fuzzInputs(target, job.seed);
const counter = new Int32Array(job.shared, 0, 2);
const bytes = new Uint8Array(job.shared, 8);

const failures: FuzzFailure[] = [];
const codes: Record<string, number> = {};
const seen = new Set<string>();
let accepted = 0;
let i = 0;
const deadline = Date.now() + job.seconds * 1000;
while (Date.now() < deadline && i < job.maxIterations) {
  const input = inputs.next().value as Uint8Array;
  const n = Math.min(input.length, bytes.length);
  bytes.set(input.subarray(0, n));
  Atomics.store(counter, 1, n);
  Atomics.add(counter, 0, 1);
  try {
    const raised = await target.run(input);
    if (raised.length === 0) accepted++;
    for (const code of raised) codes[code] = (codes[code] ?? 0) + 1;
  } catch (error) {
    {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const where =
        error instanceof Error
          ? (error.stack ?? '')
              .split('\n')
              .slice(1, 3)
              .map((l) => l.trim())
              .join(' < ')
          : '';
      const key = `${message.slice(0, 80)}|${where}`;
      if (!seen.has(key) && failures.length < 10) {
        seen.add(key);
        failures.push({
          iteration: i,
          kind: 'error',
          message,
          where,
          input: Buffer.from(input).toString('base64'),
        });
      }
    }
  }
  i++;
}
const report: FuzzReport = { target: job.target, seed: job.seed, iterations: i, accepted, codes, failures };
parentPort?.postMessage(report);
