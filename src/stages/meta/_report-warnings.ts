/**
 * What the report reads from the run's ledger: the warnings the run's stages gave, as their outcome
 * records keep them (the report lists them and flags the risk profile a warning names,
 * `meta.flatten: equal_weight: ...`), and which stages the run ran (a section whose stage did not run says
 * so instead of "not found").
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

/** The warnings of the run, and the ids of the stages it started (null: the ledger is unreadable). */
export interface RunLedgerFacts {
  readonly warnings: RunWarning[];
  readonly stagesRun: ReadonlySet<string> | null;
}

/**
 * Each distinct warning of the run's successful stage outcomes, in ledger order, with the risk profile it
 * names (its message starts `<risk profile>: `), and the stages the run started; an unreadable ledger
 * gives neither (audit verify says why).
 */
export async function readRunLedgerFacts(
  runDir: string,
  riskProfiles: readonly string[],
): Promise<RunLedgerFacts> {
  let records;
  try {
    records = await readLedger(join(runDir, 'audit.jsonl'));
  } catch (error) {
    if (isQuantError(error)) return { warnings: [], stagesRun: null };
    throw error;
  }
  const stagesRun = new Set(records.filter((r) => r.type === 'intent').map((r) => r.step));
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
  return { warnings: out, stagesRun };
}
