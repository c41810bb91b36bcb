import { QuantError, formatLocation, isQuantError } from '../errors.js';
import type { NumericTable } from '../artifacts/index.js';
import type { Matrix } from '../numeric/linalg/matrix.js';
import { simpleReturns } from '../numeric/series/simple-returns.js';
import { assertFiniteReturns } from '../numeric/series/validate-returns.js';
import {
  MAX_ANNUAL_VOLATILITY,
  inputKindFinding,
  logToSimpleReturns,
  returnScaleFinding,
} from '../numeric/series/input-kind.js';
import { applyMissingPolicy, type MissingDataResult } from '../numeric/series/missing-data.js';
import { DEFAULT_FFILL_LIMIT, type InputKind, type MissingPolicy } from '../util/vocabulary.js';
import type { Annualisation } from './_annualisation.js';
import {
  missingDataRecord,
  responsibleText,
  type MissingDataRecord,
  type SettingText,
} from './_missing-data-record.js';

export interface ReturnsData {
  readonly assets: string[];
  /** Dates of the return rows. */
  readonly dates: string[];
  /** Simple returns (log returns converted). */
  readonly returns: Matrix;
  readonly inputKind: InputKind;
  /** Table rows dropped for missing values. */
  readonly droppedRows: number;
  /** What the missing-data policy dropped and filled (with the warning, if any). */
  readonly missingData: MissingDataRecord;
  /** One-line warnings for stderr: the reader's (how dates were read), then the missing-data warning. */
  readonly warnings: readonly string[];
}

export interface TableToReturnsOptions {
  readonly file: string;
  readonly kind: InputKind;
  readonly assets?: readonly string[] | undefined;
  /** Default `drop_rows`. */
  readonly missing?: MissingPolicy | undefined;
  /** `ffill` only; default {@link DEFAULT_FFILL_LIMIT}. */
  readonly ffillLimit?: number | undefined;
  /** How messages say to set a key (default `key=value`, the params form). */
  readonly setting?: SettingText | undefined;
  /** What the caller will need of the history, for the hint of a too short table (e.g. the train window). */
  readonly historyNeed?: string | undefined;
  /** Where `assets` was given, for messages (default `assets`, the param). */
  readonly assetsKey?: string | undefined;
}

const paramSetting: SettingText = (key, value) => `${key}=${value}`;

/**
 * Clean a wide table into a T x n return matrix: select the assets, check that the values look like the
 * declared kind, apply the missing-data policy, turn prices into simple returns (log returns into
 * exp(r) − 1, returns as given), and validate the values.
 */
export function tableToReturns(
  table: NumericTable & { readonly warnings?: readonly string[] },
  options: TableToReturnsOptions,
): ReturnsData {
  const { file, kind } = options;
  const setting = options.setting ?? paramSetting;
  const selected = options.assets === undefined ? [...table.columns] : [...options.assets];
  const index = selectColumns(
    table,
    file,
    selected,
    options.assets === undefined ? undefined : (options.assetsKey ?? 'assets'),
  );
  const raw = index.map((j) => table.values[j] as Float64Array);
  assertPlausibleKind(table, file, kind, selected, index, setting);
  const policy = options.missing ?? 'drop_rows';
  const cleaned = applyMissingPolicy(raw, table.dates, {
    policy,
    ffillLimit: options.ffillLimit ?? DEFAULT_FFILL_LIMIT,
    // A carried price is a return of 0: on a return table, ffill fills zeros.
    fill: kind === 'prices' ? 'last' : 'zero',
  });
  const missingData = missingDataRecord(file, cleaned.report, selected, setting);
  const assets = cleaned.columns.map((c) => selected[c] as string);
  assertEnoughAssets(file, assets, missingData, setting);
  const keep = cleaned.rows;
  const minRows = kind === 'prices' ? 3 : 2;
  if (keep.length < minRows && keep.length === table.dates.length) {
    const rowsNeeded = kind === 'prices' ? 'prices (2 returns)' : 'returns';
    throw new QuantError(
      'E_TOO_FEW_OBSERVATIONS',
      `${file} has ${table.dates.length} row(s), none missing a value; at least ${minRows} rows of ${rowsNeeded} are needed`,
      {
        location: { file },
        hint: `provide a longer history${options.historyNeed === undefined ? '' : ` (${options.historyNeed})`}`,
      },
    );
  }
  if (keep.length < minRows) {
    const after = policy === 'ffill' ? 'filling and dropping' : 'dropping';
    const culprits = responsibleText(missingData);
    throw new QuantError(
      'E_TOO_FEW_OBSERVATIONS',
      `${file} has ${keep.length} complete row(s) after ${after} ${missingData.dropped_rows} of ${missingData.rows} rows with missing values (missing=${policy}); at least ${minRows} are needed` +
        (culprits === null ? '' : `; responsible: ${culprits}`),
      {
        location: { file },
        hint: `set ${setting('missing', 'drop_assets')}${culprits === null ? '' : options.assets === undefined ? `, leave ${missingData.responsible.map((a) => a.asset).join(', ')} out of ${setting('assets', '...')}` : ` or remove ${missingData.responsible.map((a) => a.asset).join(', ')} from ${options.assetsKey ?? 'assets'}`}, or provide a longer history`,
        details: { responsible: missingData.responsible.map((a) => a.asset) },
      },
    );
  }
  const keptDates = keep.map((t) => table.dates[t] as string);
  const dates = kind === 'prices' ? keptDates.slice(1) : keptDates;
  const returns = toSimpleReturns(table, file, kind, cleaned, assets, keptDates);
  try {
    assertFiniteReturns(returns, { columns: assets, dates });
  } catch (error) {
    // Return row r comes from table row keep[r + 1] (prices: the later of its two prices) or keep[r].
    throw locateCell(error, file, table, (row) => keep[kind === 'prices' ? row + 1 : row]);
  }
  return {
    assets,
    dates,
    returns,
    inputKind: kind,
    droppedRows: cleaned.report.droppedRows,
    missingData,
    warnings: [...(table.warnings ?? []), ...(missingData.warning === null ? [] : [missingData.warning])],
  };
}

