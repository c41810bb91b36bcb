import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  GENESIS_PREV_HASH,
  openLedger,
  readLedger,
  readLedgerLoose,
  verifyLedger,
} from '../../../src/artifacts/audit-ledger.js';
import { canonicalJson } from '../../../src/artifacts/canonical-json.js';
import { sha256Hex } from '../../../src/artifacts/hash.js';
import { quantError, tempDir } from './_temp.js';

const NOW = new Date('2026-01-01T00:00:00Z');

async function sample(dir = tempDir()): Promise<string> {
  const path = join(dir, 'audit.jsonl');
  const ledger = await openLedger(path, { now: NOW, genesis: { context: { run_id: 'r' } } });
  await ledger.append({
    type: 'intent',
    step: 'meta.returns',
    status: 'started',
    context: { stage: 'meta.returns' },
    data: { params: { p: 'hrp' } },
  });
  await ledger.appendMany([
    { type: 'decision', step: 'meta.returns', status: 'recorded', data: { excluded: 'b', reason: 'health' } },
    {
      type: 'outcome',
      step: 'meta.returns',
      status: 'success',
      data: { outputs: [{ path: 'x', sha256: 'ab' }], w: 0.1 + 0.2 },
    },
  ]);
  await ledger.append({ type: 'intent', step: 'meta.optimize', status: 'started' });
  return path;
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

describe('audit ledger', () => {
  test('genesis, seq = line number, prev_hash chain and hash = sha256(canonical JSON without hash)', async () => {
    const path = await sample();
    const records = await readLedger(path);
    assert.equal(records.length, 5, 'records.length');
    assert.deepEqual(
      records.map((r) => r.seq),
      [1, 2, 3, 4, 5],
      'records.map((r) => r.seq)',
    );
    assert.deepEqual(
      records.map((r) => r.type),
      ['genesis', 'intent', 'decision', 'outcome', 'intent'],
      'records.map((r) => r.type)',
    );
    assert.equal(records[0]?.prev_hash, GENESIS_PREV_HASH, 'records[0]?.prev_hash');
    assert.deepEqual(records[0]?.context, { run_id: 'r' }, 'records[0]?.context');
    for (let i = 0; i < records.length; i++) {
      const { hash, ...body } = records[i]!;
      assert.equal(hash, sha256Hex(canonicalJson(body)), 'hash');
      if (i > 0) assert.equal(records[i]!.prev_hash, records[i - 1]!.hash, 'records[i].prev_hash');
      assert.equal(records[i]!.ts, '2026-01-01T00:00:00Z', 'records[i].ts');
    }
    assert.equal(records[3]?.data['w'], 0.30000000000000004, "records[3]?.data['w']");
    assert.deepEqual(records[4]?.context, {}, 'records[4]?.context');
    assert.deepEqual(await verifyLedger(path), { ok: true, records: 5 }, 'await verifyLedger(path)');
    assert.match(
      lines(path)[0]!,
      /^\{"seq":1,"ts":"2026-01-01T00:00:00Z","type":"genesis","step":"genesis","status":"created","context":\{"run_id":"r"\},"data":\{\},"prev_hash":"0{64}","hash":"[0-9a-f]{64}"\}$/,
      'lines(path)[0] matches /^\\{"seq":1,"ts":"2026-01-01T00:00:00Z","type":"genesis","s…',
    );
  });

  test('same inputs give byte-identical ledgers', async () => {
    assert.equal(
      readFileSync(await sample(), 'utf8'),
      readFileSync(await sample(), 'utf8'),
      "readFileSync(await sample(), 'utf8')",
    );
  });

  test('reopening verifies and continues the chain', async () => {
    const path = await sample();
    const ledger = await openLedger(path, { now: NOW });
    assert.equal(ledger.records.length, 5, 'ledger.records.length');
    const rec = await ledger.append({ type: 'outcome', step: 'meta.optimize', status: 'success' });
    assert.equal(rec.seq, 6, 'rec.seq');
    assert.equal(rec.prev_hash, (await readLedger(path))[4]?.hash, 'rec.prev_hash');
    assert.equal(ledger.head, rec.hash, 'ledger.head');
    assert.deepEqual(await verifyLedger(path), { ok: true, records: 6 }, 'await verifyLedger(path)');
  });

  test('an append whose write fails is not part of the next one; the file is every record, once', async () => {
    const path = await sample();
    const ledger = await openLedger(path, { now: NOW });
    // Something in the way of the ledger: the write of the append fails.
    rmSync(path);
    mkdirSync(path);
    await assert.rejects(
      ledger.append({ type: 'outcome', step: 'lost', status: 'success' }),
      quantError('E_OUTPUT', /audit\.jsonl/),
      'the append fails',
    );
    rmSync(path, { recursive: true });
    const rec = await ledger.append({ type: 'outcome', step: 'kept', status: 'success' });
    assert.equal(rec.seq, 6, 'the next record follows the last written one');
    const records = await readLedger(path);
    assert.deepEqual(
      records.map((r) => r.step),
      ['genesis', 'meta.returns', 'meta.returns', 'meta.returns', 'meta.optimize', 'kept'],
      'the file holds every written record once, without the failed one',
    );
    assert.equal(
      readFileSync(path, 'utf8'),
      records.map((r) => `${JSON.stringify(r)}\n`).join(''),
      'one compact line per record',
    );
  });

  test('concurrent appends are serialised in call order', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const ledger = await openLedger(path, { now: () => NOW });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ledger.append({ type: 'decision', step: `s${i}`, status: 'recorded' }),
      ),
    );
    const records = await readLedger(path);
    assert.deepEqual(
      records.slice(1).map((r) => r.step),
      Array.from({ length: 20 }, (_, i) => `s${i}`),
      'records.slice(1).map((r) => r.step)',
    );
  });

  test('a failed append (NaN in data) leaves file and memory unchanged', async () => {
    const path = await sample();
    const before = readFileSync(path, 'utf8');
    const ledger = await openLedger(path, { now: NOW });
    await assert.rejects(
      ledger.append({ type: 'outcome', step: 'x', status: 'success', data: { sharpe: Number.NaN } }),
      quantError('E_OUTPUT', /\$\.data\.sharpe/),
      'ledger.append rejects with E_OUTPUT',
    );
    assert.equal(readFileSync(path, 'utf8'), before, "readFileSync(path, 'utf8')");
    assert.equal(ledger.records.length, 5, 'ledger.records.length');
    assert.equal(
      (await ledger.append({ type: 'outcome', step: 'x', status: 'success' })).seq,
      6,
      "(await ledger.append({ type: 'outcome', step: 'x', status: 'success' …",
    );
  });

  describe('tampering is detected at the first broken line', () => {
    const cases: Array<[string, (l: string[]) => string[], number, RegExp]> = [
      [
        'an edited field',
        (l) => l.map((x, i) => (i === 2 ? x.replace('"health"', '"other"') : x)),
        3,
        /hash does not match/,
      ],
      [
        'an edited field with its hash recomputed',
        (l) => {
          const rec = JSON.parse(l[2]!) as Record<string, unknown>;
          rec['status'] = 'forged';
          const { hash: _h, ...body } = rec;
          rec['hash'] = sha256Hex(canonicalJson(body));
          return l.map((x, i) => (i === 2 ? JSON.stringify(rec) : x));
        },
        4,
        /prev_hash does not match the hash of line 3/,
      ],
      ['a deleted line', (l) => l.filter((_, i) => i !== 2), 3, /seq is 4, expected 3/],
      ['two lines swapped', (l) => [l[0]!, l[2]!, l[1]!, l[3]!, l[4]!], 2, /seq is 3, expected 2/],
      ['a truncated last line', (l) => [...l.slice(0, 4), l[4]!.slice(0, 40)], 5, /not valid JSON/],
      ['the genesis removed', (l) => l.slice(1), 1, /line 1 is not a genesis record/],
      [
        'a reformatted line',
        (l) => l.map((x, i) => (i === 1 ? JSON.stringify(JSON.parse(x), null, 1).replace(/\n/g, '') : x)),
        2,
        /not in its written form/,
      ],
      ['an empty line inserted', (l) => [l[0]!, '', ...l.slice(1)], 2, /empty line/],
      [
        'a number too large for a double (1e999 parses as Infinity)',
        (l) => l.map((x, i) => (i === 2 ? x.replace('"health"', '1e999') : x)),
        3,
        /a value that cannot be hashed \(non-finite number\)/,
      ],
      [
        'a number too large for a double, the hash recomputed as if it were null',
        (l) => {
          const rec = JSON.parse(l[2]!) as { data: Record<string, unknown>; hash: string };
          rec.data['reason'] = null;
          const { hash: _h, ...body } = rec;
          rec.hash = sha256Hex(canonicalJson(body));
          return l.map((x, i) =>
            i === 2 ? JSON.stringify(rec).replace('"reason":null', '"reason":1e999') : x,
          );
        },
        3,
        /cannot be hashed|not in its written form/,
      ],
    ];
    for (const [name, mutate, line, reason] of cases) {
      test(name, async () => {
        const path = await sample();
        writeFileSync(path, `${mutate(lines(path)).join('\n')}\n`);
        const verdict = await verifyLedger(path);
        assert.equal(verdict.ok, false, 'verdict.ok');
        assert.equal(verdict.firstBroken?.line, line, 'verdict.firstBroken?.line');
        assert.match(
          verdict.firstBroken?.reason ?? '',
          reason,
          "verdict.firstBroken?.reason ?? '' matches reason",
        );
        assert.equal(verdict.records, line - 1, 'verdict.records');
        await assert.rejects(
          openLedger(path, { now: NOW }),
          quantError('E_AUDIT_BROKEN', new RegExp(`audit\\.jsonl:${line}: `)),
          'openLedger rejects with E_AUDIT_BROKEN',
        );
        await assert.rejects(
          readLedger(path),
          quantError('E_AUDIT_BROKEN'),
          'readLedger rejects with E_AUDIT_BROKEN',
        );
      });
    }
  });

  test('a file cut exactly at the final newline still verifies; an empty file does not', async () => {
    const path = await sample();
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, -1));
    assert.deepEqual(await verifyLedger(path), { ok: true, records: 5 }, 'await verifyLedger(path)');
    writeFileSync(path, '');
    assert.deepEqual(
      await verifyLedger(path),
      {
        ok: false,
        records: 0,
        firstBroken: { line: 1, reason: 'the ledger is empty (no genesis record)' },
      },
      'await verifyLedger(path)',
    );
  });

  test('missing ledger: E_ARTIFACT_MISSING; readLedgerLoose reads foreign JSONL', async () => {
    const dir = tempDir();
    await assert.rejects(
      verifyLedger(join(dir, 'none.jsonl')),
      quantError('E_ARTIFACT_MISSING'),
      'verifyLedger rejects with E_ARTIFACT_MISSING',
    );
    const foreign = join(dir, 'foreign.jsonl');
    writeFileSync(
      foreign,
      '{"type":"outcome","step":"backtest_optimize","status":"success"}\n\n{"type":"outcome"}\n',
    );
    assert.deepEqual(
      (await readLedgerLoose(foreign)).map((r) => r['type']),
      ['outcome', 'outcome'],
      "(await readLedgerLoose(foreign)).map((r) => r['type'])",
    );
    writeFileSync(foreign, '{"a":1}\n{"a":\n');
    await assert.rejects(
      readLedgerLoose(foreign),
      quantError('E_AUDIT_BROKEN', /foreign\.jsonl:2: not valid JSON/),
      'readLedgerLoose rejects with E_AUDIT_BROKEN',
    );
  });
});
