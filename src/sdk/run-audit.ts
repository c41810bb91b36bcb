import { auditRun, LedgerKey, runDir, assertConfined, type RunAuditReport } from '../artifacts/index.js';
import type { Env } from '../util/env.js';

export { auditFailure } from '../artifacts/index.js';

export type {
  AnchorState,
  AuditProblem,
  OutputsReport,
  RunAuditReport,
  SignatureState,
} from '../artifacts/index.js';

export interface VerifyAuditOptions {
  /** Environment holding `QUANT_LEDGER_KEY` (the key is read from here, never from a file). */
  readonly env: Env;
  /** Fail an unanchored run, and an unsigned one when the key is set. */
  readonly strict?: boolean;
}

/**
 * `quant audit verify`: the ledger's chain, its anchor in run.json, the anchor's HMAC (when
 * `QUANT_LEDGER_KEY` is set) and the recorded output hashes. Read only; problems are data in the report.
 * A set but unusable key is `E_AUDIT_KEY`.
 */
export async function verifyRunAudit(
  workspace: string,
  runId: string,
  options: VerifyAuditOptions,
): Promise<RunAuditReport> {
  const key = LedgerKey.fromEnv(options.env);
  await assertConfined(runDir(workspace, runId), 'read');
  return auditRun(workspace, runId, { key, strict: options.strict === true });
}

/** The lines `quant audit verify` prints for a report (the failure itself goes to stderr). */
export function describeAudit(report: RunAuditReport): string[] {
  const file = `runs/${report.run_id}/audit.jsonl`;
  const lines: string[] = [];
  const { anchor, signature, outputs } = report;
  lines.push(
    report.firstBroken === undefined
      ? `chain: ${file}, ${report.records} records, chain intact`
      : `chain: BROKEN at line ${report.firstBroken.line} (${report.records} intact records before it)`,
  );
  const head = (h: string | null): string => (h === null ? 'none' : h.slice(0, 16));
  const anchorLine: Record<RunAuditReport['anchor']['state'], string> = {
    match: `matches run.json (${anchor.found.records} records, head ${head(anchor.found.head_sha256)})`,
    appended: `MISMATCH: records appended after the run finished`,
    truncated: `MISMATCH: the ledger is shorter than run.json anchors`,
    rewritten: `MISMATCH: the ledger does not end in the head run.json anchors`,
    pending:
      anchor.expected === null
        ? report.status === 'running'
          ? 'none yet: the run is running (anchored when it gets its final status)'
          : "none: the run's process is gone before it anchored its ledger (`quant runs list` settles and anchors it)"
        : report.status === 'running'
          ? `run.json anchors the first ${anchor.expected.records} records, from before the run was added to; the rest are anchored when it gets its final status`
          : `run.json anchors the first ${anchor.expected.records} records, from before the run was added to; its process is gone before it anchored the rest (\`quant runs list\` settles and anchors it${signature.state === 'unsigned' ? '' : ', with QUANT_LEDGER_KEY: the run is signed'})`,
    absent:
      report.status === null
        ? 'none: run.json is missing or unreadable'
        : `none: run.json records no anchor (a run made before anchoring, or run.json rewritten)`,
    unchecked: `not compared: the chain is broken`,
  };
  lines.push(`anchor: ${anchorLine[anchor.state]}`);
  const signatureLine: Record<RunAuditReport['signature']['state'], string> = {
    valid: 'valid (HMAC-SHA256 with QUANT_LEDGER_KEY)',
    invalid: 'INVALID for QUANT_LEDGER_KEY',
    unsigned:
      signature.key === 'present'
        ? 'unsigned (the run was made without QUANT_LEDGER_KEY)'
        : 'unsigned (QUANT_LEDGER_KEY absent, nothing to check)',
    not_checked: 'key absent (QUANT_LEDGER_KEY unset), signature not checked',
  };
  lines.push(`signature: ${signatureLine[signature.state]}`);
  const outsideNote =
    outputs.outside.length === 0 ? '' : `; ${outputs.outside.length} outside the run folder, not checked`;
  lines.push(
    `outputs: ${outputs.matched} of ${outputs.checked} recorded output file(s) match their hash${outsideNote}`,
  );
  return lines;
}
