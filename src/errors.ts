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
  E_RUN_CORRUPT: 'run.json, or a weights file another run reads as its reference, is missing or malformed',
  E_AUDIT_BROKEN: 'the audit ledger chain is broken',
  E_AUDIT_APPENDED:
    'the audit ledger has records after the end run.json anchors (appended after the run finished)',
  E_AUDIT_TRUNCATED: 'the audit ledger has fewer records than run.json anchors (truncated)',
  E_AUDIT_REWRITTEN: 'the audit ledger does not end in the head hash run.json anchors (rewritten)',
  E_AUDIT_UNANCHORED: 'run.json records no ledger anchor (made before anchoring, still running, or removed)',
  E_AUDIT_SIGNATURE:
    "the ledger anchor's HMAC does not match QUANT_LEDGER_KEY, or a required signature is absent",
  E_AUDIT_KEY:
    'QUANT_LEDGER_KEY is set but unusable as a signing key, or not set when adding to a signed run',
  E_AUDIT_OUTPUT: 'a file the audit ledger records as an output differs from its recorded hash or is missing',
  E_PATH_ESCAPE: 'a path points outside the allowed folder',
  // the machine: file system and operating system (see environmentError)
  E_READ_ONLY: 'the file system of the workspace (or of a file it writes) is read-only',
  E_PERMISSION: 'the operating system denied access to a file or folder',
  E_DISK_FULL: 'the disk or the quota is full',
  E_WORKSPACE_IO:
    'a file or folder could not be read or written (a file where a folder belongs, an I/O error, ...)',
  E_MISSING_DEPENDENCY: 'an optional package the feature needs is not installed (npm install it)',
  // input data
  E_INPUT_NOT_FOUND: 'an input file does not exist',
  E_INPUT_FORMAT: 'an input file could not be parsed',
  E_INPUT_COLUMN: 'a required column is missing',
  E_INPUT_VALUE: 'an input value is invalid (NaN, Inf, non-positive price, ...)',
  E_INPUT_DATES: 'dates are invalid, duplicated or unsorted',
  E_INPUT_KIND: 'the values do not look like the declared input kind (prices, returns, log returns)',
  E_FREQUENCY: 'the sampling frequency cannot be inferred from the dates; set periods_per_year',
  E_INPUT_ENCODING: 'an input file is not valid UTF-8',
  E_INPUT_TOO_LARGE: 'an input file is larger than the read limit (QUANT_MAX_INPUT_BYTES)',
  E_UNKNOWN_SYMBOL: 'a held symbol differs from a symbol of the target weights only by case',
  E_PRICE_MISSING: 'a symbol to trade has no price in the prices table',
  E_TRADES_INFEASIBLE: 'no set of orders in whole lots keeps cash at or above 0',
  // numerics
  E_TOO_FEW_ASSETS: 'fewer than 2 assets',
  E_TOO_FEW_OBSERVATIONS: 'fewer than 2 observations',
  E_INFEASIBLE_BOUNDS: 'weight bounds cannot sum to 1',
  E_INFEASIBLE_CONSTRAINTS:
    'no weights satisfy the budget, the bounds and the linear constraints (limits) together; the message names the conflicting ones',
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
  E_JOB_INVALID:
    'a queue job, or the result a job answers, is malformed or does not answer its job (unknown keys, wrong types, oversized values, another run)',
  E_JOB_REFUSED: "a queue job does not belong to this worker's workspace, or names a run it may not touch",
  E_INTERRUPTED: 'the work was stopped (signal or timeout) before it finished',
  E_RUN_EXISTS: 'a run with this id already exists and cannot be reused',
  E_PIN_PROFILE: 'a pinned run is a run of another profile than the sleeve it is pinned to',
  E_PIN_STATUS:
    'a pinned run did not succeed (failed, incomplete or still running); allow_unsuccessful accepts a failed or incomplete one',
  E_VALIDATION_FAILED: 'a run failed validation',
  E_ADDRESS: 'a quant:// address is malformed',
  E_STALE_DATA: 'the last date of the data is older than max_data_age_days allows (--allow-stale overrides)',
  // quant serve
  E_TOKEN: 'an API request to quant serve lacks the session token printed at start-up, or carries another',
  E_ORIGIN: 'a POST to quant serve comes from another origin than the server (cross-site request)',
  E_HOST: "the Host of a request to quant serve is not the server's own (DNS rebinding)",
  E_SERVE_READ_ONLY: 'quant serve runs with --read-only and refuses to launch runs',
  E_PORT_IN_USE: 'the port quant serve should listen on is taken',
  E_NOT_FOUND: 'no such API route or launch',
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
    // Called from JavaScript with something else: refuse it as a coded error, not a QuantError with a
    // code no caller can handle.
    const problem = constructorProblem(code, message, options);
    if (problem !== undefined) {
      throw new QuantError('E_PARAMS', `new QuantError: ${problem}`, {
        hint: "new QuantError('E_PARAMS', 'what is wrong', { hint, location, issues, details, cause })",
      });
    }
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
    return printable(line.replace(/\s*\n\s*/g, ' '));
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

