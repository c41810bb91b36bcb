// The SDK path: QuantSDK.runMeta with `executeSleeves` produces the sleeves first, in child processes,
// and pins them; a failing sleeve rejects with E_SLEEVE_FAILED before the meta run folder exists; a
// QUANT_LEDGER_KEY given only in the SDK's `env` signs the sleeves the child processes make; an aborted
// `signal` (the run's or the sleeves') rejects with E_INTERRUPTED and starts nothing more.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { quantError, tempDir } from '../artifacts/_temp.js';
import { buildExecWorkspace, EPOCH, STAMP } from './_exec-workspace.js';

describe('QuantSDK.runMeta({ executeSleeves })', { timeout: 60_000 }, () => {
  const ws = buildExecWorkspace(tempDir('mf-meta-exec-'));
  const env = { SOURCE_DATE_EPOCH: String(EPOCH) };

  test('produces every unpinned sleeve, then runs the meta stages on them', async () => {
    const lines: string[] = [];
    const result = await QuantSDK.runMeta('meta', {
      workspace: ws,
      env,
      runId: 'sdk1',
      executeSleeves: { executor: 'local', concurrency: 2 },
      onProgress: (line) => lines.push(line),
    });
    const ids = { sectors: `sectors_${STAMP}`, swiss: `swiss_${STAMP}`, bonds: `bonds_${STAMP}` };
    assert.deepEqual(result.sleeves?.pins, ids, 'result.sleeves?.pins');
    assert.deepEqual(
      result.sleeves?.results.map((r) => r.status),
      ['produced', 'produced', 'produced'],
      'result.sleeves?.results.map((r) => r.status)',
    );
    assert.equal(result.sleeves?.executor, 'local', 'result.sleeves?.executor');
    const resolved = JSON.parse(
      readFileSync(join(result.runDir, 'config', 'resolved_manifest.json'), 'utf8'),
    ) as { sleeves: { profile: string; run_id: string }[] };
    assert.deepEqual(
      Object.fromEntries(resolved.sleeves.map((s) => [s.profile, s.run_id])),
      ids,
      'Object.fromEntries(resolved.sleeves.map((s) => [s.profile, s.run_id]))',
    );
    // Progress (passed only on a TTY by the CLI): the last sleeve line counts all three done.
    assert.match(
      lines.filter((l) => l.startsWith('sleeves ')).at(-1) ?? '',
      /^sleeves 3\/3 done \(\w+ ok, [\d.]+ s\)$/,
      "lines.filter((l) => l.startsWith('sleev… matches /^sleeves 3\\/3 done \\(\\w+ ok, [\\d.]+ s\\)$/",
    );
  });

  test('a ledger key only in the `env` option reaches the child processes: the sleeves are signed', async () => {
    assert.equal(process.env['QUANT_LEDGER_KEY'], undefined, 'this process has no key of its own');
    const signed = buildExecWorkspace(tempDir('mf-meta-exec-key-'));
    const keyed = { ...env, QUANT_LEDGER_KEY: 'a-ledger-key-of-more-than-thirty-two-bytes-0002' };
    const result = await QuantSDK.runMeta('meta', {
      workspace: signed,
      env: keyed,
      runId: 'signed1',
      executeSleeves: { executor: 'local', concurrency: 2 },
    });
    const pins = result.sleeves?.pins ?? {};
    assert.equal(Object.keys(pins).length, 3, `three sleeves produced and accepted: ${JSON.stringify(pins)}`);
    for (const runId of [...Object.values(pins), 'signed1']) {
      const audit = await QuantSDK.verifyAudit(runId, { workspace: signed, env: keyed, strict: true });
      assert.equal(audit.ok, true, `${runId}: the strict audit passes: ${JSON.stringify(audit.problems)}`);
      assert.equal(audit.signature.state, 'valid', `${runId}: signed with the key of the env option`);
    }
  });

  test('a failing sleeve rejects with E_SLEEVE_FAILED and writes nothing of the meta run', async () => {
    await assert.rejects(
      QuantSDK.runMeta('meta_bad', { workspace: ws, env, runId: 'sdk_bad', executeSleeves: {} }),
      quantError(
        'E_SLEEVE_FAILED',
        /^Sleeve production failed for: broken \(E_INPUT_NOT_FOUND: .*\); broken_column \(E_INPUT_COLUMN: /,
      ),
      'QuantSDK.runMeta rejects with E_SLEEVE_FAILED',
    );
    assert.equal(existsSync(join(ws, 'runs', 'sdk_bad')), false, 'runs/sdk_bad does not exist');
  });

  const runsOf = (dir: string): string[] =>
    existsSync(join(dir, 'runs')) ? readdirSync(join(dir, 'runs')) : [];

  for (const where of ['signal', 'executeSleeves.signal'] as const) {
    test(`an already aborted ${where}: E_INTERRUPTED, no sleeve run and no meta run written`, async () => {
      const fresh = buildExecWorkspace(tempDir('mf-meta-exec-abort-'));
      const signal = AbortSignal.abort('cancelled');
      const sleeves = { executor: 'local' as const, ...(where === 'signal' ? {} : { signal }) };
      await assert.rejects(
        QuantSDK.runMeta('meta', {
          workspace: fresh,
          env,
          runId: 'aborted',
          executeSleeves: sleeves,
          ...(where === 'signal' ? { signal } : {}),
        }),
        (error: unknown) => {
          quantError('E_INTERRUPTED', /^cancelled: stopped before the sleeves were produced/)(error);
          assert.equal(
            (error as { details: Record<string, unknown> }).details['signal'],
            'cancelled',
            'details.signal',
          );
          return true;
        },
        'QuantSDK.runMeta rejects with E_INTERRUPTED',
      );
      assert.deepEqual(runsOf(fresh), [], 'runs/ holds nothing');
    });
  }

  test('executeSleeves.signal aborted once a sleeve started: E_INTERRUPTED, not E_SLEEVE_FAILED', async () => {
    const fresh = buildExecWorkspace(tempDir('mf-meta-exec-abort-mid-'));
    const controller = new AbortController();
    await assert.rejects(
      QuantSDK.runMeta('meta', {
        workspace: fresh,
        env,
        runId: 'stopped',
        executeSleeves: { executor: 'local', concurrency: 1, signal: controller.signal },
        onProgress: (line) => {
          if (/ started$/.test(line)) controller.abort('SIGINT');
        },
      }),
      quantError('E_INTERRUPTED', /^SIGINT: sleeve production stopped: .*E_INTERRUPTED: interrupted/),
      'QuantSDK.runMeta rejects with E_INTERRUPTED',
    );
    assert.equal(existsSync(join(fresh, 'runs', 'stopped')), false, 'no meta run folder');
  });
});
