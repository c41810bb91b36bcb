// The ledger's anchor in run.json, through the SDK: written under the run lock with the final status,
// signed with QUANT_LEDGER_KEY when set (never writing the key), byte-identical across reruns, and checked
// by QuantSDK.verifyAudit against appended, truncated and re-chained ledgers and modified outputs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { QuantError } from '../../../src/errors.js';
import { hashRecordBody, type LedgerRecord } from '../../../src/artifacts/ledger-verify.js';
import { openLedger } from '../../../src/artifacts/index.js';
import { REPO, tempDir } from '../../helpers/cli.js';

const SWX = join(REPO, 'data', 'swx_prices.csv');
const KEY = 'k'.repeat(40);
const OTHER_KEY = 'z'.repeat(40);
const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

/** Ledger text of records, one JSON line each (their member order is the written one). */
const formatLedger = (rs: readonly LedgerRecord[]): string =>
  rs.map((r) => `${JSON.stringify(r)}\n`).join('');

interface Anchor {
  head_sha256: string;
  records: number;
  hmac?: string;
}

describe('ledger anchor (SDK)', () => {
  let ws: { path: string; cleanup(): void };
  before(() => (ws = tempDir('quant-anchor-')));
  after(() => ws.cleanup());

  const dir = (id: string): string => join(ws.path, 'runs', id);
  const runJson = (id: string): Record<string, unknown> =>
    JSON.parse(readFileSync(join(dir(id), 'run.json'), 'utf8')) as Record<string, unknown>;
  const records = (id: string): LedgerRecord[] =>
    readFileSync(join(dir(id), 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerRecord);
  const run = (id: string, env: NodeJS.ProcessEnv = EPOCH, workspace = ws.path) =>
    QuantSDK.runStage(
      'portfolio.optimize',
      { input: SWX, method: 'inverse_variance' },
      { workspace, runId: id, env },
    );
  const verify = (id: string, env: NodeJS.ProcessEnv = {}, strict = false) =>
    QuantSDK.verifyAudit(id, { workspace: ws.path, env, strict });

  test('run.json records the head hash and record count of the ledger as it ends', async () => {
    await run('a1');
    const ledger = records('a1');
    const anchor = runJson('a1')['ledger'] as Anchor;
    assert.deepEqual(
      anchor,
      { head_sha256: ledger[ledger.length - 1]?.hash, records: ledger.length },
      'anchor = last hash and count, unsigned without a key',
    );
    const report = await verify('a1');
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.anchor.state, 'match', 'the anchor matches');
    assert.equal(report.signature.state, 'unsigned', 'no key at run time: unsigned');
    assert.equal(report.outputs.checked, 1, 'the weights file is checked');
    assert.equal(report.outputs.matched, 1, 'and matches');
  });

  test('a failed stage run into a run anchors it too', async () => {
    await run('f1');
    await assert.rejects(
      QuantSDK.runStage(
        'portfolio.optimize',
        { input: SWX, method: 'min_variance', min_weight: 0.5 },
        {
          workspace: ws.path,
          runId: 'f1',
          env: EPOCH,
        },
      ),
      (e: unknown) => e instanceof QuantError,
      'infeasible bounds fail the run',
    );
    const ledger = records('f1');
    assert.equal(
      runJson('f1')['status'],
      'success',
      'a refused stage that wrote nothing leaves the run as it was',
    );
    assert.equal(ledger.at(-1)?.['status'], 'error', 'the ledger records the refused attempt');
    assert.equal((runJson('f1')['ledger'] as Anchor).records, ledger.length, 'anchored at its end');
  });

  test('with QUANT_LEDGER_KEY the head is signed; verify checks it with the key and says so without it', async () => {
    await run('s1', { ...EPOCH, QUANT_LEDGER_KEY: KEY });
    const anchor = runJson('s1')['ledger'] as Anchor;
    assert.match(anchor.hmac ?? '', /^[0-9a-f]{64}$/, 'an HMAC-SHA256 in hex');
    for (const file of readdirSync(dir('s1'), { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const text = readFileSync(join(file.parentPath, file.name), 'utf8');
      assert.ok(!text.includes(KEY), `the key is written nowhere (found in ${file.name})`);
    }
    assert.equal((await verify('s1', { QUANT_LEDGER_KEY: KEY })).signature.state, 'valid', 'right key');
    const absent = await verify('s1');
    assert.equal(absent.ok, true, 'a key absent is not a failure');
    assert.equal(absent.signature.state, 'not_checked', 'but it is said');
    const wrong = await verify('s1', { QUANT_LEDGER_KEY: OTHER_KEY });
    assert.equal(wrong.ok, false, 'another key fails');
    assert.equal(wrong.problems[0]?.code, 'E_AUDIT_SIGNATURE', 'coded E_AUDIT_SIGNATURE');
    assert.match(wrong.problems[0]?.message ?? '', /runs\/s1\/run\.json: the HMAC/, 'naming run.json');
  });

  test('anchors are deterministic: the same run twice gives byte-identical run.json and ledger, signed or not', async () => {
    const other = tempDir('quant-anchor-');
    try {
      for (const env of [EPOCH, { ...EPOCH, QUANT_LEDGER_KEY: KEY }]) {
        const id = env === EPOCH ? 'd0' : 'd1';
        await run(id, env);
        await run(id, env, other.path);
        for (const f of ['run.json', 'audit.jsonl'])
          assert.ok(
            readFileSync(join(dir(id), f)).equals(readFileSync(join(other.path, 'runs', id, f))),
            `${id}/${f} byte-identical`,
          );
      }
    } finally {
      other.cleanup();
    }
  });

  test('a short key is E_AUDIT_KEY before anything is written, and the message never shows the key', async () => {
    const secret = 'short-secret';
    await assert.rejects(
      run('k1', { ...EPOCH, QUANT_LEDGER_KEY: secret }),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_AUDIT_KEY' &&
        /12 bytes/.test(e.message) &&
        !e.oneLine().includes(secret),
      'coded, with the length only',
    );
    assert.ok(!readdirSync(join(ws.path, 'runs')).includes('k1'), 'no run folder');
  });

  test('a record appended after the run finished is E_AUDIT_APPENDED with expected and found counts', async () => {
    await run('x1');
    const before = records('x1').length;
    const ledger = await openLedger(join(dir('x1'), 'audit.jsonl'), { now: new Date(0) });
    await ledger.append({ type: 'decision', step: 'forged', status: 'recorded' });
    const report = await verify('x1');
    assert.equal(report.anchor.state, 'appended', 'appended');
    const p = report.problems[0];
    assert.equal(p?.code, 'E_AUDIT_APPENDED', 'coded');
    assert.equal(p?.line, before + 1, 'the first added line');
    assert.match(
      p?.message ?? '',
      new RegExp(
        `runs/x1/audit\\.jsonl: 1 record\\(s\\) appended .*anchors ${before} records .*the ledger has ${before + 1}`,
      ),
      'names the file and both counts',
    );
  });

  test('a stage run into a run whose ledger was appended to is refused before run.json is touched', async () => {
    const before = readFileSync(join(dir('x1'), 'run.json'));
    await assert.rejects(
      run('x1'),
      (e: unknown) => e instanceof QuantError && e.code === 'E_AUDIT_APPENDED',
      'coded E_AUDIT_APPENDED: the tampered ledger is never re-anchored',
    );
    assert.ok(readFileSync(join(dir('x1'), 'run.json')).equals(before), 'run.json unchanged');
    await assert.rejects(
      run('s1', { ...EPOCH, QUANT_LEDGER_KEY: OTHER_KEY }),
      (e: unknown) => e instanceof QuantError && e.code === 'E_AUDIT_SIGNATURE',
      'a run signed with another key is not reopened and re-signed',
    );
  });

  test('a signed run is not added to without the key: it would be left unsigned', async () => {
    await run('k1', { ...EPOCH, QUANT_LEDGER_KEY: KEY });
    const before = readFileSync(join(dir('k1'), 'run.json'));
    const ledgerBefore = readFileSync(join(dir('k1'), 'audit.jsonl'));
    await assert.rejects(
      run('k1'),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_AUDIT_KEY' &&
        /runs\/k1\/run\.json: the run is signed and QUANT_LEDGER_KEY is not set/.test(e.message) &&
        /set QUANT_LEDGER_KEY to the key the run was signed with/.test(e.hint ?? ''),
      'coded E_AUDIT_KEY naming run.json, with the fix',
    );
    assert.ok(readFileSync(join(dir('k1'), 'run.json')).equals(before), 'run.json unchanged');
    assert.ok(readFileSync(join(dir('k1'), 'audit.jsonl')).equals(ledgerBefore), 'ledger unchanged');
    assert.equal((await verify('k1', { QUANT_LEDGER_KEY: KEY })).signature.state, 'valid', 'still signed');
    await run('k1', { ...EPOCH, QUANT_LEDGER_KEY: KEY });
    assert.equal(
      (await verify('k1', { QUANT_LEDGER_KEY: KEY })).signature.state,
      'valid',
      'with its key the run is added to and signed again',
    );
  });

  test('a signed run whose process died is settled signed with the key, and left as it is without it', async () => {
    // A signed run, then a stage run into it (with the key) that died mid-stage: status running, the
    // former signed anchor, an intent record after it, no live lock.
    await run('d1', { ...EPOCH, QUANT_LEDGER_KEY: KEY });
    const ledger = await openLedger(join(dir('d1'), 'audit.jsonl'), { now: new Date(0) });
    await ledger.append({ type: 'intent', step: 'portfolio.optimize', status: 'started' });
    writeFileSync(
      join(dir('d1'), 'run.json'),
      `${JSON.stringify({ ...runJson('d1'), status: 'running' }, null, 2)}\n`,
    );
    const died = readFileSync(join(dir('d1'), 'run.json'));
    const pending = await verify('d1', { QUANT_LEDGER_KEY: KEY });
    assert.deepEqual(
      [pending.status, pending.anchor.state, pending.signature.state, pending.problems.map((p) => p.code)],
      ['incomplete', 'pending', 'valid', ['E_INTERRUPTED']],
      'verify explains it: the former signed anchor pins a prefix, the rest awaits settling',
    );
    const { describeAudit } = await import('../../../src/sdk/run-audit.js');
    assert.ok(
      describeAudit(pending).includes(
        `anchor: run.json anchors the first ${records('d1').length - 1} records, from before the run was added to; its process is gone before it anchored the rest (\`quant runs list\` settles and anchors it, with QUANT_LEDGER_KEY: the run is signed)`,
      ),
      describeAudit(pending).join('\n'),
    );

    const strict = await verify('d1', { QUANT_LEDGER_KEY: KEY }, true);
    assert.match(
      strict.problems.find((p) => p.code === 'E_AUDIT_UNANCHORED')?.message ?? '',
      /runs\/d1\/run\.json: the ledger anchor pins \d+ of \d+ records \(status running\): nothing pins where/,
      '--strict names the records the anchor does not pin',
    );

    // Without the key: reported incomplete where it stopped, run.json left as it is (still signed).
    const listed = (await QuantSDK.listRuns({ workspace: ws.path, env: {} })).runs.find(
      (r) => r.run_id === 'd1',
    );
    assert.deepEqual(
      [listed?.status, listed?.['interrupted_stage']],
      ['incomplete', 'portfolio.optimize'],
      'listed as incomplete, where it stopped',
    );
    assert.ok(
      readFileSync(join(dir('d1'), 'run.json')).equals(died),
      'run.json left as it is without the key',
    );

    // With the key: settled and anchored, signed.
    await QuantSDK.listRuns({ workspace: ws.path, env: { QUANT_LEDGER_KEY: KEY } });
    assert.equal(runJson('d1')['status'], 'incomplete', 'settled with the key');
    const settled = await verify('d1', { QUANT_LEDGER_KEY: KEY }, true);
    assert.deepEqual(
      [settled.anchor.state, settled.signature.state, settled.problems.map((p) => p.code)],
      ['match', 'valid', ['E_INTERRUPTED']],
      'the whole ledger is anchored and signed',
    );
  });

  test('a truncated ledger is E_AUDIT_TRUNCATED', async () => {
    await run('t1');
    const ledger = records('t1');
    writeFileSync(join(dir('t1'), 'audit.jsonl'), formatLedger(ledger.slice(0, -1)));
    const report = await verify('t1');
    assert.equal(report.problems[0]?.code, 'E_AUDIT_TRUNCATED', 'coded');
    assert.match(
      report.problems[0]?.message ?? '',
      new RegExp(
        `runs/t1/audit\\.jsonl: truncated: run\\.json anchors ${ledger.length} records .* the ledger has ${ledger.length - 1}`,
      ),
      'names both counts',
    );
  });

  test('a ledger re-chained consistently from an edit is E_AUDIT_REWRITTEN (the chain alone verifies)', async () => {
    await run('w1');
    const rechained: LedgerRecord[] = [];
    for (const r of records('w1')) {
      const prev = rechained[rechained.length - 1]?.hash ?? r.prev_hash;
      const body = { ...r, prev_hash: prev, status: r.type === 'outcome' ? 'success ' : r.status };
      const { hash: _drop, ...rest } = body;
      void _drop;
      rechained.push({ ...rest, hash: hashRecordBody(rest) });
    }
    writeFileSync(join(dir('w1'), 'audit.jsonl'), formatLedger(rechained));
    const report = await verify('w1');
    assert.equal(report.firstBroken, undefined, 'the chain itself is intact');
    assert.equal(report.problems[0]?.code, 'E_AUDIT_REWRITTEN', 'coded');
    assert.match(
      report.problems[0]?.message ?? '',
      /runs\/w1\/audit\.jsonl: rewritten: record 3 has hash/,
      'named',
    );
  });

  test('a modified, a missing and a linked-out output are each named', async () => {
    await run('o1');
    const weights = join(dir('o1'), 'data', 'weights_inverse_variance.json');
    writeFileSync(weights, '{}\n');
    let report = await verify('o1');
    assert.equal(report.problems[0]?.code, 'E_AUDIT_OUTPUT', 'modified: coded');
    assert.match(
      report.problems[0]?.message ?? '',
      /^runs\/o1\/data\/weights_inverse_variance\.json: modified since runs\/o1\/audit\.jsonl:3 recorded it: sha256 expected [0-9a-f]{16}…, found [0-9a-f]{16}…$/,
      'modified: the file, the record and both hashes',
    );
    rmSync(weights);
    report = await verify('o1');
    assert.match(
      report.problems[0]?.message ?? '',
      /^runs\/o1\/data\/weights_inverse_variance\.json: missing; /,
      'missing',
    );
    symlinkSync(SWX, weights);
    report = await verify('o1');
    assert.equal(report.problems[0]?.code, 'E_PATH_ESCAPE', 'a link leaving the run folder is not read');
    assert.match(report.problems[0]?.message ?? '', /resolves through a symlink/, 'and says why');
  });

  test('--strict: an unanchored run fails, and with a key an unsigned one', async () => {
    await run('u1');
    const json = runJson('u1');
    delete json['ledger'];
    writeFileSync(join(dir('u1'), 'run.json'), `${JSON.stringify(json, null, 2)}\n`);
    const lax = await verify('u1');
    assert.equal(lax.ok, true, 'unanchored is reported, not failed, by default');
    assert.equal(lax.anchor.state, 'absent', 'as absent');
    const strict = await verify('u1', {}, true);
    assert.equal(strict.problems[0]?.code, 'E_AUDIT_UNANCHORED', 'strict fails it');
    const signed = await verify('a1', { QUANT_LEDGER_KEY: KEY }, true);
    assert.equal(signed.problems[0]?.code, 'E_AUDIT_SIGNATURE', 'strict with a key fails an unsigned run');
  });
});