const OPTION_KEYS: readonly string[] = ['hint', 'location', 'issues', 'details', 'cause'];

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What is wrong with the arguments of `new QuantError(...)`, or `undefined`. */
function constructorProblem(code: unknown, message: unknown, options: unknown): string | undefined {
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code)) {
    return `code: received ${kindOf(code)}; expected a key of ERROR_CODES (E_PARAMS, E_INPUT_VALUE, ...)`;
  }
  if (typeof message !== 'string') return `message: received ${kindOf(message)}; expected a string`;
  if (!isRecord(options)) return `options: received ${kindOf(options)}; expected an object`;
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !OPTION_KEYS.includes(k));
  if (unknown !== undefined) return `options.${unknown}: unknown option; allowed: ${OPTION_KEYS.join(', ')}`;
  if (o['hint'] !== undefined && typeof o['hint'] !== 'string') {
    return `options.hint: received ${kindOf(o['hint'])}; expected a string`;
  }
  for (const key of ['location', 'details'] as const) {
    if (o[key] !== undefined && !isRecord(o[key])) {
      return `options.${key}: received ${kindOf(o[key])}; expected an object`;
    }
  }
  const issues = o['issues'];
  if (issues !== undefined && (!Array.isArray(issues) || !issues.every(isRecord))) {
    return `options.issues: received ${kindOf(issues)}; expected an array of { path, message }`;
  }
  return undefined;
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

/**
 * Characters a terminal acts on rather than shows: C0 controls but the line feed (ESC starts colour and
 * cursor sequences, CR returns to the line start, BEL rings), DEL, C1 controls (U+0080–U+009F; U+009B is a
 * one-byte CSI), the line and paragraph separators, the bidirectional marks, embeddings, overrides and
 * isolates that reorder what follows them (a file name can be made to read backwards), and the zero-width
 * characters (spaces, joiners, the word joiner, invisible operators, the BOM) that make two different
 * names look the same (`SII\u200b` and `SII`).
 */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Whether the UTF-16 code unit `c` is one {@link printable} escapes. Names read from input files (column
 * names) are refused on these and on the line feed, so the rule of what a name may hold and the set a
 * message escapes cannot drift apart.
 */
export function isUnprintableCodeUnit(c: number): boolean {
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(String.fromCharCode(c));
}

/**
 * `text` safe to print: every character of {@link UNPRINTABLE} becomes a `\uXXXX` escape, so that text
 * from input files (a column name, a path, a cell) can never colour, move, hide or reorder what a
 * terminal shows. The escape is also JSON's, so JSON text stays valid and means the same after it.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The codes of {@link environmentError}: failures of the machine, not of the inputs. */
export const ENVIRONMENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'E_READ_ONLY',
  'E_PERMISSION',
  'E_DISK_FULL',
  'E_WORKSPACE_IO',
]);

/** Whether `error` is a coded failure of the machine (see {@link ENVIRONMENT_CODES}). */
export function isEnvironmentError(error: unknown): error is QuantError {
  return error instanceof QuantError && ENVIRONMENT_CODES.has(error.code);
}

interface ErrnoLike {
  readonly code: string;
  readonly path?: string;
  readonly dest?: string;
  readonly syscall?: string;
  readonly message?: string;
}

/** Node's refusal of a path with a NUL byte (`ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE`). */
function isNulInPath(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return (
    error instanceof TypeError &&
    (code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE') &&
    /null bytes/.test(error.message)
  );
}

function errnoOf(error: unknown): ErrnoLike | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && error instanceof Error
    ? (error as unknown as ErrnoLike)
    : undefined;
}

