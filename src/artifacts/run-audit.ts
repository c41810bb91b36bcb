/**
 * `quant audit verify`: everything a run's record lets one check without trusting the workspace. The
 * ledger's chain (no record edited in place), its anchor in run.json (nothing appended, removed or
 * re-chained since the run finished), the anchor's HMAC when a key is at hand, and every output file the
 * ledger records against its hash; a run that did not finish (`incomplete`, or `running` with its process
 * gone) is a problem too (`E_INTERRUPTED`), naming the files it wrote but did not record. Read only. Each finding is a coded problem naming the file and what
 * differs; the report holds them all, and {@link auditFailure} makes the first one an error.
 */
import { readFile } from 'node:fs/promises';
import { QuantError, isQuantError, type ErrorCode } from '../errors.js';
import { assertConfined } from './file-access.js';
import { checkLedgerText, type LedgerRecord, type LedgerVerdict } from './ledger-verify.js';
import {
  anchorSignatureValid,
  LEDGER_KEY_VARIABLE,
  readLedgerAnchor,
  type LedgerAnchor,
  type LedgerKey,
} from './ledger-anchor.js';
import { checkRecordedOutputs, type AuditProblem, type OutputsReport } from './ledger-outputs.js';

export type { AuditProblem, OutputsReport } from './ledger-outputs.js';
import { readRunJsonFile, runPaths, type RunJson, type RunStatus } from './run-folder.js';
import { interruptionProblem, runIsInterrupted } from './_audit-interruption.js';

/** How the ledger compares with the anchor in run.json. */
export const ANCHOR_STATES = [
  'match',
  'appended',
  'truncated',
  'rewritten',
  'pending', // status running: a run is anchored when it gets its final status
  'absent', // no run.json, or none of its members anchors the ledger
  'unchecked', // the chain is broken: comparing its end means nothing
] as const;
export type AnchorState = (typeof ANCHOR_STATES)[number];

/** What is known of the anchor's signature. */
export const SIGNATURE_STATES = ['valid', 'invalid', 'unsigned', 'not_checked'] as const;
export type SignatureState = (typeof SIGNATURE_STATES)[number];

export interface RunAuditReport {
  readonly run_id: string;
  /** No problem found. */
  readonly ok: boolean;
  /** Intact records of the ledger (all of them when the chain holds). */
  readonly records: number;
  readonly firstBroken?: LedgerVerdict['firstBroken'];
  readonly status: RunStatus | null;
  readonly anchor: {
    readonly state: AnchorState;
    readonly expected: { readonly records: number; readonly head_sha256: string } | null;
    readonly found: { readonly records: number; readonly head_sha256: string | null };
  };
  readonly signature: { readonly state: SignatureState; readonly key: 'present' | 'absent' };
  readonly outputs: OutputsReport;
  readonly problems: readonly AuditProblem[];
}

export interface AuditRunOptions {
  /** The key of `QUANT_LEDGER_KEY` (see `LedgerKey.fromEnv`); without it a signature is not checked. */
  readonly key?: LedgerKey | undefined;
  /**
   * Also fail a run whose ledger is not anchored (`E_AUDIT_UNANCHORED`) and, when a key is given, one
   * whose anchor is unsigned (`E_AUDIT_SIGNATURE`).
   */
  readonly strict?: boolean;
}

const short = (hash: string | null): string => (hash === null ? 'none' : `${hash.slice(0, 16)}…`);

function missingLedger(file: string, runId: string): QuantError {
  return new QuantError('E_ARTIFACT_MISSING', `no audit ledger at ${file}`, {
    location: { file },
    hint: `check the run id ${runId} (\`quant runs list\`)`,
  });
}

async function readLedgerText(path: string, shown: string, runId: string): Promise<string> {
  await assertConfined(path, 'read');
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingLedger(shown, runId);
    throw error;
  }
}

/** run.json, or the problem that it is missing or cannot be read (an audit goes on with the ledger alone). */
async function readRecord(
  file: string,
  shown: string,
  runId: string,
  problems: AuditProblem[],
): Promise<{ json: RunJson | undefined; anchor: LedgerAnchor | undefined }> {
  try {
    const json = await readRunJsonFile(file, runId);
    if (json === undefined) {
      // A run writes run.json before its ledger: a ledger without it is a run whose record was removed.
      problems.push({
        code: 'E_RUN_CORRUPT',
        message: `${shown} is missing: the run's status and the anchor of its ledger are gone, so nothing pins where the ledger ends`,
        file: shown,
      });
      return { json, anchor: undefined };
    }
    return { json, anchor: readLedgerAnchor(json, shown) };
  } catch (error) {
    if (!isQuantError(error)) throw error;
    problems.push({ code: error.code, message: error.message.replace(file, shown), file: shown });
    return { json: undefined, anchor: undefined };
  }
}

