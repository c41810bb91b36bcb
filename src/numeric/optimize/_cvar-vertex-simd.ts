/**
 * The CVaR vertex simplex's passes over long arrays (_cvar-vertex-simplex.ts) in WebAssembly SIMD, each
 * giving the bits of the JavaScript loop it stands for (tests hold them together):
 *
 * - the kinks' slopes (`subtractColumns`): ρ_t −= Σ_k cols[moving_k][t]·d[moving_k], the moving assets
 *   four at a time and in their order, two scenarios per f64x2 instruction. Every scenario gets the same
 *   operations in the same order — ((((ρ − c₀d₀) − c₁d₁) − c₂d₂) − c₃d₃) per group of four, then one
 *   asset at a time for the rest;
 * - the product-form update of the inverse D, four columns at a time (`dotFour`, `updateFour`): the two
 *   lanes of an f64x2 hold two columns, so that each column's sums (aᵀd_j, gᵀd_j, ‖d_j‖²) stay single
 *   chains in order of i, and each entry's d_ij − f_j·d_ip is one multiply and one subtract as before.
 *
 * No fused multiply-add anywhere: each product and each sum is rounded on its own, as in JavaScript.
 * D, the working set's returns and ρ live in the instance's memory (the simplex writes them there), so
 * a pivot copies in only short vectors: the moving assets' offsets and directions, a and g.
 */
import {
  at,
  addTo,
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
  type WasmInstance,
} from '../linalg/_wasm.js';

// Parameters: byte offsets of ρ (T entries), of the moving columns' byte offsets (i32, m of them) and of
// their directions (f64, m); m; T.
const [RHO, OFFS, DIRS, M, T] = [0, 1, 2, 3, 4];
// Locals (i32): the asset counter, the byte index into a column, the bytes of the scenario pairs, the
// four columns' offsets, the address of the directions of a group.
const [K, TB, PAIRS, C0, C1, C2, C3, DA] = [5, 6, 7, 8, 9, 10, 11, 12];
// Locals (v128): the four directions, splat.
const [V0, V1, V2, V3] = [13, 14, 15, 16];

