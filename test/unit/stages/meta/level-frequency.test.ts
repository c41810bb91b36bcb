// A meta level aligns its sleeves day by day (an inner join of their dates). A daily sleeve joined with a
// weekly one would keep one daily return a week — not that week's return — and be annualised as weekly,
// its risk understated about √5 times: `E_FREQUENCY` naming both calendars, before any weight is computed.
// Daily sleeves on different trading calendars (a Sunday–Thursday market) stay daily and run.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantSDK, isQuantError } from '../../../../src/index.js';
import { tempDir } from '../../artifacts/_temp.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
const daily = businessDays('2024-01-01', 400);
const fridays = daily.filter((d) => new Date(`${d}T00:00:00Z`).getUTCDay() === 5);
// Sunday to Thursday: the business days shifted back by one day.
const gulf = daily.map((d) => new Date(Date.parse(`${d}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10));

async function sleeve(ws: string, id: string, dates: readonly string[], seed: number): Promise<void> {
  await writeSleeveRun(ws, {
    runId: `${id}_run`,
    profile: `s_${id}`,
    streams: { hrp: { dates, returns: randomReturns(seed, dates.length, { vol: 0.01 }) } },
    weights: { hrp: [{ Symbol: `X:${id.toUpperCase()}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
  });
}

describe('the frequency of a meta level', () => {
  let ws: string;
  before(async () => {
    ws = tempDir('mf-level-frequency-');
    await sleeve(ws, 'd', daily, 3);
    await sleeve(ws, 'w', fridays, 5);
    await sleeve(ws, 'g', gulf, 7);
    await writeManifest(ws, {
      profiles: {
        mixed: {
          sleeves: [
            { id: 'd', profile: 's_d' },
            { id: 'w', profile: 's_w' },
          ],
          risk_profiles: ['hrp'],
        },
        calendars: {
          sleeves: [
            { id: 'd', profile: 's_d' },
            { id: 'g', profile: 's_g' },
          ],
          risk_profiles: ['hrp'],
        },
      },
    });
  });
  const opts = (runId: string) => ({ workspace: ws, runId, backtest: false, cache: false, env: EPOCH });

  test('a daily sleeve with a weekly one is E_FREQUENCY naming the sleeve and both calendars', async () => {
    await assert.rejects(
      QuantSDK.runMeta('mixed', opts('mixed1')),
      (e: unknown) =>
        isQuantError(e) &&
        e.code === 'E_FREQUENCY' &&
        /sleeve d is daily_business .* but the dates common to the level's sleeves are weekly/.test(
          e.message,
        ) &&
        /profiles\.mixed/.test(e.hint ?? ''),
      'coded, naming the sleeve, its calendar and the level’s',
    );
  });

  test('daily sleeves on different trading calendars run (daily, A = 252)', async () => {
    const run = await QuantSDK.runMeta('calendars', opts('cal1'));
    assert.deepEqual(run.riskProfiles, ['hrp'], 'the run computed its risk profile');
  });
});
