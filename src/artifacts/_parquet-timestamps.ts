/**
 * Parquet dates and timestamps as UTC day numbers, for hyparquet's `parsers` option: no Date objects, no
 * precision loss for nanoseconds. A timestamp is an instant without its offset, so its row is its UTC date;
 * one that is not at midnight UTC is remembered (the earliest), for the reader's warning.
 */
import { epochDayToIsoDay } from '../util/civil-day.js';

/** A timestamp that was not at midnight UTC: its day number and its UTC date-time as text. */
export interface OffMidnight {
  readonly day: number;
  readonly text: string;
}

/** The parsers of one read, and the earliest timestamp they saw off midnight UTC (if any). */
export interface DayParsers {
  readonly parsers: {
    readonly timestampFromMilliseconds: (v: bigint) => number;
    readonly timestampFromMicroseconds: (v: bigint) => number;
    readonly timestampFromNanoseconds: (v: bigint) => number;
    readonly dateFromDays: (v: number) => number;
  };
  readonly offMidnight: () => OffMidnight | undefined;
}

/** `HH:MM:SS[.fff]Z` of `rem` units into a day of `perSecond` units a second (trailing zeros dropped). */
function timeOfDay(rem: bigint, perSecond: 1_000n | 1_000_000n | 1_000_000_000n): string {
  const seconds = Number(rem / perSecond);
  const fraction = rem % perSecond;
  const two = (n: number): string => String(n).padStart(2, '0');
  const hms = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
  if (fraction === 0n) return `${hms}Z`;
  const digits = String(fraction)
    .padStart(String(perSecond).length - 1, '0')
    .replace(/0+$/, '');
  return `${hms}.${digits}Z`;
}

/** Fresh parsers for one read (hyparquet calls them for the date column, the only temporal one read). */
export function createDayParsers(): DayParsers {
  let earliest: { day: number; rem: bigint; perSecond: 1_000n | 1_000_000n | 1_000_000_000n } | undefined;
  const timestamp =
    (perSecond: 1_000n | 1_000_000n | 1_000_000_000n) =>
    (v: bigint): number => {
      const perDay = perSecond * 86_400n;
      const q = v / perDay;
      const rem = v % perDay;
      const day = Number(rem < 0n ? q - 1n : q);
      if (rem !== 0n && (earliest === undefined || day < earliest.day)) {
        earliest = { day, rem: rem < 0n ? rem + perDay : rem, perSecond };
      }
      return day;
    };
  return {
    parsers: {
      timestampFromMilliseconds: timestamp(1_000n),
      timestampFromMicroseconds: timestamp(1_000_000n),
      timestampFromNanoseconds: timestamp(1_000_000_000n),
      dateFromDays: (v: number): number => v,
    },
    offMidnight: () =>
      earliest === undefined
        ? undefined
        : {
            day: earliest.day,
            text: `${epochDayToIsoDay(earliest.day)}T${timeOfDay(earliest.rem, earliest.perSecond)}`,
          },
  };
}
