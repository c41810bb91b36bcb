import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../helpers/sleeve-fixtures.js';
const ws = process.argv[2]!;
const dates = businessDays('2024-01-01', 80);
for (const [i, p] of ['sa', 'sb'].entries()) {
  await writeSleeveRun(ws, { runId: `${p}_run`, profile: p, streams: { hrp: { dates, returns: randomReturns(i + 1, dates.length) } },
    weights: { hrp: [{ Symbol: `X${i}`, Weight: 0.5, Net_Weight: 0.5, Direction: 'LONG' }, { Symbol: 'SHARED', Weight: 0.5, Net_Weight: 0.5, Direction: 'LONG' }] } });
}
await writeManifest(ws, { profiles: { meta_two: { sleeves: [{ id: 'a', profile: 'sa' }, { id: 'b', profile: 'sb' }], risk_profiles: ['hrp'] } } });
