// One risk profile of a meta run: its figures, the fractal tree, the in-sample equity and drawdown, the
// flattened positions with the sleeves each comes from, sleeve health and the calendar loss.
import { Fragment } from 'preact';
import type { RiskProfileData, RiskProfileView } from '../../../src/serve/api-types.js';
import { FractalTree } from '../components/fractal-tree.js';
import { LineChart, type ChartSeries } from '../components/line-chart.js';
import { num, pct, legible } from '../format.js';

type Section<T> = T | { readonly omitted: string; readonly notRun?: string };

function present<T extends object>(s: Section<T> | null | undefined): T | null {
  return s === null || s === undefined || 'omitted' in s ? null : (s as T);
}

function Omitted(props: { section: Section<object> | null | undefined; what: string }) {
  const s = props.section;
  if (s !== null && s !== undefined && 'omitted' in s)
    return s.notRun === undefined ? (
      <p class="muted">
        No {props.what}: <code>{legible(s.omitted)}</code> is missing.
      </p>
    ) : (
      <p class="muted">
        No {props.what}: {s.notRun}.
      </p>
    );
  return <p class="muted">No {props.what} in this run.</p>;
}

function Metrics(props: { data: RiskProfileData }) {
  const m = props.data.metrics;
  // As the report labels them: both ratios are of returns over the risk-free rate (0 when none is set).
  const rf = ` (${props.data.riskFree ?? 'r_f = 0'})`;
  const rows: [string, string][] = [
    ['Period', `${props.data.firstDate ?? '?'} – ${props.data.lastDate ?? '?'} (${m.observations} rows)`],
    ['CAGR', pct(m.cagr)],
    ['Volatility', pct(m.volatility)],
    [`Sharpe${rf}`, num(m.sharpe)],
    [`Sortino${rf}`, num(m.sortino)],
    ['Max drawdown', pct(m.maxDrawdown)],
    ['Calmar', num(m.calmar)],
    ['Win rate', pct(m.winRate, 1)],
    ['Effective N', num(m.effectiveN)],
    [
      'Method',
      `${props.data.allocation.method}${props.data.allocation.method !== props.data.allocation.requestedMethod ? ` (requested ${props.data.allocation.requestedMethod})` : ''}`,
    ],
  ];
  return (
    <dl class="facts metrics">
      {rows.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

type Lines = NonNullable<RiskProfileData['charts']>['inSample']['equity']['lines'];

function chartSeries(lines: Lines): ChartSeries[] {
  return lines.map((l) => ({ label: legible(l.label), values: l.values }));
}

function Charts(props: { data: RiskProfileData }) {
  const c = props.data.charts?.inSample;
  if (c === undefined) return <p class="muted">No chart series in this run's report data.</p>;
  return (
    <div class="grid">
      <LineChart
        chartId="equity"
        title="Equity, in sample (growth of 1)"
        dates={c.equity.dates}
        series={chartSeries(c.equity.lines)}
      />
      <LineChart
        chartId="drawdown"
        title="Drawdown, in sample"
        dates={c.drawdown.dates}
        series={chartSeries(c.drawdown.lines)}
        percent
      />
    </div>
  );
}

function Positions(props: { data: RiskProfileData }) {
  const exposure = present(props.data.exposure);
  const assets = present(props.data.assets);
  const rows =
    exposure?.rows ??
    assets?.top.map((a) => ({
      symbol: a.symbol,
      gross: a.gross,
      net: a.net,
      contributors: a.contributors,
      volShare: null,
    })) ??
    null;
  if (rows === null)
    return <Omitted section={props.data.exposure ?? props.data.assets} what="flattened positions" />;
  return (
    <div class="scroll">
      <table class="positions">
        <thead>
          <tr>
            <th>Symbol</th>
            <th class="num">Gross</th>
            <th class="num">Net</th>
            <th class="num hide-narrow">Vol share</th>
            <th>Contributors (sleeve path: net weight)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.symbol}>
              <td class="mono">{legible(r.symbol)}</td>
              <td class="num">{pct(r.gross)}</td>
              <td class="num">{pct(r.net)}</td>
              <td class="num hide-narrow">{pct(r.volShare, 1)}</td>
              <td>
                {r.contributors.map((c) => (
                  <div key={c.path}>
                    <code>{legible(c.path)}</code>: {pct(c.contribution)}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Health(props: { data: RiskProfileData }) {
  const h = present(props.data.health);
  if (h === null) return <Omitted section={props.data.health} what="sleeve health" />;
  return (
    <>
      <div class="scroll">
        <table class="health">
          <thead>
            <tr>
              <th>Sleeve</th>
              <th class="num">Windows</th>
              <th class="num">Successes</th>
              <th class="num">Rate</th>
              <th>Healthy</th>
            </tr>
          </thead>
          <tbody>
            {h.sleeves.map((s) => (
              <tr key={s.id}>
                <td>{legible(s.id)}</td>
                <td class="num">{s.windows}</td>
                <td class="num">{s.successes}</td>
                <td class="num">{pct(s.successRate, 0)}</td>
                <td class={s.healthy ? 'status-success' : 'status-failed'}>{s.healthy ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {h.excluded.map((x) => (
        <p key={x.id} class="error">
          Excluded <strong>{legible(x.id)}</strong> ({x.kind} {legible(x.profile)}): {legible(x.reason)} —{' '}
          {legible(x.detail)}
        </p>
      ))}
      {h.warnings.map((w) => (
        <p key={w} class="muted">
          ⚠ {legible(w)}
        </p>
      ))}
    </>
  );
}

function Calendar(props: { data: RiskProfileData }) {
  const c = present(props.data.calendar);
  if (c === null) return <Omitted section={props.data.calendar} what="calendar" />;
  return (
    <>
      <p>
        {c.commonRows} common rows, {c.firstDate ?? '?'} – {c.lastDate ?? '?'}, {c.periodsPerYear} periods a
        year.
      </p>
      <div class="scroll">
        <table class="calendar">
          <thead>
            <tr>
              <th>Sleeve</th>
              <th class="num">Rows</th>
              <th class="num">Kept</th>
              <th class="num">Intersection loss</th>
            </tr>
          </thead>
          <tbody>
            {c.sleeves.map((s) => (
              <tr key={s.id}>
                <td>{legible(s.id)}</td>
                <td class="num">{s.rows}</td>
                <td class="num">{s.kept}</td>
                <td class="num">{pct(s.intersectionLoss, 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function RiskProfileSection(props: { view: RiskProfileView }) {
  const { view } = props;
  return (
    <section class="risk-profile" data-risk-profile={view.risk_profile}>
      <h2>Risk profile {view.risk_profile}</h2>
      <div class="grid">
        <div>
          <h3>Summary, in sample</h3>
          <Metrics data={view.data} />
        </div>
        <div>
          <h3>Fractal tree</h3>
          <FractalTree tree={view.tree} label={`fractal tree of ${view.risk_profile}`} />
        </div>
      </div>
      <Charts data={view.data} />
      <h3>Flattened positions</h3>
      <Positions data={view.data} />
      <h3>Sleeve health</h3>
      <Health data={view.data} />
      <h3>Calendar loss</h3>
      <Calendar data={view.data} />
    </section>
  );
}
