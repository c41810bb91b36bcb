/**
 * The sleeve job as data: its JSON shape (what a queue carries), its result, its job name, and where
 * its runner lives. Kept apart from the runner (sleeve-job.ts) so that planning a batch does not load
 * the SDK's stages.
 *
 * A job carries no path. It names a profile, a run id, the clock and (optionally) its content key, plus three proofs of origin: the
 * id of the workspace whose coordinator sent it, the SHA-256 of the manifest it was planned from, and
 * the nonce of the run folder's reservation (artifacts/run-reservation.ts). Where it runs is decided by
 * the process that runs it (`quant worker --workspace`), never by the message.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { QuantError } from '../errors.js';
import { RUN_ID_PATTERN } from '../artifacts/run-id.js';
import type { JobRunnerRef, JobSettings } from '../exec/job.js';

/** The job name of a sleeve job on a queue. */
export const SLEEVE_JOB_NAME = 'sleeve.backtest';

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Profile names: printable, no path separators; the worker's manifest decides whether it exists. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const PROFILE = /^[^\u0000-\u001f\u007f/\\]+$/;
const MAX_PROFILE = 200;
/** 9999-12-31T23:59:59Z: the last second a run id's timestamp can show. */
const MAX_EPOCH = 253_402_300_799;

// Length first and aborting: a huge string fails on its length, before any pattern looks at it.
const hex = (pattern: RegExp, n: number, what: string) =>
  z.string().length(n, { abort: true }).regex(pattern, `must be ${n} lower-case hex digits (${what})`);

/** A sleeve job, as it travels to a worker (JSON). Unknown keys are refused. */
export const SleeveJobSchema = z.strictObject({
  /** The id of the coordinator's workspace (`.quant/workspace.json`). */
  workspace_id: hex(HEX32, 32, 'a workspace id'),
  /** SHA-256 of the manifest file the coordinator planned the job from. */
  manifest_sha256: hex(HEX64, 64, 'a SHA-256'),
  profile: z
    .string()
    .min(1)
    .max(MAX_PROFILE, { abort: true })
    .regex(PROFILE, 'must be a profile name (no control characters, no "/" or "\\")'),
  run_id: z
    .string()
    .min(1)
    .max(128, { abort: true })
    .regex(RUN_ID_PATTERN, 'must be a run id (a letter or digit, then letters, digits, ".", "_" or "-")'),
  /** Seconds since the epoch: the run's clock (run.json and ledger timestamps), wherever it runs. */
  source_date_epoch: z.number().int().min(0).max(MAX_EPOCH),
  /** The nonce of the run folder's reservation. */
  reservation: hex(HEX32, 32, 'a reservation nonce'),
  /**
   * The content key the coordinator computed (sleeve-key.ts). The worker recomputes it from its own
   * manifest and prices file and refuses a job whose key it cannot reproduce; the run records it.
   */
  sleeve_key: hex(HEX64, 64, 'a sleeve key').optional(),
});
export type SleeveJob = z.output<typeof SleeveJobSchema>;

/** What the runner of a sleeve job needs from the process that runs it (`ctx.settings`). */
export interface SleeveJobSettings {
  /** The workspace served, absolute. */
  readonly workspace: string;
  /** Its manifest, absolute. */
  readonly manifest: string;
  /**
   * Run the job confined to the workspace (artifacts/file-access.ts), as the coordinator's own call is:
   * set by a confined coordinator for the child processes of its local pool, whose confinement does not
   * cross the process boundary by itself.
   */
  readonly confine?: boolean;
}

/** The value of `ctx.settings.confine` that confines a job to its workspace. */
const CONFINED = 'workspace';

/** The settings as `ctx.settings` carries them. */
export function sleeveJobSettings(where: SleeveJobSettings): JobSettings {
  return {
    workspace: where.workspace,
    manifest: where.manifest,
    ...(where.confine === true ? { confine: CONFINED } : {}),
  };
}

/** Whether `ctx.settings` asks for a confined job (see {@link SleeveJobSettings.confine}). */
export function confinedSettings(settings: JobSettings): boolean {
  return settings['confine'] === CONFINED;
}

/** What a sleeve job returns. */
export interface SleeveJobResult {
  readonly profile: string;
  readonly run_id: string;
  /** `produced` now, or `reused`: an identical successful run was already there. */
  readonly status: 'produced' | 'reused';
  readonly summary: string;
  /** Warnings of the sleeve's stage about its input (missing data dropped), when produced now. */
  readonly warnings?: readonly string[];
  /** The content key of the production (sleeve-key.ts), when the coordinator computed one. */
  readonly sleeve_key?: string;
}

/** How other processes find `runSleeveJob` (sleeve-job.ts next to this file, `.ts` or `.js`). */
export const SLEEVE_JOB_RUNNER: JobRunnerRef = {
  module: new URL(`./sleeve-job${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href,
  exportName: 'runSleeveJob',
};

const MAX_SHOWN = 60;
const MAX_MESSAGE = 200;
// JSON.stringify escapes C0 controls; C1 controls (e.g. U+009B, a terminal's CSI) and DEL are escaped too.
const C1 = /[\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const C0_C1 = /[\u0000-\u001f\u007f-\u009f]/g;
const hexEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A value from a message, safe to print: quoted, escaped, at most {@link MAX_SHOWN} characters. */
function quoted(text: string): string {
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  return JSON.stringify(cut).replace(C1, hexEscape);
}

/** Our own text that may embed a value: control characters escaped, length bounded. */
function safe(text: string, max = MAX_MESSAGE): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(C0_C1, hexEscape);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path =
    issue.path.length === 0 ? '(the job)' : issue.path.map((p) => safe(String(p), MAX_SHOWN)).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.slice(0, 5).map(quoted);
    const more = issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : '';
    return `${path}: unknown key${issue.keys.length === 1 ? '' : 's'} ${keys.join(', ')}${more} (a job names a profile, a run id and the clock; it carries no path)`;
  }
  return `${path}: ${safe(issue.message)}`;
}

/** Parse a job from a queue: `E_JOB_INVALID` naming every problem (values shortened, never echoed whole). */
export function parseSleeveJob(input: unknown): SleeveJob {
  const parsed = SleeveJobSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const listed = issues.slice(0, 6).map(describeIssue);
  if (issues.length > 6) listed.push(`${issues.length - 6} more`);
  throw new QuantError('E_JOB_INVALID', `malformed sleeve job: ${listed.join('; ')}`, {
    hint: 'sleeve jobs are sent by `quant meta run --execute-sleeves --executor bullmq`; jobs made by hand are refused',
    issues: issues.map((i) => ({
      path: safe(i.path.map(String).join('.'), MAX_SHOWN),
      message: describeIssue(i),
    })),
  });
}
