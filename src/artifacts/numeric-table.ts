/**
 * The wide numeric table shared by the CSV and Parquet readers and writers, and the date rules both
 * enforce: dates are calendar days `YYYY-MM-DD`, strictly increasing (no duplicates, no unsorted rows).
 */
import { QuantError, isUnprintableCodeUnit, type ErrorLocation } from '../errors.js';
import { civilDayPrefix, daysFromCivil, epochDayToIsoDay } from '../util/civil-day.js';

/** A wide table: one date per row, one Float64Array per column (NaN = missing). */
export interface NumericTable {
  /** ISO calendar days `YYYY-MM-DD`, strictly increasing. */
  readonly dates: readonly string[];
  readonly columns: readonly string[];
  /** `values[j][t]` = column j at date t. */
  readonly values: readonly Float64Array[];
}

/** Why a column may not be called `__proto__` (see util/own.ts). */
export const RESERVED_COLUMN =
  "cannot be an asset name (JavaScript reserves it: it would replace an object's prototype)";

/** Days since 1970-01-01 of an ISO day `YYYY-MM-DD` (assumed valid: read from its digits, no substrings). */
export function isoDayToEpochDay(iso: string): number {
  return (
    civilDayPrefix(iso) ??
    daysFromCivil(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10)))
  );
}

export { epochDayToIsoDay };

/**
 * Characters a column name may not hold: the line feed and every character the CLI's messages escape
 * ({@link isUnprintableCodeUnit}: C0 and C1 controls, tabs, the line and paragraph separators, the bidi
 * marks, embeddings, overrides and isolates, the zero-width characters and a BOM inside the name). Names
 * go into Markdown and HTML reports and into one-line messages: a line break there forges a heading or a
 * table row, an override reverses what is shown, and a zero-width character makes `SPY\u200b` a column
 * that looks like `SPY` and never matches it in a universe, benchmark or trades block.
 */
function isUnsafeNameChar(c: number): boolean {
  return c === 0x0a || isUnprintableCodeUnit(c);
}

/** `text` quoted, with every unsafe character as `\uXXXX` (safe to print on one line). */
function escapeName(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (isUnsafeNameChar(c)) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch === '\\' || ch === '"' ? `\\${ch}` : ch;
  }
  return `"${out}"`;
}

const BIDI = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e]);

/** What the unsafe character `c` is, why it is refused, and how to fix the column. */
function unsafeNameCharKind(c: number): { kind: string; why: string; hint: string } {
  const rename =
    'rename the column: letters, digits, spaces and punctuation, without line breaks, tabs or other control characters';
  const shown = 'column names are shown in reports and messages, where it could forge or reorder lines';
  if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) {
    const hint =
      c === 9
        ? 'if the file is separated by tabs, save it with commas between the columns; else rename the column without tabs'
        : rename;
    return { kind: 'a control character', why: shown, hint };
  }
  if (c === 0x2028 || c === 0x2029)
    return { kind: 'a line or paragraph separator', why: shown, hint: rename };
  if (BIDI.has(c) || (c >= 0x2066 && c <= 0x2069))
    return { kind: 'a bidi mark, embedding, override or isolate', why: shown, hint: rename };
  return {
    kind: c === 0xfeff ? 'a byte order mark inside the name' : 'an invisible zero-width character',
    why: 'two columns that look the same would be different names, and the column would never match the name written without it in a universe, benchmark or trades block',
    hint: 'retype the column name without the invisible character (it often comes with text copied from a web page or a document)',
  };
}

/**
 * Throw `E_INPUT_VALUE` when a column name holds a character of {@link isUnsafeNameChar}, naming the
 * file, the column's 1-based position (`where`, e.g. `column 3 of the header`), the name escaped, the
 * character and how to fix it.
 */
export function assertPrintableColumnName(
  file: string,
  name: string,
  where: string,
  location: ErrorLocation,
): void {
  let at = -1;
  for (let i = 0; i < name.length && at < 0; i++) if (isUnsafeNameChar(name.charCodeAt(i))) at = i;
  if (at < 0) return;
  const point = name.charCodeAt(at);
  const code = `U+${point.toString(16).toUpperCase().padStart(4, '0')}`;
  const { kind, why, hint } = unsafeNameCharKind(point);
  throw new QuantError(
    'E_INPUT_VALUE',
    `${file}: ${where} is named ${escapeName(name)}, which holds ${code} (${kind}) at character ${at + 1}: ${why}`,
    { location: { ...location, file }, hint },
  );
}

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Normalise a date or datetime string to the calendar day it is written on, or `undefined` if it is not
 * one. Accepts `YYYY-MM-DD`, and ISO datetimes with `T` or a space and an optional offset (`Z`, `+09:00`).
 * A row of a daily table is the day its date names: the time of day and the offset are checked, then
 * ignored (`2024-01-02 00:00:00+09:00` is 2024-01-02, not the UTC day of that instant, 2024-01-01), so a
 * table written in Tokyo lines up with one written in London day by day.
 */
export function normalizeIsoDay(text: string): string | undefined {
  // The common case, already a calendar day: no regular expression, no Date, the same string back.
  if (text.length === 10 && civilDayPrefix(text) !== undefined) return text;
  const trimmed = text.trim();
  const m = DATE_RE.exec(trimmed);
  if (m === null) return undefined;
  const [, , , , hs, mis, ss, , offset] = m;
  const civil = civilDayPrefix(trimmed);
  if (civil === undefined) return undefined;
  if (hs !== undefined) {
    const s = ss === undefined ? 0 : Number(ss);
    if (Number(hs) > 23 || Number(mis) > 59 || s > 60) return undefined;
  }
  // An offset is checked like a time of day: +25:00 or +99:99 is no offset (ISO 8601 writes ±hh:mm).
  if (offset !== undefined && offset !== 'Z') {
    if (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(-2)) > 59) return undefined;
  }
  return epochDayToIsoDay(civil);
}

