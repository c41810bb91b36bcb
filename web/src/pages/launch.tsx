// Start `quant meta run` or `quant sleeve run` for a profile of the manifest, follow its progress as
// Server-Sent Events (the lines the CLI prints), then open the new run. The launches of this server are
// listed below the form (every running one and the last 100 ended ones the server keeps), each with its log to follow
// again after the page was left.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiJson, apiPost, withToken, ApiError, LOST_CONTACT } from '../api.js';
import {
  apiPath,
  LAUNCH_KINDS,
  type InfoResponse,
  type LaunchEvent,
  type LaunchKind,
  type LaunchOptions,
  type LaunchRequest,
  type LaunchResponse,
  type LaunchRow,
} from '../../../src/serve/api-types.js';
import { Await, ErrorBox, useLoad } from '../components/load.js';
import { appendEvent, eventText, rememberLaunch, type LoggedEvent } from '../launch-log.js';
import { navigate, runHref } from '../route.js';
import { useLaunches } from '../launches.js';
import { when } from '../format.js';

const EVENT_TYPES: readonly LaunchEvent['type'][] = ['started', 'progress', 'warning', 'done', 'error'];

/** The meta run's switches: form field, input name, label. */
const CHECKS: readonly (readonly ['executeSleeves' | 'cache' | 'backtest', string, string])[] = [
  ['executeSleeves', 'execute_sleeves', '--execute-sleeves'],
  ['cache', 'cache', 'cache'],
  ['backtest', 'backtest', 'backtest'],
];

interface Form {
  readonly kind: LaunchKind;
  readonly profile: string;
  readonly runId: string;
  readonly riskProfiles: string;
  readonly cache: boolean;
  readonly backtest: boolean;
  readonly executeSleeves: boolean;
}

function request(form: Form): LaunchRequest {
  const options: { -readonly [K in keyof LaunchOptions]: LaunchOptions[K] } = {};
  if (form.runId.trim() !== '') options.run_id = form.runId.trim();
  if (form.kind === 'meta') {
    const rp = form.riskProfiles
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (rp.length > 0) options.risk_profiles = rp;
    if (!form.cache) options.cache = false;
    if (!form.backtest) options.backtest = false;
    if (form.executeSleeves) options.execute_sleeves = true;
  }
  return { kind: form.kind, profile: form.profile, options };
}

/** Reconnections of a dropped event stream (one a second) before the launch is given up as lost. */
const MAX_RECONNECTS = 3;

/**
 * Follow a launch's event stream until `done` or `error`. A dropped stream reconnects with the id of the
 * last event it has; the server resumes after it, and an event seen already is skipped anyway. When the
 * server does not answer `MAX_RECONNECTS` times in a row, the stream is closed and `onLost` called.
 */
function follow(url: string, onEvent: (e: LaunchEvent) => void, onLost: () => void): () => void {
  const source = new EventSource(withToken(url));
  let ended = false;
  let seen = -1;
  let failures = 0;
  const end = (): void => {
    ended = true;
    source.close();
  };
  for (const type of EVENT_TYPES)
    source.addEventListener(type, (m) => {
      if (ended || !(m instanceof MessageEvent) || typeof m.data !== 'string') return;
      failures = 0;
      const id = /^\d+$/.test(m.lastEventId) ? Number(m.lastEventId) : undefined;
      if (id !== undefined && id <= seen) return;
      if (id !== undefined) seen = id;
      const e = JSON.parse(m.data) as LaunchEvent;
      if (e.type === 'done' || e.type === 'error') end();
      onEvent(e);
    });
  source.onopen = () => {
    failures = 0;
  };
  source.onerror = (e) => {
    // The launch's own `error` event reaches this handler too, after it ended the stream on purpose.
    if (ended || e instanceof MessageEvent) return;
    failures++;
    if (source.readyState === EventSource.CLOSED || failures > MAX_RECONNECTS) {
      end();
      onLost();
    }
  };
  return end;
}

