// Two or more runs side by side, one column per (run, risk profile): the metrics, the weights of every
// sleeve of the fractal trees and of every physical asset (largest spread first), the equity and
// drawdown curves overlaid, and what differs in the resolved manifests.
import { useState } from 'preact/hooks';
import { apiJson } from '../api.js';
import {
  apiPath,
  MAX_COMPARE_RUNS,
  type CompareResponse,
  type RunRow,
  type RunsResponse,
  type WeightDiffRow,
} from '../../../src/serve/api-types.js';
import { Await, useLoad } from '../components/load.js';
import { LineChart, type ChartSeries } from '../components/line-chart.js';
import { notComparable } from '../comparable.js';
import { num, pct, legible } from '../format.js';
import { compareHref, navigate, runHref } from '../route.js';

type Metrics = CompareResponse['metrics'][number];

const METRICS: readonly [string, keyof Metrics, (v: number | null) => string][] = [
  ['Observations', 'observations', (v) => num(v, 0)],
  ['CAGR', 'cagr', (v) => pct(v)],
  ['Volatility', 'volatility', (v) => pct(v)],
  ['Sharpe (over r_f)', 'sharpe', (v) => num(v)],
  ['Sortino (over r_f)', 'sortino', (v) => num(v)],
  ['Max drawdown', 'maxDrawdown', (v) => pct(v)],
  ['Calmar', 'calmar', (v) => num(v)],
  ['Win rate', 'winRate', (v) => pct(v, 1)],
  ['Effective N', 'effectiveN', (v) => num(v)],
];

function columnLabel(view: CompareResponse, k: number): string {
  const c = view.columns[k];
  return c === undefined ? '?' : `${c.run_id} · ${legible(c.risk_profile)}`;
}

function Head(props: { view: CompareResponse; shown: readonly number[]; first: string; last?: string }) {
  return (
    <thead>
      <tr>
        <th>{props.first}</th>
        {props.shown.map((k) => (
          <th key={k} class="num">
            {columnLabel(props.view, k)}
          </th>
        ))}
        {props.last === undefined ? null : <th class="num">{props.last}</th>}
      </tr>
    </thead>
  );
}