/** errno → stable code and a reason a user can act on. Anything else is `E_WORKSPACE_IO`. */
const ERRNO_TABLE: Readonly<Record<string, readonly [ErrorCode, string, string]>> = Object.assign(
  Object.create(null) as Record<string, readonly [ErrorCode, string, string]>,
  {
    EROFS: [
      'E_READ_ONLY',
      'read-only file system',
      'remount it read-write, or use a workspace on a writable file system (--workspace DIR)',
    ],
    EACCES: [
      'E_PERMISSION',
      'permission denied',
      'give this user access to it (owner, mode, ACL), or use another workspace (--workspace DIR)',
    ],
    EPERM: [
      'E_PERMISSION',
      'operation not permitted',
      'give this user access to it (owner, mode, immutable flag), or use another workspace',
    ],
    ENOSPC: ['E_DISK_FULL', 'no space left on device', 'free disk space (or inodes) and run again'],
    EDQUOT: ['E_DISK_FULL', 'disk quota exceeded', 'free space within the quota and run again'],
    EFBIG: [
      'E_DISK_FULL',
      'file too large for the file system',
      'use a file system that allows larger files',
    ],
    ENOTDIR: [
      'E_WORKSPACE_IO',
      'a file stands where a folder belongs',
      'move the file away (the workspace keeps its runs in runs/ and its cache in .cache/)',
    ],
    EISDIR: ['E_WORKSPACE_IO', 'a folder stands where a file belongs', 'move the folder away'],
    EEXIST: ['E_WORKSPACE_IO', 'something else already exists there', 'move it away'],
    ENOENT: [
      'E_WORKSPACE_IO',
      'no such file or folder',
      'check the path; if it existed, something removed it while quant ran',
    ],
    EIO: ['E_WORKSPACE_IO', 'input/output error', 'check the disk (dmesg) and run again'],
    EMFILE: ['E_WORKSPACE_IO', 'too many open files', 'raise the open-file limit (ulimit -n)'],
    ENFILE: ['E_WORKSPACE_IO', 'too many open files in the system', 'close files or raise the limit'],
    ENAMETOOLONG: ['E_WORKSPACE_IO', 'file name too long', 'use a shorter workspace path'],
    ELOOP: ['E_WORKSPACE_IO', 'too many levels of symbolic links', 'fix the symbolic links of the workspace'],
  },
);

/**
 * An uncoded failure thrown by a stage of a `--stages` module (see `sdk/load-stages.ts`): still an
 * internal error (`E_INTERNAL`, exit 2), but whose bug it is differs, and so does the hint.
 */
export class StageModuleFailure extends Error {
  constructor(
    readonly stageId: string,
    readonly module: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StageModuleFailure';
  }
}

/** The hint of an internal error: a stage module's own bug is its author's to fix, anything else ours. */
export function internalErrorHint(error: unknown): string {
  return error instanceof StageModuleFailure
    ? `thrown by stage ${error.stageId} of the stage module ${error.module}, not by metafolio: fix it there (--verbose prints where)`
    : 'this is a bug; rerun with --verbose and report it';
}

/**
 * The one place where a failed system call becomes a user-facing error: `EROFS` → `E_READ_ONLY`,
 * `EACCES`/`EPERM` → `E_PERMISSION`, `ENOSPC`/`EDQUOT`/`EFBIG` → `E_DISK_FULL`, any other errno →
 * `E_WORKSPACE_IO`. The message says what could not be done (`action`, e.g. `write runs/x/run.json`),
 * the reason and the errno itself, so the true cause is named. `undefined` when `error` carries no errno
 * (a bug, not the environment); a `QuantError` is returned as it is. `options.reason` replaces the
 * generic reason when the caller knows more (`runs is a file, not a folder`); `showPath: false` leaves
 * out the path of the failed call when `action` names the file better (a temp file of an atomic write),
 * and `file` is then the location to report.
 */
export function environmentError(
  error: unknown,
  action?: string,
  options: { readonly reason?: string; readonly showPath?: boolean; readonly file?: string } = {},
): QuantError | undefined {
  if (error instanceof QuantError) return error;
  if (isNulInPath(error)) {
    // Node's file-system calls refuse a path holding a NUL (a name from a params file, a client).
    return new QuantError(
      'E_PARAMS',
      `cannot ${action ?? 'open a file'}: the path contains a NUL character`,
      {
        hint: 'remove the \\0 from the file name',
        cause: error,
      },
    );
  }
  const errno = errnoOf(error);
  if (errno === undefined) return undefined;
  const [code, tableReason, hint] = ERRNO_TABLE[errno.code] ?? [
    'E_WORKSPACE_IO',
    (errno.message ?? errno.code).replace(/^[A-Z0-9]+: /, '').replace(/,.*$/, ''),
    'check the file system and run again',
  ];
  const reason = options.reason ?? tableReason;
  const path = errno.path;
  const file = options.file ?? path;
  const what =
    action ?? (path === undefined ? 'access the workspace' : `${errno.syscall ?? 'access'} ${path}`);
  const at =
    path !== undefined && action !== undefined && !action.includes(path) && options.showPath !== false
      ? ` (${path})`
      : '';
  return new QuantError(code, `cannot ${what}${at}: ${reason} (${errno.code})`, {
    hint,
    ...(file === undefined ? {} : { location: { file } }),
    details: { errno: errno.code, ...(errno.syscall === undefined ? {} : { syscall: errno.syscall }) },
    cause: error,
  });
}