/** The column of each asset; `assetsKey`: where the selection was given (none: every column of the file). */
function selectColumns(
  table: NumericTable,
  file: string,
  assets: readonly string[],
  assetsKey: string | undefined,
): number[] {
  const index = assets.map((a) => {
    const i = table.columns.indexOf(a);
    if (i < 0) {
      throw new QuantError('E_INPUT_COLUMN', `column "${a}" is not in ${file}`, {
        location: { file, column: a },
        hint: `available columns: ${table.columns.join(', ')}`,
      });
    }
    return i;
  });
  if (assets.length < 2 && assetsKey !== undefined) {
    throw new QuantError(
      'E_TOO_FEW_ASSETS',
      `${assetsKey} selects ${assets.length} asset(s) of ${file} (${assets.join(', ') || 'none'}); at least 2 are needed`,
      {
        location: { file },
        hint: `list at least two of the file's ${table.columns.length} asset columns (${table.columns.join(', ')}) in ${assetsKey}`,
      },
    );
  }
  if (assets.length < 2) {
    throw new QuantError(
      'E_TOO_FEW_ASSETS',
      `${file} has ${assets.length} asset column(s); at least 2 are needed`,
      {
        location: { file },
        hint: 'a portfolio needs at least two asset columns besides the date',
      },
    );
  }
  return index;
}

function assertEnoughAssets(
  file: string,
  assets: readonly string[],
  missing: MissingDataRecord,
  setting: SettingText,
): void {
  if (assets.length >= 2) return;
  const dropped = missing.dropped_assets.map((a) => a.asset).join(', ');
  throw new QuantError(
    'E_TOO_FEW_ASSETS',
    `${file}: missing=drop_assets dropped ${dropped} (each has missing values), leaving ${assets.length} asset column(s); at least 2 are needed`,
    {
      location: { file },
      hint: `set ${setting('missing', 'drop_rows')} or ${setting('missing', 'ffill')}, or choose assets with complete histories`,
      details: { dropped_assets: missing.dropped_assets.map((a) => a.asset) },
    },
  );
}

/**
 * `E_INPUT_KIND` when a column does not look like the declared kind: a price table holding returns
 * (non-positive values) or a return table holding price levels (values above 1, or a level-like series).
 */
