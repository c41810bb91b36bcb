/**
 * The ledger's anchor in run.json: `ledger: {head_sha256, records[, hmac]}`, written under the run lock
 * whenever a run gets its final status. The chain alone proves that no record was edited in place; the
 * anchor also pins where the chain ends, so that a record appended later, a truncated ledger or a ledger
 * re-chained from scratch no longer matches. With `QUANT_LEDGER_KEY` set, an HMAC-SHA256 over the run id
 * and the anchor proves that run.json was not rewritten along with the ledger by someone without the key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { QuantError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import type { LedgerRecord } from './ledger-verify.js';
import type { Env } from '../util/env.js';

/** The environment variable holding the signing key. */
export const LEDGER_KEY_VARIABLE = 'QUANT_LEDGER_KEY';
/** Shortest key accepted, in bytes of its UTF-8 text (`openssl rand -hex 32` gives 64). */
const MIN_LEDGER_KEY_BYTES = 32;

/** The member of run.json that holds the anchor. */
export const LEDGER_ANCHOR_MEMBER = 'ledger';

/** What run.json records about its ledger. */
export interface LedgerAnchor {
  /** `hash` of the last record. */
  readonly head_sha256: string;
  /** Number of records, genesis included. */
  readonly records: number;
  /** HMAC-SHA256 (hex) of the run id and the two members above, when a key was set. */
  readonly hmac?: string;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A signing key. Its bytes live in a private field: the key never reaches JSON, `util.inspect` or an
 * error message, and nothing in metafolio writes it anywhere.
 */
export class LedgerKey {
  readonly #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /**
   * The key of `QUANT_LEDGER_KEY`, or undefined when it is unset or empty. A key shorter than
   * {@link MIN_LEDGER_KEY_BYTES} is `E_AUDIT_KEY` (its length is named, never its text).
   */
  static fromEnv(env: Env): LedgerKey | undefined {
    const text = env[LEDGER_KEY_VARIABLE];
    if (text === undefined || text === '') return undefined;
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length < MIN_LEDGER_KEY_BYTES) {
      throw new QuantError(
        'E_AUDIT_KEY',
        `${LEDGER_KEY_VARIABLE} is ${bytes.length} bytes long; a ledger key needs at least ${MIN_LEDGER_KEY_BYTES}`,
        { hint: `set it to a random secret, e.g. the output of \`openssl rand -hex 32\`, or unset it` },
      );
    }
    return new LedgerKey(bytes);
  }

  /**
   * {@link LedgerKey.fromEnv} for a listing that settles dead runs: a key too short to use is undefined
   * (the listing does not fail on it; a signed dead run is then reported incomplete and left as it is).
   */
  static forSettling(env: Env): LedgerKey | undefined {
    try {
      return LedgerKey.fromEnv(env);
    } catch (error) {
      if (error instanceof QuantError && error.code === 'E_AUDIT_KEY') return undefined;
      throw error;
    }
  }

  /** HMAC-SHA256 of `text` (UTF-8) as 64 hex digits. */
  sign(text: string): string {
    return createHmac('sha256', this.#bytes).update(text, 'utf8').digest('hex');
  }

  toJSON(): string {
    return '[ledger key]';
  }

  [INSPECT](): string {
    return 'LedgerKey [hidden]';
  }
}

// What the HMAC covers: the run id binds the anchor to its run (a signed anchor copied into another run
// does not verify); the purpose string keeps the MAC from meaning anything else.
function signedText(runId: string, anchor: Pick<LedgerAnchor, 'head_sha256' | 'records'>): string {
  return canonicalJson({
    head_sha256: anchor.head_sha256,
    purpose: 'metafolio ledger anchor v1',
    records: anchor.records,
    run_id: runId,
  });
}

/** The anchor of `records` (the whole ledger, genesis first), signed when `key` is given. */
export function anchorLedger(
  runId: string,
  records: readonly LedgerRecord[],
  key: LedgerKey | undefined,
): LedgerAnchor {
  const last = records[records.length - 1];
  if (last === undefined) throw new TypeError('anchorLedger: a ledger has at least its genesis record');
  const anchor = { head_sha256: last.hash, records: records.length };
  return key === undefined ? anchor : { ...anchor, hmac: key.sign(signedText(runId, anchor)) };
}

/** Whether the anchor's `hmac` is the one `key` gives for `runId` (compared in constant time). */
export function anchorSignatureValid(runId: string, anchor: LedgerAnchor, key: LedgerKey): boolean {
  if (anchor.hmac === undefined) return false;
  const expected = Buffer.from(key.sign(signedText(runId, anchor)), 'hex');
  const found = Buffer.from(anchor.hmac, 'hex');
  return found.length === expected.length && timingSafeEqual(found, expected);
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The anchor member of a parsed run.json: undefined when absent, `E_RUN_CORRUPT` naming the member when
 * it is malformed (it is untrusted: whoever can write the workspace can write run.json).
 */
export function readLedgerAnchor(
  json: Readonly<Record<string, unknown>>,
  file: string,
): LedgerAnchor | undefined {
  if (!Object.hasOwn(json, LEDGER_ANCHOR_MEMBER)) return undefined;
  const value = json[LEDGER_ANCHOR_MEMBER];
  const bad = (what: string): QuantError =>
    new QuantError('E_RUN_CORRUPT', `${file}: "ledger" ${what}`, {
      location: { file, jsonPath: '$.ledger' },
      hint: 'run.json was edited by hand or damaged; restore it from a backup',
    });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be an object');
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).find((k) => !['head_sha256', 'records', 'hmac'].includes(k));
  if (extra !== undefined) throw bad(`has an unknown member ${JSON.stringify(extra)}`);
  if (typeof v['head_sha256'] !== 'string' || !HEX64.test(v['head_sha256']))
    throw bad('head_sha256 must be 64 lower-case hex digits');
  if (!Number.isSafeInteger(v['records']) || (v['records'] as number) < 1)
    throw bad('records must be a positive integer');
  if (v['hmac'] !== undefined && (typeof v['hmac'] !== 'string' || !HEX64.test(v['hmac'])))
    throw bad('hmac must be 64 lower-case hex digits');
  return {
    head_sha256: v['head_sha256'],
    records: v['records'] as number,
    ...(v['hmac'] === undefined ? {} : { hmac: v['hmac'] as string }),
  };
}
