import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows } from '../../../../src/numeric/linalg/matrix.js';
import { correlationDistance } from '../../../../src/numeric/cluster/correlation-distance.js';

describe('correlationDistance', () => {
  test('√((1 − ρ)/2): 0 for ρ = 1, √½ for ρ = 0, 1 for ρ = −1; zero diagonal', () => {
    const d = correlationDistance(
      matrixFromRows([
        [1, 1, 0, -1],
        [1, 1, 0.5, 0],
        [0, 0.5, 1, 0],
        [-1, 0, 0, 1],
      ]),
    );
    assert.deepEqual(
      matrixToRows(d),
      [
        [0, 0, Math.sqrt(0.5), 1],
        [0, 0, 0.5, Math.sqrt(0.5)],
        [Math.sqrt(0.5), 0.5, 0, Math.sqrt(0.5)],
        [1, Math.sqrt(0.5), Math.sqrt(0.5), 0],
      ],
      'matrixToRows(d)',
    );
  });

  test('correlations a rounding error outside [−1, 1] are clipped, never NaN', () => {
    const d = correlationDistance(
      matrixFromRows([
        [1, 1 + 1e-15],
        [-1 - 1e-15, 1],
      ]),
    );
    assert.equal(d.data[1], 0, 'd.data[1]');
    assert.equal(d.data[2], 1, 'd.data[2]');
  });
});
