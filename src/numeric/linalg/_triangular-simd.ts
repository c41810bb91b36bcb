/**
 * The triangular solves of cholesky.ts (`forwardSubstitute`, `backSubstituteTransposed`) in WebAssembly
 * SIMD, on a factor that lives in the kernel's memory (the updatable factor of the active-set solvers).
 *
 * Forward: rows i and i + 1 together, as the JavaScript loop takes them; their two running sums share
 * one f64x2 (lane 0 row i, lane 1 row i + 1), each step one multiply and one subtract per lane in the
 * order p = 0, 1, …, then the same divisions. Back: the update y_p ← y_p − l_ip·x_i − l_{i−1,p}·x_{i−1}
 * two entries p at a time (independent entries, same operations). Row removal (`dropRow` in
 * updatable-cholesky.ts): the Givens rotations two rows share, one row per lane. So all of them equal the
 * JavaScript loops bit for bit (tests).
 */
import {
  addTo,
  at,
  EMPTY,
  encodeModule,
  F64,
  get,
  I32,
  i32Const,
  mem,
  OP,
  set,
  simd,
  SIMD_OP,
  tee,
  V128,
  WasmKernel,
  whileBelow,
} from './_wasm.js';

// forward(l, b, k, ld) and back(l, y, k, ld): byte offsets of the factor and the vector, the order, the
// row stride in bytes. Locals: i32 4-9, f64 10-11, v128 12-13.
const [L, B, K, LD] = [0, 1, 2, 3];
const [RI, RN, P, PEND, I, LIM] = [4, 5, 6, 7, 8, 9];
const [X1, X2] = [10, 11];
const [V1, V2] = [12, 13];

const f64Load = (offset = 0): number[] => [OP.f64Load, ...mem(offset)];
const f64Store = (offset = 0): number[] => [OP.f64Store, ...mem(offset)];
/** local = local (i32) shifted left by 3: an index in bytes. */
const bytes = (local: number): number[] => [...get(local), ...i32Const(3), OP.i32Shl];

/** The odd last row of the forward solve: plain dot product in order p = 0 … i − 1, then the division. */
function forwardLastRow(): number[] {
  return [
    ...at(B, PEND),
    ...f64Load(),
    ...set(X1),
    ...i32Const(0),
    ...set(P),
    ...whileBelow(P, PEND, [
      ...get(X1),
      ...at(RI, P),
      ...f64Load(),
      ...at(B, P),
      ...f64Load(),
      OP.f64Mul,
      OP.f64Sub,
      ...set(X1),
      ...addTo(P, 8),
    ]),
    ...at(B, PEND),
    ...get(X1),
    ...at(RI, PEND),
    ...f64Load(),
    OP.f64Div,
    ...f64Store(),
  ];
}

/** Rows i, i + 1: both sums over p < i in one vector, then y_i, the last term of row i + 1, y_{i+1}. */
function forwardPair(): number[] {
  return [
    ...at(RI, LD),
    ...set(RN),
    ...bytes(I),
    ...tee(PEND),
    ...get(B),
    OP.i32Add,
    ...simd(SIMD_OP.v128Load, ...mem(0)),
    ...set(V1),
    ...i32Const(0),
    ...set(P),
    ...whileBelow(P, PEND, [
      ...get(V1),
      ...at(RN, P),
      ...at(RI, P),
      ...simd(SIMD_OP.v128Load64Zero, ...mem(0)),
      ...simd(SIMD_OP.v128Load64Lane, ...mem(0), 1),
      ...at(B, P),
      ...simd(SIMD_OP.v128Load64Splat, ...mem(0)),
      ...simd(SIMD_OP.f64x2Mul),
      ...simd(SIMD_OP.f64x2Sub),
      ...set(V1),
      ...addTo(P, 8),
    ]),
    ...at(B, PEND),
    ...get(V1),
    ...simd(SIMD_OP.f64x2ExtractLane, 0),
    ...at(RI, PEND),
    ...f64Load(),
    OP.f64Div,
    ...tee(X1),
    ...f64Store(),
    ...at(B, PEND),
    ...get(V1),
    ...simd(SIMD_OP.f64x2ExtractLane, 1),
    ...at(RN, PEND),
    ...f64Load(),
    ...get(X1),
    OP.f64Mul,
    OP.f64Sub,
    ...at(RN, PEND),
    ...f64Load(8),
    OP.f64Div,
    ...f64Store(8),
    ...addTo(I, 2),
    ...at(RN, LD),
    ...set(RI),
  ];
}

