// The guards of a meta level, pinned through meta.returns on real sleeve run folders: at least 2 usable
// sleeves (E_TOO_FEW_SLEEVES naming what was excluded and why), the health threshold (3/4 windows pass,
// 74/100 do not) and the calendar intersection-loss warning (a loss of exactly 20 % is not flagged, 20.6 %
// is, in the level's manifest and by the report's own threshold, which is the same constant), and a
// stream written in percent (E_INPUT_KIND before the run folder exists, and in meta.returns alone).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import { QuantError } from '../../../../src/errors.js';
import { HEALTH_THRESHOLD } from '../../../../src/artifacts/index.js';
import { INTERSECTION_LOSS_WARNING } from '../../../../src/report/index.js';
import { metaArtifactPaths, type MetaManifestDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { existsSync } from 'node:fs';
import { tempDir } from '../../../helpers/cli.js';
import {
  businessDays,
  randomReturns,
  writeManifest,
  writeSleeveRun,
} from '../../../helpers/sleeve-fixtures.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const P = 'hrp';
const sdk = new QuantSDK();

interface SleeveSpec {
  readonly id: string;
  readonly days: number;
  /** Business days skipped at the start (the sleeve starts later). */
  readonly offset?: number;
  readonly health?: { windows: number; successes: number };
  /** Factor on the stream's returns (then of σ 0.003): 100 writes them in percent. */
  readonly scale?: number;
  /** The stream's own dates and returns, instead of business days and random returns. */
  readonly stream?: { readonly dates: string[]; readonly returns: number[] };
}

const ALL_DAYS = businessDays('2024-01-01', 200);

async function workspace(sleeves: readonly SleeveSpec[]): Promise<{ path: string; cleanup(): void }> {
  const ws = tempDir('mf-guards-');
  for (const [i, s] of sleeves.entries()) {
    const dates = s.stream?.dates ?? ALL_DAYS.slice(s.offset ?? 0, (s.offset ?? 0) + s.days);
    await writeSleeveRun(ws.path, {
      runId: `${s.id}_run`,
      profile: s.id,
      streams: {
        [P]: {
          dates,
          returns:
            s.stream !== undefined
              ? s.stream.returns
              : s.scale === undefined
                ? randomReturns(40 + i, dates.length, { vol: 0.01 + 0.002 * i })
                : randomReturns(40 + i, dates.length, { vol: 0.003 }).map((r) => r * (s.scale ?? 1)),
        },
      },
      weights: { [P]: [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
      health: { [P]: s.health ?? { windows: 4, successes: 4 } },
    });
  }
  await writeManifest(ws.path, {
    profiles: {
      m: { sleeves: sleeves.map((s) => ({ id: s.id, profile: s.id })), risk_profiles: [P] },
    },
  });
  return ws;
}

async function metaReturns(ws: string): Promise<MetaManifestDoc> {
  await sdk.runStage('meta.returns', { meta_profile: 'm' }, { workspace: ws, runId: 'r1', env: ENV });
  const file = join(ws, 'runs', 'r1', metaArtifactPaths('m', P).manifest);
  return JSON.parse(readFileSync(file, 'utf8')) as MetaManifestDoc;
}

describe('meta level guards', () => {
  const cleanups: (() => void)[] = [];
  const ws = async (sleeves: readonly SleeveSpec[]): Promise<string> => {
    const w = await workspace(sleeves);
    cleanups.push(w.cleanup);
    return w.path;
  };
  after(() => cleanups.forEach((c) => c()));

  test('fewer than 2 usable sleeves: E_TOO_FEW_SLEEVES naming the included and the excluded sleeve', async () => {
    const path = await ws([
      { id: 'a', days: 100 },
      { id: 'b', days: 100, health: { windows: 4, successes: 2 } },
    ]);
    await assert.rejects(
      metaReturns(path),
      (error: unknown) => {
        assert.ok(error instanceof QuantError, `a coded error, got ${String(error)}`);
        assert.equal(error.code, 'E_TOO_FEW_SLEEVES', `the sleeve guard's code: ${error.message}`);
        assert.deepEqual(
          error.details,
          {
            meta_profile: 'm',
            risk_profile: P,
            included: ['a'],
            excluded: [{ id: 'b', reason: 'health' }],
          },
          'details name the one usable sleeve and why the other was excluded',
        );
        assert.match(
          error.message,
          /1 usable sleeve\(s\) \(a\); at least 2 are needed; excluded b: health/,
          'the message counts the usable sleeves and names the excluded one',
        );
        return true;
      },
      'one usable sleeve must be refused before any optimization',
    );
  });

  test('exactly 2 usable sleeves pass the guard', async () => {
    const path = await ws([
      { id: 'a', days: 100 },
      { id: 'b', days: 100 },
      { id: 'c', days: 100, health: { windows: 4, successes: 1 } },
    ]);
    const doc = await metaReturns(path);
    assert.deepEqual(
      doc.included.map((s) => s.id),
      ['a', 'b'],
      'two healthy sleeves form a level',
    );
    assert.deepEqual(
      doc.excluded.map((s) => [s.id, s.reason]),
      [['c', 'health']],
      'the unhealthy sleeve is excluded, with its reason',
    );
  });

  test('health threshold 75 %: 3/4 windows are healthy, 74/100 are not', async () => {
    assert.equal(HEALTH_THRESHOLD, 0.75, 'DESIGN §6 sets the health threshold at 75 %');
    const path = await ws([
      { id: 'a', days: 100, health: { windows: 4, successes: 3 } },
      { id: 'b', days: 100, health: { windows: 100, successes: 75 } },
      { id: 'c', days: 100, health: { windows: 100, successes: 74 } },
    ]);
    const doc = await metaReturns(path);
    assert.deepEqual(
      doc.included.map((s) => s.id),
      ['a', 'b'],
      'exactly at the threshold (3/4, 75/100) is healthy',
    );
    assert.equal(doc.excluded.length, 1, 'one sleeve below the threshold is excluded');
    assert.equal(doc.excluded[0]?.id, 'c', '74/100 is below the threshold');
    assert.match(
      doc.excluded[0]?.detail ?? '',
      /^74\/100 backtest_optimize windows succeeded \(74\.0 % < 75 %\)$/,
      'the reason states the count and the threshold',
    );
  });

  test('a stream written in percent: E_INPUT_KIND naming the file, the sleeve and the fix', async () => {
    // b's daily returns (σ 0.003) × 100: σ ≈ 0.3 a period, every value above −1, so only the scale check sees it.
    const path = await ws([
      { id: 'a', days: 100 },
      { id: 'b', days: 100, scale: 100 },
    ]);
    const percent = (error: unknown): boolean => {
      assert.ok(error instanceof QuantError, `a coded error, got ${String(error)}`);
      assert.equal(error.code, 'E_INPUT_KIND', `the scale check's code: ${error.message}`);
      assert.match(
        error.message,
        /^runs\/b_run\/data\/returns\/hrp\.parquet column return: sleeve b \(run b_run\): the hrp returns have a standard deviation of 0\.\d+ a period \(\d+ % a year at A = 252\), .*: these look like percentages: divide the values by 100$/,
        'the message names the file, the column, the sleeve, its run and the fix',
      );
      assert.equal(
        error.hint,
        'write 0.0125 for 1.25 %, or re-run the sleeve (quant sleeve run --profile b) or pin another run',
        'the hint',
      );
      assert.deepEqual(
        [error.details['sleeve'], error.details['run_id'], error.details['risk_profile']],
        ['b', 'b_run', P],
        'details name the sleeve, the run and the risk profile',
      );
      return true;
    };
    await assert.rejects(
      QuantSDK.runMeta('m', { workspace: path, cwd: path, runId: 'pct', env: ENV, cache: false }),
      percent,
      'a meta run refuses the stream',
    );
    assert.equal(existsSync(join(path, 'runs', 'pct')), false, 'before the run folder exists');
    await assert.rejects(metaReturns(path), percent, 'meta.returns alone refuses it too');
  });

  test('a stream in percent whose dates give no one frequency: E_INPUT_KIND too, at its rows a year', async () => {
    const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
    const DAY = 86_400_000;
    // 8 Friday closes, then 150 business days (the table changes frequency): about 215 rows a year.
    const changing = [
      ...Array.from({ length: 8 }, (_, k) => iso(Date.UTC(2023, 10, 3) + 7 * k * DAY)),
      ...ALL_DAYS.slice(0, 150),
    ];
    // Spacings of 1 and 17 days in turn (irregular): about 40 rows a year.
    const irregular = Array.from({ length: 60 }, (_, k) =>
      iso(Date.UTC(2024, 0, 1) + (9 * k - (k % 2) * 8) * DAY),
    );
    const cases = [
      { what: 'changing frequency', dates: changing, size: 0.4, A: /at 21\d rows a year/ },
      { what: 'irregular', dates: irregular, size: 0.9, A: /at [34]\d rows a year/ },
    ];
    for (const c of cases) {
      // Every value above −1, so only the scale check can see the percentages.
      const returns = c.dates.map((_, t) => (t % 2 === 0 ? c.size : -c.size) * (1 + 0.01 * Math.sin(t)));
      const path = await ws([
        { id: 'a', days: 100 },
        { id: 'b', days: c.dates.length, stream: { dates: c.dates, returns } },
      ]);
      const percent = (error: unknown): boolean => {
        assert.ok(error instanceof QuantError, `${c.what}: a coded error, got ${String(error)}`);
        assert.equal(error.code, 'E_INPUT_KIND', `${c.what}: the scale check, not skipped: ${error.message}`);
        assert.match(
          error.message,
          /^runs\/b_run\/data\/returns\/hrp\.parquet column return: sleeve b \(run b_run\): the hrp returns, at \d+ rows a year \(their dates give no one frequency\), have a standard deviation of .*: these look like percentages: divide the values by 100$/,
          `${c.what}: the file, the sleeve and the A used`,
        );
        assert.match(error.message, c.A, `${c.what}: the rows a year of the stream's dates`);
        return true;
      };
      await assert.rejects(
        QuantSDK.runMeta('m', { workspace: path, cwd: path, runId: 'pct', env: ENV, cache: false }),
        percent,
        `${c.what}: a meta run refuses the stream`,
      );
      assert.equal(existsSync(join(path, 'runs', 'pct')), false, `${c.what}: before the run folder exists`);
      await assert.rejects(metaReturns(path), percent, `${c.what}: meta.returns alone refuses it too`);
    }
  });

  test('intersection loss: 20 % is not flagged, 20.6 % is', async () => {
    assert.equal(INTERSECTION_LOSS_WARNING, 0.2, 'DESIGN §6 sets the loss warning at 20 %');
    // a: 100 days; b: the same 100 days plus 25 before (loss 1 − 100/125 = 20 %); c: plus 26 before
    // (1 − 100/126 = 20.6 %). The inner join keeps the 100 common days.
    const path = await ws([
      { id: 'a', days: 100, offset: 26 },
      { id: 'b', days: 125, offset: 1 },
      { id: 'c', days: 126, offset: 0 },
    ]);
    const doc = await metaReturns(path);
    assert.equal(doc.calendar.common_rows, 100, 'the inner join keeps the 100 common days');
    const loss = Object.fromEntries(doc.calendar.per_sleeve.map((s) => [s.id, s.intersection_loss]));
    assert.ok(Math.abs((loss['b'] ?? NaN) - 0.2) < 1e-12, `b loses 20 % (${loss['b']})`);
    assert.ok(Math.abs((loss['c'] ?? NaN) - 26 / 126) < 1e-12, `c loses 26/126 (${loss['c']})`);
    assert.deepEqual(
      doc.warnings,
      ['sleeve c loses 20.6 % of its dates in the inner join'],
      'only the loss above the threshold is a warning',
    );
  });
});
