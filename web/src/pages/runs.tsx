// The runs of the workspace: one row per run (kind, profile, status with its reason, created, duration,
// tool version), the latest successful run of each profile marked, filters, and a selection to compare.
// Keyboard: rows are focusable; ↑/↓ (and Home/End) move, Enter opens, Space selects for comparison.
import { useMemo, useState } from 'preact/hooks';
import { apiJson } from '../api.js';
import { apiPath, MAX_COMPARE_RUNS, type RunRow, type RunsResponse } from '../../../src/serve/api-types.js';
import { Await, useLoad } from '../components/load.js';
import { duration, legible, when } from '../format.js';
import { notComparable } from '../comparable.js';
import { compareHref, navigate, runHref } from '../route.js';
import { useLaunches } from '../launches.js';

interface Filters {
  readonly profile: string;
  readonly kind: string;
  readonly status: string;
}

const ANY = '';

const FILTERS: readonly (readonly [string, keyof Filters])[] = [
  ['Profile', 'profile'],
  ['Kind', 'kind'],
  ['Status', 'status'],
];

function distinct(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))].sort();
}

function FilterSelect(props: {
  label: string;
  name: keyof Filters;
  options: readonly string[];
  filters: Filters;
  set: (f: Filters) => void;
}) {
  return (
    <label>
      {props.label}
      <select
        name={props.name}
        value={props.filters[props.name]}
        onChange={(e) => props.set({ ...props.filters, [props.name]: e.currentTarget.value })}
      >
        <option value={ANY}>all</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {legible(o)}
          </option>
        ))}
      </select>
    </label>
  );
}

function onRowKey(e: KeyboardEvent, run: RunRow, toggle: (id: string) => void): void {
  const row = e.currentTarget as HTMLTableRowElement;
  if (e.target !== row) return;
  const rows = [...(row.parentElement?.querySelectorAll<HTMLTableRowElement>('tr[data-run]') ?? [])];
  const at = rows.indexOf(row);
  const to = (k: number) => {
    const next = rows[Math.max(0, Math.min(rows.length - 1, k))];
    if (next !== undefined) {
      e.preventDefault();
      next.focus();
    }
  };
  if (e.key === 'ArrowDown') to(at + 1);
  else if (e.key === 'ArrowUp') to(at - 1);
  else if (e.key === 'Home') to(0);
  else if (e.key === 'End') to(rows.length - 1);
  else if (e.key === 'Enter') navigate(runHref(run.run_id));
  else if (e.key === ' ') {
    e.preventDefault();
    toggle(run.run_id);
  }
}

function Row(props: { run: RunRow; selected: boolean; toggle: (id: string) => void }) {
  const { run, selected } = props;
  const why = notComparable(run);
  const toggle = (id: string) => (why === null ? props.toggle(id) : undefined);
  return (
    <tr
      tabIndex={0}
      class="clickable"
      data-run={run.run_id}
      data-status={run.status}
      onKeyDown={(e) => onRowKey(e, run, toggle)}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('input, a') === null) navigate(runHref(run.run_id));
      }}
    >
      <td>
        <input
          type="checkbox"
          tabIndex={-1}
          aria-label={why === null ? `compare ${run.run_id}` : `${run.run_id} cannot be compared: ${why}`}
          title={why ?? undefined}
          disabled={why !== null}
          checked={selected}
          onChange={() => toggle(run.run_id)}
        />
      </td>
      <td>
        <a href={runHref(run.run_id)} tabIndex={-1} class="mono">
          {run.run_id}
        </a>
        {run.latest ? (
          <span class="badge" title="the latest successful run of this profile">
            latest
          </span>
        ) : null}
      </td>
      <td class="hide-narrow">{run.kind}</td>
      <td>{legible(run.profile)}</td>
      <td class={`status-${run.status}`}>
        {run.status}
        {run.reason === null ? null : <div class="muted reason">{legible(run.reason)}</div>}
      </td>
      <td class="hide-narrow">{when(run.created)}</td>
      <td class="num hide-narrow">{duration(run.duration_ms)}</td>
      <td class="hide-narrow">{run.tool_version}</td>
    </tr>
  );
}

