/** Pure report renderers: data → Markdown and HTML strings. No I/O; imports nothing internal but errors.ts. */
export { renderMetaReportMarkdown } from './render-meta-report-markdown.js';
export { renderMetaReportHtml } from './html/render-meta-report-html.js';
export { INTERSECTION_LOSS_WARNING } from './_meta-report-sections.js';
export { IN_SAMPLE, OUT_OF_SAMPLE } from './_labels.js';
export {
  isOmitted,
  type ActiveRiskRow,
  type AllocationSection,
  type BenchmarkSection,
  type DataAgeSection,
  type AnomalySection,
  type AssetsSection,
  type AttributionRowData,
  type AttributionSection,
  type BacktestRow,
  type BacktestSection,
  type PolicyRow,
  type ChartLine,
  type DendrogramData,
  type PerformanceChart,
  type TimeSeriesChart,
  type WeightsHistory,
  type CalendarSection,
  type CorrelationSection,
  type ExposureRow,
  type ExposureSection,
  type HealthSection,
  type LimitRow,
  type LimitsSection,
  type MetaReportData,
  type NestedBranch,
  type RiskProfileReport,
  type RunWarning,
  type Section,
  type TailRow,
} from './meta-report-data.js';
