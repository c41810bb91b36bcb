import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createUpdatableCholesky } from '../../../../src/numeric/linalg/updatable-cholesky.js';
import { maxAbsDiff, randomCovariance, rng, solveLinear } from '../optimize/_fixtures.js';

/** A_FF⁻¹·b by an independent dense solve. */
function referenceSolve(a: Float64Array, n: number, set: readonly number[], b: Float64Array): Float64Array {
  const k = set.length;
  const sub = new Float64Array(k * k);
  for (let x = 0; x < k; x++) for (let y = 0; y < k; y++) sub[x * k + y] = a[set[x]! * n + set[y]!]!;
  return solveLinear(sub, b, k)!;
}

describe('createUpdatableCholesky', () => {
  // 15: the factor in a plain array; 70: in WebAssembly memory with the SIMD solves.
  for (const n of [15, 70]) {
    test(`${n} assets: a random sequence of appends and removes keeps solving A_FF·x = b exactly`, () => {
      const a = randomCovariance(n, 11).data;
      const chol = createUpdatableCholesky(a, n);
      const u = rng(99);
      const inSet = new Set<number>();
      let checks = 0;
      for (let step = 0; step < 300; step++) {
        const j = Math.floor(u() * n);
        if (inSet.has(j)) {
          chol.remove(j);
          inSet.delete(j);
        } else {
          assert.equal(chol.append(j), true, 'chol.append(j)');
          inSet.add(j);
        }
        assert.deepEqual(
          [...chol.order].sort((x, y) => x - y),
          [...inSet].sort((x, y) => x - y),
          '[...chol.order].sort((x, y) => x - y)',
        );
        if (chol.size === 0) continue;
        const b = Float64Array.from({ length: chol.size }, () => u() - 0.5);
        const expected = referenceSolve(a, n, chol.order, b);
        const got = Float64Array.from(b);
        chol.solveInPlace(got);
        assert.ok(
          maxAbsDiff(got, expected) < 1e-8 * Math.max(1, ...Array.from(expected, Math.abs)),
          `step ${step}`,
        );
        checks++;
      }
      assert.ok(checks > 250, 'checks > 250');
    });
  }

  test('the WebAssembly storage (solves, paired rotations) gives the plain array numbers bit for bit', () => {
    // The same 50 x 50 matrix as a factor of order 50 (plain array, JavaScript) and embedded in one of
    // order 70 (WebAssembly memory, SIMD solves and row pairs): the same appends and removes.
    const m = 50;
    const big = 70;
    const a = randomCovariance(m, 21).data;
    const wide = new Float64Array(big * big);
    for (let i = 0; i < big; i++) wide[i * big + i] = 1;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) wide[i * big + j] = a[i * m + j]!;
    const plain = createUpdatableCholesky(a, m);
    const simd = createUpdatableCholesky(wide, big);
    const u = rng(5);
    const fPlain = new Float64Array(m);
    const fSimd = new Float64Array(big);
    let removes = 0;
    for (let step = 0; step < 400; step++) {
      const j = Math.floor(u() * m);
      if (plain.order.includes(j)) {
        for (let x = 0; x < plain.size; x++) fPlain[x] = fSimd[x] = Math.sin(x + step);
        plain.remove(j, [fPlain]);
        simd.remove(j, [fSimd]);
        removes++;
        assert.deepEqual(
          Array.from(fSimd.subarray(0, simd.size)),
          Array.from(fPlain.subarray(0, plain.size)),
          `step ${step}: rotated forward vector`,
        );
      } else {
        assert.equal(simd.append(j), plain.append(j), `step ${step}: append ${j}`);
      }
      const b = Float64Array.from({ length: plain.size }, () => u() - 0.5);
      const x1 = Float64Array.from(b);
      const x2 = new Float64Array(big);
      x2.set(b);
      plain.solveInPlace(x1);
      simd.solveInPlace(x2);
      for (let x = 0; x < plain.size; x++) {
        if (!Object.is(x1[x], x2[x])) assert.fail(`step ${step}, entry ${x}: ${x2[x]} against ${x1[x]}`);
      }
    }
    assert.ok(removes > 100, 'many removals, so many paired rotations');
    simd.dispose();
  });

  test('forward vectors follow appends (extendForward) and removes (rotations)', () => {
    const n = 10;
    const a = randomCovariance(n, 21).data;
    const chol = createUpdatableCholesky(a, n);
    const b = Float64Array.from({ length: n }, (_, i) => 1 + i / 10);
    const y = new Float64Array(n);
    for (const j of [4, 1, 7, 0, 9, 3]) {
      chol.append(j);
      chol.extendForward(y, chol.size - 1, b[j]!);
    }
    for (const j of [7, 4, 3]) chol.remove(j, [y]);
    // y must equal L⁻¹·b_F for the factor of the remaining set.
    const fresh = Float64Array.from(chol.order, (j) => b[j]!);
    chol.forwardInPlace(fresh);
    assert.ok(
      maxAbsDiff(y.subarray(0, chol.size), fresh.subarray(0, chol.size)) < 1e-12,
      'maxAbsDiff(y.subarray(0, chol.size), fresh.subarray(0, chol.size)) < …',
    );
    // And L⁻ᵀ·y solves A_FF·x = b_F.
    const x = Float64Array.from(y);
    chol.backInPlace(x);
    const expected = referenceSolve(
      a,
      n,
      chol.order,
      Float64Array.from(chol.order, (j) => b[j]!),
    );
    assert.ok(
      maxAbsDiff(x.subarray(0, chol.size), expected) < 1e-10,
      'maxAbsDiff(x.subarray(0, chol.size), expected) < 1e-10',
    );
  });

  test('reset factors a whole index set at once, equal to appending it', () => {
    const n = 8;
    const a = randomCovariance(n, 31).data;
    const one = createUpdatableCholesky(a, n);
    const bulk = createUpdatableCholesky(a, n);
    for (const j of [5, 2, 7, 0]) one.append(j);
    assert.equal(bulk.reset([5, 2, 7, 0]), true, 'bulk.reset([5, 2, 7, 0])');
    assert.deepEqual([...bulk.order], [5, 2, 7, 0], '[...bulk.order]');
    const x = Float64Array.from([1, -2, 3, 0.5]);
    const y = Float64Array.from(x);
    one.solveInPlace(x);
    bulk.solveInPlace(y);
    assert.ok(
      maxAbsDiff(x.subarray(0, 4), y.subarray(0, 4)) < 1e-12,
      'maxAbsDiff(x.subarray(0, 4), y.subarray(0, 4)) < 1e-12',
    );
    const singular = createUpdatableCholesky(Float64Array.from([1, 1, 1, 1]), 2);
    assert.equal(singular.reset([0, 1]), false, 'singular.reset([0, 1])');
  });

  test('refuses an index that makes A_FF singular and leaves the factor usable', () => {
    // Asset 2 duplicates asset 0.
    const a = Float64Array.from([1, 0.3, 1, 0.3, 2, 0.3, 1, 0.3, 1]);
    const chol = createUpdatableCholesky(a, 3);
    assert.equal(chol.append(0), true, 'chol.append(0)');
    assert.equal(chol.append(1), true, 'chol.append(1)');
    assert.equal(chol.append(2), false, 'chol.append(2)');
    assert.deepEqual([...chol.order], [0, 1], '[...chol.order]');
    const x = Float64Array.from([1.3, 2.3]);
    chol.solveInPlace(x);
    assert.ok(maxAbsDiff(x.subarray(0, 2), [1, 1]) < 1e-14, 'maxAbsDiff(x.subarray(0, 2), [1, 1]) < 1e-14');
    assert.equal(chol.refactor(), true, 'chol.refactor()');
  });

  test('schur: the pivot an index would get, without changing the factor', () => {
    // A = [[4, 2, 2], [2, 5, 1], [2, 1, 1]]: with F = {0}, index 1 gets 5 − 2²/4 = 4; index 2 gets 1 − 2²/4 = 0
    // (A_{0,2} is singular), and in [[4, 2], [2, −1]] the pivot 2 would be −2 (indefinite).
    const a = Float64Array.from([4, 2, 2, 2, 5, 1, 2, 1, 1]);
    const chol = createUpdatableCholesky(a, 3);
    assert.equal(chol.append(0), true, 'chol.append(0)');
    assert.equal(chol.schur(1), 4, 'chol.schur(1)');
    assert.equal(chol.schur(2), 0, 'chol.schur(2)');
    assert.deepEqual([...chol.order], [0], '[...chol.order]');
    assert.equal(chol.append(2), false, 'chol.append(2)');
    const b = Float64Array.from([4, 2, 2, -1]);
    const indefinite = createUpdatableCholesky(b, 2);
    assert.equal(indefinite.append(0), true, 'indefinite.append(0)');
    assert.equal(indefinite.schur(1), -2, 'indefinite.schur(1)');
  });

  test('appends and removes equal the textbook updates to the last bit (row-wise rotations)', () => {
    const n = 40;
    const a = randomCovariance(n, 21).data;
    const chol = createUpdatableCholesky(a, n);
    const reference = textbookFactor(a, n);
    const u = rng(7);
    const f = new Float64Array(n);
    const g = new Float64Array(n);
    let removals = 0;
    for (let step = 0; step < 400; step++) {
      const j = Math.floor(u() * n);
      if (reference.order.includes(j)) {
        // f, g: forward vectors L⁻¹·(fixed right-hand sides), rotated along.
        chol.remove(j, [f]);
        reference.remove(j, [g]);
        removals++;
      } else {
        assert.equal(chol.append(j), true, `step ${step}: append ${j}`);
        reference.append(j);
        const row = chol.size - 1;
        chol.extendForward(f, row, Math.cos(j));
        reference.extendForward(g, row, Math.cos(j));
      }
      assert.deepEqual([...chol.order], reference.order, `step ${step}: same order`);
      const k = chol.size;
      for (let p = 0; p < k; p++) {
        if (!Object.is(f[p], g[p])) assert.fail(`step ${step}: forward vector entry ${p} ${f[p]} vs ${g[p]}`);
      }
      // L⁻¹ column by column: any bit of L that differs shows here.
      for (let c = 0; c < k; c++) {
        const x = new Float64Array(k);
        x[c] = 1;
        const y = x.slice();
        chol.forwardInPlace(x);
        reference.forward(y);
        for (let p = 0; p < k; p++) {
          if (!Object.is(x[p], y[p])) assert.fail(`step ${step}: (L⁻¹)[${p}, ${c}] ${x[p]} vs ${y[p]}`);
        }
      }
    }
    assert.ok(removals > 100, `only ${removals} removals`);
  });
});

