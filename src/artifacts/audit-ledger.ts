/**
 * The hash-chained audit ledger `audit.jsonl` (DESIGN §7). One JSON record per line:
 * `{seq, ts, type, step, status, context, data, prev_hash, hash}`, `hash = sha256(canonicalJson(record
 * without hash))`, line 1 a genesis record with `prev_hash` = 64 zeros and `seq` equal to the 1-based line
 * number. Each append rewrites the whole file atomically (ledgers are small), so a crash leaves the old or
 * the new ledger, never a torn line. Batch with `appendMany`: each call costs one fsync'ed rewrite.
 */
import { readFile } from 'node:fs/promises';
import { QuantError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { toJsonValue, type JsonObject } from './canonical-json.js';
import { toIsoSeconds } from './clock.js';
import { assertConfined } from './file-access.js';
import { memoOnce, readOnce } from './read-once.js';
import {
  checkLedgerText,
  GENESIS_PREV_HASH,
  hashRecordBody,
  type LedgerRecord,
  type LedgerVerdict,
} from './ledger-verify.js';

export { GENESIS_PREV_HASH, type LedgerRecord, type LedgerVerdict } from './ledger-verify.js';

/** What a caller appends; seq, ts and the hashes are filled in. */
export interface LedgerEntryInput {
  readonly type: 'intent' | 'outcome' | 'decision';
  readonly step: string;
  readonly status: string;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** An open ledger. Appends are serialised and each is durable when its promise resolves. */
export interface Ledger {
  readonly path: string;
  /** Records so far, genesis first. */
  readonly records: readonly LedgerRecord[];
  /** Hash of the last record. */
  readonly head: string;
  append(entry: LedgerEntryInput): Promise<LedgerRecord>;
  appendMany(entries: readonly LedgerEntryInput[]): Promise<LedgerRecord[]>;
}

export interface OpenLedgerOptions {
  /** Timestamp of every record written (a fixed Date under SOURCE_DATE_EPOCH), or a clock read per record. */
  readonly now: Date | (() => Date);
  /** Context and data of the genesis record, if the ledger is created. */
  readonly genesis?: {
    readonly context?: Readonly<Record<string, unknown>>;
    readonly data?: Readonly<Record<string, unknown>>;
  };
}

const ENTRY_TYPES = new Set(['intent', 'outcome', 'decision']);

function jsonObject(value: Readonly<Record<string, unknown>> | undefined, path: string): JsonObject {
  const json = toJsonValue(value ?? {}, path);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new TypeError(`${path} must be an object`);
  return json;
}

function buildRecord(
  seq: number,
  ts: string,
  prevHash: string,
  entry: Omit<LedgerEntryInput, 'type'> & { readonly type: LedgerRecord['type'] },
): LedgerRecord {
  const body = {
    seq,
    ts,
    type: entry.type,
    step: entry.step,
    status: entry.status,
    context: jsonObject(entry.context, '$.context'),
    data: jsonObject(entry.data, '$.data'),
    prev_hash: prevHash,
  };
  return { ...body, hash: hashRecordBody(body) };
}

/** The file text of a list of records: one compact JSON object per line, trailing newline. */
function formatLedger(records: readonly LedgerRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

function brokenError(path: string, verdict: LedgerVerdict): QuantError {
  const line = verdict.firstBroken?.line ?? 1;
  return new QuantError('E_AUDIT_BROKEN', `${path}:${line}: ${verdict.firstBroken?.reason ?? 'broken'}`, {
    location: { file: path, line },
    hint: 'the audit trail was modified or damaged; inspect it, or use a new run id',
  });
}

async function readText(path: string): Promise<string | undefined> {
  await assertConfined(path, 'read');
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Open `path`: create it with a genesis record if it does not exist, else verify the whole chain
 * (`E_AUDIT_BROKEN` naming the first broken line) and continue it.
 */
export async function openLedger(path: string, options: OpenLedgerOptions): Promise<Ledger> {
  const clock = (): string => toIsoSeconds(typeof options.now === 'function' ? options.now() : options.now);
  const text = await readText(path);
  let records: LedgerRecord[];
  // The file's text as written: an append writes it with the new lines after it, instead of formatting
  // every record again (records are never changed once written).
  let written: string;
  if (text === undefined) {
    const genesis = buildRecord(1, clock(), GENESIS_PREV_HASH, {
      type: 'genesis',
      step: 'genesis',
      status: 'created',
      ...(options.genesis?.context === undefined ? {} : { context: options.genesis.context }),
      ...(options.genesis?.data === undefined ? {} : { data: options.genesis.data }),
    });
    records = [genesis];
    written = formatLedger(records);
    await writeFileAtomic(path, written);
  } else {
    const checked = checkLedgerText(text);
    if (!checked.verdict.ok) throw brokenError(path, checked.verdict);
    records = checked.records;
    written = formatLedger(records);
  }

  let queue: Promise<unknown> = Promise.resolve();
  const appendBatch = (entries: readonly LedgerEntryInput[]): Promise<LedgerRecord[]> => {
    const run = async (): Promise<LedgerRecord[]> => {
      const added: LedgerRecord[] = [];
      let prev = records[records.length - 1] as LedgerRecord;
      for (const entry of entries) {
        if (!ENTRY_TYPES.has(entry.type))
          throw new TypeError(
            `ledger entry type must be intent, outcome or decision, not ${String(entry.type)}`,
          );
        prev = buildRecord(prev.seq + 1, clock(), prev.hash, entry);
        added.push(prev);
      }
      if (added.length === 0) return added;
      const next = [...records, ...added];
      const nextText = written + formatLedger(added);
      await writeFileAtomic(path, nextText);
      // Only after the write succeeded: memory never runs ahead of the disk.
      records = next;
      written = nextText;
      return added;
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };

  return {
    path,
    get records() {
      return records;
    },
    get head() {
      return (records[records.length - 1] as LedgerRecord).hash;
    },
    append: async (entry) => (await appendBatch([entry]))[0] as LedgerRecord,
    appendMany: appendBatch,
  };
}

function missingLedger(path: string): QuantError {
  return new QuantError('E_ARTIFACT_MISSING', `no audit ledger at ${path}`, {
    location: { file: path },
    hint: 'check the run id (`quant runs list`)',
  });
}

async function requireText(path: string): Promise<string> {
  const text = await readText(path);
  if (text === undefined) throw missingLedger(path);
  return text;
}

/**
 * Check the chain of `path`: parse, genesis, seq, prev_hash and hash of every line. `records` counts the
 * intact records before the first broken line; `firstBroken` names that line (1-based) and why.
 */
export async function verifyLedger(path: string): Promise<LedgerVerdict> {
  return checkLedgerText(await requireText(path)).verdict;
}

/** The records of a verified ledger; a broken chain is `E_AUDIT_BROKEN`. */
export async function readLedger(path: string): Promise<LedgerRecord[]> {
  const checked = checkLedgerText(await requireText(path));
  if (!checked.verdict.ok) throw brokenError(path, checked.verdict);
  return checked.records;
}

/**
 * The JSON objects of each line without checking the chain, for reading health records from ledgers that
 * other tools wrote (e.g. the predecessor's). An unparsable line is `E_AUDIT_BROKEN` naming it.
 */
export async function readLedgerLoose(path: string): Promise<JsonObject[]> {
  // Parsed once per run while the file is unchanged (read-once.ts); the caller gets its own array.
  await assertConfined(path, 'read'); // on every call: a stored value is handed out only past this check
  const records = await memoOnce(path, 'ledger-loose', async () => {
    let bytes: Uint8Array;
    try {
      bytes = await readOnce(path, () => readFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingLedger(path);
      throw error;
    }
    return parseLedgerLoose(
      path,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    );
  });
  return [...records];
}

function parseLedgerLoose(path: string, text: string): JsonObject[] {
  const lines = text.split('\n');
  const out: JsonObject[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw brokenError(path, {
        ok: false,
        records: out.length,
        firstBroken: { line: i + 1, reason: 'not valid JSON' },
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw brokenError(path, {
        ok: false,
        records: out.length,
        firstBroken: { line: i + 1, reason: 'not a JSON object' },
      });
    }
    out.push(value as JsonObject);
  }
  return out;
}
