/** One risk profile of the HTML report: the Markdown report's sections as HTML, with their charts. */
import { code, omittedNote } from '../_markdown.js';
import { riskProfileSectionBlocks, type SectionKey } from '../_meta-report-sections.js';
import {
  isOmitted,
  type ChartLine,
  type PerformanceChart,
  type RiskProfileReport,
  type Section,
  type TimeSeriesChart,
} from '../meta-report-data.js';
import { IN_SAMPLE, OUT_OF_SAMPLE } from '../_labels.js';
import { anchorId, escapeHtml } from './_html.js';
import { inlineHtml, markdownToHtml } from './_markdown-to-html.js';
import { fixed, numberTick, percentTick } from './charts/_svg.js';
import { renderContributorsChart } from './charts/contributors-chart.js';
import { renderAttributionChart } from './charts/attribution-chart.js';
import { attributionChartLines, largestFirst, type AttributionLine } from '../_attribution-section.js';
import { renderDendrogram } from './charts/dendrogram.js';
import { renderHeatmap } from './charts/heatmap.js';
import { renderLineChart, type LineSeries } from './charts/line-chart.js';
import { renderWeightsChart } from './charts/weights-chart.js';
import { renderWeightsHistoryChart } from './charts/weights-history-chart.js';

const ROLE_STYLE: Readonly<Record<ChartLine['role'], { color: string; width: number; dash?: string }>> = {
  meta: { color: '#0b4f9c', width: 2.2 },
  in_sample_weights: { color: '#0b4f9c', width: 1.4, dash: '5 3' },
  equal_weight: { color: '#d08c00', width: 1.5 },
  best_sleeve: { color: '#2a8a4a', width: 1.5 },
  benchmark: { color: '#8a2a6a', width: 1.6 },
};

function lines(chart: TimeSeriesChart, negate = false): LineSeries[] {
  return chart.lines.map((l) => ({
    label: l.label,
    ...ROLE_STYLE[l.role],
    values: negate ? Float64Array.from(l.values, (v) => (v === 0 ? 0 : -v)) : l.values,
  }));
}

function figure(svg: string, caption: string): string {
  return `<figure class="chart">${svg}<figcaption>${caption}</figcaption></figure>`;
}

/** The marked note that stands in for a section or chart whose source file is missing. */
function missingNote(what: string, file: string): string {
  return `<p class="missing" data-missing="${escapeHtml(file)}">${what} omitted: ${escapeHtml(file)} not found.</p>`;
}

function performanceFigures(chart: PerformanceChart, scope: string, p: string): string {
  const equity = renderLineChart({
    kind: 'equity',
    title: `${p}: equity curves, ${scope} (growth of 1)`,
    dates: chart.equity.dates,
    lines: lines(chart.equity),
    tick: numberTick,
    legendValue: (v) => fixed(v, 3),
    reference: 1,
  });
  const drawdown = renderLineChart({
    kind: 'drawdown',
    title: `${p}: drawdowns, ${scope}`,
    dates: chart.drawdown.dates,
    lines: lines(chart.drawdown, true),
    tick: percentTick,
    reference: 0,
    height: 150,
  });
  return (
    figure(equity, `Equity curves, ${scope}: growth of 1 (final value in the legend).`) +
    figure(drawdown, `Drawdowns, ${scope}: fall from the running peak.`)
  );
}

function metricsCharts(p: RiskProfileReport): string {
  const charts = p.charts;
  if (charts === undefined) return '';
  let out = performanceFigures(charts.inSample, `${IN_SAMPLE} (optimized weights)`, p.riskProfile);
  const rv = charts.rollingVolatility;
  out +=
    rv === null
      ? `<p class="note">Rolling volatility not drawn: fewer rows than its window plus one.</p>`
      : figure(
          renderLineChart({
            kind: 'rolling-volatility',
            title: `${p.riskProfile}: rolling ${rv.window}-row annualised volatility, ${IN_SAMPLE}`,
            dates: rv.chart.dates,
            lines: lines(rv.chart),
            tick: percentTick,
            height: 160,
          }),
          `Rolling volatility of the optimized weights, ${IN_SAMPLE}, over the trailing ${rv.window} rows, annualised (A = ${p.periodsPerYear}).`,
        );
  return out;
}

