/**
 * The output files a ledger records, checked against the files on disk. Paths in a ledger are untrusted
 * (whoever can write the workspace can write one): only a plain relative path inside the run folder is
 * read, and only when it still resolves inside the folder after symlinks. A path outside the run folder
 * (an output the user sent elsewhere) is listed, never read; a path no writer produces (`..` or `.`
 * segments, empty segments, backslashes) is a problem, never read.
 */
import { isAbsolute } from 'node:path';
import { isQuantError, type ErrorCode } from '../errors.js';
import { assertConfined } from './file-access.js';
import { sha256File } from './hash.js';
import type { LedgerRecord } from './ledger-verify.js';
import { resolveInside } from './resolve-inside.js';
import type { RunPaths } from './run-folder.js';

/** One finding of an audit: a stable code, one line, the file it is about and the ledger line if any. */
export interface AuditProblem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly file: string;
  readonly line?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface OutputsReport {
  /** Distinct files inside the run folder compared with their last recorded hash. */
  readonly checked: number;
  /** Of those, the ones whose bytes still have that hash. */
  readonly matched: number;
  /** Recorded outputs outside the run folder: not read, so not checked. */
  readonly outside: readonly string[];
  readonly problems: readonly AuditProblem[];
}

/** The last hash the ledger records for an output path, and the line that records it. */
interface RecordedOutput {
  readonly path: string;
  readonly sha256: string;
  readonly line: number;
}

const HASH = /^[0-9a-f]{64}$/;
// What `hashFiles` records for an output a stage named but did not write: there is nothing to compare.
const NOT_WRITTEN = 'missing';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every output of every outcome record, the last record of a path winning (a stage may rewrite a file). */
function recordedOutputs(
  records: readonly LedgerRecord[],
  ledgerFile: string,
  problems: AuditProblem[],
): Map<string, RecordedOutput> {
  const out = new Map<string, RecordedOutput>();
  for (const record of records) {
    const outputs = record.type === 'outcome' ? record.data['outputs'] : undefined;
    if (outputs === undefined) continue;
    const list = Array.isArray(outputs) ? outputs : [outputs];
    list.forEach((item, i) => {
      const ok =
        isObject(item) &&
        typeof item['path'] === 'string' &&
        typeof item['sha256'] === 'string' &&
        (HASH.test(item['sha256']) || item['sha256'] === NOT_WRITTEN);
      if (!ok) {
        problems.push({
          code: 'E_AUDIT_OUTPUT',
          message: `${ledgerFile}:${record.seq}: data.outputs[${i}] is not {"path", "sha256"}: the record cannot be checked`,
          file: ledgerFile,
          line: record.seq,
        });
        return;
      }
      const path = item['path'] as string;
      out.delete(path); // keep Map order = order of the last record, so findings follow the ledger
      out.set(path, { path, sha256: item['sha256'] as string, line: record.seq });
    });
  }
  return out;
}

/** Why `path` is not a path this tool writes into a ledger, or undefined when it is a plain relative path. */
function unsafePath(path: string): string | undefined {
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.includes('\0')) return 'it contains a NUL character';
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..'))
    return 'it has an empty, "." or ".." segment';
  return undefined;
}

const short = (hash: string): string => `${hash.slice(0, 16)}…`;

async function checkOne(
  paths: RunPaths,
  prefix: string,
  output: RecordedOutput,
  at: string,
): Promise<AuditProblem | undefined> {
  const where = { file: output.path, line: output.line };
  const problem = (code: ErrorCode, message: string, details?: Record<string, unknown>): AuditProblem => ({
    code,
    message,
    ...where,
    ...(details === undefined ? {} : { details }),
  });
  let file: string;
  try {
    file = await resolveInside(paths.path, output.path.slice(prefix.length));
    await assertConfined(file, 'read');
  } catch (error) {
    if (!isQuantError(error)) throw error;
    return problem('E_PATH_ESCAPE', `${output.path} (recorded at ${at}): ${error.message}; not read`);
  }
  let found: string;
  try {
    found = await sha256File(file);
  } catch (error) {
    if (isQuantError(error) && error.code === 'E_INPUT_NOT_FOUND')
      return problem(
        'E_AUDIT_OUTPUT',
        `${output.path}: missing; ${at} records it with sha256 ${short(output.sha256)}`,
        { expected: output.sha256, found: null },
      );
    const errno = (error as NodeJS.ErrnoException).code ?? (isQuantError(error) ? error.code : 'unknown');
    return problem('E_AUDIT_OUTPUT', `${output.path}: cannot be read (${errno}); ${at} records it`, {
      expected: output.sha256,
      found: null,
    });
  }
  if (found === output.sha256) return undefined;
  return problem(
    'E_AUDIT_OUTPUT',
    `${output.path}: modified since ${at} recorded it: sha256 expected ${short(output.sha256)}, found ${short(found)}`,
    { expected: output.sha256, found },
  );
}

/**
 * Compare every output the outcome records of `records` name inside the run folder with the file on
 * disk. `ledgerFile` is how the ledger is named in messages (`runs/<id>/audit.jsonl`).
 */
export async function checkRecordedOutputs(
  paths: RunPaths,
  records: readonly LedgerRecord[],
  ledgerFile: string,
): Promise<OutputsReport> {
  const problems: AuditProblem[] = [];
  const prefix = `runs/${paths.runId}/`;
  const outside: string[] = [];
  let checked = 0;
  let matched = 0;
  for (const output of recordedOutputs(records, ledgerFile, problems).values()) {
    const at = `${ledgerFile}:${output.line}`;
    if (output.sha256 === NOT_WRITTEN) continue;
    if (isAbsolute(output.path) || !output.path.startsWith(prefix)) {
      outside.push(output.path);
      continue;
    }
    const unsafe = unsafePath(output.path);
    if (unsafe !== undefined) {
      problems.push({
        code: 'E_PATH_ESCAPE',
        message: `${at}: output path ${JSON.stringify(output.path)} is not a plain path inside the run folder (${unsafe}); not read`,
        file: ledgerFile,
        line: output.line,
      });
      continue;
    }
    checked++;
    const problem = await checkOne(paths, prefix, output, at);
    if (problem === undefined) matched++;
    else problems.push(problem);
  }
  return { checked, matched, outside, problems };
}
