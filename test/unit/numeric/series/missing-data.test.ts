import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyMissingPolicy,
  MISSING_ROWS_WARNING_SHARE,
} from '../../../../src/numeric/series/missing-data.js';

const N = Number.NaN;
const col = (...v: number[]): Float64Array => Float64Array.from(v);
const DATES = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9'];
const dates = (n: number): string[] => DATES.slice(0, n);
const plain = (r: ReturnType<typeof applyMissingPolicy>) => r.values.map((v) => [...v]);

describe('applyMissingPolicy', () => {
  test('drop_rows drops every row with a missing value and names the asset and the dates', () => {
    const r = applyMissingPolicy([col(1, 2, N, 4, 5), col(1, N, 3, 4, 5)], dates(5), {
      policy: 'drop_rows',
      ffillLimit: 5,
      fill: 'last',
    });
    assert.deepEqual(r.rows, [0, 3, 4], 'r.rows');
    assert.deepEqual(r.columns, [0, 1], 'r.columns');
    assert.deepEqual(
      plain(r),
      [
        [1, 4, 5],
        [1, 4, 5],
      ],
      'plain(r)',
    );
    const rep = r.report;
    assert.equal(rep.droppedRows, 2, 'rep.droppedRows');
    assert.equal(rep.droppedShare, 0.4, 'rep.droppedShare');
    assert.equal(rep.firstDropped, 'd1', 'rep.firstDropped');
    assert.equal(rep.lastDropped, 'd2', 'rep.lastDropped');
    assert.deepEqual(
      rep.responsible.map((a) => [a.column, a.droppedRows, a.firstDropped, a.lateStart]),
      [
        [0, 1, 'd2', false],
        [1, 1, 'd1', false],
      ],
      'rep.responsible.map((a) => [a.column, a.droppedRows, a.firstDropped, …',
    );
    assert.equal(rep.warn, true, '40 % > 5 %');
  });

  test('the 5 % threshold: 1 row of 20 (exactly 5 %) is no warning, 2 of 20 is', () => {
    assert.equal(MISSING_ROWS_WARNING_SHARE, 0.05, 'MISSING_ROWS_WARNING_SHARE');
    const base = Array.from({ length: 20 }, (_, t) => 100 + t);
    const dates20 = base.map((_, t) => `r${String(t).padStart(2, '0')}`);
    const one = [...base];
    one[10] = N;
    const opts = { policy: 'drop_rows', ffillLimit: 5, fill: 'last' } as const;
    const r1 = applyMissingPolicy([Float64Array.from(base), Float64Array.from(one)], dates20, opts);
    assert.equal(r1.report.droppedRows, 1, 'r1.report.droppedRows');
    assert.equal(r1.report.warn, false, 'exactly 5 % is not more than 5 %');
    const two = [...one];
    two[11] = N;
    const r2 = applyMissingPolicy([Float64Array.from(base), Float64Array.from(two)], dates20, opts);
    assert.equal(r2.report.droppedShare, 0.1, 'r2.report.droppedShare');
    assert.equal(r2.report.warn, true, '10 % > 5 %');
  });

  test('a late-listed asset warns even when it costs few rows', () => {
    const a = Float64Array.from({ length: 100 }, (_, t) => 100 + t);
    const b = Float64Array.from(a, (v, t) => (t < 2 ? N : v));
    const names = Array.from({ length: 100 }, (_, t) => `t${t}`);
    const r = applyMissingPolicy([a, b], names, { policy: 'drop_rows', ffillLimit: 5, fill: 'last' });
    assert.equal(r.report.droppedShare, 0.02, 'r.report.droppedShare');
    assert.equal(r.report.responsible[0]?.lateStart, true, 'r.report.responsible[0]?.lateStart');
    assert.equal(r.report.responsible[0]?.firstValue, 't2', 'r.report.responsible[0]?.firstValue');
    assert.equal(r.report.warn, true, 'a late start is worth a warning');
  });

  test('an early-ending asset is named as such', () => {
    const r = applyMissingPolicy([col(1, 2, 3, 4), col(1, 2, N, N)], dates(4), {
      policy: 'drop_rows',
      ffillLimit: 5,
      fill: 'last',
    });
    assert.equal(r.report.responsible[0]?.earlyEnd, true, 'r.report.responsible[0]?.earlyEnd');
    assert.equal(r.report.responsible[0]?.lastValue, 'd1', 'r.report.responsible[0]?.lastValue');
  });

  test('drop_assets keeps every row and drops every asset with a missing value', () => {
    const r = applyMissingPolicy([col(1, 2, 3), col(1, N, 3), col(4, 5, 6)], dates(3), {
      policy: 'drop_assets',
      ffillLimit: 5,
      fill: 'last',
    });
    assert.deepEqual(r.columns, [0, 2], 'r.columns');
    assert.deepEqual(r.rows, [0, 1, 2], 'r.rows');
    assert.equal(r.report.droppedRows, 0, 'r.report.droppedRows');
    assert.deepEqual(
      r.report.droppedColumns.map((a) => [a.column, a.firstValue, a.lastValue]),
      [[1, 'd0', 'd2']],
      'r.report.droppedColumns.map((a) => [a.column, a.firstValue, a.lastVal…',
    );
    assert.equal(r.report.warn, true, 'a dropped asset is worth a warning');
  });

  test('ffill fills at most ffill_limit cells after a value (pandas), never before the first value', () => {
    const r = applyMissingPolicy([col(N, 1, N, N, N, 5, N, 7), col(1, 2, 3, 4, 5, 6, 7, 8)], dates(8), {
      policy: 'ffill',
      ffillLimit: 2,
      fill: 'last',
    });
    // Column 0: d0 has no earlier value; d2, d3 carry 1; d4 is the third missing cell in a row; d6 carries 5.
    assert.deepEqual(r.rows, [1, 2, 3, 5, 6, 7], 'r.rows');
    assert.deepEqual(plain(r)[0], [1, 1, 1, 5, 5, 7], 'plain(r)[0]');
    assert.equal(r.report.filledCells, 3, 'r.report.filledCells');
    assert.equal(r.report.ffillLimit, 2, 'r.report.ffillLimit');
    assert.deepEqual(
      r.report.responsible.map((a) => [a.column, a.droppedRows, a.firstDropped, a.lastDropped]),
      [[0, 2, 'd0', 'd4']],
      'r.report.responsible.map((a) => [a.column, a.droppedRows, a.firstDrop…',
    );
  });

  test('ffill on returns fills zeros (a carried price)', () => {
    const r = applyMissingPolicy([col(0.01, N, 0.02), col(0.03, 0.04, 0.05)], dates(3), {
      policy: 'ffill',
      ffillLimit: 5,
      fill: 'zero',
    });
    assert.deepEqual(plain(r)[0], [0.01, 0, 0.02], 'plain(r)[0]');
    assert.equal(r.report.warn, false, 'nothing dropped');
  });
});