/** Compare the ledger's records with the anchor; pushes the problem of a mismatch. */
/** Whether `records` continue past the ledger `anchor` pins (the anchored head is one of its records). */
function continuesPast(anchor: LedgerAnchor, records: readonly LedgerRecord[]): boolean {
  return records.length > anchor.records && records[anchor.records - 1]?.hash === anchor.head_sha256;
}

function compareAnchor(
  anchor: LedgerAnchor,
  records: readonly LedgerRecord[],
  ledgerFile: string,
  problems: AuditProblem[],
): AnchorState {
  const head = records[records.length - 1]?.hash ?? null;
  const atAnchor = records[anchor.records - 1]?.hash;
  const what = `run.json anchors ${anchor.records} records (head ${short(anchor.head_sha256)}), the ledger has ${records.length} (head ${short(head)})`;
  const details = {
    expected: { records: anchor.records, head_sha256: anchor.head_sha256 },
    found: { records: records.length, head_sha256: head },
  };
  let state: AnchorState;
  let code: ErrorCode;
  let message: string;
  if (records.length === anchor.records && head === anchor.head_sha256) return 'match';
  if (records.length < anchor.records) {
    [state, code] = ['truncated', 'E_AUDIT_TRUNCATED'];
    message = `${ledgerFile}: truncated: ${what}`;
  } else if (atAnchor === anchor.head_sha256) {
    [state, code] = ['appended', 'E_AUDIT_APPENDED'];
    const added = records.length - anchor.records;
    message = `${ledgerFile}: ${added} record(s) appended after the run finished, from line ${anchor.records + 1}: ${what}`;
  } else {
    [state, code] = ['rewritten', 'E_AUDIT_REWRITTEN'];
    message = `${ledgerFile}: rewritten: record ${anchor.records} has hash ${short(atAnchor ?? null)}, not the anchored head; ${what}`;
  }
  problems.push({
    code,
    message,
    file: ledgerFile,
    ...(state === 'appended' ? { line: anchor.records + 1 } : {}),
    details,
  });
  return state;
}

function checkSignature(
  runId: string,
  anchor: LedgerAnchor | undefined,
  options: AuditRunOptions,
  runJsonFile: string,
  problems: AuditProblem[],
): SignatureState {
  const key = options.key;
  if (anchor === undefined) return 'unsigned';
  if (anchor.hmac === undefined) {
    if (key !== undefined && options.strict === true) {
      problems.push({
        code: 'E_AUDIT_SIGNATURE',
        message: `${runJsonFile}: the ledger anchor is unsigned, and a signature is required (${LEDGER_KEY_VARIABLE} is set, --strict)`,
        file: runJsonFile,
      });
    }
    return 'unsigned';
  }
  if (key === undefined) return 'not_checked';
  if (anchorSignatureValid(runId, anchor, key)) return 'valid';
  problems.push({
    code: 'E_AUDIT_SIGNATURE',
    message: `${runJsonFile}: the HMAC of the ledger anchor does not match ${LEDGER_KEY_VARIABLE}: run.json was rewritten, or the run was signed with another key`,
    file: runJsonFile,
  });
  return 'invalid';
}

/** Audit run `runId` of `workspace` (see the module comment). The ledger itself must exist. */
export async function auditRun(
  workspace: string,
  runId: string,
  options: AuditRunOptions = {},
): Promise<RunAuditReport> {
  const paths = runPaths(workspace, runId);
  const ledgerFile = `runs/${runId}/audit.jsonl`;
  const runJsonFile = `runs/${runId}/run.json`;
  const text = await readLedgerText(paths.audit, ledgerFile, runId);
  const problems: AuditProblem[] = [];
  const { verdict, records } = checkLedgerText(text);
  if (!verdict.ok) {
    const broken = verdict.firstBroken;
    problems.push({
      code: 'E_AUDIT_BROKEN',
      message: `audit ledger of run ${runId} is broken at line ${broken?.line ?? '?'}: ${broken?.reason ?? 'unknown'}`,
      file: ledgerFile,
      ...(broken === undefined ? {} : { line: broken.line }),
      details: { verdict },
    });
  }
  const { json, anchor } = await readRecord(paths.runJson, runJsonFile, runId, problems);
  const interrupted = await runIsInterrupted(paths, json);
  let state: AnchorState;
  if (!verdict.ok) state = 'unchecked';
  // A run added to (a stage run into a finished run) keeps its former anchor while running: the records
  // after it are the running stage's, anchored with the final status (or when the run is settled).
  else if (anchor !== undefined && json?.status === 'running' && continuesPast(anchor, records))
    state = 'pending';
  else if (anchor !== undefined) state = compareAnchor(anchor, records, ledgerFile, problems);
  else state = json?.status === 'running' ? 'pending' : 'absent';
  if ((state === 'absent' || state === 'pending') && options.strict === true && json !== undefined) {
    problems.push({
      code: 'E_AUDIT_UNANCHORED',
      message:
        anchor === undefined
          ? `${runJsonFile}: no ledger anchor (status ${json.status}): nothing pins where ${ledgerFile} ends`
          : `${runJsonFile}: the ledger anchor pins ${anchor.records} of ${records.length} records (status ${json.status}): nothing pins where ${ledgerFile} ends`,
      file: runJsonFile,
    });
  }
  const signature = checkSignature(runId, anchor, options, runJsonFile, problems);
  const outputs = verdict.ok
    ? await checkRecordedOutputs(paths, records, ledgerFile)
    : { checked: 0, matched: 0, outside: [], problems: [] };
  problems.push(...outputs.problems);
  // Last: a tampered record says more than an unfinished one.
  if (interrupted && json !== undefined)
    problems.push(await interruptionProblem(paths, json, verdict.ok ? records : [], runJsonFile));
  const head = verdict.ok ? (records[records.length - 1]?.hash ?? null) : null;
  return {
    run_id: runId,
    ok: problems.length === 0,
    records: verdict.records,
    ...(verdict.firstBroken === undefined ? {} : { firstBroken: verdict.firstBroken }),
    // A run whose process is gone is incomplete, settled or not (see `settleRunStatus`).
    status: interrupted ? 'incomplete' : (json?.status ?? null),
    anchor: {
      state,
      expected: anchor === undefined ? null : { records: anchor.records, head_sha256: anchor.head_sha256 },
      found: { records: verdict.records, head_sha256: head },
    },
    signature: { state: signature, key: options.key === undefined ? 'absent' : 'present' },
    outputs,
    problems,
  };
}