/** forward(l, b, k, ld): L·y = b in place, k ≥ 1. */
function forwardCode(): number[] {
  return [
    ...get(L),
    ...set(RI),
    // Pairs while i < k − 1, then the last row of an odd k.
    ...get(K),
    ...i32Const(-1),
    OP.i32Add,
    ...set(LIM),
    ...whileBelow(I, LIM, forwardPair()),
    ...get(I),
    ...get(K),
    OP.i32LtU,
    OP.if,
    EMPTY,
    ...bytes(I),
    ...set(PEND),
    ...forwardLastRow(),
    OP.end,
  ];
}

/** y_p ← y_p − l_ip·x_i − l_{i−1,p}·x_{i−1} for p < i − 1 (LIM bytes): pairs, then a last single entry. */
function backUpdate(): number[] {
  const one = (vector: boolean): number[] => {
    const load = vector ? simd(SIMD_OP.v128Load, ...mem(0)) : f64Load();
    const [mul, sub] = vector ? [simd(SIMD_OP.f64x2Mul), simd(SIMD_OP.f64x2Sub)] : [[OP.f64Mul], [OP.f64Sub]];
    return [
      ...at(B, P),
      ...at(B, P),
      ...load,
      ...at(RI, P),
      ...load,
      ...get(vector ? V1 : X1),
      ...mul,
      ...sub,
      ...at(RN, P),
      ...load,
      ...get(vector ? V2 : X2),
      ...mul,
      ...sub,
      ...(vector ? simd(SIMD_OP.v128Store, ...mem(0)) : f64Store()),
    ];
  };
  return [
    ...get(X1),
    ...simd(SIMD_OP.f64x2Splat),
    ...set(V1),
    ...get(X2),
    ...simd(SIMD_OP.f64x2Splat),
    ...set(V2),
    ...i32Const(0),
    ...set(P),
    // The pairs cover the first (i − 1) & ~1 entries: LIM & ~15 bytes.
    ...get(LIM),
    ...i32Const(-16),
    OP.i32And,
    ...set(PEND),
    ...whileBelow(P, PEND, [...one(true), ...addTo(P, 16)]),
    ...get(P),
    ...get(LIM),
    OP.i32LtU,
    OP.if,
    EMPTY,
    ...one(false),
    OP.end,
  ];
}

/** back(l, y, k, ld): Lᵀ·x = y in place, rows i and i − 1 at a time from the bottom, as the JavaScript. */
function backCode(): number[] {
  const step = [
    // RI = row i, RN = row i − 1, PEND = i in bytes, LIM = (i − 1) in bytes.
    ...get(L),
    ...get(I),
    ...get(LD),
    OP.i32Mul,
    OP.i32Add,
    ...tee(RI),
    ...get(LD),
    OP.i32Sub,
    ...set(RN),
    ...bytes(I),
    ...tee(PEND),
    ...i32Const(-8),
    OP.i32Add,
    ...set(LIM),
    // x_i = y_i / l_ii
    ...at(B, PEND),
    ...at(B, PEND),
    ...f64Load(),
    ...at(RI, PEND),
    ...f64Load(),
    OP.f64Div,
    ...tee(X1),
    ...f64Store(),
    // x_{i−1} = (y_{i−1} − l_{i,i−1}·x_i) / l_{i−1,i−1}
    ...at(B, LIM),
    ...at(B, LIM),
    ...f64Load(),
    ...at(RI, LIM),
    ...f64Load(),
    ...get(X1),
    OP.f64Mul,
    OP.f64Sub,
    ...at(RN, LIM),
    ...f64Load(),
    OP.f64Div,
    ...tee(X2),
    ...f64Store(),
    ...backUpdate(),
    ...addTo(I, -2),
  ];
  return [
    ...get(K),
    ...i32Const(-1),
    OP.i32Add,
    ...set(I),
    // while i ≥ 1 (signed: i reaches −1 for an even k)
    OP.block,
    EMPTY,
    OP.loop,
    EMPTY,
    ...get(I),
    ...i32Const(1),
    OP.i32LtS,
    OP.brIf,
    1,
    ...step,
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(I),
    OP.i32Eqz,
    OP.if,
    EMPTY,
    ...get(B),
    ...get(B),
    ...f64Load(),
    ...get(L),
    ...f64Load(),
    OP.f64Div,
    ...f64Store(),
    OP.end,
  ];
}

