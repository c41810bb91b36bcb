/**
 * The `missing_data` record of an artifact and its one-line warning: what a missing-data policy dropped
 * or filled, naming the assets responsible and the dates lost.
 */
import type { MissingAsset, MissingDataReport } from '../numeric/series/missing-data.js';
import type { MissingPolicy } from '../util/vocabulary.js';

/** `missing_data` in `portfolio.optimize` diagnostics and a sleeve's `run_stats.json`. */
export interface MissingDataRecord {
  readonly policy: MissingPolicy;
  readonly ffill_limit: number | null;
  readonly rows: number;
  readonly kept_rows: number;
  readonly dropped_rows: number;
  readonly dropped_share: number;
  readonly first_dropped: string | null;
  readonly last_dropped: string | null;
  readonly filled_cells: number;
  readonly dropped_assets: readonly {
    readonly asset: string;
    readonly first_value: string | null;
    readonly last_value: string | null;
  }[];
  readonly responsible: readonly {
    readonly asset: string;
    readonly dropped_rows: number;
    readonly first_dropped: string | null;
    readonly last_dropped: string | null;
    readonly first_value: string | null;
    readonly last_value: string | null;
    readonly late_start: boolean;
    readonly early_end: boolean;
  }[];
  /** The warning printed on stderr, or null when nothing worth a warning was dropped. */
  readonly warning: string | null;
}

/** Assets named in a warning; the rest are counted. */
const NAMED = 5;

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const span = (a: string | null, b: string | null): string =>
  a === null ? 'no dates' : a === b ? a : `${a} to ${b}`;

function blame(a: MissingAsset, name: string): string {
  const why: string[] = [];
  if (a.firstValue === null) why.push('no value at all');
  else {
    if (a.lateStart) why.push(`first value ${a.firstValue}`);
    if (a.earlyEnd) why.push(`last value ${a.lastValue}`);
  }
  const rows = `${a.droppedRows} row${a.droppedRows === 1 ? '' : 's'}`;
  return `${name} ${rows}${why.length === 0 ? '' : ` (${why.join(', ')})`}`;
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, NAMED).join(', ');
  return items.length > NAMED ? `${shown} and ${items.length - NAMED} more` : shown;
}

/** How a message tells the user to set a key: `missing=ffill` (params) or a manifest path. */
export type SettingText = (key: string, value: string) => string;

function warningLine(
  file: string,
  r: MissingDataReport,
  names: readonly string[],
  setting: SettingText,
): string {
  const parts: string[] = [];
  if (r.droppedColumns.length > 0) {
    const dropped = r.droppedColumns.map(
      (a) => `${names[a.column]} (values ${span(a.firstValue, a.lastValue)})`,
    );
    parts.push(
      `missing=drop_assets dropped ${r.droppedColumns.length} of ${names.length} assets with missing values: ${list(dropped)}`,
    );
  }
  if (r.droppedRows > 0) {
    parts.push(
      `${r.droppedRows} of ${r.rows} rows (${pct(r.droppedShare)}) dropped for missing values ` +
        `(missing=${r.policy}), ${span(r.firstDropped, r.lastDropped)}; responsible: ` +
        list(r.responsible.map((a) => blame(a, names[a.column] as string))),
    );
  }
  const fix =
    r.policy === 'drop_assets'
      ? `set ${setting('missing', 'drop_rows')} or ${setting('missing', 'ffill')} to keep those assets`
      : `set ${setting('missing', 'drop_assets')} to drop the assets instead, ${setting('missing', 'ffill')} to fill short gaps, or choose assets with a common history`;
  return `${file}: ${parts.join('; ')} — ${fix}`;
}

/** The artifact record of a missing-data report; `names` maps its column indices to asset names. */
export function missingDataRecord(
  file: string,
  report: MissingDataReport,
  names: readonly string[],
  setting: SettingText,
): MissingDataRecord {
  return {
    policy: report.policy,
    ffill_limit: report.ffillLimit,
    rows: report.rows,
    kept_rows: report.keptRows,
    dropped_rows: report.droppedRows,
    dropped_share: report.droppedShare,
    first_dropped: report.firstDropped,
    last_dropped: report.lastDropped,
    filled_cells: report.filledCells,
    dropped_assets: report.droppedColumns.map((a) => ({
      asset: names[a.column] as string,
      first_value: a.firstValue,
      last_value: a.lastValue,
    })),
    responsible: report.responsible.map((a) => ({
      asset: names[a.column] as string,
      dropped_rows: a.droppedRows,
      first_dropped: a.firstDropped,
      last_dropped: a.lastDropped,
      first_value: a.firstValue,
      last_value: a.lastValue,
      late_start: a.lateStart,
      early_end: a.earlyEnd,
    })),
    warning: report.warn ? warningLine(file, report, names, setting) : null,
  };
}

/**
 * The assets whose missing values dropped rows, for the message of a table left too short: "NEWCO 500
 * rows (first value 2024-05-01), NOTES 600 rows (no value at all)"; null when no row was dropped.
 */
export function responsibleText(record: MissingDataRecord): string | null {
  if (record.dropped_rows === 0 || record.responsible.length === 0) return null;
  return list(
    record.responsible.map((a) =>
      blame(
        {
          column: 0,
          droppedRows: a.dropped_rows,
          firstDropped: a.first_dropped,
          lastDropped: a.last_dropped,
          firstValue: a.first_value,
          lastValue: a.last_value,
          lateStart: a.late_start,
          earlyEnd: a.early_end,
        },
        a.asset,
      ),
    ),
  );
}
