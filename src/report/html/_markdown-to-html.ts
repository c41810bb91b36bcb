/**
 * HTML for the Markdown the report renderers emit (report/_markdown.ts), so that the HTML report shows
 * the very text and numbers of the Markdown report. Only that subset is understood: headings, paragraphs,
 * GitHub tables (escaped pipes, `---:` alignment), `- ` lists, `> ` quotes, code spans with any fence,
 * `**strong**` and `_emphasis_`. Everything else is text, escaped.
 */
import { escapeHtml } from './_html.js';

/**
 * The three entities `cell()` writes for plain text (`&amp;`, `&lt;`, `&gt;`) back to their characters, in
 * one pass (`&amp;lt;` is the text `&lt;`), so that escaping for HTML gives them once, not twice.
 */
function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, name: string) =>
    name === 'amp' ? '&' : name === 'lt' ? '<' : '>',
  );
}

/** Emphasis and strong on text outside code spans (already HTML-escaped); `\\|` is a literal pipe. */
function emphasis(text: string): string {
  return text
    .replace(/\\\|/g, '|')
    .replace(/\*\*(\S(?:.*?\S)?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[\s(])_(\S(?:.*?\S)?)_(?=$|[\s).,;:!?])/g, '$1<em>$2</em>');
}

/** One line of inline Markdown: code spans first (their content is literal), then emphasis around them. */
export function inlineHtml(text: string): string {
  let out = '';
  let plain = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '`') {
      let k = i;
      while (text[k] === '`') k++;
      const fence = text.slice(i, k);
      let close = text.indexOf(fence, k);
      // A longer run of backticks is not the closing fence.
      while (close >= 0 && text[close + fence.length] === '`')
        close = text.indexOf(fence, close + fence.length + 1);
      if (close >= 0) {
        let inner = text.slice(k, close);
        if (inner.length >= 2 && inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '') {
          inner = inner.slice(1, -1);
        }
        out += emphasis(escapeHtml(decodeEntities(plain))) + `<code>${escapeHtml(inner)}</code>`;
        plain = '';
        i = close + fence.length;
        continue;
      }
      plain += fence;
      i = k;
      continue;
    }
    plain += text[i];
    i++;
  }
  return out + emphasis(escapeHtml(decodeEntities(plain)));
}

/** Split a table row on pipes that are not escaped, dropping the outer ones. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (c === '\\' && inner[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (c === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/**
 * The most columns a printed table has: a wider one (the sleeve correlation table of many sleeves) is
 * printed as blocks of its columns, each repeating the first column, as wide matrices are printed by
 * pandas or R; its numbers keep their printed size and never break.
 */
const PRINT_MAX_COLUMNS = 16;

/** `<table>` of the given columns of a parsed table, with an optional caption. */
function tableElement(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
  columns: readonly number[],
  caption = '',
): string {
  const cls = (j: number): string => (right[j] === true ? ' class="num"' : '');
  const th = columns.map((j) => `<th${cls(j)}>${inlineHtml(head[j] ?? '')}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${columns.map((j) => `<td${cls(j)}>${inlineHtml(r[j] ?? '')}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>${caption}\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function tableHtml(lines: readonly string[]): string {
  const head = cells(lines[0] as string);
  const rule = cells(lines[1] ?? '');
  const right = rule.map((r) => r.endsWith(':'));
  const rows = lines.slice(2).map(cells);
  const all = head.map((_, j) => j);
  const whole = `<div class="table-wrap">${tableElement(head, rows, right, all)}</div>`;
  if (head.length <= PRINT_MAX_COLUMNS) return whole;
  // Too wide for a printed page: shown whole on screen, printed as balanced blocks of its columns.
  const rest = head.length - 1;
  const blocks = Math.ceil(rest / (PRINT_MAX_COLUMNS - 1));
  const printed = Array.from({ length: blocks }, (_, b) => {
    const from = 1 + Math.ceil((b * rest) / blocks);
    const to = Math.ceil(((b + 1) * rest) / blocks);
    const columns = [0, ...all.slice(from, to + 1)];
    const caption = `<caption>Columns ${from}–${to} of ${rest}</caption>`;
    return `<div class="table-wrap">${tableElement(head, rows, right, columns, caption)}</div>`;
  });
  return (
    `<div class="table-screen">${whole}</div>\n` +
    `<div class="table-print" data-columns="${head.length}">\n${printed.join('\n')}\n</div>`
  );
}

/** HTML of a Markdown body made of blank-line separated blocks. */
export function markdownToHtml(markdown: string): string {
  return markdown
    .split(/\n{2,}/)
    .map((chunk) => chunk.replace(/^\n+|\n+$/g, ''))
    .filter((chunk) => chunk !== '')
    .map((chunk) => {
      const lines = chunk.split('\n');
      const first = lines[0] as string;
      const heading = /^(#{1,6}) (.*)$/.exec(first);
      if (heading !== null && lines.length === 1) {
        const level = (heading[1] as string).length;
        return `<h${level}>${inlineHtml(heading[2] as string)}</h${level}>`;
      }
      if (first.startsWith('|')) return tableHtml(lines);
      if (lines.every((l) => l.startsWith('- '))) {
        return `<ul>\n${lines.map((l) => `<li>${inlineHtml(l.slice(2))}</li>`).join('\n')}\n</ul>`;
      }
      if (lines.every((l) => l.startsWith('>'))) {
        const text = lines.map((l) => l.replace(/^> ?/, '')).join(' ');
        return `<blockquote><p>${inlineHtml(text)}</p></blockquote>`;
      }
      const text = lines.join(' ');
      const note = /^_.*_$/.test(text) ? ' class="note"' : '';
      return `<p${note}>${inlineHtml(text)}</p>`;
    })
    .join('\n');
}
