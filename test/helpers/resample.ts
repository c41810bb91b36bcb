// Test-only resampling of the bundled daily price tables (data/*.csv, see data/PROVENANCE.md) into
// weekly and monthly tables: the last price of each ISO week (Monday to Sunday) or calendar month, on
// the date it was observed. Rows with a missing price among the kept columns are dropped first, as the
// daily golden tests do, so every period's price is a real close.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { csvParse } from 'd3-dsv';

export type Period = 'week' | 'month';

export interface PriceTable {
  readonly dates: string[];
  readonly columns: string[];
  /** `rows[t][j]`: price of column j on dates[t]. */
  readonly rows: number[][];
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A daily table of data/, with rows missing a price among `columns` (default all) dropped. */
export function readDailyPrices(name: string, columns?: readonly string[]): PriceTable {
  const parsed = csvParse(readFileSync(`${root}data/${name}.csv`, 'utf8'));
  const cols = columns === undefined ? parsed.columns.filter((c) => c !== 'date') : [...columns];
  const kept = parsed.filter((r) => cols.every((c) => r[c] !== undefined && r[c] !== ''));
  return {
    dates: kept.map((r) => r['date'] as string),
    columns: cols,
    rows: kept.map((r) => cols.map((c) => Number(r[c]))),
  };
}

/** The Monday of the ISO week of an ISO day, as the week's key. */
function weekKey(date: string): string {
  const t = Date.parse(`${date}T00:00:00Z`);
  const monday = t - ((new Date(t).getUTCDay() + 6) % 7) * 86_400_000;
  return new Date(monday).toISOString().slice(0, 10);
}

/** The last row of each period, in date order. */
export function resample(table: PriceTable, period: Period): PriceTable {
  const key = period === 'month' ? (d: string) => d.slice(0, 7) : weekKey;
  const dates: string[] = [];
  const rows: number[][] = [];
  table.dates.forEach((d, t) => {
    const last = dates.length - 1;
    if (last >= 0 && key(dates[last] as string) === key(d)) {
      dates[last] = d;
      rows[last] = table.rows[t] as number[];
    } else {
      dates.push(d);
      rows.push(table.rows[t] as number[]);
    }
  });
  return { dates, columns: table.columns, rows };
}

/** CSV text (`date` first) of a table, numbers as read. */
export function priceCsv(table: PriceTable): string {
  const lines = [['date', ...table.columns].join(',')];
  table.dates.forEach((d, t) => lines.push([d, ...(table.rows[t] as number[])].join(',')));
  return `${lines.join('\n')}\n`;
}
