/**
 * The Cholesky factorisation of cholesky.ts in WebAssembly SIMD, for the sizes where it pays; the same
 * factor to the last bit.
 *
 * Right-looking by blocks of {@link BLOCK} columns: factor the block's columns (`panel`, scalar), then
 * subtract the block's contribution l_ip·l_jp, p in the block, from the entries right of and below it
 * (`update`, SIMD). The blocks come in super-blocks of {@link SUB_BLOCKS}: within one, each block updates
 * the super-block's later columns at once; the entries right of the super-block then receive its blocks
 * tile by tile ({@link TILE_ROWS} x {@link TILE_COLUMNS}), all of them while the tile stays in cache,
 * instead of one pass over the whole trailing matrix per block (at 2,000 assets that matrix is 16 MB,
 * and the passes were bound by memory). An entry a_ij so receives its products in the order
 * p = 0, 1, …, j − 1, block after block and within each block in increasing p — one IEEE multiply and
 * one IEEE subtract each, exactly the sequence s -= l_ip·l_jp of the row-wise loop — before its own
 * column divides it by l_jj (the diagonal: the square root). So every entry, every pivot test and the
 * first failing pivot are the row-wise loop's.
 *
 * The kernel runs across j, two entries per f64x2 instruction, with the block's columns of L stored
 * transposed in pairs of rows ({@link packBlock}) so that l_jp, l_j+1,p sit side by side; the entries
 * are independent, so the vectors do not change any sum.
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
  tee,
  V128,
  WasmKernel,
  whileBelow,
} from './_wasm.js';

/** Columns per block (the kernel subtracts eight products per entry and pass). */
const BLOCK = 8;
/** Blocks per super-block: the entries right of one receive its blocks tile by tile. */
const SUB_BLOCKS = 16;
const SUPER_BLOCK = SUB_BLOCKS * BLOCK;
/** The tiles of the trailing entries (rows x columns; columns a multiple of BLOCK). */
const TILE_ROWS = 32;
const TILE_COLUMNS = 256;

// update(w, pt, k, c0, i0, i1, j0, j1): rows i0 ≤ i < i1 of the k x k row-major w at byte offset w,
// entries j0 ≤ j < j1, j ≤ i; pt points at the packed pair of rows (j0, j0 + 1).
const [W, PT, K, C0, I0, I1, J0, J1] = [0, 1, 2, 3, 4, 5, 6, 7];
const [ROW, END, WP, PP, I, LAST] = [8, 9, 10, 11, 12, 13];
const S = 14; // 8 v128 locals: the row's l_ip for the block's p, broadcast

/**
 * Load the entry (pair) at WP and subtract s_q · pt[q] for q = 0 … 7, in order, leaving the result on
 * the stack (vector, or the diagonal alone: lane 0 and the first entry of each pair of pt).
 */
function subtractBlock(vector: boolean): number[] {
  const code: number[] = [
    ...get(WP),
    ...(vector ? simd(SIMD_OP.v128Load, ...mem(0)) : [OP.f64Load, ...mem(0)]),
  ];
  for (let q = 0; q < BLOCK; q++) {
    if (vector) {
      code.push(
        ...get(S + q),
        ...get(PP),
        ...simd(SIMD_OP.v128Load, ...mem(16 * q)),
        ...simd(SIMD_OP.f64x2Mul),
        ...simd(SIMD_OP.f64x2Sub),
      );
    } else {
      // l_iq (lane 0 of the broadcast) · pt[q] (its first entry, the diagonal's column).
      code.push(
        ...get(S + q),
        ...simd(SIMD_OP.f64x2ExtractLane, 0),
        ...get(PP),
        OP.f64Load,
        ...mem(16 * q),
        OP.f64Mul,
        OP.f64Sub,
      );
    }
  }
  return code;
}

