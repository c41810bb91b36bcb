// A time-series line chart on uPlot: one or more series over shared dates, sized to its container (it
// redraws when the container's width changes, so the same chart fits a phone and a desktop).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  readonly label: string;
  /** One value per date (null where the series has no value). */
  readonly values: readonly (number | null)[];
}

interface Props {
  readonly title: string;
  /** ISO dates (YYYY-MM-DD), ascending. */
  readonly dates: readonly string[];
  readonly series: readonly ChartSeries[];
  /** Format of the y axis values. */
  readonly percent?: boolean;
  readonly height?: number;
  readonly chartId: string;
}

const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7d8c', '#57606a'];

function seconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

function options(props: Props, width: number): uPlot.Options {
  const fmt = (v: number) => (props.percent === true ? `${(v * 100).toFixed(1)} %` : v.toFixed(2));
  return {
    width,
    height: props.height ?? 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    axes: [{ space: 70 }, { values: (_u, ticks) => ticks.map(fmt), size: 64 }],
    series: [
      { label: 'date', value: '{YYYY}-{MM}-{DD}' },
      ...props.series.map((s, k) => ({
        label: s.label,
        stroke: COLOURS[k % COLOURS.length] ?? '#000',
        width: 1.5,
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)),
      })),
    ],
  };
}

/** A uPlot line chart; `data-chart` names it for tests and styling. */
export function LineChart(props: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    const data: uPlot.AlignedData = [
      props.dates.map(seconds),
      ...props.series.map((s) => s.values as (number | null)[]),
    ];
    const plot = new uPlot(options(props, Math.max(240, el.clientWidth)), data, el);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(240, el.clientWidth), height: props.height ?? 260 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.dates, props.series, props.percent, props.height]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div
        ref={box}
        class="chart-box"
        data-chart={props.chartId}
        role="img"
        aria-label={chartSummary(props)}
      />
    </figure>
  );
}

/**
 * The chart in words, for a screen reader (the canvas has none): what it plots, then each series from
 * its first value to its last, with their dates. The same data always reads the same.
 */
function chartSummary(props: Pick<Props, 'title' | 'dates' | 'series' | 'percent'>): string {
  const fmt = (v: number) => (props.percent === true ? `${(v * 100).toFixed(1)} %` : v.toFixed(2));
  const lines = props.series.map((s) => {
    const first = s.values.findIndex((v) => v !== null);
    const last = s.values.findLastIndex((v) => v !== null);
    if (first < 0) return `${s.label}: no values`;
    const at = (k: number) => `${fmt(s.values[k] as number)} on ${props.dates[k] ?? '?'}`;
    return `${s.label} from ${at(first)} to ${at(last)}`;
  });
  return `${props.title}: ${lines.length === 0 ? 'no series' : lines.join('; ')}`;
}