function assertPlausibleKind(
  table: NumericTable & { readonly lines?: readonly number[] },
  file: string,
  kind: InputKind,
  assets: readonly string[],
  index: readonly number[],
  setting: SettingText,
): void {
  const finding = inputKindFinding(
    index.map((j) => table.values[j] as Float64Array),
    kind,
  );
  if (finding === undefined) return;
  const asset = assets[finding.column] as string;
  const line = table.lines?.[finding.row];
  const location = { file, column: asset, ...(line === undefined ? {} : { line }) };
  const where =
    line === undefined
      ? `${formatLocation({ file, column: asset })}, row ${finding.row + 1}`
      : formatLocation(location);
  const date = table.dates[finding.row] as string;
  if (finding.looksLike === 'placeholders') {
    const lastDate = table.dates[finding.lastRow ?? finding.row] as string;
    const count = finding.count ?? 1;
    const each = finding.placeholders ?? [{ value: finding.value, count }];
    const values = each.map((p) => String(p.value));
    // One value: `6 price(s) of -1`; several: `7 placeholder prices: 4 of 0, 3 of -1`.
    const prices =
      each.length === 1
        ? `${count} ${finding.value === 0 ? 'zero price(s)' : `price(s) of ${values[0] as string}`}`
        : `${count} placeholder prices: ${each.map((p) => `${p.count} of ${String(p.value)}`).join(', ')}`;
    throw new QuantError(
      'E_INPUT_VALUE',
      `${where}: ${asset} holds ${prices} (the first on ${date}` +
        `${count > 1 ? `, the last on ${lastDate}` : ''}); prices must be > 0`,
      {
        location,
        hint:
          `leave the cells of missing prices empty (not ${values.join(' or ')}) — e.g. before listing or after delisting — and ` +
          `choose ${setting('missing', 'drop_assets')} or ${setting('missing', 'ffill')} for them`,
        details: {
          asset,
          count,
          placeholder: finding.value,
          placeholders: each.map((p) => ({ value: p.value, count: p.count })),
          first_date: date,
          last_date: lastDate,
          table_row: finding.row + 1,
        },
      },
    );
  }
  const declared = `input_kind is ${kind}, but ${finding.evidence} (first ${String(finding.value)} on ${date})`;
  const fix =
    finding.looksLike === 'returns'
      ? `this looks like returns; set ${setting('input_kind', 'returns')} (or log_returns for log returns)`
      : `this looks like prices; set ${setting('input_kind', 'prices')}`;
  throw new QuantError('E_INPUT_KIND', `${where}: ${declared}: ${fix}`, {
    location,
    details: { declared: kind, looks_like: finding.looksLike, asset, date, table_row: finding.row + 1 },
  });
}

/**
 * Refuse a return table (`input_kind` returns or log_returns) whose column has a per-period standard
 * deviation above {@link MAX_ANNUAL_VOLATILITY} / √A: returns written in percent (1.25 for 1.25 %).
 * Prices are not checked (their returns are computed, not written).
 *
 * @throws QuantError `E_INPUT_KIND` naming the file, the column, σ, the limit and the fix (divide by 100).
 */
export function assertPlausibleReturnScale(
  data: ReturnsData,
  file: string,
  periodsPerYear: number,
  setting: SettingText = paramSetting,
): void {
  if (data.inputKind === 'prices') return;
  const { rows, cols } = data.returns;
  const columns = Array.from({ length: cols }, (_, c) =>
    Float64Array.from({ length: rows }, (_, r) => data.returns.data[r * cols + c] as number),
  );
  assertReturnScale(columns, data.assets, periodsPerYear, {
    file,
    returns: `input_kind is ${data.inputKind}, but the returns`,
    otherwise: `set ${setting('input_kind', 'prices')} if the column holds prices`,
    details: { declared: data.inputKind },
  });
}

/** Where {@link assertReturnScale} found the returns and what else the user can do. */
export interface ReturnScaleSubject {
  readonly file: string;
  /** The subject of "have a standard deviation of …": `input_kind is returns, but the returns`. */
  readonly returns: string;
  /** The hint's alternative to writing fractions: `set input_kind=prices if the column holds prices`. */
  readonly otherwise: string;
  /** Added to the error's details (snake_case keys). */
  readonly details: Readonly<Record<string, string>>;
}

/**
 * Refuse simple-return columns (named `names`) whose per-period standard deviation exceeds
 * {@link MAX_ANNUAL_VOLATILITY} / √A: returns written in percent. Shared by the return tables of
 * `portfolio.optimize` and sleeves and the sleeves' return streams a meta run reads.
 *
 * @throws QuantError `E_INPUT_KIND` naming the file, the column, σ, the limit and the fix (divide by 100).
 */