/** Days since 1970-01-01 of 0000-01-01 and 9999-12-31: the range of ISO calendar days. */
export const FIRST_EPOCH_DAY = -719_528;
export const LAST_EPOCH_DAY = 2_932_896;

/** Whether `text` is exactly a valid `YYYY-MM-DD`. */
function isIsoDay(text: string): boolean {
  return text.length === 10 && normalizeIsoDay(text) === text;
}

/**
 * Throw `E_INPUT_DATES` at the first date that is not after its predecessor, naming both positions through
 * `where(i)` (e.g. `line 7` or `row 6`).
 */
export function assertStrictlyIncreasing(
  file: string,
  dates: readonly string[],
  where: (index: number) => string,
  location: (index: number) => ErrorLocation,
): void {
  for (let i = 1; i < dates.length; i++) {
    const prev = dates[i - 1] as string;
    const cur = dates[i] as string;
    if (cur > prev) continue;
    const what = cur === prev ? 'duplicate date' : 'dates out of order';
    throw new QuantError(
      'E_INPUT_DATES',
      `${file}: ${what}: ${cur} at ${where(i)} ${cur === prev ? 'repeats' : 'comes after'} ${prev} at ${where(i - 1)}`,
      {
        location: { file, ...location(i) },
        hint:
          cur === prev
            ? 'keep one row per calendar day (a datetime counts as the day it is written on)'
            : 'sort the rows by date, oldest first',
      },
    );
  }
}

/** Check a table before writing it (`E_OUTPUT` on a shape, name or date problem). */
export function assertWritableTable(path: string, table: NumericTable, reserved: string): void {
  const fail = (why: string): never => {
    throw new QuantError('E_OUTPUT', `cannot write ${path}: ${why}`, { location: { file: path } });
  };
  if (table.values.length !== table.columns.length) {
    fail(`${table.columns.length} column names but ${table.values.length} value arrays`);
  }
  const seen = new Set<string>();
  for (const [j, name] of table.columns.entries()) {
    if (name === '' || name === reserved || seen.has(name)) {
      fail(`column name ${JSON.stringify(name)} is empty, duplicated or the date column's`);
    }
    seen.add(name);
    const col = table.values[j] as Float64Array;
    if (col.length !== table.dates.length)
      fail(`column ${name} has ${col.length} values for ${table.dates.length} dates`);
    const bad = col.findIndex((v) => v === Infinity || v === -Infinity);
    if (bad >= 0)
      fail(`column ${name} holds ${col[bad]} at row ${bad + 1} (only finite numbers or NaN for missing)`);
  }
  for (const [i, d] of table.dates.entries()) {
    if (!isIsoDay(d)) fail(`date ${JSON.stringify(d)} at row ${i + 1} is not YYYY-MM-DD`);
    if (i > 0 && d <= (table.dates[i - 1] as string))
      fail(`dates are not strictly increasing at row ${i + 1} (${d})`);
  }
}

/** Options of the table readers. */
export interface ReadTableOptions {
  /** Name of the date column. Default: `date`, else a pandas index column, else a known index name. */
  readonly dateColumn?: string;
  /** Empty cells / nulls become NaN (default); `false` makes them `E_INPUT_VALUE`. */
  readonly allowMissing?: boolean;
}

/** A table as read, with where its dates came from. */
export interface ReadTableResult extends NumericTable {
  readonly dateColumn: string;
  readonly format: 'csv' | 'parquet';
  /** CSV: the 1-based line of each row, for messages about a cell found later. */
  readonly lines?: readonly number[];
  /** One-line warnings about how the table was read (Parquet timestamps not at midnight UTC). */
  readonly warnings?: readonly string[];
}

/** Index column names the predecessor (pandas) writes, tried in order after `date`. */
const INDEX_COLUMN_NAMES = ['__index_level_0__', 'index', 'Date', 'datetime', 'Datetime', 'timestamp'];

/**
 * Pick the date column among `names`: the explicit one (must exist), else `date`, else the `preferred`
 * names (pandas index columns from file metadata), else {@link INDEX_COLUMN_NAMES}, else the `fallback`
 * names (a CSV's unnamed first column). `E_INPUT_COLUMN` if none.
 */
export function resolveDateColumn(
  file: string,
  names: readonly string[],
  explicit: string | undefined,
  preferred: readonly string[] = [],
  fallback: readonly string[] = [],
): string {
  const candidates =
    explicit === undefined ? ['date', ...preferred, ...INDEX_COLUMN_NAMES, ...fallback] : [explicit];
  const found = candidates.find((c) => names.includes(c));
  if (found !== undefined) return found;
  const wanted =
    explicit === undefined ? `"date" column (nor a pandas index column)` : `date column "${explicit}"`;
  throw new QuantError(
    'E_INPUT_COLUMN',
    `${file}: no ${wanted}; the columns are ${names.join(', ') || '(none)'}`,
    {
      location: { file, column: explicit ?? 'date' },
      hint: dateColumnHint(names, explicit),
    },
  );
}

/** How to fix a missing date column: the option given, a file not separated by commas, or the name. */
function dateColumnHint(names: readonly string[], explicit: string | undefined): string {
  if (explicit !== undefined) return `pass the name of the file's date column as the date column option`;
  const only = names.length === 1 ? (names[0] as string) : '';
  const separator = only.includes(';') ? 'semicolons' : only.includes('\t') ? 'tabs' : undefined;
  if (separator !== undefined) {
    return `the header reads as one column: the file looks separated by ${separator}; save it with commas between the columns`;
  }
  return 'name the date column "date" (or use a pandas index column)';
}
