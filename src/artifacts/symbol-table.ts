/**
 * Per-symbol CSV tables (holdings, prices, lot sizes): a header row with a `symbol` column and numeric
 * columns, one row per symbol. Symbols are kept exactly as written (`NASDAQ:AAPL`), trimmed.
 */
import { csvParseRows } from 'd3-dsv';
import { formatLocation, QuantError } from '../errors.js';
import { parseDecimal } from '../util/decimal.js';
import { RESERVED_NAME } from '../util/own.js';
import { assertReadableFile } from './tables.js';
import { readInputText } from './input-file.js';

/** A numeric column: its name (matched case-insensitively) and whether every row must have a value. */
export interface SymbolColumn {
  readonly name: string;
  readonly required: boolean;
}

/** One row: the symbol, its 1-based line, and the numbers of the columns asked for (absent when empty). */
export interface SymbolRow {
  readonly symbol: string;
  readonly line: number;
  readonly values: ReadonlyMap<string, number>;
}

function fail(
  code: 'E_INPUT_FORMAT' | 'E_INPUT_VALUE' | 'E_INPUT_COLUMN',
  file: string,
  line: number,
  message: string,
  hint: string,
  column?: string,
): never {
  const location = { file, line, ...(column === undefined ? {} : { column }) };
  throw new QuantError(code, `${formatLocation(location)}: ${message}`, { location, hint });
}

function columnIndex(file: string, header: readonly string[], name: string, required: boolean): number {
  const k = header.findIndex((h) => h.toLowerCase() === name);
  if (k < 0 && required) {
    fail(
      'E_INPUT_COLUMN',
      file,
      1,
      `no "${name}" column; the columns are ${header.join(', ') || '(none)'}`,
      `add a "${name}" column to the header`,
      name,
    );
  }
  return k;
}

function cellValue(
  file: string,
  line: number,
  column: string,
  cell: string,
  required: boolean,
): number | undefined {
  if (cell.trim() === '') {
    if (required)
      fail('E_INPUT_VALUE', file, line, `missing ${column}`, `fill the ${column} of every row`, column);
    return undefined;
  }
  const value = parseDecimal(cell);
  if (value !== undefined && !Number.isFinite(value)) {
    fail(
      'E_INPUT_VALUE',
      file,
      line,
      `${column} ${cell.trim()} is out of range (overflows to infinity)`,
      'use a number of magnitude below 1.8e308',
      column,
    );
  }
  if (value === undefined) {
    fail(
      'E_INPUT_VALUE',
      file,
      line,
      `${column} ${JSON.stringify(cell.trim())} is not a number`,
      'use plain decimal numbers (e.g. 125.5, 1e3)',
      column,
    );
  }
  return value;
}

/**
 * Parse a per-symbol CSV table. `file` names the source in errors, with 1-based lines: a missing column
 * (`E_INPUT_COLUMN`), a row of the wrong width or a duplicated symbol (`E_INPUT_FORMAT`), an empty symbol,
 * a missing required value or a cell that is not a number (`E_INPUT_VALUE`). Other columns are ignored.
 */
function parseSymbolTable(file: string, text: string, columns: readonly SymbolColumn[]): SymbolRow[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const parsed = csvParseRows(body);
  const lines: number[] = [];
  let line = 1;
  for (const row of parsed) {
    lines.push(line);
    line += 1 + row.reduce((acc, f) => acc + (f.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
  }
  const start = parsed.findIndex((row) => !(row.length === 1 && (row[0] as string).trim() === ''));
  const header = start < 0 ? undefined : (parsed[start] as string[]).map((h) => h.trim());
  if (header === undefined)
    fail('E_INPUT_FORMAT', file, 1, 'the file is empty', 'add a header row: symbol,...');
  const headerLine = lines[start] as number;
  const symbolAt = columnIndex(file, header, 'symbol', true);
  const at = columns.map((c) => columnIndex(file, header, c.name, c.required));
  const rows: SymbolRow[] = [];
  const seen = new Map<string, number>();
  for (let r = start + 1; r < parsed.length; r++) {
    const row = parsed[r] as string[];
    const rowLine = lines[r] as number;
    if (row.length === 1 && (row[0] as string).trim() === '') continue;
    if (row.length !== header.length) {
      fail(
        'E_INPUT_FORMAT',
        file,
        rowLine,
        `the row has ${row.length} fields, the header (line ${headerLine}) has ${header.length}`,
        'every row needs one field per header column (empty for none)',
      );
    }
    const symbol = (row[symbolAt] as string).trim();
    if (symbol === '' || symbol === RESERVED_NAME) {
      fail(
        'E_INPUT_VALUE',
        file,
        rowLine,
        `symbol ${JSON.stringify(symbol)} is not allowed`,
        'name the symbol',
        'symbol',
      );
    }
    const earlier = seen.get(symbol);
    if (earlier !== undefined) {
      fail(
        'E_INPUT_FORMAT',
        file,
        rowLine,
        `symbol ${symbol} appears again (first on line ${earlier})`,
        'keep one row per symbol',
        'symbol',
      );
    }
    seen.set(symbol, rowLine);
    const values = new Map<string, number>();
    columns.forEach((c, j) => {
      const k = at[j] as number;
      const value = k < 0 ? undefined : cellValue(file, rowLine, c.name, row[k] as string, c.required);
      if (value !== undefined) values.set(c.name, value);
    });
    rows.push({ symbol, line: rowLine, values });
  }
  return rows;
}

/** Read and parse a per-symbol CSV table ({@link parseSymbolTable}); `name` is how errors call the file. */
export async function readSymbolTable(
  path: string,
  name: string,
  columns: readonly SymbolColumn[],
): Promise<SymbolRow[]> {
  await assertReadableFile(path);
  return parseSymbolTable(name, await readInputText(path), columns);
}
