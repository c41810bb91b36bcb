/**
 * How old the data behind a result is, in whole calendar days of UTC dates (`YYYY-MM-DD`): the age of
 * the last date used against a reference instant ("now", the run's clock), and how far each stream ends
 * before the stream that ends last.
 */
import { QuantError } from '../../errors.js';

const DAY_MS = 86_400_000;

/** The UTC day number of a `YYYY-MM-DD` date (or of the date part of an ISO date-time). */
function dayNumber(date: string, what: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(date) ? Date.parse(`${date.slice(0, 10)}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new QuantError('E_INPUT_DATES', `${what} "${date}" is not a YYYY-MM-DD date`, {
      hint: 'dates are UTC calendar days written as YYYY-MM-DD',
    });
  }
  return Math.floor(ms / DAY_MS);
}

/** One stream and its last date; for a sleeve, the date its weights were last re-estimated, when known. */
export interface StreamEnd {
  readonly id: string;
  readonly lastDate: string;
  readonly refitDate?: string | null;
}

/** The age of the data and the lag of each stream. */
export interface DataAge {
  /** The last date used (the last common date). */
  readonly lastDate: string;
  /** The reference instant's UTC day. */
  readonly asOf: string;
  /** Whole days from `lastDate` to `asOf` (negative when the data is dated after the reference). */
  readonly ageDays: number;
  /**
   * Per stream: its last date, the days it ends before the latest-ending stream (0 for that one) and its
   * last refit date (null: unknown).
   */
  readonly streams: readonly {
    readonly id: string;
    readonly lastDate: string;
    readonly lagDays: number;
    readonly refitDate: string | null;
  }[];
}

/**
 * Age of the data: `ageDays = day(now) − day(lastDate)`, and per stream `lagDays = max_j day(last_j) −
 * day(last_i)`. Streams keep their order and their refit date.
 *
 * @param lastDate the last date the result used.
 * @param streams each input stream's own last date.
 * @param now the reference instant (SOURCE_DATE_EPOCH or the run's clock, for determinism).
 */
export function dataAge(lastDate: string, streams: readonly StreamEnd[], now: Date): DataAge {
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) {
    throw new QuantError('E_INPUT_VALUE', 'the reference instant is not a valid date', {
      hint: 'pass the run clock (SOURCE_DATE_EPOCH or the current time)',
    });
  }
  const today = Math.floor(nowMs / DAY_MS);
  const days = streams.map((s) => dayNumber(s.lastDate, `last date of ${s.id}`));
  const latest = days.length === 0 ? 0 : Math.max(...days);
  return {
    lastDate,
    asOf: new Date(today * DAY_MS).toISOString().slice(0, 10),
    ageDays: today - dayNumber(lastDate, 'last date'),
    streams: streams.map((s, i) => ({
      id: s.id,
      lastDate: s.lastDate,
      lagDays: latest - (days[i] as number),
      refitDate: s.refitDate ?? null,
    })),
  };
}
