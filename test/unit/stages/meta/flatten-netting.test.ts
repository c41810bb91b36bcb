// A long sleeve and its exact short, weighted alike, net out: the flattened target holds nothing. The
// run says so as it happens (a warning naming the risk profile), since `meta validate` fails that target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantSDK } from '../../../../src/index.js';
import { validateMetaRun } from '../../../../src/stages/index.js';
import { tempDir } from '../../artifacts/_temp.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';

test('a target that nets out exactly is a warning of the run, and validate names it', async () => {
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
  const warnings: string[] = [];
  await QuantSDK.runMeta('hedge', {
    workspace: ws,
    runId: 'h1',
    backtest: false,
    cache: false,
    env: { SOURCE_DATE_EPOCH: '1767225600' },
    onWarning: (w) => warnings.push(w),
  });
  assert.ok(
    warnings.some((w) => /meta\.flatten: equal_weight: the weighted sleeves net out exactly/.test(w)),
    `the run warns: ${warnings.join(' | ')}`,
  );
  const verdict = await validateMetaRun(ws, 'h1');
  assert.equal(verdict.ok, false, 'validate fails the empty target, as the warning said');
});
