// How numbers, dates and durations read on every page.
import { printable } from '../../src/errors.js';

/** 0.1234 → `12.34 %`; null → `–`. */
export function pct(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)} %`;
}

/** A plain figure with `digits` decimals; null → `–`. */
export function num(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** `2026-01-01T00:00:00Z` → `2026-01-01 00:00 UTC`. */
export function when(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]} UTC`;
}

/** Milliseconds → `850 ms`, `12.3 s`, `4 min 05 s`; null → `–` (not recorded). */
export function duration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** Bytes → `512 B`, `12.4 KB`, `3.1 MB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A name from the user's files (an asset, a sleeve id, a profile, a path) with every character visible:
 * bidi controls and zero-width characters become `\uXXXX`, exactly as the CLI prints them, so that
 * `\u202eIPS` does not read as `SPI` nor `SII\u200b` as `SII`.
 */
export function legible(text: string | null | undefined): string {
  return text === null || text === undefined ? '–' : printable(text);
}
