// The events of the launches started from this page, kept for the run each produced, so that the run's
// page shows how it came about. In memory only: a reload forgets them, as it does the stream.
import type { LaunchEvent } from '../../src/serve/api-types.js';

export interface LoggedEvent {
  readonly type: LaunchEvent['type'];
  readonly text: string;
}

const byRun = new Map<string, readonly LoggedEvent[]>();

/** One line of a launch event as the CLI would print it. */
export function eventText(e: LaunchEvent): string {
  switch (e.type) {
    case 'started':
      return `${e.kind} run --profile ${e.profile} started`;
    case 'progress':
      return e.message;
    case 'warning':
      return `warning: ${e.message}`;
    case 'done':
      return `run ${e.run_id} done`;
    case 'error':
      return `${e.code}: ${e.message}${e.hint === undefined ? '' : ` (${e.hint})`}`;
  }
}

/** A counter at the end of a progress line (`window 12/661`): what changes from one step to the next. */
const STEP = /\d+\/\d+\)?$/;

/**
 * `log` with `entry` added. A progress step of a line already in the log (the same text up to its
 * `n/total` counter: one line per sleeve or stage) replaces that line in place, so that a sleeve's
 * hundreds of windows show as one line that counts up.
 */
export function appendEvent(log: readonly LoggedEvent[], entry: LoggedEvent): LoggedEvent[] {
  if (entry.type === 'progress' && STEP.test(entry.text)) {
    const key = entry.text.replace(STEP, '');
    const at = log.findLastIndex(
      (e) => e.type === 'progress' && STEP.test(e.text) && e.text.replace(STEP, '') === key,
    );
    if (at >= 0) return log.map((e, i) => (i === at ? entry : e));
  }
  return [...log, entry];
}

export function rememberLaunch(runId: string, events: readonly LoggedEvent[]): void {
  byRun.set(runId, events);
}

export function launchLog(runId: string): readonly LoggedEvent[] | undefined {
  return byRun.get(runId);
}
