// Property tests of the meta calendar (innerJoin): for random sleeve streams on random sub-calendars, the
// join keeps exactly the days every stream has (set intersection), fills nothing (every cell is the
// stream's own value on that day), does not depend on the order of the sleeves (the columns permute with
// them), and is idempotent (joining the joined columns changes nothing).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { innerJoin, type DatedSeries } from '../../src/numeric/series/inner-join.js';
import { propertyRuns } from '../helpers/property-runs.js';

const DAY = 86_400_000;
const calendar = Array.from({ length: 90 }, (_, i) =>
  new Date(Date.UTC(2024, 0, 1) + i * DAY).toISOString().slice(0, 10),
);

/** A stream on a random subset of the calendar (ascending, unique days) with random values. */
const stream: fc.Arbitrary<DatedSeries> = fc
  .record({
    // Mostly dense streams (realistic calendars), sometimes sparse ones.
    density: fc.constantFrom(0.2, 0.8, 0.95),
    cells: fc.array(
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true })),
      {
        minLength: calendar.length,
        maxLength: calendar.length,
      },
    ),
  })
  .map(({ density, cells }) => {
    const dates: string[] = [];
    const values: number[] = [];
    cells.forEach(([u, v], i) => {
      if (u < density) {
        dates.push(calendar[i] as string);
        values.push(v);
      }
    });
    return { dates, values: Float64Array.from(values) };
  });

const sleeves = fc
  .array(stream, { minLength: 1, maxLength: 6 })
  .chain((list) =>
    fc.tuple(
      fc.constant(list),
      fc.shuffledSubarray([...list.keys()], { minLength: list.length, maxLength: list.length }),
    ),
  );

const runs = { numRuns: propertyRuns(200), seed: 20260316 };

describe('innerJoin properties', () => {
  test('keeps exactly the common days and fills nothing', () => {
    fc.assert(
      fc.property(sleeves, ([list]) => {
        const joined = innerJoin(list);
        const common = calendar.filter((d) => list.every((s) => s.dates.includes(d)));
        assert.deepEqual(joined.dates, common, 'joined.dates');
        list.forEach((s, k) => {
          joined.dates.forEach((d, t) =>
            assert.equal(joined.columns[k]?.[t], s.values[s.dates.indexOf(d)], 'joined.columns[k]?.[t]'),
          );
        });
      }),
      runs,
    );
  });

  test('independent of the sleeve order: same days, columns permuted with the sleeves', () => {
    fc.assert(
      fc.property(sleeves, ([list, perm]) => {
        const a = innerJoin(list);
        const b = innerJoin(perm.map((i) => list[i] as DatedSeries));
        assert.deepEqual(b.dates, a.dates, 'b.dates');
        perm.forEach((i, k) => assert.deepEqual(b.columns[k], a.columns[i], 'b.columns[k]'));
      }),
      runs,
    );
  });

  test('calendars out of order join as if sorted (the merge needs ascending days; the others are set-joined)', () => {
    let shuffled = 0;
    fc.assert(
      fc.property(sleeves, fc.integer({ min: 1, max: 1e6 }), ([list], seed) => {
        const scrambled = list.map((s, k) => {
          // Reverse every other stream, rotate the rest: no longer ascending whenever it has two days.
          const order = s.dates.map((_, i) => i);
          if ((seed + k) % 2 === 0) order.reverse();
          else order.push(...order.splice(0, (seed % Math.max(1, order.length - 1)) + 1));
          if (s.dates.length > 1) shuffled++;
          return {
            dates: order.map((i) => s.dates[i] as string),
            values: Float64Array.from(order, (i) => s.values[i] as number),
          };
        });
        const a = innerJoin(list);
        const b = innerJoin(scrambled);
        assert.deepEqual(b.dates, a.dates, 'the same common days, ascending');
        assert.deepEqual(b.columns, a.columns, 'the same values on them');
      }),
      runs,
    );
    assert.ok(shuffled > 100, `streams out of order: ${shuffled}`);
  });

  test('idempotent: joining the joined columns again changes nothing', () => {
    fc.assert(
      fc.property(sleeves, ([list]) => {
        const a = innerJoin(list);
        const b = innerJoin(a.columns.map((values) => ({ dates: a.dates, values })));
        assert.deepEqual(b.dates, a.dates, 'b.dates');
        assert.deepEqual(b.columns, a.columns, 'b.columns');
      }),
      runs,
    );
  });
});