// update4(p, q0, q1, q2, q3, f, g, rows, out) and dot4(q0, q1, q2, q3, a, rows, out): byte addresses of
// D's columns p and q0…q3, of the four factors f, of g or a (rows entries), of the results.
const [UP, UQ0, UQ1, UQ2, UQ3, UF, UG, UROWS, UOUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [DQ0, DQ1, DQ2, DQ3, DA_, DROWS, DOUT] = [0, 1, 2, 3, 4, 5, 6];

const I32_LOAD = 0x28;
const I32_GT_U = 0x4b;
const I32_SHR_U = OP.i32ShrU;

/** i32.load of base + offset (4-byte aligned). */
const loadI32 = (base: number, offset: number): number[] => [...get(base), I32_LOAD, 2, offset];
const loadPair = (base: number): number[] => [...at(base, TB), ...simd(SIMD_OP.v128Load, ...mem(0))];
const loadOne = (base: number): number[] => [...at(base, TB), OP.f64Load, ...mem(0)];

/** ρ[pair] − c[pair]·d for the columns and directions given, in order, on the value on the stack. */
function pairTerms(columns: readonly number[], dirs: readonly number[]): number[] {
  return columns.flatMap((c, i) => [
    ...loadPair(c),
    ...get(dirs[i] as number),
    ...simd(SIMD_OP.f64x2Mul),
    ...simd(SIMD_OP.f64x2Sub),
  ]);
}

/** The same for the last scenario when T is odd (lane 0 of each direction). */
function oneTerms(columns: readonly number[], dirs: readonly number[]): number[] {
  return columns.flatMap((c, i) => [
    ...loadOne(c),
    ...get(dirs[i] as number),
    ...simd(SIMD_OP.f64x2ExtractLane, 0),
    OP.f64Mul,
    OP.f64Sub,
  ]);
}

/** Every scenario of ρ loses the terms of `columns` (their offsets and splat directions set). */
function passCode(columns: readonly number[], dirs: readonly number[]): number[] {
  return [
    ...i32Const(0),
    ...set(TB),
    ...whileBelow(TB, PAIRS, [
      ...at(RHO, TB),
      ...loadPair(RHO),
      ...pairTerms(columns, dirs),
      ...simd(SIMD_OP.v128Store, ...mem(0)),
      ...addTo(TB, 16),
    ]),
    // T odd: the last scenario, at byte PAIRS, in scalar arithmetic.
    ...get(T),
    ...i32Const(1),
    OP.i32And,
    OP.if,
    0x40,
    ...at(RHO, TB),
    ...loadOne(RHO),
    ...oneTerms(columns, dirs),
    OP.f64Store,
    ...mem(0),
    OP.end,
  ];
}

/** into = base + (index << bits): the address of entry `index` of an array of 2^bits-byte entries. */
function elementAddress(base: number, index: number, bits: number, into: number): number[] {
  return [...get(base), ...get(index), ...i32Const(bits), OP.i32Shl, OP.i32Add, ...set(into)];
}

/** subtract(ρ, offsets, directions, m, T). */
function subtractCode(): number[] {
  const splat = (local: number, offset: number): number[] => [
    ...get(DA),
    ...simd(SIMD_OP.v128Load64Splat, ...mem(offset)),
    ...set(local),
  ];
  return [
    // Bytes of the scenario pairs: (T >> 1) · 16.
    ...get(T),
    ...i32Const(1),
    I32_SHR_U,
    ...i32Const(4),
    OP.i32Shl,
    ...set(PAIRS),
    ...i32Const(0),
    ...set(K),
    // Groups of four moving assets while k + 4 ≤ m.
    OP.block,
    0x40,
    OP.loop,
    0x40,
    ...get(K),
    ...i32Const(4),
    OP.i32Add,
    ...get(M),
    I32_GT_U,
    OP.brIf,
    1,
    ...elementAddress(OFFS, K, 2, C3),
    ...loadI32(C3, 0),
    ...set(C0),
    ...loadI32(C3, 4),
    ...set(C1),
    ...loadI32(C3, 8),
    ...set(C2),
    ...loadI32(C3, 12),
    ...set(C3),
    ...elementAddress(DIRS, K, 3, DA),
    ...splat(V0, 0),
    ...splat(V1, 8),
    ...splat(V2, 16),
    ...splat(V3, 24),
    ...passCode([C0, C1, C2, C3], [V0, V1, V2, V3]),
    ...addTo(K, 4),
    OP.br,
    0,
    OP.end,
    OP.end,
    // The rest, one asset at a time.
    OP.block,
    0x40,
    OP.loop,
    0x40,
    ...get(K),
    ...get(M),
    OP.i32GeU,
    OP.brIf,
    1,
    ...elementAddress(OFFS, K, 2, C0),
    ...loadI32(C0, 0),
    ...set(C0),
    ...elementAddress(DIRS, K, 3, DA),
    ...splat(V0, 0),
    ...passCode([C0], [V0]),
    ...addTo(K, 1),
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

const lane = (op: number, index: number): number[] => simd(op, ...mem(0), index);
const splatAt = (base: number, ib: number): number[] => [
  ...at(base, ib),
  ...simd(SIMD_OP.v128Load64Splat, ...mem(0)),
];

/** [D(qa + i), D(qb + i)] on the stack (ib: the byte index 8i). */
function pairOf(qa: number, qb: number, ib: number): number[] {
  return [
    ...at(qb, ib),
    ...at(qa, ib),
    ...simd(SIMD_OP.v128Load64Zero, ...mem(0)),
    ...lane(SIMD_OP.v128Load64Lane, 1),
  ];
}

/** The vector `v` back into the two columns' entries i. */
function storePair(qa: number, qb: number, ib: number, v: number): number[] {
  return [
    ...at(qa, ib),
    ...get(v),
    ...lane(SIMD_OP.v128Store64Lane, 0),
    ...at(qb, ib),
    ...get(v),
    ...lane(SIMD_OP.v128Store64Lane, 1),
  ];
}

const zeroVector = (local: number): number[] => [...f64Const(0), ...simd(SIMD_OP.f64x2Splat), ...set(local)];

// update4 locals: the byte index and its end (i32); f01, f23, Σg·v and Σv² of both pairs, d_ip and g_i
// splat, the pair of updated entries (v128).
const [UIB, UEND] = [9, 10];
const [F01, F23, S01, S23, N01, N23, DI, GI, V] = [11, 12, 13, 14, 15, 16, 17, 18, 19];

/** One pair of columns of update4 at entry i: v = d − f·d_ip, stored, then s += g_i·v, n += v·v. */
function updatePair(qa: number, qb: number, f: number, sum: number, squares: number): number[] {
  return [
    ...pairOf(qa, qb, UIB),
    ...get(f),
    ...get(DI),
    ...simd(SIMD_OP.f64x2Mul),
    ...simd(SIMD_OP.f64x2Sub),
    ...set(V),
    ...storePair(qa, qb, UIB, V),
    ...get(sum),
    ...get(GI),
    ...get(V),
    ...simd(SIMD_OP.f64x2Mul),
    ...simd(SIMD_OP.f64x2Add),
    ...set(sum),
    ...get(squares),
    ...get(V),
    ...get(V),
    ...simd(SIMD_OP.f64x2Mul),
    ...simd(SIMD_OP.f64x2Add),
    ...set(squares),
  ];
}

/** update4: the four columns lose f_j times column p, and their sums gᵀd_j, ‖d_j‖² go to out[0 … 7]. */
function update4Code(): number[] {
  return [
    ...get(UROWS),
    ...i32Const(3),
    OP.i32Shl,
    ...set(UEND),
    ...get(UF),
    ...simd(SIMD_OP.v128Load, ...mem(0)),
    ...set(F01),
    ...get(UF),
    ...simd(SIMD_OP.v128Load, ...mem(16)),
    ...set(F23),
    ...zeroVector(S01),
    ...zeroVector(S23),
    ...zeroVector(N01),
    ...zeroVector(N23),
    ...i32Const(0),
    ...set(UIB),
    ...whileBelow(UIB, UEND, [
      ...splatAt(UP, UIB),
      ...set(DI),
      ...splatAt(UG, UIB),
      ...set(GI),
      ...updatePair(UQ0, UQ1, F01, S01, N01),
      ...updatePair(UQ2, UQ3, F23, S23, N23),
      ...addTo(UIB, 8),
    ]),
    ...[S01, S23, N01, N23].flatMap((v, k) => [
      ...get(UOUT),
      ...get(v),
      ...simd(SIMD_OP.v128Store, ...mem(16 * k)),
    ]),
  ];
}

// dot4 locals: the byte index and its end; the two pairs' sums and a_i splat.
const [DIB, DEND] = [7, 8];
const [D01, D23, AI] = [9, 10, 11];

/** dot4: out[0 … 3] = aᵀd_j of the four columns, each summed in order of i. */
function dot4Code(): number[] {
  const accumulate = (qa: number, qb: number, sum: number): number[] => [
    ...get(sum),
    ...get(AI),
    ...pairOf(qa, qb, DIB),
    ...simd(SIMD_OP.f64x2Mul),
    ...simd(SIMD_OP.f64x2Add),
    ...set(sum),
  ];
  return [
    ...get(DROWS),
    ...i32Const(3),
    OP.i32Shl,
    ...set(DEND),
    ...zeroVector(D01),
    ...zeroVector(D23),
    ...i32Const(0),
    ...set(DIB),
    ...whileBelow(DIB, DEND, [
      ...splatAt(DA_, DIB),
      ...set(AI),
      ...accumulate(DQ0, DQ1, D01),
      ...accumulate(DQ2, DQ3, D23),
      ...addTo(DIB, 8),
    ]),
    ...get(DOUT),
    ...get(D01),
    ...simd(SIMD_OP.v128Store, ...mem(0)),
    ...get(DOUT),
    ...get(D23),
    ...simd(SIMD_OP.v128Store, ...mem(16)),
  ];
}

// eliminate(m, inv, k, col, nz, count): the row operations of one pivot column of `invertDense`.
const [EM, EINV, EK, ECOL, ENZ, ECOUNT] = [0, 1, 2, 3, 4, 5];
// Locals (i32): the row, its addresses in m and inv, the pivot row's addresses, the byte index, the
// pairs' end, the row's end, the index of nz; (f64) the factor; (v128) the factor splat.
const [ER, EROWM, EROWI, EPM, EPI, EJB, EPAIRS, EEND, EQ] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
const EF = 15;
const EFV = 16;

/** into = local << bits. */
const shifted = (local: number, bits: number, into: number): number[] => [
  ...get(local),
  ...i32Const(bits),
  OP.i32Shl,
  ...set(into),
];
/** into = the address of row `row` of the k × k matrix at `base` (base + 8·row·k). */
const rowAddress = (base: number, row: number, into: number): number[] => [
  ...get(base),
  ...get(row),
  ...get(EK),
  OP.i32Mul,
  ...i32Const(3),
  OP.i32Shl,
  OP.i32Add,
  ...set(into),
];

/** row[ib … ib + 1] −= f·source[ib … ib + 1] (f splat in a v128 local), two entries in one instruction each. */
const subtractPair = (row: number, source: number, ib: number, f: number): number[] => [
  ...at(row, ib),
  ...at(row, ib),
  ...simd(SIMD_OP.v128Load, ...mem(0)),
  ...get(f),
  ...at(source, ib),
  ...simd(SIMD_OP.v128Load, ...mem(0)),
  ...simd(SIMD_OP.f64x2Mul),
  ...simd(SIMD_OP.f64x2Sub),
  ...simd(SIMD_OP.v128Store, ...mem(0)),
];

/** rowₘ[j] −= f·pivotₘ[j] at byte index ib, as one scalar. */
const scalarUpdate = (row: number, pivot: number, ib: number, f: number): number[] => [
  ...at(row, ib),
  ...at(row, ib),
  OP.f64Load,
  ...mem(0),
  ...get(f),
  ...at(pivot, ib),
  OP.f64Load,
  ...mem(0),
  OP.f64Mul,
  OP.f64Sub,
  OP.f64Store,
  ...mem(0),
];

/** Row r of the matrix: j = col + 1 … k − 1 in pairs, then the last one alone (f ≠ 0 in EF and EFV). */
function matrixRowCode(): number[] {
  return [
    ...get(ECOL),
    ...i32Const(1),
    OP.i32Add,
    ...i32Const(3),
    OP.i32Shl,
    ...set(EJB),
    ...get(EJB),
    ...get(EK),
    ...get(ECOL),
    OP.i32Sub,
    ...i32Const(1),
    OP.i32Sub,
    ...i32Const(1),
    OP.i32ShrU,
    ...i32Const(4),
    OP.i32Shl,
    OP.i32Add,
    ...set(EPAIRS),
    ...whileBelow(EJB, EPAIRS, [...subtractPair(EROWM, EPM, EJB, EFV), ...addTo(EJB, 16)]),
    ...get(EJB),
    ...get(EEND),
    OP.i32LtU,
    OP.if,
    EMPTY,
    ...scalarUpdate(EROWM, EPM, EJB, EF),
    OP.end,
  ];
}

/** Row r of the inverse: the columns listed in nz, one at a time. */
function inverseRowCode(): number[] {
  return [
    ...rowAddress(EINV, ER, EROWI),
    ...shifted(ECOUNT, 2, EPAIRS),
    ...i32Const(0),
    ...set(EQ),
    ...whileBelow(EQ, EPAIRS, [
      ...at(ENZ, EQ),
      I32_LOAD,
      2,
      0,
      ...i32Const(3),
      OP.i32Shl,
      ...set(EJB),
      ...scalarUpdate(EROWI, EPI, EJB, EF),
      ...addTo(EQ, 4),
    ]),
  ];
}

/**
 * For every row r ≠ col with f = m(r, col) ≠ 0: m(r, j) −= f·m(col, j) for j > col (two entries per
 * instruction) and inv(r, j) −= f·inv(col, j) for the columns j listed in nz — the operations of the
 * JavaScript loop, entry by entry.
 */
function eliminateCode(): number[] {
  return [
    ...rowAddress(EM, ECOL, EPM),
    ...rowAddress(EINV, ECOL, EPI),
    ...shifted(EK, 3, EEND),
    ...i32Const(0),
    ...set(ER),
    ...whileBelow(ER, EK, [
      ...get(ER),
      ...get(ECOL),
      OP.i32Eq,
      OP.i32Eqz,
      OP.if,
      EMPTY,
      ...rowAddress(EM, ER, EROWM),
      ...get(EROWM),
      ...get(ECOL),
      ...i32Const(3),
      OP.i32Shl,
      OP.i32Add,
      OP.f64Load,
      ...mem(0),
      ...set(EF),
      ...get(EF),
      ...f64Const(0),
      OP.f64Ne,
      OP.if,
      EMPTY,
      ...get(EF),
      ...simd(SIMD_OP.f64x2Splat),
      ...set(EFV),
      ...matrixRowCode(),
      ...inverseRowCode(),
      OP.end,
      OP.end,
      ...addTo(ER, 1),
    ]),
  ];
}

// matvec4(inv, L, cols, out): out(s, c) = Σ_r inv(s, r)·cols(r, c) for four interleaved columns c.
const [XINV, XL, XCOLS, XOUT] = [0, 1, 2, 3];
const [XS, XRB, XREND, XROW, XO] = [4, 5, 6, 7, 8];
const [XA, XACC01, XACC23] = [9, 10, 11];
const XC = 12;

/** Each of the 4·L sums in order of r, two columns per instruction. */
function matvec4Code(): number[] {
  return [
    ...get(XL),
    ...i32Const(3),
    OP.i32Shl,
    ...set(XREND),
    ...i32Const(0),
    ...set(XS),
    ...get(XOUT),
    ...set(XO),
    ...get(XINV),
    ...set(XROW),
    ...whileBelow(XS, XL, [
      ...zeroVector(XACC01),
      ...zeroVector(XACC23),
      ...i32Const(0),
      ...set(XRB),
      ...get(XCOLS),
      ...set(XC),
      ...whileBelow(XRB, XREND, [
        ...splatAt(XROW, XRB),
        ...set(XA),
        ...get(XACC01),
        ...get(XA),
        ...get(XC),
        ...simd(SIMD_OP.v128Load, ...mem(0)),
        ...simd(SIMD_OP.f64x2Mul),
        ...simd(SIMD_OP.f64x2Add),
        ...set(XACC01),
        ...get(XACC23),
        ...get(XA),
        ...get(XC),
        ...simd(SIMD_OP.v128Load, ...mem(16)),
        ...simd(SIMD_OP.f64x2Mul),
        ...simd(SIMD_OP.f64x2Add),
        ...set(XACC23),
        ...addTo(XC, 32),
        ...addTo(XRB, 8),
      ]),
      ...get(XO),
      ...get(XACC01),
      ...simd(SIMD_OP.v128Store, ...mem(0)),
      ...get(XO),
      ...get(XACC23),
      ...simd(SIMD_OP.v128Store, ...mem(16)),
      ...addTo(XO, 32),
      ...get(XROW),
      ...get(XREND),
      OP.i32Add,
      ...set(XROW),
      ...addTo(XS, 1),
    ]),
  ];
}

// gradient(g, rows, count, n, c): g(i) −= c·r(t, i) for the rows t listed (byte offsets of row-major
// returns), one row after another, two entries of g per instruction, the last alone when n is odd.
const [GG, GROWS, GCOUNT, GN, GC] = [0, 1, 2, 3, 4];
const [GQ, GQEND, GROW, GIB, GPAIRS] = [5, 6, 7, 8, 9];
const GCV = 10;

/** The kinks' terms of the objective's gradient, row by row in the order listed (see {@link VertexArena.gradient}). */
function gradientCode(): number[] {
  return [
    ...shifted(GCOUNT, 2, GQEND),
    ...get(GN),
    ...i32Const(1),
    OP.i32ShrU,
    ...i32Const(4),
    OP.i32Shl,
    ...set(GPAIRS),
    ...get(GC),
    ...simd(SIMD_OP.f64x2Splat),
    ...set(GCV),
    ...i32Const(0),
    ...set(GQ),
    ...whileBelow(GQ, GQEND, [
      ...at(GROWS, GQ),
      I32_LOAD,
      2,
      0,
      ...set(GROW),
      ...i32Const(0),
      ...set(GIB),
      ...whileBelow(GIB, GPAIRS, [...subtractPair(GG, GROW, GIB, GCV), ...addTo(GIB, 16)]),
      ...get(GN),
      ...i32Const(1),
      OP.i32And,
      OP.if,
      EMPTY,
      ...scalarUpdate(GG, GROW, GIB, GC),
      OP.end,
      ...addTo(GQ, 4),
    ]),
  ];
}

type SubtractFn = (rho: number, offsets: number, directions: number, m: number, T: number) => void;
type Update4Fn = (...addresses: number[]) => void;
type Dot4Fn = (...addresses: number[]) => void;
type EliminateFn = (m: number, inv: number, k: number, col: number, nz: number, count: number) => void;
type Matvec4Fn = (inv: number, L: number, cols: number, out: number) => void;
type GradientFn = (g: number, rows: number, count: number, n: number, c: number) => void;

const kernel = new WasmKernel(
  () =>
    encodeModule([
      {
        name: 'subtract',
        params: [I32, I32, I32, I32, I32],
        locals: [
          [8, I32],
          [4, V128],
        ],
        code: subtractCode(),
      },
      {
        name: 'update4',
        params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
        locals: [
          [2, I32],
          [9, V128],
        ],
        code: update4Code(),
      },
      {
        name: 'dot4',
        params: [I32, I32, I32, I32, I32, I32, I32],
        locals: [
          [2, I32],
          [3, V128],
        ],
        code: dot4Code(),
      },
      {
        name: 'eliminate',
        params: [I32, I32, I32, I32, I32, I32],
        locals: [
          [9, I32],
          [1, F64],
          [1, V128],
        ],
        code: eliminateCode(),
      },
      {
        name: 'matvec4',
        params: [I32, I32, I32, I32],
        locals: [
          [5, I32],
          [3, V128],
          [1, I32],
        ],
        code: matvec4Code(),
      },
      {
        name: 'gradient',
        params: [I32, I32, I32, I32, F64],
        locals: [
          [5, I32],
          [1, V128],
        ],
        code: gradientCode(),
      },
    ]),
  0,
  // Released memories, taken by the next simplex that fits: a process solving many small problems (a
  // walk-forward) reuses an instance instead of reserving a new memory per solve.
  { size: 2, maxBytes: 64 * 2 ** 20 },
);

/** Bytes of linear memory a problem may take at most (32-bit addresses; the kernel falls back above). */
const MAX_BYTES = 2 ** 31;
/** Returns (assets × scenarios) from which the kernel is used: below, the JavaScript loop is as fast. */
const SIMD_MIN_ENTRIES = 4096;

/** A leased instance and its exports. */
interface KernelMemory {
  readonly instance: WasmInstance;
  readonly buffer: ArrayBuffer;
  readonly subtract: SubtractFn;
  readonly update4: Update4Fn;
  readonly dot4: Dot4Fn;
  readonly eliminate: EliminateFn;
  readonly matvec4: Matvec4Fn;
  readonly gradient: GradientFn;
}

/**
 * The memory of one simplex: D (N × N, N = n + 1), the working set's returns by asset (n × T of at most
 * `maxT` scenarios), ρ, and room for a pivot's short vectors. Its views stay valid until
 * {@link release} (a memory of its own meanwhile, never grown).
 */
export class VertexArena {
  private readonly N: number;
  private readonly colsAt: number;
  private readonly rhoAt: number;
  private readonly offsets: Int32Array;
  private readonly directions: Float64Array;
  private readonly vectorA: Float64Array;
  private readonly vectorG: Float64Array;
  private readonly factors: Float64Array;
  /** What update4 and dot4 leave: four sums gᵀd_j, then four ‖d_j‖² (dot4: four aᵀd_j). */
  readonly out: Float64Array;
  /** A refactorisation's Gauss–Jordan: the matrix and its inverse (up to N × N each), a list of columns. */
  private readonly gaussAt: number;
  private readonly inverseAt: number;
  private readonly listAt: number;
  /** Four columns interleaved (up to 4N entries) and their four products (4N). */
  private readonly packAt: number;
  private readonly productsAt: number;
  /** The returns row by row (maxT × n), a gradient (N) and a list of rows (maxT). */
  private readonly returnsAt: number;
  private readonly gradientAt: number;
  private readonly rowListAt: number;
  private memory: KernelMemory | undefined;

  private constructor(
    memory: KernelMemory,
    private readonly n: number,
    maxT: number,
  ) {
    this.memory = memory;
    const N = n + 1;
    this.N = N;
    this.colsAt = 8 * N * N;
    this.rhoAt = this.colsAt + 8 * n * maxT;
    const dirsAt = this.rhoAt + 8 * (maxT + 1);
    this.directions = new Float64Array(memory.buffer, dirsAt, n);
    this.offsets = new Int32Array(memory.buffer, dirsAt + 8 * n, n);
    const vectorsAt = dirsAt + 16 * n;
    this.vectorA = new Float64Array(memory.buffer, vectorsAt, N);
    this.vectorG = new Float64Array(memory.buffer, vectorsAt + 8 * N, N);
    this.factors = new Float64Array(memory.buffer, vectorsAt + 16 * N, 4);
    this.out = new Float64Array(memory.buffer, vectorsAt + 16 * N + 32, 8);
    this.gaussAt = vectorsAt + 16 * N + 96;
    this.inverseAt = this.gaussAt + 8 * N * N;
    this.listAt = this.inverseAt + 8 * N * N;
    this.packAt = this.listAt + 8 * N;
    this.productsAt = this.packAt + 32 * N;
    this.returnsAt = this.productsAt + 32 * N;
    this.gradientAt = this.returnsAt + 8 * n * maxT;
    this.rowListAt = this.gradientAt + 8 * N;
  }

  /** Bytes of an arena for n assets and `maxT` scenarios. */
  private static bytes(n: number, maxT: number): number {
    const N = n + 1;
    const inverse = 8 * N * N;
    const returns = 8 * n * maxT;
    const slopes = 8 * (maxT + 1) + 16 * n;
    const update = 16 * N + 96;
    const refactorisation = 2 * inverse + 8 * N + 64 * N;
    const gradient = returns + 8 * N + 4 * maxT;
    return inverse + returns + slopes + update + refactorisation + gradient;
  }

  /**
   * An arena for n assets and up to `maxT` scenarios, or undefined where the kernels do not run (no
   * WebAssembly SIMD, more than 2 GiB) or do not pay (fewer than `minEntries` returns).
   */
  static create(
    n: number,
    maxT: number,
    enabled = true,
    minEntries = SIMD_MIN_ENTRIES,
  ): VertexArena | undefined {
    if (!enabled || n * maxT < minEntries) return undefined;
    const bytes = VertexArena.bytes(n, maxT);
    if (bytes > MAX_BYTES) return undefined;
    const instance = kernel.lease(bytes);
    if (instance === undefined) return undefined;
    const exports = instance.exports;
    const memory = {
      instance,
      buffer: instance.memory.buffer,
      subtract: exports['subtract'] as SubtractFn,
      update4: exports['update4'] as Update4Fn,
      dot4: exports['dot4'] as Dot4Fn,
      eliminate: exports['eliminate'] as EliminateFn,
      matvec4: exports['matvec4'] as Matvec4Fn,
      gradient: exports['gradient'] as GradientFn,
    };
    return new VertexArena(memory, n, maxT);
  }

  /**
   * Hand the memory back for the next arena (kept when it is not too large); no view of this arena may be
   * used afterwards. Releasing twice is harmless.
   */
  release(): void {
    const memory = this.memory;
    this.memory = undefined;
    if (memory !== undefined) kernel.giveBack(memory.instance);
  }

  private held(): KernelMemory {
    if (this.memory === undefined) throw new Error("internal: the vertex simplex's memory was released");
    return this.memory;
  }

  /** D, N × N (zeros in a fresh memory, anything in a reused one). */
  inverse(): Float64Array {
    return new Float64Array(this.held().buffer, 0, this.N * this.N);
  }

  /** The returns of T scenarios by asset (n × T), to be filled by the caller. */
  columns(T: number): Float64Array {
    return new Float64Array(this.held().buffer, this.colsAt, this.n * T);
  }

  /** ρ for T scenarios. */
  rho(T: number): Float64Array {
    return new Float64Array(this.held().buffer, this.rhoAt, T);
  }

  /**
   * ρ −= Σ_k cols[moving_k]·d[moving_k] (ρ and the columns: the views of {@link rho} and
   * {@link columns} for the same T), the same bits as `subtractColumns`.
   */
  subtract(T: number, moving: readonly number[], d: Float64Array): void {
    const m = moving.length;
    const { offsets, directions } = this;
    for (let k = 0; k < m; k++) {
      const i = moving[k] as number;
      offsets[k] = this.colsAt + 8 * i * T;
      directions[k] = d[i] as number;
    }
    this.held().subtract(this.rhoAt, offsets.byteOffset, directions.byteOffset, m, T);
  }

  /** a and g (their first `rows` entries) for the next {@link dot4} and {@link update4} calls. */
  setVectors(a: Float64Array, g: Float64Array, rows: number): void {
    this.vectorA.set(a.subarray(0, rows));
    this.vectorG.set(g.subarray(0, rows));
  }

  /** out[0 … 3] = aᵀd_j of D's columns j0 … j3 over their first `rows` entries, each summed in order. */
  dot4(j0: number, j1: number, j2: number, j3: number, rows: number): void {
    const c = 8 * this.N;
    this.held().dot4(c * j0, c * j1, c * j2, c * j3, this.vectorA.byteOffset, rows, this.out.byteOffset);
  }

  /**
   * Columns j0 … j3 of D lose f_j times column p (first `rows` entries); out[0 … 3] = gᵀd_j and
   * out[4 … 7] = ‖d_j‖² of the updated columns, each summed in order of i.
   */
  update4(
    p: number,
    j0: number,
    j1: number,
    j2: number,
    j3: number,
    f: readonly number[],
    rows: number,
  ): void {
    const c = 8 * this.N;
    const factors = this.factors;
    factors[0] = f[0] as number;
    factors[1] = f[1] as number;
    factors[2] = f[2] as number;
    factors[3] = f[3] as number;
    this.held().update4(
      c * p,
      c * j0,
      c * j1,
      c * j2,
      c * j3,
      factors.byteOffset,
      this.vectorG.byteOffset,
      rows,
      this.out.byteOffset,
    );
  }

  /**
   * A Gauss–Jordan of order k ≤ N in this memory: `matrix` (to be filled), `inverse` (to be set to I)
   * and `columns` (the list of {@link eliminate}).
   */
  gaussJordan(k: number): { matrix: Float64Array; inverse: Float64Array; columns: Int32Array } {
    const buffer = this.held().buffer;
    return {
      matrix: new Float64Array(buffer, this.gaussAt, k * k),
      inverse: new Float64Array(buffer, this.inverseAt, k * k),
      columns: new Int32Array(buffer, this.listAt, k),
    };
  }

  /**
   * The row operations of pivot column `col` of the Gauss–Jordan of order k: every row r ≠ col with
   * f = m(r, col) ≠ 0 loses f times row col of the matrix (from col + 1 on) and of the inverse (in the
   * first `count` columns listed) — `invertDense`'s loop.
   */
  eliminate(k: number, col: number, count: number): void {
    this.held().eliminate(this.gaussAt, this.inverseAt, k, col, this.listAt, count);
  }

  /** Room for four columns of L entries, interleaved: entry (r, c) at 4r + c. */
  packed(L: number): Float64Array {
    return new Float64Array(this.held().buffer, this.packAt, 4 * L);
  }

  /**
   * The products of the Gauss–Jordan's inverse (order L, as left by {@link gaussJordan}) with the four
   * {@link packed} columns: entry (s, c) at 4s + c is Σ_r inv(s, r)·col_c(r), summed in order of r.
   */
  products(L: number): Float64Array {
    const memory = this.held();
    memory.matvec4(this.inverseAt, L, this.packAt, this.productsAt);
    return new Float64Array(memory.buffer, this.productsAt, 4 * L);
  }

  /** The returns row by row (T × n, row-major), copied in once for {@link gradient}. */
  setReturns(r: Float64Array): void {
    new Float64Array(this.held().buffer, this.returnsAt, r.length).set(r);
  }

  /**
   * `g` (n entries) minus c·r_t for each row t of `rows` in turn — per entry, the subtractions of the
   * JavaScript loop over the rows in the same order — written back into `g`.
   */
  gradient(g: Float64Array, rows: Int32Array, count: number, c: number): void {
    const memory = this.held();
    const n = this.n;
    const inG = new Float64Array(memory.buffer, this.gradientAt, n);
    inG.set(g.subarray(0, n));
    const list = new Int32Array(memory.buffer, this.rowListAt, count);
    for (let q = 0; q < count; q++) list[q] = this.returnsAt + 8 * n * (rows[q] as number);
    memory.gradient(this.gradientAt, this.rowListAt, count, n, c);
    g.set(inG);
  }
}
