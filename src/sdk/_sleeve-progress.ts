// Progress lines of `--execute-sleeves` on a TTY, from the executor's job events.
import { formatSeconds, type JobEvent } from '../exec/job.js';
import type { PlannedSleeve } from './sleeve-reservation.js';

/** Progress lines of a batch: `sleeves 2/3 done (swiss ok, 1.2 s)`, window progress at most once a second per sleeve. */
export function sleeveProgressReporter(
  jobs: readonly PlannedSleeve[],
  say: (line: string) => void,
): (event: JobEvent) => void {
  const total = jobs.length;
  let done = 0;
  const started = new Map<number, number>();
  const lastLine = new Map<number, number>();
  return (event) => {
    if (event.type === 'waiting') return say(`sleeves: ${event.message}`);
    if (event.type === 'notice') return; // printed by whoever asked for notices (TTY or not)
    const profile = jobs[event.index]?.profile ?? '?';
    const now = performance.now();
    if (event.type === 'started') {
      started.set(event.index, now);
      say(
        `sleeves ${done}/${total} done — ${profile} started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`,
      );
    } else if (event.type === 'progress') {
      if (now - (lastLine.get(event.index) ?? -Infinity) < 1000) return;
      lastLine.set(event.index, now);
      const own = `sleeve.backtest: ${profile}: `;
      const text = event.message.startsWith(own) ? event.message.slice(own.length) : event.message;
      say(`sleeves ${done}/${total} done — ${profile}: ${text}`);
    } else {
      done++;
      const took = started.has(event.index)
        ? `, ${formatSeconds(now - (started.get(event.index) ?? now))}`
        : '';
      say(`sleeves ${done}/${total} done (${profile} ${event.ok ? 'ok' : 'failed'}${took})`);
    }
  };
}
