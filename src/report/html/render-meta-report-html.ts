/**
 * The meta portfolio report as one self-contained HTML file (DESIGN §8): inline CSS and inline SVG charts,
 * no script, no font or image files, and a Content-Security-Policy that forbids every fetch. The tables
 * and text are those of the Markdown report (same renderers, converted), so both show the same numbers.
 */
import { code } from '../_markdown.js';
import { everyPeriod, sharedFrequency } from '../_labels.js';
import { appendix, summary, warningsSection } from '../render-meta-report-markdown.js';
import type { MetaReportData } from '../meta-report-data.js';
import { anchorId, escapeHtml } from './_html.js';
import { inlineHtml, markdownToHtml } from './_markdown-to-html.js';
import { renderProfileHtml } from './_profile-html.js';
import { REPORT_CSS } from './_style.js';

/** Definitions of what only the charts show, worded by the run's calendar (`daily`, `every month`, ...). */
const chartDefinitions = (frequency: string | undefined): string[] => [
  'Charts: equity = the compounded growth of 1; drawdown = 1 − equity / running peak (drawn below zero). ' +
    `Equal weight = 1/n of the sleeves, rebalanced ${everyPeriod(frequency)} in-sample and at each rebalance out of ` +
    'sample.',
  'Best sleeve (charts) = the single sleeve with the highest Sharpe ratio over the period shown, chosen with ' +
    'hindsight: a demanding benchmark.',
  'Rolling volatility = the volatility above over the trailing window of rows named on the chart, annualised by A.',
];

// No fetch of any kind: inline styles and SVG only. A browser then refuses any request the file could make.
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function header(data: MetaReportData): string {
  const items = [
    `Run: ${inlineHtml(code(data.runId))}`,
    `Created: ${escapeHtml(data.createdAt)}`,
    `Risk profiles: ${data.riskProfiles.length === 0 ? 'none' : data.riskProfiles.map((p) => inlineHtml(code(p.riskProfile))).join(', ')}`,
  ];
  if (data.toolVersion !== null) items.push(`Tool version: ${escapeHtml(data.toolVersion)}`);
  const links = [
    ...(data.warnings === undefined || data.warnings.length === 0
      ? []
      : [`<a href="#warnings">Warnings</a>`]),
    `<a href="#summary">Summary</a>`,
    ...data.riskProfiles.map(
      (p) => `<a href="#${anchorId('profile', p.riskProfile)}">${escapeHtml(p.riskProfile)}</a>`,
    ),
    `<a href="#appendix">Definitions</a>`,
  ];
  return (
    `<header>\n<h1>Meta portfolio report: ${inlineHtml(code(data.metaProfile))}</h1>\n` +
    `<ul class="run">${items.map((i) => `<li>${i}</li>`).join('')}</ul>\n<nav>${links.join('')}</nav>\n</header>`
  );
}

/** A `##` Markdown section as an HTML `<section>` with the given id. */
function sectionFromMarkdown(id: string, markdown: string): string {
  return `<section id="${id}">\n${markdownToHtml(markdown)}\n</section>`;
}

/**
 * Render the HTML report: header (meta profile, run, creation time as given), summary table, one section
 * per risk profile with its charts (equity and drawdowns in and out of sample, weights, correlation
 * heatmap, dendrogram, asset contributors, rolling volatility) and the Markdown report's tables, and the
 * appendix of definitions. Missing sources are marked (`data-missing`). Deterministic: the same data gives
 * the same bytes.
 */
export function renderMetaReportHtml(data: MetaReportData): string {
  const title = `Meta portfolio report: ${data.metaProfile}`;
  const generator = data.toolVersion === null ? 'metafolio' : `metafolio ${data.toolVersion}`;
  const warnings = warningsSection(data);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${escapeHtml(generator)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    header(data),
    '<main>',
    ...(warnings === '' ? [] : [sectionFromMarkdown('warnings', warnings)]),
    sectionFromMarkdown('summary', summary(data.riskProfiles)),
    ...data.riskProfiles.map(renderProfileHtml),
    sectionFromMarkdown(
      'appendix',
      appendix(
        data.riskProfiles,
        chartDefinitions(sharedFrequency(data.riskProfiles.map((p) => p.frequency))),
      ),
    ),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