/** The plain updates: append by a forward solve, remove by rotating column pairs across all rows. */
function textbookFactor(a: Float64Array, n: number) {
  const l = new Float64Array(n * n);
  const order: number[] = [];
  const forward = (y: Float64Array): void => {
    for (let i = 0; i < order.length; i++) {
      let s = y[i]!;
      for (let p = 0; p < i; p++) s -= l[i * n + p]! * y[p]!;
      y[i] = s / l[i * n + i]!;
    }
  };
  return {
    order,
    forward,
    append(j: number): void {
      const k = order.length;
      const col = new Float64Array(k);
      for (let p = 0; p < k; p++) col[p] = a[j * n + order[p]!]!;
      forward(col);
      let d = a[j * n + j]!;
      for (let p = 0; p < k; p++) d -= col[p]! * col[p]!;
      for (let p = 0; p < k; p++) l[k * n + p] = col[p]!;
      l[k * n + k] = Math.sqrt(d);
      order.push(j);
    },
    extendForward(y: Float64Array, row: number, bRow: number): void {
      let s = bRow;
      for (let p = 0; p < row; p++) s -= l[row * n + p]! * y[p]!;
      y[row] = s / l[row * n + row]!;
    },
    remove(j: number, vectors: Float64Array[]): void {
      const pos = order.indexOf(j);
      const k = order.length;
      for (let i = pos + 1; i < k; i++) l.copyWithin((i - 1) * n, i * n, i * n + i + 1);
      for (let c = pos; c < k - 1; c++) {
        const x = l[c * n + c]!;
        const y = l[c * n + c + 1]!;
        const r = Math.hypot(x, y);
        const cs = x / r;
        const sn = y / r;
        for (let i = c; i < k - 1; i++) {
          const u = l[i * n + c]!;
          const v = l[i * n + c + 1]!;
          l[i * n + c] = cs * u + sn * v;
          l[i * n + c + 1] = cs * v - sn * u;
        }
        l[c * n + c + 1] = 0;
        for (const f of vectors) {
          const u = f[c]!;
          const v = f[c + 1]!;
          f[c] = cs * u + sn * v;
          f[c + 1] = cs * v - sn * u;
        }
      }
      order.splice(pos, 1);
    },
  };
}
