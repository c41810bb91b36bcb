import type { QuantError } from '../errors.js';
import type { FileRecord } from './run-session.js';

/** What every stage result says about the run it happened in. */
export interface StageRunInfo {
  /** The stage's canonical id (an alias given to `runStage` resolves to it). */
  readonly stageId: string;
  readonly runId: string;
  /** Absolute path of `runs/<runId>/`. */
  readonly runDir: string;
  /** The stage's one-line summary. */
  readonly summary: string;
  /** Warnings the stage gave about its input, each `<stage id>: <message>`. */
  readonly warnings: readonly string[];
  /** Files the stage read, with their hashes. */
  readonly inputs: readonly FileRecord[];
  /** Files the stage wrote, with their hashes (also in the run's audit.jsonl). */
  readonly outputs: readonly FileRecord[];
}

/**
 * Names that a stage's own fields cannot take on the flat result: the run's fields
 * ({@link StageRunInfo}), `stageValue`, the deprecated `value`, and `ok` / `error` of a safe result. A
 * stage field with one of these names (`meta.sign_test`'s `warnings` count) is read from `stageValue`.
 */
export const RESERVED_RESULT_KEYS = Object.freeze([
  'stageId',
  'runId',
  'runDir',
  'summary',
  'warnings',
  'inputs',
  'outputs',
  'stageValue',
  'value',
  'ok',
  'error',
] as const);

/** See {@link RESERVED_RESULT_KEYS}. */
export type ReservedResultKey = (typeof RESERVED_RESULT_KEYS)[number];

/**
 * The fields of a stage value `R` as they appear on the flat result: every field of an object value but
 * the reserved names; nothing for an array, a primitive or `unknown` (read those from `stageValue`).
 */
export type StageFields<R> = [R] extends [object]
  ? R extends readonly unknown[]
    ? NoFields
    : Omit<R, ReservedResultKey>
  : NoFields;

/** An object type without fields. */
type NoFields = Record<never, never>;

/**
 * What `runStage` resolves to, flat: the run's fields and the stage's own fields side by side
 * (`r.weights`, `r.runId`, `r.outputs` for `portfolio.optimize`), typed by the stage id for the built-in
 * catalog. `stageValue` is the stage's whole value, as `quant stage run --json` prints it under `value`.
 */
export type StageRunResult<R = unknown> = StageRunInfo &
  StageFields<R> & {
    /** The stage's whole value (what `quant stage run --json` prints under `value`). */
    readonly stageValue: R;
    /**
     * The stage's value, as before the result was flat.
     *
     * @deprecated Since 0.2.0: read the stage's fields on the result itself (`r.weights` instead of
     * `r.value.weights`), or the whole value as `r.stageValue`. `value` is removed in 0.3.0.
     */
    readonly value: R;
  };

/**
 * What `safeRunStage` resolves to: on success the same flat fields as {@link StageRunResult} next to
 * `ok: true` (`s.weights`); on a coded failure `{ ok: false, error }`.
 */
export type SafeStageResult<R = unknown> =
  | (StageRunInfo &
      StageFields<R> & {
        readonly ok: true;
        /** The stage's whole value. */
        readonly stageValue: R;
        /**
         * The whole result, as before the safe result was flat (`s.value.value.weights`).
         *
         * @deprecated Since 0.2.0: read the fields on the safe result itself (`s.weights`, `s.runId`), or
         * the stage's whole value as `s.stageValue`. `value` is removed in 0.3.0.
         */
        readonly value: StageRunResult<R>;
      })
  | { readonly ok: false; readonly error: QuantError };

const RESERVED: ReadonlySet<string> = new Set(RESERVED_RESULT_KEYS);

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  // Not assignment: a stage field named `__proto__` would set the prototype instead of a field.
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The run's fields and the stage's own fields, with `stageValue` (not enumerable: JSON holds each once). */
function flatFields(info: StageRunInfo, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['stageId', 'runId', 'runDir', 'summary', 'warnings', 'inputs', 'outputs'] as const)
    define(out, key, info[key], true);
  if (isRecord(value))
    for (const [k, v] of Object.entries(value)) if (!RESERVED.has(k)) define(out, k, v, true);
  define(out, 'stageValue', value, false);
  return out;
}

/** Build the flat result of a stage run (see {@link StageRunResult}). */
export function stageRunResult<R>(info: StageRunInfo, value: R): StageRunResult<R> {
  const out = flatFields(info, value);
  define(out, 'value', value, false);
  return out as StageRunResult<R>;
}

/** The successful safe result of a stage run (see {@link SafeStageResult}). */
export function safeStageResult<R>(result: StageRunResult<R>): SafeStageResult<R> {
  const out: Record<string, unknown> = { ok: true };
  const flat = flatFields(result, result.stageValue);
  for (const key of Object.keys(flat)) define(out, key, flat[key], true);
  define(out, 'stageValue', result.stageValue, false);
  define(out, 'value', result, false);
  return out as SafeStageResult<R>;
}