function WeightsTable(props: {
  view: CompareResponse;
  rows: readonly WeightDiffRow[];
  shown: readonly number[];
  what: string;
}) {
  const rows = [...props.rows]
    .map((r) => {
      const vs = props.shown.map((k) => r.values[k] ?? null);
      // Absent from a column is a weight of 0 there.
      const zeros = vs.map((v) => v ?? 0);
      return { key: r.key, vs, spread: Math.max(...zeros) - Math.min(...zeros) };
    })
    .filter((r) => r.vs.some((v) => v !== null))
    .sort((a, b) => b.spread - a.spread || (a.key < b.key ? -1 : 1));
  return (
    <div class="scroll">
      <table class={`weights-diff ${props.what}`}>
        <Head
          view={props.view}
          shown={props.shown}
          first={props.what === 'sleeves' ? 'Sleeve path' : 'Symbol'}
          last="Spread"
        />
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <td class="mono">{legible(r.key)}</td>
              {r.vs.map((v, j) => (
                <td key={j} class="num">
                  {v === null ? 'absent' : pct(v)}
                </td>
              ))}
              <td class="num">{pct(r.spread)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MetricsTable(props: { view: CompareResponse; shown: readonly number[] }) {
  return (
    <div class="scroll">
      <table class="metrics-diff">
        <Head view={props.view} shown={props.shown} first="Metric (in sample)" />
        <tbody>
          <tr data-metric="risk-free">
            <td>Risk-free rate r_f</td>
            {props.shown.map((k) => (
              <td key={k} class="num">
                {(props.view.risk_free[k] ?? 'r_f = 0').replace(/^r_f = /, '')}
              </td>
            ))}
          </tr>
          {METRICS.map(([label, key, fmt]) => (
            <tr key={key}>
              <td>{label}</td>
              {props.shown.map((k) => (
                <td key={k} class="num">
                  {fmt(props.view.metrics[k]?.[key] ?? null)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The columns' series on the union of their dates (null where a column has no row). */
function overlay(view: CompareResponse, shown: readonly number[], pick: 'equity' | 'drawdown') {
  const dates = [...new Set(shown.flatMap((k) => view.series[k]?.dates ?? []))].sort();
  const series: ChartSeries[] = shown.map((k) => {
    const s = view.series[k];
    const at = new Map<string, number | null>();
    s?.dates.forEach((d, i) => at.set(d, s[pick][i] ?? null));
    return { label: columnLabel(view, k), values: dates.map((d) => at.get(d) ?? null) };
  });
  return { dates, series };
}

function ManifestDiff(props: { view: CompareResponse }) {
  const diff = props.view.manifest_diff;
  if (diff.length === 0) return <p class="muted">The resolved manifests are identical.</p>;
  return (
    <div class="scroll">
      <table class="manifest-diff">
        <thead>
          <tr>
            <th>JSON path</th>
            {props.view.runs.map((r) => (
              <th key={r.run_id}>{r.run_id}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {diff.map((d) => (
            <tr key={d.path}>
              <td class="mono">{legible(d.path)}</td>
              {d.values.map((v, j) => (
                <td key={j} class="mono">
                  {v === null ? <span class="muted">absent</span> : legible(JSON.stringify(v))}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The runs of the comparison that have no column, each with the reason. */
function Excluded(props: { view: CompareResponse }) {
  const inColumns = new Set(props.view.columns.map((c) => c.run_id));
  const left = props.view.runs.filter((r) => !inColumns.has(r.run_id));
  if (left.length === 0) return null;
  return (
    <div class="error excluded" role="alert">
      <strong>Not compared:</strong>
      <ul>
        {left.map((r) => (
          <li key={r.run_id} data-excluded={r.run_id}>
            <a href={runHref(r.run_id)} class="mono">
              {r.run_id}
            </a>
            : {notComparable(r) ?? 'its report data could not be read (open the run to see why)'}
          </li>
        ))}
      </ul>
    </div>
  );
}

function CompareBody(props: { view: CompareResponse }) {
  const { view } = props;
  if (view.columns.length === 0)
    return (
      <>
        <Excluded view={view} />
        <p>
          None of these runs can be compared. <a href="#/compare">Choose successful meta runs</a>.
        </p>
      </>
    );
  return <CompareColumns view={view} />;
}

function CompareColumns(props: { view: CompareResponse }) {
  const { view } = props;
  const riskProfiles = [...new Set(view.columns.map((c) => c.risk_profile))];
  const [rp, setRp] = useState(
    riskProfiles.length > 1 && view.columns.length > 4 ? (riskProfiles[0] ?? '') : '',
  );
  const shown = view.columns.flatMap((c, k) => (rp === '' || c.risk_profile === rp ? [k] : []));
  const equity = overlay(view, shown, 'equity');
  const drawdown = overlay(view, shown, 'drawdown');
  return (
    <>
      <p>
        {view.runs.map((r, k) => (
          <span key={r.run_id}>
            {k > 0 ? ' vs ' : ''}
            <a href={runHref(r.run_id)} class="mono">
              {r.run_id}
            </a>{' '}
            <span class="muted">({legible(r.profile ?? r.kind)})</span>
          </span>
        ))}
      </p>
      <Excluded view={view} />
      <div class="filters">
        <label>
          Risk profile
          <select name="risk_profile" value={rp} onChange={(e) => setRp(e.currentTarget.value)}>
            <option value="">all</option>
            {riskProfiles.map((p) => (
              <option key={p} value={p}>
                {legible(p)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <h2>Metrics</h2>
      <MetricsTable view={view} shown={shown} />
      <div class="grid">
        <LineChart
          chartId="compare-equity"
          title="Equity, in sample (growth of 1)"
          dates={equity.dates}
          series={equity.series}
        />
        <LineChart
          chartId="compare-drawdown"
          title="Drawdown, in sample"
          dates={drawdown.dates}
          series={drawdown.series}
          percent
        />
      </div>
      <h2>Sleeve weights (effective)</h2>
      <WeightsTable view={view} rows={view.sleeve_weights} shown={shown} what="sleeves" />
      <h2>Physical weights (net)</h2>
      <WeightsTable view={view} rows={view.physical_weights} shown={shown} what="physical" />
      <h2>Resolved manifest: what changed</h2>
      <ManifestDiff view={view} />
    </>
  );
}

function Picker(props: { chosen: readonly string[] }) {
  const list = useLoad('runs', () => apiJson<RunsResponse>(apiPath('runs')));
  return <Await loaded={list}>{(value) => <PickerForm runs={value.runs} chosen={props.chosen} />}</Await>;
}

/** Why nothing (or only one run) can be picked: the page says so rather than showing an empty list. */
function PickerEmpty(props: { candidates: readonly RunRow[] }) {
  const only = props.candidates[0];
  return (
    <p class="empty" data-empty="compare">
      {only === undefined ? (
        <>No successful meta runs to compare yet: </>
      ) : (
        <>
          <span class="mono">{only.run_id}</span> is the only successful meta run: no other successful meta
          runs to compare it with. Make another:{' '}
        </>
      )}
      launch one on the <a href="#/launch">Launch</a> page or with <code>quant meta run</code>.
    </p>
  );
}

function PickerForm(props: { runs: readonly RunRow[]; chosen: readonly string[] }) {
  const candidates = [...props.runs].reverse().filter((r) => notComparable(r) === null);
  const listed = new Set(candidates.map((r) => r.run_id));
  // A run named in the link that cannot be compared is said, not counted as chosen.
  const refused = props.runs.filter((r) => props.chosen.includes(r.run_id) && !listed.has(r.run_id));
  const unknown = props.chosen.filter((id) => !props.runs.some((r) => r.run_id === id));
  const [chosen, setChosen] = useState<readonly string[]>(props.chosen.filter((id) => listed.has(id)));
  return (
    <>
      {unknown.map((id) => (
        <p key={id} class="error" data-refused={id}>
          No run <span class="mono">{id}</span> in this workspace.
        </p>
      ))}
      {refused.map((r) => (
        <p key={r.run_id} class="error" data-refused={r.run_id}>
          <span class="mono">{r.run_id}</span> cannot be compared: {notComparable(r)}.
        </p>
      ))}
      {candidates.length < 2 ? (
        <PickerEmpty candidates={candidates} />
      ) : (
        <form
          class="picker"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(compareHref(chosen));
          }}
        >
          <p>Choose 2 to {MAX_COMPARE_RUNS} successful meta runs.</p>
          <ul>
            {candidates.map((r) => (
              <li key={r.run_id}>
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.includes(r.run_id)}
                    onChange={() =>
                      setChosen(
                        chosen.includes(r.run_id)
                          ? chosen.filter((x) => x !== r.run_id)
                          : [...chosen, r.run_id],
                      )
                    }
                  />{' '}
                  <span class="mono">{r.run_id}</span> <span class="muted">{legible(r.profile)}</span>
                </label>
              </li>
            ))}
          </ul>
          <button type="submit" disabled={chosen.length < 2 || chosen.length > MAX_COMPARE_RUNS}>
            Compare {chosen.length > 0 ? `(${chosen.length})` : ''}
          </button>
        </form>
      )}
    </>
  );
}

export function ComparePage(props: { runIds: readonly string[] }) {
  const key = props.runIds.join(',');
  return (
    <>
      <h1>Compare runs</h1>
      {props.runIds.length < 2 ? (
        <Picker chosen={props.runIds} />
      ) : (
        <CompareLoaded key={key} runIds={props.runIds} />
      )}
    </>
  );
}

function CompareLoaded(props: { runIds: readonly string[] }) {
  const key = props.runIds.join(',');
  const loaded = useLoad(key, () =>
    apiJson<CompareResponse>(`${apiPath('compare')}?runs=${props.runIds.map(encodeURIComponent).join(',')}`),
  );
  return <Await loaded={loaded}>{(view) => <CompareBody view={view} />}</Await>;
}
