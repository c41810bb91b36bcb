import { relative } from 'node:path';
import { QuantError } from '../errors.js';
import type { ValidationVerdict } from '../stages/index.js';

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
