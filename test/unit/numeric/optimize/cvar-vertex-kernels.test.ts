// The loops of the min_cvar vertex simplex that work on several sums side by side (four columns, rows or
// assets per pass) give the bits of the plain loops they replace: every sum is still one chain in the
// original order. Random values of mixed magnitudes and signs make any other order show up in the last
// bits; the sizes cover every remainder modulo 4 and sparse as well as dense vectors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError } from '../../../../src/errors.js';
import {
  columnSquares,
  growColumns,
  invertDense,
  productFormUpdate,
  rowDots,
  subtractColumns,
  transposeRows,
} from '../../../../src/numeric/optimize/_cvar-vertex-simplex.js';
import { VertexArena } from '../../../../src/numeric/optimize/_cvar-vertex-simd.js';
import { seededRandom } from '../../../helpers/random.js';

/** Values of magnitudes 1e-6…1e6, either sign, with exact zeros now and then. */
function mixed(rand: () => number, length: number, zeros = 0.05): Float64Array {
  return Float64Array.from({ length }, () => {
    if (rand() < zeros) return 0;
    const sign = rand() < 0.5 ? -1 : 1;
    return sign * 10 ** (12 * rand() - 6) * (1 + rand());
  });
}

function assertSameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(
      Object.is(actual[k], expected[k]),
      `${what}: entry ${k} is ${actual[k]}, the plain loop gives ${expected[k]}`,
    );
  }
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13, 33, 64, 101];

