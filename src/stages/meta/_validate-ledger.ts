/** The ledger checks of `quant meta validate`: what `quant audit verify` checks, as three named checks. */
import { auditRun, type LedgerKey, type RunAuditReport } from '../../artifacts/index.js';

type Check = (id: string, fn: () => Promise<string> | string) => Promise<boolean>;

const LEDGER = 'audit.jsonl';

function problemsOf(report: RunAuditReport, codes: readonly string[]): string[] {
  return report.problems.filter((p) => codes.includes(p.code)).map((p) => `${p.code}: ${p.message}`);
}

/**
 * `audit.jsonl` (chain and anchor), `audit.jsonl signature` and `audit.jsonl outputs`. A ledger that cannot
 * be read at all fails the first check and skips the others.
 */
export async function checkLedger(
  workspace: string,
  runId: string,
  key: LedgerKey | undefined,
  check: Check,
  fail: (message: string) => never,
): Promise<void> {
  let report: RunAuditReport | undefined;
  await check(LEDGER, async () => {
    report = await auditRun(workspace, runId, { key });
    const { anchor } = report;
    const found = problemsOf(report, [
      'E_AUDIT_BROKEN',
      'E_AUDIT_APPENDED',
      'E_AUDIT_TRUNCATED',
      'E_AUDIT_REWRITTEN',
      'E_RUN_CORRUPT',
    ]);
    if (found.length > 0) fail(found.join('; '));
    const anchored =
      anchor.state === 'match'
        ? `anchored in run.json (head ${anchor.found.head_sha256?.slice(0, 16) ?? 'none'})`
        : `not anchored (${anchor.state === 'pending' ? 'the run is still running' : 'run.json records no anchor'})`;
    return `${report.records} records, chain intact, ${anchored}`;
  });
  if (report === undefined) return;
  const audited = report;
  await check(`${LEDGER} signature`, () => {
    const found = problemsOf(audited, ['E_AUDIT_SIGNATURE']);
    if (found.length > 0) fail(found.join('; '));
    const { state, key: held } = audited.signature;
    if (state === 'valid') return 'HMAC-SHA256 valid for QUANT_LEDGER_KEY';
    if (state === 'not_checked') return 'signed; key absent (QUANT_LEDGER_KEY unset), signature not checked';
    return held === 'present' ? 'unsigned (the run was made without QUANT_LEDGER_KEY)' : 'unsigned';
  });
  await check(`${LEDGER} outputs`, () => {
    const found = problemsOf(audited, ['E_AUDIT_OUTPUT', 'E_PATH_ESCAPE']);
    if (found.length > 0) fail(found.join('; '));
    const { matched, checked, outside } = audited.outputs;
    const more = outside.length === 0 ? '' : `; ${outside.length} outside the run folder, not checked`;
    return `${matched} of ${checked} recorded output file(s) match their hash${more}`;
  });
}