function RunsTable(props: { list: RunsResponse }) {
  const [filters, setFilters] = useState<Filters>({ profile: ANY, kind: ANY, status: ANY });
  const [selected, setSelected] = useState<readonly string[]>([]);
  const runs = props.list.runs;
  const shown = useMemo(
    () =>
      [...runs]
        .reverse()
        .filter(
          (r) =>
            (filters.profile === ANY || r.profile === filters.profile) &&
            (filters.kind === ANY || r.kind === filters.kind) &&
            (filters.status === ANY || r.status === filters.status),
        ),
    [runs, filters],
  );
  const toggle = (id: string) =>
    setSelected((was) => (was.includes(id) ? was.filter((x) => x !== id) : [...was, id]));
  // What the button compares: the selected runs the filters show; a hidden selection is said, not used.
  const visible = new Set(shown.map((r) => r.run_id));
  const chosen = selected.filter((id) => visible.has(id));
  const hidden = selected.length - chosen.length;
  const canCompare = chosen.length >= 2 && chosen.length <= MAX_COMPARE_RUNS;
  if (runs.length === 0) return <NoRuns />;
  return (
    <>
      <div class="filters" role="search">
        {FILTERS.map(([label, name]) => (
          <FilterSelect
            key={name}
            label={label}
            name={name}
            options={distinct(runs.map((r) => r[name]))}
            filters={filters}
            set={setFilters}
          />
        ))}
        <button type="button" disabled={!canCompare} onClick={() => navigate(compareHref(chosen))}>
          Compare {chosen.length > 0 ? `(${chosen.length})` : ''}
        </button>
      </div>
      {hidden === 0 ? null : (
        <p class="muted" data-hidden-selection={hidden}>
          {hidden} selected {hidden === 1 ? 'run is' : 'runs are'} hidden by the filters and not compared.{' '}
          <button type="button" class="link" onClick={() => setSelected(chosen)}>
            Clear hidden selection
          </button>
        </p>
      )}
      <p class="muted">
        {shown.length} of {runs.length} runs, newest first. ↑/↓ move, Enter opens, Space selects for
        comparison (2 to {MAX_COMPARE_RUNS} successful meta runs).
      </p>
      <div class="scroll">
        <table class="runs">
          <thead>
            <tr>
              <th>
                <span class="sr-only">compare</span>
              </th>
              <th>Run</th>
              <th class="hide-narrow">Kind</th>
              <th>Profile</th>
              <th>Status</th>
              <th class="hide-narrow">Created</th>
              <th class="num hide-narrow">Duration</th>
              <th class="hide-narrow">Version</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 ? (
              <tr>
                <td colSpan={8} class="muted">
                  No run matches the filters.
                </td>
              </tr>
            ) : null}
            {shown.map((r) => (
              <Row key={r.run_id} run={r} selected={selected.includes(r.run_id)} toggle={toggle} />
            ))}
          </tbody>
        </table>
      </div>
      {props.list.skipped.length === 0 ? null : (
        <>
          <h2>Folders that are not readable runs</h2>
          <ul class="skipped">
            {props.list.skipped.map((s) => (
              <li key={s.run_id}>
                <code>{legible(s.run_id)}</code>: {legible(s.reason)}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function NoRuns() {
  return (
    <p class="empty" data-empty="runs">
      No runs yet: launch one on the <a href="#/launch">Launch</a> page or with <code>quant meta run</code> in
      this workspace.
    </p>
  );
}

/** Launches of this server still running: the list refreshes when one ends. */
function Running(props: { count: number }) {
  if (props.count === 0) return null;
  return (
    <p class="muted" data-launches-running={props.count}>
      {props.count === 1 ? 'A launch is' : `${props.count} launches are`} running (
      <a href="#/launch">Launch</a>): this list refreshes when {props.count === 1 ? 'it ends' : 'one ends'}.
    </p>
  );
}

export function RunsPage() {
  const [ended, setEnded] = useState(0);
  const launches = useLaunches(() => setEnded((n) => n + 1));
  const list = useLoad('runs', () => apiJson<RunsResponse>(apiPath('runs')), ended);
  return (
    <>
      <h1>Runs</h1>
      <Running count={launches?.filter((l) => l.state === 'running').length ?? 0} />
      <Await loaded={list}>{(value) => <RunsTable list={value} />}</Await>
    </>
  );
}
