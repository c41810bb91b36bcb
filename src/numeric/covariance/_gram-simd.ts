/**
 * The Gram kernel in WebAssembly SIMD (f64x2), for the large problems where it pays.
 *
 * The centred data are packed into panels of 4 columns (T x 4, row-major, zero-padded), so one output
 * tile of 4 x 4 entries streams two contiguous panels. Per time step the tile loads the 4 values of the
 * column panel as two f64x2 vectors and broadcasts each of the 4 values of the row panel, then does 8
 * vector multiply-adds into 8 vector accumulators (16 entries). The vectors run across output entries,
 * never across time: every entry is still Σₜ x_i[t]·x_j[t] summed in time order, one IEEE multiply and
 * one IEEE add per step (WebAssembly has no fused multiply-add here), so the result equals the scalar
 * kernel's bit for bit. Only the upper triangle of tiles is computed; the caller mirrors it.
 *
 * Time is cut into chunks of {@link CHUNK_ROWS} rows and the column panels into blocks of
 * {@link BLOCK_PANELS}: within a chunk the tiles of one column block reuse its panels from the L2 cache
 * and one row panel from L1, instead of streaming whole panels from memory for every tile. A tile's 16
 * partial sums are kept in memory between chunks and reloaded by the next one (an f64 stored and
 * loaded is the same f64), and the chunks run in time order, so each entry is still added up in time
 * order and the result is unchanged to the last bit.
 *
 * The module (about 200 bytes) is encoded below rather than shipped as a binary, so what runs is
 * readable in this file.
 */

import {
  addTo,
  at,
  EMPTY,
  encodeModule,
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
  type WasmInstance,
  WasmKernel,
  whileBelow,
} from '../linalg/_wasm.js';

/** Panel width (columns per panel) and tile size. */
const PANEL = 4;

/**
 * tile(p, q, T, out): for a row panel at byte offset p and a column panel at q (each T x 4 f64),
 * out[4a + b] += Σₜ p[t][a]·q[t][b] for a, b < 4 (16 f64 at byte offset out), the sum taken in order
 * t = 0, 1, …, T − 1 onto the value out holds. T ≥ 1.
 */
function tileCode(): number[] {
  const [P, Q, T, OUT, t] = [0, 1, 2, 3, 4];
  const acc = (a: number, half: number): number => 5 + 2 * a + half;
  const [Y0, Y1, S] = [13, 14, 15];
  const step: number[] = [
    ...get(Q),
    ...simd(SIMD_OP.v128Load, ...mem(0)),
    ...set(Y0),
    ...get(Q),
    ...simd(SIMD_OP.v128Load, ...mem(16)),
    ...set(Y1),
  ];
  for (let a = 0; a < PANEL; a++) {
    step.push(...get(P), ...simd(SIMD_OP.v128Load64Splat, ...mem(8 * a)), ...set(S));
    for (let half = 0; half < 2; half++) {
      step.push(
        ...get(acc(a, half)),
        ...get(S),
        ...get(half === 0 ? Y0 : Y1),
        ...simd(SIMD_OP.f64x2Mul),
        ...simd(SIMD_OP.f64x2Add),
        ...set(acc(a, half)),
      );
    }
  }
  // p += 32; q += 32; t += 1; loop while t < T.
  step.push(...get(P), ...i32Const(32), OP.i32Add, ...set(P));
  step.push(...get(Q), ...i32Const(32), OP.i32Add, ...set(Q));
  step.push(...get(t), ...i32Const(1), OP.i32Add, ...tee(t), ...get(T), OP.i32LtU, OP.brIf, 0);
  const store: number[] = [];
  for (let a = 0; a < PANEL; a++) {
    for (let half = 0; half < 2; half++) {
      store.push(...get(OUT), ...get(acc(a, half)), ...simd(SIMD_OP.v128Store, ...mem(32 * a + 16 * half)));
    }
  }
  const load: number[] = [];
  for (let a = 0; a < PANEL; a++) {
    for (let half = 0; half < 2; half++) {
      load.push(...get(OUT), ...simd(SIMD_OP.v128Load, ...mem(32 * a + 16 * half)), ...set(acc(a, half)));
    }
  }
  return [...load, OP.loop, EMPTY, ...step, OP.end, ...store];
}

