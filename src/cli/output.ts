import { printable } from '../errors.js';
import type { StageRunResult } from '../sdk/quant-sdk.js';
/**
 * Terminal output helpers: the only place besides main.ts that writes to the process streams. Everything
 * written goes through `printable`: control characters and bidi overrides from input files are escaped
 * (as `\uXXXX`, which keeps `--json` output valid JSON with the same values).
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when progress may be shown (stderr is a TTY and not CI). */
  readonly interactive: boolean;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(`${printable(text.replace(/\n$/, ''))}\n`),
    err: (text) => void process.stderr.write(`${printable(text.replace(/\n$/, ''))}\n`),
    interactive: process.stderr.isTTY === true && !process.env['CI'],
  };
}

export { formatColumns } from '../util/text-table.js';

/** The machine-readable result of a stage run (`--json`). */
export function stageResultJson(result: StageRunResult): string {
  return JSON.stringify(
    {
      stage: result.stageId,
      run_id: result.runId,
      run_dir: result.runDir,
      summary: result.summary,
      outputs: result.outputs,
      value: result.stageValue,
    },
    null,
    2,
  );
}
