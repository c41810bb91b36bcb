/**
 * The warnings the run's stages gave, as their outcome records in the run's ledger keep them: the report
 * lists them and flags the risk profile a warning names (`meta.flatten: equal_weight: ...`).
 */
import { join } from 'node:path';
import { isQuantError } from '../../errors.js';
import { readLedger } from '../../artifacts/index.js';
import type { RunWarning } from '../../report/index.js';

/** The report's own warnings are not its input: a report written again would list them twice. */
const OWN_STAGE = 'meta.report';

function stringList(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((w): w is string => typeof w === 'string') : [];
}

/**
 * Each distinct warning of the run's successful stage outcomes, in ledger order, with the risk profile it
 * names (its message starts `<risk profile>: `); an unreadable ledger gives none (audit verify says why).
 */
export async function readRunWarnings(
  runDir: string,
  riskProfiles: readonly string[],
): Promise<RunWarning[]> {
  let records;
  try {
    records = await readLedger(join(runDir, 'audit.jsonl'));
  } catch (error) {
    if (isQuantError(error)) return [];
    throw error;
  }
  const seen = new Set<string>();
  const out: RunWarning[] = [];
  for (const r of records) {
    if (r.type !== 'outcome' || r.status !== 'success' || r.step === OWN_STAGE) continue;
    for (const line of stringList(r.data['warnings'])) {
      if (seen.has(line)) continue;
      seen.add(line);
      const prefix = `${r.step}: `;
      const message = line.startsWith(prefix) ? line.slice(prefix.length) : line;
      const riskProfile = riskProfiles.find((p) => message.startsWith(`${p}: `)) ?? null;
      out.push({ stage: r.step, message, riskProfile });
    }
  }
  return out;
}