function updateCode(): number[] {
  /** The byte address of column `col` (an i32 local) of the row at ROW. */
  const column = (col: number): number[] => [...get(ROW), ...get(col), ...i32Const(3), OP.i32Shl, OP.i32Add];
  const row = [
    // ROW = w + i·k·8; the block's l_ip broadcast from the row's columns c0 … c0 + 7.
    ...get(W),
    ...get(I),
    ...get(K),
    OP.i32Mul,
    ...i32Const(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(ROW),
    ...column(C0),
    ...set(WP),
  ];
  for (let q = 0; q < BLOCK; q++)
    row.push(...get(WP), ...simd(SIMD_OP.v128Load64Splat, ...mem(8 * q)), ...set(S + q));
  row.push(
    // WP at column j0; END at the diagonal when it lies before j1 (LAST: the diagonal, to be done alone
    // when it is the first of a pair), else at column j1 (LAST: none).
    ...column(J0),
    ...set(WP),
    ...get(I),
    ...get(J1),
    OP.i32LtU,
    OP.if,
    EMPTY,
    ...column(I),
    ...tee(END),
    ...set(LAST),
    OP.else,
    ...column(J1),
    ...set(END),
    ...i32Const(-1),
    ...set(LAST),
    OP.end,
    ...get(PT),
    ...set(PP),
    // Pairs (j, j + 1), j + 1 ≤ i.
    ...whileBelow(WP, END, [
      ...get(WP),
      ...subtractBlock(true),
      ...simd(SIMD_OP.v128Store, ...mem(0)),
      ...addTo(WP, 16),
      ...addTo(PP, 16 * BLOCK),
    ]),
    // The diagonal alone when it is the first of a pair.
    ...get(WP),
    ...get(LAST),
    OP.i32Eq,
    OP.if,
    EMPTY,
    ...get(WP),
    ...subtractBlock(false),
    OP.f64Store,
    ...mem(0),
    OP.end,
  );
  return [...get(I0), ...set(I), ...whileBelow(I, I1, [...row, ...addTo(I, 1)])];
}

/*
 * panel(w, diag, k, c0, floor) → the failing column or −1: factor columns c0 … c0 + 7 (fewer in the last
 * block) of w, whose entries already hold a_ij minus the products of the earlier blocks. Column by
 * column: the diagonal gets the products of the block's earlier columns in order, the pivot test against
 * the original diagonal (diag) and the square root; each entry below gets its products in order and the
 * division. Rows before a failing column are then complete.
 */
const [PW, PDIAG, PK, PC0, PFLOOR] = [0, 1, 2, 3, 4];
const [PC, PEND, PRC, PRI, PI, PQ, PROW] = [5, 6, 7, 8, 9, 10, 11];
const [PS, PLCC] = [12, 13];

/** s − Σ_{p=c0}^{c−1} row[p]·col[p] in order, rows at byte offsets ROW and RC (s on the stack before). */
function dotFromBlock(row: number): number[] {
  return [
    ...get(PC0),
    ...i32Const(3),
    OP.i32Shl,
    ...set(PQ),
    ...whileBelow(PQ, PEND, [
      ...get(PS),
      ...at(row, PQ),
      OP.f64Load,
      ...mem(0),
      ...at(PRC, PQ),
      OP.f64Load,
      ...mem(0),
      OP.f64Mul,
      OP.f64Sub,
      ...set(PS),
      ...addTo(PQ, 8),
    ]),
  ];
}

function panelCode(): number[] {
  const rowOf = (index: number): number[] => [
    ...get(PW),
    ...get(index),
    ...get(PK),
    OP.i32Mul,
    ...i32Const(3),
    OP.i32Shl,
    OP.i32Add,
  ];
  const column = [
    // PEND = c in bytes (the products p < c); PRC = row c.
    ...get(PC),
    ...i32Const(3),
    OP.i32Shl,
    ...set(PEND),
    ...rowOf(PC),
    ...set(PRC),
    ...at(PRC, PEND),
    OP.f64Load,
    ...mem(0),
    ...set(PS),
    ...dotFromBlock(PRC),
    // Pivot test against the original diagonal; the square root.
    ...get(PS),
    ...get(PFLOOR),
    ...at(PDIAG, PEND),
    OP.f64Load,
    ...mem(0),
    OP.f64Mul,
    OP.f64Gt,
    OP.i32Eqz,
    ...at(PDIAG, PEND),
    OP.f64Load,
    ...mem(0),
    ...f64Const(0),
    OP.f64Gt,
    OP.i32Eqz,
    OP.i32Or,
    OP.if,
    EMPTY,
    ...get(PC),
    OP.return,
    OP.end,
    ...at(PRC, PEND),
    ...get(PS),
    OP.f64Sqrt,
    ...tee(PLCC),
    OP.f64Store,
    ...mem(0),
    // The rows below: products, then the division.
    ...get(PC),
    ...i32Const(1),
    OP.i32Add,
    ...set(PI),
    ...whileBelow(PI, PK, [
      ...rowOf(PI),
      ...set(PRI),
      ...at(PRI, PEND),
      OP.f64Load,
      ...mem(0),
      ...set(PS),
      ...dotFromBlock(PRI),
      ...at(PRI, PEND),
      ...get(PS),
      ...get(PLCC),
      OP.f64Div,
      OP.f64Store,
      ...mem(0),
      ...addTo(PI, 1),
    ]),
    ...addTo(PC, 1),
  ];
  return [
    // PROW = min(k, c0 + 8), the end of the block's columns.
    ...get(PC0),
    ...i32Const(BLOCK),
    OP.i32Add,
    ...set(PROW),
    ...get(PK),
    ...get(PROW),
    OP.i32LtU,
    OP.if,
    EMPTY,
    ...get(PK),
    ...set(PROW),
    OP.end,
    ...get(PC0),
    ...set(PC),
    ...whileBelow(PC, PROW, column),
    ...i32Const(-1),
  ];
}

/*
 * pack(w, k, c0, pt): the block's columns c0 … c0 + 7 of L for the rows j ≥ c0 + 8, transposed in pairs
 * of rows: pt[(r >> 1)·16 + 2q + (r & 1)] = l_{c0+8+r, c0+q} (byte offsets w and pt).
 */
function packCode(): number[] {
  const [PKW, PKK, PKC0, PKPT] = [0, 1, 2, 3];
  const [J, R, SRC, DST] = [4, 5, 6, 7];
  const row: number[] = [
    // SRC = w + (j·k + c0)·8; DST = pt + (r >> 1)·128 + (r & 1)·8, r = j − c0 − 8.
    ...get(PKW),
    ...get(J),
    ...get(PKK),
    OP.i32Mul,
    ...get(PKC0),
    OP.i32Add,
    ...i32Const(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(SRC),
    ...get(J),
    ...get(PKC0),
    OP.i32Sub,
    ...i32Const(BLOCK),
    OP.i32Sub,
    ...set(R),
    ...get(PKPT),
    ...get(R),
    ...i32Const(1),
    OP.i32ShrU,
    ...i32Const(7),
    OP.i32Shl,
    OP.i32Add,
    ...get(R),
    ...i32Const(1),
    OP.i32And,
    ...i32Const(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(DST),
  ];
  for (let q = 0; q < BLOCK; q++)
    row.push(...get(DST), ...get(SRC), OP.f64Load, ...mem(8 * q), OP.f64Store, ...mem(16 * q));
  return [
    ...get(PKC0),
    ...i32Const(BLOCK),
    OP.i32Add,
    ...set(J),
    ...whileBelow(J, PKK, [...row, ...addTo(J, 1)]),
  ];
}

type PackFn = (w: number, k: number, c0: number, pt: number) => void;
type UpdateFn = (
  w: number,
  pt: number,
  k: number,
  c0: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
) => void;
type PanelFn = (w: number, diag: number, k: number, c0: number, floor: number) => number;

const kernel = new WasmKernel(
  () =>
    encodeModule([
      {
        name: 'panel',
        params: [I32, I32, I32, I32, F64],
        locals: [
          [7, I32],
          [2, F64],
        ],
        results: [I32],
        code: panelCode(),
      },
      {
        name: 'pack',
        params: [I32, I32, I32, I32],
        locals: [[4, I32]],
        code: packCode(),
      },
      {
        name: 'update',
        params: [I32, I32, I32, I32, I32, I32, I32, I32],
        locals: [
          [6, I32],
          [BLOCK, V128],
        ],
        code: updateCode(),
      },
    ]),
  64 * 2 ** 20,
);

/** Order from which the SIMD factorisation is used (below, copying in and out costs more than it saves). */
export const SIMD_MIN_ORDER = 40;

/**
 * `choleskyFactorInPlace(a, l, k, ld)` in WebAssembly SIMD (same contract, same bits); undefined where
 * WebAssembly SIMD is not available. `floor` is the relative pivot floor.
 */
export function choleskyFactorSimd(
  a: Float64Array,
  l: Float64Array,
  k: number,
  ld: number,
  floor: number,
): number | undefined {
  const ptLength = (k + 1) * BLOCK;
  const ptAt = 8 * k * k;
  const instance = kernel.instance(8 * (k * k + SUB_BLOCKS * ptLength + k));
  if (instance === undefined) return undefined;
  const w = new Float64Array(instance.memory.buffer, 0, k * k);
  const diagAt = ptAt + 8 * SUB_BLOCKS * ptLength;
  const diag = new Float64Array(instance.memory.buffer, diagAt, k);
  // The lower triangle in (with the upper one when the layout is the same: one copy, never read).
  if (ld === k) w.set(a.subarray(0, k * k));
  else for (let i = 0; i < k; i++) w.set(a.subarray(i * ld, i * ld + i + 1), i * k);
  for (let i = 0; i < k; i++) diag[i] = a[i * ld + i] as number;
  const pack = instance.exports['pack'] as PackFn;
  const panel = instance.exports['panel'] as PanelFn;
  const update = instance.exports['update'] as UpdateFn;
  /** The packed pair of rows (j, j + 1) of sub-block s (its columns from c0). */
  const packedAt = (s: number, c0: number, j: number): number =>
    ptAt + 8 * s * ptLength + ((j - c0 - BLOCK) >> 1) * 16 * BLOCK;
  let failed = -1;
  for (let top = 0; top < k && failed < 0; top += SUPER_BLOCK) {
    const end = Math.min(k, top + SUPER_BLOCK);
    // The super-block's own columns, block by block, each updated by the blocks before it.
    for (let c0 = top; c0 < end && failed < 0; c0 += BLOCK) {
      failed = panel(0, diagAt, k, c0, floor);
      if (failed < 0 && c0 + BLOCK < k) {
        const s = (c0 - top) / BLOCK;
        pack(0, k, c0, ptAt + 8 * s * ptLength);
        if (c0 + BLOCK < end) update(0, packedAt(s, c0, c0 + BLOCK), k, c0, c0 + BLOCK, k, c0 + BLOCK, end);
      }
    }
    if (failed >= 0 || end >= k) break;
    // The entries right of it, tile by tile, each receiving the super-block's blocks in order while it
    // stays in cache.
    for (let j0 = end; j0 < k; j0 += TILE_COLUMNS) {
      const j1 = Math.min(k, j0 + TILE_COLUMNS);
      for (let i0 = j0; i0 < k; i0 += TILE_ROWS) {
        const i1 = Math.min(k, i0 + TILE_ROWS);
        for (let s = 0; s < SUB_BLOCKS; s++) {
          const c0 = top + s * BLOCK;
          update(0, packedAt(s, c0, j0), k, c0, i0, i1, j0, j1);
        }
      }
    }
  }
  // Rows before a failing pivot are complete; the rows from it on are left unspecified, as documented.
  const rows = failed < 0 ? k : failed;
  if (ld === k) {
    l.set(w.subarray(0, rows * k));
    for (let i = 0; i < rows; i++) l.fill(0, i * k + i + 1, i * k + k);
  } else {
    for (let i = 0; i < rows; i++) {
      const ri = i * ld;
      l.set(w.subarray(i * k, i * k + i + 1), ri);
      l.fill(0, ri + i + 1, ri + k);
    }
  }
  return failed;
}
