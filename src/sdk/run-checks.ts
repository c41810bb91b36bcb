import { relative } from 'node:path';
import { QuantError } from '../errors.js';
import type { LedgerVerdict } from '../artifacts/index.js';
import type { ValidationVerdict } from '../stages/index.js';

/** The coded error of a broken ledger, as the CLI and the MCP server report it. */
export function auditBrokenError(runId: string, verdict: LedgerVerdict): QuantError {
  const broken = verdict.firstBroken;
  return new QuantError(
    'E_AUDIT_BROKEN',
    `audit ledger of run ${runId} is broken at line ${broken?.line ?? '?'}: ${broken?.reason ?? 'unknown'}`,
    {
      location: { file: `runs/${runId}/audit.jsonl`, ...(broken === undefined ? {} : { line: broken.line }) },
      details: { verdict },
    },
  );
}

/** The coded error of a failed `quant meta validate`, naming the first failed check. */
export function validationFailedError(
  runId: string,
  verdict: ValidationVerdict,
  file: string,
  base: string,
): QuantError {
  const first = verdict.checks.find((c) => !c.ok);
  return new QuantError(
    'E_VALIDATION_FAILED',
    `meta run ${runId} failed ${verdict.failed} check(s); first: ${first?.id}: ${first?.detail}`,
    { location: { file: relative(base, file) }, details: { verdict } },
  );
}