export function assertReturnScale(
  columns: readonly Float64Array[],
  names: readonly string[],
  periodsPerYear: number,
  subject: ReturnScaleSubject,
): void {
  const finding = returnScaleFinding(columns, periodsPerYear);
  if (finding === undefined) return;
  const column = names[finding.column] as string;
  const annual = finding.sd * Math.sqrt(periodsPerYear);
  const { file } = subject;
  throw new QuantError(
    'E_INPUT_KIND',
    `${formatLocation({ file, column })}: ${subject.returns} have a ` +
      `standard deviation of ${finding.sd.toPrecision(3)} a period (${(annual * 100).toFixed(0)} % a year at ` +
      `A = ${periodsPerYear}), beyond any traded asset (at most ${finding.limit.toPrecision(3)}, ` +
      `${MAX_ANNUAL_VOLATILITY * 100} % a year): these look like percentages: divide the values by 100`,
    {
      location: { file, column },
      hint: `write 0.0125 for 1.25 %, or ${subject.otherwise}`,
      details: {
        ...subject.details,
        asset: column,
        sd_per_period: finding.sd,
        limit_per_period: finding.limit,
        periods_per_year: periodsPerYear,
      },
    },
  );
}

function toSimpleReturns(
  table: NumericTable,
  file: string,
  kind: InputKind,
  cleaned: MissingDataResult,
  assets: readonly string[],
  keptDates: readonly string[],
): Matrix {
  const n = assets.length;
  const T = cleaned.rows.length;
  const levels: Matrix = { rows: T, cols: n, data: new Float64Array(T * n) };
  cleaned.values.forEach((col, c) => {
    const values = kind === 'log_returns' ? logToSimpleReturns(col) : col;
    for (let r = 0; r < T; r++) levels.data[r * n + c] = values[r] as number;
  });
  if (kind !== 'prices') return levels;
  try {
    return simpleReturns(levels, { columns: [...assets], dates: [...keptDates] });
  } catch (error) {
    throw locateCell(error, file, table, (row) => cleaned.rows[row]);
  }
}

/**
 * A numeric cell error (`E_INPUT_VALUE` with row/column details) restated at its place in the table:
 * the file, the CSV line (or the data row) and the column, then the date, the problem and the value.
 */
function locateCell(
  error: unknown,
  file: string,
  table: NumericTable & { readonly lines?: readonly number[] },
  tableRow: (row: number) => number | undefined,
): unknown {
  if (!isQuantError(error) || error.code !== 'E_INPUT_VALUE') return error;
  const { row, asset, date, problem, value } = error.details as {
    row?: number;
    asset?: string;
    date?: string;
    problem?: string;
    value?: string;
  };
  const t = row === undefined ? undefined : tableRow(row);
  if (t === undefined || asset === undefined || problem === undefined) return error;
  const line = table.lines?.[t];
  const location = { file, column: asset, ...(line === undefined ? {} : { line }) };
  const where =
    line === undefined
      ? `${formatLocation({ file, column: asset })}, row ${t + 1}`
      : formatLocation(location);
  return new QuantError('E_INPUT_VALUE', `${where}: ${problem} on ${date ?? table.dates[t]}: ${value}`, {
    location,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    details: { ...error.details, table_row: t + 1 },
    cause: error,
  });
}

/**
 * A numeric error that names assets by index (`asset 0`, `asset index 3`), restated with the table's
 * column names and the file: the numeric layer knows positions, only the adapter knows the names.
 */
export function nameAssetsInError(error: unknown, file: string, assets: readonly string[]): unknown {
  if (!isQuantError(error)) return error;
  const named = error.message.replace(/\basset (index )?(\d+)\b/g, (all: string, _: string, i: string) => {
    const name = assets[Number(i)];
    return name === undefined ? all : `${all} (${name})`;
  });
  const index = error.details['asset_index'];
  const column = typeof index === 'number' ? assets[index] : undefined;
  return new QuantError(error.code, `${file}: ${named}`, {
    location: { ...error.location, file, ...(column === undefined ? {} : { column }) },
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    issues: error.issues,
    details: error.details,
    cause: error,
  });
}

/** `monthly, A = 12; 30 of 120 rows dropped for missing values` for the summary line. */
export function describeInput(data: ReturnsData, a: Annualisation): string {
  const frequency =
    a.frequency === null
      ? `A = ${a.periods_per_year} (set)`
      : `${a.frequency.replace('_', ' ')}, A = ${a.periods_per_year}`;
  const m = data.missingData;
  const dropped =
    m.dropped_rows === 0 ? '' : `; ${m.dropped_rows} of ${m.rows} rows dropped for missing values`;
  const assets =
    m.dropped_assets.length === 0
      ? ''
      : `; assets dropped: ${m.dropped_assets.map((x) => x.asset).join(', ')}`;
  const filled = m.filled_cells === 0 ? '' : `; ${m.filled_cells} cells filled`;
  return `${frequency}${dropped}${assets}${filled}`;
}