/**
 * rotate2(ri, rn, c0, c1, cos, sin, u): the column rotations c = c0 … c1 − 1 of a row removal (see
 * `dropRow` in updatable-cholesky.ts) applied to the rows at byte offsets ri and rn at once, lane 0 row
 * ri, lane 1 row rn: l_c ← cs·u + sn·l_{c+1}, u ← cs·l_{c+1} − sn·u, u starting at l_{c0}. The carried u
 * of both rows is left at byte offset u. The same operations per row as the JavaScript loop.
 */
function rotate2Code(): number[] {
  const [RRI, RRN, RC, RCEND, RCOS, RSIN, RU] = [0, 1, 2, 3, 4, 5, 6];
  const [OFF, OEND] = [7, 8];
  const [U, V, CS, SN, NEW] = [9, 10, 11, 12, 13];
  return [
    ...get(RC),
    ...i32Const(3),
    OP.i32Shl,
    ...set(OFF),
    ...get(RCEND),
    ...i32Const(3),
    OP.i32Shl,
    ...set(OEND),
    ...at(RRN, OFF),
    ...at(RRI, OFF),
    ...simd(SIMD_OP.v128Load64Zero, ...mem(0)),
    ...simd(SIMD_OP.v128Load64Lane, ...mem(0), 1),
    ...set(U),
    ...whileBelow(OFF, OEND, [
      ...at(RRN, OFF),
      ...at(RRI, OFF),
      ...simd(SIMD_OP.v128Load64Zero, ...mem(8)),
      ...simd(SIMD_OP.v128Load64Lane, ...mem(8), 1),
      ...set(V),
      ...at(RCOS, OFF),
      ...simd(SIMD_OP.v128Load64Splat, ...mem(0)),
      ...set(CS),
      ...at(RSIN, OFF),
      ...simd(SIMD_OP.v128Load64Splat, ...mem(0)),
      ...set(SN),
      ...get(CS),
      ...get(U),
      ...simd(SIMD_OP.f64x2Mul),
      ...get(SN),
      ...get(V),
      ...simd(SIMD_OP.f64x2Mul),
      ...simd(SIMD_OP.f64x2Add),
      ...set(NEW),
      ...at(RRI, OFF),
      ...get(NEW),
      ...simd(SIMD_OP.v128Store64Lane, ...mem(0), 0),
      ...at(RRN, OFF),
      ...get(NEW),
      ...simd(SIMD_OP.v128Store64Lane, ...mem(0), 1),
      ...get(CS),
      ...get(V),
      ...simd(SIMD_OP.f64x2Mul),
      ...get(SN),
      ...get(U),
      ...simd(SIMD_OP.f64x2Mul),
      ...simd(SIMD_OP.f64x2Sub),
      ...set(U),
      ...addTo(OFF, 8),
    ]),
    ...get(RU),
    ...get(U),
    ...simd(SIMD_OP.v128Store, ...mem(0)),
  ];
}

type SolveFn = (l: number, b: number, k: number, ld: number) => void;

const LOCALS = [
  [6, I32],
  [2, F64],
  [2, V128],
] as const;

