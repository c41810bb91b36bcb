/**
 * The risk-parity coordinate sweep (see `coordinateSweep` in _log-barrier-newton.ts) in WebAssembly
 * SIMD, for the problems where it pays.
 *
 * Each coordinate is the same scalar arithmetic as the JavaScript sweep, operation for operation (the
 * closed-form root, the clip to the box); the update Σx += Σ_i·δ that follows it runs two entries per
 * f64x2 instruction. The entries are independent (one IEEE multiply and one IEEE add each, no fused
 * multiply-add), so the result equals the JavaScript sweep's bit for bit (a test holds them together).
 */
import {
  addTo,
  at,
  EMPTY,
  encodeModule,
  F64,
  f64Const,
  get,
  I32,
  i32Const,
  mem,
  OP,
  set,
  simd,
  SIMD_OP,
  V128,
  WasmKernel,
  whileBelow,
} from '../linalg/_wasm.js';

// Parameters: byte offsets of Σ (n x n), x, Σx, lo, hi (n each); n; c.
const [SIGMA, X, SX, LO, HI, N, C] = [0, 1, 2, 3, 4, 5, 6];
// Locals.
const [I, ROW, J, NB, PAIRS, OFF] = [7, 8, 9, 10, 11, 12];
const [SII, XI, B, DISC, NEXT, DELTA] = [13, 14, 15, 16, 17, 18];
const VD = 19;

const f64At = (base: number, off: number): number[] => [...at(base, off), OP.f64Load, ...mem(0)];

/** root = b ≥ 0 ? 2c / (b + disc) : (−b + disc) / (2·Σ_ii), as the JavaScript sweep writes it. */
function rootCode(): number[] {
  return [
    ...get(B),
    ...f64Const(0),
    OP.f64Ge,
    OP.if,
    F64,
    ...f64Const(2),
    ...get(C),
    OP.f64Mul,
    ...get(B),
    ...get(DISC),
    OP.f64Add,
    OP.f64Div,
    OP.else,
    ...get(B),
    OP.f64Neg,
    ...get(DISC),
    OP.f64Add,
    ...f64Const(2),
    ...get(SII),
    OP.f64Mul,
    OP.f64Div,
    OP.end,
  ];
}

/** Σx[j..j+1] += Σ_i[j..j+1]·δ for the pairs, then the last entry when n is odd. */
function axpyCode(): number[] {
  return [
    ...get(DELTA),
    ...simd(SIMD_OP.f64x2Splat),
    ...set(VD),
    ...i32Const(0),
    ...set(J),
    ...whileBelow(J, PAIRS, [
      ...at(SX, J),
      ...at(SX, J),
      ...simd(SIMD_OP.v128Load, ...mem(0)),
      ...at(ROW, J),
      ...simd(SIMD_OP.v128Load, ...mem(0)),
      ...get(VD),
      ...simd(SIMD_OP.f64x2Mul),
      ...simd(SIMD_OP.f64x2Add),
      ...simd(SIMD_OP.v128Store, ...mem(0)),
      ...addTo(J, 16),
    ]),
    ...get(J),
    ...get(NB),
    OP.i32LtU,
    OP.if,
    EMPTY,
    ...at(SX, J),
    ...f64At(SX, J),
    ...f64At(ROW, J),
    ...get(DELTA),
    OP.f64Mul,
    OP.f64Add,
    OP.f64Store,
    ...mem(0),
    OP.end,
  ];
}

/** Coordinate i: its closed-form minimiser clipped to the box, then the update of Σx. */
function coordinateCode(): number[] {
  return [
    ...get(I),
    ...i32Const(3),
    OP.i32Shl,
    ...set(OFF),
    ...f64At(ROW, OFF),
    ...set(SII),
    ...f64At(X, OFF),
    ...set(XI),
    // b = Σx_i − Σ_ii·x_i
    ...f64At(SX, OFF),
    ...get(SII),
    ...get(XI),
    OP.f64Mul,
    OP.f64Sub,
    ...set(B),
    // disc = √(b·b + 4·Σ_ii·c)
    ...get(B),
    ...get(B),
    OP.f64Mul,
    ...f64Const(4),
    ...get(SII),
    OP.f64Mul,
    ...get(C),
    OP.f64Mul,
    OP.f64Add,
    OP.f64Sqrt,
    ...set(DISC),
    // next = min(hi_i, max(lo_i, root)); δ = next − x_i
    ...f64At(HI, OFF),
    ...f64At(LO, OFF),
    ...rootCode(),
    OP.f64Max,
    OP.f64Min,
    ...set(NEXT),
    ...get(NEXT),
    ...get(XI),
    OP.f64Sub,
    ...set(DELTA),
    ...get(DELTA),
    ...f64Const(0),
    OP.f64Ne,
    OP.if,
    EMPTY,
    ...at(X, OFF),
    ...get(NEXT),
    OP.f64Store,
    ...mem(0),
    ...axpyCode(),
    OP.end,
  ];
}

/** sweep(Σ, x, Σx, lo, hi, n, c): one cyclical sweep over i = 0 … n − 1, in place on x and Σx. */
function sweepCode(): number[] {
  return [
    ...get(N),
    ...i32Const(3),
    OP.i32Shl,
    ...set(NB),
    ...get(N),
    ...i32Const(-2),
    OP.i32And,
    ...i32Const(3),
    OP.i32Shl,
    ...set(PAIRS),
    ...get(SIGMA),
    ...set(ROW),
    ...whileBelow(I, N, [...coordinateCode(), ...addTo(I, 1), ...at(ROW, NB), ...set(ROW)]),
  ];
}

type SweepFn = (sigma: number, x: number, sx: number, lo: number, hi: number, n: number, c: number) => void;

const kernel = new WasmKernel(
  () =>
    encodeModule([
      {
        name: 'sweep',
        params: [I32, I32, I32, I32, I32, I32, F64],
        locals: [
          [6, I32],
          [6, F64],
          [1, V128],
        ],
        code: sweepCode(),
      },
    ]),
  64 * 2 ** 20,
);

/** Assets from which the SIMD sweep is used (below, copying in and out costs more than it saves). */
const SIMD_MIN_ASSETS = 24;

/**
 * A sweeper for one Σ and box: Σ, lo and hi are copied into the kernel's memory once; each call copies
 * x and Σx in, sweeps, and copies them back. Undefined for small problems or where WebAssembly SIMD is
 * not available. Valid until the next sweeper is made (they share the kernel's memory).
 */
export function simdSweeper(
  sigma: Float64Array,
  n: number,
  lo: Float64Array,
  hi: Float64Array,
): ((c: number, x: Float64Array, sx: Float64Array) => void) | undefined {
  if (n < SIMD_MIN_ASSETS) return undefined;
  const at = { sigma: 0, x: 8 * n * n, sx: 8 * n * (n + 1), lo: 8 * n * (n + 2), hi: 8 * n * (n + 3) };
  const instance = kernel.instance(8 * n * (n + 4));
  if (instance === undefined) return undefined;
  const heap = new Float64Array(instance.memory.buffer, 0, n * (n + 4));
  heap.set(sigma, 0);
  heap.set(lo, n * (n + 2));
  heap.set(hi, n * (n + 3));
  const sweep = instance.exports['sweep'] as SweepFn;
  return (c, x, sx) => {
    heap.set(x, n * n);
    heap.set(sx, n * (n + 1));
    sweep(at.sigma, at.x, at.sx, at.lo, at.hi, n, c);
    x.set(heap.subarray(n * n, n * (n + 1)));
    sx.set(heap.subarray(n * (n + 1), n * (n + 2)));
  };
}
