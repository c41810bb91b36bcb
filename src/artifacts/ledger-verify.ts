/** Record model and chain verification of the audit ledger (see audit-ledger.ts). Pure: text in, verdict out. */
import { canonicalJson, canonicalJsonOf, type JsonObject, type JsonValue } from './canonical-json.js';
import { sha256Hex } from './hash.js';

export const LEDGER_RECORD_TYPES = ['genesis', 'intent', 'outcome', 'decision'] as const;
export type LedgerRecordType = (typeof LEDGER_RECORD_TYPES)[number];

/** `prev_hash` of the genesis record. */
export const GENESIS_PREV_HASH = '0'.repeat(64);

/** One ledger line, in the order its members are written. */
export interface LedgerRecord {
  readonly seq: number;
  readonly ts: string;
  readonly type: LedgerRecordType;
  readonly step: string;
  readonly status: string;
  readonly context: JsonObject;
  readonly data: JsonObject;
  readonly prev_hash: string;
  readonly hash: string;
}

/** Result of verifying a ledger. */
export interface LedgerVerdict {
  readonly ok: boolean;
  /** Intact records before the first broken line (all of them when ok). */
  readonly records: number;
  readonly firstBroken?: { readonly line: number; readonly reason: string };
}

/** SHA-256 of the canonical JSON of a record without its `hash`. */
export function hashRecordBody(body: Omit<LedgerRecord, 'hash'>): string {
  return sha256Hex(canonicalJson(body));
}

const HEX64 = /^[0-9a-f]{64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shapeProblem(v: Record<string, unknown>): string | undefined {
  if (!Number.isSafeInteger(v['seq'])) return 'seq is not an integer';
  if (typeof v['ts'] !== 'string') return 'ts is not a string';
  if (!LEDGER_RECORD_TYPES.includes(v['type'] as LedgerRecordType))
    return `unknown type ${JSON.stringify(v['type'])}`;
  if (typeof v['step'] !== 'string') return 'step is not a string';
  if (typeof v['status'] !== 'string') return 'status is not a string';
  if (!isObject(v['context'])) return 'context is not an object';
  if (!isObject(v['data'])) return 'data is not an object';
  if (typeof v['prev_hash'] !== 'string' || !HEX64.test(v['prev_hash']))
    return 'prev_hash is not 64 hex digits';
  if (typeof v['hash'] !== 'string' || !HEX64.test(v['hash'])) return 'hash is not 64 hex digits';
  const extra = Object.keys(v).find((k) => !RECORD_KEYS.includes(k));
  return extra === undefined ? undefined : `unexpected member ${JSON.stringify(extra)}`;
}

const RECORD_KEYS = ['seq', 'ts', 'type', 'step', 'status', 'context', 'data', 'prev_hash', 'hash'];

// Problem with line `lineNo` (1-based) given the previous intact record, or undefined when it is intact.
function lineProblem(line: string, lineNo: number, prev: LedgerRecord | undefined): string | LedgerRecord {
  if (line.trim() === '') return 'empty line';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 'not valid JSON (truncated or edited)';
  }
  if (!isObject(parsed)) return 'not a JSON object';
  const shape = shapeProblem(parsed);
  if (shape !== undefined) return `malformed record: ${shape}`;
  const record = parsed as unknown as LedgerRecord;
  const { hash, ...body } = record;
  // What JSON.parse returns is a plain JSON tree already, so its canonical text needs no conversion first
  // (hashRecordBody's); only a number too large for a double (1e999 parses as Infinity) would be written
  // as null there, and such a line fails below either way — this hash, or its written form.
  if (sha256Hex(canonicalJsonOf(body as JsonValue)) !== hash) {
    try {
      hashRecordBody(body);
    } catch {
      return 'the record holds a value that cannot be hashed (non-finite number)';
    }
    return 'hash does not match the record content (the record was edited)';
  }
  const canonicalLine = JSON.stringify(Object.fromEntries(RECORD_KEYS.map((k) => [k, parsed[k]])));
  if (canonicalLine !== line)
    return 'the line is not in its written form (reformatted, reordered members or duplicate keys)';
  if (lineNo === 1) {
    if (record.type !== 'genesis' || record.prev_hash !== GENESIS_PREV_HASH)
      return 'line 1 is not a genesis record';
  } else if (record.type === 'genesis') {
    return 'a genesis record after line 1';
  }
  if (record.seq !== lineNo)
    return `seq is ${record.seq}, expected ${lineNo} (a record was deleted, inserted or moved)`;
  if (prev !== undefined && record.prev_hash !== prev.hash)
    return `prev_hash does not match the hash of line ${lineNo - 1}`;
  return record;
}

/** Verify ledger text; returns the verdict and the intact records. */
export function checkLedgerText(text: string): { verdict: LedgerVerdict; records: LedgerRecord[] } {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline ends the last line
  const records: LedgerRecord[] = [];
  if (lines.length === 0) {
    return {
      verdict: {
        ok: false,
        records: 0,
        firstBroken: { line: 1, reason: 'the ledger is empty (no genesis record)' },
      },
      records,
    };
  }
  for (let i = 0; i < lines.length; i++) {
    const result = lineProblem(lines[i] as string, i + 1, records[records.length - 1]);
    if (typeof result === 'string') {
      return {
        verdict: { ok: false, records: records.length, firstBroken: { line: i + 1, reason: result } },
        records,
      };
    }
    records.push(result);
  }
  return { verdict: { ok: true, records: records.length }, records };
}
