// A signed run whose process died: what the settling tests of `quant runs list`, `quant serve`, the
// artifact listing, the sleeve resolution and the turnover reference start from.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../src/index.js';
import { openLedger } from '../../src/artifacts/index.js';
import { REPO } from './cli.js';

/** A ledger key long enough to sign with. */
export const LEDGER_KEY = 'k'.repeat(40);

const runJsonFile = (ws: string, id: string): string => join(ws, 'runs', id, 'run.json');

/**
 * Leave run `id` as a process that died during `step` leaves it: an intent `started` in its ledger and
 * run.json `running` (with `patch`), no live lock. Returns run.json's bytes.
 */
export async function killRun(
  ws: string,
  id: string,
  step: string,
  patch: Record<string, unknown> = {},
): Promise<Buffer> {
  const ledger = await openLedger(join(ws, 'runs', id, 'audit.jsonl'), { now: new Date(0) });
  await ledger.append({ type: 'intent', step, status: 'started' });
  const json = JSON.parse(readFileSync(runJsonFile(ws, id), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    runJsonFile(ws, id),
    `${JSON.stringify({ ...json, ...patch, status: 'running' }, null, 2)}\n`,
  );
  return readFileSync(runJsonFile(ws, id));
}

/** A signed `portfolio.optimize` run `id`, then a stage run into it that died mid-stage. */
export async function deadSignedRun(
  ws: string,
  id: string,
  patch: Record<string, unknown> = {},
): Promise<Buffer> {
  await QuantSDK.runStage(
    'portfolio.optimize',
    { input: join(REPO, 'data', 'swx_prices.csv'), method: 'inverse_variance' },
    { workspace: ws, runId: id, env: { SOURCE_DATE_EPOCH: '1767225600', QUANT_LEDGER_KEY: LEDGER_KEY } },
  );
  return killRun(ws, id, 'portfolio.optimize', patch);
}

/** Whether run.json of `id` still has `bytes`. */
export function untouched(ws: string, id: string, bytes: Buffer): boolean {
  return readFileSync(runJsonFile(ws, id)).equals(bytes);
}

/** [status, anchor, signature] of run `id` under a strict audit with the key: settled is ['incomplete', 'match', 'valid']. */
export async function settledAndSigned(ws: string, id: string): Promise<unknown[]> {
  const report = await QuantSDK.verifyAudit(id, {
    workspace: ws,
    env: { QUANT_LEDGER_KEY: LEDGER_KEY },
    strict: true,
  });
  const json = JSON.parse(readFileSync(runJsonFile(ws, id), 'utf8')) as Record<string, unknown>;
  return [json['status'], report.anchor.state, report.signature.state];
}