function backtestCharts(p: RiskProfileReport): string {
  const charts = p.charts;
  if (charts === undefined || p.backtest === undefined || isOmitted(p.backtest) || p.backtest.status !== 'ok')
    return '';
  let out = '';
  const oos = charts.outOfSample;
  if (oos !== null) {
    out += isOmitted(oos)
      ? missingNote('Out-of-sample chart', oos.omitted)
      : performanceFigures(oos, OUT_OF_SAMPLE, p.riskProfile);
  }
  const wh = charts.weightsHistory;
  if (wh !== null) {
    out += isOmitted(wh)
      ? missingNote('Weights chart', wh.omitted)
      : figure(
          renderWeightsHistoryChart({
            title: `${p.riskProfile}: sleeve weights at each rebalance, ${OUT_OF_SAMPLE}`,
            ...wh,
          }),
          `Target sleeve weights fitted at each rebalance, ${OUT_OF_SAMPLE} (they drift until the next one).`,
        );
  }
  const leaves = charts.leafWeightsHistory;
  if (leaves !== undefined && leaves !== null) {
    out += figure(
      renderWeightsHistoryChart({
        kind: 'leaf-weights-history',
        title: `${p.riskProfile}: atomic sleeve weights at each rebalance, through the nested branches, ${OUT_OF_SAMPLE}`,
        ...leaves,
      }),
      `Target weights of the atomic sleeves (branch/sleeve), products of the weights along each path, as ` +
        `traded: the turnover inside a nested branch shows here even when the branch's own weight holds.`,
    );
  }
  return out;
}

function allocationCharts(p: RiskProfileReport): string {
  const a = p.allocation;
  let out = figure(
    renderWeightsChart({
      title: `${p.riskProfile}: sleeve weights (${a.method})`,
      bars: a.sleeves.map((s) => ({ label: s.id, weight: s.weight })),
      minWeight: a.minWeight,
      maxWeight: a.maxWeight,
    }),
    `Optimized sleeve weights, fitted on the full history (${IN_SAMPLE}), with the bounds of the meta profile.`,
  );
  const tree = p.charts?.tree;
  if (tree === undefined) return out;
  if (tree === null)
    out += `<p class="note">No dendrogram: the ${inlineHtml(code(a.method))} method builds no tree.</p>`;
  else if (isOmitted(tree)) out += missingNote('Dendrogram', tree.omitted);
  else {
    out += figure(
      renderDendrogram({ title: `${p.riskProfile}: HRP dendrogram (${tree.linkage} linkage)`, ...tree }),
      `HRP clustering of the sleeves (distance √((1 − ρ)/2), ${escapeHtml(tree.linkage)} linkage) with each leaf's weight.`,
    );
  }
  return out;
}

function relativeEquityCharts(p: RiskProfileReport): string {
  const b = p.benchmarks;
  if (b === undefined || isOmitted(b) || b.relativeEquity === null) return '';
  const draw = (chart: TimeSeriesChart, scope: string): string =>
    figure(
      renderLineChart({
        kind: 'relative-equity',
        title: `${p.riskProfile}: relative equity (portfolio / benchmark), ${scope}`,
        dates: chart.dates,
        lines: lines(chart),
        tick: numberTick,
        legendValue: (v) => fixed(v, 3),
        reference: 1,
        height: 180,
      }),
      `Relative equity, ${scope}: the portfolio's growth of 1 over the benchmark's on their common dates; above 1 the portfolio is ahead.`,
    );
  const { inSample, outOfSample } = b.relativeEquity;
  return draw(inSample, IN_SAMPLE) + (outOfSample === null ? '' : draw(outOfSample, OUT_OF_SAMPLE));
}

