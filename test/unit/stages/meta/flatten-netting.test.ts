// A long sleeve and its exact short, weighted alike, net out: the flattened target holds nothing. The
// run says so as it happens (a warning naming the risk profile), since `meta validate` fails that target;
// the warning is kept in the ledger, so the report lists it and flags the risk profile, and a cache hit
// gives it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/index.js';
import { validateMetaRun } from '../../../../src/stages/index.js';
import { tempDir } from '../../artifacts/_temp.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';

async function hedgeWorkspace(): Promise<string> {
  const ws = tempDir('mf-flatten-netting-');
  const dates = businessDays('2025-01-06', 120);
  const returns = randomReturns(11, dates.length, { vol: 0.01 });
  for (const [id, sign] of [
    ['long', 1],
    ['short', -1],
  ] as const) {
    await writeSleeveRun(ws, {
      runId: `${id}_run`,
      profile: `s_${id}`,
      streams: {
        equal_weight: { dates, returns: Float64Array.from(returns, (r) => sign * r + 0.001 * (sign + 2)) },
      },
      weights: {
        equal_weight: [
          { Symbol: 'X:A', Weight: 1, Net_Weight: sign, Direction: sign > 0 ? 'LONG' : 'SHORT' },
        ],
      },
    });
  }
  await writeManifest(ws, {
    profiles: {
      hedge: {
        sleeves: [
          { id: 'l', profile: 's_long' },
          { id: 's', profile: 's_short' },
        ],
        risk_profiles: ['equal_weight'],
      },
    },
  });
  return ws;
}

async function runHedge(ws: string, runId: string, cache: boolean): Promise<string[]> {
  const warnings: string[] = [];
  await QuantSDK.runMeta('hedge', {
    workspace: ws,
    runId,
    backtest: false,
    cache,
    env: { SOURCE_DATE_EPOCH: '1767225600' },
    onWarning: (w) => warnings.push(w),
  });
  return warnings;
}

const WARNING = /meta\.flatten: equal_weight: the weighted sleeves net out exactly/;

test('a target that nets out exactly is a warning of the run, and validate names it', async () => {
  const ws = await hedgeWorkspace();
  const warnings = await runHedge(ws, 'h1', false);
  assert.ok(
    warnings.some((w) => WARNING.test(w)),
    `the run warns: ${warnings.join(' | ')}`,
  );
  const verdict = await validateMetaRun(ws, 'h1');
  assert.equal(verdict.ok, false, 'validate fails the empty target, as the warning said');
});

test('the report lists the warnings of the run and flags the risk profile; a cache hit warns again', async () => {
  const ws = await hedgeWorkspace();
  const first = await runHedge(ws, 'w1', true);
  const md = readFileSync(join(ws, 'runs', 'w1', 'reports', 'meta_portfolio_report.md'), 'utf8');
  assert.match(
    md,
    /\n## Warnings\n\n[^\n]*\n\n- `meta\.flatten`: equal_weight: the weighted sleeves net out exactly[^\n]*\n\n## Summary\n/,
    `a Warnings section before the summary: ${md.slice(0, 1200)}`,
  );
  assert.match(
    md,
    /\| `equal_weight` \*\*\(1 warning\)\*\* \| `equal_weight` \|/,
    'the summary row of the risk profile is flagged',
  );
  assert.match(
    md,
    /## Risk profile `equal_weight`\n\n### Warnings\n\n[^\n]*\n\n- \*\*Warning\*\*: meta\.flatten: equal_weight: the weighted sleeves net out/,
    'the risk profile section opens with its warning',
  );
  const html = readFileSync(join(ws, 'runs', 'w1', 'reports', 'meta_portfolio_report.html'), 'utf8');
  assert.ok(
    html.includes('<section id="warnings">') && html.includes('<a href="#warnings">Warnings</a>'),
    'the HTML has the section and links it',
  );
  const ledger = readFileSync(join(ws, 'runs', 'w1', 'audit.jsonl'), 'utf8');
  assert.ok(
    ledger.split('\n').some((l) => l.includes('"step":"meta.flatten","status":"success"') && WARNING.test(l)),
    'the outcome record of meta.flatten keeps the warning',
  );
  const second = await runHedge(ws, 'w2', true);
  assert.ok(
    first.some((w) => WARNING.test(w)) && second.some((w) => WARNING.test(w)),
    `a cache hit gives the stage's warning again: ${second.join(' | ')}`,
  );
  const md2 = readFileSync(join(ws, 'runs', 'w2', 'reports', 'meta_portfolio_report.md'), 'utf8');
  assert.equal(md2.replaceAll('w2', 'w1'), md, 'the report of the cache hit is that of the miss');
});
