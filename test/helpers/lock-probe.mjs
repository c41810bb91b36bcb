// Preload (`node --import <this file> dist/cli/main.js ...`) that reports the run lock's life to the
// test that started the process, from the `metafolio:run-lock` diagnostics channel:
// - every event of the run named by QUANT_LOCK_PROBE_RUN (acquiring, acquired, releasing) is written as
//   one JSON line on fd 3, stamped with the monotonic clock (process.hrtime, shared by all processes of
//   the machine), so that the test can compare hold intervals of several processes;
// - at the first event of each kind named in QUANT_LOCK_PROBE_PAUSE (comma separated), the process waits
//   until the test writes one byte on fd 4: a handshake, so the test acts while the lock is in a known
//   state. If the test goes away (fd 4 closed), the read returns at once and the process carries on.
// Both fds must be pipes given by the test (stdio: [..., 'pipe', 'pipe']).
import { subscribe } from 'node:diagnostics_channel';
import { readSync, writeSync } from 'node:fs';

const REPORT_FD = 3;
const RESUME_FD = 4;
const run = process.env.QUANT_LOCK_PROBE_RUN;
const pauseAt = new Set((process.env.QUANT_LOCK_PROBE_PAUSE ?? '').split(',').filter((e) => e !== ''));

subscribe('metafolio:run-lock', (message) => {
  const { event, run_id: runId } = message;
  if (runId !== run) return;
  const at = process.hrtime.bigint().toString();
  writeSync(REPORT_FD, `${JSON.stringify({ event, run_id: runId, pid: process.pid, at })}\n`);
  if (!pauseAt.delete(event)) return;
  // A blocking read: the pipe's end in this process is a blocking descriptor that nothing else uses.
  readSync(RESUME_FD, Buffer.alloc(1), 0, 1, null);
});
