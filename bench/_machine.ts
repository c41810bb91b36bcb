// What a benchmark figure depends on besides the code: the CPU, the cores, the memory, Node, the load, and
// what a fresh page of memory costs on its first touch. That last one differs widely between machines
// (about 10 µs per 4 KiB page on a virtual machine whose kernel hands freed pages back to its host, a
// fraction of a microsecond on bare metal) and moves every figure that allocates: the same build has
// measured 2.1 s and 3.1 s for the demo on two 2-vCPU machines (docs/benchmarks.md, "Fresh memory").
import { cpus, loadavg, totalmem } from 'node:os';

/** Pages touched per probe: 32 MiB. */
const PROBE_PAGES = 8192;
const PAGE_DOUBLES = 4096 / 8;

/**
 * Microseconds per 4 KiB page to allocate and first touch fresh memory: the median of 3 probes, each a
 * new 32 MiB `Float64Array` written once per page (the arrays are kept until the end, so that no probe
 * reuses another's pages).
 */
export function firstTouchMicros(): number {
  const kept: Float64Array[] = [];
  const times: number[] = [];
  for (let probe = 0; probe < 3; probe++) {
    const start = process.hrtime.bigint();
    const a = new Float64Array(PROBE_PAGES * PAGE_DOUBLES);
    for (let i = 0; i < a.length; i += PAGE_DOUBLES) a[i] = 1;
    times.push(Number(process.hrtime.bigint() - start) / 1000 / PROBE_PAGES);
    kept.push(a);
  }
  times.sort((x, y) => x - y);
  return times[1] as number;
}

/** The CPU model as the operating system names it. */
export function cpuModel(): string {
  return cpus()[0]?.model.trim() ?? 'unknown CPU';
}

/**
 * One line naming the machine: cores and CPU, memory, Node, the first-touch cost of fresh memory and
 * the load average at the start (given) and now.
 */
export function describeMachine(loadAtStart: string | undefined, touchMicros: number): string {
  return (
    `${cpus().length} cores (${cpuModel()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
    `first touch of fresh memory ${touchMicros.toFixed(1)} µs per 4 KiB page, ` +
    `load average ${loadAtStart ?? '?'} at the start, ${loadavg()[0]?.toFixed(1)} at the end`
  );
}

/** The CPU model inside a machine line of {@link describeMachine} (or of earlier baselines), if any. */
export function cpuOfMachine(machine: string): string | undefined {
  return /^\d+ cores \((.*?)\), \d+ GiB/.exec(machine)?.[1];
}
