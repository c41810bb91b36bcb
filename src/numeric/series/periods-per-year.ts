import { QuantError } from '../../errors.js';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?=$|[T ])/;

/**
 * Annualisation factor of a dated series: 365 when any date falls on a Saturday or Sunday (a calendar
 * that trades every day, e.g. crypto), else 252 (business days). DESIGN §8.
 *
 * @param dates ISO dates `YYYY-MM-DD` (a time part after `T` or a space is ignored), read as UTC days.
 * @throws QuantError `E_INPUT_DATES` naming the first date that is not a valid ISO calendar date.
 */
export function inferPeriodsPerYear(dates: readonly string[]): 252 | 365 {
  let weekend = false;
  // Every date is validated, not just those before the first weekend, so a bad date always fails.
  for (let i = 0; i < dates.length; i++) {
    const text = dates[i] as string;
    const day = isoWeekday(text);
    if (day === undefined) {
      throw new QuantError('E_INPUT_DATES', `date ${i} ("${text}") is not a valid ISO date YYYY-MM-DD`, {
        hint: 'write dates as YYYY-MM-DD',
        details: { index: i, value: text },
      });
    }
    if (day === 0 || day === 6) weekend = true;
  }
  return weekend ? 365 : 252;
}

/** 0 = Sunday … 6 = Saturday, or undefined when the text is not a real calendar date. */
function isoWeekday(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (m === null) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const at = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC rolls 2021-02-30 over to March; a round trip rejects such dates.
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return undefined;
  return at.getUTCDay();
}