/**
 * sums(x, T, n, out): out[j] = Σₜ x[t][j] for the T x n row-major x, in order t = 0 … T − 1 from +0 (as
 * the JavaScript column means add), two columns per f64x2 instruction (n even: the caller adds the last
 * column of an odd n).
 */
function sumsCode(): number[] {
  const [X, T, N, OUT] = [0, 1, 2, 3];
  const [ROW, END, J, JEND] = [4, 5, 6, 7];
  const pair = [
    ...at(OUT, J),
    ...at(OUT, J),
    ...simd(SIMD_OP.v128Load, ...mem(0)),
    ...at(ROW, J),
    ...simd(SIMD_OP.v128Load, ...mem(0)),
    ...simd(SIMD_OP.f64x2Add),
    ...simd(SIMD_OP.v128Store, ...mem(0)),
    ...addTo(J, 16),
  ];
  return [
    // Bytes of the pairs in a row (n & ~1), of a row (n), and the zeroed sums.
    ...get(N),
    ...i32Const(-2),
    OP.i32And,
    ...i32Const(3),
    OP.i32Shl,
    ...set(JEND),
    ...i32Const(0),
    ...set(J),
    ...whileBelow(J, JEND, [
      ...at(OUT, J),
      ...f64Const(0),
      ...simd(SIMD_OP.f64x2Splat),
      ...simd(SIMD_OP.v128Store, ...mem(0)),
      ...addTo(J, 16),
    ]),
    ...get(X),
    ...set(ROW),
    ...get(X),
    ...get(T),
    ...get(N),
    OP.i32Mul,
    ...i32Const(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(END),
    ...whileBelow(ROW, END, [
      ...i32Const(0),
      ...set(J),
      ...whileBelow(J, JEND, pair),
      ...get(ROW),
      ...get(N),
      ...i32Const(3),
      OP.i32Shl,
      OP.i32Add,
      ...set(ROW),
    ]),
  ];
}

/**
 * pack(x, T, n, means, panels, heap): for the first `panels` full panels, heap[p][t][c] = x[t][4p + c] −
 * means[4p + c] (the caller packs a last partial panel).
 */
function packCode(): number[] {
  const [X, T, N, MEANS, PANELS, HEAP] = [0, 1, 2, 3, 4, 5];
  const [P, SRC, END, DST] = [6, 7, 8, 9];
  const [M0, M1] = [10, 11];
  const body = [
    // Per panel: its means in two vectors, then every row.
    ...get(MEANS),
    ...get(P),
    ...i32Const(5),
    OP.i32Shl,
    OP.i32Add,
    ...tee(SRC),
    ...simd(SIMD_OP.v128Load, ...mem(0)),
    ...set(M0),
    ...get(SRC),
    ...simd(SIMD_OP.v128Load, ...mem(16)),
    ...set(M1),
    ...get(X),
    ...get(P),
    ...i32Const(5),
    OP.i32Shl,
    OP.i32Add,
    ...set(SRC),
    ...get(HEAP),
    ...get(P),
    ...get(T),
    OP.i32Mul,
    ...i32Const(5),
    OP.i32Shl,
    OP.i32Add,
    ...tee(DST),
    ...get(T),
    ...i32Const(5),
    OP.i32Shl,
    OP.i32Add,
    ...set(END),
    ...whileBelow(DST, END, [
      ...get(DST),
      ...get(SRC),
      ...simd(SIMD_OP.v128Load, ...mem(0)),
      ...get(M0),
      ...simd(SIMD_OP.f64x2Sub),
      ...simd(SIMD_OP.v128Store, ...mem(0)),
      ...get(DST),
      ...get(SRC),
      ...simd(SIMD_OP.v128Load, ...mem(16)),
      ...get(M1),
      ...simd(SIMD_OP.f64x2Sub),
      ...simd(SIMD_OP.v128Store, ...mem(16)),
      ...addTo(DST, 32),
      ...get(SRC),
      ...get(N),
      ...i32Const(3),
      OP.i32Shl,
      OP.i32Add,
      ...set(SRC),
    ]),
    ...addTo(P, 1),
  ];
  return [...i32Const(0), ...set(P), ...whileBelow(P, PANELS, body)];
}

type TileFn = (p: number, q: number, T: number, out: number) => void;
type SumsFn = (x: number, T: number, n: number, out: number) => void;
type PackFn = (x: number, T: number, n: number, means: number, panels: number, heap: number) => void;

const kernel = new WasmKernel(
  () =>
    encodeModule([
      {
        name: 'tile',
        params: [I32, I32, I32, I32],
        locals: [
          [1, I32],
          [11, V128],
        ],
        code: tileCode(),
      },
      { name: 'sums', params: [I32, I32, I32, I32], locals: [[4, I32]], code: sumsCode() },
      {
        name: 'pack',
        params: [I32, I32, I32, I32, I32, I32],
        locals: [
          [4, I32],
          [2, V128],
        ],
        code: packCode(),
      },
    ]),
  64 * 2 ** 20,
);

/** Whether the SIMD kernel can run here. */
export function simdAvailable(): boolean {
  return kernel.available();
}

/**
 * Centre the T x n row-major `data` by its column means and return them with `XᵀX / divisor` (n x n,
 * row-major, exactly symmetric), or undefined where WebAssembly SIMD is not available. `means` is either
 * the centre to use, or a function that turns the column sums (Σₜ in time order) into the means (and may
 * throw on a bad value).
 */
export function centredGramSimd(
  data: Float64Array,
  T: number,
  n: number,
  means: Float64Array | ((sums: Float64Array) => Float64Array),
  divisor: number,
  copyLimit = COPY_LIMIT,
): { means: Float64Array; gram: Float64Array } | undefined {
  if (T < 1) return undefined;
  const panels = Math.ceil(n / PANEL);
  const panelBytes = T * PANEL * 8;
  const sumsOffset = panels * panelBytes;
  const tiles = (panels * (panels + 1)) / 2;
  const rawOffset = sumsOffset + tiles * TILE_BYTES;
  // Column sums and packing in the kernel need the data copied in: only while it is small.
  const copy = T * n * 8 <= copyLimit;
  const meansOffset = copy ? rawOffset + T * n * 8 : rawOffset;
  const instance = kernel.instance(meansOffset + (copy ? n * 8 : 0));
  if (instance === undefined) return undefined;
  const { memory } = instance;
  const heap = new Float64Array(memory.buffer, 0, sumsOffset / 8);
  let centre: Float64Array;
  if (copy) {
    new Float64Array(memory.buffer, rawOffset, T * n).set(data.subarray(0, T * n));
    centre =
      typeof means === 'function' ? means(columnSums(instance, data, T, n, rawOffset, meansOffset)) : means;
    new Float64Array(memory.buffer, meansOffset, n).set(centre);
    const full = Math.floor(n / PANEL);
    (instance.exports['pack'] as PackFn)(rawOffset, T, n, meansOffset, full, 0);
    if (full < panels) packPanels(data, T, n, centre, heap, full);
  } else {
    centre = typeof means === 'function' ? means(jsColumnSums(data, T, n)) : means;
    packPanels(data, T, n, centre, heap);
  }
  const tile = instance.exports['tile'] as TileFn;
  const sums = new Float64Array(memory.buffer, sumsOffset, tiles * PANEL * PANEL);
  sums.fill(0);
  // Byte offset of tile (ip, jp), jp ≥ ip, in the upper triangle stored row by row.
  const sumAt = (ip: number, jp: number): number =>
    sumsOffset + (ip * panels - (ip * (ip - 1)) / 2 + (jp - ip)) * TILE_BYTES;
  for (let t0 = 0; t0 < T; t0 += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, T - t0);
    const rowBytes = t0 * PANEL * 8;
    for (let jb = 0; jb < panels; jb += BLOCK_PANELS) {
      const jEnd = Math.min(panels, jb + BLOCK_PANELS);
      for (let ip = 0; ip < jEnd; ip++) {
        const p = ip * panelBytes + rowBytes;
        for (let jp = Math.max(ip, jb); jp < jEnd; jp++)
          tile(p, jp * panelBytes + rowBytes, rows, sumAt(ip, jp));
      }
    }
  }
  const out = new Float64Array(n * n);
  for (let ip = 0; ip < panels; ip++) {
    for (let jp = ip; jp < panels; jp++) {
      const at = (sumAt(ip, jp) - sumsOffset) / 8;
      scatterTile(sums.subarray(at, at + PANEL * PANEL), ip * PANEL, jp * PANEL, n, divisor, out);
    }
  }
  return { means: centre, gram: out };
}

