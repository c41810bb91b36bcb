// Two or more runs side by side, one column per (run, risk profile): the metrics, the weights of every
// sleeve of the fractal trees and of every physical asset (largest spread first), the equity and
// drawdown curves overlaid, and what differs in the resolved manifests.
import { useState } from 'preact/hooks';
import { apiJson } from '../api.js';
import {
  apiPath,
  MAX_COMPARE_RUNS,
  type CompareResponse,
  type RunsResponse,
  type WeightDiffRow,
} from '../../../src/serve/api-types.js';
import { Await, useLoad } from '../components/load.js';
import { LineChart, type ChartSeries } from '../components/line-chart.js';
import { num, pct } from '../format.js';
import { compareHref, navigate, runHref } from '../route.js';

type Metrics = CompareResponse['metrics'][number];

const METRICS: readonly [string, keyof Metrics, (v: number | null) => string][] = [
  ['Observations', 'observations', (v) => num(v, 0)],
  ['CAGR', 'cagr', (v) => pct(v)],
  ['Volatility', 'volatility', (v) => pct(v)],
  ['Sharpe', 'sharpe', (v) => num(v)],
  ['Sortino', 'sortino', (v) => num(v)],
  ['Max drawdown', 'maxDrawdown', (v) => pct(v)],
  ['Calmar', 'calmar', (v) => num(v)],
  ['Win rate', 'winRate', (v) => pct(v, 1)],
  ['Effective N', 'effectiveN', (v) => num(v)],
];

function columnLabel(view: CompareResponse, k: number): string {
  const c = view.columns[k];
  return c === undefined ? '?' : `${c.run_id} · ${c.risk_profile}`;
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
              <td class="mono">{r.key}</td>
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
              <td class="mono">{d.path}</td>
              {d.values.map((v, j) => (
                <td key={j} class="mono">
                  {v === null ? <span class="muted">absent</span> : JSON.stringify(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CompareBody(props: { view: CompareResponse }) {
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
            <span class="muted">({r.profile ?? r.kind})</span>
          </span>
        ))}
      </p>
      <div class="filters">
        <label>
          Risk profile
          <select name="risk_profile" value={rp} onChange={(e) => setRp(e.currentTarget.value)}>
            <option value="">all</option>
            {riskProfiles.map((p) => (
              <option key={p} value={p}>
                {p}
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
  const [chosen, setChosen] = useState<readonly string[]>(props.chosen);
  return (
    <Await loaded={list}>
      {(value) => (
        <form
          class="picker"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(compareHref(chosen));
          }}
        >
          <p>Choose 2 to {MAX_COMPARE_RUNS} meta runs.</p>
          <ul>
            {[...value.runs]
              .reverse()
              .filter((r) => r.kind === 'meta' && r.status === 'success')
              .map((r) => (
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
                    <span class="mono">{r.run_id}</span> <span class="muted">{r.profile}</span>
                  </label>
                </li>
              ))}
          </ul>
          <button type="submit" disabled={chosen.length < 2 || chosen.length > MAX_COMPARE_RUNS}>
            Compare
          </button>
        </form>
      )}
    </Await>
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