/**
 * Before a run is reopened (a stage run into an existing run): its ledger must verify, match the anchor
 * its run.json records and, when `key` is given, carry a valid signature if signed. Otherwise the first
 * problem is thrown, before run.json is touched, so that reopening never re-anchors a tampered ledger.
 * A missing ledger passes (nothing to continue).
 */
export async function assertLedgerAnchored(
  workspace: string,
  runId: string,
  key: LedgerKey | undefined,
): Promise<void> {
  const paths = runPaths(workspace, runId);
  const ledgerFile = `runs/${runId}/audit.jsonl`;
  let text: string;
  try {
    text = await readLedgerText(paths.audit, ledgerFile, runId);
  } catch (error) {
    if (isQuantError(error) && error.code === 'E_ARTIFACT_MISSING') return;
    throw error;
  }
  const { verdict, records } = checkLedgerText(text);
  if (!verdict.ok) {
    const line = verdict.firstBroken?.line ?? 1;
    throw new QuantError(
      'E_AUDIT_BROKEN',
      `${paths.audit}:${line}: ${verdict.firstBroken?.reason ?? 'broken'}`,
      {
        location: { file: paths.audit, line },
        hint: 'the audit trail was modified or damaged; inspect it, or use a new run id',
      },
    );
  }
  const json = await readRunJsonFile(paths.runJson, runId);
  const anchor = json === undefined ? undefined : readLedgerAnchor(json, `runs/${runId}/run.json`);
  if (anchor === undefined) return;
  const problems: AuditProblem[] = [];
  compareAnchor(anchor, records, ledgerFile, problems);
  checkSignature(runId, anchor, { key }, `runs/${runId}/run.json`, problems);
  const [first] = problems;
  if (first !== undefined) {
    throw new QuantError(first.code, first.message, {
      location: { file: first.file, ...(first.line === undefined ? {} : { line: first.line }) },
      hint: 'the run was changed after it finished; inspect it (`quant audit verify`), or use a new run id',
      ...(first.details === undefined ? {} : { details: first.details }),
    });
  }
}

/**
 * Refuse to add to a signed run without the key (`json`: its run.json as found, before anything is
 * written): its next anchor could not be signed, and the run would lose its signature without a word
 * (only `quant audit verify --strict` with the key would tell).
 */
export function assertRunSignable(json: RunJson, runId: string, key: LedgerKey | undefined): void {
  if (key !== undefined) return;
  const file = `runs/${runId}/run.json`;
  if (readLedgerAnchor(json, file)?.hmac === undefined) return;
  throw new QuantError(
    'E_AUDIT_KEY',
    `${file}: the run is signed and ${LEDGER_KEY_VARIABLE} is not set: adding to it would leave it unsigned`,
    {
      location: { file, jsonPath: '$.ledger.hmac' },
      hint: `set ${LEDGER_KEY_VARIABLE} to the key the run was signed with, or use a new run id`,
    },
  );
}

/** The coded error of a report's first problem (the line says how many more there are); undefined if ok. */
export function auditFailure(report: RunAuditReport): QuantError | undefined {
  const [first, ...rest] = report.problems;
  if (first === undefined) return undefined;
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more problem(s); see --json)`;
  return new QuantError(first.code, `${first.message}${more}`, {
    location: { file: first.file, ...(first.line === undefined ? {} : { line: first.line }) },
    details: { ...first.details, report },
  });
}