/**
 * Largest data (bytes) copied into the kernel's memory for the column sums and the packing (about 3x
 * faster there than in JavaScript); above, the copy would push the memory past what is kept between calls.
 */
const COPY_LIMIT = 8 * 2 ** 20;
/** Bytes of one tile's 16 sums. */
const TILE_BYTES = PANEL * PANEL * 8;
/** Rows per time chunk: one row panel's chunk is 8 KiB (L1). */
const CHUNK_ROWS = 256;
/** Column panels per block: a block's chunks are 512 KiB (L2). */
const BLOCK_PANELS = 64;

/**
 * Σₜ x[t][j] for every column, from +0 in time order: the kernel for the pairs of columns (its result at
 * byte offset `at`, scratch), JavaScript for the last column of an odd n.
 */
function columnSums(
  instance: WasmInstance,
  data: Float64Array,
  T: number,
  n: number,
  rawOffset: number,
  at: number,
): Float64Array {
  (instance.exports['sums'] as SumsFn)(rawOffset, T, n, at);
  const out = new Float64Array(n);
  const pairs = n & ~1;
  out.set(new Float64Array(instance.memory.buffer, at, pairs));
  if (pairs < n) {
    let s = 0;
    for (let t = 0; t < T; t++) s += data[t * n + pairs] as number;
    out[pairs] = s;
  }
  return out;
}

