/**
 * The report's only stylesheet, inlined. System fonts only (no font files, no network); print rules keep
 * charts and table rows whole and the colours of the charts.
 */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5b5b60; --rule: #d9d9de; --accent: #0b4f9c; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; overflow-wrap: anywhere;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main { max-width: 1000px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; border-bottom: 2px solid var(--accent); }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; color: var(--accent); }
h4 { font-size: 14px; margin: 16px 0 6px; }
code { font: 12.5px/1.3 ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
  background: #f3f3f6; padding: 0 3px; border-radius: 3px; }
ul.run { list-style: none; padding: 0; margin: 0 0 10px; color: var(--muted); }
nav { margin: 8px 0 12px; display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav a { color: var(--accent); text-decoration: none; }
.table-wrap { overflow-x: auto; margin: 8px 0 12px; }
.table-print { display: none; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: #f6f6f8; font-weight: 600; }
th, td { overflow-wrap: normal; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfbfc; }
blockquote { margin: 8px 0; padding: 6px 12px; border-left: 4px solid #d08c00; background: #fff8e6; }
p.note, .missing { color: var(--muted); }
.missing { border-left: 4px solid #b00; padding: 4px 10px; background: #fbf1f1; }
section#warnings, section.block[id$="-warnings"] { border-left: 4px solid #d08c00; padding: 2px 12px;
  background: #fff8e6; }
figure.chart { margin: 10px 0 16px; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
@media (max-width: 760px) {
  header, main { padding: 0 12px; }
}
figure.chart figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
section.profile { border-top: 3px solid var(--accent); margin-top: 36px; }
@media print {
  body { font-size: 11px; }
  header, main { max-width: none; padding: 0; }
  nav { display: none; }
  section.profile { break-before: page; border-top: none; }
  figure.chart, tr, blockquote { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  .table-wrap, figure.chart { overflow: visible; }
  table { font-size: 8.5px; max-width: 100%; }
  th, td { padding: 2px 4px; }
  th, th.num { white-space: normal; overflow-wrap: anywhere; }
  td { overflow-wrap: anywhere; }
  td.num { white-space: normal; overflow-wrap: normal; }
  .table-screen { display: none; }
  .table-print { display: block; }
  .table-print caption { caption-side: top; text-align: left; color: var(--muted); font-size: 8.5px; }
  code { font-size: 8px; }
  figure.chart svg { min-width: 0 !important; max-width: 100%; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