function LaunchForm(props: { info: InfoResponse }) {
  const { info } = props;
  const [form, setForm] = useState<Form>({
    kind: info.profiles.meta.length > 0 ? 'meta' : 'sleeve',
    profile: info.profiles.meta[0] ?? info.profiles.sleeve[0] ?? '',
    runId: '',
    riskProfiles: '',
    cache: true,
    backtest: true,
    executeSleeves: false,
  });
  const [events, setEvents] = useState<readonly LoggedEvent[]>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  /** The launch whose log is shown, and the run it ended with (a link once `done`). */
  const [shown, setShown] = useState<{ id: string; runId: string | null } | null>(null);
  const [listed, setListed] = useState(0);
  const launches = useLaunches(() => undefined, listed);
  const stop = useRef<(() => void) | null>(null);
  useEffect(() => () => stop.current?.(), []);
  const profiles = form.kind === 'meta' ? info.profiles.meta : info.profiles.sleeve;
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch });

  /**
   * Show the log of launch `id` from its event stream (from its first event; a dropped stream resumes
   * after the last event it has). A launch started here opens its run on `done`; one attached to from
   * the list links to it.
   */
  const attach = (id: string, url: string, openRun: boolean): void => {
    stop.current?.();
    setFailure(null);
    setEvents([]);
    setShown({ id, runId: null });
    setBusy(openRun);
    let log: LoggedEvent[] = [];
    stop.current = follow(
      url,
      (ev) => {
        log = appendEvent(log, { type: ev.type, text: eventText(ev) });
        setEvents([...log]);
        if (ev.type === 'done') {
          rememberLaunch(ev.run_id, [...log]);
          setShown({ id, runId: ev.run_id });
          setListed((n) => n + 1);
          if (openRun) navigate(runHref(ev.run_id));
          else setBusy(false);
        } else if (ev.type === 'error') {
          setFailure(new ApiError(ev.code, ev.message, ev.hint, 0));
          setListed((n) => n + 1);
          setBusy(false);
        }
      },
      () => {
        setFailure(new Error(`${LOST_CONTACT}: the launch's progress stopped arriving`));
        setBusy(false);
      },
    );
  };

  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    setEvents([]);
    try {
      const launched = await apiPost<LaunchResponse>(apiPath('launch'), request(form));
      setListed((n) => n + 1);
      attach(launched.launch_id, launched.events, true);
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  };

  return (
    <>
      {info.read_only ? <p class="error">The server runs with --read-only: launching is disabled.</p> : null}
      {info.manifest_error === null ? null : (
        <ErrorBox error={new ApiError(info.manifest_error.code, info.manifest_error.message, undefined, 0)} />
      )}
      <form class="launch filters" onSubmit={start}>
        <label>
          Command
          <select
            name="kind"
            value={form.kind}
            onChange={(e) => {
              const kind = e.currentTarget.value as LaunchKind;
              const list = kind === 'meta' ? info.profiles.meta : info.profiles.sleeve;
              set({ kind, profile: list[0] ?? '' });
            }}
          >
            {LAUNCH_KINDS.map((k) => (
              <option key={k} value={k}>
                {k} run
              </option>
            ))}
          </select>
        </label>
        <label>
          Profile
          <select
            name="profile"
            value={form.profile}
            onChange={(e) => set({ profile: e.currentTarget.value })}
          >
            {profiles.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Run id (optional)
          <input name="run_id" value={form.runId} onInput={(e) => set({ runId: e.currentTarget.value })} />
        </label>
        {form.kind === 'meta' ? (
          <>
            <label>
              Risk profiles (comma-separated, optional)
              <input
                name="risk_profiles"
                value={form.riskProfiles}
                onInput={(e) => set({ riskProfiles: e.currentTarget.value })}
              />
            </label>
            {CHECKS.map(([key, name, label]) => (
              <label class="check" key={name}>
                <input
                  type="checkbox"
                  name={name}
                  checked={form[key]}
                  onChange={(e) => set({ [key]: e.currentTarget.checked })}
                />
                {label}
              </label>
            ))}
          </>
        ) : null}
        <button type="submit" disabled={busy || info.read_only || form.profile === ''}>
          Start
        </button>
      </form>
      {failure === null ? null : <ErrorBox error={failure} />}
      {/* In the page from the start, empty: a live region inserted with its content is not announced. */}
      <ol class="events" aria-live="polite" aria-label="launch log" data-launch={shown?.id}>
        {events.map((ev, k) => (
          <li key={k} data-event={ev.type}>
            {ev.text}
          </li>
        ))}
      </ol>
      {shown?.runId == null ? null : (
        <p>
          <a href={runHref(shown.runId)}>Open run {shown.runId}</a>
        </p>
      )}
      <LaunchList
        launches={launches}
        shown={shown?.id ?? null}
        attach={(l) => attach(l.launch_id, l.events, false)}
      />
    </>
  );
}

/** The launches of this server, running and ended, each with its log to show again. */
function LaunchList(props: {
  launches: readonly LaunchRow[] | null;
  shown: string | null;
  attach: (l: LaunchRow) => void;
}) {
  const rows = props.launches;
  if (rows === null || rows.length === 0) return null;
  return (
    <>
      <h2>Launches of this server</h2>
      <div class="scroll">
        <table class="launches">
          <thead>
            <tr>
              <th>Started</th>
              <th>Command</th>
              <th>Run</th>
              <th>State</th>
              <th>
                <span class="sr-only">log</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((l) => (
              <tr key={l.launch_id} data-launch={l.launch_id} data-state={l.state}>
                <td>{when(l.started)}</td>
                <td>
                  {l.kind} run --profile {l.profile}
                </td>
                <td class="mono">
                  {l.run_id === null ? (
                    '–'
                  ) : l.state === 'done' ? (
                    <a href={runHref(l.run_id)}>{l.run_id}</a>
                  ) : (
                    l.run_id
                  )}
                </td>
                <td class={`status-${l.state === 'done' ? 'success' : l.state}`}>{l.state}</td>
                <td>
                  <button
                    type="button"
                    class="link"
                    aria-pressed={props.shown === l.launch_id}
                    onClick={() => props.attach(l)}
                  >
                    {l.state === 'running' ? 'Follow log' : 'Show log'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function LaunchPage() {
  const info = useLoad('info', () => apiJson<InfoResponse>(apiPath('info')));
  return (
    <>
      <h1>Launch a run</h1>
      <Await loaded={info}>{(value) => <LaunchForm info={value} />}</Await>
    </>
  );
}