/** The same column sums in JavaScript. */
export function jsColumnSums(data: Float64Array, T: number, n: number): Float64Array {
  const sums = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    const row = t * n;
    for (let j = 0; j < n; j++) sums[j] = (sums[j] as number) + (data[row + j] as number);
  }
  return sums;
}

/**
 * heap[panel p][t][c] = data[t][4p + c] − means[4p + c] (0 past column n) for the panels from `first`, in
 * blocks of rows: a block of the input stays in cache while each panel receives one contiguous run.
 */
function packPanels(
  data: Float64Array,
  T: number,
  n: number,
  means: Float64Array,
  heap: Float64Array,
  first = 0,
): void {
  const panelSize = T * PANEL;
  const panels = Math.ceil(n / PANEL);
  for (let t0 = 0; t0 < T; t0 += PACK_ROWS) {
    const t1 = Math.min(T, t0 + PACK_ROWS);
    for (let p = first; p < panels; p++) {
      const j0 = p * PANEL;
      const width = Math.min(PANEL, n - j0);
      let at = p * panelSize + t0 * PANEL;
      if (width === PANEL) {
        // Full panels (all but the last) unrolled: a third of the packing time at 200 assets.
        const m0 = means[j0] as number;
        const m1 = means[j0 + 1] as number;
        const m2 = means[j0 + 2] as number;
        const m3 = means[j0 + 3] as number;
        for (let row = t0 * n + j0; row < t1 * n; row += n) {
          heap[at] = (data[row] as number) - m0;
          heap[at + 1] = (data[row + 1] as number) - m1;
          heap[at + 2] = (data[row + 2] as number) - m2;
          heap[at + 3] = (data[row + 3] as number) - m3;
          at += PANEL;
        }
        continue;
      }
      for (let t = t0; t < t1; t++) {
        const row = t * n + j0;
        for (let c = 0; c < width; c++) heap[at + c] = (data[row + c] as number) - (means[j0 + c] as number);
        for (let c = width; c < PANEL; c++) heap[at + c] = 0;
        at += PANEL;
      }
    }
  }
}

/** Rows per packing block (64 rows of 500 assets: 256 KiB). */
const PACK_ROWS = 64;

function scatterTile(
  res: Float64Array,
  i0: number,
  j0: number,
  n: number,
  divisor: number,
  out: Float64Array,
): void {
  for (let a = 0; a < PANEL && i0 + a < n; a++) {
    for (let b = 0; b < PANEL && j0 + b < n; b++) {
      const v = (res[a * PANEL + b] as number) / divisor;
      out[(i0 + a) * n + j0 + b] = v;
      out[(j0 + b) * n + i0 + a] = v;
    }
  }
}