describe('min_cvar vertex simplex kernels', () => {
  test('transposeRows lays out the chosen rows column by column', () => {
    const rand = seededRandom(11);
    for (const n of SIZES) {
      for (const T of [1, 5, 8, 9, 17, 40]) {
        const total = T + 7;
        const r = mixed(rand, total * n);
        const chosen = Int32Array.from({ length: T }, (_, p) => p + Math.floor(rand() * 7));
        chosen.sort();
        const expected = new Float64Array(T * n);
        for (let p = 0; p < T; p++) for (let i = 0; i < n; i++) expected[i * T + p] = r[chosen[p]! * n + i]!;
        assertSameBits(transposeRows(r, n, chosen), expected, `n=${n} T=${T}`);
      }
    }
  });

  test('growColumns gives the layout of transposeRows for a grown set, in place in one memory', () => {
    const rand = seededRandom(12);
    for (const n of SIZES) {
      for (const [before, after] of [
        [1, 1],
        [1, 6],
        [5, 5],
        [5, 17],
        [40, 41],
        [40, 90],
      ] as const) {
        const total = after + 20;
        const r = mixed(rand, total * n);
        // `after` distinct scenarios of `total`, and `before` of them as the previous set.
        const pool = Array.from({ length: total }, (_, t) => t).sort(() => rand() - 0.5);
        const next = Int32Array.from(pool.slice(0, after)).sort();
        const prev = Int32Array.from([...next].sort(() => rand() - 0.5).slice(0, before)).sort();
        const expected = transposeRows(r, n, next);
        // In place: the previous layout at the start of a buffer large enough for the next, stale
        // values (NaN) beyond it.
        const memory = new Float64Array(after * n + 3).fill(Number.NaN);
        memory.set(transposeRows(r, n, prev));
        growColumns(memory, memory, r, n, prev, next);
        assertSameBits(memory.subarray(0, after * n), expected, `in place, n=${n} ${before} → ${after}`);
        const apart = new Float64Array(after * n).fill(Number.NaN);
        growColumns(transposeRows(r, n, prev), apart, r, n, prev, next);
        assertSameBits(apart, expected, `apart, n=${n} ${before} → ${after}`);
      }
    }
  });

  test('subtractColumns gives the bits of one pass per moving asset', () => {
    const rand = seededRandom(12);
    for (const n of SIZES) {
      for (const T of [1, 3, 16, 29]) {
        const cols = mixed(rand, n * T);
        const d = mixed(rand, n + 1, 0.3);
        const moving: number[] = [];
        for (let i = 0; i < n; i++) if (d[i] !== 0) moving.push(i);
        const start = mixed(rand, T);
        const expected = Float64Array.from(start);
        for (const i of moving)
          for (let t = 0; t < T; t++) expected[t] = expected[t]! - cols[i * T + t]! * d[i]!;
        const actual = Float64Array.from(start);
        subtractColumns(actual, cols, T, moving, d);
        assertSameBits(actual, expected, `n=${n} T=${T} moving=${moving.length}`);
      }
    }
  });

  test('the slopes in WebAssembly SIMD give the bits of one pass per moving asset', () => {
    const rand = seededRandom(21);
    let cases = 0;
    for (const n of SIZES) {
      // Odd and even T (the last scenario of an odd T is done apart), T = 1 (no pair at all).
      for (const T of [1, 2, 3, 16, 29, 300]) {
        const arena = VertexArena.create(n, T + 3, true, 0);
        assert.ok(arena !== undefined, 'WebAssembly SIMD runs on every supported Node.js');
        try {
          const cols = arena.columns(T);
          cols.set(mixed(rand, n * T));
          const d = mixed(rand, n + 1, 0.3);
          // Every count of moving assets modulo 4, in a scrambled order (the order is part of the bits).
          const moving: number[] = [];
          for (let i = 0; i < n; i++) if (d[i] !== 0) moving.push(i);
          moving.sort(() => rand() - 0.5);
          const start = mixed(rand, T);
          const expected = Float64Array.from(start);
          for (const i of moving)
            for (let t = 0; t < T; t++) expected[t] = expected[t]! - cols[i * T + t]! * d[i]!;
          const rho = arena.rho(T);
          rho.set(start);
          arena.subtract(T, moving, d);
          assertSameBits(Float64Array.from(rho), expected, `n=${n} T=${T} moving=${moving.length}`);
          cases++;
        } finally {
          arena.release();
        }
      }
    }
    assert.equal(cases, SIZES.length * 6, 'every size ran through the kernel');
  });

  test("the objective's gradient in WebAssembly SIMD: the JavaScript loop's subtractions, row after row", () => {
    const rand = seededRandom(23);
    for (const n of SIZES) {
      const T = 37;
      const arena = VertexArena.create(n, T, true, 0);
      assert.ok(arena !== undefined, 'an arena');
      try {
        const r = mixed(rand, T * n);
        arena.setReturns(r);
        for (const count of [0, 1, 2, 5, 17]) {
          // Rows in any order, repeats allowed: each entry's chain follows the list.
          const rows = Int32Array.from({ length: count }, () => Math.floor(rand() * T));
          const c = 1 / (1 + Math.floor(rand() * 50));
          const start = mixed(rand, n);
          const expected = Float64Array.from(start);
          for (const t of rows) for (let i = 0; i < n; i++) expected[i] = expected[i]! - c * r[t * n + i]!;
          const g = Float64Array.from(start);
          arena.gradient(g, rows, count, c);
          assertSameBits(g, expected, `n=${n} rows=${count}`);
        }
      } finally {
        arena.release();
      }
    }
  });

  test("a released kernels' memory serves a next arena, one at a time, and no longer the first", () => {
    const first = VertexArena.create(40, 500, true, 0);
    assert.ok(first !== undefined, 'an arena');
    const buffer = first.inverse().buffer;
    first.release();
    first.release(); // twice is harmless
    assert.throws(() => first.rho(10), /released/, 'a released arena refuses to be used');
    // Two arenas at once never share a memory; the released one serves one of them (another released
    // earlier in this process may come first).
    const second = VertexArena.create(10, 100, true, 0);
    const third = VertexArena.create(10, 100, true, 0);
    assert.ok(second !== undefined && third !== undefined, 'two arenas');
    try {
      const buffers = [second.inverse().buffer, third.inverse().buffer];
      assert.notEqual(buffers[0], buffers[1], 'arenas in use at once have memories of their own');
      assert.ok(buffers.includes(buffer), 'the released memory is reused');
    } finally {
      second.release();
      third.release();
    }
    assert.equal(VertexArena.create(4, 10), undefined, 'below the size where it pays, the JavaScript loop');
    assert.equal(VertexArena.create(40, 500, false), undefined, 'switched off, the JavaScript loop');
  });

  test('columnSquares sums each column in order', () => {
    const rand = seededRandom(13);
    for (const N of SIZES) {
      const D = mixed(rand, N * N);
      const positions = Array.from({ length: N }, (_, j) => j).filter(() => rand() < 0.7);
      const expected = Float64Array.from(positions, (j) => {
        let s = 0;
        for (let i = 0; i < N; i++) s += D[j * N + i]! ** 2;
        return s;
      });
      assertSameBits(columnSquares(D, N, positions), expected, `N=${N} columns=${positions.length}`);
    }
  });

  test('rowDots sums each row in order', () => {
    const rand = seededRandom(14);
    for (const n of SIZES) {
      const rows = 23;
      const r = mixed(rand, rows * n);
      const z = mixed(rand, n + 1);
      const chosen = Int32Array.from({ length: 1 + Math.floor(rand() * rows) }, () =>
        Math.floor(rand() * rows),
      );
      const expected = Float64Array.from(chosen, (t) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += r[t * n + i]! * z[i]!;
        return s;
      });
      const actual = new Float64Array(chosen.length);
      rowDots(r, n, chosen, z, actual);
      assertSameBits(actual, expected, `n=${n} rows=${chosen.length}`);
    }
  });

  test('productFormUpdate gives the bits of computing every product first, for dense and sparse gradients', () => {
    const rand = seededRandom(15);
    for (const N of SIZES) {
      for (const density of [1, 0.5, 0.2, 1 / N]) {
        const D = mixed(rand, N * N);
        const a = Float64Array.from({ length: N }, (_, i) =>
          rand() < density || i === 0 ? mixed(rand, 1, 0)[0]! : 0,
        );
        const position = Math.floor(rand() * N);
        // The plain update: f = aᵀD over the non-zero a_i in order, then the columns.
        const expected = Float64Array.from(D);
        const f = new Float64Array(N);
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let i = 0; i < N; i++) if (a[i] !== 0) s += a[i]! * expected[j * N + i]!;
          f[j] = s;
        }
        const p = position * N;
        for (let i = 0; i < N; i++) expected[p + i] = expected[p + i]! / f[position]!;
        for (let j = 0; j < N; j++) {
          if (j === position || f[j] === 0) continue;
          for (let i = 0; i < N; i++) expected[j * N + i] = expected[j * N + i]! - f[j]! * expected[p + i]!;
        }
        const what = `N=${N} density=${density.toFixed(2)} position=${position}`;
        const actual = Float64Array.from(D);
        productFormUpdate(actual, N, a, position);
        assertSameBits(actual, expected, what);
        // With the measures: the same D, and gᵀd_j and ‖d_j‖² of the updated columns summed in order.
        const g = mixed(rand, N, 0.2);
        const measure = { g, y: new Float64Array(N), norms: new Float64Array(N) };
        const measured = Float64Array.from(D);
        productFormUpdate(measured, N, a, position, measure);
        assertSameBits(measured, expected, `${what}, measured`);
        const y = new Float64Array(N);
        const norms = new Float64Array(N);
        for (let j = 0; j < N; j++) {
          for (let i = 0; i < N; i++) {
            const v = expected[j * N + i]!;
            y[j] = y[j]! + g[i]! * v;
            norms[j] = norms[j]! + v * v;
          }
        }
        assertSameBits(measure.y, y, `${what}: y`);
        assertSameBits(measure.norms, norms, `${what}: norms`);
      }
    }
  });

  test('productFormUpdate by the WebAssembly kernels on their own D: the bits of the JavaScript loops', () => {
    const rand = seededRandom(22);
    let cases = 0;
    for (const N of SIZES) {
      for (const density of [1, 0.5, 1 / N]) {
        // Every stored row, or fewer (a compact inverse) with implicit unit entries outside them.
        for (const rows of new Set([N, Math.max(1, Math.ceil(N / 2))])) {
          const arena = VertexArena.create(N - 1, 1, true, 0);
          assert.ok(arena !== undefined, 'WebAssembly SIMD runs on every supported Node.js');
          try {
            const D = mixed(rand, N * N);
            const a = Float64Array.from({ length: N }, (_, i) =>
              rand() < density || i === 0 ? mixed(rand, 1, 0)[0]! : 0,
            );
            const g = mixed(rand, N, 0.2);
            const implicit =
              rows === N
                ? null
                : {
                    a: mixed(rand, N, 0.5),
                    g: mixed(rand, N, 0.5),
                    unit: Float64Array.from({ length: N }, () => (rand() < 0.5 ? 1 : 0)),
                  };
            const position = Math.floor(rand() * N);
            const plain = Float64Array.from(D);
            const plainMeasure = { g, y: new Float64Array(N), norms: new Float64Array(N) };
            productFormUpdate(plain, N, a, position, plainMeasure, rows, implicit);
            const inArena = arena.inverse();
            inArena.set(D);
            const measure = { g, y: new Float64Array(N), norms: new Float64Array(N) };
            productFormUpdate(inArena, N, a, position, measure, rows, implicit, arena);
            const what = `N=${N} density=${density.toFixed(2)} rows=${rows} position=${position}`;
            assertSameBits(Float64Array.from(inArena), plain, what);
            assertSameBits(measure.y, plainMeasure.y, `${what}: y`);
            assertSameBits(measure.norms, plainMeasure.norms, `${what}: norms`);
            cases++;
          } finally {
            arena.release();
          }
        }
      }
    }
    assert.ok(cases >= SIZES.length * 3, `${cases} cases`);
  });

  test('productFormUpdate leaves a column whose product is zero as it is, signed zeros included', () => {
    // N = 11, position 0: the other columns go in groups 1–4 and 5–8, then 9 and 10 one by one. With
    // a = e_2, f_j = D_2j: zero (of either sign) in columns 1, 4, 6 and 9, whose entries hold −0 too.
    const N = 11;
    const rand = seededRandom(16);
    const D = mixed(rand, N * N);
    const a = new Float64Array(N);
    a[2] = 1;
    const zeroColumns = [1, 4, 6, 9];
    zeroColumns.forEach((j, k) => {
      D[j * N + 2] = k % 2 === 0 ? -0 : 0;
      D[j * N + ((k + 5) % N)] = -0;
    });
    const measures = [undefined, { g: mixed(rand, N), y: new Float64Array(N), norms: new Float64Array(N) }];
    for (const measure of measures) {
      const actual = Float64Array.from(D);
      productFormUpdate(actual, N, a, 0, measure);
      for (const j of zeroColumns) {
        assertSameBits(
          actual.subarray(j * N, (j + 1) * N),
          D.subarray(j * N, (j + 1) * N),
          `column ${j} (measured: ${measure !== undefined})`,
        );
      }
    }
  });

  test('invertDense gives the plain Gauss–Jordan inverse (up to the sign of zeros) and refuses a singular matrix', () => {
    /** Gauss–Jordan with partial pivoting, every row and column updated. */
    function plainInverse(a: Float64Array, k: number): Float64Array {
      const m = Float64Array.from(a);
      const inv = new Float64Array(k * k);
      for (let i = 0; i < k; i++) inv[i * k + i] = 1;
      for (let col = 0; col < k; col++) {
        let piv = col;
        for (let r = col + 1; r < k; r++)
          if (Math.abs(m[r * k + col]!) > Math.abs(m[piv * k + col]!)) piv = r;
        const pv = m[piv * k + col]!;
        if (pv === 0) throw new Error('singular');
        for (let j = 0; j < k; j++) {
          const a1 = m[piv * k + j]!;
          m[piv * k + j] = m[col * k + j]!;
          m[col * k + j] = a1 / pv;
          const b1 = inv[piv * k + j]!;
          inv[piv * k + j] = inv[col * k + j]!;
          inv[col * k + j] = b1 / pv;
        }
        for (let r = 0; r < k; r++) {
          const f = m[r * k + col]!;
          if (r === col || f === 0) continue;
          for (let j = 0; j < k; j++) {
            m[r * k + j] = m[r * k + j]! - f * m[col * k + j]!;
            inv[r * k + j] = inv[r * k + j]! - f * inv[col * k + j]!;
          }
        }
      }
      return inv;
    }
    const rand = seededRandom(17);
    let compared = 0;
    for (const k of [1, 2, 3, 5, 8, 17, 40, 77]) {
      // Rows like an active set's: the budget (ones), bounds (unit rows) and kinks (−r_t, −1), shuffled.
      const a = new Float64Array(k * k);
      for (let row = 0; row < k; row++) {
        const kind = row === 0 ? 'budget' : rand() < 0.4 ? 'bound' : 'kink';
        for (let j = 0; j < k; j++) {
          if (kind === 'budget') a[row * k + j] = j < k - 1 || k === 1 ? 1 : 0;
          else if (kind === 'bound') a[row * k + j] = j === row - 1 ? 1 : 0;
          else a[row * k + j] = j === k - 1 ? -1 : -mixed(rand, 1, 0.1)[0]! * 1e-2;
        }
      }
      let expected: Float64Array;
      try {
        expected = plainInverse(a, k);
      } catch {
        assert.throws(() => invertDense(a, k), isQuantError, `k=${k}: singular`);
        continue;
      }
      const actual = invertDense(a, k);
      compared++;
      for (let e = 0; e < k * k; e++) {
        assert.ok(
          actual[e] === expected[e],
          `k=${k}: entry ${e} is ${actual[e]}, the plain method gives ${expected[e]}`,
        );
      }
      // The row operations by the WebAssembly kernel, in its memory (a larger arena: a matrix of order
      // k < N there): the bits of the JavaScript loop, signed zeros included.
      const arena = VertexArena.create(k + 2, 1, true, 0);
      assert.ok(arena !== undefined, 'an arena');
      try {
        arena.gaussJordan(k + 3).inverse.fill(Number.NaN); // what a previous simplex may have left
        assertSameBits(Float64Array.from(invertDense(a, k, arena)), actual, `k=${k}, in WebAssembly`);
      } finally {
        arena.release();
      }
    }
    assert.ok(compared >= 6, `only ${compared} of 8 matrices were invertible`);
    const singular = Float64Array.of(1, 2, 2, 4);
    const arena = VertexArena.create(2, 1, true, 0);
    for (const where of [undefined, arena]) {
      assert.throws(
        () => invertDense(singular, 2, where),
        (e: unknown) => isQuantError(e) && e.code === 'E_SOLVER',
        `a singular matrix is E_SOLVER (${where === undefined ? 'JavaScript' : 'WebAssembly'})`,
      );
    }
    arena?.release();
  });
});
