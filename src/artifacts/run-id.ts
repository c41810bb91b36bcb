/** Run ids: the only user-chosen name that becomes a folder, so it is validated before any file is touched. */
import { QuantError } from '../errors.js';

/** Allowed run ids (DESIGN §2): a letter or digit, then up to 127 of letters, digits, `.`, `_`, `-`. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Whether `id` is an allowed run id. */
export function isValidRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id);
}

/** Throw `E_RUN_ID` unless `id` matches {@link RUN_ID_PATTERN}. Path separators and `..` can never pass. */
export function assertValidRunId(id: unknown): asserts id is string {
  if (typeof id === 'string' && RUN_ID_PATTERN.test(id)) return;
  const shown =
    typeof id === 'string' ? JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id) : String(id);
  const why =
    typeof id !== 'string'
      ? 'it is not a string'
      : id.length === 0
        ? 'it is empty'
        : id.length > 128
          ? `it is ${id.length} characters long (at most 128)`
          : !/^[A-Za-z0-9]/.test(id)
            ? 'it must start with a letter or digit'
            : 'it contains a character other than letters, digits, ".", "_" and "-"';
  throw new QuantError('E_RUN_ID', `invalid run id ${shown}: ${why}`, {
    hint: 'a run id is 1-128 characters: a letter or digit, then letters, digits, ".", "_" or "-" (no "/")',
    details: { pattern: RUN_ID_PATTERN.source },
  });
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYYMMDD-HHMMSS` of `date` in UTC. */
function formatRunTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('formatRunTimestamp: invalid date');
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

/** How a default run id that is taken goes on: `-002`, `-003`, ... (three digits sort up to 999 a second). */
const RUN_ID_SEQUENCE_WIDTH = 3;

/**
 * The default run id `<profile>_<YYYYMMDD-HHMMSS>` (UTC), or with `sequence` ≥ 2 the `sequence`-th run of
 * that profile in that second, `<profile>_<YYYYMMDD-HHMMSS>-<NNN>`. Characters outside the allowed set
 * become `_`, leading non-alphanumerics are dropped (an empty profile becomes `run`), and the profile part
 * is cut so the id stays within 128 characters.
 */
export function defaultRunId(profile: string, now: Date, sequence = 1): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    throw new RangeError(`defaultRunId: sequence must be a whole number >= 1, got ${sequence}`);
  }
  const suffix = sequence === 1 ? '' : `-${String(sequence).padStart(RUN_ID_SEQUENCE_WIDTH, '0')}`;
  const stamp = `${formatRunTimestamp(now)}${suffix}`;
  let head = profile.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  if (head === '') head = 'run';
  head = head.slice(0, 128 - stamp.length - 1);
  const id = `${head}_${stamp}`;
  assertValidRunId(id);
  return id;
}

/**
 * Which of the default ids of `profile` at `now` `id` is: 1 for `defaultRunId(profile, now)`, n for
 * `defaultRunId(profile, now, n)`, undefined for any other id.
 */
export function defaultRunIdSequence(profile: string, now: Date, id: string): number | undefined {
  if (id === defaultRunId(profile, now)) return 1;
  const m = /-(\d{3,})$/.exec(id);
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n < 2) return undefined;
  return defaultRunId(profile, now, n) === id ? n : undefined;
}
