// Which runs a comparison can show: only a successful meta run has the figures, trees and curves.
import type { RunRow } from '../../src/serve/api-types.js';

/** Why a run cannot be compared (`sleeve run …`, `failed: E_CODE`), or null when it can. */
export function notComparable(run: RunRow): string | null {
  if (run.kind !== 'meta') return `${run.kind} run (only meta runs can be compared)`;
  if (run.status === 'failed') {
    const code = run.failure?.code ?? null;
    const stage = run.failure?.stage ?? null;
    return `failed${code === null ? '' : `: ${code}`}${stage === null ? '' : ` at ${stage}`}`;
  }
  if (run.status !== 'success') return `${run.status} (only successful runs can be compared)`;
  return null;
}
