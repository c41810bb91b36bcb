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

export function rememberLaunch(runId: string, events: readonly LoggedEvent[]): void {
  byRun.set(runId, events);
}

export function launchLog(runId: string): readonly LoggedEvent[] | undefined {
  return byRun.get(runId);
}
