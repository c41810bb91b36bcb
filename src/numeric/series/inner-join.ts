/** A dated series: ascending ISO days (YYYY-MM-DD) and one value per day. */
export interface DatedSeries {
  readonly dates: readonly string[];
  readonly values: Float64Array;
}

export interface InnerJoinResult {
  /** Dates present in every series, ascending. */
  readonly dates: string[];
  /** One column per input series, aligned on `dates`. */
  readonly columns: Float64Array[];
  /** Rows of each input series that were kept. */
  readonly kept: number[];
}

/**
 * Inner join of dated series on their dates: only the days present in every series are kept; nothing is
 * filled. The result is independent of the order of the inputs (up to the order of its columns).
 * Each series must have strictly ascending dates.
 */
export function innerJoin(series: readonly DatedSeries[]): InnerJoinResult {
  if (series.length === 0) return { dates: [], columns: [], kept: [] };
  if (!series.every((s) => ascending(s.dates))) return innerJoinBySets(series);
  // Ascending calendars: one merge pass over all of them (no per-day sets or maps), the days of the
  // first series that every other one also has, in its order (the sorted order of the set join).
  const cursor = new Int32Array(series.length);
  const rows = series.map(() => [] as number[]);
  const dates: string[] = [];
  const first = (series[0] as DatedSeries).dates;
  outer: for (let t = 0; t < first.length; t++) {
    const day = first[t] as string;
    for (let k = 1; k < series.length; k++) {
      const other = (series[k] as DatedSeries).dates;
      let i = cursor[k] as number;
      while (i < other.length && (other[i] as string) < day) i++;
      cursor[k] = i;
      if (i === other.length) break outer;
      if (other[i] !== day) continue outer;
    }
    dates.push(day);
    (rows[0] as number[]).push(t);
    for (let k = 1; k < series.length; k++) (rows[k] as number[]).push(cursor[k] as number);
  }
  const columns = series.map((s, k) => Float64Array.from(rows[k] as number[], (i) => s.values[i] as number));
  return { dates, columns, kept: series.map(() => dates.length) };
}

/** Strictly ascending in the order of `Array.prototype.sort` (UTF-16 code units). */
function ascending(dates: readonly string[]): boolean {
  for (let i = 1; i < dates.length; i++) if (!((dates[i - 1] as string) < (dates[i] as string))) return false;
  return true;
}

/** The join by set intersection, for calendars that are not strictly ascending. */
function innerJoinBySets(series: readonly DatedSeries[]): InnerJoinResult {
  let common = new Set<string>(series[0]?.dates);
  for (let k = 1; k < series.length; k++) {
    const next = new Set<string>();
    for (const d of (series[k] as DatedSeries).dates) if (common.has(d)) next.add(d);
    common = next;
  }
  const dates = [...common].sort();
  const columns = series.map((s) => {
    const index = new Map<string, number>();
    s.dates.forEach((d, i) => index.set(d, i));
    const col = new Float64Array(dates.length);
    dates.forEach((d, t) => (col[t] = s.values[index.get(d) as number] as number));
    return col;
  });
  return { dates, columns, kept: series.map(() => dates.length) };
}

/** Σ wᵢ·rᵢ per row: the constant-mix (daily rebalanced) return of columns with fixed weights. */
export function weightedSum(columns: readonly Float64Array[], weights: ArrayLike<number>): Float64Array {
  const T = columns[0]?.length ?? 0;
  const out = new Float64Array(T);
  columns.forEach((col, i) => {
    const w = weights[i] as number;
    for (let t = 0; t < T; t++) out[t] = (out[t] as number) + w * (col[t] as number);
  });
  return out;
}
