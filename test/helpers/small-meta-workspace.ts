// The smallest useful meta workspace, for tests that run `quant meta run` many times (crash points,
// concurrency): two healthy sleeve runs s1, s2 with an hrp stream and one physical asset each, and the
// meta profile `small` over them (risk profile hrp only).
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from './sleeve-fixtures.js';

export const SMALL_META_PROFILE = 'small';

export async function buildSmallMetaWorkspace(ws: string, days = 80): Promise<void> {
  const dates = businessDays('2024-01-01', days);
  for (const [i, id] of ['s1', 's2'].entries()) {
    await writeSleeveRun(ws, {
      runId: `${id}_run`,
      profile: id,
      createdAt: '2024-06-01T00:00:00Z',
      streams: { hrp: { dates, returns: randomReturns(10 + i, dates.length, { vol: 0.01 + i * 0.005 }) } },
      weights: { hrp: [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
    });
  }
  await writeManifest(ws, {
    profiles: {
      [SMALL_META_PROFILE]: {
        sleeves: [
          { id: 'a', profile: 's1' },
          { id: 'b', profile: 's2' },
        ],
        risk_profiles: ['hrp'],
      },
    },
  });
}
