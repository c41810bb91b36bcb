// The anchored ledger through the built CLI: a meta run records its ledger's head and count (signed with
// QUANT_LEDGER_KEY) in run.json; `quant audit verify` and `quant meta validate` detect an appended record,
// a modified output and a wrong key, each as a coded line naming the file and what differs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger } from '../../src/artifacts/index.js';
import { quant, tempDir } from '../helpers/cli.js';
import { buildSmallMetaWorkspace, SMALL_META_PROFILE } from '../helpers/small-meta-workspace.js';

const KEY = 'a-test-key-of-forty-characters-0123456789';
const ENV = { SOURCE_DATE_EPOCH: '1767225600', QUANT_LEDGER_KEY: KEY };

describe('anchored ledger (CLI)', () => {
  let template: { path: string; cleanup(): void };
  before(async () => {
    template = tempDir('quant-anchor-');
    await buildSmallMetaWorkspace(template.path);
    const r = quant(
      ['meta', 'run', '--profile', SMALL_META_PROFILE, '--run-id', 'm1', '--workspace', template.path],
      {
        env: ENV,
      },
    );
    assert.equal(r.code, 0, `the meta run succeeds: ${r.stderr}`);
  });
  after(() => template.cleanup());

  /** A copy of the workspace with its finished run, for one tampering. */
  function copy(): { path: string; cleanup(): void } {
    const ws = tempDir('quant-anchor-');
    cpSync(template.path, ws.path, { recursive: true });
    return ws;
  }

  test('run.json anchors the ledger; verify and validate pass and say what they checked', () => {
    const ws = copy();
    try {
      const runJson = JSON.parse(readFileSync(join(ws.path, 'runs', 'm1', 'run.json'), 'utf8')) as {
        ledger: { head_sha256: string; records: number; hmac: string };
      };
      const lines = readFileSync(join(ws.path, 'runs', 'm1', 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(runJson.ledger.records, lines.length, 'the record count');
      assert.equal(
        runJson.ledger.head_sha256,
        (JSON.parse(lines.at(-1) as string) as { hash: string }).hash,
        'head',
      );
      const v = quant(['audit', 'verify', 'm1', '--workspace', ws.path], { env: ENV });
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /^anchor: matches run\.json/m, 'the anchor line');
      assert.match(v.stdout, /^signature: valid/m, 'the signature line');
      assert.match(v.stdout, /^outputs: (\d+) of \1 recorded output file\(s\) match/m, 'the outputs line');
      const keyless = quant(['audit', 'verify', 'm1', '--workspace', ws.path], {
        env: { QUANT_LEDGER_KEY: '' },
      });
      assert.equal(keyless.code, 0, keyless.stderr);
      assert.match(
        keyless.stdout,
        /^signature: key absent \(QUANT_LEDGER_KEY unset\), signature not checked$/m,
        'honest',
      );
      const m = quant(['meta', 'validate', '--run-id', 'm1', '--workspace', ws.path], { env: ENV });
      assert.equal(m.code, 0, m.stdout + m.stderr);
      assert.match(
        m.stdout,
        /^pass {2}audit\.jsonl: \d+ records, chain intact, anchored in run\.json/m,
        'anchor check',
      );
      assert.match(m.stdout, /^pass {2}audit\.jsonl signature: HMAC-SHA256 valid/m, 'signature check');
      assert.match(m.stdout, /^pass {2}audit\.jsonl outputs: (\d+) of \1 recorded/m, 'outputs check');
    } finally {
      ws.cleanup();
    }
  });

  test('a record appended after the run: verify is E_AUDIT_APPENDED, validate fails the ledger check', async () => {
    const ws = copy();
    try {
      const file = join(ws.path, 'runs', 'm1', 'audit.jsonl');
      const count = readFileSync(file, 'utf8').trim().split('\n').length;
      const ledger = await openLedger(file, { now: new Date(0) });
      await ledger.append({ type: 'decision', step: 'meta.flatten_fallback', status: 'recorded' });
      const v = quant(['audit', 'verify', 'm1', '--workspace', ws.path], { env: ENV });
      assert.equal(v.code, 1, 'exit 1');
      assert.equal(v.stderr.trimEnd().split('\n').length, 1, `one line: ${v.stderr}`);
      assert.match(
        v.stderr,
        new RegExp(
          `^E_AUDIT_APPENDED: runs/m1/audit\\.jsonl: 1 record\\(s\\) appended after the run finished, from line ${count + 1}: run\\.json anchors ${count} records`,
        ),
        'coded, naming the file and both counts',
      );
      const m = quant(['meta', 'validate', '--run-id', 'm1', '--workspace', ws.path], { env: ENV });
      assert.equal(m.code, 1, 'validate fails');
      assert.match(m.stdout, /^FAIL {2}audit\.jsonl: E_AUDIT_APPENDED: /m, 'the ledger check names it');
      assert.match(m.stderr, /^E_VALIDATION_FAILED: /, 'coded');
    } finally {
      ws.cleanup();
    }
  });

  test('run.json removed: verify is E_RUN_CORRUPT, with and without --strict and the key', () => {
    const ws = copy();
    try {
      rmSync(join(ws.path, 'runs', 'm1', 'run.json'));
      for (const args of [[], ['--strict']]) {
        for (const env of [ENV, { QUANT_LEDGER_KEY: '' }]) {
          const v = quant(['audit', 'verify', ...args, 'm1', '--workspace', ws.path], { env });
          const what = `verify ${args.join(' ')} (key ${env.QUANT_LEDGER_KEY === '' ? 'absent' : 'set'})`;
          assert.equal(v.code, 1, `${what}: exit 1 (${v.stdout}${v.stderr})`);
          assert.match(
            v.stderr,
            /^E_RUN_CORRUPT: runs\/m1\/run\.json is missing: .*nothing pins where the ledger ends/,
            `${what}: coded, naming the file`,
          );
          assert.equal(v.stderr.trimEnd().split('\n').length, 1, `${what}: one line: ${v.stderr}`);
          assert.match(
            v.stdout,
            /^anchor: none: run\.json is missing or unreadable$/m,
            `${what}: the anchor line`,
          );
        }
      }
    } finally {
      ws.cleanup();
    }
  });

  test('a modified output: verify is E_AUDIT_OUTPUT naming the file; validate fails the outputs check', () => {
    const ws = copy();
    try {
      const rel = `runs/m1/data/meta_optimized_${SMALL_META_PROFILE}_hrp.json`;
      const file = join(ws.path, rel);
      writeFileSync(file, readFileSync(file, 'utf8').replace('"weights"', '"weights" '));
      const v = quant(['audit', 'verify', 'm1', '--workspace', ws.path], { env: ENV });
      assert.equal(v.code, 1, 'exit 1');
      assert.match(
        v.stderr,
        new RegExp(
          `^E_AUDIT_OUTPUT: ${rel.replaceAll('.', '\\.')}: modified since runs/m1/audit\\.jsonl:\\d+ recorded it: sha256 expected [0-9a-f]{16}…, found [0-9a-f]{16}…`,
        ),
        'coded, naming the file and both hashes',
      );
      const m = quant(['meta', 'validate', '--run-id', 'm1', '--workspace', ws.path], { env: ENV });
      assert.equal(m.code, 1, 'validate fails');
      assert.match(
        m.stdout,
        new RegExp(`^FAIL {2}audit\\.jsonl outputs: E_AUDIT_OUTPUT: ${rel.replaceAll('.', '\\.')}`, 'm'),
        'named',
      );
    } finally {
      ws.cleanup();
    }
  });

  test('another key: E_AUDIT_SIGNATURE in verify and validate; --json carries the whole report', () => {
    const ws = copy();
    try {
      const env = { QUANT_LEDGER_KEY: 'b'.repeat(48) };
      const v = quant(['audit', 'verify', 'm1', '--json', '--workspace', ws.path], { env });
      assert.equal(v.code, 1, 'exit 1');
      const error = (JSON.parse(v.stderr) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'E_AUDIT_SIGNATURE', 'coded, as one JSON line on stderr');
      assert.match(
        error.message,
        /^runs\/m1\/run\.json: the HMAC of the ledger anchor does not match QUANT_LEDGER_KEY/,
        'naming run.json',
      );
      const report = JSON.parse(v.stdout) as {
        ok: boolean;
        signature: { state: string };
        anchor: { state: string };
      };
      assert.equal(report.ok, false, 'not ok');
      assert.equal(report.signature.state, 'invalid', 'invalid signature');
      assert.equal(report.anchor.state, 'match', 'the ledger itself still matches the anchor');
      assert.ok(
        !v.stdout.includes('b'.repeat(48)) && !v.stderr.includes('b'.repeat(48)),
        'the key is never printed',
      );
      const m = quant(['meta', 'validate', '--run-id', 'm1', '--workspace', ws.path], { env });
      assert.equal(m.code, 1, 'validate fails');
      assert.match(m.stdout, /^FAIL {2}audit\.jsonl signature: E_AUDIT_SIGNATURE: /m, 'named');
    } finally {
      ws.cleanup();
    }
  });
});
