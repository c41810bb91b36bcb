/**
 * Error model. Every user-facing failure is a {@link QuantError} with a stable code from
 * {@link ERROR_CODES}; the CLI prints it as one line and exits 1. Anything else is an internal error
 * (exit 2). This module imports nothing internal so every layer may use it.
 */

/** Stable error codes, grouped by area. The value is a one-line description for the docs. */
export const ERROR_CODES = {
  // params, ids, registry
  E_PARAMS: 'stage parameters failed schema validation',
  E_UNKNOWN_STAGE: 'no stage or alias with this id',
  E_UNKNOWN_PIPELINE: 'no pipeline with this name',
  E_DUPLICATE_STAGE: 'two stage definitions share an id or alias',
  E_STAGE_MODULE: 'a --stages module could not be loaded or does not export an array of stages',
  E_USAGE: 'the command line is malformed',
  // workspace, runs, ledger
  E_RUN_ID: 'the run id is not allowed',
  E_RUN_NOT_FOUND: 'the run does not exist',
  E_RUN_LOCKED: 'another process holds the run lock',
  E_RUN_CORRUPT: 'run.json is missing or malformed',
  E_AUDIT_BROKEN: 'the audit ledger chain is broken',
  E_PATH_ESCAPE: 'a path points outside the allowed folder',
  // input data
  E_INPUT_NOT_FOUND: 'an input file does not exist',
  E_INPUT_FORMAT: 'an input file could not be parsed',
  E_INPUT_COLUMN: 'a required column is missing',
  E_INPUT_VALUE: 'an input value is invalid (NaN, Inf, non-positive price, ...)',
  E_INPUT_DATES: 'dates are invalid, duplicated or unsorted',
  E_INPUT_KIND: 'the values do not look like the declared input kind (prices, returns, log returns)',
  E_FREQUENCY: 'the sampling frequency cannot be inferred from the dates; set periods_per_year',
  // numerics
  E_TOO_FEW_ASSETS: 'fewer than 2 assets',
  E_TOO_FEW_OBSERVATIONS: 'fewer than 2 observations',
  E_INFEASIBLE_BOUNDS: 'weight bounds cannot sum to 1',
  E_SINGULAR_COVARIANCE: 'the covariance matrix is singular or not positive definite',
  E_NO_POSITIVE_EXCESS_RETURN: 'no asset has an expected return above the risk-free rate',
  E_UNBOUNDED_SHARPE: 'a zero-variance portfolio has a positive excess return: the Sharpe ratio is unbounded',
  E_SOLVER: 'the optimizer did not converge',
  E_OUTPUT: 'an output could not be written',
  E_OUTPUT_FORBIDDEN: 'an output would replace run state or leave the folders outputs may go to',
  E_OUTPUT_EXISTS: 'the output file exists and replacing it was not asked for (--force)',
  // manifest and meta pipeline
  E_MANIFEST: 'the manifest is invalid',
  E_MANIFEST_NOT_FOUND: 'the manifest file does not exist',
  E_UNKNOWN_PROFILE: 'the profile is not in the manifest',
  E_CYCLE: 'meta profiles nest in a cycle',
  E_DEPTH: 'meta profiles nest deeper than 4',
  E_TOO_FEW_SLEEVES: 'fewer than 2 usable sleeves',
  E_TOO_FEW_DATES: 'fewer than 30 common dates',
  E_ARTIFACT_MISSING: 'a required artifact is missing',
  E_WEIGHTS_PROFILE_MISSING: "a sleeve run's weights files lack a risk profile the meta run needs",
  E_SIGN_TEST: 'the directional sign test found errors',
  E_SLEEVE_FAILED: 'sleeve production failed',
  E_QUEUE: 'the job queue (Redis) could not be reached, stopped answering, or lost a job',
  E_JOB_INVALID: 'a queue job is malformed (unknown keys, wrong types, oversized values)',
  E_JOB_REFUSED: "a queue job does not belong to this worker's workspace, or names a run it may not touch",
  E_INTERRUPTED: 'the work was stopped (signal or timeout) before it finished',
  E_RUN_EXISTS: 'a run with this id already exists and cannot be reused',
  E_VALIDATION_FAILED: 'a run failed validation',
  E_ADDRESS: 'a quant:// address is malformed',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where a problem is: a file, a JSON path inside it, a 1-based line or a column. */
export interface ErrorLocation {
  readonly file?: string;
  readonly jsonPath?: string;
  readonly line?: number;
  readonly column?: string;
}

/** One validation problem, as data (zod-like): a path and a message. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

export interface QuantErrorOptions {
  readonly hint?: string;
  readonly location?: ErrorLocation;
  readonly issues?: readonly Issue[];
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** A user-facing error with a stable code. The CLI prints {@link QuantError.oneLine} and exits 1. */
export class QuantError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly location: ErrorLocation | undefined;
  readonly issues: readonly Issue[];
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: QuantErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QuantError';
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
  }

  /** `E_CODE: message (at file:line, path) — hint`, on one line. */
  oneLine(): string {
    const where = formatLocation(this.location);
    const parts = [`${this.code}: ${this.message}`];
    if (where !== '' && !this.message.includes(where)) parts.push(`(at ${where})`);
    let line = parts.join(' ');
    if (this.hint !== undefined) line += ` — ${this.hint}`;
    return line.replace(/\s*\n\s*/g, ' ');
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.location === undefined ? {} : { location: this.location }),
      ...(this.issues.length === 0 ? {} : { issues: this.issues }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
    };
  }
}

export function formatLocation(location: ErrorLocation | undefined): string {
  if (location === undefined) return '';
  let out = location.file ?? '';
  if (location.line !== undefined) out += `${out === '' ? 'line ' : ':'}${location.line}`;
  const inner = [location.jsonPath, location.column === undefined ? undefined : `column ${location.column}`]
    .filter((x): x is string => x !== undefined)
    .join(', ');
  if (inner !== '') out += out === '' ? inner : ` ${inner}`;
  return out;
}

export function isQuantError(error: unknown): error is QuantError {
  return error instanceof QuantError;
}

/** Render issues as `path: message; path: message` for one-line output. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
}
