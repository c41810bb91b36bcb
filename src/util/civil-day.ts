/**
 * Calendar days as day numbers (days since 1970-01-01) by integer arithmetic on the proleptic Gregorian
 * calendar, years 0-9999: Hinnant's `days_from_civil` and `civil_from_days` (400-year eras of 146,097
 * days, years starting in March so that the leap day comes last). The same numbers and strings as `Date`
 * gives, without building one: a run parses and prints every date of every series it touches.
 */

/** Whether `y` is a Gregorian leap year. */
function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** Days in month `m` (1-12) of year `y`. */
function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of the valid calendar day `y-m-d` (month 1-12, day 1-31). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const year = m <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yoe = year - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The value of the two ASCII digits of `text` at `at`, or -1 when either is not a digit. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Days since 1970-01-01 of the first ten characters of `text` when they spell a real calendar day
 * `YYYY-MM-DD` (ASCII digits, `-` separators, month 1-12, day within the month), else `undefined`. What
 * follows the tenth character is the caller's to check.
 */
export function civilDayPrefix(text: string): number | undefined {
  if (text.length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const hi = twoDigits(text, 0);
  const lo = twoDigits(text, 2);
  const m = twoDigits(text, 5);
  const d = twoDigits(text, 8);
  if (hi < 0 || lo < 0 || m < 1 || m > 12 || d < 1) return undefined;
  const y = hi * 100 + lo;
  return d <= daysInMonth(y, m) ? daysFromCivil(y, m, d) : undefined;
}

const PAD2 = Array.from({ length: 32 }, (_, i) => String(i).padStart(2, '0'));
/** Years 1900-2199 ready-made; others are padded on the fly. */
const PAD4: Record<number, string> = Object.fromEntries(
  Array.from({ length: 300 }, (_, i) => [1900 + i, String(1900 + i)]),
);

/** ISO day `YYYY-MM-DD` of a day count since 1970-01-01 (years 0-9999); the string `Date#toISOString` starts with. */
export function epochDayToIsoDay(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${PAD4[y] ?? String(y).padStart(4, '0')}-${PAD2[m]}-${PAD2[d]}`;
}
