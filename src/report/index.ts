/** Pure report renderers: data → Markdown strings. No I/O; imports nothing internal but errors.ts. */
export { renderMetaReportMarkdown } from './render-meta-report-markdown.js';
export { INTERSECTION_LOSS_WARNING } from './_meta-report-sections.js';
export {
  isOmitted,
  type AllocationSection,
  type AllocationSleeve,
  type AnomalyRow,
  type AnomalySection,
  type AssetRow,
  type AssetsSection,
  type CalendarRow,
  type CalendarSection,
  type CorrelationSection,
  type ExcludedRow,
  type FallbackStep,
  type HealthRow,
  type HealthSection,
  type MetaReportData,
  type NestedBranch,
  type NestedSection,
  type NestedSleeve,
  type OmittedSection,
  type PortfolioMetrics,
  type RiskProfileReport,
  type Section,
  type SleeveFigures,
} from './meta-report-data.js';