function attributionCharts(p: RiskProfileReport): string {
  const a = p.attribution;
  if (a === undefined || isOmitted(a)) return '';
  const cvarLabel = `CVaR ${Math.round(a.cvarLevel * 100)}`;
  const bars = (lines: readonly AttributionLine[]) =>
    lines.map((l) => ({ label: l.label, volShare: l.volShare, cvarShare: l.cvarShare }));
  const nested = a.sleeves.some((s) => s.kind === 'meta');
  let out = figure(
    renderAttributionChart({
      title: `${p.riskProfile}: share of volatility and ${cvarLabel} by ${nested ? 'atomic sleeve' : 'sleeve'}`,
      rows: bars(attributionChartLines(nested ? a.leaves : a.sleeves, a, 'sleeves')),
      cvarLabel,
    }),
    `Euler contributions, ${IN_SAMPLE}, as shares of the total: the bars of each colour add up to 100 % ` +
      `(a hedge is negative).`,
  );
  if (a.assets.length > 0) {
    out += figure(
      renderAttributionChart({
        title: `${p.riskProfile}: share of volatility and ${cvarLabel} by physical asset`,
        rows: bars(attributionChartLines(largestFirst(a.assets), a, 'assets', a.unassigned)),
        cvarLabel,
      }),
      'Physical assets by look-through: each atomic sleeve’s contribution split by its gross exposure.',
    );
  }
  return out;
}

function chartsFor(key: SectionKey, p: RiskProfileReport): string {
  switch (key) {
    case 'benchmarks':
      return relativeEquityCharts(p);
    case 'metrics':
      return metricsCharts(p);
    case 'backtest':
      return backtestCharts(p);
    case 'allocation':
      return allocationCharts(p);
    case 'correlation':
      return p.correlation === null
        ? ''
        : figure(
            renderHeatmap({ title: `${p.riskProfile}: sleeve correlation`, ...p.correlation }),
            `Sample correlation of the sleeves’ ${p.frequency === undefined ? '' : `${p.frequency} `}returns on the common dates.`,
          );
    case 'assets':
      return isOmitted(p.assets) || p.assets.top.length === 0
        ? ''
        : figure(
            renderContributorsChart({
              title: `${p.riskProfile}: top physical assets by sleeve`,
              assets: p.assets.top,
            }),
            'Net weight of the largest physical assets, split by contributing sleeve (shorts left of zero).',
          );
    case 'attribution':
      return attributionCharts(p);
    default:
      return '';
  }
}

function sectionOf(key: SectionKey, p: RiskProfileReport): Section<object> | undefined {
  const sections: Partial<Record<SectionKey, Section<object> | undefined>> = {
    backtest: p.backtest,
    benchmarks: p.benchmarks,
    assets: p.assets,
    health: p.health,
    calendar: p.calendar,
    nested: p.nested,
    attribution: p.attribution,
    exposure: p.exposure,
  };
  return sections[key];
}

/** The `<section>` of one risk profile. */
export function renderProfileHtml(p: RiskProfileReport): string {
  const id = anchorId('profile', p.riskProfile);
  const blocks = riskProfileSectionBlocks(p).map((b) => {
    const source = sectionOf(b.key, p);
    const omitted = source !== undefined && isOmitted(source) ? source : null;
    const missing = omitted === null ? null : omitted.omitted;
    const body =
      omitted === null
        ? chartsFor(b.key, p) + markdownToHtml(b.body)
        : omitted.notRun === undefined
          ? missingNote('Section', omitted.omitted)
          : `<p class="missing" data-missing="${escapeHtml(omitted.omitted)}">${inlineHtml(omittedNote(omitted.omitted, omitted.notRun).slice(1, -1))}</p>`;
    return (
      `<section class="block" id="${anchorId(id, b.key)}"${missing === null ? '' : ` data-missing="${escapeHtml(missing)}"`}>\n` +
      `<h3>${escapeHtml(b.title)}</h3>\n${body}\n</section>`
    );
  });
  return `<section class="profile" id="${id}">\n<h2>Risk profile ${inlineHtml(code(p.riskProfile))}</h2>\n${blocks.join('\n')}\n</section>`;
}
