/**
 * The one source of "now" for artifacts. With `SOURCE_DATE_EPOCH` set (reproducible-builds.org convention:
 * integer seconds since the Unix epoch) every timestamp written is that instant, so reruns are
 * byte-identical.
 */
import { QuantError } from '../errors.js';
import type { Env } from '../util/env.js';

const MAX_EPOCH_SECONDS = 8.64e12; // the largest instant a JS Date can hold

/**
 * `SOURCE_DATE_EPOCH` as a Date if set, else the current time. An empty value counts as unset (CI systems
 * often export empty variables); anything but a non-negative integer is `E_USAGE`.
 */
export function resolveNow(env: Env = process.env): Date {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw.trim() === '') return new Date();
  const text = raw.trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds > MAX_EPOCH_SECONDS) {
    throw new QuantError('E_USAGE', `SOURCE_DATE_EPOCH=${JSON.stringify(raw)} is not a valid Unix time`, {
      hint: 'set it to whole seconds since 1970-01-01T00:00:00Z (e.g. `date +%s`) or unset it',
    });
  }
  return new Date(seconds * 1000);
}

/** ISO 8601 UTC with whole seconds, e.g. `2026-01-21T09:30:00Z` (milliseconds are dropped, not rounded). */
export function toIsoSeconds(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('toIsoSeconds: invalid date');
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
