// The launches of this server (GET /api/launches), followed: the list is asked again a second later as
// long as a launch is running, and every five seconds while none is and the page is visible (a launch
// started from another tab or window shows up without reopening the page); a page coming back into view
// asks at once. A launch that was running and is not any more calls `onEnded`, so that a page can
// refresh what the launch changed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiJson } from './api.js';
import { apiPath, type LaunchRow, type LaunchesResponse } from '../../src/serve/api-types.js';

/** How often the list is asked again while a launch runs (an in-memory list: a cheap request). */
const POLL_MS = 1000;
/** How often while none runs and the page is visible. */
const IDLE_MS = 5000;

/** The server's launches, newest first (null until the first answer); `refresh` changes ask again. */
export function useLaunches(onEnded: () => void, refresh = 0): readonly LaunchRow[] | null {
  const [rows, setRows] = useState<readonly LaunchRow[] | null>(null);
  const ended = useRef(onEnded);
  ended.current = onEnded;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = new Set<string>();
    let failed = false;
    let asking = false;
    const hidden = (): boolean => document.visibilityState === 'hidden';
    const poll = async (): Promise<void> => {
      clearTimeout(timer);
      timer = undefined;
      let list: LaunchesResponse;
      asking = true;
      try {
        list = await apiJson<LaunchesResponse>(apiPath('launches'));
      } catch {
        failed = true; // the page's own requests say what went wrong; no retry loop here
        return;
      } finally {
        asking = false;
      }
      if (!live) return;
      setRows(list.launches);
      const now = new Set(list.launches.filter((l) => l.state === 'running').map((l) => l.launch_id));
      if ([...running].some((id) => !now.has(id))) ended.current();
      running = now;
      if (now.size > 0) timer = setTimeout(() => void poll(), POLL_MS);
      else if (!hidden()) timer = setTimeout(() => void poll(), IDLE_MS);
    };
    // Back in view with nothing scheduled (it was hidden while idle): ask at once.
    const onVisible = (): void => {
      if (!hidden() && timer === undefined && !asking && !failed && live) void poll();
    };
    document.addEventListener('visibilitychange', onVisible);
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh]);
  return rows;
}