const kernel = new WasmKernel(
  () =>
    encodeModule([
      { name: 'forward', params: [I32, I32, I32, I32], locals: LOCALS, code: forwardCode() },
      { name: 'back', params: [I32, I32, I32, I32], locals: LOCALS, code: backCode() },
      {
        name: 'rotate2',
        params: [I32, I32, I32, I32, I32, I32, I32],
        locals: [
          [2, I32],
          [5, V128],
        ],
        code: rotate2Code(),
      },
    ]),
  0,
  // Released memories, reused by the next factors: fresh WebAssembly memory costs a page fault per 4 KiB
  // on first touch (a third of a 200-asset min-variance solve).
  { size: 4, maxBytes: 64 * 2 ** 20 },
);

/** Orders from which the updatable factor keeps its storage in WebAssembly memory. */
export const SIMD_MIN_ORDER = 56;

/** An n x n factor (stride n) and an n-vector in WebAssembly memory, and the solves on them. */
export interface SimdFactorStorage {
  /** The factor, row-major with stride n. */
  readonly l: Float64Array;
  /** A vector in the same memory: solves on it need no copy. */
  readonly col: Float64Array;
  /** L·y = b in place for the leading k rows (b: `col`, or any array, copied in and out). */
  forward(b: Float64Array, k: number): void;
  /** Lᵀ·x = y in place. */
  back(y: Float64Array, k: number): void;
  /** Scratch for the rotations of a row removal, in the same memory. */
  readonly rotations: { readonly cosines: Float64Array; readonly sines: Float64Array };
  /**
   * Apply the rotations c = c0 … c1 − 1 to rows i and i + 1 of the factor at once (see `dropRow`);
   * returns the carried values of both rows (valid until the next call).
   */
  rotatePair(i: number, c0: number, c1: number): Float64Array;
  /** Give the memory back for the next factor; nothing here may be used after. */
  release(): void;
}

/** Storage for an updatable factor of order n, or undefined below {@link SIMD_MIN_ORDER} or without SIMD. */
export function simdFactorStorage(n: number): SimdFactorStorage | undefined {
  if (n < SIMD_MIN_ORDER || !kernel.available()) return undefined;
  // l (n²), col, scratch, cosines, sines (n each), the carried pair (2).
  const made = kernel.lease(8 * (n * n + 4 * n + 2));
  if (made === undefined) return undefined;
  const buffer = made.memory.buffer;
  const l = new Float64Array(buffer, 0, n * n);
  const col = new Float64Array(buffer, 8 * n * n, n);
  const scratch = new Float64Array(buffer, 8 * n * (n + 1), n);
  const colAt = 8 * n * n;
  const scratchAt = 8 * n * (n + 1);
  const cosAt = 8 * n * (n + 2);
  const sinAt = 8 * n * (n + 3);
  const pairAt = 8 * n * (n + 4);
  const rotations = {
    cosines: new Float64Array(buffer, cosAt, n),
    sines: new Float64Array(buffer, sinAt, n),
  };
  const pair = new Float64Array(buffer, pairAt, 2);
  const rotate2 = made.exports['rotate2'] as (...offsets: number[]) => void;
  const solve = (fn: SolveFn, v: Float64Array, k: number): void => {
    if (k === 0) return;
    if (v === col) {
      fn(0, colAt, k, 8 * n);
      return;
    }
    scratch.set(v.subarray(0, k));
    fn(0, scratchAt, k, 8 * n);
    v.set(scratch.subarray(0, k));
  };
  const forward = made.exports['forward'] as SolveFn;
  const back = made.exports['back'] as SolveFn;
  let released = false;
  return {
    l,
    col,
    forward: (b, k) => solve(forward, b, k),
    back: (y, k) => solve(back, y, k),
    rotations,
    rotatePair: (i, c0, c1) => {
      rotate2(8 * n * i, 8 * n * (i + 1), c0, c1, cosAt, sinAt, pairAt);
      return pair;
    },
    release: () => {
      if (released) return;
      released = true;
      kernel.giveBack(made);
    },
  };
}
