// The launches of this server (GET /api/launches), followed while one runs: the list is asked again a
// second later as long as a launch is running, and not at all when none is. A launch that was running
// and is not any more calls `onEnded`, so that a page can refresh what the launch changed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiJson } from './api.js';
import { apiPath, type LaunchRow, type LaunchesResponse } from '../../src/serve/api-types.js';

/** How often the list is asked again while a launch runs (an in-memory list: a cheap request). */
const POLL_MS = 1000;

/** The server's launches, newest first (null until the first answer); `refresh` changes ask again. */
export function useLaunches(onEnded: () => void, refresh = 0): readonly LaunchRow[] | null {
  const [rows, setRows] = useState<readonly LaunchRow[] | null>(null);
  const ended = useRef(onEnded);
  ended.current = onEnded;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = new Set<string>();
    const poll = async (): Promise<void> => {
      let list: LaunchesResponse;
      try {
        list = await apiJson<LaunchesResponse>(apiPath('launches'));
      } catch {
        return; // the page's own requests say what went wrong; no retry loop here
      }
      if (!live) return;
      setRows(list.launches);
      const now = new Set(list.launches.filter((l) => l.state === 'running').map((l) => l.launch_id));
      if ([...running].some((id) => !now.has(id))) ended.current();
      running = now;
      if (now.size > 0) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [refresh]);
  return rows;
}
