/**
 * Which stage wrote which file of a run, as its ledger says. A stage that writes a user-named file into a
 * run it did not create (`meta.trades` into a finished meta run) must not replace another stage's
 * artifact: its own outcome record would then carry the new hash, and the audit would pass a run whose
 * artifact was swapped.
 */
import { isAbsolute, resolve } from 'node:path';
import { readLedgerLoose } from './audit-ledger.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The stage an outcome record belongs to: its context's `stage`, else its step. */
function writerOf(record: Record<string, unknown>): string {
  const context = record['context'];
  if (isObject(context) && typeof context['stage'] === 'string') return context['stage'];
  return typeof record['step'] === 'string' ? record['step'] : '?';
}

/**
 * Every output path the outcome records of `ledger` name (absolute; ledger paths are relative to the
 * workspace), with each stage that recorded it.
 */
export async function recordedOutputWriters(
  workspace: string,
  ledger: string,
): Promise<Map<string, Set<string>>> {
  const records = await readLedgerLoose(ledger);
  const writers = new Map<string, Set<string>>();
  for (const record of records) {
    const data = record['data'];
    if (record['type'] !== 'outcome' || !isObject(data)) continue;
    const outputs = Array.isArray(data['outputs']) ? data['outputs'] : [];
    for (const item of outputs) {
      if (!isObject(item) || typeof item['path'] !== 'string') continue;
      const path = item['path'];
      const abs = isAbsolute(path) ? path : resolve(workspace, path);
      const set = writers.get(abs) ?? new Set<string>();
      set.add(writerOf(record));
      writers.set(abs, set);
    }
  }
  return writers;
}
