/** Markdown building blocks with fixed number formats, shared by the report renderers. */

const NOT_AVAILABLE = 'n/a';

// toFixed keeps the sign of values that round to zero ("-0.00"); a report should not show a negative zero.
function fixed(x: number, digits: number): string {
  const text = x.toFixed(digits);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

/** `12.34%` (fixed decimals), `n/a` for null. */
export function pct(x: number | null, digits = 2): string {
  return x === null ? NOT_AVAILABLE : `${fixed(x * 100, digits)}%`;
}

/** A plain number with fixed decimals, `n/a` for null. */
export function num(x: number | null, digits = 2): string {
  return x === null ? NOT_AVAILABLE : fixed(x, digits);
}

/** Line breaks as spaces: a user string must not start a heading, a list or a table row of its own. */
function oneLine(text: string): string {
  return text.replace(/\r\n|[\r\n]/g, ' ');
}

/**
 * An identifier as a code span (safe for `_`, `*` and backticks inside; its content is literal, so `<` and
 * `&` stay as they are; line breaks are flattened).
 */
export function code(raw: string): string {
  const text = oneLine(raw);
  if (!text.includes('`')) return `\`${text}\``;
  const longest = Math.max(...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${text} ${fence}`;
}

/**
 * Plain text made safe for one table cell or one line: `&`, `<` and `>` as entities (Markdown passes raw
 * HTML through), pipes escaped, line breaks flattened.
 */
export function cell(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return oneLine(escaped.replace(/(?<!\\)\|/g, '\\|'));
}

export type Align = 'left' | 'right';

/**
 * A GitHub-flavoured Markdown table. Cells are inserted as given (already formatted); pipes are escaped
 * here so that code spans and plain text cannot break the row.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const esc = (s: string): string => s.replace(/(?<!\\)\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: readonly string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  const rule = header.map((_, i) => ((align?.[i] ?? 'left') === 'right' ? '---:' : '---'));
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}

/**
 * The visible note that replaces a section whose optional source file is missing; `notRun` says why when
 * the stage that writes it was not part of the run.
 */
export function omittedNote(file: string, notRun?: string): string {
  return notRun === undefined
    ? `_Section omitted: ${cell(file)} not found._`
    : `_Not run: ${notRun}, so there is no ${cell(file)}._`;
}

/** A bullet list; an empty list renders as nothing. */
export function bullets(items: readonly string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}
